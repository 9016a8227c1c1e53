//! The OTP mode's tables: passwords (argon2id PHC strings), password invitations (SHA-256
//! of the code), the e-mail code in force per account (keyed MAC) and the codes mailed
//! (for the send limits). The OTP channel's lockout records are in `offline.rs`
//! ([`super::PauseChannel::Otp`]).

use crate::domain::email_code::{RecentSends, SEND_WINDOW, StoredCode};
use crate::domain::enrollment::EnrollmentCode;

use super::{StorageError, Store, WriteTx};

#[derive(sqlx::FromRow)]
struct InvitationRow {
    account_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    cancelled_at: Option<i64>,
}

impl From<InvitationRow> for EnrollmentCode {
    fn from(row: InvitationRow) -> Self {
        Self {
            account_id: row.account_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            cancelled_at: row.cancelled_at,
        }
    }
}

const SELECT_INVITATION: &str = "SELECT account_id, created_at, expires_at, used_at, \
     cancelled_at FROM password_invitations WHERE code_hash = ?";

/// The tables of single-use invitation links that share their rules.
#[derive(Debug, Clone, Copy)]
pub(super) enum InvitationTable {
    /// `password_invitations`.
    Password,
    /// `token_invitations`.
    Token,
}

impl InvitationTable {
    fn name(self) -> &'static str {
        match self {
            Self::Password => "password_invitations",
            Self::Token => "token_invitations",
        }
    }
}

/// A password invitation to insert.
#[derive(Debug)]
pub struct NewPasswordInvitation<'a> {
    /// SHA-256 of the code.
    pub code_hash: &'a [u8],
    /// The account whose password it sets.
    pub account_id: &'a str,
    /// Creation time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// Who issued it (`cli:<user>`, `web:<admin>`).
    pub created_by: &'a str,
}

impl Store {
    /// The PHC string of `account`'s password, if it has one.
    pub async fn password_of(&self, account: &str) -> Result<Option<String>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT phc FROM passwords WHERE account_id = ?")
                .bind(account)
                .fetch_optional(&mut *self.read_conn().await)
                .await?,
        )
    }

    /// When `account`'s password was set, if it has one.
    pub async fn password_set_at(&self, account: &str) -> Result<Option<i64>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT set_at FROM passwords WHERE account_id = ?")
                .bind(account)
                .fetch_optional(&mut *self.read_conn().await)
                .await?,
        )
    }

    /// The password invitation whose code hashes to `code_hash`.
    pub async fn password_invitation(
        &self,
        code_hash: &[u8],
    ) -> Result<Option<EnrollmentCode>, StorageError> {
        Ok(sqlx::query_as::<_, InvitationRow>(SELECT_INVITATION)
            .bind(code_hash)
            .fetch_optional(&mut *self.read_conn().await)
            .await?
            .map(Into::into))
    }

    /// The e-mail code in force for `account`: its MAC and times.
    pub async fn email_code(
        &self,
        account: &str,
    ) -> Result<Option<(Vec<u8>, StoredCode)>, StorageError> {
        let row: Option<(Vec<u8>, i64, i64)> = sqlx::query_as(
            "SELECT code_mac, sent_at, expires_at FROM email_codes WHERE account_id = ?",
        )
        .bind(account)
        .fetch_optional(&mut *self.read_conn().await)
        .await?;
        Ok(row.map(|(mac, sent_at, expires_at)| {
            (
                mac,
                StoredCode {
                    sent_at,
                    expires_at,
                },
            )
        }))
    }

    /// The codes mailed to `account` and to `address` in the hour before `now`.
    pub async fn recent_sends(
        &self,
        account: &str,
        address: &str,
        now: i64,
    ) -> Result<RecentSends, StorageError> {
        let since = now - SEND_WINDOW;
        let mut conn = self.read_conn().await;
        let (to_account, oldest_to_account, last_to_account): (i64, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT COUNT(*), MIN(sent_at), MAX(sent_at) FROM email_sends \
                 WHERE account_id = ? AND sent_at > ?",
            )
            .bind(account)
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
        let (to_address, oldest_to_address): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(sent_at) FROM email_sends WHERE address = ? AND sent_at > ?",
        )
        .bind(address)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(RecentSends {
            last_to_account,
            to_account: count(to_account),
            oldest_to_account,
            to_address: count(to_address),
            oldest_to_address,
        })
    }

    /// Deletes the records of sends older than a day and expired e-mail codes. Returns how
    /// many rows went.
    pub async fn purge_email_codes(&self, now: i64) -> Result<u64, StorageError> {
        let mut conn = self.write_conn().await;
        let sends = sqlx::query("DELETE FROM email_sends WHERE sent_at <= ?")
            .bind(now - 24 * SEND_WINDOW)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let codes = sqlx::query("DELETE FROM email_codes WHERE expires_at <= ?")
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        Ok(sends + codes)
    }
}

