//! PostgreSQL: the schema, and its migrations run by `tigr-server migrate`.
//!
//! The migrations (`migrations/postgres`, embedded) mirror SQLite's file for file, with the
//! same versions: a database of either engine at version N has the same tables, columns,
//! keys and indexes (checked by `server/tests/api/postgres.rs`). The store itself, the
//! server's reads and writes, runs on SQLite only in this version; see
//! docs/ARCHITECTURE.md, "PostgreSQL".

use sqlx::postgres::PgConnection;

use super::StorageError;

/// The PostgreSQL schema migrations, embedded in the binary (run by
/// `maintenance::migrate`).
pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// True for a PostgreSQL URL (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The newest schema version of the PostgreSQL migrations.
pub(super) fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
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
pub(super) async fn has_tables(conn: &mut PgConnection) -> Result<bool, StorageError> {
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

    /// The plan of docs/ARCHITECTURE.md ("PostgreSQL") shares statement texts between the
    /// engines: SQLite, through sqlx, binds PostgreSQL's numbered placeholders.
    #[tokio::test]
    async fn sqlite_binds_numbered_placeholders() {
        use sqlx::Connection as _;
        use sqlx::sqlite::SqliteConnection;
        let mut conn = SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("connect");
        let row: (i64, String, i64) = sqlx::query_as("SELECT $2, $1, $2 + 1")
            .bind("one")
            .bind(2_i64)
            .fetch_one(&mut conn)
            .await
            .expect("query");
        assert_eq!(row, (2, "one".to_owned(), 3));
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
