//! Web sessions (logged-in browsers) and the key of the pages' CSRF tokens.
//!
//! A session is found by the SHA-256 of its id (the cookie value); the id itself is never
//! stored.

use super::accounts::{Account, account_columns};
use super::conn::Flag;
use super::{AuditEvent, StorageError, Store, WriteTx};

/// Key in `meta` of the HMAC key that derives CSRF tokens.
const CSRF_KEY: &str = "web_csrf_key";

/// A stored web session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebSessionRecord {
    /// SHA-256 of the session id.
    pub id_hash: Vec<u8>,
    /// The logged-in account.
    pub account_id: String,
    /// Login time (selected as `session_created_at`: the account has a `created_at` too).
    #[sqlx(rename = "session_created_at")]
    pub created_at: i64,
    /// Last request seen (updated at most once a minute).
    pub last_seen_at: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// The challenge that opened the session (none for the OTP form).
    pub challenge_id: Option<String>,
    /// `qr`, `offline` or `otp_email`.
    pub method: String,
    /// Browser IP at login.
    pub ip: String,
    /// Browser summary at login.
    pub user_agent: String,
    /// The OpenID Connect session id (`sid` of ID and logout tokens).
    pub sid: String,
    /// Time of the latest authentication (the login, or a later re-authentication).
    pub auth_time: i64,
}

/// The columns of [`WebSessionRecord`] in a `SELECT` from `web_sessions` (a macro, for
/// `concat!`).
macro_rules! session_columns {
    () => {
        "id_hash, account_id, web_sessions.created_at AS session_created_at, last_seen_at, \
         expires_at, challenge_id, method, ip, user_agent, sid, auth_time"
    };
}

/// A session joined with its account, found by `$column`.
macro_rules! select_session_and_account {
    ($column:literal) => {
        concat!(
            "SELECT ",
            session_columns!(),
            ", ",
            account_columns!(),
            " FROM web_sessions JOIN accounts ON accounts.id = web_sessions.account_id WHERE ",
            $column,
            " = ?"
        )
    };
}

/// A session and its account, read in one statement (every request with a session cookie
/// needs both).
#[derive(sqlx::FromRow)]
struct SessionAndAccount {
    #[sqlx(flatten)]
    session: WebSessionRecord,
    #[sqlx(flatten)]
    account: Account,
}

