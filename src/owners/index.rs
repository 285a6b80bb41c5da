//! The rows of an owners file indexed by kind, so that a lookup costs
//! hash probes, not a pass over every row: networks grouped by prefix
//! length (a lookup probes each length the file uses; an IP is a network
//! of one), EHLO names, prefixes and suffixes by hash (a lookup probes
//! each split of the EHLO), other globs in one GlobSet, domains by hash.

use super::Row;
use super::pattern::{self, Net, Pattern, Shape};
use globset::{Candidate, GlobSet, GlobSetBuilder};
use std::collections::HashMap;

/// Row numbers (0-based, in file order) by key.
type Rows<K> = HashMap<K, Vec<u32>>;

/// The networks of one family and prefix length, by masked address.
#[derive(Debug)]
struct Group {
    v6: bool,
    mask: u128,
    nets: Rows<u128>,
}

#[derive(Debug, Default)]
pub(super) struct Index {
    groups: Vec<Group>,
    exact: Rows<String>,
    prefixes: Rows<String>,
    suffixes: Rows<String>,
    globs: GlobSet,
    /// The row of each glob of `globs`, by the glob's number.
    glob_rows: Vec<u32>,
    domains: Rows<String>,
}

impl Index {
    pub(super) fn new(rows: &[Row]) -> Index {
        let mut index = Index::default();
        let mut globs = GlobSetBuilder::new();
        for (i, row) in rows.iter().enumerate() {
            let i = i as u32;
            let add =
                |map: &mut Rows<String>, key: &String| map.entry(key.clone()).or_default().push(i);
            match &row.pattern {
                Pattern::Ip(net) | Pattern::Net(net) => index.add_net(net, i),
                Pattern::Glob(Shape::Exact(t)) => add(&mut index.exact, t),
                Pattern::Glob(Shape::Prefix(t)) => add(&mut index.prefixes, t),
                Pattern::Glob(Shape::Suffix(t)) => add(&mut index.suffixes, t),
                Pattern::Glob(Shape::Glob(text)) => {
                    // Checked when the row was read.
                    if let Ok(glob) = pattern::glob(text) {
                        globs.add(glob);
                        index.glob_rows.push(i);
                    }
                }
                Pattern::Domain(d) => add(&mut index.domains, d),
            }
        }
        // Each glob was built alone; together they fail only past
        // globset's size limits, and then no such glob matches.
        index.globs = globs.build().unwrap_or_else(|_| {
            index.glob_rows.clear();
            GlobSet::empty()
        });
        index
    }

    fn add_net(&mut self, net: &Net, row: u32) {
        let at = self
            .groups
            .iter()
            .position(|g| (g.v6, g.mask) == (net.v6, net.mask));
        let at = at.unwrap_or_else(|| {
            let nets = HashMap::new();
            self.groups.push(Group {
                v6: net.v6,
                mask: net.mask,
                nets,
            });
            self.groups.len() - 1
        });
        self.groups[at].nets.entry(net.net).or_default().push(row);
    }

    /// The rows whose IP or network holds the remote's IP (as exlog holds
    /// it), or its IPv4 form when it is IPv4-mapped.
    pub(super) fn ip_hits(&self, ip: &[u8], hits: &mut Vec<u32>) {
        let Some((addr, mapped)) = pattern::remote_addrs(ip) else {
            return;
        };
        for a in std::iter::once(addr).chain(mapped) {
            let (v6, value, _) = pattern::number(a);
            for g in self.groups.iter().filter(|g| g.v6 == v6) {
                hits.extend(g.nets.get(&(value & g.mask)).into_iter().flatten());
            }
        }
    }

    /// The rows whose glob matches an EHLO name, in any case.
    pub(super) fn ehlo_hits(&self, ehlo: &[u8], hits: &mut Vec<u32>) {
        let text = String::from_utf8_lossy(ehlo);
        let lower = text.to_lowercase();
        hits.extend(self.exact.get(&lower).into_iter().flatten());
        if !self.prefixes.is_empty() || !self.suffixes.is_empty() {
            let splits = lower.char_indices().map(|(i, _)| i).chain([lower.len()]);
            for at in splits {
                hits.extend(self.prefixes.get(&lower[..at]).into_iter().flatten());
                hits.extend(self.suffixes.get(&lower[at..]).into_iter().flatten());
            }
        }
        if !self.glob_rows.is_empty() {
            let found = self.globs.matches_candidate(&Candidate::new(text.as_ref()));
            hits.extend(found.into_iter().map(|g| self.glob_rows[g]));
        }
    }

    /// The rows of the domain of a sender address (after its last `@`).
    pub(super) fn sender_hits(&self, sender: &[u8], hits: &mut Vec<u32>) {
        let Some(at) = memchr::memrchr(b'@', sender) else {
            return;
        };
        let domain = String::from_utf8_lossy(&sender[at + 1..]).to_lowercase();
        hits.extend(self.domains.get(&domain).into_iter().flatten());
    }
}
