//! Reports: sorted rows built once from the merged tally, then written as
//! CSV, JSON or a terminal table. Writers are pure (rows in, bytes out).

pub mod csv;
pub mod json;
pub mod table;

use crate::parse::Direction;
use crate::parse::tls::{self, Version};
use crate::tally::{Tally, VersionCounts};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The reports `--by` can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Connector,
    Remote,
    Cipher,
    Failure,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Connector, Kind::Remote, Kind::Cipher, Kind::Failure];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Connector => "connector",
            Kind::Remote => "remote",
            Kind::Cipher => "cipher",
            Kind::Failure => "failure",
        }
    }
}

/// One cell. Counts are integers in every format; `Bits` is a number the
/// log may leave out (empty in CSV, `null` in JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Bits(Option<u64>),
}

/// A report as columns and rows: the one shape every writer consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub kind: Kind,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// Version columns, in order, shared by the connector and remote reports.
fn version_columns() -> impl Iterator<Item = &'static str> {
    Version::ALL.iter().map(|v| v.label())
}

fn counts_cells(c: &VersionCounts) -> impl Iterator<Item = Cell> + '_ {
    c.versions
        .iter()
        .map(|&n| Cell::Count(n))
        .chain([Cell::Count(c.failed), Cell::Count(c.total())])
}

/// Log text for a report: lossy where the log held invalid UTF-8.
fn text(bytes: &[u8]) -> Cell {
    Cell::Text(String::from_utf8_lossy(bytes).into_owned())
}

fn dir(d: Direction) -> Cell {
    Cell::Text(d.label().to_string())
}

/// Totals over everything that was scanned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub files: u64,
    pub files_skipped: u64,
    pub bytes: u64,
    pub lines: u64,
    pub tls_rows: u64,
    pub negotiations: u64,
    pub failures: u64,
    pub malformed_rows: u64,
    pub by_version: [u64; 7],
    pub elapsed_seconds: f64,
}

impl Summary {
    pub fn gb_per_s(&self) -> f64 {
        if self.elapsed_seconds > 0.0 {
            self.bytes as f64 / 1e9 / self.elapsed_seconds
        } else {
            0.0
        }
    }
}

/// All four reports plus totals.
#[derive(Clone, Debug)]
pub struct Reports {
    pub tables: Vec<Table>,
    pub summary: Summary,
}

impl Reports {
    pub fn table(&self, kind: Kind) -> &Table {
        self.tables
            .iter()
            .find(|t| t.kind == kind)
            .expect("every kind is built")
    }

    /// Builds the sorted reports. Rows sort by their key columns in byte
    /// order, so output does not depend on hashing or thread count.
    pub fn build(tally: &Tally) -> Reports {
        let mut summary = Summary::default();
        for f in tally.files.values() {
            if f.skipped.is_some() {
                summary.files_skipped += 1;
                continue;
            }
            summary.files += 1;
            summary.bytes += f.bytes;
            summary.lines += f.lines;
            summary.tls_rows += f.tls_rows;
            summary.malformed_rows += f.malformed;
        }
        for map in &tally.connector {
            for c in map.values() {
                for (s, n) in summary.by_version.iter_mut().zip(c.versions) {
                    *s += n;
                }
                summary.failures += c.failed;
            }
        }
        summary.negotiations = summary.by_version.iter().sum();
        let tables = vec![
            connector(tally),
            remote(tally),
            cipher(tally),
            failure(tally),
        ];
        Reports { tables, summary }
    }
}

