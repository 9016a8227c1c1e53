//! `tigr-server backup` and `tigr-server migrate` (docs/deployment.md): a backup taken by the
//! binary while the server binary serves logins, restored beside the same master key; a
//! backup never replaces a file; migrations applied once, refused on a newer database.
//! (A restore with another master key is refused at start: the `api` suite's
//! `storage::offline_secrets_are_encrypted_at_rest` covers that rule.)

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tigr_core::payload::QrPayload;
use tigr_server::admin::maintenance::latest_schema_version;
use tigr_server::{Config, create_enrollment};

use crate::common::{Challenge, Phone, read};
use crate::support::{cli, cli_fails, cli_ok, sqlite_only, texts, tigr_server_in};

const FR: &str = "fr_FR.UTF-8";
const EN: &str = "en_US.UTF-8";

/// Accounts (each with an enrolled phone) in the database that is backed up.
const ACCOUNTS: usize = 20;

/// The `tigr-server` binary serving the database and master key of `dir`, on loopback.
/// Killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(dir: &Path) -> Self {
        let mut child = tigr_server_in(dir)
            .env("TIGR_LISTEN", "127.0.0.1:0")
            .env("TIGR_RATE_LIMIT_CHALLENGES", "0")
            .env("TIGR_RATE_LIMIT_ANSWERS", "0")
            .env("TIGR_RATE_LIMIT_OFFLINE", "0")
            .env("TIGR_RATE_LIMIT_ENROLLMENTS", "0")
            .env("TIGR_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tigr-server starts");
        let stderr = child.stderr.take().expect("stderr");
        let (found, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = found.send(Ok(addr));
                }
                log.push(line);
            }
            // The server stopped (or never started): its log says why.
            let _ = found.send(Err(log.join("\n")));
        });
        let addr = match address.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(addr)) => addr.parse().expect("address"),
            Ok(Err(log)) => panic!("the server did not start:\n{log}"),
            Err(_) => panic!("the server did not say where it listens"),
        };
        Self { child, addr }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser and phones talking to a server process over HTTP.
#[derive(Clone)]
struct Remote {
    origin: String,
    http: reqwest::Client,
}

