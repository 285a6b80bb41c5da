//! The encodings PowerShell writes a CSV in, to text.
//!
//! Windows PowerShell 5.1: `Export-Csv` writes ASCII unless told otherwise
//! (`?` for every letter outside it), `-Encoding UTF8` writes a BOM,
//! `-Encoding Unicode` and `>` write UTF-16 LE with a BOM
//! (`-Encoding BigEndianUnicode` the same big-endian). PowerShell 7 writes
//! UTF-8 without a BOM.

/// How a file was encoded, as far as its bytes tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// No BOM, and every byte below 0x80: ASCII, or UTF-8 of ASCII text.
    Ascii,
    /// No BOM, with bytes above 0x7F.
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

/// A file's text, and where it stopped being what it claims.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) text: String,
    pub(crate) encoding: Encoding,
    /// A file without BOM that is not UTF-8 (an ANSI code page export):
    /// the line of its first bad byte. The text has U+FFFD there.
    pub(crate) not_utf8_line: Option<u64>,
    /// A UTF-16 file that cannot be decoded: the line where it fails, and
    /// why. The text holds what came before.
    pub(crate) bad_utf16: Option<(u64, &'static str)>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes `bytes`, never failing: problems are recorded in the result
/// (a caller reading a whole file makes them errors or warnings, one
/// sniffing the first bytes ignores a cut at the end).
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, Encoding::Utf16Le, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, Encoding::Utf16Be, u16::from_be_bytes);
    }
    let (rest, bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let encoding = match (bom, rest.is_ascii()) {
        (true, _) => Encoding::Utf8Bom,
        (false, true) => Encoding::Ascii,
        (false, false) => Encoding::Utf8,
    };
    match std::str::from_utf8(rest) {
        Ok(text) => Decoded {
            text: text.to_string(),
            encoding,
            not_utf8_line: None,
            bad_utf16: None,
        },
        Err(e) => Decoded {
            text: String::from_utf8_lossy(rest).into_owned(),
            encoding,
            not_utf8_line: Some(line_at(&rest[..e.valid_up_to()])),
            bad_utf16: None,
        },
    }
}

/// The 1-based line that starts after `before`.
fn line_at(before: &[u8]) -> u64 {
    bytecount::count(before, b'\n') as u64 + 1
}

fn utf16(bytes: &[u8], encoding: Encoding, unit: fn([u8; 2]) -> u16) -> Decoded {
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut bad_utf16 = None;
    let mut lines = 1;
    for c in char::decode_utf16(pairs.map(|p| unit([p[0], p[1]]))) {
        match c {
            Ok(c) => {
                lines += u64::from(c == '\n');
                text.push(c);
            }
            Err(_) => {
                bad_utf16 = Some((lines, "invalid UTF-16 (a lone surrogate)"));
                break;
            }
        }
    }
    if odd && bad_utf16.is_none() {
        bad_utf16 = Some((lines, "invalid UTF-16 (an odd number of bytes: cut short?)"));
    }
    Decoded {
        text,
        encoding,
        not_utf8_line: None,
        bad_utf16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn each_encoding_gives_the_same_text() {
        let s = "\"Identity\"\r\n\"EX01\\Client Frontend Évry 😀\"\r\n";
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
        let bom = [UTF8_BOM, s.as_bytes()].concat();
        for (bytes, enc) in [
            (s.as_bytes().to_vec(), Encoding::Utf8),
            (bom, Encoding::Utf8Bom),
            (utf16le(s), Encoding::Utf16Le),
            (be, Encoding::Utf16Be),
        ] {
            let d = decode(&bytes);
            assert_eq!((d.text.as_str(), d.encoding), (s, enc));
            assert_eq!((d.not_utf8_line, d.bad_utf16), (None, None));
        }
        assert_eq!(decode(b"\"Identity\"\r\n").encoding, Encoding::Ascii);
    }

    #[test]
    fn a_lone_surrogate_is_reported_with_its_line() {
        // Lines 1 and 2 end with LF; line 3 holds an unpaired high surrogate.
        let mut bytes = utf16le("a\nb\nc");
        bytes.extend([0x00, 0xD8, b'd', 0]);
        let d = decode(&bytes);
        assert_eq!(d.bad_utf16.map(|b| b.0), Some(3));
        assert_eq!(d.text, "a\nb\nc");
    }

    #[test]
    fn an_odd_byte_count_is_reported() {
        let mut bytes = utf16le("a\r\nb");
        bytes.push(b'x');
        let d = decode(&bytes);
        assert_eq!(d.bad_utf16.map(|b| b.0), Some(2));
        assert_eq!(d.text, "a\r\nb");
    }

    #[test]
    fn ansi_bytes_give_the_line_of_the_first() {
        // 0xE9 is "é" in Windows-1252, not UTF-8; it is on line 2.
        let d = decode(b"\"Identity\"\n\"EX01\\R\xE9ception\"\n");
        assert_eq!(d.not_utf8_line, Some(2));
        assert_eq!(d.encoding, Encoding::Utf8);
        assert!(d.text.contains("R\u{FFFD}ception"));
    }
}