fn connector(tally: &Tally) -> Table {
    let mut rows: Vec<_> = Direction::ALL
        .iter()
        .flat_map(|&d| {
            tally.connector[d.index()]
                .iter()
                .map(move |(k, v)| (d, k, v))
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut columns = vec!["direction", "connector"];
    columns.extend(version_columns());
    columns.extend(["failed", "total"]);
    Table {
        kind: Kind::Connector,
        columns,
        rows: rows
            .into_iter()
            .map(|(d, name, c)| {
                [dir(d), text(name)]
                    .into_iter()
                    .chain(counts_cells(c))
                    .collect()
            })
            .collect(),
    }
}

fn remote(tally: &Tally) -> Table {
    let mut rows: Vec<_> = Direction::ALL
        .iter()
        .flat_map(|&d| tally.remote[d.index()].iter().map(move |(k, v)| (d, k, v)))
        .collect();
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut columns = vec!["direction", "remote_ip"];
    columns.extend(version_columns());
    columns.extend(["failed", "total", "first_seen", "last_seen"]);
    Table {
        kind: Kind::Remote,
        columns,
        rows: rows
            .into_iter()
            .map(|(d, ip, r)| {
                [dir(d), text(ip)]
                    .into_iter()
                    .chain(counts_cells(&r.counts))
                    .chain([text(r.first_seen.as_bytes()), text(r.last_seen.as_bytes())])
                    .collect()
            })
            .collect(),
    }
}

/// The cipher report's key, normalised; several written lines can share
/// one (`CALG_ECDHE` and `CALG_ECDH_EPHEM` are both `ECDHE`).
type CipherKey = (Direction, &'static str, [String; 6]);

fn cipher(tally: &Tally) -> Table {
    let mut merged: BTreeMap<CipherKey, u64> = BTreeMap::new();
    for d in Direction::ALL {
        for (context, &n) in &tally.cipher[d.index()] {
            let Some(neg) = tls::parse_success(context) else {
                continue;
            };
            let version = tls::parse_protocol(neg.protocol).0;
            let key = (
                d,
                version.label(),
                [
                    tls::normalize_alg(neg.cipher).into_owned(),
                    lossy(neg.cipher_bits),
                    tls::normalize_alg(neg.hash).into_owned(),
                    lossy(neg.hash_bits),
                    tls::normalize_alg(neg.key_exchange).into_owned(),
                    lossy(neg.key_exchange_bits),
                ],
            );
            *merged.entry(key).or_insert(0) += n;
        }
    }
    let bits = |s: &str| Cell::Bits(s.parse().ok());
    Table {
        kind: Kind::Cipher,
        columns: vec![
            "direction",
            "tls_version",
            "cipher",
            "cipher_bits",
            "hash",
            "hash_bits",
            "key_exchange",
            "key_exchange_bits",
            "sessions",
        ],
        rows: merged
            .into_iter()
            .map(|((d, version, [c, cb, h, hb, k, kb]), n)| {
                vec![
                    dir(d),
                    Cell::Text(version.to_string()),
                    Cell::Text(c),
                    bits(&cb),
                    Cell::Text(h),
                    bits(&hb),
                    Cell::Text(k),
                    bits(&kb),
                    Cell::Count(n),
                ]
            })
            .collect(),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn failure(tally: &Tally) -> Table {
    let mut rows: Vec<_> = tally.failure.iter().collect();
    rows.sort();
    Table {
        kind: Kind::Failure,
        columns: vec!["direction", "connector", "remote_ip", "error", "sessions"],
        rows: rows
            .into_iter()
            .map(|(k, &n)| {
                vec![
                    dir(k.direction),
                    text(&k.connector),
                    text(&k.remote_ip),
                    text(&k.error),
                    Cell::Count(n),
                ]
            })
            .collect(),
    }
}

/// Protocol tokens exlog did not recognise (counted as `other`), with how
/// many negotiations used each and one example line.
pub fn unknown_protocols(tally: &Tally) -> BTreeMap<String, (u64, String)> {
    let mut out: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for map in &tally.cipher {
        for (context, &n) in map {
            let Some(neg) = tls::parse_success(context) else {
                continue;
            };
            if tls::parse_protocol(neg.protocol).0 != Version::Other {
                continue;
            }
            let token: Cow<str> = String::from_utf8_lossy(neg.protocol);
            let entry = out
                .entry(token.into_owned())
                .or_insert_with(|| (0, lossy(context)));
            entry.0 += n;
            // Keep the smallest example so the message is deterministic.
            let example = lossy(context);
            if example < entry.1 {
                entry.1 = example;
            }
        }
    }
    out
}
