//! One connection type for both engines, so that every statement of the store is written
//! once.
//!
//! [`Conn`] holds an SQLite or a PostgreSQL connection, opened with this server's own options
//! (WAL, statement cache, …), and runs statements through sqlx's engine-neutral `Any` types:
//! parameters are bound as `Any` values and rows come back as `AnyRow`, so the same
//! `sqlx::query(...)` serves both. Values are `i64`, `String`, `Vec<u8>` and `NULL` only
//! (the schemas store every integer as a 64-bit integer and no booleans), which both engines
//! read and write alike.
//!
//! Statements are written with SQLite's placeholders (`?`, `?N`). PostgreSQL numbers its own
//! (`$N`): [`numbered`] rewrites a statement's text for it before it is sent (its prepared
//! statements are cached by that text, like SQLite's).
//!
//! Write transactions: `BEGIN IMMEDIATE` on SQLite (one writer at a time, even across
//! processes); on PostgreSQL, `BEGIN` then a transaction-level advisory lock
//! ([`WRITE_LOCK`]), which makes the write transactions of every instance sharing the
//! database run one after the other, as SQLite's do. Every check-then-write rule of the store
//! (lockout counters, single use of challenges, codes and invitations) relies on that.

use std::borrow::Cow;
use std::fmt;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt as _, StreamExt as _, TryStreamExt as _, stream};
use sqlx::any::{
    Any, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo, AnyTypeInfoKind, AnyValueRef,
};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Either, Execute, Executor};
use sqlx_core::any::AnyConnectionBackend;

/// The database engine behind a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An SQLite file (or memory), the embedded default.
    Sqlite,
    /// A PostgreSQL server, shared by several instances.
    Postgres,
}

/// The key of the advisory lock that every PostgreSQL write transaction takes first
/// (`pg_advisory_xact_lock`): "Tigr" in ASCII. Released by the commit or the rollback.
pub const WRITE_LOCK: i64 = 0x5469_6772;

/// A connection to either engine (see the module docs).
pub(super) struct Conn {
    backend: Box<dyn AnyConnectionBackend>,
    engine: Engine,
    /// A `ROLLBACK` queued by [`Conn::start_rollback`] and not sent yet (PostgreSQL sends it
    /// with the connection's next message: see [`Conn::send_rollback`]).
    rollback_queued: bool,
    /// SQLite: where a write transaction begun in a statement's text stands
    /// ([`Conn::begin_with_next`]).
    inline: Inline,
}

/// An SQLite write transaction whose `BEGIN IMMEDIATE` and `COMMIT` travel in the text of
/// its first and last statements. Each command to SQLite's connection thread is a hand-off
/// between threads, the writer's main cost under load (docs/benchmarks.md); a transaction of
/// three statements so costs three instead of five. sqlx does not know of such a
/// transaction, so this connection sends its `ROLLBACK` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Inline {
    /// No such transaction.
    #[default]
    Off,
    /// `BEGIN IMMEDIATE` goes before the next statement.
    BeginNext,
    /// Begun (or maybe: the statement that carried the `BEGIN` failed).
    Open,
    /// Open; `COMMIT` goes after the next statement run by `fetch_many`.
    CommitNext,
    /// Committed by the statement that carried the `COMMIT`.
    Committed,
    /// Left open by a dropped transaction: a `ROLLBACK` goes before anything else (its
    /// error ignored: the failed statement that left it may have ended it already).
    RollbackDue,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("engine", &self.engine)
            .finish()
    }
}

impl From<SqliteConnection> for Conn {
    fn from(conn: SqliteConnection) -> Self {
        Self {
            backend: Box::new(conn),
            engine: Engine::Sqlite,
            rollback_queued: false,
            inline: Inline::Off,
        }
    }
}

impl From<PgConnection> for Conn {
    fn from(conn: PgConnection) -> Self {
        Self {
            backend: Box::new(conn),
            engine: Engine::Postgres,
            rollback_queued: false,
            inline: Inline::Off,
        }
    }
}

impl Conn {
    /// The engine of this connection.
    pub(super) fn engine(&self) -> Engine {
        self.engine
    }

