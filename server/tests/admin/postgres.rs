//! PostgreSQL (docs/deployment.md, "PostgreSQL"): `tigr-server migrate` prepares a database on
//! a real PostgreSQL cluster (tests/processes/postgres.rs), which then has the schema SQLite gets
//! from its own migrations, table by table; the audit trail is append-only there too; a
//! newer database is refused; `backup` says what to use instead; the server runs on it
//! without its password in any log line; TLS to the database is verified.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

use tigr_server::admin::maintenance::latest_schema_version;

use super::postgres_cluster::Postgres;
use super::support::{texts, tigr_server_in};

const FR: &str = "fr_FR.UTF-8";
const EN: &str = "en_US.UTF-8";

/// `tigr-server <args>` in `dir` on the database `url`.
fn cli_on(dir: &Path, url: &str, lang: &str, args: &[&str]) -> Output {
    tigr_server_in(dir)
        .args(args)
        .env("TIGR_DATABASE_URL", url)
        .env("TIGR_PUBLIC_URL", "https://auth.example.fr")
        .env("TIGR_LOG", "warn")
        .env("LANG", lang)
        .output()
        .expect("tigr-server runs")
}

/// One table as both engines describe it, in terms they share.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Columns in order: name, type (`bigint`, `text`, `bytea`), NOT NULL, default.
    columns: Vec<(String, String, bool, Option<String>)>,
    /// Primary key columns, in order.
    primary_key: Vec<String>,
    /// Foreign keys: column, referenced table and column, `ON DELETE` action.
    foreign_keys: Vec<(String, String, String, String)>,
    /// Unique column lists other than the primary key (constraints and unique indexes).
    unique: Vec<Vec<String>>,
    /// Indexes made by `CREATE INDEX`: name, columns, whether partial.
    indexes: Vec<(String, Vec<String>, bool)>,
}

/// A default as both engines print it: without PostgreSQL's casts.
fn default_text(text: Option<String>) -> Option<String> {
    text.map(|t| {
        let t = t.trim();
        let t = t
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(t);
        t.split("::").next().unwrap_or(t).to_owned()
    })
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> BTreeMap<String, Table> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut tables = BTreeMap::new();
    for name in names {
        let mut table = Table::default();
        let columns: Vec<(String, String, bool, Option<String>, i64)> = rows_about(
            &mut *conn,
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
            &name,
        )
        .await;
        let mut key: Vec<(i64, String)> = Vec::new();
        for (column, kind, not_null, default, pk) in columns {
            let kind = match kind.to_ascii_uppercase().as_str() {
                "INTEGER" => "bigint",
                "TEXT" => "text",
                "BLOB" => "bytea",
                other => panic!("{name}.{column}: type {other}"),
            };
            // STRICT tables and INTEGER PRIMARY KEY refuse NULL keys.
            table.columns.push((
                column.clone(),
                kind.into(),
                not_null || pk > 0,
                default_text(default),
            ));
            if pk > 0 {
                key.push((pk, column));
            }
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        let fks: Vec<(String, String, String, String)> = rows_about(
            &mut *conn,
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?)",
            &name,
        )
        .await;
        table.foreign_keys = fks
            .into_iter()
            .map(|(from, to_table, to, action)| (from, to_table, to, action.to_ascii_uppercase()))
            .collect();
        table.foreign_keys.sort();
        let indexes: Vec<(String, bool, String, bool)> = rows_about(
            &mut *conn,
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)",
            &name,
        )
        .await;
        for (index, unique, origin, partial) in indexes {
            // An expression has no column name.
            let columns: Vec<String> = scalars_about(
                &mut *conn,
                "SELECT coalesce(name, '(expression)') FROM pragma_index_info(?) ORDER BY seqno",
                &index,
            )
            .await;
            if unique && origin != "pk" {
                table.unique.push(columns.clone());
            }
            if origin == "c" {
                table.indexes.push((index, columns, partial));
            }
        }
        table.unique.sort();
        table.indexes.sort();
        tables.insert(name, table);
    }
    tables
}

