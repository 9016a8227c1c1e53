//! Login challenges, and the in-memory copy of the ones this server issued.
//!
//! A login reads its challenge again and again: the page's live channel at each wake-up, the
//! phone's context and response, the completion. All of these are challenges created moments
//! ago by this very process, so [`ChallengeCache`] keeps a write-through copy of them and
//! serves those reads without a database round trip (each costs two thread hand-offs to
//! sqlx's connection thread plus the pool's checks). The database stays the authority:
//!
//! * the cache is filled only by [`SqliteStore::insert_challenge`], never from a read (a read
//!   racing with a write could otherwise store an old state);
//! * every statement that changes a challenge updates the cache after it succeeded (for
//!   [`WriteTx::decide_challenge`], when the transaction commits), and states only move
//!   forward (pending -> scanned -> approved/denied), as in the database, so late updates
//!   cannot undo newer ones;
//! * a miss reads the database; entries may be dropped at any time (capacity, expiry, purge).
//!
//! Any new statement that modifies `challenges` must update or drop the cached entry. Two
//! server processes on one database file would each miss the other's changes (the
//! notification hub is per process too: run one server per SQLite file).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::SqliteConnection;
use tokio::sync::{OwnedMutexGuard, oneshot};

use crate::domain::challenge::{LoginChallenge, StoredState};

use super::{SqliteStore, StorageError, WriteTx};

/// Entries kept at most (about 250 bytes each). At 5,000 logins/s with 120 s challenges,
/// open challenges alone would exceed this: the cache then keeps the newest ones it can.
const CACHE_CAPACITY: usize = 100_000;

/// Write-through copy of the challenges issued by this process (see the module docs).
#[derive(Debug, Default)]
pub(super) struct ChallengeCache {
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    map: HashMap<String, LoginChallenge>,
    /// Latest creation time seen: the cache's notion of "now" for eviction.
    latest: i64,
}

impl ChallengeCache {
    fn lock(&self) -> MutexGuard<'_, CacheInner> {
        // Every operation leaves the map consistent: a panicking holder cannot corrupt it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, id: &str) -> Option<LoginChallenge> {
        self.lock().map.get(id).cloned()
    }

    fn insert(&self, challenge: LoginChallenge) {
        let mut inner = self.lock();
        inner.latest = inner.latest.max(challenge.created_at);
        if inner.map.len() >= CACHE_CAPACITY {
            // Expired and decided challenges first; if that is not enough, start afresh
            // (misses only cost database reads).
            let now = inner.latest;
            inner.map.retain(|_, c| {
                c.expires_at > now && matches!(c.state, StoredState::Pending | StoredState::Scanned)
            });
            if inner.map.len() >= CACHE_CAPACITY * 9 / 10 {
                inner.map.clear();
            }
        }
        inner.map.insert(challenge.id.clone(), challenge);
    }

    /// Moves a cached challenge forward to `state` (never backward), with the details of
    /// its decision when `state` is final.
    fn advance(&self, id: &str, state: StoredState, decision: Option<&Decided>) {
        let rank = |s: StoredState| match s {
            StoredState::Pending => 0,
            StoredState::Scanned => 1,
            StoredState::Approved | StoredState::Denied | StoredState::Blocked => 2,
        };
        let mut inner = self.lock();
        if let Some(c) = inner.map.get_mut(id)
            && rank(state) > rank(c.state)
        {
            c.state = state;
            if let Some(d) = decision {
                c.account_id = Some(d.account.clone());
                c.decided_at = Some(d.at);
                c.blocked_until = d.blocked_until;
            }
        }
    }

    fn purge(&self, before: i64) {
        self.lock().map.retain(|_, c| c.expires_at >= before);
    }

    /// Applies the decisions of a committed transaction.
    pub(super) fn publish(&self, decided: Vec<Decided>) {
        for d in decided {
            self.advance(&d.id, d.state, Some(&d));
        }
    }
}

/// A decision to copy into the cache once its transaction commits.
#[derive(Debug)]
pub(super) struct Decided {
    pub(super) id: String,
    pub(super) state: StoredState,
    pub(super) account: String,
    pub(super) at: i64,
    pub(super) blocked_until: Option<i64>,
}

/// Most rows one batched statement writes (7 parameters each: far below SQLite's limit).
pub(super) const MAX_BATCH: usize = 64;

