//! How counts are written into a partial result (`--format json`) and
//! read back by `exlog merge`: serde adapters for what JSON has no form of.
//!
//! - Log bytes are a JSON string when they are UTF-8 (nearly always), else
//!   an array of byte values: exact either way.
//! - Maps are arrays of `[key, value]` pairs sorted by key (JSON object
//!   keys must be strings, and hash order would make the output depend on
//!   the thread count).

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// A map keyed by log bytes.
pub(crate) type BytesMap<V, H> = HashMap<Box<[u8]>, V, H>;
/// Pairs as written: (log bytes, value).
type Pairs<V> = Vec<(Owned, V)>;
/// A list of (log bytes, count).
type Counts = Vec<(Box<[u8]>, u64)>;

/// Log bytes, written.
pub(crate) struct Text<'a>(pub &'a [u8]);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_seq(self.0),
        }
    }
}

/// Log bytes, read back.
pub(crate) struct Owned(pub Box<[u8]>);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor of its own, not an untagged enum: that would buffer
        // every value before trying each form (a state holds millions).
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Owned;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of byte values")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Owned, E> {
                Ok(Owned(v.as_bytes().into()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Owned, E> {
                Ok(Owned(v.into_bytes().into_boxed_slice()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Owned, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Owned(out.into_boxed_slice()))
            }
        }
        d.deserialize_any(Bytes)
    }
}

/// `#[serde(with)]` for a `Box<[u8]>` field.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        Text(v).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u8]>, D::Error> {
        Owned::deserialize(d).map(|o| o.0)
    }
}

/// `#[serde(with)]` for an `Option<Box<[u8]>>` field.
pub(crate) mod opt_bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<Box<[u8]>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_deref().map(Text).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Box<[u8]>>, D::Error> {
        Ok(Option::<Owned>::deserialize(d)?.map(|o| o.0))
    }
}

/// `#[serde(with)]` for a `Vec<Box<[u8]>>` field (kept in its order).
pub(crate) mod bytes_list {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[Box<[u8]>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|b| Text(b)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Box<[u8]>>, D::Error> {
        Ok(Vec::<Owned>::deserialize(d)?
            .into_iter()
            .map(|o| o.0)
            .collect())
    }
}

/// `#[serde(with)]` for a set of log bytes (any collection of them).
pub(crate) mod byte_set {
    use super::*;

    pub(crate) fn serialize<'a, C, S>(set: &'a C, s: S) -> Result<S::Ok, S::Error>
    where
        &'a C: IntoIterator<Item = &'a Box<[u8]>>,
        S: Serializer,
    {
        let mut all: Vec<&[u8]> = set.into_iter().map(|b| &**b).collect();
        all.sort_unstable();
        s.collect_seq(all.into_iter().map(Text))
    }

    pub(crate) fn deserialize<'de, C, D>(d: D) -> Result<C, D::Error>
    where
        C: FromIterator<Box<[u8]>>,
        D: Deserializer<'de>,
    {
        let all: Vec<Owned> = Vec::deserialize(d)?;
        Ok(all.into_iter().map(|o| o.0).collect())
    }
}

/// `#[serde(with)]` for a list of (log bytes, count): sorted.
pub(crate) mod byte_counts {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &[(Box<[u8]>, u64)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut all: Vec<&(Box<[u8]>, u64)> = v.iter().collect();
        all.sort_unstable();
        s.collect_seq(all.into_iter().map(|(k, n)| (Text(k), n)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Counts, D::Error> {
        let all: Vec<(Owned, u64)> = Vec::deserialize(d)?;
        Ok(all.into_iter().map(|(k, n)| (k.0, n)).collect())
    }
}

/// A map keyed by log bytes, written as sorted pairs.
pub(crate) struct ByteMap<'a, V, H>(pub &'a HashMap<Box<[u8]>, V, H>);

impl<V: Serialize, H> Serialize for ByteMap<'_, V, H> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut all: Vec<(&Box<[u8]>, &V)> = self.0.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s.collect_seq(all.into_iter().map(|(k, v)| (Text(k), v)))
    }
}

/// Sorted pairs read back into a map keyed by log bytes.
pub(crate) fn byte_map_from<V, H: BuildHasher + Default>(
    pairs: Vec<(Owned, V)>,
) -> HashMap<Box<[u8]>, V, H> {
    pairs.into_iter().map(|(k, v)| (k.0, v)).collect()
}

/// `#[serde(with)]` for a map keyed by log bytes.
pub(crate) mod byte_map {
    use super::*;

    pub(crate) fn serialize<V: Serialize, H, S: Serializer>(
        m: &HashMap<Box<[u8]>, V, H>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        ByteMap(m).serialize(s)
    }

