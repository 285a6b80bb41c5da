//! Path arguments as Windows hands them over, made what the user meant.
//!
//! Wildcards: cmd and PowerShell pass `D:\Logs\RECV2024*.LOG` to the
//! program as typed, where a Unix shell would have expanded it (and where
//! `*` may be part of a real file name, so nothing is expanded there).
//! `*` and `?` are wildcards in any part of a path after its root (drive,
//! share, `\\?\` prefix); every other character is literal. Names match
//! case-insensitively, as Windows matches them. A path comes back as it
//! was typed (its separators, its literal parts) with each pattern part
//! replaced by the names that match it, in name order; the arguments keep
//! their order. A pattern that matches nothing is an error naming it.
//!
//! And `"D:\My Logs\"` arrives as `D:\My Logs"`: the backslash is given back.

use std::path::PathBuf;

/// One entry of a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    /// A folder (or a link to one): only folders match a pattern that has
    /// more path after it.
    pub is_dir: bool,
}

/// The command line's paths with their wildcards expanded, on Windows.
pub(crate) fn expand_args(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !cfg!(windows) {
        return Ok(paths.to_vec());
    }
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let Some(text) = path.to_str() else {
            out.push(path.clone());
            continue;
        };
        let text = closing_quote_as_backslash(text);
        if is_pattern(&text, true) {
            out.extend(
                expand(&text, true, &read_folder)?
                    .into_iter()
                    .map(PathBuf::from),
            );
        } else {
            out.push(PathBuf::from(text));
        }
    }
    Ok(out)
}

/// `"D:\My Logs\"` reaches a program as `D:\My Logs"`: by Windows' rules
/// `\"` is a quote inside a quoted argument, and cmd and Windows
/// PowerShell 5.1 pass it so. No Windows name holds a `"`, so a last `"`,
/// the only one, was that backslash.
fn closing_quote_as_backslash(text: &str) -> String {
    match text.strip_suffix('"') {
        Some(rest) if !rest.is_empty() && !rest.contains('"') => format!("{rest}\\"),
        _ => text.to_string(),
    }
}

/// Whether `text` has a wildcard after its root (the `?` of `\\?\` is
/// none).
pub(crate) fn is_pattern(text: &str, windows: bool) -> bool {
    has_wildcard(split_root(text, windows).1)
}

fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// The paths that `pattern` matches, as typed with each pattern part
/// replaced by a name. `list` gives the entries of a folder written as
/// typed so far (`""` is the current folder). `windows`: `\` separates
/// parts too, and Windows roots are recognised.
pub(crate) fn expand(
    pattern: &str,
    windows: bool,
    list: &dyn Fn(&str) -> std::io::Result<Vec<Entry>>,
) -> Result<Vec<String>, String> {
    let is_sep = |c: char| c == '/' || (windows && c == '\\');
    let (root, rest) = split_root(pattern, windows);
    let pieces: Vec<&str> = rest.split_inclusive(is_sep).collect();
    let mut found = vec![root.to_string()];
    for (i, piece) in pieces.iter().enumerate() {
        let name = piece.trim_end_matches(is_sep);
        if !has_wildcard(name) {
            found.iter_mut().for_each(|f| f.push_str(piece));
            continue;
        }
        let tail = &piece[name.len()..];
        // Files match only the last part, when no separator follows it.
        let files_too = i + 1 == pieces.len() && tail.is_empty();
        let glob = part_glob(name).map_err(|e| format!("{pattern}: {e}"))?;
        let mut next = Vec::new();
        for folder in &found {
            let entries = list(folder).map_err(|e| {
                let shown = if folder.is_empty() { "." } else { folder };
                format!("{pattern}: cannot list the folder {shown}: {e}")
            })?;
            let mut names: Vec<&str> = entries
                .iter()
                .filter(|e| (e.is_dir || files_too) && glob.is_match(&e.name))
                .map(|e| e.name.as_str())
                .collect();
            names.sort_by_cached_key(|n| (n.to_lowercase(), n.to_string()));
            next.extend(names.iter().map(|n| format!("{folder}{n}{tail}")));
        }
        found = next;
    }
    if found.is_empty() {
        return Err(format!("{pattern}: no file or folder matches this pattern"));
    }
    Ok(found)
}

