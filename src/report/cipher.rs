//! `--by cipher`: negotiations per cipher suite, normalised.

use super::{Cell, Input, Kind, Needs, Report, Table, dir, suite, suite_cells};
use crate::parse::Direction;
use crate::tally::Tally;
use std::collections::BTreeMap;

pub(crate) const KIND: Kind = Kind::named("cipher");

/// The report's entry in the registry.
pub(crate) struct Cipher;

impl Report for Cipher {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "negotiations per cipher suite"
    }
    fn help_columns(&self) -> &'static str {
        "direction,tls_version,cipher,cipher_bits,hash,hash_bits,key_exchange,key_exchange_bits,sessions"
    }
    fn needs(&self) -> Needs {
        Needs::Tls
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally))
    }
}

/// The cipher report's key, normalised; several written lines can share
/// one (`CALG_ECDHE` and `CALG_ECDH_EPHEM` are both `ECDHE`).
type CipherKey = (Direction, &'static str, [String; 6]);

fn table(tally: &Tally) -> Table {
    let mut merged: BTreeMap<CipherKey, u64> = BTreeMap::new();
    for d in Direction::ALL {
        for (context, &n) in &tally.smtp.cipher[d.index()] {
            if let Some((version, names)) = suite(context) {
                *merged.entry((d, version.label(), names)).or_insert(0) += n;
            }
        }
    }
    let mut columns = vec!["direction"];
    columns.extend(super::sessions::suite_columns());
    columns.push("sessions");
    Table {
        kind: KIND,
        columns,
        rows: merged
            .into_iter()
            .map(|((d, version, names), n)| {
                let [v, c, cb, h, hb, k, kb] = suite_cells(version, names);
                vec![dir(d), v, c, cb, h, hb, k, kb, Cell::Count(n)]
            })
            .collect(),
    }
}
