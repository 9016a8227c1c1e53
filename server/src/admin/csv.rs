//! CSV of the audit trail: RFC 4180 (CRLF line ends, fields with `,` `"` CR or LF quoted,
//! quotes doubled), and safe to open in a spreadsheet: a cell that starts with `=`, `+`,
//! `-`, `@` (or a tab or carriage return, which some spreadsheets skip before reading a
//! formula) is prefixed with `'`, so that it is shown as text and never evaluated
//! (OWASP "CSV injection").

use std::io::Write;

use crate::storage::AuditRecord;

use super::time::format_iso;

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

/// One cell, neutralized and quoted as needed.
pub fn cell(value: &str) -> String {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Writes one record (a line ending with CRLF).
pub fn write_record<W: Write + ?Sized>(out: &mut W, cells: &[&str]) -> std::io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// Writes one audit row.
pub fn write_audit_row<W: Write + ?Sized>(out: &mut W, row: &AuditRecord) -> std::io::Result<()> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    write_record(
        out,
        &[
            &row.id.to_string(),
            &format_iso(row.at),
            &row.at.to_string(),
            &row.event,
            &row.actor,
            &opt(&row.account_id),
            &opt(&row.device_id),
            &opt(&row.challenge_id),
            &opt(&row.ip),
            &opt(&row.user_agent),
            &opt(&row.detail),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell(""), "");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(cell("Chrome 120, Windows"), "\"Chrome 120, Windows\"");
    }

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+33 6 12"), "'+33 6 12");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=cmd"), "'\t=cmd");
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(cell("a=b"), "a=b", "only a leading sign matters");
    }

    #[test]
    fn records_end_with_crlf() {
        let mut out = Vec::new();
        write_record(&mut out, &AUDIT_HEADER).expect("write");
        write_audit_row(
            &mut out,
            &AuditRecord {
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
            },
        )
        .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "id,time_utc,unix_time,event,actor,account,device,challenge,ip,user_agent,detail\r\n\
             7,2023-11-14T22:13:20Z,1700000000,device_revoked,cli:root,alice,,,,,\
             \"reason=\"\"=cmd|' /C calc'!A0\"\"\"\r\n"
        );
    }
}
