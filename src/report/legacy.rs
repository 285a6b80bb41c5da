//! Who to call: one row per direction, server, connector and remote IP
//! that negotiated below TLS 1.2 or used a weak suite (RC4, DES, 3DES,
//! MD5, export strength), most sessions first.

use super::{Cell, Kind, Table, dir, text, time_cell};
use crate::parse::Direction;
use crate::parse::tls::Version;
use crate::servers::Servers;
use crate::smtp::counts::RemoteUse;
use crate::tally::Tally;

pub const COLUMNS: [&str; 11] = [
    "direction",
    "server",
    "connector",
    "remote_ip",
    "ehlo",
    "lowest_version",
    "versions",
    "legacy_sessions",
    "weak_cipher_sessions",
    "first_legacy",
    "last_legacy",
];

/// `TLS1.0 x12; TLS1.2 x3`: every version the remote negotiated here.
pub fn versions_text(r: &RemoteUse) -> String {
    Version::ALL
        .iter()
        .filter(|v| r.versions[v.index()] > 0)
        .map(|v| format!("{} x{}", v.label(), r.versions[v.index()]))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row's key (direction, server, connector, remote IP) and its counts.
type Found<'a> = (Direction, &'a str, &'a [u8], &'a [u8], &'a RemoteUse);

pub fn table(tally: &Tally, servers: &Servers) -> Table {
    let mut found: Vec<Found> = Vec::new();
    for (&id, maps) in &tally.connector {
        for d in Direction::ALL {
            for (connector, c) in &maps[d.index()] {
                for (ip, r) in &c.remotes {
                    if r.flagged() {
                        found.push((d, servers.name(id), connector, ip, r));
                    }
                }
            }
        }
    }
    let legacy = |r: &RemoteUse| r.legacy_times.len() as u64;
    found.sort_by(|a, b| {
        (legacy(b.4) + b.4.weak_sessions)
            .cmp(&(legacy(a.4) + a.4.weak_sessions))
            .then(legacy(b.4).cmp(&legacy(a.4)))
            .then((a.0, a.1, a.2, a.3).cmp(&(b.0, b.1, b.2, b.3)))
    });
    let rows = found
        .into_iter()
        .map(|(d, server, connector, ip, r)| {
            let ehlo = tally.remote[d.index()]
                .get(ip)
                .and_then(|rc| rc.top_ehlo())
                .unwrap_or(b"");
            vec![
                dir(d),
                Cell::Text(server.into()),
                text(connector),
                text(ip),
                text(ehlo),
                Cell::Text(r.lowest().map(|v| v.label()).unwrap_or("").into()),
                Cell::Text(versions_text(r).into()),
                Cell::Count(legacy(r)),
                Cell::Count(r.weak_sessions),
                time_cell(r.first_flagged),
                time_cell(r.last_flagged),
            ]
        })
        .collect();
    Table {
        kind: Kind::Legacy,
        columns: COLUMNS.to_vec(),
        rows,
    }
}
