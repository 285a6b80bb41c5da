//! `--by remote`: negotiations per remote IP, with first and last seen.

use super::{
    Cell, Input, Kind, Needs, Report, Table, counts_cells, dir, stamp_cell, text, version_columns,
};
use crate::parse::Direction;
use crate::tally::Tally;

pub(crate) const KIND: Kind = Kind::named("remote");

/// The report's entry in the registry.
pub(crate) struct Remote;

impl Report for Remote {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "negotiations per remote IP, with first and last seen"
    }
    fn help_columns(&self) -> &'static str {
        "direction,remote_ip,SSL2,...,other,failed,total,first_seen,last_seen,plaintext,sessions,ehlo"
    }
    fn needs(&self) -> Needs {
        // Up to `last_seen` from TLS rows; plaintext, sessions and EHLO
        // need sessions.
        Needs::TlsThenSessions { tls_columns: 13 }
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally))
    }
}

fn table(tally: &Tally) -> Table {
    let mut columns = vec!["direction", "remote_ip"];
    columns.extend(version_columns());
    columns.extend([
        "failed",
        "total",
        "first_seen",
        "last_seen",
        "plaintext",
        "sessions",
        "ehlo",
    ]);
    use rayon::prelude::*;
    // Tens of thousands of remotes on a busy server: sorted and rendered
    // on every core.
    let mut rows = Vec::new();
    for d in Direction::ALL {
        let map = &tally.smtp.remote[d.index()];
        let mut keys: Vec<&[u8]> = map.keys().map(|k| &**k).collect();
        keys.par_sort_unstable();
        let part: Vec<Vec<Cell>> = keys
            .par_iter()
            .map(|&ip| {
                let r = &map[ip];
                [dir(d), text(ip)]
                    .into_iter()
                    .chain(counts_cells(&r.tls))
                    .chain([
                        stamp_cell(r.first_seen),
                        stamp_cell(r.last_seen),
                        Cell::Count(r.sessions.plaintext),
                        Cell::Count(r.sessions.sessions),
                        text(r.top_ehlo().unwrap_or(b"")),
                    ])
                    .collect()
            })
            .collect();
        rows.extend(part);
    }
    Table {
        kind: KIND,
        columns,
        rows,
    }
}
