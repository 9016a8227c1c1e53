//! The writer: the one connection every write goes through, its transactions, and the group
//! commit of the writes of the login path.
//!
//! * [`Writer::lock`]: the connection, for statements in autocommit mode.
//! * [`Writer::begin`]: a write transaction (`Conn::begin_write`), rolled back unless
//!   committed ([`Tx`]). The rounds below begin theirs with their first statement and
//!   commit with their last ([`Tx::begin_with_first`], [`Tx::commit_with_next`]): on
//!   SQLite, two hand-offs to the connection's thread less per round.
//! * [`Writer::submit`]: group commit. Under load, logins queue on the writer; so the
//!   caller's write waits in a [`Queue`] (one per kind of write), and whoever gets the
//!   writer takes every write waiting at that moment, in every queue ([`Turn`]), and
//!   writes them kind after kind in rounds, one statement or one transaction per round
//!   ([`Batch::write`]), so that a burst costs one round trip instead of one each, and the
//!   writer changes hands once per turn rather than once per kind (each hand-over wakes a
//!   task, which under load waits for a worker: 160 µs on average at 3,900 login flows/s, a
//!   third of the writer's time when each kind took its own turn). A round that fails is
//!   retried item by item, so a bad item fails alone. Each caller returns once its own
//!   item is written. A caller whose item was written in someone else's turn leaves the
//!   writer's queue at once instead of taking the writer for nothing. Turns that hold other
//!   callers' items run in their own task, so that a cancelled request cannot lose them.

use std::collections::HashSet;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex as SyncMutex};

use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard, oneshot};

use super::StorageError;
use super::checkpoints::Wake;
use super::conn::Conn;

/// Most items one round writes (a batched statement binds at most 8 parameters per row:
/// far below SQLite's limit).
pub(super) const MAX_BATCH: usize = 64;

/// The only write connection, behind a FIFO async mutex.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    conn: Arc<Mutex<Conn>>,
    /// Told of every write, on an SQLite file (see `checkpoints.rs`).
    checkpoints: Option<Wake>,
}

impl Writer {
    /// The writer of `conn`; `checkpoints` is told whenever it is taken.
    pub(super) fn new(conn: Conn, checkpoints: Option<Wake>) -> Self {
        Self {
            conn: Arc::new(Mutex::new(conn)),
            checkpoints,
        }
    }

    /// The connection, for statements in autocommit mode. Writers queue on the mutex in
    /// FIFO order; keep the guard for as few statements as possible.
    pub(super) async fn lock(&self) -> MutexGuard<'_, Conn> {
        let conn = self.conn.lock().await;
        self.taken();
        conn
    }

    /// The connection, for as long as the caller (or a task it spawns) holds it.
    pub(super) async fn lock_owned(&self) -> OwnedMutexGuard<Conn> {
        let conn = Arc::clone(&self.conn).lock_owned().await;
        self.taken();
        conn
    }

    /// Whoever takes the writer writes: a checkpoint follows.
    fn taken(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.wrote();
        }
    }

    /// Starts a write transaction on the connection.
    pub(super) async fn begin(&self) -> Result<Tx<OwnedMutexGuard<Conn>>, StorageError> {
        Tx::begin(self.lock_owned().await).await
    }

    /// Starts a write transaction that begins with its first statement
    /// ([`Tx::begin_with_first`]).
    pub(super) async fn begin_with_first(&self) -> Result<Tx<OwnedMutexGuard<Conn>>, StorageError> {
        Tx::begin_with_first(self.lock_owned().await).await
    }

    /// Queues `item` in `queue`, and once this caller gets the writer, writes every item
    /// waiting then, of every kind (`take`, see the module docs); returns its own output
    /// once written.
    pub(super) async fn submit<T, R, W: Turn>(
        &self,
        queue: &Queue<T, R>,
        item: T,
        take: impl FnOnce() -> W,
    ) -> Result<R, StorageError> {
        let mut result = queue.push(item);
        let mut conn = tokio::select! {
            biased;
            written = &mut result => return received(written),
            conn = self.lock_owned() => conn,
        };
        // Turns reply before they let the writer go: this caller's item, not answered yet,
        // is among those taken now.
        let turn = take();
        match turn.len() {
            // (Unreachable but harmless: nothing to write.)
            0 => {}
            // The usual case without load, this caller's item alone: inline.
            1 => {
                turn.write(&mut conn).await;
                conn.send_rollback().await;
            }
            // Detached on purpose: the task replies to every caller of the turn.
            _ => drop(tokio::spawn(async move {
                turn.write(&mut conn).await;
                conn.send_rollback().await;
            })),
        }
        received(result.await)
    }
}

