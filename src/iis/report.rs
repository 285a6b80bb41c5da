//! HTTPS clients from IIS logs: per client (address and user agent) and
//! per Exchange application, by the TLS version of their connections.
//!
//! The columns carry SSL3 to TLS 1.3 and `other`; SSL 2 (which no IIS
//! that writes the crypt-* fields can speak) would count as `other`.
//! `requests` counts every request, plain HTTP ones too.

use super::counts::IisCounts;
use super::parse::APPS;
use crate::parse::tls::Version;
use crate::servers::Servers;
use crate::table::{Cell, Kind, Table, stamp_cell, text};

/// The ids of the http-client and http-app reports.
pub(crate) const CLIENTS_KIND: Kind = Kind::named("http-client");
pub(crate) const APPS_KIND: Kind = Kind::named("http-app");

const SHOWN: [Version; 5] = [
    Version::Ssl3,
    Version::Tls10,
    Version::Tls11,
    Version::Tls12,
    Version::Tls13,
];

/// The version cells, then `other` (SSL 2 and unknown values).
fn versions(v: &[u64]) -> impl Iterator<Item = Cell> + '_ {
    let other = v[Version::Ssl2.index()] + v[Version::Other.index()];
    SHOWN
        .iter()
        .map(|x| Cell::Count(v[x.index()]))
        .chain([Cell::Count(other)])
}

fn columns(first: &[&'static str], last: &[&'static str]) -> Vec<&'static str> {
    let mut c = first.to_vec();
    c.extend(SHOWN.iter().map(|v| v.label()));
    c.push("other");
    c.extend(last);
    c
}

/// `site,server,client_ip,user_agent,SSL3,…,TLS1.3,other,requests,users,first_seen,last_seen`.
pub(crate) fn clients(iis: &IisCounts, servers: &Servers) -> Table {
    let mut keys: Vec<_> = iis.http.keys().collect();
    keys.sort_by(|a, b| {
        (&a.site, servers.name(a.server), &a.client_ip, &a.user_agent).cmp(&(
            &b.site,
            servers.name(b.server),
            &b.client_ip,
            &b.user_agent,
        ))
    });
    let rows = keys
        .into_iter()
        .map(|k| {
            let c = &iis.http[k];
            [
                Cell::Text(k.site.clone()),
                Cell::Text(servers.name(k.server).into()),
                text(&k.client_ip),
                text(&k.user_agent),
            ]
            .into_iter()
            .chain(versions(&c.versions))
            .chain([
                Cell::Count(c.requests),
                Cell::Count(c.users.len() as u64),
                stamp_cell(c.first_seen),
                stamp_cell(c.last_seen),
            ])
            .collect()
        })
        .collect();
    Table {
        kind: CLIENTS_KIND,
        columns: columns(
            &["site", "server", "client_ip", "user_agent"],
            &["requests", "users", "first_seen", "last_seen"],
        ),
        rows,
    }
}

/// `site,server,application,SSL3,…,TLS1.3,other,requests`, the
/// applications in the order of [`APPS`], then `other`.
pub(crate) fn apps(iis: &IisCounts, servers: &Servers) -> Table {
    let order = |app: &str| APPS.iter().position(|a| *a == app).unwrap_or(APPS.len());
    let mut keys: Vec<_> = iis.http_app.keys().collect();
    keys.sort_by(|a, b| {
        (&a.0, servers.name(a.1), order(a.2)).cmp(&(&b.0, servers.name(b.1), order(b.2)))
    });
    let rows = keys
        .into_iter()
        .map(|k| {
            let c = &iis.http_app[k];
            [
                Cell::Text(k.0.clone()),
                Cell::Text(servers.name(k.1).into()),
                Cell::Text(k.2.into()),
            ]
            .into_iter()
            .chain(versions(&c[..7]))
            .chain([Cell::Count(c[7])])
            .collect()
        })
        .collect();
    Table {
        kind: APPS_KIND,
        columns: columns(&["site", "server", "application"], &["requests"]),
        rows,
    }
}