    /// Begins a write transaction (see the module docs).
    pub(super) async fn begin_write(&mut self) -> Result<(), sqlx::Error> {
        match self.engine {
            Engine::Sqlite => {
                self.settle().await;
                self.backend.begin(Some("BEGIN IMMEDIATE".into())).await
            }
            Engine::Postgres => {
                self.backend.begin(None).await?;
                let locked = sqlx::query("SELECT pg_advisory_xact_lock(?)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *self)
                    .await;
                if locked.is_err() {
                    self.backend.start_rollback();
                }
                locked.map(drop)
            }
        }
    }

    /// Begins a write transaction with the next statement: on SQLite, `BEGIN IMMEDIATE`
    /// goes in that statement's text ([`Inline`]); PostgreSQL begins at once
    /// ([`Conn::begin_write`]).
    pub(super) async fn begin_with_next(&mut self) -> Result<(), sqlx::Error> {
        match self.engine {
            Engine::Sqlite => {
                self.settle().await;
                self.inline = Inline::BeginNext;
                Ok(())
            }
            Engine::Postgres => self.begin_write().await,
        }
    }

    /// On SQLite, in a transaction of [`Conn::begin_with_next`]: `COMMIT` goes in the text
    /// of the next statement run by `fetch_many` (`execute`, `fetch_all`), and
    /// [`Conn::commit`] then only checks that it went. Elsewhere nothing.
    pub(super) fn commit_with_next(&mut self) {
        if self.inline == Inline::Open {
            self.inline = Inline::CommitNext;
        }
    }

    /// Commits the transaction begun by [`Conn::begin_write`] or [`Conn::begin_with_next`].
    pub(super) async fn commit(&mut self) -> Result<(), sqlx::Error> {
        match self.inline {
            Inline::Off => self.backend.commit().await,
            // Nothing was begun, or the last statement committed.
            Inline::BeginNext | Inline::Committed => {
                self.inline = Inline::Off;
                Ok(())
            }
            Inline::Open | Inline::CommitNext => {
                self.inline = Inline::Open;
                self.backend.fetch_optional("COMMIT", false, None).await?;
                self.inline = Inline::Off;
                Ok(())
            }
            Inline::RollbackDue => Err(sqlx::Error::Protocol(
                "commit of a transaction already rolled back".to_owned(),
            )),
        }
    }

    /// Queues the rollback of the open transaction: it runs before the connection's next
    /// statement (also when the future that held the transaction was dropped). SQLite's
    /// connection thread runs it at once, or, for a transaction begun in a statement's
    /// text, this connection before its next statement; PostgreSQL's waits for
    /// [`Conn::send_rollback`] or the next statement.
    pub(super) fn start_rollback(&mut self) {
        match self.inline {
            Inline::Off => {
                self.backend.start_rollback();
                self.rollback_queued = self.engine == Engine::Postgres;
            }
            Inline::BeginNext | Inline::Committed => self.inline = Inline::Off,
            Inline::Open | Inline::CommitNext | Inline::RollbackDue => {
                self.inline = Inline::RollbackDue;
            }
        }
    }

    /// True when a `ROLLBACK` waits to be sent.
    pub(super) fn rollback_queued(&self) -> bool {
        self.rollback_queued || self.inline == Inline::RollbackDue
    }

    /// Sends a queued `ROLLBACK` and waits for it: until then the transaction, and its
    /// lock (SQLite's, or PostgreSQL's advisory lock), would hold every other writer back.
    pub(super) async fn send_rollback(&mut self) {
        if self.rollback_queued {
            if let Err(error) = self.backend.ping().await {
                tracing::warn!(%error, "a rollback could not be sent");
            }
            self.rollback_queued = false;
        }
        self.settle().await;
    }

    /// Sends the `ROLLBACK` of [`Inline::RollbackDue`], if due. Its error is expected when
    /// the statement that failed had ended the transaction already, and changes nothing.
    async fn settle(&mut self) {
        if self.inline == Inline::RollbackDue {
            if let Err(error) = self.backend.fetch_optional("ROLLBACK", false, None).await {
                tracing::debug!(%error, "rollback of a transaction begun in a statement's text");
            }
            self.inline = Inline::Off;
        }
    }

    /// The text `sql` goes out as: with the `BEGIN` or the `COMMIT` of an [`Inline`]
    /// transaction when due (`commit_here`: whether this statement may carry the
    /// `COMMIT`); moves [`Inline`] on as if the statement succeeded (see
    /// [`Conn::after_statement`]).
    fn inline_text<'q>(&mut self, sql: Cow<'q, str>, commit_here: bool) -> Cow<'q, str> {
        match self.inline {
            Inline::BeginNext => {
                self.inline = Inline::Open;
                Cow::Owned(format!("BEGIN IMMEDIATE; {sql}"))
            }
            Inline::CommitNext if commit_here => {
                self.inline = Inline::Committed;
                Cow::Owned(format!("{sql}; COMMIT"))
            }
            _ => sql,
        }
    }

    /// After a statement of an [`Inline`] transaction: one that failed did not commit (the
    /// transaction may be open, for its owner to roll back).
    fn after_statement(&mut self, ok: bool) {
        if !ok && self.inline == Inline::Committed {
            self.inline = Inline::Open;
        }
    }
}

