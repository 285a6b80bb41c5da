//! IIS W3C extended logs with the TLS custom fields (`crypt-protocol`,
//! `crypt-cipher`, `crypt-hash`, `crypt-keyexchange`; see
//! `docs/log-format.md` §6). Space-separated fields, `-` for empty, named
//! by the latest `#Fields:` line (which may change mid-file).

use crate::parse::masks::{self, BLOCK, masks_at};
use crate::parse::tls::Version;

/// A file that starts like an IIS W3C log: its `#Software:` line, or a
/// `#Fields:` line naming `cs-uri-stem`, in its first 8 KiB.
pub(crate) fn is_iis(data: &[u8]) -> bool {
    let head = &data[..data.len().min(8192)];
    let head = head.strip_prefix(crate::parse::BOM).unwrap_or(head);
    head.split(|&b| b == b'\n').any(|l| {
        l.starts_with(b"#Software: Microsoft Internet Information Services")
            || (l.starts_with(b"#Fields:")
                && memchr::memmem::find(&l.to_ascii_lowercase(), b"cs-uri-stem").is_some())
    })
}

/// Where the fields exlog uses sit in a row, from a `#Fields:` line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub date: Option<usize>,
    pub time: Option<usize>,
    pub uri_stem: Option<usize>,
    pub username: Option<usize>,
    pub client_ip: Option<usize>,
    pub user_agent: Option<usize>,
    pub original_ip: Option<usize>,
    /// `crypt-protocol`: the other crypt-* fields are not read.
    pub protocol: Option<usize>,
    /// The index of the last field used (set by [`Fields::parse`]): rows
    /// are split no further.
    pub last: usize,
}

impl Fields {
    /// Reads a `#Fields:` line (without the prefix). Names match without
    /// regard to case, as IIS writes them as configured.
    pub(crate) fn parse(names: &[u8]) -> Fields {
        let mut f = Fields::default();
        for (i, name) in names
            .split(|&b| b == b' ')
            .filter(|n| !n.is_empty())
            .enumerate()
        {
            let name = name.trim_ascii().to_ascii_lowercase();
            let slot = match &name[..] {
                b"date" => &mut f.date,
                b"time" => &mut f.time,
                b"cs-uri-stem" => &mut f.uri_stem,
                b"cs-username" => &mut f.username,
                b"c-ip" => &mut f.client_ip,
                b"cs(user-agent)" => &mut f.user_agent,
                b"originalclientip" => &mut f.original_ip,
                b"crypt-protocol" => &mut f.protocol,
                _ => continue,
            };
            *slot = Some(i);
        }
        f.last = f.last_used();
        f
    }

    /// The index of the last field used.
    fn last_used(&self) -> usize {
        [
            self.date,
            self.time,
            self.uri_stem,
            self.username,
            self.client_ip,
            self.user_agent,
            self.original_ip,
            self.protocol,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }

    /// The TLS fields are logged: the log can answer the question.
    pub(crate) fn has_crypt(&self) -> bool {
        self.protocol.is_some()
    }
}

/// One request, as the fields of its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    /// `yyyy-MM-ddTHH:mm:ss.000Z`, made from `date` and `time`.
    pub stamp: [u8; 24],
    pub uri_stem: &'a [u8],
    pub username: &'a [u8],
    /// `OriginalClientIP` when logged (the client behind a load balancer),
    /// else `c-ip`.
    pub client_ip: &'a [u8],
    pub user_agent: &'a [u8],
    /// From `crypt-protocol`: `None` for plain HTTP (`-`).
    pub version: Option<Version>,
}

/// Fields past this are not looked at (IIS custom fields total 64 KB,
/// but exlog's come first in every layout seen).
const MAX_FIELDS: usize = 64;

/// Slots of [`Starts`]: a field start for each field and one past the
/// last, plus [`GROUP`] of slack that the splitter may write past them.
const SLOTS: usize = MAX_FIELDS + 1 + GROUP;

/// Spaces the splitter takes out of a mask at a time, without a branch
/// per space.
const GROUP: usize = 8;