impl Remote {
    fn new(server: &ServerProcess) -> Self {
        Self {
            origin: server.origin(),
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/api/v1{path}", self.origin))
            .json(body);
        if let Some(token) = token {
            request = request.header("x-tigr-browser-token", token);
        }
        read(request.send().await.expect("request sent")).await
    }

    async fn challenge(&self) -> Challenge {
        let (status, body) = self.post("/login/challenges", &json!({}), None).await;
        assert_eq!(status, 201, "{body}");
        Challenge::from_created(&body)
    }

    /// A QR login approved by `phone`: the reply's status.
    async fn login(&self, phone: &Phone) -> u16 {
        let c = self.challenge().await;
        let answer = phone.approve(&self.origin, &c);
        self.post(
            &format!("/login/challenges/{}/response", c.id),
            &answer,
            None,
        )
        .await
        .0
    }

    /// An offline login with `phone`'s one-time password: the reply's status.
    async fn offline_login(&self, phone: &Phone) -> u16 {
        let c = self.challenge().await;
        let otp = phone.offline_code(&self.origin, &c);
        self.post(
            &format!("/login/challenges/{}/offline", c.id),
            &json!({ "tigr_id": phone.account, "otp": otp }),
            Some(&c.token),
        )
        .await
        .0
    }

    /// Enrolls a new virtual phone for `account` with an invitation made on `config`'s
    /// database (as `tigr-server enroll` does beside the server).
    async fn enroll(&self, config: &Config, account: &str) -> Phone {
        let invite = create_enrollment(config, account, None)
            .await
            .expect("invitation");
        let QrPayload::Enrollment(payload) =
            QrPayload::parse(&invite.qr_payload).expect("valid payload")
        else {
            panic!("not an enrollment payload");
        };
        let phone = Phone::new(account);
        let (status, body) = self
            .post(
                "/enrollments/complete",
                &phone.registration(&payload.code),
                None,
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Phone {
            device_id: body["device_id"].as_str().expect("device id").to_owned(),
            ..phone
        }
    }
}

/// The configuration of the test process's own writes to the database of `dir`, served at
/// `addr` (enrollment QR codes carry its origin).
fn config_for(dir: &Path, addr: SocketAddr) -> Config {
    let mut config = Config::for_tests(dir);
    config.listen = addr;
    config
}

async fn count(db: &Path, sql: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("database opens");
    let n = sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    n
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Hidden temporary files a backup may leave in `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains(".partial"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_logins_restores_with_the_master_key() {
    if sqlite_only("file backups") {
        return;
    }
    let live = tempfile::tempdir().expect("tempdir");
    let server = ServerProcess::start(live.path());
    let remote = Remote::new(&server);
    let config = config_for(live.path(), server.addr);
    let mut phones = Vec::new();
    for i in 0..ACCOUNTS {
        phones.push(remote.enroll(&config, &format!("user{i:02}")).await);
    }
    let phones = Arc::new(phones);

    // Logins (challenge, approval, audit row: writes) go on while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn({
        let (remote, phones, stop, done) = (
            remote.clone(),
            Arc::clone(&phones),
            Arc::clone(&stop),
            Arc::clone(&done),
        );
        async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let status = remote.login(&phones[i % phones.len()]).await;
                assert_eq!(status, 200, "login {i} during the backup");
                done.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        }
    });
    let wait_for = |n: u64| {
        let done = Arc::clone(&done);
        async move {
            while done.load(Ordering::SeqCst) < n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(10).await;
    let before_backup = done.load(Ordering::SeqCst);

    let backups = tempfile::tempdir().expect("tempdir");
    let dest = backups.path().join("tigr-backup.db");
    let output = tokio::task::spawn_blocking({
        let (dir, dest) = (live.path().to_owned(), dest.clone());
        move || cli(&dir, FR, &["backup", dest.to_str().expect("path")])
    })
    .await
    .expect("backup ran");
    let (out, err) = texts(&output);
    assert!(output.status.success(), "backup failed: {err}\n{out}");
    let during_backup = done.load(Ordering::SeqCst);
    wait_for(during_backup + 10).await;
    stop.store(true, Ordering::SeqCst);
    load.await.expect("every login succeeded");

    // The report: the file, checked, and where the master key is (not in the backup).
    let key_file = live.path().join("master.key");
    for expected in [
        format!("Sauvegarde écrite et vérifiée : {}", dest.display()),
        format!("version du schéma {}", latest_schema_version()),
        format!("{ACCOUNTS} compte(s)"),
        "contrôle d'intégrité : ok".to_owned(),
        "La clé maîtresse n'est PAS dans cette sauvegarde".to_owned(),
        format!("Elle est dans {}", key_file.display()),
        "sauvegardez-la séparément".to_owned(),
    ] {
        assert!(out.contains(&expected), "{expected:?} missing from:\n{out}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&dest)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the backup is private");
    }
    let bytes = std::fs::read(&dest).expect("backup");
    let key_text = std::fs::read_to_string(&key_file).expect("key file");
    assert!(
        !contains(&bytes, key_text.trim().as_bytes()),
        "master key in the backup"
    );
    assert!(leftovers(backups.path()).is_empty());
    // A snapshot of the live database: the logins done before the backup started are in it.
    let approved = count(&dest, "SELECT COUNT(*) FROM audit WHERE event = 'approved'").await;
    assert!(
        approved >= i64::try_from(before_backup).expect("count"),
        "{approved} approvals in the backup, {before_backup} done before it started"
    );

    // Restore: the backup as the database of a new folder, with the same master key.
    let restored = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&dest, restored.path().join("tigr.db")).expect("copy the backup");
    std::fs::copy(&key_file, restored.path().join("master.key")).expect("copy the key");
    let db = restored.path().join("tigr.db");
    let server2 = ServerProcess::start(restored.path());
    let remote2 = Remote::new(&server2);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM accounts").await,
        ACCOUNTS as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL").await,
        ACCOUNTS as i64
    );
    // Phones enrolled on the live server log in on the restored one: with their key, and
    // offline with their secret sealed by the master key.
    assert_eq!(remote2.login(&phones[0]).await, 200);
    assert_eq!(remote2.offline_login(&phones[ACCOUNTS - 1]).await, 200);
    drop(server2);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_replaces_a_file_and_changes_nothing() {
    if sqlite_only("file backups") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    cli_ok(d, FR, &["admin", "create", "alice", "--name", "Alice"]);
    let backups = tempfile::tempdir().expect("tempdir");
    let dest = backups.path().join("tigr.db");
    std::fs::write(&dest, b"an earlier backup").expect("write");
    let path = dest.to_str().expect("path");

    let err = cli_fails(d, FR, &["backup", path]);
    assert!(
        err.contains(&format!("{path} existe déjà")) && err.contains("ne remplace jamais"),
        "{err}"
    );
    let err = cli_fails(d, EN, &["backup", path]);
    assert!(
        err.contains(&format!("{path} exists already")) && err.contains("never replaces"),
        "{err}"
    );
    assert_eq!(std::fs::read(&dest).expect("read"), b"an earlier backup");
    let names: Vec<_> = std::fs::read_dir(backups.path())
        .expect("folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["tigr.db"], "nothing else written");

    // A folder that does not exist: refused, nothing created.
    let nowhere = backups.path().join("missing/tigr.db");
    let err = cli_fails(d, EN, &["backup", nowhere.to_str().expect("path")]);
    assert!(
        err.contains(&format!("{}: ", nowhere.display())) && !err.contains("partial"),
        "{err}"
    );
    assert!(!backups.path().join("missing").exists());

    // No database: refused, and none is created.
    let empty = tempfile::tempdir().expect("tempdir");
    let other = backups.path().join("other.db");
    let err = cli_fails(empty.path(), FR, &["backup", other.to_str().expect("path")]);
    assert!(err.contains("Aucune base de données"), "{err}");
    assert!(!empty.path().join("tigr.db").exists() && !other.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_pending_migrations_once_and_refuses_a_newer_database() {
    if sqlite_only("SQLite's migrations (admin/postgres.rs has PostgreSQL's)") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A database of an older Tigr: the first five migrations of this one.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&shipped)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let older = d.join("older-migrations");
    std::fs::create_dir(&older).expect("folder");
    for file in &files[..5] {
        std::fs::copy(file, older.join(file.file_name().expect("name"))).expect("copy");
    }
    let db = d.join("tigr.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .expect("database");
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .expect("migrations")
        .run(&pool)
        .await
        .expect("older schema");
    pool.close().await;
    let latest = latest_schema_version();
    assert_eq!(latest, files.len() as i64, "one version per migration file");

    let out = cli_ok(d, FR, &["migrate"]);
    assert!(
        out.contains(&format!("Version du schéma : 5 → {latest}")),
        "{out}"
    );
    let out = cli_ok(d, FR, &["migrate"]);
    assert!(
        out.contains(&format!("Version du schéma : {latest}, déjà à jour")),
        "{out}"
    );
    let out = cli_ok(d, EN, &["migrate"]);
    assert!(
        out.contains(&format!("Schema version: {latest}, already up to date")),
        "{out}"
    );
    let rows = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1";
    assert_eq!(count(&db, rows).await, latest);

    // A database migrated by a newer Tigr: refused, untouched.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("database");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .expect("insert");
    pool.close().await;
    let err = cli_fails(d, FR, &["migrate"]);
    assert!(
        err.contains(&format!(
            "version de schéma 999, plus récente que celle de ce programme ({latest})"
        )),
        "{err}"
    );
    assert_eq!(count(&db, rows).await, latest + 1);

    // No database: refused, and none is created.
    let empty = tempfile::tempdir().expect("tempdir");
    let err = cli_fails(empty.path(), EN, &["migrate"]);
    assert!(err.contains("No database at"), "{err}");
    assert!(!empty.path().join("tigr.db").exists());
}
