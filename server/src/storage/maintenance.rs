//! Work on the database file itself for the command line: a consistent backup of a live
//! database, and migrations applied on their own (before an upgraded server starts).
//!
//! Neither goes through a running [`Store`]: a backup must not migrate the live
//! database (the server running beside it may be an older version), and both run in a
//! process of their own beside the server, which SQLite's locks and WAL allow.
//!
//! A backup is `VACUUM INTO` on a connection of its own: one read transaction, so the copy is
//! the database as one commit left it while the server goes on writing (WAL readers never
//! block the writer). It is written under a temporary name (created 0600: SQLite keeps the
//! mode of an existing empty file), flushed to disk, opened again read-only and checked
//! (`PRAGMA integrity_check`, schema version), and only then linked to its final name, which
//! fails if that name exists: a backup never replaces a file, and an interrupted one leaves
//! no file under the final name.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _};

use super::{MIGRATOR, StorageError, Store, is_in_memory, postgres};

/// Why a backup or a migration did not happen. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// The database URL names an in-memory database.
    #[error("the database is in memory: there is no file to back up or migrate")]
    InMemory,
    /// No database file at the configured place.
    #[error("no database at {0}")]
    NoDatabase(PathBuf),
    /// The file is not a Tigr database (no migration table).
    #[error("{0} is not a Tigr database")]
    NotTigr(PathBuf),
    /// The backup's destination exists already.
    #[error("{0} exists already: a backup never replaces a file")]
    Exists(PathBuf),
    /// The copy failed SQLite's integrity check.
    #[error("the copy failed its integrity check: {0}")]
    Integrity(String),
    /// The copy's schema version is not the live database's.
    #[error("the copy has schema version {copy}, the live database {live}")]
    VersionMismatch {
        /// The live database's version when the copy began.
        live: i64,
        /// The copy's.
        copy: i64,
    },
    /// The database was migrated by a newer version of Tigr than this binary.
    #[error("the database has schema version {database}, newer than this binary's {known}")]
    NewerSchema {
        /// The database's version.
        database: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// A file of the backup could not be created, written or linked.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A backup of a PostgreSQL database was asked for: PostgreSQL's own tools make it.
    #[error("a PostgreSQL database is backed up with pg_dump or pg_basebackup")]
    PostgresBackup,
    /// The database refused or failed a statement.
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for MaintenanceError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotTigr(database) => Self::NotTigr(database.into()),
            error => Self::Storage(error),
        }
    }
}

impl From<sqlx::Error> for MaintenanceError {
    fn from(error: sqlx::Error) -> Self {
        Self::Storage(StorageError::Database(error))
    }
}

/// A backup written and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The live database that was copied.
    pub source: PathBuf,
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version (the live database's).
    pub schema_version: i64,
    /// Accounts in the copy.
    pub accounts: i64,
    /// Time taken by the copy and its check.
    pub elapsed: Duration,
}

/// What [`migrate`] did (the versions are those of either engine: their migrations go in
/// step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationReport {
    /// Schema version before (`None`: a database without any migration yet).
    pub before: Option<i64>,
    /// Schema version after.
    pub after: i64,
}

/// The newest schema version this binary knows (its last embedded migration).
pub fn latest_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Copies the live database of `url` to `dest` (which must not exist), mode 0600, then
/// checks the copy; see the module's documentation.
pub async fn backup(url: &str, dest: &Path) -> Result<BackupReport, MaintenanceError> {
    if postgres::is_postgres_url(url) {
        return Err(MaintenanceError::PostgresBackup);
    }
    let started = Instant::now();
    let (options, source) = existing_database(url)?;
    if dest.symlink_metadata().is_ok() {
        return Err(MaintenanceError::Exists(dest.to_path_buf()));
    }
    let partial = partial_name(dest)?;
    // A failure here (no such folder, no permission) is about the name asked for.
    create_private(&partial).map_err(|error| match error {
        MaintenanceError::Io { source, .. } => io(dest, source),
        other => other,
    })?;
    let result = copy_and_check(&options, &partial).await.and_then(|report| {
        link_into_place(&partial, dest)?;
        Ok(report)
    });
    // The temporary name goes in every case (after a link, the backup keeps its own name).
    let _ = std::fs::remove_file(&partial);
    let (schema_version, accounts) = result?;
    sync_folder(dest);
    let bytes = std::fs::metadata(dest)
        .map_err(|source| io(dest, source))?
        .len();
    Ok(BackupReport {
        source,
        path: dest.to_path_buf(),
        bytes,
        schema_version,
        accounts,
        elapsed: started.elapsed(),
    })
}

