//! Accounts and their lockout counters.

use std::collections::HashMap;

use super::conn::{Conn, Flag};

use crate::domain::lockout::LockState;

use super::{StorageError, Store, WriteTx};

/// An account (one person; `id` is the Tigr ID).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    /// Tigr ID.
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// Contact address, if known.
    pub email: Option<String>,
    /// `user` or `admin`.
    pub role: String,
    /// Creation time.
    pub created_at: i64,
    /// Disabled by an administrator (no login at all).
    pub disabled_at: Option<i64>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Consecutive failed responses.
    pub failed_attempts: i64,
    /// Blocked by the lockout rule.
    pub blocked_at: Option<i64>,
    /// End of a temporary block (`None` with `blocked_at`: permanent).
    pub blocked_until: Option<i64>,
    /// Why it was blocked.
    pub blocked_reason: Option<String>,
    /// Blocks since the last success or unblock.
    pub block_strikes: i64,
    /// Start of the latest block, kept after it lifts.
    pub last_blocked_at: Option<i64>,
}

impl Account {
    /// For tests: an enabled `user` account named as its id, created at 0, never blocked.
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            display_name: id.to_owned(),
            email: None,
            role: "user".to_owned(),
            created_at: 0,
            disabled_at: None,
            disabled_reason: None,
            failed_attempts: 0,
            blocked_at: None,
            blocked_until: None,
            blocked_reason: None,
            block_strikes: 0,
            last_blocked_at: None,
        }
    }

    /// The lockout state of the account.
    pub fn lock_state(&self) -> LockState {
        LockState::from_record(
            self.failed_attempts,
            self.blocked_at,
            self.blocked_until,
            self.blocked_reason.as_deref(),
            self.block_strikes,
            self.last_blocked_at,
        )
    }

    /// False when an administrator disabled the account.
    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// The columns of [`Account`] in a `SELECT` from `accounts` (a macro, for `concat!`).
macro_rules! account_columns {
    () => {
        "accounts.id, display_name, email, role, accounts.created_at, disabled_at, \
         disabled_reason, failed_attempts, blocked_at, blocked_until, blocked_reason, \
         block_strikes, last_blocked_at"
    };
}

pub(super) use account_columns;

/// The columns of [`Account`] in a `SELECT` from `accounts`.
pub(super) const ACCOUNT_COLUMNS: &str = account_columns!();

const SELECT_ACCOUNT: &str = concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = ?");

impl Store {
    /// The account with this Tigr ID.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StorageError> {
        Ok(sqlx::query_as::<_, Account>(SELECT_ACCOUNT)
            .bind(id)
            .fetch_optional(&mut *self.read_conn().await)
            .await?)
    }
}

/// An account, with whether a given device is its active device.
#[derive(sqlx::FromRow)]
pub(super) struct AccountCheck {
    #[sqlx(flatten)]
    pub(super) account: Account,
    #[sqlx(try_from = "Flag")]
    pub(super) device_active: bool,
}

/// The accounts of `pairs` (account, device), by id, each with whether the device is its
/// active device: one statement (one hand-off to SQLite's thread) however many.
pub(super) async fn read_accounts(
    conn: &mut Conn,
    pairs: &[(&str, &str)],
) -> Result<HashMap<String, AccountCheck>, StorageError> {
    let values = vec!["(?, ?)"; pairs.len()].join(", ");
    let sql = format!(
        "WITH q (account_id, device_id) AS (VALUES {values}) \
         SELECT {ACCOUNT_COLUMNS}, EXISTS (SELECT 1 FROM devices d WHERE d.id = q.device_id \
         AND d.account_id = q.account_id AND d.revoked_at IS NULL) AS device_active \
         FROM q JOIN accounts ON accounts.id = q.account_id"
    );
    let mut query = sqlx::query_as::<_, AccountCheck>(&sql);
    for (account, device) in pairs {
        query = query.bind(*account).bind(*device);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|check| (check.account.id.clone(), check))
        .collect())
}