/// Challenge writes waiting for the writer connection. Under load, logins queue on the
/// writer; whichever of them gets it writes every insert (or scan) waiting at that moment in
/// one statement, so a burst costs one round trip instead of one each. Each caller still
/// returns only once its own row is written. A batch that fails is retried row by row, so one
/// bad row cannot fail the others.
#[derive(Debug, Default)]
pub(super) struct WriteQueue {
    inserts: Mutex<Vec<PendingInsert>>,
    scans: Mutex<Vec<PendingScan>>,
    pub(super) approvals: Mutex<Vec<super::approvals::PendingApproval>>,
}

#[derive(Debug)]
struct PendingInsert {
    row: LoginChallenge,
    done: oneshot::Sender<Result<(), StorageError>>,
}

#[derive(Debug)]
struct PendingScan {
    id: String,
    now: i64,
    done: oneshot::Sender<Result<bool, StorageError>>,
}

pub(super) fn take<T>(queue: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *queue.lock().unwrap_or_else(|e| e.into_inner()))
}

pub(super) fn push<T>(queue: &Mutex<Vec<T>>, item: T) {
    queue.lock().unwrap_or_else(|e| e.into_inner()).push(item);
}

/// What a caller with a queued write gets first (see [`SqliteStore::writer_turn`]).
pub(super) enum Turn<T> {
    /// Another caller's batch wrote it: the result.
    Done(Result<T, StorageError>),
    /// The writer: take the queue and write it.
    Writer(OwnedMutexGuard<SqliteConnection>),
}

/// The caller's result, or an error when the batch that held its row was lost.
pub(super) async fn outcome<T>(
    result: oneshot::Receiver<Result<T, StorageError>>,
) -> Result<T, StorageError> {
    result
        .await
        .unwrap_or(Err(StorageError::Database(sqlx::Error::WorkerCrashed)))
}

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    id: String,
    nonce: String,
    browser_token_hash: Vec<u8>,
    created_at: i64,
    expires_at: i64,
    state: String,
    account_id: Option<String>,
    browser_ip: String,
    browser_user_agent: String,
    decided_at: Option<i64>,
    blocked_until: Option<i64>,
}

impl TryFrom<ChallengeRow> for LoginChallenge {
    type Error = StorageError;

    fn try_from(row: ChallengeRow) -> Result<Self, StorageError> {
        let state = StoredState::parse(&row.state)
            .ok_or_else(|| StorageError::Corrupt(format!("challenge state {:?}", row.state)))?;
        Ok(Self {
            id: row.id,
            nonce: row.nonce,
            browser_token_hash: row.browser_token_hash,
            created_at: row.created_at,
            expires_at: row.expires_at,
            state,
            account_id: row.account_id,
            browser_ip: row.browser_ip,
            browser_summary: row.browser_user_agent,
            decided_at: row.decided_at,
            blocked_until: row.blocked_until,
        })
    }
}

/// A challenge to insert.
#[derive(Debug)]
pub struct NewChallenge<'a> {
    /// Public identifier.
    pub id: &'a str,
    /// Nonce of the QR.
    pub nonce: &'a str,
    /// SHA-256 of the browser token.
    pub browser_token_hash: &'a [u8],
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Browser IP address.
    pub browser_ip: &'a str,
    /// Browser summary.
    pub browser_summary: &'a str,
}

impl SqliteStore {
    /// Stores a new pending challenge (batched with the inserts waiting at the same time).
    pub async fn insert_challenge(&self, c: &NewChallenge<'_>) -> Result<(), StorageError> {
        let row = LoginChallenge {
            id: c.id.to_owned(),
            nonce: c.nonce.to_owned(),
            browser_token_hash: c.browser_token_hash.to_vec(),
            created_at: c.created_at,
            expires_at: c.expires_at,
            state: StoredState::Pending,
            account_id: None,
            browser_ip: c.browser_ip.to_owned(),
            browser_summary: c.browser_summary.to_owned(),
            decided_at: None,
            blocked_until: None,
        };
        let (done, mut result) = oneshot::channel();
        push(&self.queue.inserts, PendingInsert { row, done });
        let conn = match self.writer_turn(&mut result).await {
            Turn::Done(written) => return written,
            Turn::Writer(conn) => conn,
        };
        let batch = take(&self.queue.inserts);
        let alone = matches!(batch.as_slice(), [only] if only.row.id == c.id);
        self.run_batch(conn, batch, alone, Self::write_inserts)
            .await;
        outcome(result).await
    }