/// The caller's result, or an error when the round that held its item was lost.
fn received<T>(
    result: Result<Result<T, StorageError>, oneshot::error::RecvError>,
) -> Result<T, StorageError> {
    result.unwrap_or(Err(StorageError::Database(sqlx::Error::WorkerCrashed)))
}

/// A write transaction (`Conn::begin_write`) on the writer's connection, held as `C` (owned
/// guard, or borrowed by a round). Dropped without [`Tx::commit`] (also when the future
/// running it is dropped), it queues its `ROLLBACK` on the connection's command channel
/// before the connection is released, so the next writer finds it rolled back.
#[derive(Debug)]
pub(super) struct Tx<C: Hold> {
    conn: C,
    open: bool,
}

impl<C: Hold> Tx<C> {
    /// Begins the transaction: the checks it makes and the writes it does are atomic even
    /// against another process writing the same database (`conn.rs`).
    pub(super) async fn begin(mut conn: C) -> Result<Self, StorageError> {
        conn.begin_write().await?;
        Ok(Self { conn, open: true })
    }

    /// Begins the transaction with its first statement (on SQLite, `BEGIN IMMEDIATE` in
    /// that statement's text: `Conn::begin_with_next`), for the rounds of group commit,
    /// where each hand-off to SQLite's thread holds every writer back.
    pub(super) async fn begin_with_first(mut conn: C) -> Result<Self, StorageError> {
        conn.begin_with_next().await?;
        Ok(Self { conn, open: true })
    }

    /// The next statement run by `execute` or `fetch_all` commits too (on SQLite, in a
    /// transaction of [`Tx::begin_with_first`]); [`Tx::commit`] follows it all the same,
    /// and commits itself when no statement came.
    pub(super) fn commit_with_next(&mut self) {
        self.conn.commit_with_next();
    }

    /// Makes every write of the transaction durable at once.
    pub(super) async fn commit(&mut self) -> Result<(), StorageError> {
        self.conn.commit().await?;
        self.open = false;
        Ok(())
    }
}

impl<C: Hold> Deref for Tx<C> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl<C: Hold> DerefMut for Tx<C> {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl<C: Hold> Drop for Tx<C> {
    fn drop(&mut self) {
        if self.open {
            self.conn.start_rollback();
            self.conn.after_rollback();
        }
    }
}

/// How a transaction holds the writer's connection, and who sends a rollback left queued
/// (PostgreSQL: `Conn::send_rollback`).
pub(super) trait Hold: DerefMut<Target = Conn> {
    /// Makes sure the rollback just queued is sent soon.
    fn after_rollback(&mut self);
}

impl Hold for OwnedMutexGuard<Conn> {
    /// Sends it from a task that takes the writer once this guard is gone: the guard goes
    /// with the dropped transaction (often with a cancelled request's future).
    fn after_rollback(&mut self) {
        if !self.rollback_queued() {
            return;
        }
        let writer = Arc::clone(OwnedMutexGuard::mutex(self));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(async move { writer.lock().await.send_rollback().await }));
        }
    }
}

impl Hold for &mut Conn {
    /// A round's transaction: the round's owner sends it (`write_rounds`).
    fn after_rollback(&mut self) {}
}

/// How one kind of write is written in rounds.
pub(super) trait Batch: Send + Sync + 'static {
    /// What a caller asks to write.
    type Item: Send + Sync + 'static;
    /// What the caller gets back once it is written.
    type Output: Send + 'static;

    /// Which of the waiting items (in order) the next round writes; the others wait for a
    /// later round. By default, the first [`MAX_BATCH`].
    fn picks<'a>(&self, waiting: impl Iterator<Item = &'a Self::Item>) -> Vec<bool> {
        waiting.enumerate().map(|(i, _)| i < MAX_BATCH).collect()
    }

    /// Writes `items` in one statement or one transaction, all or nothing, then does what
    /// follows its success (the challenge cache, the counters): one output per item, in
    /// order.
    fn write(
        &self,
        conn: &mut Conn,
        items: &[&Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Output>, StorageError>> + Send;
}

/// Which of `waiting` (in order) one transaction takes: at most [`MAX_BATCH`], none sharing a
/// key with a grant before it (taken or not); grants without a key share nothing.
pub(super) fn distinct_keys<'a>(keys: impl Iterator<Item = Option<&'a [u8]>>) -> Vec<bool> {
    let mut seen = HashSet::new();
    let mut count = 0;
    keys.map(|key| {
        let new = key.is_none_or(|key| seen.insert(key));
        let pick = new && count < MAX_BATCH;
        count += usize::from(pick);
        pick
    })
    .collect()
}

