//! PostgreSQL: the schema, and its migrations run by `tigr-server migrate`.
//!
//! The migrations (`migrations/postgres`, embedded) mirror SQLite's file for file, with the
//! same versions: a database of either engine at version N has the same tables, columns,
//! keys and indexes (checked by `server/tests/admin/postgres.rs`). The store's statements
//! are the same for both engines (`conn.rs`); see docs/ARCHITECTURE.md, "PostgreSQL".

use std::str::FromStr as _;

use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

use super::StorageError;
use super::conn::Conn;

/// The PostgreSQL schema migrations, embedded in the binary (run by
/// `maintenance::migrate`).
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// True for a PostgreSQL URL (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Migrates the database of `url` (sqlx's migrator holds an advisory lock meanwhile, so
/// instances starting together migrate one after the other), then opens the writer and
/// `readers` read connections, each keeping `statements` prepared statements.
pub(super) async fn open(
    url: &str,
    readers: usize,
    statements: usize,
) -> Result<(Conn, Vec<Conn>), StorageError> {
    let options = PgConnectOptions::from_str(url)?
        .application_name("tigr-server")
        .statement_cache_capacity(statements);
    // Through a pool: `Migrator::run` on a bare connection makes every future that opens a
    // store fail `Send` checks (higher-ranked lifetime inference).
    let migrator = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    tigr_version(&mut *migrator.acquire().await?, url).await?;
    MIGRATOR.run(&migrator).await?;
    migrator.close().await;
    let writer = options.connect().await?.into();
    let mut opened = Vec::with_capacity(readers);
    for _ in 0..readers {
        opened.push(options.connect().await?.into());
    }
    Ok((writer, opened))
}

/// The newest schema version of the PostgreSQL migrations.
pub(super) fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The last migration applied (`None`: an empty database); refused when the database holds
/// tables but no Tigr migrations: another application's, never to be migrated.
pub(super) async fn tigr_version(
    conn: &mut PgConnection,
    url: &str,
) -> Result<Option<i64>, StorageError> {
    let version = schema_version(conn).await?;
    if version.is_none() && has_tables(conn).await? {
        return Err(StorageError::NotTigr(redacted(url)));
    }
    Ok(version)
}

/// The last migration applied, `None` when the database has no migration table.
pub(super) async fn schema_version(conn: &mut PgConnection) -> Result<Option<i64>, StorageError> {
    let has_table = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !has_table {
        return Ok(None);
    }
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// True when the database's schema holds any table.
async fn has_tables(conn: &mut PgConnection) -> Result<bool, StorageError> {
    Ok(sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = current_schema())",
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// `url` without its password, for messages and logs: a database URL may hold one (a
/// PostgreSQL URL, or a mistyped URL of another kind); other URLs are returned as they are.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) if url.contains('@') => "(a URL that does not parse)".to_owned(),
        Err(_) => url.to_owned(),
    }
}

/// The variable that runs the test suites on PostgreSQL: the URL of a cluster's role allowed
/// to create databases (`scripts/postgres-cluster.sh` prints one). Unset: SQLite.
#[cfg(any(test, feature = "test-support"))]
pub const TEST_CLUSTER_VARIABLE: &str = "TIGR_TEST_POSTGRES";

/// For tests: the URL of the database of the test folder `dir` on the cluster of
/// [`TEST_CLUSTER_VARIABLE`] (created empty on first use: the same folder always gets the same
/// database, as it would the same SQLite file), or `None` when the variable is unset (the tests
/// then use SQLite). Synchronous (its own thread and runtime), so that configurations for
/// tests stay plain functions.
#[cfg(any(test, feature = "test-support"))]
pub fn test_database(dir: &std::path::Path) -> Option<String> {
    use std::hash::{BuildHasher as _, BuildHasherDefault, DefaultHasher};
    let cluster = std::env::var(TEST_CLUSTER_VARIABLE).ok()?;
    // Deterministic across processes (SipHash with fixed keys): a command run by a test on
    // the test's folder finds the same database.
    let name = format!(
        "tigr_test_{:016x}",
        BuildHasherDefault::<DefaultHasher>::default().hash_one(dir)
    );
    let mut url = url::Url::parse(&cluster).expect("TIGR_TEST_POSTGRES is a URL");
    let create = format!("CREATE DATABASE {name}");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            use sqlx::Connection as _;
            let mut conn = PgConnection::connect(&cluster)
                .await
                .expect("the test cluster answers");
            match sqlx::raw_sql(&create).execute(&mut conn).await {
                Ok(_) => {}
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
                Err(error) => panic!("a test database: {error}"),
            }
            conn.close().await.expect("close");
        });
    })
    .join()
    .expect("database creation");
    url.set_path(&name);
    Some(url.to_string())
}

/// For tests: the database of the test folder `dir`, the file `file` in it, or its database
/// on the cluster of [`TEST_CLUSTER_VARIABLE`] when set ([`test_database`]).
#[cfg(any(test, feature = "test-support"))]
pub fn test_database_url(dir: &std::path::Path, file: &str) -> String {
    test_database(dir).unwrap_or_else(|| format!("sqlite://{}", dir.join(file).display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_are_recognised_and_redacted() {
        assert!(is_postgres_url("postgres://tigr@db/tigr"));
        assert!(is_postgres_url(
            "postgresql://tigr:pw@db:5432/tigr?sslmode=require"
        ));
        assert!(!is_postgres_url("sqlite://tigr-data/tigr.db"));
        assert!(!is_postgres_url("mysql://db/tigr"));
        assert_eq!(
            redacted("postgresql://tigr:secret@db:5432/tigr"),
            "postgresql://tigr:***@db:5432/tigr"
        );
        assert!(!redacted("postgres://u:hunter2@h/d?sslmode=require").contains("hunter2"));
        assert_eq!(
            redacted("postgres://tigr@db/tigr"),
            "postgres://tigr@db/tigr"
        );
        assert_eq!(
            redacted("sqlite://tigr-data/tigr.db"),
            "sqlite://tigr-data/tigr.db"
        );
    }

    #[test]
    fn both_engines_have_the_same_schema_versions() {
        let sqlite: Vec<(i64, String)> = super::super::MIGRATOR
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        let postgres: Vec<(i64, String)> = MIGRATOR
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        assert_eq!(sqlite, postgres);
    }
}