impl WriteTx {
    /// Sets (or replaces) `account`'s password.
    pub async fn set_password(
        &mut self,
        account: &str,
        phc: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO passwords (account_id, phc, set_at) VALUES (?, ?, ?) \
             ON CONFLICT (account_id) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
        )
        .bind(account)
        .bind(phc)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Inserts a password invitation after cancelling the account's unused ones at its
    /// creation time. Returns how many were cancelled.
    pub async fn insert_password_invitation(
        &mut self,
        invitation: &NewPasswordInvitation<'_>,
    ) -> Result<u64, StorageError> {
        let cancelled = sqlx::query(
            "UPDATE password_invitations SET cancelled_at = ? WHERE account_id = ? \
             AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?",
        )
        .bind(invitation.created_at)
        .bind(invitation.account_id)
        .bind(invitation.created_at)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO password_invitations (code_hash, account_id, created_at, expires_at, \
             created_by) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(invitation.code_hash)
        .bind(invitation.account_id)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .bind(invitation.created_by)
        .execute(&mut *self.tx)
        .await?;
        Ok(cancelled)
    }

    /// Marks the invitation used if it is unused, not cancelled and unexpired at `now`;
    /// false otherwise (single use, also under concurrent posts).
    pub async fn consume_password_invitation(
        &mut self,
        code_hash: &[u8],
        now: i64,
    ) -> Result<bool, StorageError> {
        self.consume_invitation_code(InvitationTable::Password, code_hash, now)
            .await
    }

    /// Marks the invitation of `table` whose code hashes to `code_hash` used if it is usable
    /// at `now` (single use: of two simultaneous posts, one wins).
    pub(super) async fn consume_invitation_code(
        &mut self,
        table: InvitationTable,
        code_hash: &[u8],
        now: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query(&format!(
            "UPDATE {} SET used_at = ? WHERE code_hash = ? \
             AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?",
            table.name()
        ))
        .bind(now)
        .bind(code_hash)
        .bind(now)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records a code mailed to `account` at `address`: it replaces (voids) the previous one.
    pub async fn replace_email_code(
        &mut self,
        account: &str,
        address: &str,
        code_mac: &[u8],
        code: StoredCode,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO email_codes (account_id, code_mac, sent_at, expires_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET \
             code_mac = excluded.code_mac, sent_at = excluded.sent_at, \
             expires_at = excluded.expires_at",
        )
        .bind(account)
        .bind(code_mac)
        .bind(code.sent_at)
        .bind(code.expires_at)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("INSERT INTO email_sends (account_id, address, sent_at) VALUES (?, ?, ?)")
            .bind(account)
            .bind(address)
            .bind(code.sent_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Uses `account`'s e-mail code: deletes it if its MAC is `code_mac` and it is valid at
    /// `now`. True when it was (single use: of two simultaneous uses, one wins).
    pub async fn consume_email_code(
        &mut self,
        account: &str,
        code_mac: &[u8],
        now: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "DELETE FROM email_codes WHERE account_id = ? AND code_mac = ? AND expires_at > ?",
        )
        .bind(account)
        .bind(code_mac)
        .bind(now)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }
}
