//! Who to call: one row per direction, server, connector and remote IP
//! that negotiated below TLS 1.2 or used a weak suite (RC4, DES, 3DES,
//! MD5, export strength): what switching old TLS off does to it (its
//! impact, worst first), then most sessions first, with the users, senders
//! and certificate that say who it is.

use super::{Cell, Input, Kind, Needs, Options, Report, Table, dir, text, time_cell};
use crate::parse::Direction;
use crate::parse::tls::Version;
use crate::servers::Servers;
use crate::smtp::counts::RemoteUse;
use crate::smtp::impact::{ConnectorTraits, Impact};
use crate::tally::Tally;
use std::collections::BTreeSet;

pub(crate) const KIND: Kind = Kind::named("legacy");

/// The report's entry in the registry.
pub(crate) struct Legacy;

impl Report for Legacy {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "who to call: remotes below TLS 1.2 or on weak ciphers"
    }
    fn help_columns(&self) -> &'static str {
        concat!(
            "direction,server,connector,remote_ip,ehlo,lowest_version,versions,legacy_sessions,",
            "\nweak_cipher_sessions,first_legacy,last_legacy,impact,auth_users,senders,",
            "\ncertificate_subject,owner,contact",
            "\n(impact: internal, client_submission, tls_required or opportunistic)",
        )
    }
    fn needs(&self) -> Needs {
        Needs::Sessions
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(table(from.tally, from.servers, from.options))
    }
    fn needs_details(&self) -> bool {
        // The certificate subject column.
        true
    }
}

/// How many values of a list column are shown before `+N more`.
const LISTED: usize = 5;

pub(crate) const COLUMNS: [&str; 17] = [
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
    "impact",
    "auth_users",
    "senders",
    "certificate_subject",
    "owner",
    "contact",
];

/// The first five values (byte order) joined with `;`, then `+N more`.
pub(crate) fn list_text(values: &BTreeSet<Box<[u8]>>) -> Cell {
    let mut out: Vec<u8> = Vec::new();
    for (i, v) in values.iter().take(LISTED).enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(v);
    }
    if values.len() > LISTED {
        out.extend_from_slice(format!(";+{} more", values.len() - LISTED).as_bytes());
    }
    text(&out)
}

/// `TLS1.0 x12; TLS1.2 x3`: every version the remote negotiated here.
pub(crate) fn versions_text(r: &RemoteUse) -> String {
    Version::ALL
        .iter()
        .filter(|v| r.versions[v.index()] > 0)
        .map(|v| format!("{} x{}", v.label(), r.versions[v.index()]))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row: its key (direction, server, connector, remote IP), counts and
/// impact.
struct Found<'a> {
    direction: Direction,
    server: &'a str,
    connector: &'a [u8],
    ip: &'a [u8],
    counts: &'a RemoteUse,
    impact: Impact,
}

/// The impact of a remote's flagged sessions on `connector`.
pub(crate) fn impact_of(r: &RemoteUse, traits: ConnectorTraits) -> Impact {
    traits.resolve(r.flagged_impact.unwrap_or(Impact::Opportunistic))
}

fn found<'a>(tally: &'a Tally, servers: &'a Servers, options: &Options) -> Vec<Found<'a>> {
    let inventory = options.inventory.as_deref();
    let mut found = Vec::new();
    for (&id, maps) in &tally.smtp.connector {
        let server = servers.name(id);
        for d in Direction::ALL {
            for (connector, c) in &maps[d.index()] {
                let traits =
                    ConnectorTraits::of(inventory, d, server, connector, c.tls_required_reply);
                for (ip, r) in c.remotes.iter().filter(|(_, r)| r.flagged()) {
                    found.push(Found {
                        direction: d,
                        server,
                        connector,
                        ip,
                        counts: r,
                        impact: impact_of(r, traits),
                    });
                }
            }
        }
    }
    found
}

pub(crate) fn table(tally: &Tally, servers: &Servers, options: &Options) -> Table {
    let mut found = found(tally, servers, options);
    let legacy = |r: &RemoteUse| r.legacy_count();
    found.sort_by(|a, b| {
        let (ra, rb) = (a.counts, b.counts);
        a.impact
            .cmp(&b.impact)
            .then((legacy(rb) + rb.weak_sessions).cmp(&(legacy(ra) + ra.weak_sessions)))
            .then(legacy(rb).cmp(&legacy(ra)))
            .then((a.direction, a.server, a.connector, a.ip).cmp(&(
                b.direction,
                b.server,
                b.connector,
                b.ip,
            )))
    });
    let rows = found
        .into_iter()
        .map(|f| {
            let r = f.counts;
            let ehlo = tally.smtp.remote[f.direction.index()]
                .get(f.ip)
                .and_then(|rc| rc.top_ehlo())
                .unwrap_or(b"");
            // Send logs' MAIL FROM are our own users: no clue to the remote.
            let none = BTreeSet::new();
            let senders = match f.direction {
                Direction::Receive => &r.senders,
                Direction::Send => &none,
            };
            let (owner, contact) = options
                .owners
                .as_deref()
                .and_then(|o| o.lookup(f.ip, ehlo, senders))
                .unwrap_or(("", ""));
            vec![
                dir(f.direction),
                Cell::Text(f.server.into()),
                text(f.connector),
                text(f.ip),
                text(ehlo),
                Cell::Text(r.lowest().map(|v| v.label()).unwrap_or("").into()),
                Cell::Text(versions_text(r).into()),
                Cell::Count(legacy(r)),
                Cell::Count(r.weak_sessions),
                time_cell(r.first_flagged),
                time_cell(r.last_flagged),
                Cell::Text(f.impact.label().into()),
                list_text(&r.auth_users),
                list_text(&r.senders),
                text(r.top_subject().unwrap_or(b"")),
                Cell::Text(owner.into()),
                Cell::Text(contact.into()),
            ]
        })
        .collect();
    Table {
        kind: KIND,
        columns: COLUMNS.to_vec(),
        rows,
    }
}
