//! Errors and warnings about the input, as values: what kind of problem,
//! the file it is in (where there is one), the byte offset and line where
//! known, and the text. They become text only at the edge: stderr and the
//! HTML and xlsx reports print [`Diagnostic::message`], the JSON report
//! writes each as an object.
//!
//! A foundation: it uses nothing else of exlog.

use std::fmt;

/// Whether the input was read in part only (exit code 2) or read whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Something was not read: a file, a partial result, an inventory.
    Error,
    /// Read, but the reader should know something about it.
    Warning,
}

impl Severity {
    /// The name in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What went wrong. The names (`clock_skew`) are the JSON report's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A path on the command line or a folder under it that cannot be
    /// read (missing, no permission, a symbolic link loop), or a zip
    /// archive that cannot be opened or holds no logs.
    UnreadablePath,
    /// A log file that cannot be read at all.
    UnreadableFile,
    /// A file that was not scanned: not a log (its header says why).
    SkippedFile,
    /// A stream that broke off (corrupt gzip, bad CRC, zip bomb): what was
    /// read before is counted.
    BrokenStream,
    /// Rows that are not of the log's format.
    MalformedRows,
    /// A last line without its line ending, not read.
    TruncatedLastLine,
    /// Records far from the file's own time or in the future.
    ClockSkew,
    /// A file with the same content as one read: read once.
    CopyReadOnce,
    /// IIS logs without the crypt-* fields: their TLS versions are unknown.
    IisWithoutCrypt,
    /// A session id that began again while a session of it was open.
    RestartedSession,
    /// A protocol token exlog does not know, counted as `other`.
    UnknownProtocol,
    /// A filter that matched nothing, or filters that together did.
    FilterMatchedNothing,
    /// A connector inventory file that is no inventory or has bad rows.
    Inventory,
    /// The inventory and the logs disagree (connectors, servers).
    InventoryMismatch,
    /// The `--owners` file, or rows of the call list it matched no owner.
    Owners,
    /// A TLS-RPT report that cannot be read, is malformed, or was read twice.
    Tlsrpt,
    /// A partial result that cannot be merged, or a server read twice.
    Partial,
}

impl Kind {
    /// The name in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::UnreadablePath => "unreadable_path",
            Kind::UnreadableFile => "unreadable_file",
            Kind::SkippedFile => "skipped_file",
            Kind::BrokenStream => "broken_stream",
            Kind::MalformedRows => "malformed_rows",
            Kind::TruncatedLastLine => "truncated_last_line",
            Kind::ClockSkew => "clock_skew",
            Kind::CopyReadOnce => "copy_read_once",
            Kind::IisWithoutCrypt => "iis_without_crypt",
            Kind::RestartedSession => "restarted_session",
            Kind::UnknownProtocol => "unknown_protocol",
            Kind::FilterMatchedNothing => "filter_matched_nothing",
            Kind::Inventory => "inventory",
            Kind::InventoryMismatch => "inventory_mismatch",
            Kind::Owners => "owners",
            Kind::Tlsrpt => "tlsrpt",
            Kind::Partial => "partial",
        }
    }
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: Kind,
    /// The file (or folder) it is about, as the message shows it (an
    /// inventory mismatch's message names the server or connector, and
    /// this the inventory file).
    pub file: Option<String>,
    /// Byte offset in the file, where known.
    pub offset: Option<u64>,
    /// Line number (from 1), where known.
    pub line: Option<u64>,
    /// The whole text, as printed after `exlog: warning: ` (file included).
    pub message: String,
}

impl Diagnostic {
    /// A warning of `kind` with its text; no file, offset or line yet.
    pub fn warning(kind: Kind, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            kind,
            file: None,
            offset: None,
            line: None,
            message: message.into(),
        }
    }

    /// An error of `kind` with its text.
    pub fn error(kind: Kind, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            ..Diagnostic::warning(kind, message)
        }
    }

    /// The same, about `file`.
    pub(crate) fn in_file(self, file: impl fmt::Display) -> Diagnostic {
        Diagnostic {
            file: Some(file.to_string()),
            ..self
        }
    }

    /// The same, at `line` (and `offset`, where known) of its file.
    pub(crate) fn at(self, line: Option<u64>, offset: Option<u64>) -> Diagnostic {
        Diagnostic {
            line,
            offset,
            ..self
        }
    }
}

/// The text, as stderr prints it.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A partial result keeps its TLS-RPT warnings as text (the format of
/// version 4): they are written as their messages and read back as
/// TLS-RPT warnings. Use with `#[serde(with = "crate::diagnostic::as_text")]`.
pub(crate) mod as_text {
    use super::{Diagnostic, Kind};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(list: &[Diagnostic], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(|d| d.message.as_str()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Diagnostic>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        Ok(texts
            .into_iter()
            .map(|t| Diagnostic::warning(Kind::Tlsrpt, t))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_message_whatever_the_location() {
        let d = Diagnostic::warning(Kind::ClockSkew, "a.LOG: 2 records …")
            .in_file("a.LOG")
            .at(Some(4), Some(123));
        assert_eq!(d.to_string(), "a.LOG: 2 records …");
        assert_eq!(d.file.as_deref(), Some("a.LOG"));
        assert_eq!((d.line, d.offset), (Some(4), Some(123)));
        assert_eq!(d.severity, Severity::Warning);
        let error = Diagnostic::error(Kind::UnreadableFile, "x");
        assert_eq!(error.severity, Severity::Error);
    }

    #[test]
    fn partial_results_keep_tlsrpt_warnings_as_text() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct W {
            #[serde(with = "as_text")]
            w: Vec<Diagnostic>,
        }
        let w = W {
            w: vec![Diagnostic::warning(Kind::Tlsrpt, "r.json: not counted").in_file("r.json")],
        };
        let text = serde_json::to_string(&w).unwrap();
        assert_eq!(text, r#"{"w":["r.json: not counted"]}"#);
        let back: W = serde_json::from_str(&text).unwrap();
        assert_eq!(back.w[0].message, "r.json: not counted");
        assert_eq!(back.w[0].kind, Kind::Tlsrpt);
    }
}
