//! Where reports go: stdout, one file (`-o report.csv`, `-o report.xlsx`),
//! or a folder with every report as its own file (`-o out/`). Files are
//! created before the scan, so a bad path fails at once, not after minutes.

use std::fs::File;
use std::path::Path;

/// The UTF-8 byte-order mark: with it, Excel reads a CSV file as UTF-8
/// (localized connector names) instead of the system code page.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The destination, with its files already created.
pub(crate) enum Dest {
    Stdout,
    File(File),
    /// A folder: `(file name, file)` for every report, `report.json` last.
    Dir(Vec<(String, File)>),
}

/// A folder is meant when the path exists as one or ends with a separator.
pub(crate) fn is_dir_target(path: &Path) -> bool {
    path.is_dir() || names_folder(&path.as_os_str().to_string_lossy(), cfg!(windows))
}

/// A path typed with a separator at its end (`reports/`; on Windows also
/// `reports\`) names a folder.
fn names_folder(text: &str, windows: bool) -> bool {
    text.ends_with('/') || (windows && text.ends_with('\\'))
}

impl Dest {
    /// Creates the output file or folder; a folder gets `NAME.csv` for each
    /// of `reports`, then `report.json`.
    pub(crate) fn open(output: Option<&Path>, reports: &[&str]) -> Result<Dest, String> {
        let Some(path) = output else {
            return Ok(Dest::Stdout);
        };
        let create = |p: &Path| {
            File::create(p).map_err(|e| format!("{}: cannot write here: {e}", p.display()))
        };
        if is_dir_target(path) {
            std::fs::create_dir_all(path)
                .map_err(|e| format!("{}: cannot create this folder: {e}", path.display()))?;
            let mut files = Vec::new();
            for name in reports {
                let file = format!("{name}.csv");
                files.push((file.clone(), create(&path.join(&file))?));
            }
            files.push(("report.json".into(), create(&path.join("report.json"))?));
            return Ok(Dest::Dir(files));
        }
        Ok(Dest::File(create(path)?))
    }

    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self, Dest::Stdout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-o` targets as typed on Windows and elsewhere, checked on any OS.
    #[test]
    fn folder_targets() {
        assert!(names_folder(r"reports\", true));
        assert!(names_folder(r"D:\out\reports\", true));
        assert!(names_folder("reports/", true));
        assert!(names_folder("reports/", false));
        // On Unix a backslash is part of a file name.
        assert!(!names_folder(r"reports\", false));
        assert!(!names_folder(r"D:\out\report.xlsx", true));
    }
}