/// How a session is found.
#[derive(Debug, Clone, Copy)]
pub enum SessionKey<'a> {
    /// By the SHA-256 of its id (the cookie).
    IdHash(&'a [u8]),
    /// By its OpenID Connect session id.
    Sid(&'a str),
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
    /// The approved challenge (none for the OTP form).
    pub challenge_id: Option<&'a str>,
    /// `qr`, `offline` or `otp_email`.
    pub method: &'a str,
    /// Browser IP.
    pub ip: &'a str,
    /// Browser summary.
    pub user_agent: &'a str,
    /// The OpenID Connect session id.
    pub sid: &'a str,
}

impl Store {
    /// The session found by `key` with its account, in one read (every session names an
    /// existing account: a foreign key).
    pub async fn web_session_and_account(
        &self,
        key: SessionKey<'_>,
    ) -> Result<Option<(WebSessionRecord, Account)>, StorageError> {
        let statement = match key {
            SessionKey::IdHash(hash) => {
                sqlx::query_as::<_, SessionAndAccount>(select_session_and_account!("id_hash"))
                    .bind(hash)
            }
            SessionKey::Sid(sid) => {
                sqlx::query_as::<_, SessionAndAccount>(select_session_and_account!("sid")).bind(sid)
            }
        };
        Ok(statement
            .fetch_optional(&mut *self.read_conn().await)
            .await?
            .map(|row| (row.session, row.account)))
    }

    /// The sessions of an account, newest first (for administrators).
    pub async fn web_sessions_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<WebSessionRecord>, StorageError> {
        Ok(sqlx::query_as::<_, WebSessionRecord>(concat!(
            "SELECT ",
            session_columns!(),
            " FROM web_sessions WHERE account_id = ? ORDER BY created_at DESC"
        ))
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
        self.meta_value_or_insert(CSRF_KEY, fresh).await
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
             expires_at, challenge_id, method, ip, user_agent, sid, auth_time) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (challenge_id) DO NOTHING",
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
        .bind(s.sid)
        .bind(s.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends one session; returns its account and OpenID Connect `sid` when it existed.
    pub async fn delete_web_session(
        &mut self,
        id_hash: &[u8],
    ) -> Result<Option<(String, String)>, StorageError> {
        Ok(sqlx::query_as::<_, (String, String)>(
            "DELETE FROM web_sessions WHERE id_hash = ? RETURNING account_id, sid",
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
        Ok(sqlx::query_scalar::<_, Flag>(
            "SELECT EXISTS (SELECT 1 FROM audit JOIN devices ON devices.id = audit.device_id \
             WHERE audit.account_id = ?1 AND audit.at >= ?2 AND audit.challenge_id = ?3 \
             AND audit.event = ?4 AND devices.account_id = ?1 AND devices.revoked_at IS NULL)",
        )
        .bind(account_id)
        .bind(approved_since)
        .bind(challenge_id)
        .bind(AuditEvent::Approved.as_str())
        .fetch_one(&mut *self.tx)
        .await?
        .into())
    }

    /// A new authentication of the session `id_hash` by its own account (the login page
    /// asked again, e.g. for `prompt=login`): the approved `challenge_id`, `method` and
    /// `auth_time` change; the id, `sid` and the absolute end stay. False (nothing changed)
    /// when the session is gone, or when that challenge opened or renewed a session already
    /// (one session per challenge).
    pub async fn reauthenticate_web_session(
        &mut self,
        id_hash: &[u8],
        challenge_id: Option<&str>,
        method: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE web_sessions SET challenge_id = ?1, method = ?2, auth_time = ?3, \
             last_seen_at = ?3 WHERE id_hash = ?4 \
             AND NOT EXISTS (SELECT 1 FROM web_sessions WHERE challenge_id = ?1)",
        )
        .bind(challenge_id)
        .bind(method)
        .bind(now)
        .bind(id_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of an account at `now` (an administrator disabled it), with
    /// their OpenID Connect side (access tokens revoked, logout tokens queued); returns how
    /// many sessions.
    pub async fn delete_web_sessions_of(
        &mut self,
        account_id: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        let sids = sqlx::query_scalar::<_, String>(
            "DELETE FROM web_sessions WHERE account_id = ? RETURNING sid",
        )
        .bind(account_id)
        .fetch_all(&mut *self.tx)
        .await?;
        for sid in &sids {
            self.end_oidc_session(sid, now).await?;
        }
        Ok(u64::try_from(sids.len()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One read finds the session by either key with its account, each `created_at` its
    /// own (the two tables share the column name).
    #[tokio::test]
    async fn a_session_is_read_with_its_account_by_id_hash_or_sid() {
        let (_dir, store) = crate::storage::temporary_store().await;
        let mut tx = store.begin_write().await.expect("tx");
        tx.upsert_account("alice", Some("Alice Martin"), 1_000)
            .await
            .expect("account");
        let id_hash = [7u8; 32];
        let opened = tx
            .insert_web_session(&NewWebSession {
                id_hash: &id_hash,
                account_id: "alice",
                created_at: 2_000,
                expires_at: 9_000,
                challenge_id: Some("c1"),
                method: "qr",
                ip: "192.0.2.1",
                user_agent: "Firefox · Linux",
                sid: "sid-1",
            })
            .await
            .expect("session");
        assert!(opened);
        tx.commit().await.expect("commit");

        let by_hash = store
            .web_session_and_account(SessionKey::IdHash(&id_hash))
            .await
            .expect("read")
            .expect("found");
        let by_sid = store
            .web_session_and_account(SessionKey::Sid("sid-1"))
            .await
            .expect("read")
            .expect("found");
        assert_eq!(by_hash, by_sid);
        let (session, account) = by_hash;
        assert_eq!(
            session,
            WebSessionRecord {
                id_hash: id_hash.to_vec(),
                account_id: "alice".into(),
                created_at: 2_000,
                last_seen_at: 2_000,
                expires_at: 9_000,
                challenge_id: Some("c1".into()),
                method: "qr".into(),
                ip: "192.0.2.1".into(),
                user_agent: "Firefox · Linux".into(),
                sid: "sid-1".into(),
                auth_time: 2_000,
            }
        );
        assert_eq!(account.id, "alice");
        assert_eq!(account.display_name, "Alice Martin");
        assert_eq!(account.created_at, 1_000);
        for missing in [SessionKey::IdHash(&[8u8; 32]), SessionKey::Sid("sid-2")] {
            assert!(
                store
                    .web_session_and_account(missing)
                    .await
                    .expect("read")
                    .is_none()
            );
        }
    }
}
