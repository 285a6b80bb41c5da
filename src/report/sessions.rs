//! Reports built from sessions: the daily trend and the list of sessions.

use super::{Cell, Kind, Table, bits, dir, suite, text, version_columns};
use crate::servers::Servers;
use crate::smtp::session::{Session, TlsEvent};
use crate::tally::Tally;

/// `date,direction,SSL2,…,other,failed,plaintext,total` per UTC day.
/// Negotiations count on the day of their TLS line, plaintext sessions on
/// the day they started; `total` is the negotiations, successful and
/// failed, as in every other report (plaintext sessions are no
/// negotiation).
pub fn day(tally: &Tally) -> Table {
    let mut keys: Vec<_> = tally.smtp.day.keys().copied().collect();
    keys.sort_by(|a, b| (a.0, a.1.label(), a.2).cmp(&(b.0, b.1.label(), b.2)));
    let mut columns = vec!["date", "direction"];
    columns.extend(version_columns());
    // `clock_skew`: the mark of records a skewed clock wrote (outside their
    // file's own time): counted, but no day of the logs.
    columns.extend(["failed", "plaintext", "total", "clock_skew"]);
    let rows = keys
        .into_iter()
        .map(|k| {
            let c = &tally.smtp.day[&k];
            let total = c.versions.iter().sum::<u64>() + c.failed;
            [text(&k.0), dir(k.1)]
                .into_iter()
                .chain(c.versions.iter().map(|&n| Cell::Count(n)))
                .chain([
                    Cell::Count(c.failed),
                    Cell::Count(c.plaintext),
                    Cell::Count(total),
                    Cell::Flag(k.2),
                ])
                .collect()
        })
        .collect();
    Table {
        kind: Kind::Day,
        columns,
        rows,
    }
}

/// Column names of the session report.
pub const SESSION_COLUMNS: [&str; 28] = [
    "direction",
    "server",
    "connector",
    "session_id",
    "start",
    "end",
    "local_port",
    "remote_ip",
    "ehlo",
    "starttls_offered",
    "tls_command",
    "tls_version",
    "cipher",
    "cipher_bits",
    "hash",
    "hash_bits",
    "key_exchange",
    "key_exchange_bits",
    "error",
    "certificate_subject",
    "certificate_thumbprint",
    "auth_user",
    "client_ip",
    "messages",
    "disconnect",
    "class",
    "internal",
    "incomplete",
];

/// Puts sessions in report order: start time, then the row itself
/// (direction, connector, session-id, …): the same order as the CSV lines
/// of [`crate::sorted_lines`], whatever the output format.
pub fn sort_sessions(rows: &mut [(Session, u32)], servers: &Servers) {
    use rayon::slice::ParallelSliceMut;
    rows.par_sort_by_cached_key(|(s, server)| (s.start, csv_line(s, servers.name(*server))));
}

/// One session of `server` as a CSV line (with its line ending).
pub fn csv_line(s: &Session, server: &str) -> Box<[u8]> {
    let mut buf = Vec::with_capacity(512);
    super::csv::rows(std::iter::once(&session_cells(s, server)[..]), &mut buf)
        .expect("in-memory write");
    buf.into_boxed_slice()
}

/// The session report's row for one session of `server`.
pub fn session_cells(s: &Session, server: &str) -> Vec<Cell> {
    let opt = |b: &Option<Box<[u8]>>| text(b.as_deref().unwrap_or(b""));
    let success = s.tls.iter().find_map(|e| match e {
        TlsEvent::Success { context, .. } => suite(context),
        TlsEvent::Failure { .. } => None,
    });
    let error = s.tls.iter().find_map(|e| match e {
        TlsEvent::Failure { error, .. } => Some(&**error),
        TlsEvent::Success { .. } => None,
    });
    let (version, [c, cb, h, hb, k, kb]) = match success {
        Some((v, names)) => (v.label().to_string(), names),
        None => Default::default(),
    };
    vec![
        dir(s.direction),
        Cell::Text(server.into()),
        text(&s.connector),
        text(&s.session_id),
        text(s.start.as_bytes()),
        text(s.end.as_bytes()),
        Cell::Bits(s.local_port.map(u64::from)),
        text(&s.remote_ip),
        opt(&s.ehlo),
        Cell::Flag(s.starttls_offered),
        Cell::Text(s.tls_command.label().into()),
        Cell::Text(version.into()),
        Cell::Text(c.into()),
        bits(&cb),
        Cell::Text(h.into()),
        bits(&hb),
        Cell::Text(k.into()),
        bits(&kb),
        text(error.unwrap_or(b"")),
        opt(&s.cert_subject),
        opt(&s.cert_thumbprint),
        opt(&s.auth_user),
        opt(&s.client_ip),
        Cell::Count(u64::from(s.messages)),
        opt(&s.disconnect),
        Cell::Text(s.class().label().into()),
        Cell::Flag(s.internal()),
        Cell::Flag(s.incomplete()),
    ]
}

/// One row per session, for sessions already in report order
/// ([`sort_sessions`]).
pub fn session_list(sorted: &[(Session, u32)], servers: &Servers) -> Table {
    Table {
        kind: Kind::Session,
        columns: SESSION_COLUMNS.to_vec(),
        rows: sorted
            .iter()
            .map(|(s, server)| session_cells(s, servers.name(*server)))
            .collect(),
    }
}
