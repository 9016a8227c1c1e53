//! Web sessions (logged-in browsers) and the key of the pages' CSRF tokens.
//!
//! A session is found by the SHA-256 of its id (the cookie value); the id itself is never
//! stored.

use super::{AuditEvent, SqliteStore, StorageError, WriteTx};

/// Key in `meta` of the HMAC key that derives CSRF tokens.
const CSRF_KEY: &str = "web_csrf_key";

/// A stored web session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebSessionRecord {
    /// SHA-256 of the session id.
    pub id_hash: Vec<u8>,
    /// The logged-in account.
    pub account_id: String,
    /// Login time.
    pub created_at: i64,
    /// Last request seen (updated at most once a minute).
    pub last_seen_at: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// The challenge that opened the session.
    pub challenge_id: String,
    /// `qr` or `offline`.
    pub method: String,
    /// Browser IP at login.
    pub ip: String,
    /// Browser summary at login.
    pub user_agent: String,
}

/// A session to insert.
#[derive(Debug)]
pub struct NewWebSession<'a> {
    /// SHA-256 of the session id.
    pub id_hash: &'a [u8],
    /// The account.
    pub account_id: &'a str,
    /// Login time.
    pub created_at: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// The approved challenge.
    pub challenge_id: &'a str,
    /// `qr` or `offline`.
    pub method: &'a str,
    /// Browser IP.
    pub ip: &'a str,
    /// Browser summary.
    pub user_agent: &'a str,
}

impl SqliteStore {
    /// The session whose id hashes to `id_hash`.
    pub async fn web_session(
        &self,
        id_hash: &[u8],
    ) -> Result<Option<WebSessionRecord>, StorageError> {
        Ok(sqlx::query_as::<_, WebSessionRecord>(
            "SELECT id_hash, account_id, created_at, last_seen_at, expires_at, challenge_id, \
             method, ip, user_agent FROM web_sessions WHERE id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }

    /// The sessions of an account, newest first (for administrators).
    pub async fn web_sessions_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<WebSessionRecord>, StorageError> {
        Ok(sqlx::query_as::<_, WebSessionRecord>(
            "SELECT id_hash, account_id, created_at, last_seen_at, expires_at, challenge_id, \
             method, ip, user_agent FROM web_sessions WHERE account_id = ? \
             ORDER BY created_at DESC",
        )
        .bind(account_id)
        .fetch_all(&mut *self.read_conn().await)
        .await?)
    }

    /// Records activity: `last_seen_at = now`.
    pub async fn touch_web_session(&self, id_hash: &[u8], now: i64) -> Result<(), StorageError> {
        let mut conn = self.write_conn().await;
        sqlx::query("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?")
            .bind(now)
            .bind(id_hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Deletes sessions that ended: absolute limit reached, or idle since before
    /// `idle_before`. Returns how many.
    pub async fn purge_web_sessions(
        &self,
        now: i64,
        idle_before: i64,
    ) -> Result<u64, StorageError> {
        let mut conn = self.write_conn().await;
        let done =
            sqlx::query("DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen_at < ?")
                .bind(now)
                .bind(idle_before)
                .execute(&mut *conn)
                .await?;
        Ok(done.rows_affected())
    }

    /// The CSRF key, created (32 random bytes from `fresh`) on first use.
    pub async fn web_csrf_key(&self, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        let mut conn = self.write_conn().await;
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(CSRF_KEY)
            .bind(fresh)
            .execute(&mut *conn)
            .await?;
        Ok(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM meta WHERE key = ?")
                .bind(CSRF_KEY)
                .fetch_one(&mut *conn)
                .await?,
        )
    }
}

impl WriteTx {
    /// Inserts a session; false when the challenge already opened one (nothing inserted).
    pub async fn insert_web_session(
        &mut self,
        s: &NewWebSession<'_>,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO web_sessions (id_hash, account_id, created_at, last_seen_at, \
             expires_at, challenge_id, method, ip, user_agent) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (challenge_id) DO NOTHING",
        )
        .bind(s.id_hash)
        .bind(s.account_id)
        .bind(s.created_at)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(s.challenge_id)
        .bind(s.method)
        .bind(s.ip)
        .bind(s.user_agent)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends one session; returns its account when it existed.
    pub async fn delete_web_session(
        &mut self,
        id_hash: &[u8],
    ) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query_scalar::<_, String>(
            "DELETE FROM web_sessions WHERE id_hash = ? RETURNING account_id",
        )
        .bind(id_hash)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// True when the phone whose approval of `challenge_id` (audited at `approved_since` or
    /// later) made `account_id` log in is still the account's active phone. The approval's
    /// audit row, written in the approval's own transaction, is the record of which phone
    /// answered.
    pub async fn approving_phone_is_active(
        &mut self,
        account_id: &str,
        challenge_id: &str,
        approved_since: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM audit JOIN devices ON devices.id = audit.device_id \
             WHERE audit.account_id = ?1 AND audit.at >= ?2 AND audit.challenge_id = ?3 \
             AND audit.event = ?4 AND devices.account_id = ?1 AND devices.revoked_at IS NULL)",
        )
        .bind(account_id)
        .bind(approved_since)
        .bind(challenge_id)
        .bind(AuditEvent::Approved.as_str())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Ends every session of an account (its phone revoked or replaced: one phone per
    /// account, so every live session of the account was opened by that phone); returns how
    /// many.
    pub async fn delete_web_sessions_of(&mut self, account_id: &str) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE account_id = ?")
            .bind(account_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }
}
