//! The server report: per direction and server, negotiations by version,
//! sessions, and the time the logs cover.

use super::{
    Cell, Input, Kind, Needs, Report, ServerInfo, Table, counts_cells, dir, time_cell,
    version_columns,
};
use crate::parse::Direction;
use crate::smtp::counts::{SessionCounts, VersionCounts};
use crate::tally::Tally;

pub(crate) const KIND: Kind = Kind::named("server");

/// The report's entry in the registry.
pub(crate) struct Server;

impl Report for Server {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "per server: negotiations, sessions, first and last record"
    }
    fn help_columns(&self) -> &'static str {
        "direction,server,SSL2,...,other,failed,total,plaintext,sessions,first_record,last_record"
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally, from.infos))
    }
}

/// `direction,server,SSL2,…,other,failed,total,plaintext,sessions,first_record,last_record`.
pub(crate) fn table(tally: &Tally, servers: &[ServerInfo]) -> Table {
    let mut columns = vec!["direction", "server"];
    columns.extend(version_columns());
    columns.extend([
        "failed",
        "total",
        "plaintext",
        "sessions",
        "first_record",
        "last_record",
    ]);
    let mut rows = Vec::new();
    for d in Direction::ALL {
        for info in servers {
            let Some(maps) = tally.smtp.connector.get(&info.id) else {
                continue;
            };
            let map = &maps[d.index()];
            if map.is_empty() {
                continue;
            }
            let mut tls = VersionCounts::default();
            let mut sessions = SessionCounts::default();
            for c in map.values() {
                tls.add(&c.tls);
                sessions.sessions += c.sessions.sessions;
                sessions.plaintext += c.sessions.plaintext;
            }
            let cov = &info.by_direction[d.index()];
            rows.push(
                [dir(d), Cell::Text(info.name.as_str().into())]
                    .into_iter()
                    .chain(counts_cells(&tls))
                    .chain([
                        Cell::Count(sessions.plaintext),
                        Cell::Count(sessions.sessions),
                        time_cell(cov.first),
                        time_cell(cov.last),
                    ])
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
