//! The log of what clients were told succeeded: every approval answered 200 and every
//! enrollment answered 201, one line each, written to the file before the client sends its
//! next request. The crash test (`tigr-consistency crash`) compares it with the database:
//! whatever a client was told is done must be in the database after any crash.
//!
//! Lines (space-separated; ids are base32, accounts have no spaces, keys are base64url):
//!
//! ```text
//! approved <challenge id> <account> <device id> <via>     via: signature | offline
//! enrolled <account> <device id> <approval public key>
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context as _, bail};
use tigr_server::login::AnswerKind;

/// How an approval was given (the audit trail's `via=` detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Via {
    /// A signature by the phone's approval key (`POST .../response`).
    Signature,
    /// An offline code typed in the browser (`POST .../offline`).
    OfflineCode,
}

impl Via {
    /// As written in the log: the `via=` of the server's audit rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => AnswerKind::Approval.via(),
            Self::OfflineCode => AnswerKind::OfflineCode.via(),
        }
    }

    /// The way written `text` (in the log, or after `via=` in an audit row).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Signature, Self::OfflineCode]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// One success a client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// `200 {"state": "approved"}` to an approval or an offline code.
    Approved {
        /// The challenge approved.
        challenge_id: String,
        /// The account that answered.
        account: String,
        /// Its phone.
        device_id: String,
        /// Signature or offline code.
        via: Via,
    },
    /// `201` to `POST /enrollments/complete`.
    Enrolled {
        /// The account enrolled.
        account: String,
        /// The device id the server gave the phone.
        device_id: String,
        /// The approval public key the phone registered (base64url).
        approval_key: String,
    },
}

impl Success {
    fn line(&self) -> String {
        match self {
            Self::Approved {
                challenge_id,
                account,
                device_id,
                via,
            } => format!(
                "approved {challenge_id} {account} {device_id} {}\n",
                via.as_str()
            ),
            Self::Enrolled {
                account,
                device_id,
                approval_key,
            } => format!("enrolled {account} {device_id} {approval_key}\n"),
        }
    }

    fn parse(line: &str) -> anyhow::Result<Self> {
        let fields: Vec<&str> = line.split(' ').collect();
        let owned = |s: &str| s.to_owned();
        match fields.as_slice() {
            ["approved", challenge_id, account, device_id, via] => Ok(Self::Approved {
                challenge_id: owned(challenge_id),
                account: owned(account),
                device_id: owned(device_id),
                via: Via::parse(via).with_context(|| format!("unknown via {via:?}"))?,
            }),
            ["enrolled", account, device_id, approval_key] => Ok(Self::Enrolled {
                account: owned(account),
                device_id: owned(device_id),
                approval_key: owned(approval_key),
            }),
            _ => bail!("not a success line: {line:?}"),
        }
    }
}

/// The log being written (shared by every virtual user).
#[derive(Debug)]
pub struct AnswerLog {
    file: Mutex<File>,
}

impl AnswerLog {
    /// Creates (or truncates) the log at `path`.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Appends `success` as one line, handed to the operating system before returning (the
    /// file is unbuffered: one `write` per line). What the log is for is the state of the
    /// database after a crash of the server, not of this process or of the machine, so the
    /// line is not synced to the disk.
    pub fn record(&self, success: &Success) -> anyhow::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(success.line().as_bytes())
            .context("cannot write the answer log")
    }
}

/// Reads a log being written: every complete line (a last line without its newline is still
/// being written, and is left for the next read).
pub fn read(path: &Path) -> anyhow::Result<Vec<Success>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    complete
        .lines()
        .enumerate()
        .map(|(n, line)| {
            Success::parse(line).with_context(|| format!("{} line {}", path.display(), n + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_a_partial_last_line_waits() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("answers.log");
        let log = AnswerLog::create(&path).expect("create");
        let approved = Success::Approved {
            challenge_id: "C".repeat(26),
            account: "bench-00001".into(),
            device_id: "D".repeat(26),
            via: Via::OfflineCode,
        };
        let enrolled = Success::Enrolled {
            account: "bench-n00002".into(),
            device_id: "E".repeat(26),
            approval_key: "BAbc_-".into(),
        };
        log.record(&approved).expect("write");
        log.record(&enrolled).expect("write");
        assert_eq!(read(&path).expect("read"), [approved.clone(), enrolled]);

        // A line being written is not read yet.
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"approved XYZ").expect("write");
        assert_eq!(read(&path).expect("read").len(), 2);
        file.write_all(b"\n").expect("write");
        assert!(
            read(&path).is_err(),
            "a malformed complete line is an error"
        );
    }
}
