//! The store: SQLite (sqlx; WAL journal, `synchronous=NORMAL`, foreign keys on, busy
//! timeout; migrations embedded from `migrations/sqlite`) or PostgreSQL (`migrations/postgres`,
//! shared by several instances), with the same statements on both (`conn.rs`; see
//! docs/ARCHITECTURE.md, "PostgreSQL").
//!
//! Readers run in parallel on a few connections (WAL lets them on SQLite), while every write
//! goes through one connection held behind an async mutex. SQLite admits one writer at a
//! time anyway; queueing writers on the mutex (FIFO, async) avoids SQLite's sleeping busy
//! handler under load and the `SQLITE_BUSY` of two deferred transactions upgrading at once.
//! Write transactions start with `BEGIN IMMEDIATE` on SQLite and take an advisory lock on
//! PostgreSQL, so that the checks they make and the writes they do are atomic even against
//! another process (the `enroll` command, another instance) writing the same database.
//!
//! The writer is the serial part of every login, and each statement is a round trip to the
//! connection's own thread (two thread wake-ups): the write path is kept to as few statements
//! as possible (see docs/benchmarks.md). That is why no connection comes from an sqlx pool (a
//! pool pings the connection on every release, in a spawned task), why challenges are served
//! from memory on SQLite (`challenges.rs`), and why challenge inserts, scans, approvals, new
//! web sessions and the codes and tokens of OpenID Connect logins are written in groups
//! (`writer.rs` queues them and runs the rounds; `challenges.rs`, `approvals.rs`,
//! `session_opens.rs` and `oidc_grants.rs` say how each kind is written).
//!
//! Modules depend on each other in one direction only: `conn` (either engine's connection)
//! <- `writer` (connection, transactions, group commit) <- `challenges` (cache, inserts,
//! scans, the single-use decision) <- `approvals`; `accounts` and `audit` <- `approvals`;
//! `offline` (the offline channel's records) stands alone; `checkpoints` (SQLite's WAL
//! copied into the file beside the writer) is told of writes by `writer`. Challenge state
//! rules come from `domain::challenge`, lockout rules from `domain::lockout` and
//! `domain::offline_pause`; storage executes them. `oidc_grants` (codes and tokens in
//! groups) and `session_opens` (new web sessions in groups) use `writer`, `audit` (and
//! `accounts`) only. `postgres` and `announcements` are PostgreSQL's own (migrations,
//! opening, `NOTIFY`/`LISTEN`).

mod accounts;
mod admin;
mod announcements;
mod approvals;
mod audit;
mod cards;
mod challenges;
mod checkpoints;
mod conn;
mod devices;
mod enrollments;
mod files;
mod maintenance;
mod meta;
mod offline;
mod oidc;
mod oidc_grants;
mod otp;
mod postgres;
mod session_opens;
mod tokens;
mod web_sessions;
mod writer;

use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

use crate::domain::challenge::LoginChallenge;

use conn::Conn;

