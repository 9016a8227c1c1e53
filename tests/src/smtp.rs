//! A real SMTP server process on loopback for the e-mail one-time password suites (the
//! server's `api` tests and the browser suite): Python's aiosmtpd, installed by
//! scripts/install-deps.sh in `<target>/smtp-venv`, keeps every message it accepts in a
//! maildir, read back here as a mail client would.
//!
//! Also compiled into tigr-server's `api` tests (`#[path]`), so it uses only what both crates
//! have: std, tokio, tempfile, base64 and tigr-server. Besides the SMTP server, the
//! accounts those suites mail to.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use tigr_server::Config;
use tigr_server::admin::{Actor, AdminService, NewAccount, PasswordInvitation, Role};
use tigr_server::mail::{SmtpSecurity, SmtpSettings};

/// The relay settings for an SMTP server on `port` (plain SMTP on loopback).
pub fn relay(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Tigr <no-reply@tigr.test>".to_owned(),
    }
}

/// Creates the account `id` (named `Dr <id>`, mail to `<id>@hopital.test`) as `actor`, and
/// the invitation link with which its owner chooses a password.
pub async fn account_invited_to_a_password(
    config: &Config,
    actor: &Actor,
    id: &str,
) -> PasswordInvitation {
    let admin = AdminService::open(config).await.expect("admin");
    admin
        .create_account(
            actor,
            NewAccount {
                id: id.to_owned(),
                display_name: format!("Dr {id}"),
                email: Some(format!("{id}@hopital.test")),
                role: Role::User,
            },
        )
        .await
        .expect("account");
    let invitation = admin.invite_password(actor, id).await.expect("invitation");
    admin.close().await;
    invitation
}

/// An SMTP server process (Python's aiosmtpd) on a free loopback port, keeping every message
/// it accepts in a maildir.
pub struct SmtpServer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    maildir: tempfile::TempDir,
}

/// The Python of the virtual environment that scripts/install-deps.sh makes:
/// `TIGR_AIOSMTPD_PYTHON`, else `<target>/smtp-venv/bin/python` (`CARGO_TARGET_DIR` when set).
fn smtp_python() -> PathBuf {
    if let Some(python) = std::env::var_os("TIGR_AIOSMTPD_PYTHON") {
        return python.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let python = target.join("smtp-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-deps.sh (it installs aiosmtpd)",
        python.display()
    );
    python
}

/// A port free on loopback right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl SmtpServer {
    /// Starts it on a free port and waits until it listens.
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().expect("maildir");
        let port = free_port();
        let child = Command::new(smtp_python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        // Dropped (and so stopped) if it never listens.
        let server = Self {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not listen on port {port}");
    }

    /// The messages received so far: (headers, decoded body), oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let new = self.maildir.path().join("box/new");
        let mut files: Vec<_> = std::fs::read_dir(&new)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| Mail::parse(&std::fs::read_to_string(p).expect("message")))
            .collect()
    }

    /// Waits for the `n`-th message (1-based).
    pub async fn message(&self, n: usize) -> Mail {
        for _ in 0..100 {
            let mut all = self.messages();
            if all.len() >= n {
                return all.swap_remove(n - 1);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("message {n} never arrived");
    }
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A received message.
#[derive(Debug)]
pub struct Mail {
    /// The header lines, unfolded on reading.
    pub headers: String,
    /// The body, decoded from its transfer encoding.
    pub body: String,
}

impl Mail {
    /// Parses a message as stored in the maildir.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.replace("\r\n", "\n");
        let (headers, body) = raw.split_once("\n\n").expect("headers and body");
        let encoding = header(headers, "content-transfer-encoding").to_ascii_lowercase();
        let body = match encoding.as_str() {
            "base64" => String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(body.split_whitespace().collect::<String>())
                    .expect("base64 body"),
            )
            .expect("utf-8 body"),
            "quoted-printable" => quoted_printable(body),
            _ => body.to_owned(),
        };
        Self {
            headers: headers.to_owned(),
            body,
        }
    }

    /// The value of the header `name` (case-insensitive), unfolded; empty if absent.
    pub fn header(&self, name: &str) -> String {
        header(&self.headers, name)
    }

    /// The six-digit code in the body.
    pub fn code(&self) -> String {
        let digits: Vec<&str> = self
            .body
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| w.len() == 6)
            .collect();
        assert_eq!(digits.len(), 1, "one 6-digit code in {:?}", self.body);
        digits[0].to_owned()
    }
}

fn header(headers: &str, name: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in headers.lines() {
        if line.starts_with([' ', '\t']) {
            if inside {
                out.push_str(line.trim_start());
            }
            continue;
        }
        inside = line
            .split_once(':')
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name));
        if inside {
            out = line.split_once(':').expect("colon").1.trim().to_owned();
        }
    }
    out
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let mut bytes = Vec::new();
    let raw = joined.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'='
            && i + 2 < raw.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            bytes.push(b);
            i += 3;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    String::from_utf8(bytes).expect("utf-8 body")
}