/// Applies the migrations the database of `url` lacks, exactly as the server does at start,
/// and says which versions it went from and to. A database newer than this binary is
/// refused untouched.
pub async fn migrate(url: &str) -> Result<MigrationReport, MaintenanceError> {
    if postgres::is_postgres_url(url) {
        return migrate_postgres(url).await;
    }
    let (options, source) = existing_database(url)?;
    let mut conn = options.connect().await?;
    let before = schema_version(&mut conn, &source).await;
    conn.close().await?;
    let before = match before {
        Ok(version) => Some(version),
        // An empty file (created but never migrated) is a database without migrations.
        Err(MaintenanceError::NotTigr(_)) if is_empty(&source) => None,
        Err(error) => return Err(error),
    };
    let known = latest_schema_version();
    if let Some(database) = before.filter(|v| *v > known) {
        return Err(MaintenanceError::NewerSchema { database, known });
    }
    let (store, _) = Store::open(url).await?;
    store.close().await;
    drop(store);
    let mut conn = options.connect().await?;
    let after = schema_version(&mut conn, &source).await?;
    conn.close().await?;
    Ok(MigrationReport { before, after })
}

/// Applies the migrations the PostgreSQL database of `url` lacks (each in its own
/// transaction), and says which versions it went from and to. A database newer than this
/// binary is refused untouched; so is a database that holds tables but no migration table
/// (not a Tigr database).
async fn migrate_postgres(url: &str) -> Result<MigrationReport, MaintenanceError> {
    let mut conn = PgConnection::connect(url).await?;
    let result = migrate_postgres_on(&mut conn, url).await;
    conn.close().await?;
    result
}

async fn migrate_postgres_on(
    conn: &mut PgConnection,
    url: &str,
) -> Result<MigrationReport, MaintenanceError> {
    let before = postgres::tigr_version(conn, url).await?;
    let known = postgres::latest_version();
    if let Some(database) = before.filter(|v| *v > known) {
        return Err(MaintenanceError::NewerSchema { database, known });
    }
    postgres::MIGRATOR
        .run(&mut *conn)
        .await
        .map_err(StorageError::from)?;
    let after = postgres::schema_version(conn)
        .await?
        .ok_or_else(|| MaintenanceError::NotTigr(postgres::redacted(url).into()))?;
    Ok(MigrationReport { before, after })
}

/// The options of a connection to the existing database file of `url`, and its path.
/// Nothing is created: a mistyped path must not become a new, empty database.
fn existing_database(url: &str) -> Result<(SqliteConnectOptions, PathBuf), MaintenanceError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(MaintenanceError::from)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5))
        // A copy or a check of a large database takes seconds: not a slow query to warn of.
        .disable_statement_logging();
    let path = options.get_filename().to_path_buf();
    if is_in_memory(url, &path) {
        return Err(MaintenanceError::InMemory);
    }
    if !path.is_file() {
        return Err(MaintenanceError::NoDatabase(path));
    }
    Ok((options, path))
}

fn is_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
}

/// The schema version of a Tigr database: its last migration applied.
async fn schema_version(conn: &mut SqliteConnection, path: &Path) -> Result<i64, MaintenanceError> {
    let has_table = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has_table == 0 {
        return Err(MaintenanceError::NotTigr(path.to_path_buf()));
    }
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1",
    )
    .fetch_one(&mut *conn)
    .await?
    .ok_or_else(|| MaintenanceError::NotTigr(path.to_path_buf()))
}

