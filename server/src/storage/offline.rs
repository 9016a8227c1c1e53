//! The records of the channels that pause per Tigr ID typed: the offline channel (table
//! `offline_attempts`, wrong offline codes) and the OTP channel (table `otp_attempts`,
//! failed Tigr ID + password + one-time password logins). One row per Tigr ID typed with a
//! wrong answer, enrolled or not, keyed by a keyed hash of the ID (the key comes from
//! `crate::sealing`; storage never sees the ID of an unknown one). The rules are
//! `domain::offline_pause`'s; storage reads and writes what they decide, each channel in
//! its own table.
//!
//! Every write for a key is the same statement whatever the ID names, so that an enrolled
//! ID costs the same work as any other (docs/security.md, "Account enumeration").

use super::conn::Conn;

use crate::domain::offline_pause::{OFFLINE_MEMORY_SECONDS, OfflineRecord};

use super::{StorageError, Store, WriteTx};

/// A stored record.
#[derive(sqlx::FromRow)]
struct OfflineRow {
    failures: i64,
    paused_at: Option<i64>,
    paused_until: Option<i64>,
    pauses: i64,
    last_failure_at: i64,
}

impl OfflineRow {
    fn record(self) -> OfflineRecord {
        OfflineRecord::from_record(
            self.failures,
            self.paused_at,
            self.paused_until,
            self.pauses,
            Some(self.last_failure_at),
        )
    }
}

/// A channel whose records pause per Tigr ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseChannel {
    /// Offline codes typed into a login page.
    Offline,
    /// The OTP form (Tigr ID + password + one-time password).
    Otp,
}

impl PauseChannel {
    fn table(self) -> &'static str {
        match self {
            Self::Offline => "offline_attempts",
            Self::Otp => "otp_attempts",
        }
    }

    fn select_by_key(self) -> String {
        format!(
            "SELECT failures, paused_at, paused_until, pauses, last_failure_at \
             FROM {} WHERE tigr_id_key = ?",
            self.table()
        )
    }

    fn select_by_account(self) -> String {
        format!(
            "SELECT failures, paused_at, paused_until, pauses, last_failure_at FROM {} \
             WHERE account_id = ? ORDER BY last_failure_at DESC LIMIT 1",
            self.table()
        )
    }
}

/// The record that `sql` selects with `value` (a key, or an account id; the default when
/// none).
async fn read<'q, T>(conn: &mut Conn, sql: &'q str, value: T) -> Result<OfflineRecord, StorageError>
where
    T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
{
    Ok(sqlx::query_as::<_, OfflineRow>(sql)
        .bind(value)
        .fetch_optional(conn)
        .await?
        .map_or_else(OfflineRecord::default, OfflineRow::record))
}

impl Store {
    /// The offline record of the Tigr ID whose key is `key` (the default when there is none).
    pub async fn offline_record(&self, key: &[u8]) -> Result<OfflineRecord, StorageError> {
        self.pause_record(PauseChannel::Offline, key).await
    }

    /// The record of `channel` for the Tigr ID whose key is `key`.
    pub async fn pause_record(
        &self,
        channel: PauseChannel,
        key: &[u8],
    ) -> Result<OfflineRecord, StorageError> {
        read(&mut *self.read_conn().await, &channel.select_by_key(), key).await
    }

    /// The offline record linked to `account` (its own Tigr ID), for the administration.
    pub async fn offline_record_of_account(
        &self,
        account: &str,
    ) -> Result<OfflineRecord, StorageError> {
        self.pause_record_of_account(PauseChannel::Offline, account)
            .await
    }

    /// The record of `channel` linked to `account`, for the administration.
    pub async fn pause_record_of_account(
        &self,
        channel: PauseChannel,
        account: &str,
    ) -> Result<OfflineRecord, StorageError> {
        let mut conn = self.read_conn().await;
        read(&mut conn, &channel.select_by_account(), account).await
    }

    /// Deletes the offline records forgotten at `now` (see [`Store::purge_records`]).
    pub async fn purge_offline_records(
        &self,
        now: i64,
        max_records: i64,
    ) -> Result<u64, StorageError> {
        self.purge_records(PauseChannel::Offline, now, max_records)
            .await
    }