pub use accounts::Account;
pub use admin::{AccountQuery, AccountRow, AuditQuery, DeviceRow, InvitationRow, NewInvitation};
pub use announcements::{Announcements, Heard, LISTENER};
pub use approvals::{Approval, ApprovalOutcome};
pub use audit::{Actor, AuditCounters, AuditEntry, AuditEvent, AuditRecord};
pub use cards::CardBinding;
pub use challenges::NewChallenge;
pub use conn::{Engine, WRITE_LOCK};
pub use devices::{Device, NewDevice};
pub use files::LoosePermission;
pub use maintenance::{
    BackupReport, MaintenanceError, MigrationReport, backup, latest_schema_version, migrate,
};
pub use offline::PauseChannel;
pub use oidc::{PendingRequest, QueuedLogout, StoredAccessToken, StoredSigningKey};
pub use oidc_grants::{CodeGrant, CodeGrantOutcome, GrantRequester, TokenGrant, TokenGrantOutcome};
pub use otp::NewPasswordInvitation;
#[cfg(any(test, feature = "test-support"))]
pub use postgres::{TEST_CLUSTER_VARIABLE, test_database, test_database_url};
pub use postgres::{is_postgres_url, redacted as redacted_url};
pub use session_opens::{SessionLifetime, SessionOpened, SessionOpening};
pub use tokens::{NewToken, NewTokenInvitation, StoredToken, TokenInvitationRecord, TokenOrigin};
pub use web_sessions::{NewWebSession, SessionKey, WebSessionRecord};

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
    /// The lock that keeps two processes from migrating the same database at once could not
    /// be taken.
    #[error("cannot lock the database folder {path} for its migrations: {source}")]
    MigrationLock {
        /// The folder.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The PostgreSQL database holds tables but no Tigr migrations: another application's.
    #[error("{0} is not a Tigr database (it holds tables but no Tigr migrations)")]
    NotTigr(String),
    /// A stored value is not one this server writes.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

/// The schema migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Read connections of a file database.
const READERS: usize = 4;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

/// The read connections, each behind its own async mutex.
#[derive(Debug)]
struct Readers {
    conns: Vec<Mutex<Conn>>,
    /// Where the next search for a free connection starts.
    next: AtomicUsize,
}

/// The Tigr database.
#[derive(Debug, Clone)]
pub struct Store {
    /// Read connections (see [`Store::read_conn`]).
    readers: Arc<Readers>,
    /// The only write connection (see `writer.rs`).
    writer: writer::Writer,
    /// Write-through copy of the challenges issued by this process (see `challenges.rs`;
    /// SQLite only).
    challenges: Arc<challenges::ChallengeCache>,
    /// The phones that answered lately, with their accounts (see `devices.rs`; SQLite only).
    devices: Arc<devices::DeviceCache>,
    /// Writes waiting for the writer, to be written in groups (see `writer.rs`).
    queues: Arc<Queues>,
    /// Audit rows committed through this store, per event (see `audit.rs`).
    audit_counters: Arc<AuditCounters>,
    /// The database file (`None` in memory, and for PostgreSQL).
    path: Option<Arc<Path>>,
    /// The engine of every connection.
    engine: Engine,
}

/// The writes that wait for the writer, per kind.
#[derive(Debug, Default)]
struct Queues {
    inserts: writer::Queue<LoginChallenge, ()>,
    scans: writer::Queue<challenges::Scan, bool>,
    approvals: writer::Queue<approvals::Approving, ApprovalOutcome>,
    pending: writer::Queue<PendingRequest, ()>,
    codes: writer::Queue<CodeGrant, CodeGrantOutcome>,
    tokens: writer::Queue<TokenGrant, TokenGrantOutcome>,
    sessions: writer::Queue<SessionOpening, SessionOpened>,
}

/// Every write that waited for the writer, of every kind, taken by the caller that got it:
/// its turn writes them kind after kind, in the order a login makes them (a challenge, its
/// scan, its approval, the session it opens; an OpenID Connect request, its code, its
/// token), so that a write never waits for one of a later kind taken in the same turn.
struct WaitingWrites {
    inserts: writer::Taken<challenges::Inserts>,
    scans: writer::Taken<challenges::Scans>,
    approvals: writer::Taken<approvals::Approvals>,
    sessions: writer::Taken<session_opens::SessionOpens>,
    pending: writer::Taken<oidc::PendingInserts>,
    codes: writer::Taken<oidc_grants::CodeGrants>,
    tokens: writer::Taken<oidc_grants::TokenGrants>,
}

impl writer::Turn for WaitingWrites {
    fn len(&self) -> usize {
        self.inserts.len()
            + self.scans.len()
            + self.approvals.len()
            + self.sessions.len()
            + self.pending.len()
            + self.codes.len()
            + self.tokens.len()
    }

    async fn write(self, conn: &mut Conn) {
        self.inserts.write(conn).await;
        self.scans.write(conn).await;
        self.approvals.write(conn).await;
        self.sessions.write(conn).await;
        self.pending.write(conn).await;
        self.codes.write(conn).await;
        self.tokens.write(conn).await;
    }
}

/// What [`Store::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The database file existed.
    Existing,
    /// The database file was created.
    Created,
}