/// `-` (IIS's empty) as empty.
fn value(v: &[u8]) -> &[u8] {
    if v == b"-" { b"" } else { v }
}

/// Where each field of a row starts, up to the last one used (field i is
/// `starts[i]..starts[i + 1] - 1`): kept by the caller across rows, so
/// no row pays for clearing it.
pub(crate) struct Starts {
    at: [u32; SLOTS],
    /// The CPU has AVX2, BMI1 and POPCNT: asked once here rather than on
    /// every row.
    avx2: bool,
}

impl Default for Starts {
    fn default() -> Starts {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("popcnt");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        Starts {
            at: [0; SLOTS],
            avx2,
        }
    }
}

/// Where the line that starts at `start` of `data` ends: the index of its
/// `\n`, or `data.len()`. A block of 64 bytes at a time (AVX2 where
/// `starts` found it), in one call per line: cheaper than a `memchr` call
/// per line, whose setup is most of its cost on lines of 200 bytes.
pub(crate) fn line_end(data: &[u8], start: usize, starts: &Starts) -> usize {
    #[cfg(target_arch = "x86_64")]
    if starts.avx2 {
        // SAFETY: the CPU has AVX2 and BMI1 (`Starts` asked it).
        return unsafe { line_end_avx2(data, start) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = starts;
    line_end_by(data, start, masks::masks)
}

/// [`line_end`] with AVX2 masks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,popcnt")]
unsafe fn line_end_avx2(data: &[u8], start: usize) -> usize {
    line_end_by(data, start, |b, c| {
        // SAFETY: this function only runs where AVX2 is available.
        unsafe { masks::masks_avx2(b, c) }
    })
}

#[inline(always)]
fn line_end_by(
    data: &[u8],
    start: usize,
    scan: impl Fn(&[u8; BLOCK], [u8; 1]) -> [u64; 1],
) -> usize {
    let mut base = start;
    while base < data.len() {
        let [newlines] = masks_at(data, base, [b'\n'], &scan);
        if newlines != 0 {
            return base + newlines.trailing_zeros() as usize;
        }
        base += BLOCK;
    }
    data.len()
}

/// Splits a data row by `fields` (using the caller's `starts`); `None` if
/// it has too few fields or no date and time. Inlined into the scan: a
/// returned `Request` would be copied with a `memcpy` call per row.
#[inline(always)]
pub(crate) fn request<'a>(line: &'a [u8], f: &Fields, starts: &mut Starts) -> Option<Request<'a>> {
    let want = f.last.min(MAX_FIELDS - 1);
    let n = split_fields(line, want, &mut starts.at, starts.avx2);
    let starts = &starts.at;
    // A field the layout lacks, or the row is too short for, is empty
    // (so a missing date or time fails the length check below).
    let get = |i: Option<usize>| match i {
        Some(i) if i < n => value(&line[starts[i] as usize..starts[i + 1] as usize - 1]),
        _ => b"",
    };
    let (date, time) = (get(f.date), get(f.time));
    if date.len() != 10 || time.len() != 8 {
        return None;
    }
    let mut stamp = *b"0000-00-00T00:00:00.000Z";
    stamp[..10].copy_from_slice(date);
    stamp[11..19].copy_from_slice(time);
    let original = get(f.original_ip);
    let client_ip = if original.is_empty() {
        get(f.client_ip)
    } else {
        original
    };
    Some(Request {
        stamp,
        uri_stem: get(f.uri_stem),
        username: get(f.username),
        client_ip,
        user_agent: get(f.user_agent),
        version: protocol_version(get(f.protocol)),
    })
}

/// Splits `line` at its spaces through field `want`: writes where each
/// field starts into `starts` (and one past the last field's end, as if a
/// space followed it) and returns the field count (at most `want + 1`).
/// Every request row passes here: 64 bytes at a time, one bit per space
/// ([`masks`]: AVX2 where the CPU has it), rather than a search per field.
/// `avx2`: the CPU has AVX2, BMI1 and POPCNT ([`Starts`] asks).
#[inline(always)]
fn split_fields(line: &[u8], want: usize, starts: &mut [u32; SLOTS], avx2: bool) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the CPU has AVX2, BMI1 and POPCNT (the caller asked it).
        return unsafe { split_fields_avx2(line, want, starts) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    split_fields_by(line, want, starts, masks::masks)
}