    /// Deletes the records of `channel` forgotten at `now` (last failure a week old, no
    /// pause in force), then, beyond `max_records`, those that stop mattering first (by the
    /// end of their pause, else their last failure): a flood of garbage IDs cannot grow the
    /// table without bound, and lifts long pauses last. Returns how many went. One write
    /// transaction: the count and the deletes of two instances purging at once cannot
    /// interleave (each would delete the excess, lifting pauses still in force).
    pub async fn purge_records(
        &self,
        channel: PauseChannel,
        now: i64,
        max_records: i64,
    ) -> Result<u64, StorageError> {
        let table = channel.table();
        let mut tx = self.begin_write().await?;
        let conn: &mut Conn = &mut tx.tx;
        let old = sqlx::query(&format!(
            "DELETE FROM {table} WHERE last_failure_at <= ? \
             AND (paused_until IS NULL OR paused_until <= ?)"
        ))
        .bind(now.saturating_sub(OFFLINE_MEMORY_SECONDS))
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *conn)
            .await?;
        let excess = count - max_records.max(0);
        let over = if excess > 0 {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE tigr_id_key IN (SELECT tigr_id_key FROM {table} \
                 ORDER BY CASE WHEN paused_until > last_failure_at THEN paused_until \
                 ELSE last_failure_at END LIMIT ?)"
            ))
            .bind(excess)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        } else {
            0
        };
        tx.commit().await?;
        Ok(old + over)
    }
}

impl WriteTx {
    /// The offline record of `key`, read inside the transaction.
    pub async fn offline_record(&mut self, key: &[u8]) -> Result<OfflineRecord, StorageError> {
        self.pause_record(PauseChannel::Offline, key).await
    }

    /// The record of `channel` for `key`, read inside the transaction.
    pub async fn pause_record(
        &mut self,
        channel: PauseChannel,
        key: &[u8],
    ) -> Result<OfflineRecord, StorageError> {
        read(&mut self.tx, &channel.select_by_key(), key).await
    }

    /// Stores the offline record of `key` (see [`WriteTx::set_pause_record`]).
    pub async fn set_offline_record(
        &mut self,
        key: &[u8],
        account: Option<&str>,
        record: OfflineRecord,
    ) -> Result<(), StorageError> {
        self.set_pause_record(PauseChannel::Offline, key, account, record)
            .await
    }

