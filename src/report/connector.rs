//! `--by connector`: negotiations per connector, by TLS version, over
//! every server (a send connector is one object across its source
//! servers).

use super::{Cell, Input, Kind, Needs, Report, Table, counts_cells, dir, text, version_columns};
use crate::parse::Direction;
use crate::smtp::counts::VersionCounts;
use crate::tally::Tally;
use std::collections::BTreeMap;

pub(crate) const KIND: Kind = Kind::named("connector");

/// The report's entry in the registry.
pub(crate) struct Connector;

impl Report for Connector {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "negotiations per connector, by TLS version"
    }
    fn help_columns(&self) -> &'static str {
        "direction,connector,SSL2,SSL3,TLS1.0,TLS1.1,TLS1.2,TLS1.3,other,failed,total,plaintext"
    }
    fn needs(&self) -> Needs {
        // Direction, connector, the versions, failed and total: issue 4's
        // contract; `plaintext` needs sessions.
        Needs::TlsThenSessions { tls_columns: 11 }
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally))
    }
}

fn table(tally: &Tally) -> Table {
    let mut columns = vec!["direction", "connector"];
    columns.extend(version_columns());
    columns.extend(["failed", "total", "plaintext"]);
    let mut rows = Vec::new();
    for d in Direction::ALL {
        // One row per connector, over every server: a send connector is
        // one object across its source servers.
        let mut merged: BTreeMap<&[u8], (VersionCounts, u64)> = BTreeMap::new();
        for maps in tally.smtp.connector.values() {
            for (name, c) in &maps[d.index()] {
                let m = merged.entry(&**name).or_default();
                m.0.add(&c.tls);
                m.1 += c.sessions.plaintext;
            }
        }
        for (name, (tls, plaintext)) in merged {
            rows.push(
                [dir(d), text(name)]
                    .into_iter()
                    .chain(counts_cells(&tls))
                    .chain([Cell::Count(plaintext)])
                    .collect(),
            );
        }
    }
    Table {
        kind: KIND,
        columns,
        rows,
    }
}