/// [`split_fields`] with AVX2 masks (and BMI1 and POPCNT for the bit
/// arithmetic).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,popcnt")]
unsafe fn split_fields_avx2(line: &[u8], want: usize, starts: &mut [u32; SLOTS]) -> usize {
    split_fields_by(line, want, starts, |b, c| {
        // SAFETY: this function only runs where AVX2 is available.
        unsafe { masks::masks_avx2(b, c) }
    })
}

/// The splitter itself, with the mask function as a parameter so that it
/// is inlined into each instruction-set variant. A row has about twenty
/// spaces: they are taken [`GROUP`] at a time, each written whether or not
/// the mask still has it (the extra ones land in slots the caller does not
/// read: past the field count, or the slack), and `want` is checked once
/// a group rather than once a space.
#[inline(always)]
fn split_fields_by(
    line: &[u8],
    want: usize,
    starts: &mut [u32; SLOTS],
    scan: impl Fn(&[u8; BLOCK], [u8; 1]) -> [u64; 1],
) -> usize {
    let mut n = 0;
    let mut base = 0;
    while base < line.len() {
        let [mut spaces] = masks_at(line, base, [b' '], &scan);
        let mut left = spaces.count_ones() as usize;
        while left > 0 {
            // n <= want <= MAX_FIELDS - 1 here, so the group fits in SLOTS.
            let group: &mut [u32; GROUP] = (&mut starts[n + 1..n + 1 + GROUP])
                .try_into()
                .expect("GROUP slots");
            let after = base as u32 + 1;
            for slot in group {
                // An empty mask gives 64: a slot past the spaces found.
                *slot = after + spaces.trailing_zeros();
                spaces &= spaces.wrapping_sub(1);
            }
            let taken = left.min(GROUP);
            n += taken;
            left -= taken;
            if n > want {
                return want + 1;
            }
        }
        base += BLOCK;
    }
    starts[n + 1] = line.len() as u32 + 1;
    n + 1
}

/// Seconds since 1970 of request times (`yyyy-MM-ddTHH:mm:ss.000Z`, as
/// [`request`] makes them): the date is turned into days once per date,
/// not once per request.
#[derive(Default)]
pub(crate) struct Seconds {
    date: [u8; 10],
    day: Option<i64>,
}

impl Seconds {
    /// As `stamp::millis(stamp) / 1000`, `None` where that is `None`.
    #[inline]
    pub(crate) fn of(&mut self, stamp: &[u8; 24]) -> Option<i64> {
        let tod = time_of_day(stamp[11..19].try_into().expect("8 bytes"))?;
        // The date as two words, not a `memcmp` call per request.
        let date = |d: &[u8]| {
            let word = u64::from_le_bytes(d[..8].try_into().expect("8 bytes"));
            (word, u16::from_le_bytes([d[8], d[9]]))
        };
        if self.day.is_none() || date(stamp) != date(&self.date) {
            let ms = crate::parse::stamp::millis(stamp)?;
            self.date.copy_from_slice(&stamp[..10]);
            self.day = Some(ms.div_euclid(1000) - tod);
        }
        Some(self.day? + tod)
    }
}

/// Seconds into the day of `HH:mm:ss` (hours to 23, minutes to 59,
/// seconds to 60), checked as one word: six digits and two colons.
fn time_of_day(hms: &[u8; 8]) -> Option<i64> {
    const DIGITS: u64 = 0xFFFF_00FF_FF00_FFFF;
    const COLONS: u64 = 0x0000_3A00_003A_0000;
    let w = u64::from_le_bytes(*hms);
    // A byte is a digit when its high half is 3 and adding 6 leaves it 3
    // (no carry crosses a byte that passed the first test).
    let is_digits = w & DIGITS & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030 & DIGITS
        && w.wrapping_add(0x0606_0606_0606_0606) & DIGITS & 0xF0F0_F0F0_F0F0_F0F0
            == 0x3030_3030_3030_3030 & DIGITS;
    if !is_digits || w & !DIGITS != COLONS {
        return None;
    }
    let two = |i: usize| i64::from(hms[i] - b'0') * 10 + i64::from(hms[i + 1] - b'0');
    let (h, m, s) = (two(0), two(3), two(6));
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(h * 3600 + m * 60 + s)
}

