//! Which Exchange server wrote each file. TLS versions are switched off
//! per server (Schannel), so every count is kept per server, and the
//! readiness verdict is given per server.
//!
//! The first rule that gives a name wins (docs/guide.md, Servers):
//!
//! 1. a path component naming the host: the host of a UNC path
//!    (`\\EX01\c$\…`), else the folder above `TransportRoles` (a copied
//!    install tree, `EX01\TransportRoles\Logs\…`), skipping the
//!    components of Exchange's own install path (`V15`, `Exchange Server`)
//!    when they run from a drive's root (`Program Files`, `c$`);
//! 2. a per-server collection folder directly under a PATH given on the
//!    command line, with `TransportRoles` or `ProtocolLog` below it
//!    (`collected\EX01\FrontEnd\ProtocolLog\SmtpReceive`), unless it is
//!    one of Exchange's own folders (`FrontEnd`, `Hub`, `TransportRoles`);
//! 3. the `SERVER\` prefix of the receive connectors seen in the folder
//!    (`EX01\Default Frontend EX01`), or, for a folder with none, the one
//!    server the rest of its `TransportRoles` tree, else of its collection
//!    (the same PATH), names, by these prefixes or by rules 1 and 2, when
//!    they all agree;
//! 4. else the log folder itself, relative to the PATH it was found under.
//!
//! Rules 1, 2 and 4 read only paths; rule 3 reads the first rows of a few
//! receive files per folder, before the scan, so that filters and counts
//! can use the server while scanning.

use crate::input::Input;
use crate::parse::{BOM, Direction, Row, fields};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Index of a server in [`Servers::names`].
pub(crate) type ServerId = u32;

/// How a server's name was found (for `--stats` and the docs' examples).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Path,
    Collection,
    Connector,
    Folder,
}

/// The servers of a scan: names in byte order, and each file's server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servers {
    pub names: Vec<String>,
    /// Index into `names`, per input file.
    pub of_file: Vec<u32>,
    /// The rule that named each server (the first rule, if several folders
    /// named the same server differently).
    pub rules: Vec<Rule>,
}

impl Servers {
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }
}

/// How many bytes of a receive file rule 3 reads.
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

/// Names the server of every input. `head(id)` gives the first bytes of a
/// file (at most [`HEAD_BYTES`]), or `None` if it cannot be read; it is
/// called only for a few receive files of folders rules 1 and 2 leave
/// unnamed.
pub(crate) fn assign(inputs: &[Input], head: impl Fn(usize) -> Option<Vec<u8>>) -> Servers {
    // Folder → (collection, files of the folder).
    let mut folders: BTreeMap<&Path, (&Path, Vec<usize>)> = BTreeMap::new();
    for (id, input) in inputs.iter().enumerate() {
        let folder = input.path.parent().unwrap_or(Path::new(""));
        folders
            .entry(folder)
            .or_insert_with(|| (&input.root, Vec::new()))
            .1
            .push(id);
    }
    let mut named: BTreeMap<&Path, (String, Rule)> = BTreeMap::new();
    // Rule 3's evidence: connector prefixes per folder, and the servers
    // named per collection and per `TransportRoles` tree.
    let mut prefixes: BTreeMap<&Path, BTreeSet<String>> = BTreeMap::new();
    let mut groups: BTreeMap<&Path, PathBuf> = BTreeMap::new();
    let mut by_group: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    for (&folder, (root, files)) in &folders {
        let absolute = absolute(folder);
        let tree = transport_roles_tree(&absolute);
        let found = from_path(folder, &absolute)
            .map(|n| (n, Rule::Path))
            .or_else(|| from_collection(root, folder).map(|n| (n, Rule::Collection)));
        let seen = match found {
            Some((name, rule)) => {
                named.insert(folder, (name.clone(), rule));
                BTreeSet::from([name])
            }
            None => {
                let own = receive_prefixes(inputs, files, &head);
                prefixes.insert(folder, own.clone());
                own
            }
        };
        // A folder with no connector of its own (send logs, an IIS site)
        // takes the one server the rest of its tree, else of its
        // collection, names.
        let group = tree.clone().unwrap_or_else(|| root.to_path_buf());
        for key in tree.into_iter().chain([root.to_path_buf()]) {
            by_group
                .entry(key)
                .or_default()
                .extend(seen.iter().cloned());
        }
        groups.insert(folder, group);
    }
    for (&folder, (root, _)) in &folders {
        if named.contains_key(folder) {
            continue;
        }
        let entry = match by_connectors(&prefixes[folder], &by_group[&groups[folder]]) {
            Some(n) => (n, Rule::Connector),
            None => (relative_folder(root, folder), Rule::Folder),
        };
        named.insert(folder, entry);
    }
    index(inputs, &named)
}