/// Copies the live database into `partial` (empty, existing) and checks the copy; returns
/// its schema version and number of accounts.
async fn copy_and_check(
    options: &SqliteConnectOptions,
    partial: &Path,
) -> Result<(i64, i64), MaintenanceError> {
    let mut live = options.connect().await?;
    let source = options.get_filename().to_path_buf();
    let live_version = schema_version(&mut live, &source).await?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut live)
        .await;
    live.close().await?;
    copied?;
    // VACUUM INTO does not sync the file it writes.
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|source| io(partial, source))?;

    let mut copy = SqliteConnectOptions::new()
        .filename(partial)
        .read_only(true)
        .immutable(true)
        .disable_statement_logging()
        .connect()
        .await?;
    let checked = check_copy(&mut copy, partial, live_version).await;
    copy.close().await?;
    checked
}

async fn check_copy(
    copy: &mut SqliteConnection,
    path: &Path,
    live_version: i64,
) -> Result<(i64, i64), MaintenanceError> {
    let problems = sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
        .fetch_all(&mut *copy)
        .await?;
    if problems != ["ok"] {
        return Err(MaintenanceError::Integrity(problems.join("; ")));
    }
    let version = schema_version(copy, path).await?;
    if version != live_version {
        return Err(MaintenanceError::VersionMismatch {
            live: live_version,
            copy: version,
        });
    }
    let accounts = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut *copy)
        .await?;
    Ok((version, accounts))
}

/// A hidden name next to `dest`, unique to this process.
fn partial_name(dest: &Path) -> Result<PathBuf, MaintenanceError> {
    let name = dest.file_name().ok_or_else(|| {
        io(
            dest,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let mut partial = std::ffi::OsString::from(".");
    partial.push(name);
    partial.push(format!(".{}.partial", std::process::id()));
    Ok(dest.with_file_name(partial))
}

/// Creates `path`, empty, readable and writable by its owner only.
fn create_private(path: &Path) -> Result<(), MaintenanceError> {
    super::files::create_private_file(path).map_err(|source| io(path, source))
}

/// Gives the checked copy its final name; refuses if that name exists (a hard link is never
/// made over an existing file, unlike a rename).
fn link_into_place(partial: &Path, dest: &Path) -> Result<(), MaintenanceError> {
    std::fs::hard_link(partial, dest).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            MaintenanceError::Exists(dest.to_path_buf())
        } else {
            io(dest, source)
        }
    })
}

/// Makes the new name durable (best effort: some file systems refuse to sync a folder).
fn sync_folder(file: &Path) {
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(folder) = std::fs::File::open(folder) {
        let _ = folder.sync_all();
    }
}

fn io(path: &Path, source: std::io::Error) -> MaintenanceError {
    MaintenanceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_backup_is_a_checked_private_copy_and_never_replaces_a_file() {
        // A file copy: SQLite only, whatever engine the other tests run on.
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (store, _) = Store::open(&url).await.expect("open");
        let dest = dir.path().join("copy.db");
        let report = backup(&url, &dest).await.expect("backup");
        assert_eq!(report.schema_version, latest_schema_version());
        assert_eq!(report.accounts, 0);
        assert!(report.bytes > 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&dest).expect("copy").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&dest).expect("copy");
        assert!(matches!(
            backup(&url, &dest).await,
            Err(MaintenanceError::Exists(path)) if path == dest
        ));
        assert_eq!(std::fs::read(&dest).expect("copy"), before);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        drop(store);
    }

    #[tokio::test]
    async fn nothing_is_created_for_a_missing_or_in_memory_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.db");
        let url = format!("sqlite://{}", missing.display());
        let dest = dir.path().join("copy.db");
        assert!(matches!(
            backup(&url, &dest).await,
            Err(MaintenanceError::NoDatabase(_))
        ));
        assert!(matches!(
            migrate(&url).await,
            Err(MaintenanceError::NoDatabase(_))
        ));
        assert!(matches!(
            backup("sqlite::memory:", &dest).await,
            Err(MaintenanceError::InMemory)
        ));
        assert!(!missing.exists() && !dest.exists());
    }
}