    pub(crate) fn deserialize<'de, V, H, D>(d: D) -> Result<BytesMap<V, H>, D::Error>
    where
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        Vec::deserialize(d).map(byte_map_from)
    }
}

/// `#[serde(with)]` for a map keyed by log bytes, one per direction.
pub(crate) mod byte_maps {
    use super::*;

    pub(crate) fn serialize<V: Serialize, H, S: Serializer>(
        m: &[HashMap<Box<[u8]>, V, H>; 2],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        (ByteMap(&m[0]), ByteMap(&m[1])).serialize(s)
    }

    pub(crate) fn deserialize<'de, V, H, D>(d: D) -> Result<[BytesMap<V, H>; 2], D::Error>
    where
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        let (a, b): (Pairs<V>, Pairs<V>) = Deserialize::deserialize(d)?;
        Ok([byte_map_from(a), byte_map_from(b)])
    }
}

/// `#[serde(with)]` for a map whose keys JSON can write: sorted pairs.
pub(crate) mod pairs {
    use super::*;

    pub(crate) fn serialize<K, V, H, S>(m: &HashMap<K, V, H>, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord,
        V: Serialize,
        S: Serializer,
    {
        let mut all: Vec<(&K, &V)> = m.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s.collect_seq(all)
    }

    pub(crate) fn deserialize<'de, K, V, H, D>(d: D) -> Result<HashMap<K, V, H>, D::Error>
    where
        K: Deserialize<'de> + Eq + Hash,
        V: Deserialize<'de>,
        H: BuildHasher + Default,
        D: Deserializer<'de>,
    {
        let all: Vec<(K, V)> = Vec::deserialize(d)?;
        Ok(all.into_iter().collect())
    }
}

/// `#[serde(with)]` for a list in no order, of numbers that are mostly
/// close together (times): sorted, then the first and each difference.
pub(crate) mod deltas {
    use super::*;

    pub(crate) fn serialize<T, S>(v: &[T], s: S) -> Result<S::Ok, S::Error>
    where
        T: Copy + Ord + Into<i128>,
        S: Serializer,
    {
        let mut all = v.to_vec();
        all.sort_unstable();
        let mut last = 0i128;
        s.collect_seq(all.into_iter().map(|x| {
            let x: i128 = x.into();
            let d = x - last;
            last = x;
            d as i64
        }))
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<Vec<T>, D::Error>
    where
        T: TryFrom<i128>,
        D: Deserializer<'de>,
    {
        let diffs: Vec<i64> = Vec::deserialize(d)?;
        let mut at = 0i128;
        diffs
            .into_iter()
            .map(|d| {
                at += i128::from(d);
                T::try_from(at).map_err(|_| serde::de::Error::custom("a number out of range"))
            })
            .collect()
    }
}

/// `#[serde(with)]` for a list in no order: written sorted.
pub(crate) mod sorted {
    use super::*;

    pub(crate) fn serialize<T: Serialize + Ord, S: Serializer>(
        v: &[T],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut all: Vec<&T> = v.iter().collect();
        all.sort_unstable();
        s.collect_seq(all)
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Vec::deserialize(d)
    }
}

/// `#[serde(with)]` for packed bytes: a hex string.
pub(crate) mod hex {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(v.len() * 2);
        for b in v {
            text.push(DIGITS[usize::from(b >> 4)] as char);
            text.push(DIGITS[usize::from(b & 15)] as char);
        }
        s.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        let digit = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
        text.as_bytes()
            .chunks(2)
            .map(|p| match p {
                [a, b] => Some((digit(*a)? << 4) | digit(*b)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| serde::de::Error::custom("not a hex string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Sample {
        #[serde(with = "bytes")]
        name: Box<[u8]>,
        #[serde(with = "byte_map")]
        map: FxHashMap<Box<[u8]>, u64>,
        #[serde(with = "deltas")]
        times: Vec<u64>,
    }

    #[test]
    fn bytes_maps_and_deltas_round_trip_in_sorted_order() {
        let s = Sample {
            name: b"\xffbad\x00".to_vec().into(),
            map: [(b"b".to_vec().into(), 2), (b"a\xfe".to_vec().into(), 1)]
                .into_iter()
                .collect(),
            times: vec![30, 10, 20, 20],
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            r#"{"name":[255,98,97,100,0],"map":[[[97,254],1],["b",2]],"times":[10,10,0,10]}"#
        );
        let back: Sample = serde_json::from_str(&text).unwrap();
        assert_eq!(back.name, s.name);
        assert_eq!(back.map, s.map);
        assert_eq!(back.times, vec![10, 20, 20, 30]);
    }
}