    /// Stores the record of `channel` for `key`, linked to `account` when the Tigr ID names
    /// one (`None` otherwise). A default record deletes the row.
    pub async fn set_pause_record(
        &mut self,
        channel: PauseChannel,
        key: &[u8],
        account: Option<&str>,
        record: OfflineRecord,
    ) -> Result<(), StorageError> {
        let table = channel.table();
        if record == OfflineRecord::default() {
            sqlx::query(&format!("DELETE FROM {table} WHERE tigr_id_key = ?"))
                .bind(key)
                .execute(&mut *self.tx)
                .await?;
            return Ok(());
        }
        sqlx::query(&format!(
            "INSERT INTO {table} (tigr_id_key, account_id, failures, paused_at, \
             paused_until, pauses, last_failure_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tigr_id_key) DO UPDATE SET account_id = excluded.account_id, \
             failures = excluded.failures, paused_at = excluded.paused_at, \
             paused_until = excluded.paused_until, pauses = excluded.pauses, \
             last_failure_at = excluded.last_failure_at"
        ))
        .bind(key)
        .bind(account)
        .bind(i64::from(record.failures))
        .bind(record.pause.map(|p| p.since))
        .bind(record.pause.map(|p| p.until))
        .bind(i64::from(record.pauses))
        .bind(record.last_failure_at.unwrap_or(0))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Links the offline record of `key` (if any) to `account`: a record written before the
    /// account existed is found by the administration from the next attempt on.
    pub async fn link_offline_record(
        &mut self,
        key: &[u8],
        account: Option<&str>,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE offline_attempts SET account_id = ? WHERE tigr_id_key = ?")
            .bind(account)
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The offline record linked to `account`, read inside the transaction.
    pub async fn offline_record_of_account(
        &mut self,
        account: &str,
    ) -> Result<OfflineRecord, StorageError> {
        self.pause_record_of_account(PauseChannel::Offline, account)
            .await
    }

    /// The record of `channel` linked to `account`, read inside the transaction.
    pub async fn pause_record_of_account(
        &mut self,
        channel: PauseChannel,
        account: &str,
    ) -> Result<OfflineRecord, StorageError> {
        read(&mut self.tx, &channel.select_by_account(), account).await
    }

    /// Forgets every offline record linked to `account` (an administrator's unblock).
    /// Returns how many there were.
    pub async fn clear_offline_records_of(&mut self, account: &str) -> Result<u64, StorageError> {
        self.clear_records_of(PauseChannel::Offline, account).await
    }

    /// Forgets every record of `channel` linked to `account`. Returns how many there were.
    pub async fn clear_records_of(
        &mut self,
        channel: PauseChannel,
        account: &str,
    ) -> Result<u64, StorageError> {
        Ok(sqlx::query(&format!(
            "DELETE FROM {} WHERE account_id = ?",
            channel.table()
        ))
        .bind(account)
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::offline_pause::Pause;

    const NOW: i64 = 1_700_000_000;

    use super::super::temporary_store as store;

    fn counted(failures: u32, at: i64) -> OfflineRecord {
        OfflineRecord {
            failures,
            last_failure_at: Some(at),
            ..OfflineRecord::default()
        }
    }

    async fn rows(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM offline_attempts")
            .fetch_one(&mut *store.read_conn().await)
            .await
            .expect("count")
    }

    #[tokio::test]
    async fn records_round_trip_link_and_clear() {
        let (_dir, store) = store().await;
        let paused = OfflineRecord {
            failures: 5,
            pause: Some(Pause {
                since: NOW,
                until: NOW + 900,
            }),
            pauses: 1,
            last_failure_at: Some(NOW),
        };
        let mut tx = store.begin_write().await.expect("begin");
        tx.set_offline_record(b"k-unknown", None, counted(2, NOW))
            .await
            .expect("unknown");
        tx.set_offline_record(b"k-alice", None, paused)
            .await
            .expect("alice, before her account existed");
        tx.commit().await.expect("commit");
        assert_eq!(
            store.offline_record(b"k-unknown").await.expect("read"),
            counted(2, NOW)
        );
        assert_eq!(
            store.offline_record(b"k-alice").await.expect("read"),
            paused
        );
        assert_eq!(
            store.offline_record(b"k-none").await.expect("read"),
            OfflineRecord::default()
        );
        // Not linked yet: the administration does not see it; linked, it does.
        assert_eq!(
            store
                .offline_record_of_account("alice")
                .await
                .expect("read"),
            OfflineRecord::default()
        );
        let mut tx = store.begin_write().await.expect("begin");
        tx.link_offline_record(b"k-alice", Some("alice"))
            .await
            .expect("link");
        assert_eq!(
            tx.offline_record_of_account("alice").await.expect("read"),
            paused
        );
        assert_eq!(
            tx.clear_offline_records_of("alice").await.expect("clear"),
            1
        );
        // A default record deletes the row.
        tx.set_offline_record(b"k-unknown", None, OfflineRecord::default())
            .await
            .expect("reset");
        tx.commit().await.expect("commit");
        assert_eq!(rows(&store).await, 0);
    }

    #[tokio::test]
    async fn the_purge_forgets_old_records_then_the_oldest_beyond_the_bound() {
        let (_dir, store) = store().await;
        let week = OFFLINE_MEMORY_SECONDS;
        let mut tx = store.begin_write().await.expect("begin");
        // Forgotten: a week old without a pause in force.
        tx.set_offline_record(b"old", None, counted(3, NOW - week))
            .await
            .expect("old");
        // Kept: a long pause still in force, although its failure is old.
        let long = OfflineRecord {
            failures: 5,
            pause: Some(Pause {
                since: NOW - week - 10,
                until: NOW + 10,
            }),
            pauses: 9,
            last_failure_at: Some(NOW - week - 10),
        };
        tx.set_offline_record(b"paused", None, long)
            .await
            .expect("paused");
        for (i, key) in [b"r1", b"r2", b"r3"].iter().enumerate() {
            let at = NOW - 100 + i64::try_from(i).expect("small");
            tx.set_offline_record(*key, None, counted(1, at))
                .await
                .expect("recent");
        }
        tx.commit().await.expect("commit");
        assert_eq!(rows(&store).await, 5);
        // Bound of 3: "old" goes by age, then the one that stops mattering first ("r1";
        // "paused" is paused until later).
        assert_eq!(store.purge_offline_records(NOW, 3).await.expect("purge"), 2);
        assert_eq!(rows(&store).await, 3);
        assert_eq!(
            store.offline_record(b"old").await.expect("read"),
            OfflineRecord::default()
        );
        assert_eq!(store.offline_record(b"paused").await.expect("read"), long);
        assert_eq!(
            store.offline_record(b"r1").await.expect("read"),
            OfflineRecord::default()
        );
        assert_eq!(
            store.offline_record(b"r3").await.expect("read"),
            counted(1, NOW - 98)
        );
        // Nothing more to do.
        assert_eq!(store.purge_offline_records(NOW, 3).await.expect("purge"), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_purge_waits_for_the_database_write_lock() {
        let (dir, store) = store().await;
        let mut tx = store.begin_write().await.expect("begin");
        tx.set_offline_record(b"old", None, counted(3, NOW - OFFLINE_MEMORY_SECONDS))
            .await
            .expect("old");
        tx.commit().await.expect("commit");
        // Another instance (or command) holds the write lock: SQLite's, or on PostgreSQL
        // the instances' advisory lock, which only a write transaction takes.
        let url = super::super::postgres::test_database_url(dir.path(), "t.db");
        let (other, _) = Store::open(&url).await.expect("second store");
        let held = other.begin_write().await.expect("the other's transaction");
        let purge = tokio::spawn({
            let store = store.clone();
            async move { store.purge_offline_records(NOW, 100).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!purge.is_finished(), "the purge waits for the lock");
        drop(held);
        assert_eq!(purge.await.expect("task").expect("purge"), 1);
    }
}