impl<'c> Executor<'c> for &'c mut Conn {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        mut query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let arguments = match query.take_arguments().map_err(sqlx::Error::Encode) {
            Ok(arguments) => arguments,
            Err(error) => return stream::once(async { Err(error) }).boxed(),
        };
        let persistent = query.persistent();
        // A queued rollback goes out first, with this statement.
        self.rollback_queued = false;
        let due = self.inline == Inline::RollbackDue;
        let text = numbered(self.engine, query.sql());
        match self.inline_text(text, true) {
            Cow::Borrowed(sql) if !due => self.backend.fetch_many(sql, persistent, arguments),
            // The text lives in this future (rewritten, or sent after a rollback): its
            // results are collected there.
            text => stream::once(async move {
                self.settle().await;
                let results: Vec<_> = self
                    .backend
                    .fetch_many(&text, persistent, arguments)
                    .collect()
                    .await;
                self.after_statement(results.iter().all(Result::is_ok));
                stream::iter(results)
            })
            .flatten()
            .boxed(),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        mut query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let arguments = match query.take_arguments().map_err(sqlx::Error::Encode) {
            Ok(arguments) => arguments,
            Err(error) => return async { Err(error) }.boxed(),
        };
        let persistent = query.persistent();
        self.rollback_queued = false;
        let due = self.inline == Inline::RollbackDue;
        let text = numbered(self.engine, query.sql());
        // (Never the `COMMIT`: a statement run for one row may stop before its end.)
        match self.inline_text(text, false) {
            Cow::Borrowed(sql) if !due => self.backend.fetch_optional(sql, persistent, arguments),
            // Run whole: with a `BEGIN` before it, the backend's own `fetch_optional` would
            // stop at the `BEGIN`'s result, before the statement ran.
            text => async move {
                self.settle().await;
                let results: Result<Vec<_>, _> = self
                    .backend
                    .fetch_many(&text, persistent, arguments)
                    .try_collect()
                    .await;
                self.after_statement(results.is_ok());
                Ok(results?.into_iter().find_map(Either::right))
            }
            .boxed(),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &[AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        // Statements are prepared implicitly (and cached) by `fetch_*`; an explicit
        // preparation keeps its text as given, so only an engine that reads it may ask.
        self.backend.prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Any>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.backend.describe(sql)
    }
}

/// A yes or no computed by a statement (`x IS NULL`, `EXISTS (…)`): SQLite gives it as an
/// integer, PostgreSQL as a boolean. Read a row's field with `#[sqlx(try_from = "Flag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if sqlx::ValueRef::type_info(&value).kind() == AnyTypeInfoKind::Bool {
            <bool as sqlx::Decode<Any>>::decode(value).map(Flag)
        } else {
            <i64 as sqlx::Decode<Any>>::decode(value).map(|n| Flag(n != 0))
        }
    }
}

/// `sql` with its placeholders as `engine` reads them: unchanged for SQLite; for PostgreSQL,
/// `?N` becomes `$N` and a bare `?` the next number after the largest so far (SQLite's
/// rule). Quoted text (`'…'`, `"…"`) is left alone.
pub(super) fn numbered(engine: Engine, sql: &str) -> Cow<'_, str> {
    if engine == Engine::Sqlite || !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    let mut largest = 0usize;
    let mut quote = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                let number = digits.parse().unwrap_or(largest + 1);
                largest = largest.max(number);
                out.push('$');
                out.push_str(&number.to_string());
                continue;
            }
            (None, _) => {}
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_reads_numbered_placeholders() {
        for (sql, expected) in [
            ("SELECT 1", "SELECT 1"),
            ("a = ? AND b = ?", "a = $1 AND b = $2"),
            ("a = ?1 OR b = ?1 OR c = ?2", "a = $1 OR b = $1 OR c = $2"),
            ("a = ?2, b = ?", "a = $2, b = $3"),
            (
                "x = '?' AND y = \"?\" AND z = ?",
                "x = '?' AND y = \"?\" AND z = $1",
            ),
            ("x = 'it''s ?' AND y = ?", "x = 'it''s ?' AND y = $1"),
            ("VALUES (?, ?), (?, ?)", "VALUES ($1, $2), ($3, $4)"),
        ] {
            assert_eq!(numbered(Engine::Postgres, sql), expected, "{sql}");
            assert_eq!(numbered(Engine::Sqlite, sql), sql);
        }
    }
}