/// Rule 3: a folder's one connector prefix, or for a folder with none, the
/// one server its group names.
fn by_connectors(own: &BTreeSet<String>, group: &BTreeSet<String>) -> Option<String> {
    match (own.len(), group.len()) {
        (1, _) => own.first().cloned(),
        (0, 1) => group.first().cloned(),
        _ => None,
    }
}

/// The servers in byte order, each with its first rule, and each input's.
fn index(inputs: &[Input], named: &BTreeMap<&Path, (String, Rule)>) -> Servers {
    let mut rules: BTreeMap<&str, Rule> = BTreeMap::new();
    for (name, rule) in named.values() {
        let r = rules.entry(name).or_insert(*rule);
        *r = (*r).min(*rule);
    }
    let names: Vec<String> = rules.keys().map(|n| n.to_string()).collect();
    let of_file = inputs
        .iter()
        .map(|input| {
            let folder = input.path.parent().unwrap_or(Path::new(""));
            let name = &named[folder].0;
            names.binary_search(name).expect("named") as u32
        })
        .collect();
    Servers {
        rules: rules.values().copied().collect(),
        names,
        of_file,
    }
}

/// `folder` made absolute (so `.` inside a copied tree still finds its
/// host), as Windows writes it when the folder exists (`\\?\C:\…`).
fn absolute(folder: &Path) -> PathBuf {
    std::fs::canonicalize(folder)
        .or_else(|_| std::path::absolute(folder))
        .unwrap_or_else(|_| folder.to_path_buf())
}

/// The `TransportRoles` folder an absolute folder is in, if any: all its
/// logs are one server's, whichever PATHs they were given under.
fn transport_roles_tree(absolute: &Path) -> Option<PathBuf> {
    let parts: Vec<Component> = absolute.components().collect();
    let at = parts
        .iter()
        .rposition(|c| c.as_os_str().eq_ignore_ascii_case("TransportRoles"))?;
    Some(parts[..=at].iter().collect())
}

/// Components of Exchange's install path that sit between a host and
/// `TransportRoles`: `…\Microsoft\Exchange Server\V15\TransportRoles`,
/// or a custom install folder named for Exchange (`D:\Exchange`).
fn is_install_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let version = lower.strip_prefix('v').is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    });
    version
        || is_drive_root(name)
        || matches!(
            lower.as_str(),
            "exchange server" | "exchangeserver" | "microsoft" | "exchange" | "microsoft exchange"
        )
}

/// The first folder of an install path on a drive: `Program Files`, or
/// the drive itself through its administrative share (`c$`, `d$`).
fn is_drive_root(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with('$') || matches!(lower.as_str(), "program files" | "program files (x86)")
}

/// Folders Exchange and IIS name themselves under their install paths,
/// never a server's folder: `TransportRoles\Logs\FrontEnd\ProtocolLog`.
fn is_exchange_folder(name: &str) -> bool {
    is_install_part(name)
        || [
            "TransportRoles",
            "Logs",
            "FrontEnd",
            "Hub",
            "Mailbox",
            "ProtocolLog",
            "SmtpReceive",
            "SmtpSend",
            "inetpub",
            "LogFiles",
        ]
        .iter()
        .any(|own| name.eq_ignore_ascii_case(own))
}

/// Rule 1: the host in `folder`, as typed (a UNC path) or made absolute.
fn from_path(folder: &Path, absolute: &Path) -> Option<String> {
    let windows = cfg!(windows);
    // The path as typed may be UNC where the absolute one is not.
    unc_host(&folder.to_string_lossy()).or_else(|| host_in(&absolute.to_string_lossy(), windows))
}

