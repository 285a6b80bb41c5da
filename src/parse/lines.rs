//! Lines and their commas in one pass.
//!
//! The session scan splits every row, so this is the hottest loop of the
//! default run. Rather than find each line end with `memchr` and then walk
//! the line again for its delimiters, one pass over 64-byte blocks builds
//! bit masks of `\n`, `,` and `"` ([`super::masks`]: AVX2 where the CPU
//! has it, else SSE2 on x86-64, a plain loop elsewhere)
//! and hands each line over with the positions of its first eight commas.
//!
//! Quotes: a comma inside a quoted field is no separator. The quote mask's
//! prefix XOR marks what lies inside quotes, so the commas handed over are
//! the separators even on quoted lines (one per message on a busy server:
//! `"250 2.6.0 <…> [InternalId=…, Hostname=…] Queued mail for delivery"`).
//! Each quote is also checked against RFC 4180 (an opening quote starts a
//! field, a closing one ends it or is doubled); a line that breaks the rules
//! goes to the general splitter ([`Row::parse`]), which decides how.

use super::fields::{FIELD_COUNT, Row, RowError};
use super::masks::{self, BLOCK, masks_at};

/// One line of a region: its text (without the `\n`), where it starts,
/// and what the block scan found in it.
pub struct Line<'a> {
    pub text: &'a [u8],
    /// Offset of the line in the region.
    pub start: usize,
    /// Positions (in `text`) of the line's commas when it has exactly
    /// `FIELD_COUNT - 1` (`n`); of no use otherwise.
    pub commas: [u32; FIELD_COUNT - 1],
    /// How many commas the line has.
    pub n: u32,
    /// The line holds a `"`.
    pub quoted: bool,
    /// Every quote of the line is where RFC 4180 allows it and none is left
    /// open: `commas` and `n` are the separators (always true without quotes).
    pub well_quoted: bool,
}

impl<'a> Line<'a> {
    /// A line without quotes and with exactly the commas of a row: its
    /// fields are what lies between the commas.
    #[inline(always)]
    pub fn is_plain(&self) -> bool {
        !self.quoted && self.n as usize == FIELD_COUNT - 1
    }

    /// A line whose separators are known and that has nine fields: a
    /// plain line, or a well-quoted one whose quoted fields [`Line::field`]
    /// returns with their quotes.
    #[inline(always)]
    pub fn is_split(&self) -> bool {
        self.well_quoted && self.n as usize == FIELD_COUNT - 1
    }

    /// Field `i` of a split line ([`Line::is_split`]) as written (a quoted
    /// field with its quotes), the last without its `\r`.
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
    /// general splitter when its quotes break the rules.
    #[inline(always)]
    pub fn row(&self) -> Result<Row<'a>, RowError> {
        if self.quoted {
            if self.is_split() {
                return Row::from_quoted_commas(self.text, &self.commas);
            }
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
    split(region, f, masks::masks)
}

#[cfg(target_arch = "x86_64")]
// POPCNT and BMI1 (every AVX2 CPU has them) make the per-comma bit
// arithmetic single instructions: without them `count_ones` is a dozen.
#[target_feature(enable = "avx2,popcnt,bmi1")]
unsafe fn for_each_line_avx2<'a>(region: &'a [u8], f: impl FnMut(&Line<'a>)) {
    split(region, f, |b, c| {
        // SAFETY: this function only runs where AVX2 is available.
        unsafe { masks::masks_avx2(b, c) }
    })
}

/// The pass itself, with the block scanner as a parameter so that it is
/// inlined into each instruction-set variant.
#[inline(always)]
fn split<'a>(
    region: &'a [u8],
    mut f: impl FnMut(&Line<'a>),
    scan: impl Fn(&[u8; BLOCK], [u8; 3]) -> [u64; 3],
) {
    let mut line_start = 0;
    // Where the commas go: slot `n % 16`, so that storing one needs no
    // check of `n` against the eight a row has. A line with more has no
    // use for their positions (it is no row, or the general splitter's).
    let mut commas = [0u32; 16];
    let mut n = 0u32;
    let mut quoted = false;
    // Inside a quoted field at the end of the bits seen so far.
    let mut open = false;
    let mut well_quoted = true;
    let mut base = 0;
    while base < region.len() {
        // The loads of a fresh page otherwise stall this loop.
        prefetch(region, base + 1024);
        let [mut nl, mut comma, mut quote] = masks_at(region, base, [b'\n', b',', b'"'], &scan);
        loop {
            // Bits of the current line in this block: up to the next `\n`.
            let upto = if nl == 0 {
                u64::MAX
            } else {
                (nl & nl.wrapping_neg()).wrapping_sub(1)
            };
            let mut c = comma & upto;
            let q = quote & upto;
            if q != 0 || open {
                // Bits of earlier lines are cleared from `q`, so its prefix
                // XOR starts at this line (or carries `open` from the last
                // block). Commas under it are text.
                let inside = prefix_xor(q) ^ if open { u64::MAX } else { 0 };
                c &= !inside;
                let mut bits = q;
                while bits != 0 {
                    let at = base + bits.trailing_zeros() as usize;
                    well_quoted &= if open {
                        closes_field(region, at)
                    } else {
                        at == line_start || matches!(region[at - 1], b',' | b'"')
                    };
                    open = !open;
                    bits &= bits - 1;
                }
                quoted |= q != 0;
            }
            while c != 0 {
                commas[n as usize % 16] = (base + c.trailing_zeros() as usize - line_start) as u32;
                n += 1;
                c &= c - 1;
            }
            if nl == 0 {
                break;
            }
            let end = base + nl.trailing_zeros() as usize;
            f(&Line {
                text: &region[line_start..end],
                start: line_start,
                commas: first_eight(&commas),
                n,
                quoted,
                well_quoted: well_quoted && !open,
            });
            line_start = end + 1;
            n = 0;
            quoted = false;
            open = false;
            well_quoted = true;
            // Drop this line's bits and its `\n`.
            let done = upto | (upto.wrapping_add(1));
            nl &= !done;
            comma &= !done;
            quote &= !done;
        }
        base += BLOCK;
    }
    if line_start < region.len() {
        f(&Line {
            text: &region[line_start..],
            start: line_start,
            commas: first_eight(&commas),
            n,
            quoted,
            well_quoted: well_quoted && !open,
        });
    }
}

/// The first [`FIELD_COUNT`] - 1 slots of the comma scratch.
#[inline(always)]
fn first_eight(commas: &[u32; 16]) -> [u32; FIELD_COUNT - 1] {
    commas[..FIELD_COUNT - 1].try_into().expect("8 slots")
}

/// Bit k set when an odd number of the bits 0..=k of `q` are set: with
/// `q` the quotes of a line, the bytes inside a quoted field (and its
/// opening quote).
#[inline(always)]
fn prefix_xor(mut q: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        q ^= q << shift;
    }
    q
}