impl Store {
    /// Opens and migrates the database of `url`: an SQLite file (created with its parent
    /// directory if needed, readable by their owner only: `files.rs`), or a PostgreSQL
    /// database (`postgres://…`) that other instances may share.
    pub async fn open(url: &str) -> Result<(Self, OpenOutcome), StorageError> {
        if is_postgres_url(url) {
            let (writer, readers) = postgres::open(url, READERS, STATEMENT_CACHE).await?;
            return Ok((
                Self::over(writer, None, readers, None),
                OpenOutcome::Existing,
            ));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a commit survives a crash of the process; only a power
            // loss may roll back the last transactions, never corrupt the file. FULL would
            // cost an fsync per commit (~900 commits/s instead of ~44,000 on these machines).
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Batched statements come in one text per batch size (up to 64 of each kind):
            // keep them all prepared.
            .statement_cache_capacity(STATEMENT_CACHE);
        let path = options.get_filename().to_path_buf();
        let in_memory = is_in_memory(url, &path);
        let outcome = if in_memory || path.exists() {
            OpenOutcome::Existing
        } else {
            OpenOutcome::Created
        };
        // The lock is held until the schema is up to date (see `files.rs`).
        let migrating = if in_memory {
            None
        } else {
            files::prepare(&path)?;
            Some(files::lock_for_migrations(&path).await?)
        };
        // The writer checkpoints only when the WAL outgrows what `checkpoints.rs` keeps up
        // with; that module checkpoints beside it.
        let writer = options
            .clone()
            .pragma(
                "wal_autocheckpoint",
                checkpoints::WRITER_AUTOCHECKPOINT.to_string(),
            )
            .connect()
            .await?;
        // Through a pool: `Migrator::run` on a bare `&mut SqliteConnection` makes every
        // future that opens a store fail `Send` checks (higher-ranked lifetime inference).
        let migrator = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&migrator).await?;
        migrator.close().await;
        drop(migrating);
        // (sqlx names in-memory databases and shares their cache, so the readers of an
        // in-memory store see the writer's database.)
        let mut readers = Vec::new();
        for _ in 0..if in_memory { 1 } else { READERS } {
            readers.push(Conn::from(options.connect().await?));
        }
        // (An in-memory database has no WAL.)
        let checkpoints = if in_memory {
            None
        } else {
            Some(checkpoints::start(options.connect().await?))
        };
        let path = (!in_memory).then(|| Arc::from(path.as_path()));
        Ok((
            Self::over(writer.into(), checkpoints, readers, path),
            outcome,
        ))
    }

    /// The store over its open connections (`checkpoints`: told of the writer's writes).
    fn over(
        writer: Conn,
        checkpoints: Option<checkpoints::Wake>,
        readers: Vec<Conn>,
        path: Option<Arc<Path>>,
    ) -> Self {
        let engine = writer.engine();
        Self {
            engine,
            readers: Arc::new(Readers {
                conns: readers.into_iter().map(Mutex::new).collect(),
                next: AtomicUsize::new(0),
            }),
            writer: writer::Writer::new(writer, checkpoints),
            challenges: Arc::new(match engine {
                Engine::Sqlite => challenges::ChallengeCache::default(),
                Engine::Postgres => challenges::ChallengeCache::off(),
            }),
            devices: Arc::new(match engine {
                Engine::Sqlite => devices::DeviceCache::default(),
                Engine::Postgres => devices::DeviceCache::off(),
            }),
            queues: Arc::default(),
            audit_counters: Arc::default(),
            path,
        }
    }

    /// Takes every write waiting for the writer, for one turn of it (see `writer.rs`).
    fn waiting_writes(&self) -> WaitingWrites {
        let queues = &self.queues;
        let counters = || Arc::clone(&self.audit_counters);
        WaitingWrites {
            inserts: queues
                .inserts
                .take(challenges::Inserts(Arc::clone(&self.challenges))),
            scans: queues
                .scans
                .take(challenges::Scans(Arc::clone(&self.challenges))),
            approvals: queues.approvals.take(approvals::Approvals {
                cache: Arc::clone(&self.challenges),
                counters: counters(),
            }),
            sessions: queues.sessions.take(session_opens::SessionOpens {
                counters: counters(),
            }),
            pending: queues.pending.take(oidc::PendingInserts),
            codes: queues.codes.take(oidc_grants::CodeGrants {
                counters: counters(),
            }),
            tokens: queues.tokens.take(oidc_grants::TokenGrants {
                counters: counters(),
            }),
        }
    }

