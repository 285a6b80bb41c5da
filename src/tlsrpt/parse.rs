//! Reading TLS-RPT aggregate reports (RFC 8460): small JSON documents,
//! parsed leniently where real senders deviate (a date without `Z`,
//! `receiving-mx-host-name`), strictly where a count would be wrong.

use crate::diagnostic::{Diagnostic, Kind};
use serde_json::Value;
use std::collections::BTreeMap;

/// One row: a policy, and one of its failure details (or none).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Row {
    pub report_org: String,
    pub report_id: String,
    pub date_start: String,
    pub date_end: String,
    pub policy_type: String,
    pub policy_domain: String,
    pub mx_host: String,
    pub successful: u64,
    pub failed: u64,
    pub result_type: String,
    pub sending_ip: String,
    pub receiving_ip: String,
    pub receiving_mx_hostname: String,
    pub failed_sessions: Option<u64>,
}

/// A report's rows, or why it cannot be counted.
pub(crate) fn parse(text: &[u8]) -> Result<(String, Vec<Row>), String> {
    let v: Value = serde_json::from_slice(text).map_err(|e| format!("not JSON: {e}"))?;
    let org = text_of(&v, "organization-name")?;
    let id = text_of(&v, "report-id")?;
    let range = v.get("date-range").ok_or("no \"date-range\"")?;
    let start = text_of(range, "start-datetime")?;
    let end = text_of(range, "end-datetime")?;
    let (a, b) = (normal_time(&start)?, normal_time(&end)?);
    if a > b {
        return Err(format!("date-range starts ({start}) after it ends ({end})"));
    }
    let policies = v
        .get("policies")
        .and_then(Value::as_array)
        .ok_or("no \"policies\" list")?;
    let report = Row {
        report_org: org,
        report_id: id.clone(),
        date_start: a,
        date_end: b,
        ..Row::default()
    };
    let mut rows = Vec::new();
    for p in policies {
        policy_rows(p, &report, &mut rows)?;
    }
    Ok((id, rows))
}

/// The rows of one policy of a report (`report` holds the report's
/// fields): its summary alone, or one row per failure detail.
fn policy_rows(p: &Value, report: &Row, rows: &mut Vec<Row>) -> Result<(), String> {
    let policy = p.get("policy").ok_or("a policy without \"policy\"")?;
    let summary = p.get("summary").ok_or("a policy without \"summary\"")?;
    let mx = policy
        .get("mx-host")
        .map(|m| match m {
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            Value::String(s) => s.clone(),
            _ => String::new(),
        })
        .unwrap_or_default();
    let base = Row {
        policy_type: text_of(policy, "policy-type")?,
        policy_domain: text_of(policy, "policy-domain")?,
        mx_host: mx,
        successful: count_of(summary, "total-successful-session-count")?,
        failed: count_of(summary, "total-failure-session-count")?,
        ..report.clone()
    };
    let details = p
        .get("failure-details")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if details.is_empty() {
        rows.push(base);
        return Ok(());
    }
    for d in details {
        let opt = |key: &str| d.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let mut mx = opt("receiving-mx-hostname");
        if mx.is_empty() {
            mx = opt("receiving-mx-host-name"); // seen from some senders
        }
        rows.push(Row {
            result_type: text_of(d, "result-type")?,
            sending_ip: opt("sending-mta-ip"),
            receiving_ip: opt("receiving-ip"),
            receiving_mx_hostname: mx,
            failed_sessions: Some(count_of(d, "failed-session-count")?),
            ..base.clone()
        });
    }
    Ok(())
}

/// The text member `key` of `v`.
fn text_of(v: &Value, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("no \"{key}\" text"))
}

/// The count member `key` of `v`.
fn count_of(v: &Value, key: &str) -> Result<u64, String> {
    match v.get(key) {
        Some(n) => n
            .as_u64()
            .ok_or_else(|| format!("\"{key}\" is {n}, not a count")),
        None => Err(format!("no \"{key}\"")),
    }
}

/// The members of an RFC 8460 report, one of which comes first.
const MEMBERS: [&str; 5] = [
    "organization-name",
    "date-range",
    "contact-info",
    "report-id",
    "policies",
];

/// How many bytes [`looks_like_report`] needs at most.
pub(crate) const SNIFF_BYTES: usize = 256;

/// Whether `head`, the start of a JSON file, begins like a TLS-RPT
/// report: an object whose first member is one of RFC 8460's
/// (`{"organization-name": …`). For files found in folders and archives,
/// which may hold any other JSON (exlog's own `truth.json`, settings).
pub(crate) fn looks_like_report(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(rest) = head.trim_ascii_start().strip_prefix(b"{") else {
        return false;
    };
    let Some(key) = rest.trim_ascii_start().strip_prefix(b"\"") else {
        return false;
    };
    let end = memchr::memchr(b'"', key).unwrap_or(key.len());
    MEMBERS.iter().any(|m| m.as_bytes() == &key[..end])
}

