//! CSV of the audit trail, written by the `csv` crate: RFC 4180 (CRLF line ends, fields with
//! `,` `"` CR or LF quoted, quotes doubled), times in UTC (RFC 3339), and safe to open in a
//! spreadsheet: a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return,
//! which some spreadsheets skip before reading a formula) is prefixed with `'`, so that it is
//! shown as text and never evaluated (OWASP "CSV injection").

use std::borrow::Cow;
use std::io::Write;

use tigr_core::clock::rfc3339_utc;

use crate::storage::AuditRecord;

/// The header line of the audit export.
pub const AUDIT_HEADER: [&str; 11] = [
    "id",
    "time_utc",
    "unix_time",
    "event",
    "actor",
    "account",
    "device",
    "challenge",
    "ip",
    "user_agent",
    "detail",
];

/// A cell as a spreadsheet must read it: text, never a formula.
fn neutralized(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// An audit export being written: the header, then one record per row.
#[derive(Debug)]
pub struct AuditCsv<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> AuditCsv<W> {
    /// Starts the export on `out` with its header line.
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut csv = Self {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        };
        csv.record(&AUDIT_HEADER)?;
        Ok(csv)
    }

    /// Writes one audit row.
    pub fn row(&mut self, row: &AuditRecord) -> std::io::Result<()> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        self.record(&[
            &row.id.to_string(),
            &rfc3339_utc(row.at),
            &row.at.to_string(),
            &row.event,
            &row.actor,
            &opt(&row.account_id),
            &opt(&row.device_id),
            &opt(&row.challenge_id),
            &opt(&row.ip),
            &opt(&row.user_agent),
            &opt(&row.detail),
        ])
    }

    /// Writes what is still buffered.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    fn record(&mut self, cells: &[&str]) -> std::io::Result<()> {
        self.out
            .write_record(cells.iter().map(|c| neutralized(c).into_owned()))
            .map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line `cells` make (without its CRLF).
    fn line(cells: &[&str]) -> String {
        let mut out = Vec::new();
        let mut csv = AuditCsv {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut out),
        };
        csv.record(cells).expect("write");
        csv.finish().expect("flush");
        let text = String::from_utf8(out).expect("utf-8");
        text.strip_suffix("\r\n").expect("CRLF").to_owned()
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(line(&["plain", "", "x"]), "plain,,x");
        assert_eq!(line(&["a,b"]), "\"a,b\"");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"");
        assert_eq!(line(&["two\nlines"]), "\"two\nlines\"");
        assert_eq!(line(&["cr\rhere"]), "\"cr\rhere\"");
        assert_eq!(line(&["Chrome 120, Windows"]), "\"Chrome 120, Windows\"");
    }

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(line(&["=1+1"]), "'=1+1");
        assert_eq!(line(&["+33 6 12"]), "'+33 6 12");
        assert_eq!(line(&["-2"]), "'-2");
        assert_eq!(line(&["@SUM(A1)"]), "'@SUM(A1)");
        assert_eq!(line(&["\t=cmd"]), "'\t=cmd");
        assert_eq!(line(&["\r=cmd"]), "\"'\r=cmd\"");
        assert_eq!(
            line(&["=HYPERLINK(\"http://x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(line(&["a=b"]), "a=b", "only a leading sign matters");
    }

    #[test]
    fn records_end_with_crlf() {
        let mut out = Vec::new();
        let mut csv = AuditCsv::new(&mut out).expect("header");
        csv.row(&AuditRecord {
            id: 7,
            at: 1_700_000_000,
            event: "device_revoked".into(),
            actor: "cli:root".into(),
            account_id: Some("alice".into()),
            device_id: None,
            challenge_id: None,
            ip: None,
            user_agent: None,
            detail: Some("reason=\"=cmd|' /C calc'!A0\"".into()),
        })
        .expect("write");
        csv.finish().expect("flush");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "id,time_utc,unix_time,event,actor,account,device,challenge,ip,user_agent,detail\r\n\
             7,2023-11-14T22:13:20Z,1700000000,device_revoked,cli:root,alice,,,,,\
             \"reason=\"\"=cmd|' /C calc'!A0\"\"\"\r\n"
        );
    }
}
