//! Durability and secrets at rest: the encrypted offline secret, the append-only audit trail,
//! restarts, first start.

use serde_json::json;
use tigr_core::wire::b64_encode;
use tigr_server::config::MasterKeySource;
use tigr_server::sealing::{MasterKey, SecretSealer};
use tigr_server::{Config, RunningServer};

use crate::common::{Phone, TestServer};

/// Every file of `dir`, concatenated. A running server's SQLite may remove a companion file
/// (a rollback journal, a temporary file) between the listing and the read: such a file had
/// nothing left to hold, so it is skipped.
fn all_bytes_in(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue;
        }
        match std::fs::read(&path) {
            Ok(content) => bytes.extend(content),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("read {}: {e}", path.display()),
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn offline_secrets_are_encrypted_at_rest() {
    let s = TestServer::start_on_sqlite().await;
    let phone = s.enroll("alice").await;
    let db_files = |s: &TestServer| {
        let mut bytes = std::fs::read(s.db_path()).expect("db");
        if let Ok(wal) = std::fs::read(s.db_path().with_extension("db-wal")) {
            bytes.extend(wal);
        }
        bytes
    };
    let bytes = db_files(&s);
    assert!(
        contains(&bytes, phone.account.as_bytes()),
        "sanity: the DB was read"
    );
    assert!(
        !contains(&bytes, &phone.secret),
        "raw secret found in the database"
    );
    assert!(
        !contains(&bytes, b64_encode(&phone.secret).as_bytes()),
        "encoded secret found in the database"
    );

    // The sealed secret opens with the key file's key, and not with another key.
    let db = s.db().await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT offline_secret_enc FROM devices WHERE id = $1")
            .bind(&phone.device_id)
            .fetch_one(&db)
            .await
            .expect("row");
    db.close().await;
    let key_text = std::fs::read_to_string(s.dir.path().join("master.key")).expect("key file");
    let key = MasterKey::from_base64(&key_text, "key file").expect("key");
    let opened = SecretSealer::new(&key)
        .open_offline_secret("alice", &phone.device_id, &sealed)
        .expect("opens with the right key");
    assert_eq!(opened.as_slice(), &phone.secret);
    let wrong = MasterKey::from_bytes([7u8; 32]);
    assert!(
        SecretSealer::new(&wrong)
            .open_offline_secret("alice", &phone.device_id, &sealed)
            .is_err()
    );
    assert!(
        !contains(&bytes, key_text.trim().as_bytes()),
        "master key in the DB"
    );

    // The server refuses to start with another master key.
    let (dir, mut config) = s.stop().await;
    assert!(!contains(&all_bytes_in(dir.path()), &phone.secret));
    config.master_key = MasterKeySource::Inline(wrong);
    let error = RunningServer::start(config)
        .await
        .expect_err("wrong key refused");
    assert!(
        error.to_string().contains("master key does not match"),
        "{error:#}"
    );

    // Nor without its key file: no new key is generated for a database sealed with one.
    let key_file = dir.path().join("master.key");
    std::fs::remove_file(&key_file).expect("key file removed");
    let mut config = Config::for_tests(dir.path());
    config.database_url = format!("sqlite://{}", dir.path().join("tigr.db").display());
    config.master_key = MasterKeySource::File(key_file.clone());
    let error = RunningServer::start(config)
        .await
        .expect_err("missing key file refused");
    assert!(
        error.to_string().contains("no master key file at")
            && error.to_string().contains("restore that key file"),
        "{error:#}"
    );
    assert!(!key_file.exists(), "a new key file was written");
}

#[tokio::test]
async fn the_audit_trail_is_append_only() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    s.respond(&c, &phone.approve(s.origin(), &c)).await;
    let db = s.db().await;
    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM audit ORDER BY id")
        .fetch_all(&db)
        .await
        .expect("audit");
    assert_eq!(
        events,
        [
            // `enroll` creates the missing account: audited as such since the admin features.
            "account_created",
            "enrollment_created",
            "enrolled",
            "response_failed",
            "approved"
        ]
    );
    let approved: (String, Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT actor, account_id, device_id, challenge_id FROM audit WHERE event = 'approved'",
    )
    .fetch_one(&db)
    .await
    .expect("row");
    assert_eq!(
        approved,
        (
            "phone".to_owned(),
            Some("alice".to_owned()),
            Some(phone.device_id.clone()),
            Some(c.id.clone())
        )
    );
    for sql in [
        "UPDATE audit SET event = 'nothing'",
        "UPDATE audit SET detail = NULL WHERE event = 'response_failed'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE event = 'approved'",
    ] {
        let error = sqlx::query(sql).execute(&db).await.expect_err(sql);
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(count, 5);
}

#[tokio::test]
async fn a_restart_keeps_accounts_devices_and_counters() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    let addr = s.server.addr;
    let (dir, mut config) = s.stop().await;
    // Same files, same address (the origin is bound into signatures).
    config.listen = addr;
    let s = TestServer::start_in(dir, config).await;
    let (status, body) = s
        .get(
            &format!("/login/challenges/{}/status", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!((status, &body["state"]), (200, &json!("pending")));
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 3, "counter survived the restart");
    let fresh = s.challenge().await;
    let (status, body) = s.respond(&fresh, &phone.approve(s.origin(), &fresh)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 200, "offline secret readable after restart: {body}");
}

#[tokio::test]
async fn first_start_creates_the_data_directory_database_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(dir.path());
    let data = dir.path().join("tigr-data");
    config.database_url = format!("sqlite://{}", data.join("tigr.db").display());
    config.master_key = MasterKeySource::File(data.join("master.key"));
    let s = TestServer::start_in(dir, config).await;
    assert!(data.join("tigr.db").is_file());
    let key = data.join("master.key");
    assert!(key.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (status, body) = s.post("/login/challenges", &json!({}), None).await;
    assert_eq!(status, 201, "{body}");
    let logs = crate::common::logs();
    assert!(
        logs.contains("generated a new master key") && logs.contains("back it up"),
        "the generated key is announced"
    );
    let phone = Phone::new("bob");
    assert_eq!(s.enroll_phone(&phone).await.0, 201);
}

#[cfg(unix)]
#[tokio::test]
async fn data_files_are_for_their_owner_only_and_looser_ones_are_reported() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    crate::common::init_logs();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(dir.path());
    let data = dir.path().join("tigr-data");
    let db = data.join("tigr.db");
    config.database_url = format!("sqlite://{}", db.display());
    config.master_key = MasterKeySource::File(data.join("master.key"));
    let s = TestServer::start_in(dir, config).await;
    // Writes, so that SQLite has its -wal and -shm files.
    assert_eq!(s.enroll_phone(&Phone::new("bob")).await.0, 201);
    let (status, _) = s.post("/login/challenges", &json!({}), None).await;
    assert_eq!(status, 201);
    assert_eq!(mode(&data), 0o700, "data folder");
    for file in ["tigr.db", "tigr.db-wal", "tigr.db-shm", "master.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let warning =
        |path: &std::path::Path| format!("{} is accessible to other users", path.display());
    assert!(!crate::common::logs().contains(&warning(&db)));

    // Opened up by hand: the next start says which and how to restrict them.
    let (dir, config) = s.stop().await;
    // SQLite removes the -wal file when its last connection closes, which the connections'
    // threads do just after the stop: a new one, made by the next start, takes the database
    // file's mode (a -wal file left in between would keep its own).
    let wal = data.join("tigr.db-wal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while wal.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the stopped server's connections left {} behind",
            wal.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let s = TestServer::start_in(dir, config).await;
    let logs = crate::common::logs();
    let line = |path: &std::path::Path| {
        logs.lines()
            .find(|l| l.contains(&warning(path)))
            .unwrap_or_else(|| panic!("no warning about {}", path.display()))
            .to_owned()
    };
    let about_db = line(&db);
    assert!(about_db.contains("WARN"), "{about_db}");
    assert!(about_db.contains("(mode 644)") && about_db.contains("chmod 600"));
    let about_folder = line(&data);
    assert!(about_folder.contains("(mode 755)") && about_folder.contains("chmod 700"));
    // SQLite gives its companion files the database file's mode: reported too.
    assert!(line(&wal).contains("chmod 600"));
    s.stop().await;
}

#[tokio::test]
async fn session_ids_and_browser_tokens_are_stored_only_as_hashes() {
    use crate::browser::Tab;
    use tigr_server::sealing::sha256;

    let s = TestServer::start_on_sqlite().await;
    let phone = s.enroll("alice").await;
    // A web session opened by the login page (its cookie: the session id; the login cookie:
    // the page's browser token), and a challenge of the API (its browser token).
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let page_token = page.challenge.token.clone();
    let (status, body) = s
        .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(tab.complete(&page, "").await.status, 200);
    let session_id = tab.cookies.get("tigr_session").cloned().expect("session");
    let api = s.challenge().await;
    // A second session: ids are fresh 256-bit values.
    let mut other = Tab::new(&s);
    other.log_in(&s, &phone).await;
    let other_id = other.cookies.get("tigr_session").cloned().expect("session");
    for id in [&session_id, &other_id] {
        let raw = tigr_core::wire::b64_decode(id).expect("base64url");
        assert_eq!(raw.len(), 32, "256 bits: {id}");
    }
    assert_ne!(session_id, other_id);

    let check = |bytes: &[u8], when: &str| {
        for (what, value) in [
            ("session id", &session_id),
            ("second session id", &other_id),
            ("login page browser token", &page_token),
            ("API browser token", &api.token),
        ] {
            assert!(
                !contains(bytes, value.as_bytes()),
                "{when}: the {what} itself is in the database files"
            );
        }
        for id in [&session_id, &other_id] {
            let raw = tigr_core::wire::b64_decode(id).expect("base64url");
            assert!(!contains(bytes, &raw), "{when}: a session id's bytes");
        }
        for value in [&session_id, &other_id, &page_token, &api.token] {
            assert!(
                contains(bytes, &sha256(value.as_bytes())),
                "{when}: sanity: the hash is what is stored"
            );
        }
    };
    // The files as they are on disk while the server runs (database and WAL), then once
    // it stopped (everything checkpointed into the database).
    check(&all_bytes_in(s.dir.path()), "running");
    let (dir, _) = s.stop().await;
    check(&all_bytes_in(dir.path()), "stopped");
}
