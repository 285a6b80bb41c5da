//! Lines and their commas in one pass.
//!
//! The session scan splits every row, so this is the hottest loop of the
//! default run. Rather than find each line end with `memchr` and then walk
//! the line again for its delimiters, one pass over 64-byte blocks builds
//! bit masks of `\n`, `,` and `"` (SSE2 on x86-64, a plain loop elsewhere)
//! and hands each line over with the positions of its first eight commas.
//! A line with a `"` anywhere goes to the general splitter
//! ([`Row::parse`]), which handles quoting.

use super::fields::{FIELD_COUNT, Row, RowError};

/// One line of a region: its text (without the `\n`), where it starts,
/// and what the block scan found in it.
pub struct Line<'a> {
    pub text: &'a [u8],
    /// Offset of the line in the region.
    pub start: usize,
    /// Positions (in `text`) of the first `FIELD_COUNT - 1` commas.
    pub commas: [u32; FIELD_COUNT - 1],
    /// How many commas the line has.
    pub n: u32,
    /// The line holds a `"`: only the general splitter may split it.
    pub quoted: bool,
}

impl<'a> Line<'a> {
    /// A line without quotes and with exactly the commas of a row: its
    /// fields are what lies between the commas.
    #[inline(always)]
    pub fn is_plain(&self) -> bool {
        !self.quoted && self.n as usize == FIELD_COUNT - 1
    }

    /// Field `i` of a plain line ([`Line::is_plain`]), the last without
    /// its `\r`.
    #[inline(always)]
    pub fn field(&self, i: usize) -> &'a [u8] {
        let start = if i == 0 {
            0
        } else {
            self.commas[i - 1] as usize + 1
        };
        if i == FIELD_COUNT - 1 {
            let last = &self.text[start..];
            return last.strip_suffix(b"\r").unwrap_or(last);
        }
        &self.text[start..self.commas[i] as usize]
    }

    /// The line as a row: split at the commas already found, or by the
    /// general splitter when the line holds a quote.
    #[inline(always)]
    pub fn row(&self) -> Result<Row<'a>, RowError> {
        if self.quoted {
            return Row::parse_quoted(self.text);
        }
        if self.n as usize != FIELD_COUNT - 1 {
            return Err(RowError::FieldCount(self.n as usize + 1));
        }
        Row::from_commas(self.text, &self.commas)
    }
}

/// Calls `f` with every line of `region` in order. A last line without a
/// `\n` is handed over too.
pub fn for_each_line<'a>(region: &'a [u8], f: impl FnMut(&Line<'a>)) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("popcnt")
        && std::is_x86_feature_detected!("bmi1")
    {
        // SAFETY: the CPU has AVX2, POPCNT and BMI1 (checked just above).
        return unsafe { for_each_line_avx2(region, f) };
    }
    split(region, f, block_masks)
}

#[cfg(target_arch = "x86_64")]
// POPCNT and BMI1 (every AVX2 CPU has them) make the per-comma bit
// arithmetic single instructions: without them `count_ones` is a dozen.
#[target_feature(enable = "avx2,popcnt,bmi1")]
unsafe fn for_each_line_avx2<'a>(region: &'a [u8], f: impl FnMut(&Line<'a>)) {
    split(region, f, |b| {
        // SAFETY: this function only runs where AVX2 is available.
        unsafe { block_masks_avx2(b) }
    })
}

/// The pass itself, with the block scanner as a parameter so that it is
/// inlined into each instruction-set variant.
#[inline(always)]
fn split<'a>(
    region: &'a [u8],
    mut f: impl FnMut(&Line<'a>),
    scan: impl Fn(&[u8; 64]) -> (u64, u64, u64),
) {
    let mut line_start = 0;
    let mut commas = [0u32; FIELD_COUNT - 1];
    let mut n = 0u32;
    let mut quoted = false;
    let mut base = 0;
    while base < region.len() {
        let (mut nl, mut comma, mut quote) = match region.get(base..base + 64) {
            Some(b) => scan(b.try_into().expect("64 bytes")),
            None => {
                // The tail: zero padding matches none of the three.
                let mut block = [0u8; 64];
                block[..region.len() - base].copy_from_slice(&region[base..]);
                scan(&block)
            }
        };
        loop {
            // Bits of the current line in this block: up to the next `\n`.
            let upto = if nl == 0 {
                u64::MAX
            } else {
                (nl & nl.wrapping_neg()).wrapping_sub(1)
            };
            let mut c = comma & upto;
            quoted |= quote & upto != 0;
            while c != 0 && (n as usize) < commas.len() {
                commas[n as usize] = (base + c.trailing_zeros() as usize - line_start) as u32;
                n += 1;
                c &= c - 1;
            }
            n += c.count_ones();
            if nl == 0 {
                break;
            }
            let end = base + nl.trailing_zeros() as usize;
            f(&Line {
                text: &region[line_start..end],
                start: line_start,
                commas,
                n,
                quoted,
            });
            line_start = end + 1;
            n = 0;
            quoted = false;
            // Drop this line's bits and its `\n`.
            let done = upto | (upto.wrapping_add(1));
            nl &= !done;
            comma &= !done;
            quote &= !done;
        }
        base += 64;
    }
    if line_start < region.len() {
        f(&Line {
            text: &region[line_start..],
            start: line_start,
            commas,
            n,
            quoted,
        });
    }
}

