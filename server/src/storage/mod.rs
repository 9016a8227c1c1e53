//! SQLite storage (sqlx): WAL journal, `synchronous=NORMAL`, foreign keys on, busy timeout,
//! migrations embedded from `migrations/sqlite`.
//!
//! Two pools: readers run in parallel (WAL lets them), while every write goes through a
//! single-connection writer pool. SQLite admits one writer at a time anyway; queueing
//! writers on the pool (FIFO, async) avoids SQLite's sleeping busy handler under load and the
//! `SQLITE_BUSY` of two deferred transactions upgrading at once. Write transactions start with
//! `BEGIN IMMEDIATE` so that the checks they make and the writes they do are atomic even
//! against another process (the `enroll` command) writing the same file.

mod accounts;
mod admin;
mod audit;
mod challenges;
mod devices;
mod enrollments;
mod meta;
mod web_sessions;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

pub use accounts::Account;
pub use admin::{AccountQuery, AccountRow, AuditQuery, DeviceRow, InvitationRow, NewInvitation};
pub use audit::{Actor, AuditEntry, AuditEvent, AuditRecord};
pub use challenges::NewChallenge;
pub use devices::{Device, NewDevice};
pub use web_sessions::{NewWebSession, WebSessionRecord};

/// A storage failure. Logged by the caller; never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or failed a query.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database directory could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A stored value is not one this server writes.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// The Tigr database.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
    /// Write-through copy of the challenges issued by this process (see `challenges.rs`).
    challenges: Arc<challenges::ChallengeCache>,
}

/// What [`SqliteStore::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The database file existed.
    Existing,
    /// The database file was created.
    Created,
}

impl SqliteStore {
    /// Opens (creating file and parent directory if needed) and migrates the database.
    pub async fn open(url: &str) -> Result<(Self, OpenOutcome), StorageError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit survives a crash of the process; only a power
            // loss may roll back the last transactions, never corrupt the file. FULL would
            // cost an fsync per commit (~900 commits/s instead of ~44,000 on these machines).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let path = options.get_filename().to_path_buf();
        let in_memory = path.as_os_str().is_empty() || path == Path::new(":memory:");
        let outcome = if in_memory || path.exists() {
            OpenOutcome::Existing
        } else {
            OpenOutcome::Created
        };
        if !in_memory && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StorageError::Directory {
                path: parent.display().to_string(),
                source,
            })?;
        }
        // No test query before each checkout: a local SQLite connection does not go stale,
        // and the check is one more round trip to the connection's thread on every query
        // (the pool still pings on each release). See docs/benchmarks.md.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = if in_memory {
            // Each in-memory connection would be its own database.
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(4)
                .connect_with(options)
                .await?
        };
        Ok((
            Self {
                reader,
                writer,
                challenges: Arc::default(),
            },
            outcome,
        ))
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`). Dropping it without
    /// [`WriteTx::commit`] rolls everything back.
    pub async fn begin_write(&self) -> Result<WriteTx, StorageError> {
        Ok(WriteTx {
            tx: self.writer.begin_with("BEGIN IMMEDIATE").await?,
            challenges: Arc::clone(&self.challenges),
            decided: Vec::new(),
        })
    }

    /// Closes both pools, waiting for connections to finish (checkpoints the WAL).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// An open write transaction. Its methods are the only writes that span several statements.
#[derive(Debug)]
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    challenges: Arc<challenges::ChallengeCache>,
    /// Challenge decisions to copy into the cache once committed.
    decided: Vec<challenges::Decided>,
}

impl WriteTx {
    /// Makes every write of the transaction durable at once.
    pub async fn commit(self) -> Result<(), StorageError> {
        self.tx.commit().await?;
        self.challenges.publish(self.decided);
        Ok(())
    }
}