/// The writes one turn of the writer took from the queues, to write in that turn.
pub(super) trait Turn: Send + 'static {
    /// How many items were taken.
    fn len(&self) -> usize;

    /// Writes them, each kind in rounds ([`Taken::write`]), replying to each caller.
    fn write(self, conn: &mut Conn) -> impl Future<Output = ()> + Send;
}

/// The items taken from one queue, with how to write them.
pub(super) struct Taken<B: Batch> {
    batch: B,
    waiting: Vec<Waiting<B::Item, B::Output>>,
}

impl<B: Batch> Turn for Taken<B> {
    fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Writes the items in rounds, replying to each caller.
    async fn write(self, conn: &mut Conn) {
        write_rounds(&self.batch, conn, self.waiting).await;
    }
}

/// Writes `waiting` in rounds while holding the writer, replying to each caller.
async fn write_rounds<B: Batch>(
    batch: &B,
    conn: &mut Conn,
    mut waiting: Vec<Waiting<B::Item, B::Output>>,
) {
    while !waiting.is_empty() {
        let picks = batch.picks(waiting.iter().map(|w| &w.item));
        let (round, later): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .zip(picks)
            .partition(|(_, picked)| *picked);
        waiting = later.into_iter().map(|(w, _)| w).collect();
        let round: Vec<_> = round.into_iter().map(|(w, _)| w).collect();
        let items: Vec<&B::Item> = round.iter().map(|w| &w.item).collect();
        let together = batch.write(conn, &items).await;
        drop(items);
        match together {
            Ok(outputs) => {
                debug_assert_eq!(outputs.len(), round.len());
                for (w, output) in round.into_iter().zip(outputs) {
                    let _ = w.done.send(Ok(output));
                }
            }
            Err(_) => {
                // Each alone, with its own output or error.
                for w in round {
                    let alone = batch.write(conn, &[&w.item]).await;
                    let output = alone.and_then(|outputs| {
                        outputs.into_iter().next().ok_or_else(|| {
                            StorageError::Corrupt("a round wrote no output".to_owned())
                        })
                    });
                    let _ = w.done.send(output);
                }
            }
        }
    }
}

/// Writes of one kind waiting for the writer.
pub(super) struct Queue<T, R> {
    inner: SyncMutex<Vec<Waiting<T, R>>>,
}

/// An item waiting in a [`Queue`], with where its caller waits for the result.
struct Waiting<T, R> {
    item: T,
    done: oneshot::Sender<Result<R, StorageError>>,
}

impl<T, R> Default for Queue<T, R> {
    fn default() -> Self {
        Self {
            inner: SyncMutex::new(Vec::new()),
        }
    }
}

impl<T, R> fmt::Debug for Queue<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("waiting", &self.len())
            .finish()
    }
}

impl<T, R> Queue<T, R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<T, R>>> {
        // Every operation leaves the list consistent: a panicking holder cannot corrupt it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item`: where its result will come.
    fn push(&self, item: T) -> oneshot::Receiver<Result<R, StorageError>> {
        let (done, result) = oneshot::channel();
        self.lock().push(Waiting { item, done });
        result
    }

