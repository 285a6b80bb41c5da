//! Record times kept as the text the log wrote.

/// A `date-time` value kept inline: rows are ISO text of fixed width, so
/// byte order is time order and no allocation is needed per update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    len: u8,
    buf: [u8; Stamp::MAX],
}

impl Stamp {
    /// Longest time text a row may carry (checked by the row splitter).
    pub const MAX: usize = 40;

    /// `text` is at most [`Stamp::MAX`] bytes for a row that parsed; longer
    /// text is cut.
    #[inline]
    pub fn new(text: &[u8]) -> Stamp {
        let mut buf = [0; Stamp::MAX];
        // Exchange always writes 24 bytes: a fixed-size copy, no call.
        if let Ok(t) = <&[u8; 24]>::try_from(text) {
            buf[..24].copy_from_slice(t);
            return Stamp { len: 24, buf };
        }
        let n = text.len().min(Stamp::MAX);
        buf[..n].copy_from_slice(&text[..n]);
        Stamp { len: n as u8, buf }
    }

    /// Compares with time text as it stands in a row (`self` vs `text`).
    #[inline]
    pub fn cmp_text(&self, text: &[u8]) -> std::cmp::Ordering {
        // The usual 24-byte form: three big-endian words, no call.
        if self.len == 24
            && let Ok(t) = <&[u8; 24]>::try_from(text)
        {
            let word =
                |b: &[u8], i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            return (word(&self.buf, 0), word(&self.buf, 8), word(&self.buf, 16)).cmp(&(
                word(t, 0),
                word(t, 8),
                word(t, 16),
            ));
        }
        self.as_bytes().cmp(text)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// The UTC day, `yyyy-MM-dd`.
    pub fn day(&self) -> [u8; 10] {
        let mut d = [b'?'; 10];
        let n = (self.len as usize).min(10);
        d[..n].copy_from_slice(&self.buf[..n]);
        d
    }
}

// Order by text (ISO time stamps sort as time), not by the derived field order.
impl Ord for Stamp {
    fn cmp(&self, other: &Stamp) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Stamp {
    fn partial_cmp(&self, other: &Stamp) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_time_and_gives_the_day() {
        let a = Stamp::new(b"2024-03-08T10:00:00.000Z");
        let b = Stamp::new(b"2024-03-08T10:00:00.001Z");
        assert!(a < b);
        assert_eq!(&a.day(), b"2024-03-08");
        assert_eq!(Stamp::new(&[b'9'; 50]).as_bytes().len(), Stamp::MAX);
        use std::cmp::Ordering::*;
        for (x, y) in [
            ("2024-03-08T10:00:00.000Z", "2024-03-08T10:00:00.001Z"),
            ("2024-03-08T10:00:00.000Z", "2024-03-08T10:00:00.000Z"),
            ("2024-03-09T00:00:00.000Z", "2024-03-08T23:59:59.999Z"),
            ("2024-03-08T10:00:00Z", "2024-03-08T10:00:00.000Z"),
        ] {
            let want = x.as_bytes().cmp(y.as_bytes());
            assert_eq!(
                Stamp::new(x.as_bytes()).cmp_text(y.as_bytes()),
                want,
                "{x} {y}"
            );
            assert!(matches!(want, Less | Equal | Greater));
        }
    }
}