/// A matcher for one part of a path: `*` and `?` as wildcards, anything
/// else (`[`, `{` included) literal, case-insensitive.
fn part_glob(name: &str) -> Result<globset::GlobMatcher, String> {
    let mut text = String::new();
    for c in name.chars() {
        match c {
            // `**` would be globset's recursive wildcard: one `*` matches
            // the same names.
            '*' if text.ends_with('*') => {}
            '*' | '?' => text.push(c),
            c => text.push_str(&globset::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    globset::GlobBuilder::new(&text)
        .case_insensitive(true)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("not a pattern: {}", e.kind()))
}

/// The root of a path as typed, and the rest. On Windows: `C:\`, `C:`,
/// `\`, `\\server\share\`, `\\?\C:\`, `\\?\UNC\server\share\`; elsewhere
/// the leading `/`s.
fn split_root(text: &str, windows: bool) -> (&str, &str) {
    let len = if windows {
        windows_root_len(text)
    } else {
        text.len() - text.trim_start_matches('/').len()
    };
    text.split_at(len)
}

fn windows_root_len(text: &str) -> usize {
    let is_sep = |c: char| c == '/' || c == '\\';
    // Where the `n` parts after `start` end, their separators included.
    let after_parts = |start: usize, n: usize| {
        let mut at = start;
        for _ in 0..n {
            match text[at..].find(is_sep) {
                Some(i) => at += i + 1,
                None => return text.len(),
            }
        }
        at
    };
    let b = text.as_bytes();
    if text.starts_with(r"\\?\") || text.starts_with(r"\\.\") {
        let unc = text
            .get(4..8)
            .is_some_and(|p| p.eq_ignore_ascii_case(r"UNC\"));
        return if unc {
            after_parts(8, 2)
        } else {
            after_parts(4, 1)
        };
    }
    match b {
        [a, c, ..] if is_sep(*a as char) && is_sep(*c as char) => after_parts(2, 2),
        [d, b':', s, ..] if d.is_ascii_alphabetic() && is_sep(*s as char) => 3,
        [d, b':', ..] if d.is_ascii_alphabetic() => 2,
        [s, ..] if is_sep(*s as char) => 1,
        _ => 0,
    }
}

/// The entries of a folder on disk; names that are not Unicode are left
/// out (no pattern could be typed for them).
fn read_folder(typed: &str) -> std::io::Result<Vec<Entry>> {
    let folder = if typed.is_empty() { "." } else { typed };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let is_dir = kind.is_dir() || (kind.is_symlink() && entry.path().is_dir());
        if let Ok(name) = entry.file_name().into_string() {
            entries.push(Entry { name, is_dir });
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A lister over a made-up tree: folder as typed → entries (a name
    /// ending in `\` is a folder).
    fn tree<'a>(
        folders: &'a [(&'a str, &'a [&'a str])],
    ) -> impl Fn(&str) -> std::io::Result<Vec<Entry>> + 'a {
        let map: BTreeMap<&str, &[&str]> = folders.iter().copied().collect();
        move |folder: &str| {
            let names = map.get(folder).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder")
            })?;
            Ok(names
                .iter()
                .map(|n| Entry {
                    name: n.trim_end_matches('\\').to_string(),
                    is_dir: n.ends_with('\\'),
                })
                .collect())
        }
    }

    const LOGS: &[(&str, &[&str])] = &[(
        r"D:\Logs\SmtpReceive\",
        &[
            "RECV2024031510-1.LOG",
            "recv2024031509-1.log",
            "RECV2023123123-1.LOG",
            "SEND2024031510-1.LOG",
            "RECV2024-old\\",
        ],
    )];

    #[test]
    fn star_matches_case_insensitively_in_name_order_as_typed() {
        let got = expand(r"D:\Logs\SmtpReceive\RECV2024*.LOG", true, &tree(LOGS)).unwrap();
        // By hand: the three RECV2024… names, not the 2023 one, not SEND,
        // not the folder (a file pattern at the end); sorted ignoring case.
        assert_eq!(
            got,
            [
                r"D:\Logs\SmtpReceive\recv2024031509-1.log",
                r"D:\Logs\SmtpReceive\RECV2024031510-1.LOG",
            ]
        );
    }

    #[test]
    fn question_mark_is_one_character() {
        let got = expand(r"D:\Logs\SmtpReceive\?END*", true, &tree(LOGS)).unwrap();
        assert_eq!(got, [r"D:\Logs\SmtpReceive\SEND2024031510-1.LOG"]);
        let none = expand(r"D:\Logs\SmtpReceive\?SEND*", true, &tree(LOGS));
        assert!(none.is_err());
    }

    #[test]
    fn wildcards_in_folders_and_forward_slashes_kept() {
        let folders: &[(&str, &[&str])] = &[
            (
                "//ex01/d$/",
                &["EX01-Logs\\", "EX02-Logs\\", "ex03-logs\\", "EX04-Logs.txt"],
            ),
            ("//ex01/d$/EX01-Logs/", &["RECV1.LOG", "notes.txt"]),
            ("//ex01/d$/EX02-Logs/", &["readme.txt"]),
            ("//ex01/d$/ex03-logs/", &["recv9.log"]),
        ];
        let got = expand("//ex01/d$/EX0?-logs/RECV*.LOG", true, &tree(folders)).unwrap();
        // EX04-Logs.txt is a file: it cannot hold RECV*.LOG. EX02 holds no
        // match: it adds nothing, and the others are still found.
        assert_eq!(
            got,
            [
                "//ex01/d$/EX01-Logs/RECV1.LOG",
                "//ex01/d$/ex03-logs/recv9.log"
            ]
        );
    }

    #[test]
    fn a_trailing_separator_matches_folders_only() {
        let got = expand(r"D:\Logs\SmtpReceive\RECV2024*\", true, &tree(LOGS)).unwrap();
        assert_eq!(got, [r"D:\Logs\SmtpReceive\RECV2024-old\"]);
    }

    #[test]
    fn roots_are_not_patterns() {
        // The `?` of `\\?\` is part of the root, not a wildcard.
        assert!(!is_pattern(r"\\?\C:\Logs\RECV1.LOG", true));
        assert!(is_pattern(r"\\?\C:\Logs\RECV*.LOG", true));
        assert!(!is_pattern(r"\\?\UNC\ex01\d$\Logs", true));
        assert!(!is_pattern(r"D:\Logs", true));
        let folders: &[(&str, &[&str])] = &[
            (r"\\?\UNC\ex01\d$\", &["Logs\\", "RECV1.LOG"]),
            (r"\\?\C:\", &["RECV2.LOG"]),
            ("C:", &["RECV3.LOG"]),
            ("", &["RECV4.LOG", "Logs - Copy\\"]),
            ("Logs - Copy\\", &["RECV5.LOG"]),
        ];
        let t = tree(folders);
        let one = |p: &str| expand(p, true, &t).unwrap();
        assert_eq!(one(r"\\?\UNC\ex01\d$\R*"), [r"\\?\UNC\ex01\d$\RECV1.LOG"]);
        assert_eq!(one(r"\\?\C:\RECV?.LOG"), [r"\\?\C:\RECV2.LOG"]);
        assert_eq!(one("C:*.LOG"), ["C:RECV3.LOG"]);
        assert_eq!(one("recv*"), ["RECV4.LOG"]);
        assert_eq!(one(r"Logs - Copy\*"), [r"Logs - Copy\RECV5.LOG"]);
    }

    #[test]
    fn brackets_and_braces_are_literal() {
        let folders: &[(&str, &[&str])] =
            &[(r"D:\", &["Logs [old]\\", "Logs o\\", "{a,b}x\\", "ax\\"])];
        let t = tree(folders);
        assert_eq!(
            expand(r"D:\Logs [old]*\", true, &t).unwrap(),
            [r"D:\Logs [old]\"]
        );
        assert_eq!(expand(r"D:\{a,b}*\", true, &t).unwrap(), [r"D:\{a,b}x\"]);
    }

    #[test]
    fn a_quoted_trailing_backslash_is_given_back() {
        // cmd: exlog.exe "C:\Logs - Copy\sample\" gives `C:\Logs - Copy\sample"`.
        let f = closing_quote_as_backslash;
        assert_eq!(f(r#"C:\Logs - Copy\sample""#), r"C:\Logs - Copy\sample\");
        assert_eq!(f(r#"D:\Logs\RECV*.LOG"#), r"D:\Logs\RECV*.LOG");
        // Not that backslash: left for the path check to refuse.
        assert_eq!(f(r#"a"b""#), r#"a"b""#);
        assert_eq!(f(r#"""#), r#"""#);
    }

    #[test]
    fn a_pattern_matching_nothing_is_an_error_naming_it() {
        let e = expand(r"D:\Logs\SmtpReceive\RECV2099*.LOG", true, &tree(LOGS)).unwrap_err();
        assert_eq!(
            e,
            r"D:\Logs\SmtpReceive\RECV2099*.LOG: no file or folder matches this pattern"
        );
        let e = expand(r"D:\Logz\RECV*.LOG", true, &tree(LOGS)).unwrap_err();
        assert!(
            e.starts_with(r"D:\Logz\RECV*.LOG: cannot list the folder D:\Logz\: "),
            "{e}"
        );
    }

    #[test]
    fn real_folders_on_disk() {
        // The lister exlog uses on Windows, with `/` paths on any system.
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_str().unwrap().to_string();
        std::fs::create_dir(dir.path().join("EX01")).unwrap();
        for name in [
            "EX01/RECV2.LOG",
            "EX01/recv1.log",
            "EX01/SEND1.LOG",
            "RECV0.LOG",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let got = expand(&format!("{base}/*/RECV*.LOG"), false, &read_folder).unwrap();
        assert_eq!(
            got,
            [
                format!("{base}/EX01/recv1.log"),
                format!("{base}/EX01/RECV2.LOG")
            ]
        );
    }

    #[test]
    fn only_windows_expands_arguments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("RECV1.LOG"), b"x").unwrap();
        let base = dir.path().to_str().unwrap();
        let args = [
            PathBuf::from(format!("{base}/RECV*.LOG")),
            PathBuf::from("x"),
        ];
        let want = if cfg!(windows) {
            vec![
                PathBuf::from(format!("{base}/RECV1.LOG")),
                PathBuf::from("x"),
            ]
        } else {
            // The shell expands; a `*` left is part of a name.
            args.to_vec()
        };
        assert_eq!(expand_args(&args).unwrap(), want);
    }
}
