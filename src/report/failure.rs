//! `--by failure`: failed negotiations per connector, remote and error.

use super::{Cell, Input, Kind, Needs, Report, Table, dir, text};
use crate::servers::Servers;
use crate::tally::Tally;

pub(crate) const KIND: Kind = Kind::named("failure");

/// The report's entry in the registry.
pub(crate) struct Failure;

impl Report for Failure {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "failed negotiations per connector, remote and error"
    }
    fn help_columns(&self) -> &'static str {
        "direction,server,connector,remote_ip,error,sessions"
    }
    fn needs(&self) -> Needs {
        Needs::Tls
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally, from.servers))
    }
}

fn table(tally: &Tally, servers: &Servers) -> Table {
    let mut rows: Vec<_> = tally
        .smtp
        .failure
        .iter()
        .map(|(k, n)| ((k.direction, servers.name(k.server), k), n))
        .collect();
    rows.sort();
    Table {
        kind: KIND,
        columns: vec![
            "direction",
            "server",
            "connector",
            "remote_ip",
            "error",
            "sessions",
        ],
        rows: rows
            .into_iter()
            .map(|((_, server, k), &n)| {
                vec![
                    dir(k.direction),
                    Cell::Text(server.into()),
                    text(&k.connector),
                    text(&k.remote_ip),
                    text(&k.error),
                    Cell::Count(n),
                ]
            })
            .collect(),
    }
}
