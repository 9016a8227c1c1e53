//! Login challenges, and the in-memory copy of the ones this server issued.
//!
//! A login reads its challenge again and again: the page's live channel at each wake-up, the
//! phone's context and response, the completion. All of these are challenges created moments
//! ago by this very process, so [`ChallengeCache`] keeps a write-through copy of them and
//! serves those reads without a database round trip (each costs two thread hand-offs to
//! sqlx's connection thread plus the pool's checks). The database stays the authority:
//!
//! * the cache is filled only by [`Store::insert_challenge`], never from a read (a read
//!   racing with a write could otherwise store an old state);
//! * every statement that changes a challenge updates the cache after it succeeded (for a
//!   [`Decision`], when its transaction commits), and states only move as
//!   [`StoredState::priors`] allows, as in the database, so late updates cannot undo newer
//!   ones;
//! * a miss reads the database; entries may be dropped at any time (capacity, expiry, purge).
//!
//! Inserts and scans are written in groups by the writer (`writer.rs`): [`Inserts`] and
//! [`Scans`] say how. Every decision (approval, denial, end on a block), alone or in a group,
//! goes through [`decide`]: the one guarded statement that makes a challenge single-use.
//!
//! Any new statement that modifies `challenges` must update or drop the cached entry. Two
//! server processes on one database file would each miss the other's changes (run one server
//! per SQLite file). On PostgreSQL, which several instances share, there is no copy
//! ([`ChallengeCache::off`]): every read is the database's.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use super::conn::Conn;

use crate::domain::challenge::{LoginChallenge, StoredState};

use super::writer::Batch;
use super::{StorageError, Store, WriteTx, insert_rows};

/// Entries kept at most (about 250 bytes each). At 5,000 logins/s with 120 s challenges,
/// open challenges alone would exceed this: the cache then keeps the newest ones it can.
const CACHE_CAPACITY: usize = 100_000;

/// Write-through copy of the challenges issued by this process (see the module docs).
#[derive(Debug, Default)]
pub(super) struct ChallengeCache {
    inner: Mutex<CacheInner>,
    /// Keeps nothing (see [`ChallengeCache::off`]).
    off: bool,
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

    /// A cache that keeps nothing: for a database that other instances change too (a copy
    /// would miss their decisions).
    pub(super) fn off() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    fn insert(&self, challenge: LoginChallenge) {
        if self.off {
            return;
        }
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

    /// Moves a cached challenge to `state` if the domain allows it from the state it is
    /// in, with the details of its decision when `state` is final.
    fn advance(&self, id: &str, state: StoredState, decision: Option<&Decision>) {
        let mut inner = self.lock();
        if let Some(c) = inner.map.get_mut(id)
            && c.state.may_move_to(state)
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
    pub(super) fn publish(&self, decided: Vec<Decision>) {
        for d in decided {
            self.advance(&d.id, d.state, Some(&d));
        }
    }
}

/// A challenge to decide: moved to `state` (approved, denied or blocked) by `account` at
/// `at`, if it may still move there then (see [`decide`]).
#[derive(Debug)]
pub(super) struct Decision {
    pub(super) id: String,
    pub(super) state: StoredState,
    pub(super) account: String,
    pub(super) at: i64,
    /// For a challenge ended on a block: the end of a temporary block.
    pub(super) blocked_until: Option<i64>,
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
    service_name: Option<String>,
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
            service_name: row.service_name,
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
    /// The service the login is for (`None`: the server's own name).
    pub service_name: Option<&'a str>,
}

/// A scan waiting for the writer: challenge `id` seen by a phone at `now`.
#[derive(Debug)]
pub(super) struct Scan {
    id: String,
    now: i64,
}

/// Challenge inserts, one `INSERT` per round; each row is cached once written.
#[derive(Debug)]
pub(super) struct Inserts(pub(super) Arc<ChallengeCache>);

impl Batch for Inserts {
    type Item = LoginChallenge;
    type Output = ();

    async fn write(
        &self,
        conn: &mut Conn,
        rows: &[&LoginChallenge],
    ) -> Result<Vec<()>, StorageError> {
        insert_challenges(conn, rows).await?;
        for row in rows {
            self.0.insert((*row).clone());
        }
        Ok(vec![(); rows.len()])
    }
}

/// Scans (pending -> scanned), one `UPDATE` per round; true for each scan that moved its
/// challenge.
#[derive(Debug)]
pub(super) struct Scans(pub(super) Arc<ChallengeCache>);

impl Batch for Scans {
    type Item = Scan;
    type Output = bool;

    async fn write(&self, conn: &mut Conn, scans: &[&Scan]) -> Result<Vec<bool>, StorageError> {
        let mut changed = scan_rows(conn, scans).await?;
        Ok(scans
            .iter()
            .map(|scan| {
                // Removed once seen: of two scans of one challenge, only the first changed
                // it (as if they had run one after the other).
                let moved = changed.remove(&scan.id);
                if moved {
                    self.0.advance(&scan.id, StoredState::Scanned, None);
                }
                moved
            })
            .collect())
    }
}

impl Store {
    /// Stores a new pending challenge (written with the inserts waiting at the same time).
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
            service_name: c.service_name.map(str::to_owned),
            decided_at: None,
            blocked_until: None,
        };
        self.writer
            .submit(&self.queues.inserts, row, || self.waiting_writes())
            .await
    }