/// The parts of a path as written: split at `/`, and at `\` on Windows.
fn parts(text: &str, windows: bool) -> Vec<&str> {
    text.split(|c| c == '/' || (windows && c == '\\'))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Rule 1 on a path's text: the UNC host, else the folder above
/// `TransportRoles` and the parts of Exchange's install path between them,
/// when those parts run from a drive's root (`Program Files`, `c$`): a
/// folder holding just `Exchange Server\V15` may be named anything.
fn host_in(text: &str, windows: bool) -> Option<String> {
    if let Some(host) = unc_host(text) {
        return Some(host);
    }
    // Windows' absolute paths (`canonicalize`) begin `\\?\C:\`: no host.
    let text = text.strip_prefix(r"\\?\").unwrap_or(text);
    let parts = parts(text, windows);
    let at = parts
        .iter()
        .rposition(|p| p.eq_ignore_ascii_case("TransportRoles"))?;
    let above = &parts[..at];
    let install = above
        .iter()
        .rev()
        .take_while(|p| is_install_part(p))
        .count();
    let host = above.len().checked_sub(install + 1).map(|i| above[i])?;
    let from_root = install == 0 || is_drive_root(above[above.len() - install]);
    // A drive (`D:`) is no host.
    (from_root && !(host.len() == 2 && host.ends_with(':'))).then(|| host.to_string())
}

/// The server of a UNC path: `\\EX01\c$\…`, `\\?\UNC\EX01\…`, or on Unix
/// `//EX01/…` as written.
fn unc_host(text: &str) -> Option<String> {
    let rest = text
        .strip_prefix(r"\\?\UNC\")
        .or_else(|| {
            text.strip_prefix(r"\\")
                .filter(|r| !r.starts_with("?\\") && !r.starts_with(".\\"))
        })
        .or_else(|| text.strip_prefix("//"))?;
    let host = rest.split(['\\', '/']).next()?;
    (!host.is_empty() && host != "?" && host != ".").then(|| host.to_string())
}

/// Rule 2: `root\HOST\…\TransportRoles|ProtocolLog\…`, where HOST is
/// not one of Exchange's own folders (`root\FrontEnd\ProtocolLog\…`).
fn from_collection(root: &Path, folder: &Path) -> Option<String> {
    let below = folder.strip_prefix(root).ok()?;
    let mut parts = below.components().filter_map(|c| match c {
        Component::Normal(s) => Some(s.to_string_lossy()),
        _ => None,
    });
    let host = parts.next().filter(|h| !is_exchange_folder(h))?;
    parts
        .any(|p| {
            p.eq_ignore_ascii_case("TransportRoles")
                || p.eq_ignore_ascii_case("ProtocolLog")
                || (p.len() >= 5 && p[..5].eq_ignore_ascii_case("W3SVC"))
        })
        .then(|| host.into_owned())
}

/// Rule 4: the folder as a path below the PATH it was found under (the
/// PATH itself when the files are directly in it).
fn relative_folder(root: &Path, folder: &Path) -> String {
    let shown: PathBuf = match folder.strip_prefix(root) {
        Ok(rest) if rest.as_os_str().is_empty() => root.to_path_buf(),
        Ok(rest) => rest.to_path_buf(),
        // Standard input: its "folder" is the name of its root.
        Err(_) if folder.as_os_str().is_empty() => root.to_path_buf(),
        Err(_) => folder.to_path_buf(),
    };
    // `.`, `..` or nothing (files named in the current folder): the name
    // of the folder it stands for.
    if shown
        .components()
        .all(|c| matches!(c, Component::CurDir | Component::ParentDir))
    {
        return folder_label(&shown);
    }
    match folder_text(&shown.to_string_lossy(), cfg!(windows)) {
        text if text.is_empty() => folder_label(&shown), // the root folder
        text => text,
    }
}

/// A folder's path as a server name, without a trailing separator: as
/// typed on Windows; elsewhere a `\` (from a Windows name) reads as `/`.
/// Empty for the root folder.
fn folder_text(text: &str, windows: bool) -> String {
    let text = if windows {
        text.to_string()
    } else {
        text.replace('\\', "/")
    };
    text.trim_end_matches(['/', '\\']).to_string()
}

/// A folder's own name, for a server (rule 4) or an IIS site: its last
/// component, or for `.`, `..` and the empty path (files named in the
/// current folder) the name of the folder they stand for. Never empty.
pub(crate) fn folder_label(folder: &Path) -> String {
    if let Some(Component::Normal(name)) = folder.components().next_back() {
        return name.to_string_lossy().into_owned();
    }
    let here = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    std::fs::canonicalize(here)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| {
            // The root folder, or a current folder that is gone.
            let shown = here.display().to_string();
            if shown == "." {
                "current folder".into()
            } else {
                shown
            }
        })
}

/// The `SERVER\` prefixes of receive connectors in the first rows of a
/// folder's receive files: the first, last and middle ones first, then
/// the others, until three of them had receive rows (at most eight files
/// read; empty or broken files are passed over).
fn receive_prefixes(
    inputs: &[Input],
    files: &[usize],
    head: &impl Fn(usize) -> Option<Vec<u8>>,
) -> BTreeSet<String> {
    let receive: Vec<usize> = files
        .iter()
        .copied()
        .filter(|&id| {
            let name = inputs[id]
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            inputs[id].name_direction != Some(Direction::Send) && !crate::input::is_iis_name(&name)
        })
        .collect();
    let mut order: Vec<usize> = Vec::new();
    if let (Some(&first), Some(&last)) = (receive.first(), receive.last()) {
        order.extend([first, last, receive[receive.len() / 2]]);
        order.extend(receive.iter().copied());
    }
    let mut seen = BTreeSet::new();
    order.retain(|id| seen.insert(*id));
    let mut out = BTreeSet::new();
    let mut with_rows = 0;
    for id in order.into_iter().take(8) {
        let Some(bytes) = head(id) else { continue };
        if prefixes_in(&bytes, inputs[id].name_direction, &mut out) {
            with_rows += 1;
        }
        if with_rows == 3 {
            break;
        }
    }
    out
}

/// Adds the connector prefixes of the receive rows in `bytes`; returns
/// whether it held any receive row.
fn prefixes_in(bytes: &[u8], named: Option<Direction>, out: &mut BTreeSet<String>) -> bool {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut header_direction = None;
    let complete = match memchr::memrchr(b'\n', body) {
        Some(i) => &body[..i],
        None => return false,
    };
    let mut rows = false;
    for line in complete.split(|&b| b == b'\n') {
        if let Some(v) = line.strip_prefix(b"#Log-type:") {
            let v = v.trim_ascii();
            if v.eq_ignore_ascii_case(b"SMTP Send Protocol Log") {
                header_direction = Some(Direction::Send);
            } else if v.eq_ignore_ascii_case(b"SMTP Receive Protocol Log") {
                header_direction = Some(Direction::Receive);
            }
            continue;
        }
        if line.first() == Some(&b'#') {
            continue;
        }
        let Ok(row) = Row::parse(line) else { continue };
        let direction = header_direction
            .or(named)
            .unwrap_or_else(|| Direction::from_ports(row.get(fields::LOCAL_ENDPOINT)));
        if direction != Direction::Receive {
            continue;
        }
        rows = true;
        let connector = row.get(fields::CONNECTOR_ID);
        if let Some(i) = memchr::memchr(b'\\', connector)
            && i > 0
            && let Ok(name) = std::str::from_utf8(&connector[..i])
        {
            out.insert(name.to_string());
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, root: &str) -> Input {
        Input::under(Path::new(path), 1, Path::new(root))
    }

    const RECV: &str = "2024-03-08T10:00:00.000Z,EX07\\Default Frontend EX07,08DC000000000001,0,10.0.0.1:25,192.0.2.7:5000,+,,\r\n";

    #[test]
    fn install_tree_and_unc_hosts() {
        let from_path = |p: &Path| super::from_path(p, &absolute(p));
        assert_eq!(
            from_path(Path::new(
                "copy/EX01/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive"
            )),
            Some("EX01".into())
        );
        assert_eq!(
            from_path(Path::new(
                "/mnt/EX02/Program Files/Microsoft/Exchange Server/V15/TransportRoles/Logs/Hub/ProtocolLog/SmtpSend"
            )),
            Some("EX02".into())
        );
        assert_eq!(from_path(Path::new("//EX04/logs")), Some("EX04".into()));
        assert_eq!(from_path(Path::new("logs/SmtpReceive")), None);
    }

    /// Paths as people type them on Windows, checked on any OS.
    #[test]
    fn windows_paths() {
        let host = |t: &str| host_in(t, true);
        assert_eq!(
            host(r"D:\Logs\EX01\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive"),
            Some("EX01".into())
        );
        // The install tree on the server itself names no host.
        assert_eq!(
            host(r"C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Logs\Hub"),
            None
        );
        // Through the administrative share: the UNC host.
        for unc in [
            r"\\ex01\d$\Logs",
            r"\\ex01\c$\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Logs",
            r"\\?\UNC\ex01\c$\Exchange\TransportRoles\Logs",
        ] {
            assert_eq!(host(unc), Some("ex01".into()), "{unc}");
        }
        assert_eq!(host(r"\\?\D:\Logs\SmtpReceive"), None);
        // A custom install folder on the server names no host (rule 3
        // names the server by its connectors), but a copy may sit there.
        for custom in [
            r"D:\Exchange\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive",
            r"E:\Microsoft Exchange\V15\TransportRoles\Logs",
            r"\\?\D:\Exchange\TransportRoles\Logs",
        ] {
            assert_eq!(host(custom), None, "{custom}");
        }
        assert_eq!(host(r"D:\EX01\TransportRoles\Logs"), Some("EX01".into()));
        assert_eq!(parts(r"D:\Logs\a/b", true), ["D:", "Logs", "a", "b"]);
        assert_eq!(parts(r"D:\Logs\a/b", false), [r"D:\Logs\a", "b"]);
    }

    /// Windows' own absolute paths (`canonicalize`) begin with `\\?\`:
    /// the `?` is no host.
    #[test]
    fn canonical_windows_paths_name_no_question_mark() {
        let host = |t: &str| host_in(t, true);
        assert_eq!(
            host(r"\\?\C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Logs\Hub"),
            None
        );
        assert_eq!(host(r"\\?\C:\TransportRoles\Logs"), None);
        assert_eq!(
            host(r"\\?\D:\Copy\EX01\TransportRoles\Logs"),
            Some("EX01".into())
        );
    }

    /// Rule 4 shows the folder as typed: backslashes stay on Windows.
    #[test]
    fn folder_names_keep_windows_separators() {
        assert_eq!(folder_text(r"C:\Logs\broken\", true), r"C:\Logs\broken");
        assert_eq!(folder_text(r"site\SmtpSend", true), r"site\SmtpSend");
        assert_eq!(folder_text("C:/Logs/broken/", true), "C:/Logs/broken");
        assert_eq!(folder_text(r"site\SmtpSend/", false), "site/SmtpSend");
        // The root folder: relative_folder names it by folder_label.
        assert_eq!(folder_text("/", false), "");
    }

    #[test]
    fn the_first_rule_that_names_wins() {
        let inputs = vec![
            // 1: above TransportRoles.
            input(
                "c/EX01/TransportRoles/Logs/FrontEnd/ProtocolLog/SmtpReceive/RECV1.LOG",
                "c",
            ),
            // 2: a collection folder with ProtocolLog below it.
            input("c/EX02/FrontEnd/ProtocolLog/SmtpReceive/RECV1.LOG", "c"),
            // 3: the connector prefix, for the receive folder and, as the
            // only prefix of its collection, the send folder beside it.
            input("d/SmtpReceive/RECV1.LOG", "d"),
            input("d/SmtpSend/SEND1.LOG", "d"),
            // 4: nothing else: the folder below the PATH.
            input("e/site/SmtpSend/SEND1.LOG", "e"),
        ];
        let servers = assign(&inputs, |id| (id == 2).then(|| RECV.as_bytes().to_vec()));
        let of = |i: usize| servers.name(servers.of_file[i]);
        assert_eq!(
            (of(0), of(1), of(2), of(3), of(4)),
            ("EX01", "EX02", "EX07", "EX07", "site/SmtpSend")
        );
        assert_eq!(servers.names, ["EX01", "EX02", "EX07", "site/SmtpSend"]);
        assert_eq!(
            servers.rules,
            [Rule::Path, Rule::Collection, Rule::Connector, Rule::Folder]
        );
    }

    #[test]
    fn rule_4_names_are_never_empty_or_a_dot() {
        assert_eq!(
            relative_folder(Path::new("logs"), Path::new("logs/a/b")),
            "a/b"
        );
        assert_eq!(
            relative_folder(Path::new("logs/"), Path::new("logs/")),
            "logs"
        );
        assert_eq!(relative_folder(Path::new("/"), Path::new("/")), "/");
        let here = std::env::current_dir().unwrap();
        let name = here.file_name().unwrap().to_string_lossy();
        for dot in ["", ".", "./"] {
            assert_eq!(relative_folder(Path::new(dot), Path::new(dot)), name);
        }
        assert_eq!(folder_label(Path::new("c/EX05/W3SVC1")), "W3SVC1");
        assert_eq!(folder_label(Path::new("")), name);
    }

    /// Exchange's own folders (`FrontEnd`, `Hub`, `TransportRoles`) are no
    /// collection folders: the install tree on the server itself, given at
    /// `…\Logs` or at `…\V15`, is the one server its connectors name, send
    /// folders included. (Absolute paths that do not exist are used as
    /// typed, so rule 1 sees only install parts here, as on Windows.)
    #[test]
    fn exchange_folders_are_no_collection_folders() {
        let v15 = "/Program Files/Microsoft/Exchange Server/V15";
        for root in [format!("{v15}/TransportRoles/Logs"), v15.to_string()] {
            let logs = format!("{v15}/TransportRoles/Logs");
            let inputs = vec![
                input(
                    &format!("{logs}/FrontEnd/ProtocolLog/SmtpReceive/RECV1.LOG"),
                    &root,
                ),
                input(
                    &format!("{logs}/FrontEnd/ProtocolLog/SmtpSend/SEND1.LOG"),
                    &root,
                ),
                input(&format!("{logs}/Hub/ProtocolLog/SmtpSend/SEND1.LOG"), &root),
            ];
            let servers = assign(&inputs, |id| (id == 0).then(|| RECV.as_bytes().to_vec()));
            assert_eq!(servers.names, ["EX07"], "{root}");
            assert_eq!(servers.of_file, [0, 0, 0], "{root}");
            assert_eq!(servers.rules, [Rule::Connector], "{root}");
        }
    }

    /// Send logs take the server of their `TransportRoles` tree, also when
    /// its folders are given as separate PATHs.
    #[test]
    fn send_logs_take_the_server_of_their_transport_roles_tree() {
        let logs = "/Program Files/Microsoft/Exchange Server/V15/TransportRoles/Logs";
        let (front, hub) = (format!("{logs}/FrontEnd"), format!("{logs}/Hub"));
        let inputs = vec![
            input(
                &format!("{front}/ProtocolLog/SmtpReceive/RECV1.LOG"),
                &front,
            ),
            input(&format!("{hub}/ProtocolLog/SmtpSend/SEND1.LOG"), &hub),
        ];
        let servers = assign(&inputs, |id| (id == 0).then(|| RECV.as_bytes().to_vec()));
        assert_eq!(servers.names, ["EX07"]);
        assert_eq!(servers.of_file, [0, 0]);
    }

    /// A folder above an install path is a host only when the path runs
    /// from a drive's root (`Program Files`, an administrative share): one
    /// holding just `Exchange Server\V15` is any folder someone made.
    #[test]
    fn a_host_above_the_install_path_needs_a_whole_drive() {
        let host = |t: &str| host_in(t, false);
        assert_eq!(
            host("/mnt/EX02/Program Files/Microsoft/Exchange Server/V15/TransportRoles"),
            Some("EX02".into())
        );
        assert_eq!(
            host("/mnt/EX03/c$/Program Files/Microsoft/Exchange Server/V15/TransportRoles"),
            Some("EX03".into())
        );
        assert_eq!(
            host("/mnt/EX04/d$/Exchange Server/V15/TransportRoles/Logs"),
            Some("EX04".into())
        );
        assert_eq!(
            host("/srv/copy/EX05/TransportRoles/Logs"),
            Some("EX05".into())
        );
        assert_eq!(
            host("/tmp/backup/Exchange Server/V15/TransportRoles/Logs"),
            None
        );
        assert_eq!(host("/tmp/backup/V15/TransportRoles"), None);
        let win = |t: &str| host_in(t, true);
        assert_eq!(
            win("C:/Program Files/Microsoft/Exchange Server/V15/TransportRoles/Logs"),
            None
        );
        assert_eq!(win(r"E:\Exchange Server\V15\TransportRoles\Logs\"), None);
    }

    #[test]
    fn disagreeing_prefixes_name_no_server() {
        let two = format!("{RECV}{}", RECV.replace("EX07", "EX08"));
        let inputs = vec![input("logs/RECV1.LOG", "logs")];
        let servers = assign(&inputs, |_| Some(two.clone().into_bytes()));
        assert_eq!(servers.names, ["logs"]);
        // A send header makes the same rows send rows: no prefix either.
        let send = format!("#Log-type: SMTP Send Protocol Log\r\n{RECV}");
        let servers = assign(&inputs, |_| Some(send.clone().into_bytes()));
        assert_eq!(servers.names, ["logs"]);
    }
}
