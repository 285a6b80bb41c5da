//! Which sessions the record filters let through, decided where sessions
//! finish (the counts never see the filters).

use super::session::Session;
use crate::filter::{FilterHits, Filters};

/// Whether a session passes `filters`; notes which filters it passed
/// (for the "matched nothing" warnings) when any are set.
pub(crate) fn passes(s: &Session, f: &Filters, h: &mut FilterHits) -> bool {
    if f.is_empty() {
        return true;
    }
    let d = s.direction;
    let time = f.time(s.start.as_bytes()) || s.tls.iter().any(|e| f.time(e.stamp().as_bytes()));
    let direction = f.direction.is_none_or(|x| x == d);
    let connector = f.connector_matches(&s.connector);
    let remote = f.remote_matches(&s.remote_ip);
    let ehlo = f.ehlo_matches(s.ehlo.as_deref());
    h.time += u64::from(time);
    h.direction += u64::from(direction);
    h.connector += u64::from(connector);
    h.remote += u64::from(remote);
    h.ehlo += u64::from(ehlo);
    if !f.connector.is_empty() && !connector {
        h.seen_connectors.see(&s.connector);
    }
    if !f.remote.is_empty() && !remote {
        h.seen_remotes.see(&s.remote_ip);
    }
    if f.ehlo.is_some() && !ehlo {
        h.seen_ehlo.see(s.ehlo.as_deref().unwrap_or(b""));
    }
    if !direction {
        h.seen_directions.see(d.label().as_bytes());
    }
    direction && connector && remote && ehlo && !(f.exclude_internal && s.internal())
}