    /// The challenge with this identifier (from memory when this process issued it).
    pub async fn challenge(&self, id: &str) -> Result<Option<LoginChallenge>, StorageError> {
        if let Some(cached) = self.challenges.get(id) {
            return Ok(Some(cached));
        }
        sqlx::query_as::<_, ChallengeRow>(
            "SELECT id, nonce, browser_token_hash, created_at, expires_at, state, account_id, \
             browser_ip, browser_user_agent, service_name, decided_at, blocked_until \
             FROM challenges WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *self.read_conn().await)
        .await?
        .map(TryInto::try_into)
        .transpose()
    }

    /// pending -> scanned, if still pending and unexpired at `now`; true when changed
    /// (written with the scans waiting at the same time).
    pub async fn mark_scanned(&self, id: &str, now: i64) -> Result<bool, StorageError> {
        let scan = Scan {
            id: id.to_owned(),
            now,
        };
        self.writer
            .submit(&self.queues.scans, scan, || self.waiting_writes())
            .await
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

/// SQL that is true when a challenge whose state is the column `current` may move to the
/// state `next` (an SQL expression): the domain's table ([`StoredState::priors`]), for
/// SQLite to execute.
fn may_move_sql(current: &str, next: &str) -> String {
    let mut sql = format!("CASE {next}");
    for state in StoredState::ALL {
        let priors: Vec<String> = state
            .priors()
            .iter()
            .map(|p| format!("'{}'", p.as_str()))
            .collect();
        if !priors.is_empty() {
            let _ = write!(
                sql,
                " WHEN '{}' THEN {current} IN ({})",
                state.as_str(),
                priors.join(", ")
            );
        }
    }
    sql.push_str(" ELSE FALSE END");
    sql
}

/// One `INSERT` of `rows` (all or nothing).
async fn insert_challenges(conn: &mut Conn, rows: &[&LoginChallenge]) -> Result<(), StorageError> {
    let head = "INSERT INTO challenges (id, nonce, browser_token_hash, created_at, expires_at, \
                state, browser_ip, browser_user_agent, service_name)";
    insert_rows(conn, (head, ""), 9, rows, |query, row| {
        query
            .bind(&row.id)
            .bind(&row.nonce)
            .bind(&row.browser_token_hash)
            .bind(row.created_at)
            .bind(row.expires_at)
            .bind(StoredState::Pending.as_str())
            .bind(&row.browser_ip)
            .bind(&row.browser_summary)
            .bind(&row.service_name)
    })
    .await
}

/// One `UPDATE` moving each scanned challenge to `scanned` if it may move there and is
/// unexpired at its scan's `now`; returns the ids it changed.
async fn scan_rows(conn: &mut Conn, scans: &[&Scan]) -> Result<HashSet<String>, StorageError> {
    static GUARD: LazyLock<String> = LazyLock::new(|| may_move_sql("state", "'scanned'"));
    let mut sql = format!(
        "UPDATE challenges SET state = 'scanned' WHERE {} AND (",
        *GUARD
    );
    for i in 0..scans.len() {
        sql.push_str(if i == 0 { "" } else { " OR " });
        sql.push_str("(id = ? AND expires_at > ?)");
    }
    sql.push_str(") RETURNING id");
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for scan in scans {
        query = query.bind(&scan.id).bind(scan.now);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

/// The single-use rule: one guarded `UPDATE` moving each challenge of `decisions` (distinct
/// ids) to its decision, if the domain allows that move from the state it is in and it is
/// unexpired at the decision's time; returns the ids it moved. A challenge is consumed by
/// this statement or not at all, whether it runs for one decision or for a group.
pub(super) async fn decide(
    conn: &mut Conn,
    decisions: &[&Decision],
) -> Result<HashSet<String>, StorageError> {
    static GUARD: LazyLock<String> = LazyLock::new(|| may_move_sql("challenges.state", "d.state"));
    if decisions.is_empty() {
        return Ok(HashSet::new());
    }
    let values = vec!["(?, ?, ?, ?, ?)"; decisions.len()].join(", ");
    let sql = format!(
        "WITH d (id, state, account_id, at, blocked_until) AS (VALUES {values}) \
         UPDATE challenges SET state = d.state, account_id = d.account_id, decided_at = d.at, \
         blocked_until = d.blocked_until FROM d WHERE challenges.id = d.id \
         AND {} AND challenges.expires_at > d.at RETURNING challenges.id",
        *GUARD
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for d in decisions {
        query = query
            .bind(&d.id)
            .bind(d.state.as_str())
            .bind(&d.account)
            .bind(d.at)
            .bind(d.blocked_until);
    }
    Ok(query.fetch_all(&mut *conn).await?.into_iter().collect())
}

impl WriteTx {
    /// Consumes the challenge: `pending`/`scanned` and unexpired at `now` becomes `decision`
    /// for `account`. False when it was not open any more (already decided, or expired).
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
        self.decide(id, decision, account, now, None).await
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
        self.decide(id, StoredState::Blocked, account, now, blocked_until)
            .await
    }

    async fn decide(
        &mut self,
        id: &str,
        state: StoredState,
        account: &str,
        now: i64,
        blocked_until: Option<i64>,
    ) -> Result<bool, StorageError> {
        let decision = Decision {
            id: id.to_owned(),
            state,
            account: account.to_owned(),
            at: now,
            blocked_until,
        };
        let decided = !decide(&mut self.tx, &[&decision]).await?.is_empty();
        if decided {
            self.decided.push(decision);
        }
        Ok(decided)
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
            service_name: None,
        }
    }

    use super::super::temporary_store as store;

    /// The database's view, bypassing the cache.
    async fn stored_state(store: &Store, id: &str) -> String {
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
        let (store, outcome) = Store::open(&url).await.expect("upgrade");
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
            service_name: None,
            decided_at: None,
            blocked_until: None,
        };
        cache.insert(challenge("A", 0));
        let denial = Decision {
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
        let (store, _) = Store::open(&url).await.expect("open");
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
                        service_name: None,
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