    /// How many items wait.
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> Queue<T, R> {
    /// Every item waiting now, oldest first, to be written by `batch`.
    pub(super) fn take<B: Batch<Item = T, Output = R>>(&self, batch: B) -> Taken<B> {
        Taken {
            batch,
            waiting: std::mem::take(&mut *self.lock()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::str::FromStr as _;
    use std::time::Duration;

    use sqlx::ConnectOptions as _;
    use sqlx::sqlite::SqliteConnectOptions;

    use super::*;

    /// Writes numbers into `t`, one `INSERT` per round; 13 is refused by a trigger.
    #[derive(Debug, Clone, Copy)]
    struct Numbers;

    impl Batch for Numbers {
        type Item = i64;
        type Output = i64;

        /// Never two equal numbers in one round.
        fn picks<'a>(&self, waiting: impl Iterator<Item = &'a i64>) -> Vec<bool> {
            let mut seen = HashSet::new();
            waiting.map(|n| seen.insert(*n)).collect()
        }

        async fn write(&self, conn: &mut Conn, items: &[&i64]) -> Result<Vec<i64>, StorageError> {
            let sql = format!(
                "INSERT INTO t (n) VALUES {}",
                vec!["(?)"; items.len()].join(", ")
            );
            let mut query = sqlx::query(&sql);
            for n in items {
                query = query.bind(**n);
            }
            query.execute(&mut *conn).await?;
            Ok(items.iter().map(|n| **n * 10).collect())
        }
    }

    async fn writer() -> Writer {
        let mut conn = SqliteConnectOptions::from_str("sqlite::memory:")
            .expect("url")
            .connect()
            .await
            .expect("connect");
        sqlx::raw_sql(
            "CREATE TABLE t (n INTEGER NOT NULL); \
             CREATE TRIGGER no_13 BEFORE INSERT ON t WHEN NEW.n = 13 \
             BEGIN SELECT RAISE(ABORT, 'no 13'); END",
        )
        .execute(&mut conn)
        .await
        .expect("schema");
        Writer::new(conn.into(), None)
    }

    async fn rows(writer: &Writer) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM t ORDER BY rowid")
            .fetch_all(&mut *writer.lock().await)
            .await
            .expect("rows")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_writes_go_in_rounds_and_a_bad_one_fails_alone() {
        let writer = writer().await;
        let queue = Arc::new(Queue::default());
        // Hold the writer until every caller waits, so that one of them writes them all.
        let held = writer.lock_owned().await;
        let numbers = [1, 2, 13, 2, 3];
        let tasks: Vec<_> = numbers
            .into_iter()
            .map(|n| {
                let (writer, queue) = (writer.clone(), Arc::clone(&queue));
                tokio::spawn(async move { writer.submit(&queue, n, || queue.take(Numbers)).await })
            })
            .collect();
        while queue.len() < numbers.len() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        let mut outputs = Vec::new();
        for task in tasks {
            outputs.push(task.await.expect("task").map_err(|e| e.to_string()));
        }
        assert_eq!(outputs[0], Ok(10));
        assert_eq!(outputs[1], Ok(20));
        assert!(outputs[2].as_ref().is_err_and(|e| e.contains("no 13")));
        assert_eq!(outputs[3], Ok(20));
        assert_eq!(outputs[4], Ok(30));
        let mut written = rows(&writer).await;
        written.sort_unstable();
        assert_eq!(written, [1, 2, 2, 3]);
        assert_eq!(queue.len(), 0);
    }

    /// The numbers taken from two queues, written in one turn; counts its turns.
    struct Both {
        first: Taken<Numbers>,
        second: Taken<Numbers>,
        turns: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Turn for Both {
        fn len(&self) -> usize {
            self.first.len() + self.second.len()
        }

        async fn write(self, conn: &mut Conn) {
            self.turns.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.first.write(conn).await;
            self.second.write(conn).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_turn_writes_every_kind_waiting() {
        let writer = writer().await;
        let queues = Arc::new((Queue::default(), Queue::default()));
        let turns = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let held = writer.lock_owned().await;
        let calls = [(1, true), (2, false), (3, true), (4, false), (5, false)];
        let tasks: Vec<_> = calls
            .into_iter()
            .map(|(n, in_first)| {
                let (writer, queues, turns) =
                    (writer.clone(), Arc::clone(&queues), Arc::clone(&turns));
                tokio::spawn(async move {
                    let queue = if in_first { &queues.0 } else { &queues.1 };
                    let take = || Both {
                        first: queues.0.take(Numbers),
                        second: queues.1.take(Numbers),
                        turns: Arc::clone(&turns),
                    };
                    writer.submit(queue, n, take).await
                })
            })
            .collect();
        while queues.0.len() + queues.1.len() < calls.len() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        for (task, (n, _)) in tasks.into_iter().zip(calls) {
            assert_eq!(task.await.expect("task").expect("written"), n * 10);
        }
        // The first kind, then the second (each in the order its callers came).
        let written = rows(&writer).await;
        let (mut first, mut second) = (written[..2].to_vec(), written[2..].to_vec());
        first.sort_unstable();
        second.sort_unstable();
        assert_eq!((first, second), (vec![1, 3], vec![2, 4, 5]), "{written:?}");
        assert_eq!(
            turns.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one turn"
        );
    }

    async fn insert(conn: &mut Conn, n: i64) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO t (n) VALUES (?)")
            .bind(n)
            .execute(conn)
            .await
            .map(drop)
    }

    async fn begun_with_first(writer: &Writer) -> Tx<OwnedMutexGuard<Conn>> {
        Tx::begin_with_first(writer.lock_owned().await)
            .await
            .expect("begin")
    }

    #[tokio::test]
    async fn a_transaction_begun_and_committed_in_its_statements_texts_is_atomic() {
        let writer = writer().await;
        // Committed by its last statement.
        let mut tx = begun_with_first(&writer).await;
        insert(&mut tx, 1).await.expect("first");
        tx.commit_with_next();
        insert(&mut tx, 2).await.expect("last");
        tx.commit().await.expect("commit");
        drop(tx);
        assert_eq!(rows(&writer).await, [1, 2]);
        // No statement after `commit_with_next`: `commit` commits.
        let mut tx = begun_with_first(&writer).await;
        insert(&mut tx, 3).await.expect("first");
        tx.commit_with_next();
        tx.commit().await.expect("commit");
        drop(tx);
        assert_eq!(rows(&writer).await, [1, 2, 3]);
        // A last statement that fails commits nothing; the transaction rolls back.
        let mut tx = begun_with_first(&writer).await;
        insert(&mut tx, 4).await.expect("first");
        tx.commit_with_next();
        assert!(insert(&mut tx, 13).await.is_err(), "refused by the trigger");
        drop(tx);
        assert_eq!(rows(&writer).await, [1, 2, 3]);
        // Dropped after its first statement, or before any: rolled back, and the
        // connection goes on (autocommit, another such transaction, a usual one).
        let mut tx = begun_with_first(&writer).await;
        insert(&mut tx, 5).await.expect("first");
        drop(tx);
        drop(begun_with_first(&writer).await);
        insert(&mut *writer.lock().await, 6)
            .await
            .expect("autocommit");
        let mut tx = writer.begin().await.expect("usual begin");
        insert(&mut tx, 7).await.expect("insert");
        tx.commit().await.expect("commit");
        drop(tx);
        assert_eq!(rows(&writer).await, [1, 2, 3, 6, 7]);
        // A first statement that reads one row (`fetch_optional`, `fetch_one`) runs and
        // finds it: the `BEGIN` before it in its text does not stand for its result.
        let mut tx = begun_with_first(&writer).await;
        let found: Option<i64> = sqlx::query_scalar("SELECT n FROM t WHERE n = 6")
            .fetch_optional(&mut *tx)
            .await
            .expect("first statement");
        assert_eq!(found, Some(6));
        insert(&mut tx, 8).await.expect("then a write");
        tx.commit().await.expect("commit");
        drop(tx);
        assert_eq!(rows(&writer).await, [1, 2, 3, 6, 7, 8]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_transaction_begun_in_a_statement_frees_the_database_at_once() {
        // A file: another connection (as another process would) waits for the write lock.
        let dir = tempfile::tempdir().expect("tempdir");
        let options = SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            dir.path().join("t.db").display()
        ))
        .expect("url")
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
        let mut conn = options.connect().await.expect("connect");
        sqlx::raw_sql("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(&mut conn)
            .await
            .expect("schema");
        let writer = Writer::new(conn.into(), None);
        let mut other = options.connect().await.expect("other");
        let mut tx = begun_with_first(&writer).await;
        insert(&mut tx, 1).await.expect("first");
        // Dropped with nobody to use the writer after it (a cancelled request).
        drop(tx);
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut other)
            .await
            .expect("the write lock is free again");
        assert_eq!(rows(&writer).await, [2]);
    }

    #[tokio::test]
    async fn a_dropped_transaction_rolls_back() {
        let writer = writer().await;
        let mut tx = writer.begin().await.expect("begin");
        sqlx::query("INSERT INTO t (n) VALUES (1)")
            .execute(&mut *tx)
            .await
            .expect("insert");
        drop(tx);
        assert!(rows(&writer).await.is_empty());
        let mut tx = writer.begin().await.expect("begin");
        sqlx::query("INSERT INTO t (n) VALUES (2)")
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        drop(tx);
        assert_eq!(rows(&writer).await, [2]);
    }
}
