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
    pub fn new(text: &[u8]) -> Stamp {
        let n = text.len().min(Stamp::MAX);
        let mut buf = [0; Stamp::MAX];
        buf[..n].copy_from_slice(&text[..n]);
        Stamp { len: n as u8, buf }
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
    }
}
