//! TOTP and HOTP tokens (secrets sealed with the master key) and token invitations (SHA-256
//! of the code, the sealed secret the enrollment page shows).

use tigr_core::otp::HashAlgorithm;

use crate::domain::enrollment::EnrollmentCode;
use crate::domain::otp_token::{TokenKind, TokenParams, TokenState};

use super::otp::InvitationTable;
use super::{StorageError, Store, WriteTx};

/// Where a token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// Imported from a PSKC or CSV file (a hardware token).
    Hardware,
    /// Enrolled by its owner in an authenticator app or browser extension.
    App,
}

impl TokenOrigin {
    /// The stored spelling: `hardware` or `app`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hardware => "hardware",
            Self::App => "app",
        }
    }
}

/// A token as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// Serial number (hardware) or `app-…` (enrolled app).
    pub serial: String,
    /// Hardware or app.
    pub origin: TokenOrigin,
    /// What it computes.
    pub params: TokenParams,
    /// Last step / next counter.
    pub state: TokenState,
    /// The secret, sealed under the serial.
    pub secret_sealed: Vec<u8>,
    /// Its account (`None`: an unassigned hardware token).
    pub account_id: Option<String>,
    /// Import or enrollment time.
    pub created_at: i64,
    /// Who imported or invited it.
    pub created_by: String,
    /// When it was given to its account.
    pub assigned_at: Option<i64>,
    /// Last accepted code.
    pub last_used_at: Option<i64>,
    /// Revocation time (it never works again).
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("serial", &self.serial)
            .field("origin", &self.origin)
            .field("params", &self.params)
            .field("state", &self.state)
            .field("account_id", &self.account_id)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl StoredToken {
    /// True when it is in force (not revoked).
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    serial: String,
    kind: String,
    origin: String,
    algorithm: String,
    digits: i64,
    period: Option<i64>,
    drift_window: i64,
    last_step: Option<i64>,
    counter: i64,
    drift: i64,
    secret_sealed: Vec<u8>,
    account_id: Option<String>,
    created_at: i64,
    created_by: String,
    assigned_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRow> for StoredToken {
    type Error = StorageError;

    fn try_from(row: TokenRow) -> Result<Self, StorageError> {
        let corrupt = || StorageError::Corrupt(format!("token {}", row.serial));
        let kind = match (row.kind.as_str(), row.period) {
            ("totp", Some(period)) => TokenKind::Totp {
                period: u32::try_from(period).map_err(|_| corrupt())?,
            },
            ("hotp", None) => TokenKind::Hotp,
            _ => return Err(corrupt()),
        };
        let origin = match row.origin.as_str() {
            "hardware" => TokenOrigin::Hardware,
            "app" => TokenOrigin::App,
            _ => return Err(corrupt()),
        };
        Ok(Self {
            params: TokenParams {
                kind,
                algorithm: HashAlgorithm::parse(&row.algorithm).ok_or_else(corrupt)?,
                digits: u8::try_from(row.digits).map_err(|_| corrupt())?,
                window: u32::try_from(row.drift_window).map_err(|_| corrupt())?,
            },
            origin,
            state: TokenState {
                last_step: row.last_step,
                counter: row.counter,
                drift: row.drift,
            },
            serial: row.serial,
            secret_sealed: row.secret_sealed,
            account_id: row.account_id,
            created_at: row.created_at,
            created_by: row.created_by,
            assigned_at: row.assigned_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
    }
}

const SELECT_TOKEN: &str = "SELECT serial, kind, origin, algorithm, digits, period, \
     drift_window, last_step, counter, drift, secret_sealed, account_id, created_at, \
     created_by, assigned_at, last_used_at, revoked_at FROM otp_tokens";

/// A token invitation as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInvitationRecord {
    /// Account, times and state, as for other invitation codes.
    pub code: EnrollmentCode,
    /// The serial the enrolled token will have.
    pub serial: String,
    /// Its secret, sealed under that serial.
    pub secret_sealed: Vec<u8>,
    /// Who issued it (`cli:<user>`, `web:<admin>`).
    pub created_by: String,
}

impl std::fmt::Debug for TokenInvitationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInvitationRecord")
            .field("code", &self.code)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// A token invitation to insert.
#[derive(Debug)]
pub struct NewTokenInvitation<'a> {
    /// SHA-256 of the code.
    pub code_hash: &'a [u8],
    /// The account whose token it enrolls.
    pub account_id: &'a str,
    /// The serial the token will have.
    pub serial: &'a str,
    /// Its secret, sealed under that serial.
    pub secret_sealed: &'a [u8],
    /// Creation time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// Who issued it.
    pub created_by: &'a str,
}

impl Store {
    /// The token in force of `account`, if any.
    pub async fn token_of(&self, account: &str) -> Result<Option<StoredToken>, StorageError> {
        sqlx::query_as::<_, TokenRow>(&format!(
            "{SELECT_TOKEN} WHERE account_id = ? AND revoked_at IS NULL"
        ))
        .bind(account)
        .fetch_optional(&mut *self.read_conn().await)
        .await?
        .map(TryInto::try_into)
        .transpose()
    }

    /// Every token that was ever `account`'s, in force first, then newest first.
    pub async fn tokens_of(&self, account: &str) -> Result<Vec<StoredToken>, StorageError> {
        sqlx::query_as::<_, TokenRow>(&format!(
            "{SELECT_TOKEN} WHERE account_id = ? \
             ORDER BY revoked_at IS NOT NULL, created_at DESC, serial"
        ))
        .bind(account)
        .fetch_all(&mut *self.read_conn().await)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
    }

    /// Hardware tokens in force that no account holds, by serial.
    pub async fn unassigned_tokens(&self) -> Result<Vec<StoredToken>, StorageError> {
        sqlx::query_as::<_, TokenRow>(&format!(
            "{SELECT_TOKEN} WHERE account_id IS NULL AND revoked_at IS NULL ORDER BY serial"
        ))
        .fetch_all(&mut *self.read_conn().await)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
    }

    /// The token invitation whose code hashes to `code_hash`.
    pub async fn token_invitation(
        &self,
        code_hash: &[u8],
    ) -> Result<Option<TokenInvitationRecord>, StorageError> {
        #[allow(clippy::type_complexity)]
        let row: Option<(
            String,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            String,
            Vec<u8>,
            String,
        )> = sqlx::query_as(
            "SELECT account_id, created_at, expires_at, used_at, cancelled_at, serial, \
                 secret_sealed, created_by FROM token_invitations WHERE code_hash = ?",
        )
        .bind(code_hash)
        .fetch_optional(&mut *self.read_conn().await)
        .await?;
        Ok(row.map(
            |(account_id, created_at, expires_at, used_at, cancelled_at, serial, sealed, by)| {
                TokenInvitationRecord {
                    code: EnrollmentCode {
                        account_id,
                        created_at,
                        expires_at,
                        used_at,
                        cancelled_at,
                    },
                    serial,
                    secret_sealed: sealed,
                    created_by: by,
                }
            },
        ))
    }
}

/// A token to insert (import or enrollment).
#[derive(Debug)]
pub struct NewToken<'a> {
    /// Serial.
    pub serial: &'a str,
    /// Hardware or app.
    pub origin: TokenOrigin,
    /// What it computes.
    pub params: TokenParams,
    /// Its state: HOTP, the next counter expected; TOTP, the last step already used and the
    /// drift learned (an enrolled app's first code).
    pub state: TokenState,
    /// The sealed secret.
    pub secret_sealed: &'a [u8],
    /// Its account right away (an enrolled app), or none (an imported token).
    pub account_id: Option<&'a str>,
    /// Now.
    pub created_at: i64,
    /// Who.
    pub created_by: &'a str,
}