/// Whether the quote at `at`, closing a quoted field, is followed by what
/// may follow one: a separator, the line's end (`\r\n`, `\n` or the end of
/// the region), or a second quote (a doubled `""` inside the field).
#[inline]
fn closes_field(region: &[u8], at: usize) -> bool {
    match region.get(at + 1) {
        None | Some(b',' | b'"' | b'\n') => true,
        Some(b'\r') => matches!(region.get(at + 2), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// Asks the CPU for the cache line of `region[at]` (if there is one) ahead
/// of its use: sequential scans of mapped logs otherwise stall on every
/// fresh page.
#[inline(always)]
fn prefetch(region: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(ahead) = region.get(at) {
        // SAFETY: a prefetch is a hint that never faults; the address is
        // inside `region`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(ahead).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (region, at);
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
                masks::masks,
            );
            assert_eq!(sse2, want, "{:?}", String::from_utf8_lossy(&data));
            let mut picked = Vec::new();
            for_each_line(&data, |l: &Line| {
                picked.push((l.start, l.text.to_vec(), l.row().map(fields)))
            });
            assert_eq!(picked, want, "{:?}", String::from_utf8_lossy(&data));
        }
    }

    /// Rows whose fields are quoted well or badly (bare quotes, a quote
    /// left open, text after a closing quote, doubled quotes, `\r` in odd
    /// places), split here, must equal the general splitter: the same
    /// fields or the same error, and a field of a split line unquoted is
    /// the row's field.
    #[test]
    fn quoted_lines_split_as_the_general_splitter() {
        let mut rng = exlog_gen::Rng::new(0x9E37_79B9_7F4A_7C15, 0);
        let mut next = move |n: u64| rng.below(n);
        let pieces: [&[u8]; 14] = [
            b"plain",
            b"",
            b"\"a,b\"",
            b"\"\"",
            b"\"say \"\"hi\"\", x\"",
            b"a\"b",
            b"\"open",
            b"\"x\"y",
            b"\"\"\"\"",
            b"\"a\r\"",
            b"\"a\"\r",
            b"\"\"\"q\"",
            b"EX\\Relay",
            b"\"2024-01-01T00:00:00.000Z\"",
        ];
        let mut split_lines = 0;
        for _round in 0..4000 {
            let mut data = Vec::new();
            for _ in 0..(1 + next(5)) {
                data.extend_from_slice(if next(6) == 0 {
                    b"x".as_slice()
                } else {
                    b"2024-01-01T00:00:00.000Z".as_slice()
                });
                let fields = 8 + next(3) - 1;
                for _ in 0..fields {
                    data.push(b',');
                    data.extend_from_slice(pieces[next(pieces.len() as u64) as usize]);
                }
                data.extend_from_slice(if next(2) == 0 { b"\r\n" } else { b"\n" });
            }
            if next(4) == 0 {
                data.pop();
            }
            let fields = |r: Row| {
                (0..FIELD_COUNT)
                    .map(|i| r.get(i).to_vec())
                    .collect::<Vec<_>>()
            };
            for_each_line(&data, |l: &Line| {
                let want = Row::parse(l.text).map(fields);
                assert_eq!(
                    l.row().map(fields),
                    want,
                    "{:?}",
                    String::from_utf8_lossy(l.text)
                );
                if l.is_split()
                    && let Ok(want) = &want
                {
                    split_lines += 1;
                    for (i, w) in want.iter().enumerate() {
                        let f = l.field(i);
                        let f = match f.strip_prefix(b"\"") {
                            Some(inner) => inner[..inner.len() - 1].to_vec(),
                            None => f.to_vec(),
                        };
                        let undone = String::from_utf8_lossy(&f).replace("\"\"", "\"");
                        assert_eq!(undone.as_bytes(), w.as_slice());
                    }
                }
            });
        }
        assert!(split_lines > 150, "only {split_lines} split lines");
    }
}
