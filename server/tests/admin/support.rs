//! Helpers of the admin suite: the service over a test server's database, the CLI binary.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;
use tigr_core::payload::QrPayload;
use tigr_server::admin::{Actor, AdminService, CreatedInvitation};

use crate::common::{Phone, TestServer};

/// The operator of the service tests.
pub fn operator() -> Actor {
    Actor::cli("tester")
}

/// An administration service over the server's database, with its configuration (and
/// clock).
pub async fn service(s: &TestServer) -> AdminService {
    AdminService::open(s.config()).await.expect("service opens")
}

/// The enrollment code inside an invitation's QR payload.
pub fn code_of(created: &CreatedInvitation) -> String {
    match QrPayload::parse(&created.qr_payload).expect("valid payload") {
        QrPayload::Enrollment(e) => e.code,
        other => panic!("not an enrollment payload: {other:?}"),
    }
}

/// Completes an enrollment with `code` for a new virtual phone; returns the phone (with its
/// device id) or the failed reply.
pub async fn enroll_with(
    s: &TestServer,
    account: &str,
    code: &str,
) -> Result<Phone, (u16, serde_json::Value)> {
    let phone = Phone::new(account);
    let (status, body) = s
        .post("/enrollments/complete", &phone.registration(code), None)
        .await;
    if status != 201 {
        return Err((status, body));
    }
    Ok(Phone {
        device_id: body["device_id"].as_str().expect("device id").to_owned(),
        ..phone
    })
}

/// The phone's lookup of a code: (status, body).
pub async fn lookup(s: &TestServer, code: &str) -> (u16, serde_json::Value) {
    s.post("/enrollments/lookup", &json!({ "code": code }), None)
        .await
}

/// Events of the audit trail (of one account, or all), oldest first.
pub async fn events(s: &TestServer, account: Option<&str>) -> Vec<String> {
    let db = s.db().await;
    let rows = sqlx::query_scalar::<_, String>(
        "SELECT event FROM audit WHERE (CAST($1 AS TEXT) IS NULL OR account_id = $1) ORDER BY id",
    )
    .bind(account)
    .fetch_all(&db)
    .await
    .expect("audit");
    db.close().await;
    rows
}

/// Number of audit rows.
pub async fn audit_count(s: &TestServer) -> i64 {
    let db = s.db().await;
    let n = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit")
        .fetch_one(&db)
        .await
        .expect("count");
    db.close().await;
    n
}

/// The database of the test folder `dir`: its SQLite file, or its PostgreSQL database when
/// the run is on PostgreSQL (`TIGR_TEST_POSTGRES`).
pub fn database_url(dir: &Path) -> String {
    tigr_server::storage::test_database_url(dir, "tigr.db")
}

/// True, with a line saying why, when the run is on PostgreSQL and the test is about what
/// only SQLite does (file backups, SQLite's own migrations): the SQLite run covers it.
pub fn sqlite_only(what: &str) -> bool {
    let on_postgres = std::env::var_os(tigr_server::storage::TEST_CLUSTER_VARIABLE).is_some();
    if on_postgres {
        eprintln!("skipped on PostgreSQL: {what} (the SQLite run covers it)");
    }
    on_postgres
}

/// The `tigr-server` binary, run in `dir` on its database and master key, with nothing else
/// from the test's environment.
pub fn tigr_server_in(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tigr-server"));
    command
        .current_dir(dir)
        .env_clear()
        .env("TIGR_DATABASE_URL", database_url(dir))
        .env("TIGR_MASTER_KEY_FILE", dir.join("master.key"));
    command
}

/// Runs `tigr-server <args>` on the database of `dir` (in `dir`), as Unix user `operator`,
/// in `lang` (`fr_FR.UTF-8`, `en_US.UTF-8`).
pub fn cli(dir: &Path, lang: &str, args: &[&str]) -> Output {
    tigr_server_in(dir)
        .args(args)
        .env("TIGR_PUBLIC_URL", "https://auth.example.fr")
        .env("TIGR_LOG", "warn")
        .env("USER", "operator")
        .env("LANG", lang)
        .output()
        .expect("tigr-server runs")
}

/// stdout and stderr of a run, as text.
pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the CLI and expects success; returns stdout.
pub fn cli_ok(dir: &Path, lang: &str, args: &[&str]) -> String {
    let output = cli(dir, lang, args);
    let (out, err) = texts(&output);
    assert!(output.status.success(), "{args:?} failed: {err}\n{out}");
    out
}

/// Runs the CLI and expects exit status 1; returns stderr.
pub fn cli_fails(dir: &Path, lang: &str, args: &[&str]) -> String {
    let output = cli(dir, lang, args);
    let (out, err) = texts(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?} should fail: {out}{err}"
    );
    assert!(
        out.is_empty(),
        "nothing printed on stdout on failure: {out}"
    );
    err
}