impl WriteTx {
    /// The token `serial`, read in this transaction.
    pub async fn token(&mut self, serial: &str) -> Result<Option<StoredToken>, StorageError> {
        sqlx::query_as::<_, TokenRow>(&format!("{SELECT_TOKEN} WHERE serial = ?"))
            .bind(serial)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// The token in force of `account`, read in this transaction.
    pub async fn token_of(&mut self, account: &str) -> Result<Option<StoredToken>, StorageError> {
        sqlx::query_as::<_, TokenRow>(&format!(
            "{SELECT_TOKEN} WHERE account_id = ? AND revoked_at IS NULL"
        ))
        .bind(account)
        .fetch_optional(&mut *self.tx)
        .await?
        .map(TryInto::try_into)
        .transpose()
    }

    /// Inserts a token.
    pub async fn insert_token(&mut self, token: &NewToken<'_>) -> Result<(), StorageError> {
        let period = match token.params.kind {
            TokenKind::Totp { period } => Some(i64::from(period)),
            TokenKind::Hotp => None,
        };
        sqlx::query(
            "INSERT INTO otp_tokens (serial, kind, origin, algorithm, digits, period, \
             drift_window, last_step, counter, drift, secret_sealed, account_id, created_at, \
             created_by, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(token.serial)
        .bind(token.params.kind.as_str())
        .bind(token.origin.as_str())
        .bind(token.params.algorithm.name())
        .bind(i64::from(token.params.digits))
        .bind(period)
        .bind(i64::from(token.params.window))
        .bind(token.state.last_step)
        .bind(token.state.counter)
        .bind(token.state.drift)
        .bind(token.secret_sealed)
        .bind(token.account_id)
        .bind(token.created_at)
        .bind(token.created_by)
        .bind(token.account_id.map(|_| token.created_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Gives the unassigned token `serial` to `account`. False when it is assigned or
    /// revoked meanwhile.
    pub async fn assign_token(
        &mut self,
        serial: &str,
        account: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "UPDATE otp_tokens SET account_id = ?, assigned_at = ? \
             WHERE serial = ? AND account_id IS NULL AND revoked_at IS NULL",
        )
        .bind(account)
        .bind(now)
        .bind(serial)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Takes the token `serial` back from its account (it may be given to another).
    pub async fn unassign_token(&mut self, serial: &str) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "UPDATE otp_tokens SET account_id = NULL, assigned_at = NULL \
             WHERE serial = ? AND revoked_at IS NULL AND account_id IS NOT NULL",
        )
        .bind(serial)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Revokes the token `serial` for good. False when it already was.
    pub async fn revoke_token(&mut self, serial: &str, now: i64) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "UPDATE otp_tokens SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(serial)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records an accepted code: moves the token from state `seen` to `next` (last step,
    /// counter and drift in one conditional UPDATE). False when another login moved it since
    /// `seen` was read (of two simultaneous uses of a code, one wins).
    pub async fn use_token(
        &mut self,
        serial: &str,
        seen: TokenState,
        next: TokenState,
        now: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "UPDATE otp_tokens SET last_step = ?, counter = ?, drift = ?, last_used_at = ? \
             WHERE serial = ? AND revoked_at IS NULL AND last_step IS NOT DISTINCT FROM ? AND counter = ? \
             AND drift = ?",
        )
        .bind(next.last_step)
        .bind(next.counter)
        .bind(next.drift)
        .bind(now)
        .bind(serial)
        .bind(seen.last_step)
        .bind(seen.counter)
        .bind(seen.drift)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Inserts a token invitation after cancelling the account's unused ones. Returns how
    /// many were cancelled.
    pub async fn insert_token_invitation(
        &mut self,
        invitation: &NewTokenInvitation<'_>,
    ) -> Result<u64, StorageError> {
        let cancelled = self
            .cancel_token_invitations(invitation.account_id, invitation.created_at)
            .await?;
        sqlx::query(
            "INSERT INTO token_invitations (code_hash, account_id, serial, secret_sealed, \
             created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(invitation.code_hash)
        .bind(invitation.account_id)
        .bind(invitation.serial)
        .bind(invitation.secret_sealed)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .bind(invitation.created_by)
        .execute(&mut *self.tx)
        .await?;
        Ok(cancelled)
    }

    /// Marks the token invitation used if it is usable at `now` (single use).
    pub async fn consume_token_invitation(
        &mut self,
        code_hash: &[u8],
        now: i64,
    ) -> Result<bool, StorageError> {
        self.consume_invitation_code(InvitationTable::Token, code_hash, now)
            .await
    }

    /// Cancels the unused token invitations of `account`. Returns how many.
    pub async fn cancel_token_invitations(
        &mut self,
        account: &str,
        now: i64,
    ) -> Result<u64, StorageError> {
        Ok(sqlx::query(
            "UPDATE token_invitations SET cancelled_at = ? WHERE account_id = ? \
             AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(account)
        .bind(now)
        .execute(&mut *self.tx)
        .await?
        .rows_affected())
    }
}