/// `crypt-protocol` (bare hex SP_PROT_* flags) as a version; `other` for a
/// value it does not name, `None` for plain HTTP.
#[inline]
pub(crate) fn protocol_version(hex: &[u8]) -> Option<Version> {
    // The values IIS writes for TLS 1.0 to 1.3 (server side), without a
    // number parse on every request.
    match hex {
        b"" => return None,
        b"40" => return Some(Version::Tls10),
        b"100" => return Some(Version::Tls11),
        b"400" => return Some(Version::Tls12),
        b"1000" => return Some(Version::Tls13),
        _ => {}
    }
    let v = std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok());
    Some(match v {
        Some(0x4 | 0x8) => Version::Ssl2,
        Some(0x10 | 0x20) => Version::Ssl3,
        Some(0x40 | 0x80) => Version::Tls10,
        Some(0x100 | 0x200) => Version::Tls11,
        Some(0x400 | 0x800) => Version::Tls12,
        Some(0x1000 | 0x2000) => Version::Tls13,
        _ => Version::Other,
    })
}

/// The Exchange applications of the `http-app` report, by the first
/// segment of the URI stem (any case).
pub(crate) const APPS: [&str; 9] = [
    "/owa",
    "/ecp",
    "/Microsoft-Server-ActiveSync",
    "/EWS",
    "/autodiscover",
    "/mapi",
    "/rpc",
    "/oab",
    "/powershell",
];

/// The application of a URI stem, by its first segment (any case), as an
/// index into [`APPS`] (`APPS.len()` for `other`): every request passes
/// here, so the stem's second byte picks the one or two names that start
/// with it, and only those are compared, without looking for the
/// segment's end first.
pub(crate) fn app_index(uri_stem: &[u8]) -> usize {
    let mut names = APPS_BY_SECOND_BYTE[usize::from(uri_stem.get(1).copied().unwrap_or(0))];
    while names != 0 {
        let i = names.trailing_zeros() as usize;
        // The first segment is the name when the stem starts with it and
        // a `/` or the end follows (names have no `/` past their first).
        let n = APPS[i].len();
        if let Some(head) = uri_stem.get(..n)
            && uri_stem.get(n).is_none_or(|&b| b == b'/')
            && is_name(head, &APPS_FOLDED[i])
        {
            return i;
        }
        names &= names - 1;
    }
    APPS.len()
}

/// Longest of [`APPS`], in bytes.
const APP_MAX: usize = 32;

/// Each of [`APPS`] in lower case, and `0x20` where it has a letter (the
/// bit that tells the cases apart), padded with zeros.
const APPS_FOLDED: [([u8; APP_MAX], [u8; APP_MAX]); APPS.len()] = {
    let mut folded = [([0u8; APP_MAX], [0u8; APP_MAX]); APPS.len()];
    let mut i = 0;
    while i < APPS.len() {
        let name = APPS[i].as_bytes();
        let mut j = 0;
        while j < name.len() {
            folded[i].0[j] = name[j].to_ascii_lowercase();
            if name[j].is_ascii_alphabetic() {
                folded[i].1[j] = 0x20;
            }
            j += 1;
        }
        i += 1;
    }
    folded
};

