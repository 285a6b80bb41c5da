//! Byte masks of 64-byte blocks: the one SIMD rule of every splitter (the
//! line pass's `\n`, `,` and `"`, the field splitter's `,` and `"`, IIS's
//! spaces). Bit k of a mask is set where byte k of the block is the byte
//! asked for.
//!
//! [`masks`] uses SSE2 (the x86-64 baseline) or a plain loop elsewhere;
//! [`masks_avx2`] is the same rule with 32-byte compares, for passes that
//! check for AVX2 once and then call it from a function compiled for it
//! (it only inlines there). [`masks_at`] reads a block anywhere in a
//! slice, its end included, with either.

/// The bytes a block holds.
pub(crate) const BLOCK: usize = 64;

/// Where byte k of `block` is `bytes[j]`, bit k of mask j.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn masks<const K: usize>(block: &[u8; BLOCK], bytes: [u8; K]) -> [u64; K] {
    use std::arch::x86_64::*;
    let mut out = [0u64; K];
    for q in 0..BLOCK / 16 {
        for (m, &b) in out.iter_mut().zip(&bytes) {
            // SAFETY: SSE2 is part of the x86-64 baseline, and the load
            // reads 16 bytes inside `block` (unaligned loads are allowed).
            let hits = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * q).cast());
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)))
            };
            *m |= u64::from(hits as u16) << (16 * q);
        }
    }
    out
}

/// [`masks`] on other targets: one byte at a time.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn masks<const K: usize>(block: &[u8; BLOCK], bytes: [u8; K]) -> [u64; K] {
    let mut out = [0u64; K];
    for (k, &c) in block.iter().enumerate() {
        for (m, &b) in out.iter_mut().zip(&bytes) {
            *m |= u64::from(c == b) << k;
        }
    }
    out
}

/// [`masks`] with 32-byte AVX2 compares.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) unsafe fn masks_avx2<const K: usize>(block: &[u8; BLOCK], bytes: [u8; K]) -> [u64; K] {
    use std::arch::x86_64::*;
    // SAFETY: the loads read 32 bytes each inside `block` (unaligned loads
    // are allowed); the caller guarantees AVX2.
    let (lo, hi) = unsafe {
        (
            _mm256_loadu_si256(block.as_ptr().cast()),
            _mm256_loadu_si256(block.as_ptr().add(32).cast()),
        )
    };
    bytes.map(|b| {
        let c = _mm256_set1_epi8(b as i8);
        let l = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) as u32;
        let h = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) as u32;
        u64::from(l) | u64::from(h) << 32
    })
}

/// The masks of the block of `data` at `base` (`base < data.len()`), by
/// `scan` ([`masks`] or [`masks_avx2`]): bits past the end are clear. A
/// block that runs past the end is read as the last 64 bytes, its bits
/// shifted down, so no byte is copied; only data under 64 bytes is
/// copied into a zeroed block (none of `bytes` may be 0).
#[inline(always)]
pub(crate) fn masks_at<const K: usize>(
    data: &[u8],
    base: usize,
    bytes: [u8; K],
    scan: impl Fn(&[u8; BLOCK], [u8; K]) -> [u64; K],
) -> [u64; K] {
    debug_assert!(!bytes.contains(&0) && base < data.len());
    if let Some(block) = data.get(base..base + BLOCK) {
        return scan(block.try_into().expect("one block"), bytes);
    }
    if let Some(last) = data.last_chunk::<BLOCK>() {
        let shift = base + BLOCK - data.len();
        return scan(last, bytes).map(|m| m >> shift);
    }
    let mut block = [0u8; BLOCK];
    block[..data.len() - base].copy_from_slice(&data[base..]);
    scan(&block, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks, byte by byte: the reference.
    fn plain<const K: usize>(data: &[u8], base: usize, bytes: [u8; K]) -> [u64; K] {
        bytes.map(|b| {
            (0..BLOCK)
                .filter(|&k| data.get(base + k) == Some(&b))
                .fold(0, |m, k| m | 1 << k)
        })
    }

    /// Every block of slices of every length up to three blocks (the whole
    /// block, the shifted last one, the copied short one), by SSE2 and,
    /// where the CPU has it, AVX2, equals the byte-by-byte masks.
    #[test]
    fn masks_agree_with_bytes() {
        let text: Vec<u8> = (0..3 * BLOCK + 5)
            .map(|i| b"a,\"\n b,,\"\"\n\r x"[(i * 7 + i / 5) % 14])
            .collect();
        let bytes = [b'\n', b',', b'"', b' '];
        for len in 1..text.len() {
            let data = &text[..len];
            for base in 0..len {
                let want = plain(data, base, bytes);
                assert_eq!(masks_at(data, base, bytes, masks), want, "{len} {base}");
                #[cfg(target_arch = "x86_64")]
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2 (checked just above).
                    let avx2 = masks_at(data, base, bytes, |b, c| unsafe { masks_avx2(b, c) });
                    assert_eq!(avx2, want, "avx2 {len} {base}");
                }
            }
        }
    }
}