    /// Waits for the writer, unless the batch of another caller writes this caller's queued
    /// row first: then its result, without taking the writer in turn for nothing (each
    /// hand-off of the writer wakes a task, often on another thread).
    pub(super) async fn writer_turn<T>(
        &self,
        result: &mut oneshot::Receiver<Result<T, StorageError>>,
    ) -> Turn<T> {
        tokio::select! {
            biased;
            written = result => Turn::Done(
                written.unwrap_or(Err(StorageError::Database(sqlx::Error::WorkerCrashed))),
            ),
            conn = Arc::clone(&self.writer).lock_owned() => Turn::Writer(conn),
        }
    }

    /// Runs a batch taken from the queue while holding the writer: inline when it holds only
    /// the caller's own row (`alone`, the usual case without load), else in its own task, so
    /// that the other callers' rows are written even if this caller's request is cancelled.
    pub(super) async fn run_batch<T, F, Fut>(
        &self,
        conn: OwnedMutexGuard<SqliteConnection>,
        batch: Vec<T>,
        alone: bool,
        write: F,
    ) where
        T: Send + 'static,
        F: FnOnce(Self, OwnedMutexGuard<SqliteConnection>, Vec<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        if batch.is_empty() {
            // Another caller took this caller's row with theirs: it replies.
        } else if alone {
            write(self.clone(), conn, batch).await;
        } else {
            // Detached on purpose: the task replies to every caller of the batch.
            drop(tokio::spawn(write(self.clone(), conn, batch)));
        }
    }

    async fn write_inserts(
        self,
        mut conn: OwnedMutexGuard<SqliteConnection>,
        mut batch: Vec<PendingInsert>,
    ) {
        while !batch.is_empty() {
            let chunk: Vec<PendingInsert> = batch.drain(..batch.len().min(MAX_BATCH)).collect();
            let rows: Vec<&LoginChallenge> = chunk.iter().map(|p| &p.row).collect();
            let together = insert_rows(&mut conn, &rows).await;
            for pending in chunk {
                // After a failed batch, each row alone (and its own error).
                let result = match &together {
                    Ok(()) => Ok(()),
                    Err(_) => insert_rows(&mut conn, &[&pending.row]).await,
                };
                if result.is_ok() {
                    self.challenges.insert(pending.row.clone());
                }
                let _ = pending.done.send(result);
            }
        }
    }