/// An RFC 3339 time as UTC text; a time without zone (Microsoft has sent
/// them) is taken as UTC.
fn normal_time(t: &str) -> Result<String, String> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let utc: DateTime<Utc> = if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        d.with_timezone(&Utc)
    } else if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        n.and_utc()
    } else {
        return Err(format!("{t:?} is not a date-time"));
    };
    Ok(utc.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Reports read: rows, and the messages (each naming its file).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Read {
    pub rows: Vec<Row>,
    pub files: u64,
    /// Reports not counted: unreadable or malformed (exit code 2).
    pub skipped: u64,
    /// Reports read twice (the same report-id): counted once.
    pub duplicates: u64,
    #[serde(with = "crate::diagnostic::as_text")]
    pub warnings: Vec<Diagnostic>,
    /// Report-id → the file it was counted from.
    pub seen: BTreeMap<String, String>,
}

impl Read {
    /// Adds the report in `text` read from `name`; the same report-id
    /// twice is counted once.
    pub fn add(&mut self, name: &str, text: &[u8]) {
        let seen = &mut self.seen;
        self.files += 1;
        match parse(text) {
            Err(why) => {
                self.skipped += 1;
                let text = format!("{name}: not counted: not a TLS-RPT report: {why}");
                self.warnings.push(Read::warning(name, text));
            }
            Ok((id, rows)) => match seen.get(&id) {
                Some(first) => {
                    self.duplicates += 1;
                    let text = format!(
                        "{name}: report-id {id:?} was read already from {first}: counted once"
                    );
                    self.warnings.push(Read::warning(name, text));
                }
                None => {
                    seen.insert(id, name.to_string());
                    self.rows.extend(rows);
                }
            },
        }
    }

    /// A warning about the report `name`.
    pub fn warning(name: &str, text: String) -> Diagnostic {
        Diagnostic::warning(Kind::Tlsrpt, text).in_file(name)
    }

    /// Per policy domain: successful and failed sessions (each policy's
    /// summary once, however many failure details it has).
    pub fn totals(&self) -> BTreeMap<String, (u64, u64)> {
        let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut counted = std::collections::BTreeSet::new();
        for r in &self.rows {
            let policy = (&r.report_id, &r.policy_type, &r.policy_domain, &r.mx_host);
            if counted.insert(policy) {
                let e = out.entry(r.policy_domain.clone()).or_default();
                e.0 += r.successful;
                e.1 += r.failed;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC: &str = r#"{"organization-name":"Company-X","date-range":{"start-datetime":"2016-04-01T00:00:00Z","end-datetime":"2016-04-01T23:59:59Z"},"contact-info":"sts-reporting@company-x.example","report-id":"5065427c","policies":[{"policy":{"policy-type":"sts","policy-domain":"company-y.example","mx-host":["*.mail.company-y.example"]},"summary":{"total-successful-session-count":5326,"total-failure-session-count":303},"failure-details":[{"result-type":"certificate-expired","sending-mta-ip":"2001:db8:abcd:0012::1","receiving-mx-hostname":"mx1.mail.company-y.example","failed-session-count":100},{"result-type":"starttls-not-supported","sending-mta-ip":"2001:db8:abcd:0013::1","receiving-mx-hostname":"mx2.mail.company-y.example","receiving-ip":"203.0.113.56","failed-session-count":200},{"result-type":"validation-failure","sending-mta-ip":"198.51.100.62","receiving-ip":"203.0.113.58","receiving-mx-hostname":"mx-backup.mail.company-y.example","failed-session-count":3}]}]}"#;

    #[test]
    fn one_row_per_failure_detail() {
        let (id, rows) = parse(RFC.as_bytes()).unwrap();
        assert_eq!(id, "5065427c");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].result_type, "starttls-not-supported");
        assert_eq!(rows[1].receiving_ip, "203.0.113.56");
        assert_eq!(rows[1].failed_sessions, Some(200));
        assert!(rows.iter().all(|r| r.successful == 5326 && r.failed == 303));
        let mut read = Read::default();
        read.add("a.json", RFC.as_bytes());
        // The summary counts once per policy, not once per detail.
        assert_eq!(read.totals()["company-y.example"], (5326, 303));
    }

    #[test]
    fn reports_are_known_by_their_first_member() {
        assert!(looks_like_report(RFC.as_bytes()));
        assert!(looks_like_report(b"\xEF\xBB\xBF\r\n { \n \"policies\": ["));
        assert!(looks_like_report(b"{\"report-id\""));
        for other in [
            &b"{\n \"connector\": ["[..],
            b"[1, 2]",
            b"{}",
            b"{\"organization-name-x\": 1}",
            b"",
        ] {
            assert!(!looks_like_report(other), "{other:?}");
        }
    }

    #[test]
    fn malformed_reports_say_why() {
        let bad = [
            ("{", "not JSON"),
            (r#"{"report-id":"x"}"#, "no \"organization-name\" text"),
            (
                &RFC.replace("5326", "-1"),
                "\"total-successful-session-count\" is -1, not a count",
            ),
            (&RFC.replace("5326", "1.5"), "is 1.5, not a count"),
            (
                &RFC.replace("2016-04-01T00:00:00Z", "2016-04-03T00:00:00Z"),
                "starts",
            ),
        ];
        for (text, why) in bad {
            let err = parse(text.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        // A date without a zone is UTC (Microsoft has sent them).
        let local = RFC.replace("T00:00:00Z", "T00:00:00");
        assert_eq!(
            parse(local.as_bytes()).unwrap().1[0].date_start,
            "2016-04-01T00:00:00Z"
        );
    }
}