impl WriteTx {
    /// The account and whether `device` is its active device, read inside the transaction
    /// in one statement ([`WriteTx::account`] and [`WriteTx::device_is_active`] in one).
    pub async fn account_and_device(
        &mut self,
        id: &str,
        device: &str,
    ) -> Result<Option<(Account, bool)>, StorageError> {
        let found = read_accounts(&mut self.tx, &[(id, device)])
            .await?
            .remove(id)
            .map(|check| (check.account, check.device_active));
        // As `account` does (see `set_lock_state`).
        self.lock_read = found.as_ref().map(|(a, _)| (a.id.clone(), a.lock_state()));
        Ok(found)
    }

    /// The account, read inside the transaction.
    pub async fn account(&mut self, id: &str) -> Result<Option<Account>, StorageError> {
        let account = sqlx::query_as::<_, Account>(SELECT_ACCOUNT)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        // Remembered so that storing the same lockout state again costs nothing (see
        // `set_lock_state`): nobody else can change the row before this transaction ends.
        self.lock_read = account.as_ref().map(|a| (a.id.clone(), a.lock_state()));
        Ok(account)
    }

    /// Creates the account if missing (display name defaulting to the id) or updates its
    /// display name when one is given. True when created.
    pub async fn upsert_account(
        &mut self,
        id: &str,
        display_name: Option<&str>,
        now: i64,
    ) -> Result<bool, StorageError> {
        self.wrote_account(id);
        let created = sqlx::query(
            "INSERT INTO accounts (id, display_name, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(display_name.unwrap_or(id))
        .bind(now)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if !created && let Some(name) = display_name {
            sqlx::query("UPDATE accounts SET display_name = ? WHERE id = ?")
                .bind(name)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(created)
    }

    /// Stores a lockout state decided by [`crate::domain::lockout::LockoutPolicy`].
    pub async fn set_lock_state(
        &mut self,
        account: &str,
        state: LockState,
    ) -> Result<(), StorageError> {
        // A login that succeeds without earlier failures "resets" a counter that is already
        // at zero: skip the statement (one round trip on the writer, per login).
        if self
            .lock_read
            .as_ref()
            .is_some_and(|(id, read)| id == account && *read == state)
        {
            return Ok(());
        }
        self.wrote_account(account);
        write_lock_state(&mut self.tx, account, state).await?;
        self.lock_read = Some((account.to_owned(), state));
        Ok(())
    }
}

/// Stores the lockout state of `account`.
pub(super) async fn write_lock_state(
    conn: &mut Conn,
    account: &str,
    state: LockState,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE accounts SET failed_attempts = ?, blocked_at = ?, blocked_until = ?, \
         blocked_reason = ?, block_strikes = ?, last_blocked_at = ? WHERE id = ?",
    )
    .bind(i64::from(state.failures))
    .bind(state.blocked_at())
    .bind(state.blocked_until())
    .bind(state.blocked_reason())
    .bind(i64::from(state.strikes))
    .bind(state.last_block_at)
    .bind(account)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn failures(store: &Store, id: &str) -> i64 {
        sqlx::query_scalar("SELECT failed_attempts FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *store.read_conn().await)
            .await
            .expect("row")
    }

    #[tokio::test]
    async fn unchanged_lock_state_is_not_rewritten_but_changes_always_are() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (store, _) = Store::open(&url).await.expect("open");
        let mut tx = store.begin_write().await.expect("begin");
        tx.upsert_account("alice", None, 0).await.expect("create");
        let read = tx.account("alice").await.expect("read").expect("found");
        let zero = read.lock_state();
        // Same state as read: skipped, and harmless.
        tx.set_lock_state("alice", zero).await.expect("same");
        let two = LockState {
            failures: 2,
            ..zero
        };
        tx.set_lock_state("alice", two).await.expect("two");
        // Back to the state first read: must be written (the row now holds 2).
        tx.set_lock_state("alice", zero).await.expect("back");
        tx.commit().await.expect("commit");
        assert_eq!(failures(&store, "alice").await, 0);

        let mut tx = store.begin_write().await.expect("begin");
        tx.account("alice").await.expect("read");
        tx.set_lock_state("alice", two).await.expect("two");
        tx.commit().await.expect("commit");
        assert_eq!(failures(&store, "alice").await, 2);
    }
}