    /// The challenge with this identifier (from memory when this process issued it).
    pub async fn challenge(&self, id: &str) -> Result<Option<LoginChallenge>, StorageError> {
        if let Some(cached) = self.challenges.get(id) {
            return Ok(Some(cached));
        }
        sqlx::query_as::<_, ChallengeRow>(
            "SELECT id, nonce, browser_token_hash, created_at, expires_at, state, account_id, \
             browser_ip, browser_user_agent, decided_at, blocked_until FROM challenges \
             WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *self.read_conn().await)
        .await?
        .map(TryInto::try_into)
        .transpose()
    }

    /// pending -> scanned, if still pending and unexpired at `now`; true when changed
    /// (batched with the scans waiting at the same time).
    pub async fn mark_scanned(&self, id: &str, now: i64) -> Result<bool, StorageError> {
        let (done, mut result) = oneshot::channel();
        push(
            &self.queue.scans,
            PendingScan {
                id: id.to_owned(),
                now,
                done,
            },
        );
        let conn = match self.writer_turn(&mut result).await {
            Turn::Done(changed) => return changed,
            Turn::Writer(conn) => conn,
        };
        let batch = take(&self.queue.scans);
        let alone = matches!(batch.as_slice(), [only] if only.id == id);
        self.run_batch(conn, batch, alone, Self::write_scans).await;
        outcome(result).await
    }

    async fn write_scans(
        self,
        mut conn: OwnedMutexGuard<SqliteConnection>,
        mut batch: Vec<PendingScan>,
    ) {
        while !batch.is_empty() {
            let chunk: Vec<PendingScan> = batch.drain(..batch.len().min(MAX_BATCH)).collect();
            let keys: Vec<(&str, i64)> = chunk.iter().map(|p| (p.id.as_str(), p.now)).collect();
            let mut together = scan_rows(&mut conn, &keys).await;
            for pending in chunk {
                // After a failed batch, each row alone (and its own error).
                let result = match &mut together {
                    // Removed once seen: of two scans of one challenge, only the first
                    // changed it (as if they had run one after the other).
                    Ok(changed) => Ok(changed.remove(&pending.id)),
                    Err(_) => scan_rows(&mut conn, &[(&pending.id, pending.now)])
                        .await
                        .map(|changed| !changed.is_empty()),
                };
                if result.as_ref().is_ok_and(|changed| *changed) {
                    self.challenges
                        .advance(&pending.id, StoredState::Scanned, None);
                }
                let _ = pending.done.send(result);
            }
        }
    }

    /// Deletes challenges that expired before `before`; returns how many.
    pub async fn purge_challenges(&self, before: i64) -> Result<u64, StorageError> {
        let mut conn = self.write_conn().await;
        let done = sqlx::query("DELETE FROM challenges WHERE expires_at < ?")
            .bind(before)
            .execute(&mut *conn)
            .await?;
        self.challenges.purge(before);
        Ok(done.rows_affected())
    }
}

/// One `INSERT` of `rows` (all or nothing).
async fn insert_rows(
    conn: &mut SqliteConnection,
    rows: &[&LoginChallenge],
) -> Result<(), StorageError> {
    let mut sql = String::from(
        "INSERT INTO challenges (id, nonce, browser_token_hash, created_at, expires_at, state, \
         browser_ip, browser_user_agent) VALUES ",
    );
    for i in 0..rows.len() {
        sql.push_str(if i == 0 { "" } else { ", " });
        sql.push_str("(?, ?, ?, ?, ?, 'pending', ?, ?)");
    }
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = query
            .bind(&row.id)
            .bind(&row.nonce)
            .bind(&row.browser_token_hash)
            .bind(row.created_at)
            .bind(row.expires_at)
            .bind(&row.browser_ip)
            .bind(&row.browser_summary);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// One `UPDATE` moving each `(id, now)` from pending to scanned if unexpired at its `now`;
/// returns the ids it changed.
async fn scan_rows(
    conn: &mut SqliteConnection,
    keys: &[(&str, i64)],
) -> Result<HashSet<String>, StorageError> {
    let mut sql =
        String::from("UPDATE challenges SET state = 'scanned' WHERE state = 'pending' AND (");
    for i in 0..keys.len() {
        sql.push_str(if i == 0 { "" } else { " OR " });
        sql.push_str("(id = ? AND expires_at > ?)");
    }
    sql.push_str(") RETURNING id");
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for (id, now) in keys {
        query = query.bind(*id).bind(*now);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

impl WriteTx {
    /// Consumes the challenge: `pending`/`scanned` and unexpired at `now` becomes `decision`
    /// for `account`. False when it was not open any more (already decided, or expired):
    /// this single guarded statement is what makes a challenge single-use.
    pub async fn decide_challenge(
        &mut self,
        id: &str,
        decision: StoredState,
        account: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        debug_assert!(matches!(
            decision,
            StoredState::Approved | StoredState::Denied
        ));
        self.close_challenge(id, decision, account, now, None).await
    }

    /// Ends the challenge because `account`, which answered it, is blocked (until
    /// `blocked_until`, or for good when `None`), if it is still open at `now`. False when
    /// it was not open any more.
    pub async fn block_challenge(
        &mut self,
        id: &str,
        account: &str,
        now: i64,
        blocked_until: Option<i64>,
    ) -> Result<bool, StorageError> {
        self.close_challenge(id, StoredState::Blocked, account, now, blocked_until)
            .await
    }

    async fn close_challenge(
        &mut self,
        id: &str,
        state: StoredState,
        account: &str,
        now: i64,
        blocked_until: Option<i64>,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE challenges SET state = ?, account_id = ?, decided_at = ?, blocked_until = ? \
             WHERE id = ? AND state IN ('pending', 'scanned') AND expires_at > ?",
        )
        .bind(state.as_str())
        .bind(account)
        .bind(now)
        .bind(blocked_until)
        .bind(id)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        let closed = done.rows_affected() == 1;
        if closed {
            self.decided.push(Decided {
                id: id.to_owned(),
                state,
                account: account.to_owned(),
                at: now,
                blocked_until,
            });
        }
        Ok(closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_challenge<'a>(id: &'a str, created_at: i64) -> NewChallenge<'a> {
        NewChallenge {
            id,
            nonce: "NONCE",
            browser_token_hash: &[1; 32],
            created_at,
            expires_at: created_at + 120,
            browser_ip: "127.0.0.1",
            browser_summary: "",
        }
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (store, _) = SqliteStore::open(&url).await.expect("open");
        (dir, store)
    }

    /// The database's view, bypassing the cache.
    async fn stored_state(store: &SqliteStore, id: &str) -> String {
        sqlx::query_scalar("SELECT state FROM challenges WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *store.read_conn().await)
            .await
            .expect("row")
    }

    #[tokio::test]
    async fn cache_follows_committed_changes_only() {
        let (_dir, store) = store().await;
        let mut tx = store.begin_write().await.expect("begin");
        tx.upsert_account("alice", None, 900)
            .await
            .expect("account");
        tx.commit().await.expect("commit");
        store
            .insert_challenge(&new_challenge("C1", 1000))
            .await
            .expect("insert");
        let cached = store.challenge("C1").await.expect("read").expect("found");
        assert_eq!(cached.state, StoredState::Pending);

        assert!(store.mark_scanned("C1", 1001).await.expect("scan"));
        assert_eq!(
            store
                .challenge("C1")
                .await
                .expect("read")
                .expect("found")
                .state,
            StoredState::Scanned
        );

        // A decision rolled back (transaction dropped) is not published.
        let mut tx = store.begin_write().await.expect("begin");
        assert!(
            tx.decide_challenge("C1", StoredState::Approved, "alice", 1002)
                .await
                .expect("decide")
        );
        drop(tx);
        assert_eq!(stored_state(&store, "C1").await, "scanned");
        let c = store.challenge("C1").await.expect("read").expect("found");
        assert_eq!((c.state, c.account_id), (StoredState::Scanned, None));

        // A committed one is, with its account and time.
        let mut tx = store.begin_write().await.expect("begin");
        assert!(
            tx.decide_challenge("C1", StoredState::Approved, "alice", 1003)
                .await
                .expect("decide")
        );
        tx.commit().await.expect("commit");
        assert_eq!(stored_state(&store, "C1").await, "approved");
        let c = store.challenge("C1").await.expect("read").expect("found");
        assert_eq!(c.state, StoredState::Approved);
        assert_eq!(c.approved_account(), Some("alice"));
        assert_eq!(c.decided_at, Some(1003));

        // Purged challenges are gone from both.
        assert_eq!(store.purge_challenges(2000).await.expect("purge"), 1);
        assert!(store.challenge("C1").await.expect("read").is_none());
    }

    #[tokio::test]
    async fn upgrading_a_database_keeps_its_challenges_and_allows_blocked() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        use std::str::FromStr;

        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        // A database as the previous release left it (migrations before 0004)...
        let options = SqliteConnectOptions::from_str(&url)
            .expect("url")
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("old database");
        let mut previous = sqlx::migrate!("./migrations/sqlite");
        let before_blocked: Vec<_> = previous
            .migrations
            .iter()
            .filter(|m| m.version < 4)
            .cloned()
            .collect();
        assert_eq!(before_blocked.len(), 3);
        previous.migrations = before_blocked.into();
        previous.run(&pool).await.expect("old migrations");
        sqlx::query(
            "INSERT INTO challenges (id, nonce, browser_token_hash, created_at, expires_at, \
             state, account_id, browser_ip, browser_user_agent) \
             VALUES ('OLD', 'N', x'01', 1000, 1120, 'scanned', NULL, '10.0.0.1', 'Firefox')",
        )
        .execute(&pool)
        .await
        .expect("old row");
        pool.close().await;

        // ...opened by this one: the row is kept, and a login can now end "blocked".
        let (store, outcome) = SqliteStore::open(&url).await.expect("upgrade");
        assert!(matches!(outcome, super::super::OpenOutcome::Existing));
        let old = store.challenge("OLD").await.expect("read").expect("kept");
        assert_eq!(
            (old.state, old.browser_ip.as_str(), old.blocked_until),
            (StoredState::Scanned, "10.0.0.1", None)
        );
        let mut tx = store.begin_write().await.expect("begin");
        tx.upsert_account("alice", None, 900)
            .await
            .expect("account");
        assert!(
            tx.block_challenge("OLD", "alice", 1001, Some(1901))
                .await
                .expect("block")
        );
        tx.commit().await.expect("commit");
        assert_eq!(stored_state(&store, "OLD").await, "blocked");
        let blocked = store.challenge("OLD").await.expect("read").expect("row");
        assert_eq!(blocked.blocked_until, Some(1901));
        assert!(blocked.ended_on_block_of("alice"));
        // Ended: neither a decision nor a second block applies.
        let mut tx = store.begin_write().await.expect("begin");
        assert!(
            !tx.decide_challenge("OLD", StoredState::Approved, "alice", 1002)
                .await
                .expect("decide")
        );
        assert!(
            !tx.block_challenge("OLD", "alice", 1002, None)
                .await
                .expect("block")
        );
    }

    #[test]
    fn states_only_move_forward_and_capacity_is_bounded() {
        let cache = ChallengeCache::default();
        let challenge = |id: &str, created_at: i64| LoginChallenge {
            id: id.to_owned(),
            nonce: String::new(),
            browser_token_hash: Vec::new(),
            created_at,
            expires_at: created_at + 120,
            state: StoredState::Pending,
            account_id: None,
            browser_ip: String::new(),
            browser_summary: String::new(),
            decided_at: None,
            blocked_until: None,
        };
        cache.insert(challenge("A", 0));
        let denial = Decided {
            id: "A".to_owned(),
            state: StoredState::Denied,
            account: "bob".to_owned(),
            at: 5,
            blocked_until: None,
        };
        cache.advance("A", StoredState::Denied, Some(&denial));
        // A late "scanned" (its UPDATE ran before the decision) must not undo the decision.
        cache.advance("A", StoredState::Scanned, None);
        assert_eq!(cache.get("A").map(|c| c.state), Some(StoredState::Denied));
        cache.advance("missing", StoredState::Scanned, None);
        assert!(cache.get("missing").is_none());

        for i in 0..CACHE_CAPACITY + 10 {
            cache.insert(challenge(&format!("K{i}"), 1000));
        }
        let len = cache.lock().map.len();
        assert!(len <= CACHE_CAPACITY, "{len} entries");
        assert!(cache.get(&format!("K{}", CACHE_CAPACITY + 9)).is_some());
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_inserts_and_scans_are_batched_but_answered_one_by_one() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (store, _) = SqliteStore::open(&url).await.expect("open");
        let ids: Vec<String> = (0..150).map(|i| format!("ID{i:03}")).collect();
        let insert = |id: String, created_at: i64| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .insert_challenge(&NewChallenge {
                        id: &id,
                        nonce: "N",
                        browser_token_hash: &[0; 32],
                        created_at,
                        expires_at: created_at + 120,
                        browser_ip: "127.0.0.1",
                        browser_summary: "",
                    })
                    .await
            })
        };
        let mut tasks: Vec<_> = ids.iter().map(|id| insert(id.clone(), 1000)).collect();
        // A duplicate id fails alone; the rows batched with it are still written.
        tasks.push(insert("ID007".into(), 1000));
        let mut failures = 0;
        for task in tasks {
            if task.await.expect("task").is_err() {
                failures += 1;
            }
        }
        assert_eq!(failures, 1);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM challenges")
            .fetch_one(&mut *store.read_conn().await)
            .await
            .expect("count");
        assert_eq!(count, 150);

        // Every id scanned twice at once, ID000 too late: exactly one `true` per open id.
        let scan = |id: String, now: i64| {
            let store = store.clone();
            tokio::spawn(async move { (id.clone(), store.mark_scanned(&id, now).await) })
        };
        let mut tasks = Vec::new();
        for id in &ids {
            let now = if id == "ID000" { 1120 } else { 1001 };
            tasks.push(scan(id.clone(), now));
            tasks.push(scan(id.clone(), now));
        }
        let mut changed = HashMap::new();
        for task in tasks {
            let (id, result) = task.await.expect("task");
            *changed.entry(id).or_insert(0) += i32::from(result.expect("scan"));
        }
        assert_eq!(changed["ID000"], 0);
        assert!(ids[1..].iter().all(|id| changed[id] == 1), "{changed:?}");
        let scanned: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM challenges WHERE state = 'scanned'")
                .fetch_one(&mut *store.read_conn().await)
                .await
                .expect("count");
        assert_eq!(scanned, 149);
        let c = store
            .challenge("ID001")
            .await
            .expect("read")
            .expect("found");
        assert_eq!(c.state, StoredState::Scanned);
    }
}