/// The rows of `sql` about `table` (bound as its one parameter).
async fn rows_about<'c, DB, T>(
    conn: impl sqlx::Executor<'c, Database = DB>,
    sql: &'static str,
    table: &str,
) -> Vec<T>
where
    DB: sqlx::Database,
    T: for<'r> sqlx::FromRow<'r, DB::Row> + Send + Unpin,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    sqlx::query_as(sql)
        .bind(table)
        .fetch_all(conn)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"))
}

/// The one-column rows of `sql` about `table`.
async fn scalars_about<'c, DB, T>(
    conn: impl sqlx::Executor<'c, Database = DB>,
    sql: &'static str,
    table: &str,
) -> Vec<T>
where
    DB: sqlx::Database,
    (T,): for<'r> sqlx::FromRow<'r, DB::Row> + Send + Unpin,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let rows: Vec<(T,)> = rows_about(conn, sql, table).await;
    rows.into_iter().map(|(value,)| value).collect()
}

async fn postgres_schema(conn: &mut PgConnection) -> BTreeMap<String, Table> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut tables = BTreeMap::new();
    for name in names {
        let mut table = Table::default();
        let columns: Vec<(String, String, String, Option<String>)> = rows_about(
            &mut *conn,
            "SELECT column_name::text, data_type::text, is_nullable::text, column_default::text \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 \
             ORDER BY ordinal_position",
            &name,
        )
        .await;
        table.columns = columns
            .into_iter()
            .map(|(column, kind, nullable, default)| {
                (column, kind, nullable == "NO", default_text(default))
            })
            .collect();
        table.primary_key = scalars_about(
            &mut *conn,
            "SELECT a.attname::text FROM pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n) \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n",
            &name,
        )
        .await;
        let fks: Vec<(String, String, String, String)> = rows_about(
            &mut *conn,
            "SELECT (SELECT attname::text FROM pg_attribute \
                     WHERE attrelid = c.conrelid AND attnum = c.conkey[1]), \
                    c.confrelid::regclass::text, \
                    (SELECT attname::text FROM pg_attribute \
                     WHERE attrelid = c.confrelid AND attnum = c.confkey[1]), \
                    CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
                     WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END \
             FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = $1::regclass",
            &name,
        )
        .await;
        table.foreign_keys = fks;
        table.foreign_keys.sort();
        let indexes: Vec<(String, bool, bool, bool, Vec<String>)> = rows_about(
            &mut *conn,
            "SELECT ic.relname::text, i.indisunique, i.indisprimary, i.indpred IS NOT NULL, \
                    ARRAY(SELECT coalesce(a.attname::text, '(expression)') \
                          FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, n) \
                          LEFT JOIN pg_attribute a \
                          ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0 \
                          ORDER BY k.n) \
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
             WHERE i.indrelid = $1::regclass \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid \
                             AND c.contype IN ('u', 'p'))",
            &name,
        )
        .await;
        let constraints: Vec<Vec<String>> = scalars_about(
            &mut *conn,
            "SELECT ARRAY(SELECT a.attname::text \
                          FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, n) \
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
                          ORDER BY k.n) \
             FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid = $1::regclass",
            &name,
        )
        .await;
        table.unique = constraints;
        for (index, unique, primary, partial, columns) in indexes {
            assert!(!primary, "{index}: a primary key without its constraint");
            if unique {
                table.unique.push(columns.clone());
            }
            table.indexes.push((index, columns, partial));
        }
        table.unique.sort();
        table.indexes.sort();
        tables.insert(name, table);
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_gives_postgres_the_schema_sqlite_has() {
    let cluster = Postgres::start().await;
    let url = cluster.database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let latest = latest_schema_version();

    let output = cli_on(dir.path(), &url, FR, &["migrate"]);
    let (out, err) = texts(&output);
    assert!(output.status.success(), "{err}\n{}", cluster.log());
    assert!(
        out.contains(&format!("Version du schéma : aucune → {latest}")),
        "{out}"
    );
    let output = cli_on(dir.path(), &url, EN, &["migrate"]);
    let (out, _) = texts(&output);
    assert!(
        out.contains(&format!("Schema version: {latest}, already up to date")),
        "{out}"
    );

    let mut pg = PgConnection::connect(&url).await.expect("connect");
    let sqlite_path = dir.path().join("reference.db");
    let mut lite =
        SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", sqlite_path.display()))
            .await
            .expect("sqlite");
    sqlx::migrate::Migrator::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .await
        .expect("migrations")
        .run(&mut lite)
        .await
        .expect("sqlite schema");
    let expected = sqlite_schema(&mut lite).await;
    let found = postgres_schema(&mut pg).await;
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        found.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (name, table) in &expected {
        assert_eq!(Some(table), found.get(name), "table {name}");
    }
    assert!(expected.len() >= 20, "{} tables", expected.len());

    // The audit trail is append-only on PostgreSQL too.
    sqlx::query("INSERT INTO audit (at, event, actor) VALUES (1, 'approved', 'phone')")
        .execute(&mut pg)
        .await
        .expect("append");
    for change in [
        "UPDATE audit SET at = 2",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let refused = sqlx::query(change).execute(&mut pg).await;
        assert!(refused.is_err(), "{change} was accepted");
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE at = 1")
        .fetch_one(&mut pg)
        .await
        .expect("count");
    assert_eq!(rows, 1);

    // A database migrated by a newer Tigr: refused, untouched.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', true, '\\x00', 0)",
    )
    .execute(&mut pg)
    .await
    .expect("insert");
    let output = cli_on(dir.path(), &url, FR, &["migrate"]);
    let (_, err) = texts(&output);
    assert!(!output.status.success());
    assert!(
        err.contains(&format!(
            "version de schéma 999, plus récente que celle de ce programme ({latest})"
        )),
        "{err}"
    );
    pg.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_url_gets_clear_answers_and_never_leaks_its_password() {
    let cluster = Postgres::start().await;
    let url = cluster.database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let with_password = url.replacen("tigr@", "tigr:hunter2@", 1);

    // A database that holds tables but no migrations is not Tigr's: refused, untouched.
    let mut pg = PgConnection::connect(&url).await.expect("connect");
    sqlx::query("CREATE TABLE someone_elses (id BIGINT)")
        .execute(&mut pg)
        .await
        .expect("create");
    pg.close().await.expect("close");
    let output = cli_on(dir.path(), &with_password, EN, &["migrate"]);
    let (_, err) = texts(&output);
    assert!(!output.status.success());
    assert!(err.contains("is not a Tigr database"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let backups = tempfile::tempdir().expect("tempdir");
    let dest = backups.path().join("b.db");
    let output = cli_on(
        dir.path(),
        &with_password,
        FR,
        &["backup", dest.to_str().expect("path")],
    );
    let (_, err) = texts(&output);
    assert!(!output.status.success());
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!dest.exists());

    // Nor does the server start on it.
    let output = cli_on(dir.path(), &with_password, EN, &[]);
    let (out, err) = texts(&output);
    assert!(!output.status.success(), "{out}");
    assert!(err.contains("is not a Tigr database"), "{err}");
    assert!(
        !err.contains("hunter2") && !out.contains("hunter2"),
        "{err}"
    );
    assert!(err.contains("tigr:***@"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reaches_postgres_over_verified_tls_and_refuses_an_unknown_certificate() {
    let cluster = Postgres::start().await;
    let url = cluster.database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let verified = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        cluster.tls_root().display()
    );
    let output = cli_on(dir.path(), &verified, EN, &["migrate"]);
    let (out, err) = texts(&output);
    assert!(output.status.success(), "{out}{err}{}", cluster.log());

    // Another certificate than the cluster's: refused before anything is sent.
    let (other_pem, _, _) = tigr_server::test_pki::tls_server_certificate();
    let other = dir.path().join("other.crt");
    std::fs::write(&other, other_pem).expect("write");
    let unverified = format!("{url}?sslmode=verify-full&sslrootcert={}", other.display());
    let output = cli_on(dir.path(), &unverified, EN, &["migrate"]);
    let (out, err) = texts(&output);
    assert!(!output.status.success(), "{out}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("tls"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_on_postgres_and_its_logs_hide_the_password() {
    use std::io::{BufRead as _, BufReader};
    let cluster = Postgres::start().await;
    let url = cluster.database().await;
    let with_password = url.replacen("tigr@", "tigr:hunter2@", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = tigr_server_in(dir.path())
        .env("TIGR_DATABASE_URL", &with_password)
        .env("TIGR_LISTEN", "127.0.0.1:0")
        .env("TIGR_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tigr-server runs");
    let stdout = server.stdout.take().expect("stdout");
    let stderr = server.stderr.take().expect("stderr");
    let (lines, seen) = std::sync::mpsc::channel();
    for stream in [
        Box::new(stdout) as Box<dyn std::io::Read + Send>,
        Box::new(stderr),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
    }
    let mut log = Vec::new();
    let started = |log: &[String]| {
        log.iter().any(|l| l.contains("database opened"))
            && log.iter().any(|l| l.contains("listening"))
    };
    while !started(&log) {
        match seen.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => log.push(line),
            Err(_) => break,
        }
    }
    let opened = started(&log);
    let _ = server.kill();
    let _ = server.wait();
    let log = log.join("\n");
    assert!(opened, "the server starts on PostgreSQL: {log}");
    assert!(log.contains("tigr:***@"), "{log}");
    assert!(!log.contains("hunter2"), "{log}");
}

/// docs/deployment.md's primary and standby: a streaming standby made with `pg_basebackup -R`
/// and named in the primary's `synchronous_standby_names`. While the standby receives
/// nothing, an approval is not answered (the primary's commit waits for the standby: no
/// phone is told of an approval the standby could lose). Logins are approved and a phone is
/// revoked on the primary, which is then killed with SIGKILL; the standby is promoted and a
/// server started on it: every approval the phones were told of is there (approved, and
/// refused a second time), the revoked phone stays revoked, and logins go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promoted_synchronous_standby_keeps_every_approval_and_revocation() {
    use std::time::Duration;

    use super::common::{Challenge, TestServer};
    use super::support::{operator, service};

    let mut primary = Postgres::start().await;
    let url = primary.database().await;
    let standby = primary.standby("standby").await;
    primary.replicate_synchronously_to("standby").await;

    let s = TestServer::start_with(|config| config.database_url = url.clone()).await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let mut approved: Vec<Challenge> = Vec::new();

    let c = s.challenge().await;
    standby.receive_wal(false).await;
    let answer = alice.approve(s.origin(), &c);
    let mut approval = Box::pin(s.respond(&c, &answer));
    assert!(
        tokio::time::timeout(Duration::from_secs(1), &mut approval)
            .await
            .is_err(),
        "an approval answered before the standby had it"
    );
    standby.receive_wal(true).await;
    let (status, body) = approval.await;
    assert_eq!(status, 200, "{body}");
    approved.push(c);

    for _ in 0..5 {
        let c = s.challenge().await;
        let (status, body) = s.respond(&c, &alice.approve(s.origin(), &c)).await;
        assert_eq!(status, 200, "{body}");
        approved.push(c);
    }
    service(&s)
        .await
        .revoke_phone(&operator(), "bob", Some("téléphone perdu"))
        .await
        .expect("revoked");
    primary.kill();

    standby.promote().await;
    let mut config = s.config().clone();
    config.database_url = standby.same_database(&url);
    config.listen = "127.0.0.1:0".parse().expect("address");
    let dir = tempfile::tempdir().expect("tempdir");
    let after = TestServer::start_in(dir, config).await;
    for c in &approved {
        assert_eq!(after.state(c).await, "approved", "{}", c.id);
        let (status, body) = after.respond(c, &alice.approve(s.origin(), c)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("challenge_used"))
        );
    }
    let c = after.challenge().await;
    let (status, body) = after.respond(&c, &bob.approve(after.origin(), &c)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("device_revoked"))
    );
    let c = after.challenge().await;
    let (status, body) = after.respond(&c, &alice.approve(after.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(after.state(&c).await, "approved");
    after.stop().await;
    drop(s);
}
