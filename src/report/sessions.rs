//! `--by session`: the list of sessions, one row each.

use super::{Cell, Input, Kind, Needs, Report, Table, dir, suite, suite_cells, text};
use crate::servers::Servers;
use crate::smtp::session::{Session, TlsEvent};

pub const KIND: Kind = Kind::named("session");

/// The report's entry in the registry.
pub struct SessionList;

impl Report for SessionList {
    fn kind(&self) -> Kind {
        KIND
    }
    fn about(&self) -> &'static str {
        "one row per SMTP session"
    }
    fn help_columns(&self) -> &'static str {
        "one row per SMTP session (its 28 columns: docs/reports.md)"
    }
    fn needs(&self) -> Needs {
        Needs::SessionList
    }
    fn build(&self, from: &Input) -> Option<Table> {
        Some(session_list(from.sessions?, from.servers))
    }
    fn empty_columns(&self) -> Vec<&'static str> {
        SESSION_COLUMNS.to_vec()
    }
    fn needs_details(&self) -> bool {
        // Certificates and disconnect reasons are columns of the list.
        true
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
    let (version, names) = match success {
        Some((v, names)) => (v.label(), names),
        None => Default::default(),
    };
    let [version, c, cb, h, hb, k, kb] = suite_cells(version, names);
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
        version,
        c,
        cb,
        h,
        hb,
        k,
        kb,
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

/// A suite's columns, as the session list names them (`tls_version` to
/// `key_exchange_bits`); the cipher report has them too.
pub(crate) fn suite_columns() -> &'static [&'static str] {
    let at = SESSION_COLUMNS.iter().position(|c| *c == "tls_version");
    &SESSION_COLUMNS[at.expect("a tls_version column")..][..7]
}

/// One row per session, for sessions already in report order
/// ([`sort_sessions`]).
pub fn session_list(sorted: &[(Session, u32)], servers: &Servers) -> Table {
    Table {
        kind: KIND,
        columns: SESSION_COLUMNS.to_vec(),
        rows: sorted
            .iter()
            .map(|(s, server)| session_cells(s, servers.name(*server)))
            .collect(),
    }
}