    /// The engine of the database.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The database's folder and files that others than their owner may access (see
    /// `files.rs`), for a warning at start.
    pub fn loose_permissions(&self) -> Vec<LoosePermission> {
        self.path
            .as_deref()
            .map(files::loose_permissions)
            .unwrap_or_default()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.read_conn().await)
            .await?;
        Ok(())
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`). Dropping it without
    /// [`WriteTx::commit`] rolls everything back.
    pub async fn begin_write(&self) -> Result<WriteTx, StorageError> {
        Ok(self.write_tx(self.writer.begin().await?))
    }

    /// A write transaction whose `BEGIN IMMEDIATE` goes with its first statement on SQLite
    /// (one hand-off to SQLite's thread less; PostgreSQL begins at once): the database's
    /// write lock is taken by that statement, not here. For the transactions of the login
    /// path, whose first statement follows at once; end them with
    /// [`WriteTx::audit_and_commit`] where an audit row is the last statement.
    pub async fn begin_write_with_first(&self) -> Result<WriteTx, StorageError> {
        Ok(self.write_tx(self.writer.begin_with_first().await?))
    }

    fn write_tx(&self, tx: writer::Tx<OwnedMutexGuard<Conn>>) -> WriteTx {
        WriteTx {
            tx,
            challenges: Arc::clone(&self.challenges),
            decided: Vec::new(),
            devices: Arc::clone(&self.devices),
            written_accounts: Vec::new(),
            lock_read: None,
            audited: Vec::new(),
            audit_counters: Arc::clone(&self.audit_counters),
        }
    }

    /// Checkpoints SQLite's WAL into the database file (the connections close when the last
    /// clone of the store is dropped).
    pub async fn close(&self) {
        if self.engine != Engine::Sqlite {
            return;
        }
        let mut conn = self.writer.lock().await;
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(%error, "WAL checkpoint at close failed");
        }
    }

    /// A read connection: the first one free, else the next in turn. Readers run in
    /// parallel (WAL); each statement is one round trip to its connection's thread. (An sqlx
    /// pool would add one more on every release, a ping, in a spawned task.)
    async fn read_conn(&self) -> MutexGuard<'_, Conn> {
        let conns = &self.readers.conns;
        let start = self.readers.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..conns.len() {
            if let Ok(conn) = conns[(start + i) % conns.len()].try_lock() {
                return conn;
            }
        }
        conns[start % conns.len()].lock().await
    }

    /// The write connection, for statements in autocommit mode (see [`writer::Writer::lock`]).
    async fn write_conn(&self) -> MutexGuard<'_, Conn> {
        self.writer.lock().await
    }
}

/// `{head} VALUES (?, …), (?, …) {tail}`: `rows` rows of `width` parameters.
fn values_sql(head: &str, tail: &str, width: usize, rows: usize) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    format!(
        "{head} VALUES {} {tail}",
        vec![row.as_str(); rows].join(", ")
    )
}

/// A query on a store connection, with its parameters bound so far.
type BoundQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Writes one row per item in one statement: `{head} VALUES (?, …), (?, …) {tail}`, each row
/// `width` parameters that `bind` gives for its item. Nothing when `items` is empty.
async fn insert_rows<T>(
    conn: &mut Conn,
    (head, tail): (&str, &str),
    width: usize,
    items: &[T],
    bind: impl for<'q> Fn(BoundQuery<'q>, &'q T) -> BoundQuery<'q>,
) -> Result<(), StorageError> {
    if items.is_empty() {
        return Ok(());
    }
    let sql = values_sql(head, tail, width, items.len());
    let mut query = sqlx::query(&sql);
    for item in items {
        query = bind(query, item);
    }
    query.execute(conn).await?;
    Ok(())
}

/// True for a database that never touches the disk: `sqlite::memory:` (which sqlx names
/// `file:sqlx-in-memory-N`) or `?mode=memory`. Nothing is created on disk for it.
fn is_in_memory(url: &str, path: &Path) -> bool {
    let (database, query) = url.split_once('?').unwrap_or((url, ""));
    let database = database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .unwrap_or(database);
    path.as_os_str().is_empty()
        || database == ":memory:"
        || query.split('&').any(|pair| pair == "mode=memory")
}

/// An open write transaction. Its methods are the only writes that span several statements.
#[derive(Debug)]
pub struct WriteTx {
    /// The write connection, inside `BEGIN IMMEDIATE` (rolled back when dropped uncommitted).
    tx: writer::Tx<OwnedMutexGuard<Conn>>,
    challenges: Arc<challenges::ChallengeCache>,
    /// Challenge decisions to copy into the cache once committed.
    decided: Vec<challenges::Decision>,
    devices: Arc<devices::DeviceCache>,
    /// Accounts whose row or devices this transaction writes: forgotten by the device cache
    /// once committed (a read between the write and the commit would find the old rows).
    written_accounts: Vec<String>,
    /// The lockout state of the account last read or written in this transaction.
    lock_read: Option<(String, crate::domain::lockout::LockState)>,
    /// Events of the audit rows written so far, counted once committed.
    audited: Vec<AuditEvent>,
    audit_counters: Arc<AuditCounters>,
}

impl WriteTx {
    /// Makes every write of the transaction durable at once.
    pub async fn commit(mut self) -> Result<(), StorageError> {
        self.tx.commit().await?;
        self.challenges.publish(std::mem::take(&mut self.decided));
        for account in self.written_accounts.drain(..) {
            self.devices.forget(&account);
        }
        self.count_audited();
        Ok(())
    }
}

/// A store over a new database: in a temporary folder (dropped with the folder), or on the
/// PostgreSQL cluster of `TIGR_TEST_POSTGRES` when set (`postgres::test_database`).
#[cfg(test)]
pub(super) async fn temporary_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = postgres::test_database_url(dir.path(), "t.db");
    let (store, _) = Store::open(&url).await.expect("open");
    (dir, store)
}

/// The account `account` with the active phone `D-<account>`, enrolled at `at`.
#[cfg(test)]
pub(super) async fn enroll(store: &Store, account: &str, at: i64) {
    let device = format!("D-{account}");
    let mut tx = store.begin_write().await.expect("begin");
    tx.upsert_account(account, None, at).await.expect("account");
    tx.insert_device(&NewDevice {
        id: &device,
        account_id: account,
        name: "phone",
        approval_key: &[1],
        identity_key: &[2],
        offline_secret_enc: &[3],
        ocra_suite: "OCRA-1:HOTP-SHA256-8:QA64",
        enrolled_at: at,
    })
    .await
    .expect("device");
    tx.commit().await.expect("commit");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each round: four stores open one new database file at once, as two servers started
    /// together would; every open succeeds and the schema is complete (without the lock,
    /// about half of them failed with "table … already exists").
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stores_opening_a_new_database_at_once_migrate_it_once() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("dir");
            let url = format!("sqlite://{}/tigr.db", dir.path().display());
            let opening: Vec<_> = (0..4)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move { Store::open(&url).await })
                })
                .collect();
            let mut outcomes = Vec::new();
            for task in opening {
                let (store, outcome) = task.await.expect("task").expect("opened");
                outcomes.push(outcome);
                store.close().await;
            }
            assert!(outcomes.contains(&OpenOutcome::Created), "{outcomes:?}");
            let report = migrate(&url).await.expect("migrate");
            assert_eq!(report.before, Some(latest_schema_version()));
            assert_eq!(report.after, latest_schema_version());
        }
    }

    #[test]
    fn in_memory_urls_are_recognised() {
        for (url, path, expected) in [
            ("sqlite::memory:", "file:sqlx-in-memory-3", true),
            ("sqlite://:memory:", "file:sqlx-in-memory-4", true),
            ("sqlite://x.db?mode=memory&cache=shared", "x.db", true),
            ("sqlite:", "", true),
            ("sqlite://tigr-data/tigr.db", "tigr-data/tigr.db", false),
            (
                "sqlite:///var/lib/tigr/tigr.db?mode=rwc",
                "/var/lib/tigr/tigr.db",
                false,
            ),
        ] {
            assert_eq!(is_in_memory(url, Path::new(path)), expected, "{url}");
        }
    }

    /// The database URL of [`temporary_store`]'s `dir`, for a second store on it.
    fn url_of(dir: &tempfile::TempDir) -> String {
        postgres::test_database_url(dir.path(), "t.db")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_write_transaction_holds_no_other_writer_back() {
        let (dir, store) = temporary_store().await;
        // Another process (instance, or command) on the same database.
        let (other, _) = Store::open(&url_of(&dir)).await.expect("second store");
        let mut tx = store.begin_write().await.expect("begin");
        tx.upsert_account("alice", None, 1).await.expect("write");
        drop(tx);
        // `store` is not used again: its rollback must not wait for a next statement.
        let mut theirs = tokio::time::timeout(Duration::from_secs(30), other.begin_write())
            .await
            .expect("the other writer is not held back")
            .expect("begin");
        assert!(theirs.upsert_account("bob", None, 2).await.expect("write"));
        theirs.commit().await.expect("commit");
        assert_eq!(
            other.account("alice").await.expect("read"),
            None,
            "rolled back"
        );
    }

    #[tokio::test]
    async fn an_in_memory_store_writes_nothing_on_disk() {
        let (store, _) = Store::open("sqlite::memory:").await.expect("store");
        store.ping().await.expect("ping");
        assert_eq!(store.loose_permissions(), []);
        let stray: Vec<_> = std::fs::read_dir(".")
            .expect("working directory")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("sqlx-in-memory"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }
}
