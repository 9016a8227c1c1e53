//! Login challenges.

use crate::domain::challenge::{LoginChallenge, StoredState};

use super::{SqliteStore, StorageError, WriteTx};

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
    /// Stores a new pending challenge.
    pub async fn insert_challenge(&self, c: &NewChallenge<'_>) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO challenges (id, nonce, browser_token_hash, created_at, expires_at, \
             state, browser_ip, browser_user_agent) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(c.id)
        .bind(c.nonce)
        .bind(c.browser_token_hash)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(c.browser_ip)
        .bind(c.browser_summary)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The challenge with this identifier.
    pub async fn challenge(&self, id: &str) -> Result<Option<LoginChallenge>, StorageError> {
        sqlx::query_as::<_, ChallengeRow>(
            "SELECT id, nonce, browser_token_hash, created_at, expires_at, state, account_id, \
             browser_ip, browser_user_agent, decided_at FROM challenges WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?
        .map(TryInto::try_into)
        .transpose()
    }

    /// pending -> scanned, if still pending and unexpired at `now`; true when changed.
    pub async fn mark_scanned(&self, id: &str, now: i64) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE challenges SET state = 'scanned' \
             WHERE id = ? AND state = 'pending' AND expires_at > ?",
        )
        .bind(id)
        .bind(now)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes challenges that expired before `before`; returns how many.
    pub async fn purge_challenges(&self, before: i64) -> Result<u64, StorageError> {
        let done = sqlx::query("DELETE FROM challenges WHERE expires_at < ?")
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
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
        let done = sqlx::query(
            "UPDATE challenges SET state = ?, account_id = ?, decided_at = ? \
             WHERE id = ? AND state IN ('pending', 'scanned') AND expires_at > ?",
        )
        .bind(decision.as_str())
        .bind(account)
        .bind(now)
        .bind(id)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