/// `head.eq_ignore_ascii_case(name)` for a name of [`APPS_FOLDED`] as long
/// as `head` (4 bytes or more), eight bytes at a time: a byte of `head`
/// with the case bit set where the name has a letter is the name's lower
/// case byte only if it is that letter in either case, or the same
/// non-letter byte. The last word overlaps the one before.
fn is_name(head: &[u8], (lower, letters): &([u8; APP_MAX], [u8; APP_MAX])) -> bool {
    let n = head.len();
    if n < 8 {
        let at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        return [0, n - 4]
            .iter()
            .all(|&i| at(head, i) | at(letters, i) == at(lower, i));
    }
    let at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let same = |i: usize| at(head, i) | at(letters, i) == at(lower, i);
    let mut i = 0;
    while i + 8 < n {
        if !same(i) {
            return false;
        }
        i += 8;
    }
    same(n - 8)
}

/// For each byte, the [`APPS`] (a bit each) whose second byte it is in
/// either case.
const APPS_BY_SECOND_BYTE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < APPS.len() {
        let b = APPS[i].as_bytes()[1];
        table[b.to_ascii_lowercase() as usize] |= 1 << i;
        table[b.to_ascii_uppercase() as usize] |= 1 << i;
        i += 1;
    }
    table
};

/// The name of an [`app_index`].
pub(crate) fn app_name(index: usize) -> &'static str {
    APPS.get(index).copied().unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(uri_stem: &[u8]) -> &'static str {
        app_name(app_index(uri_stem))
    }

    /// `app_index` is the first segment's match, any case, against each
    /// name: written out here by splitting at `/`, on stems that hit,
    /// nearly hit and miss every name.
    #[test]
    fn app_index_is_the_first_segment_in_any_case() {
        let reference = |stem: &[u8]| {
            let first = match stem.iter().skip(1).position(|&b| b == b'/') {
                Some(i) => &stem[..=i],
                None => stem,
            };
            let first = String::from_utf8_lossy(first).to_lowercase();
            APPS.iter()
                .position(|a| a.to_lowercase() == first)
                .unwrap_or(APPS.len())
        };
        let mut stems: Vec<Vec<u8>> = [
            "",
            "/",
            "//",
            "owa",
            "/owa2",
            "/ow",
            "/ow\u{e1}",
            "/favicon.ico",
            "/owa\u{0}",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        for name in APPS {
            for variant in [name.to_string(), name.to_uppercase(), name.to_lowercase()] {
                for tail in ["", "/", "/x/y.aspx", "x", "/\u{e9}"] {
                    stems.push(format!("{variant}{tail}").into_bytes());
                }
                // One letter off: `@` and `[` sit next to `A` and `Z`.
                stems.push(variant.replacen('o', "@", 1).into_bytes());
            }
        }
        let mut found = [0; APPS.len() + 1];
        for stem in &stems {
            let want = reference(stem);
            assert_eq!(app_index(stem), want, "{:?}", String::from_utf8_lossy(stem));
            found[want] += 1;
        }
        assert!(found.iter().all(|&n| n > 0), "{found:?}");
    }

    /// `app_index` as it was (the first segment found byte by byte, then
    /// compared with each name of its length): the reference.
    fn app_index_before(uri_stem: &[u8]) -> usize {
        let first = uri_stem
            .iter()
            .skip(1)
            .position(|&b| b == b'/')
            .map_or(uri_stem, |i| &uri_stem[..i + 1]);
        APPS.iter()
            .position(|a| a.len() == first.len() && a.as_bytes().eq_ignore_ascii_case(first))
            .unwrap_or(APPS.len())
    }

    /// Every name in random case, alone, with a trailing `/`, with more
    /// segments, and near misses (one byte longer, shorter, changed, the
    /// `/` left out or doubled, bytes next to letters in the case bit),
    /// against the function before the second-byte table.
    #[test]
    fn app_index_agrees_with_the_segment_search() {
        let mut rng = exlog_gen::Rng::new(27, 3);
        let mut found = [0usize; APPS.len() + 1];
        let odd = [b'@', b'[', b'`', b'{', b'/', b'\\', 0x0F, 0xC1, b'-', b'0'];
        for _ in 0..200 {
            for name in APPS {
                let cased: Vec<u8> = name
                    .bytes()
                    .map(|b| {
                        if rng.below(2) == 0 {
                            b.to_ascii_uppercase()
                        } else {
                            b.to_ascii_lowercase()
                        }
                    })
                    .collect();
                let mut stems = vec![
                    cased.clone(),
                    cased[..cased.len() - 1].to_vec(),
                    cased[1..].to_vec(),
                ];
                for tail in [&b"/"[..], b"/x/y.aspx", b"x", b"//", b"/\xC3\xA9", b"."] {
                    stems.push([&cased[..], tail].concat());
                }
                let mut changed = cased.clone();
                let at = 1 + rng.below(changed.len() as u64 - 1) as usize;
                changed[at] = odd[rng.below(odd.len() as u64) as usize];
                stems.push(changed.clone());
                stems.push([&changed[..], b"/a"].concat());
                stems.push([b"/", &cased[..]].concat());
                for stem in &stems {
                    let want = app_index_before(stem);
                    assert_eq!(app_index(stem), want, "{:?}", String::from_utf8_lossy(stem));
                    found[want] += 1;
                }
            }
        }
        for stem in [&b""[..], b"/", b"//", b"o", b"/o", b"/O/", b"owa", b"\xFF"] {
            assert_eq!(app_index(stem), app_index_before(stem), "{stem:?}");
        }
        assert!(found.iter().all(|&n| n > 0), "{found:?}");
    }

    const FIELDS: &[u8] = b"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken crypt-protocol crypt-cipher crypt-hash crypt-keyexchange OriginalClientIP";
    const ROW: &[u8] = b"2021-03-03 23:59:55 10.10.1.103 POST /EWS/Exchange.asmx &CorrelationID=<empty>; 443 DOMAIN\\webmail 10.10.1.58 ExchangeServicesClient/15.00.0913.015 - 200 0 0 38 400 660e 800c ae06 -";

    #[test]
    fn a_request_by_its_field_names() {
        let f = Fields::parse(FIELDS);
        assert!(f.has_crypt());
        let r = request(ROW, &f, &mut Starts::default()).unwrap();
        assert_eq!(&r.stamp, b"2021-03-03T23:59:55.000Z");
        assert_eq!(r.version, Some(Version::Tls12));
        assert_eq!(r.client_ip, b"10.10.1.58");
        assert_eq!(r.username, b"DOMAIN\\webmail");
        assert_eq!(r.user_agent, b"ExchangeServicesClient/15.00.0913.015");
        assert_eq!(app(r.uri_stem), "/EWS");
        // OriginalClientIP, when logged, is the client.
        let behind = [&ROW[..ROW.len() - 1], b"192.0.2.5"].concat();
        assert_eq!(
            request(&behind, &f, &mut Starts::default())
                .unwrap()
                .client_ip,
            b"192.0.2.5"
        );
    }

    /// The block splitter against `split(' ')`, for every line length
    /// up to past two 64-byte blocks and every field limit.
    #[test]
    fn fields_split_at_spaces() {
        let line = b"a bb  ccc d eeeeeeeeeeeeeeeeeeee f g hh i j k l m n o p q r s t u v w x y z \
            0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv A B  C D E F";
        assert!(line.len() > 2 * 64);
        for len in 0..line.len() {
            let l = &line[..len];
            let all: Vec<&[u8]> = l.split(|&b| b == b' ').collect();
            // SSE2 (or the plain loop), and AVX2 where the CPU has it.
            for avx2 in [false, Starts::default().avx2] {
                for want in 0..30 {
                    let mut starts = [0u32; SLOTS];
                    let n = split_fields(l, want, &mut starts, avx2);
                    assert_eq!(n, all.len().min(want + 1), "{len} {want} {avx2}");
                    let parts: Vec<&[u8]> = (0..n)
                        .map(|i| &l[starts[i] as usize..starts[i + 1] as usize - 1])
                        .collect();
                    assert_eq!(&parts[..], &all[..n], "{len} {want} {avx2}");
                }
            }
        }
    }

    /// The splitter as it was before spaces were taken eight at a time:
    /// a byte at a time, the reference for the field count and starts.
    fn split_reference(line: &[u8], want: usize) -> (usize, Vec<u32>) {
        let mut starts = vec![0u32];
        for (i, &b) in line.iter().enumerate() {
            if b == b' ' {
                starts.push(i as u32 + 1);
                if starts.len() - 1 > want {
                    return (starts.len() - 1, starts);
                }
            }
        }
        starts.push(line.len() as u32 + 1);
        (starts.len() - 1, starts)
    }

    /// The grouped splitter returns what the byte-by-byte reference does,
    /// and writes the same starts, for every `want` of a row (0 to 63) on
    /// random lines of up to 300 bytes (past two and four 64-byte blocks):
    /// runs of spaces, leading and trailing ones, lines of only spaces and
    /// lines with more than 64 fields. `starts` is reused across lines, as
    /// the scan does, with stale values in it.
    #[test]
    fn grouped_split_matches_the_byte_reference() {
        let mut rng = exlog_gen::Rng::new(27, 2);
        let mut starts = [u32::MAX; SLOTS];
        starts[0] = 0;
        let mut long_rows = 0;
        for round in 0..3000 {
            let len = rng.below(300) as usize;
            // Space density from none to nearly all: runs and long fields.
            let density = rng.below(101);
            let line = letters_with(&mut rng, len, b' ', density, 100);
            long_rows += usize::from(line.iter().filter(|&&b| b == b' ').count() >= MAX_FIELDS);
            for avx2 in [false, Starts::default().avx2] {
                for want in 0..MAX_FIELDS {
                    let (n, reference) = split_reference(&line, want);
                    let got = split_fields(&line, want, &mut starts, avx2);
                    assert_eq!(got, n, "round {round} want {want} avx2 {avx2}");
                    assert_eq!(
                        &starts[..=n],
                        &reference[..],
                        "round {round} want {want} avx2 {avx2}"
                    );
                }
            }
        }
        assert!(long_rows > 100, "{long_rows} lines with 64 spaces or more");
    }

    #[test]
    fn seconds_agree_with_millis() {
        let mut cache = Seconds::default();
        for s in [
            "2021-03-03T23:59:55.000Z",
            "2021-03-03T23:59:56.000Z",
            "2021-03-04T00:00:00.000Z",
            "2021-03-04T24:00:00.000Z",
            "2021-03-04T00:60:00.000Z",
            "2021-03-04T00:00:60.000Z",
            "2021-13-04T00:00:00.000Z",
            "2021-03-04T0a:00:00.000Z",
            "2021-03-04T00:00:01.000Z",
            "1969-12-31T23:59:59.000Z",
        ] {
            let stamp: &[u8; 24] = s.as_bytes().try_into().unwrap();
            let want = crate::parse::stamp::millis(stamp).map(|ms| ms.div_euclid(1000));
            assert_eq!(cache.of(stamp), want, "{s}");
        }
    }

    /// The word check of the time of day against `stamp::millis`: every
    /// value of each byte of `HH:mm:ss` in turn, and every hour and second
    /// from 00 to 99 with minutes at the edges, over two dates.
    #[test]
    fn seconds_agree_with_millis_for_every_time_byte() {
        let mut cache = Seconds::default();
        let mut check = |s: [u8; 24]| {
            let want = crate::parse::stamp::millis(&s).map(|ms| ms.div_euclid(1000));
            assert_eq!(cache.of(&s), want, "{:?}", String::from_utf8_lossy(&s));
            want.is_some()
        };
        let mut valid = 0;
        for date in [b"2021-03-04", b"2024-02-29"] {
            let mut base = *b"2021-03-04T12:34:56.000Z";
            base[..10].copy_from_slice(date);
            for at in 11..19 {
                for b in 0..=255u8 {
                    let mut s = base;
                    s[at] = b;
                    valid += usize::from(check(s));
                }
            }
            for h in 0..100 {
                for m in [0, 59, 60] {
                    for sec in 0..100 {
                        let mut s = base;
                        s[11..19].copy_from_slice(format!("{h:02}:{m:02}:{sec:02}").as_bytes());
                        valid += usize::from(check(s));
                    }
                }
            }
        }
        // Per date, from 12:34:56 one byte at a time: hour tens 0-2 (3),
        // hour ones (10), the colon (1), minute tens 0-5 (6), minute ones
        // (10), the colon (1), second tens 0-5 (6: 66 is past 60), second
        // ones (10); then 24 hours x 2 minutes (60 is not one) x 61
        // seconds (00 to 60).
        assert_eq!(
            valid,
            2 * ((3 + 10 + 1 + 6 + 10 + 1 + 6 + 10) + 24 * 2 * 61)
        );
    }

    /// `len` random lowercase letters, each one `special` instead with a
    /// chance of `per` in `of`.
    fn letters_with(
        rng: &mut exlog_gen::Rng,
        len: usize,
        special: u8,
        per: u64,
        of: u64,
    ) -> Vec<u8> {
        (0..len)
            .map(|_| {
                if rng.below(of) < per {
                    special
                } else {
                    b'a' + rng.below(26) as u8
                }
            })
            .collect()
    }

    /// `line_end` finds what `memchr` finds, from every start of random
    /// data (lines of 0 to 300 bytes, blank ones, none at the end, data
    /// shorter than a block), with and without AVX2.
    #[test]
    fn line_end_is_the_next_newline() {
        let mut rng = exlog_gen::Rng::new(27, 4);
        for round in 0..300 {
            let len = rng.below(700) as usize;
            let per_mille = [0, 2, 5, 30, 500][round % 5];
            let data = letters_with(&mut rng, len, b'\n', per_mille, 1000);
            for start in 0..=len {
                let want = memchr::memchr(b'\n', &data[start..]).map_or(len, |i| start + i);
                for avx2 in [false, Starts::default().avx2] {
                    let starts = Starts {
                        avx2,
                        ..Starts::default()
                    };
                    assert_eq!(
                        line_end(&data, start, &starts),
                        want,
                        "round {round} start {start} avx2 {avx2}"
                    );
                }
            }
        }
    }

    #[test]
    fn iis_files_by_name_and_head() {
        assert!(crate::input::is_iis_name("u_ex210304.log"));
        assert!(crate::input::is_iis_name("u_ex210304_x.log"));
        assert!(!crate::input::is_iis_name("RECV2024030810-1.LOG"));
        assert!(is_iis(
            b"#Date: 2021-03-04 00:00:03\r\n#Fields: date time cs-uri-stem c-ip\r\n"
        ));
        assert!(is_iis(
            b"\xEF\xBB\xBF#Software: Microsoft Internet Information Services 10.0\n"
        ));
        assert!(!is_iis(
            b"#Software: Microsoft Exchange Server\r\n#Fields: date-time,connector-id\r\n"
        ));
    }

    #[test]
    fn versions_apps_and_missing_fields() {
        for (hex, v) in [
            (&b"40"[..], Some(Version::Tls10)),
            (b"80", Some(Version::Tls10)),
            (b"200", Some(Version::Tls11)),
            (b"2000", Some(Version::Tls13)),
            (b"10", Some(Version::Ssl3)),
            (b"7", Some(Version::Other)),
            (b"", None),
        ] {
            assert_eq!(protocol_version(hex), v, "{hex:?}");
        }
        assert_eq!(
            app(b"/Microsoft-Server-ActiveSync/default.eas"),
            "/Microsoft-Server-ActiveSync"
        );
        assert_eq!(app(b"/owa/"), "/owa");
        assert_eq!(app(b"/OWA"), "/owa");
        assert_eq!(app(b"/autodiscover/autodiscover.xml"), "/autodiscover");
        assert_eq!(app(b"/favicon.ico"), "other");
        assert!(!Fields::parse(b"date time cs-uri-stem c-ip").has_crypt());
        assert_eq!(
            request(
                b"2021-03-03 23:59",
                &Fields::parse(FIELDS),
                &mut Starts::default()
            ),
            None
        );
    }
}