/// Masks of `\n`, `,` and `"` in a 64-byte block (bit k = byte k).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_masks(b: &[u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    let mut nl = 0u64;
    let mut comma = 0u64;
    let mut quote = 0u64;
    for k in 0..4 {
        // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads
        // 16 bytes inside `b` (unaligned loads are allowed).
        let (n, c, q) = unsafe {
            let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast());
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))) as u16,
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8))) as u16,
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))) as u16,
            )
        };
        nl |= u64::from(n) << (16 * k);
        comma |= u64::from(c) << (16 * k);
        quote |= u64::from(q) << (16 * k);
    }
    (nl, comma, quote)
}

/// [`block_masks`] with 32-byte AVX2 compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block_masks_avx2(b: &[u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: the loads read 32 bytes each inside `b` (unaligned loads
    // are allowed); the caller guarantees AVX2.
    unsafe {
        let lo = _mm256_loadu_si256(b.as_ptr().cast());
        let hi = _mm256_loadu_si256(b.as_ptr().add(32).cast());
        let mask = |c: u8| {
            let c = _mm256_set1_epi8(c as i8);
            let l = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) as u32;
            let h = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) as u32;
            u64::from(l) | u64::from(h) << 32
        };
        (mask(b'\n'), mask(b','), mask(b'"'))
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_masks(b: &[u8; 64]) -> (u64, u64, u64) {
    let mut nl = 0u64;
    let mut comma = 0u64;
    let mut quote = 0u64;
    for (k, &c) in b.iter().enumerate() {
        nl |= u64::from(c == b'\n') << k;
        comma |= u64::from(c == b',') << k;
        quote |= u64::from(c == b'"') << k;
    }
    (nl, comma, quote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::fields::FIELD_COUNT;

    /// Every line, split here (by the SSE2 pass and by the one the CPU
    /// picks), must equal `split('\n')` + `Row::parse`.
    #[test]
    fn agrees_with_plain_splitting() {
        let mut pieces = crate::parse::random_lines(3, 20_000, 150, b"ab,,\"\n\r x:1-T");
        for round in 0..3000 {
            let mut data = Vec::new();
            for k in 0..(round % 7) {
                data.extend(pieces.next().unwrap());
                if (round + k) % 3 == 0 {
                    // A well-formed row, sometimes with a long field.
                    let long = "x".repeat((round * 37 + k * 101) % 300);
                    data.extend_from_slice(format!(",C,S,1,a:1,b:2,<,{long},\r\n").as_bytes());
                }
            }
            let fields = |r: Row| {
                (0..FIELD_COUNT)
                    .map(|i| r.get(i).to_vec())
                    .collect::<Vec<_>>()
            };
            let mut want = Vec::new();
            let mut start = 0;
            let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if data.last() == Some(&b'\n') || data.is_empty() {
                lines.pop();
            }
            for piece in lines {
                want.push((start, piece.to_vec(), Row::parse(piece).map(fields)));
                start += piece.len() + 1;
            }
            let mut sse2 = Vec::new();
            split(
                &data,
                |l: &Line| sse2.push((l.start, l.text.to_vec(), l.row().map(fields))),
                block_masks,
            );
            assert_eq!(sse2, want, "{:?}", String::from_utf8_lossy(&data));
            let mut picked = Vec::new();
            for_each_line(&data, |l: &Line| {
                picked.push((l.start, l.text.to_vec(), l.row().map(fields)))
            });
            assert_eq!(picked, want, "{:?}", String::from_utf8_lossy(&data));
        }
    }
}
