//! The append-only audit trail (UPDATE and DELETE are aborted by triggers).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::conn::Conn;

use super::writer::{Hold, Tx};
use super::{StorageError, Store, WriteTx, insert_rows};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    /// An enrollment code was issued.
    EnrollmentCreated,
    /// A phone was enrolled.
    Enrolled,
    /// A phone was revoked (e.g. replaced by a new enrollment).
    DeviceRevoked,
    /// A login challenge was approved (signature or offline code).
    Approved,
    /// A login challenge was denied from the phone ("this wasn't me").
    Denied,
    /// A wrong signature (phone channel) or offline code of an account with a usable
    /// phone (offline channel), counted on its channel (`via=` says which).
    ResponseFailed,
    /// The account reached the phone channel's failure threshold and is now blocked.
    AccountBlocked,
    /// An approval of a blocked account, refused without being checked; or an offline
    /// code typed for an account whose phone channel is blocked (refused like any code
    /// the offline form does not accept, and counted on the offline channel).
    RefusedBlocked,
    /// A denial with a wrong identity signature (not counted).
    DenyFailed,
    /// An offline code typed for a Tigr ID without a usable phone: unknown, disabled, or
    /// without an active phone (counted on the offline channel like any wrong code; the
    /// ID of an unknown account is not recorded).
    UnknownAccount,
    /// The offline channel's failure threshold was reached for a Tigr ID: offline codes
    /// for it are paused for a while (`until=`), the QR login is not.
    OfflinePaused,
    /// An offline code typed for a Tigr ID whose offline form is paused, refused without
    /// being checked.
    RefusedOfflinePaused,
    /// A browser logged in to the web pages (a session was opened).
    WebLogin,
    /// A web session ended by logout.
    WebLogout,
    /// An administrator created an account.
    AccountCreated,
    /// An administrator changed an account's name, e-mail or role.
    AccountUpdated,
    /// An administrator disabled an account (no login, no enrollment).
    AccountDisabled,
    /// An administrator enabled a disabled account again.
    AccountEnabled,
    /// An administrator lifted a block (and reset the failure counter).
    AccountUnblocked,
    /// An administrator cancelled an unused enrollment invitation.
    EnrollmentCancelled,
    /// The first administrator was set up (`tigr-server admin bootstrap`).
    AdminBootstrap,
    /// An administrator exported (part of) the audit trail.
    AuditExported,
    /// An administrator issued a password invitation (first password or reset).
    PasswordInvitationCreated,
    /// A password was set (`via=invitation`) or changed by its owner (`via=change`).
    PasswordSet,
    /// A one-time password was mailed (after a right Tigr ID and password).
    EmailCodeSent,
    /// A failed login of the OTP form (wrong Tigr ID, password or code, or a wrong password
    /// before a send), counted on the OTP channel of the Tigr ID typed.
    OtpFailed,
    /// The OTP channel's failure threshold was reached for a Tigr ID: the OTP form is
    /// paused for it for a while (`until=`), the QR login is not.
    OtpPaused,
    /// An attempt of the OTP form for a Tigr ID whose OTP form is paused, refused without
    /// being checked.
    RefusedOtpPaused,
    /// A card certificate approved a login (its identifier and how it arrived in `detail`).
    CardLogin,
    /// A card certificate was refused (`reason=` in `detail`: expired, revoked, unbound…).
    CardRefused,
    /// An administrator bound a card (national identifier or fingerprint) to an account.
    CardBound,
    /// An administrator removed a card binding.
    CardUnbound,
    /// A browser's web session authorized an OpenID Connect client (a code was issued).
    OidcAuthorized,
    /// The token endpoint issued an ID token and an access token for a code.
    OidcTokensIssued,
    /// A code was presented again: refused, and what its first use issued revoked.
    OidcCodeReplayed,
    /// A client failed to authenticate at the token endpoint (wrong secret or assertion).
    OidcClientAuthFailed,
    /// A back-channel logout token was delivered to a client.
    OidcLogoutDelivered,
    /// A back-channel logout token could not be delivered after its retries.
    OidcLogoutFailed,
    /// An administrator registered an OpenID Connect client.
    OidcClientRegistered,
    /// An administrator changed a client's registration.
    OidcClientUpdated,
    /// An administrator removed a client.
    OidcClientRemoved,
    /// An administrator gave a client a new secret (the old one stops working).
    OidcSecretRotated,
    /// The provider's signing key was created or rotated.
    OidcKeyRotated,
    /// An administrator imported hardware tokens from a PSKC or CSV file (`count=`, `format=`).
    TokensImported,
    /// An administrator gave a hardware token to an account (`serial=`).
    TokenAssigned,
    /// An administrator took a hardware token back from an account (`serial=`).
    TokenUnassigned,
    /// An administrator revoked a token: it never works again (`serial=`).
    TokenRevoked,
    /// An administrator resynchronised a token from two consecutive codes (`serial=` and
    /// `counter=` for HOTP, `drift=` in steps for TOTP).
    TokenResynced,
    /// An administrator issued a token invitation (an authenticator app to enroll).
    TokenInvitationCreated,
    /// An account's owner enrolled an authenticator app with a first valid code (`serial=`; a previous token is revoked, `replaced=`).
    TokenEnrolled,
}

impl AuditEvent {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnrollmentCreated => "enrollment_created",
            Self::Enrolled => "enrolled",
            Self::DeviceRevoked => "device_revoked",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::ResponseFailed => "response_failed",
            Self::AccountBlocked => "account_blocked",
            Self::RefusedBlocked => "refused_blocked",
            Self::DenyFailed => "deny_failed",
            Self::UnknownAccount => "unknown_account",
            Self::OfflinePaused => "offline_paused",
            Self::RefusedOfflinePaused => "refused_offline_paused",
            Self::WebLogin => "web_login",
            Self::WebLogout => "web_logout",
            Self::AccountCreated => "account_created",
            Self::AccountUpdated => "account_updated",
            Self::AccountDisabled => "account_disabled",
            Self::AccountEnabled => "account_enabled",
            Self::AccountUnblocked => "account_unblocked",
            Self::EnrollmentCancelled => "enrollment_cancelled",
            Self::AdminBootstrap => "admin_bootstrap",
            Self::AuditExported => "audit_exported",
            Self::PasswordInvitationCreated => "password_invitation_created",
            Self::PasswordSet => "password_set",
            Self::EmailCodeSent => "email_code_sent",
            Self::OtpFailed => "otp_failed",
            Self::OtpPaused => "otp_paused",
            Self::RefusedOtpPaused => "refused_otp_paused",
            Self::CardLogin => "card_login",
            Self::CardRefused => "card_refused",
            Self::CardBound => "card_bound",
            Self::CardUnbound => "card_unbound",
            Self::OidcAuthorized => "oidc_authorized",
            Self::OidcTokensIssued => "oidc_tokens_issued",
            Self::OidcCodeReplayed => "oidc_code_replayed",
            Self::OidcClientAuthFailed => "oidc_client_auth_failed",
            Self::OidcLogoutDelivered => "oidc_logout_delivered",
            Self::OidcLogoutFailed => "oidc_logout_failed",
            Self::OidcClientRegistered => "oidc_client_registered",
            Self::OidcClientUpdated => "oidc_client_updated",
            Self::OidcClientRemoved => "oidc_client_removed",
            Self::OidcSecretRotated => "oidc_secret_rotated",
            Self::OidcKeyRotated => "oidc_key_rotated",
            Self::TokensImported => "tokens_imported",
            Self::TokenAssigned => "token_assigned",
            Self::TokenUnassigned => "token_unassigned",
            Self::TokenRevoked => "token_revoked",
            Self::TokenResynced => "token_resynced",
            Self::TokenInvitationCreated => "token_invitation_created",
            Self::TokenEnrolled => "token_enrolled",
        }
    }

    /// Every event, in the order of the list above (for filters in admin pages).
    pub const ALL: &'static [Self] = &[
        Self::EnrollmentCreated,
        Self::Enrolled,
        Self::DeviceRevoked,
        Self::Approved,
        Self::Denied,
        Self::ResponseFailed,
        Self::AccountBlocked,
        Self::RefusedBlocked,
        Self::DenyFailed,
        Self::UnknownAccount,
        Self::OfflinePaused,
        Self::RefusedOfflinePaused,
        Self::WebLogin,
        Self::WebLogout,
        Self::AccountCreated,
        Self::AccountUpdated,
        Self::AccountDisabled,
        Self::AccountEnabled,
        Self::AccountUnblocked,
        Self::EnrollmentCancelled,
        Self::AdminBootstrap,
        Self::AuditExported,
        Self::PasswordInvitationCreated,
        Self::PasswordSet,
        Self::EmailCodeSent,
        Self::OtpFailed,
        Self::OtpPaused,
        Self::RefusedOtpPaused,
        Self::CardLogin,
        Self::CardRefused,
        Self::CardBound,
        Self::CardUnbound,
        Self::OidcAuthorized,
        Self::OidcTokensIssued,
        Self::OidcCodeReplayed,
        Self::OidcClientAuthFailed,
        Self::OidcLogoutDelivered,
        Self::OidcLogoutFailed,
        Self::OidcClientRegistered,
        Self::OidcClientUpdated,
        Self::OidcClientRemoved,
        Self::OidcSecretRotated,
        Self::OidcKeyRotated,
        Self::TokensImported,
        Self::TokenAssigned,
        Self::TokenUnassigned,
        Self::TokenRevoked,
        Self::TokenResynced,
        Self::TokenInvitationCreated,
        Self::TokenEnrolled,
    ];

    /// The event with this stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == text)
    }

    /// Position in [`AuditEvent::ALL`] (the variants are declared in that order).
    fn index(self) -> usize {
        self as usize
    }
}

/// How many audit rows of each event this process has committed (exported as the
/// `tigr_audit_events_total` metric). Rows of a transaction count once it commits; rows
/// written by other processes on the same database (the command line) are not seen.
#[derive(Debug)]
pub struct AuditCounters([AtomicU64; AuditEvent::ALL.len()]);

impl Default for AuditCounters {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl AuditCounters {
    /// Rows of `event` committed so far.
    pub fn get(&self, event: AuditEvent) -> u64 {
        self.0[event.index()].load(Ordering::Relaxed)
    }

    /// Counts committed rows.
    pub(super) fn add(&self, events: &[AuditEvent]) {
        for event in events {
            self.0[event.index()].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A phone (API call from the app).
    Phone,
    /// The browser showing the QR (offline code).
    Browser,
    /// A browser presenting a card certificate (card login).
    Card,
    /// The command line, when no person is named (see `crate::admin::Actor` for the
    /// named actors of administration, stored as `cli:<user>` or `web:<account>`).
    Cli,
}

impl Actor {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Browser => "browser",
            Self::Card => "card",
            Self::Cli => "cli",
        }
    }
}

/// A row to append. `detail` is free text that must never hold a secret.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// When.
    pub at: i64,
    /// What.
    pub event: AuditEvent,
    /// Who: an [`Actor::as_str`], or a named administrator (`cli:<user>`, `web:<account>`).
    pub actor: &'a str,
    /// Account concerned.
    pub account_id: Option<&'a str>,
    /// Device concerned.
    pub device_id: Option<&'a str>,
    /// Challenge concerned.
    pub challenge_id: Option<&'a str>,
    /// IP address of the requester.
    pub ip: Option<&'a str>,
    /// Browser summary of the requester.
    pub user_agent: Option<&'a str>,
    /// Extra facts (`attempts_left=3`, `via=offline`).
    pub detail: Option<String>,
}

impl<'a> AuditEntry<'a> {
    /// An entry with only the time, event and actor set.
    pub fn new(at: i64, event: AuditEvent, actor: Actor) -> Self {
        Self {
            at,
            event,
            actor: actor.as_str(),
            account_id: None,
            device_id: None,
            challenge_id: None,
            ip: None,
            user_agent: None,
            detail: None,
        }
    }

    /// An entry by a named actor (`cli:<user>`, `web:<account>`).
    pub fn by(at: i64, event: AuditEvent, actor: &'a str) -> Self {
        Self {
            actor,
            ..Self::new(at, event, Actor::Cli)
        }
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: i64,
    /// What (see [`AuditEvent::as_str`]).
    pub event: String,
    /// Who (see [`Actor::as_str`]).
    pub actor: String,
    /// Account concerned.
    pub account_id: Option<String>,
    /// Device concerned.
    pub device_id: Option<String>,
    /// Challenge concerned.
    pub challenge_id: Option<String>,
    /// Requester IP.
    pub ip: Option<String>,
    /// Requester browser summary.
    pub user_agent: Option<String>,
    /// Extra facts.
    pub detail: Option<String>,
}

impl Store {
    /// The latest `limit` rows about `account` (or about anything), newest first.
    pub async fn audit_trail(
        &self,
        account: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        Ok(sqlx::query_as::<_, AuditRecord>(
            "SELECT id, at, event, actor, account_id, device_id, challenge_id, ip, user_agent, \
             detail FROM audit WHERE (?1 IS NULL OR account_id = ?1) ORDER BY id DESC LIMIT ?2",
        )
        .bind(account)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read_conn().await)
        .await?)
    }
}

impl WriteTx {
    /// Appends a row, in the same transaction as the change it records. This is the only
    /// place audit rows are written: the row is counted in [`Store::audit_counters`]
    /// when the transaction commits.
    pub async fn audit(&mut self, entry: &AuditEntry<'_>) -> Result<(), StorageError> {
        insert_audit_rows(&mut self.tx, std::slice::from_ref(entry)).await?;
        self.audited.push(entry.event);
        Ok(())
    }

    /// Appends a row as the transaction's last statement, which commits it too: on SQLite,
    /// one hand-off to the connection's thread less than [`WriteTx::audit`] then
    /// [`WriteTx::commit`]. Nothing is committed when the row cannot be written.
    pub async fn audit_and_commit(mut self, entry: &AuditEntry<'_>) -> Result<(), StorageError> {
        self.tx.commit_with_next();
        self.audit(entry).await?;
        self.commit().await
    }

    /// Counts the rows of a transaction that just committed.
    pub(super) fn count_audited(&mut self) {
        self.audit_counters.add(&self.audited);
        self.audited.clear();
    }
}

/// Appends `entries` in one statement (nothing when empty). Callers count them once their
/// transaction commits.
pub(super) async fn insert_audit_rows(
    conn: &mut Conn,
    entries: &[AuditEntry<'_>],
) -> Result<(), StorageError> {
    let head = "INSERT INTO audit (at, event, actor, account_id, device_id, challenge_id, ip, \
                user_agent, detail)";
    insert_rows(conn, (head, ""), 9, entries, |query, entry| {
        query
            .bind(entry.at)
            .bind(entry.event.as_str())
            .bind(entry.actor)
            .bind(entry.account_id)
            .bind(entry.device_id)
            .bind(entry.challenge_id)
            .bind(entry.ip)
            .bind(entry.user_agent)
            .bind(entry.detail.as_deref())
    })
    .await
}

/// Appends `entries` and commits `tx`, the `COMMIT` in the same statement where the engine
/// allows ([`Tx::commit_with_next`]): the last two steps of a round of group commit.
pub(super) async fn audit_and_commit<C: Hold>(
    tx: &mut Tx<C>,
    entries: &[AuditEntry<'_>],
) -> Result<(), StorageError> {
    tx.commit_with_next();
    insert_audit_rows(tx, entries).await?;
    tx.commit().await
}

impl Store {
    /// Audit rows committed by this process, per event (shared by every clone of the store).
    pub fn audit_counters(&self) -> &Arc<AuditCounters> {
        &self.audit_counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_follow_the_list() {
        for (i, event) in AuditEvent::ALL.iter().enumerate() {
            assert_eq!(event.index(), i, "{event:?}");
        }
    }

    #[tokio::test]
    async fn rows_count_once_committed() {
        let (store, _) = Store::open("sqlite::memory:").await.expect("store");
        let counters = Arc::clone(store.audit_counters());
        let entry = AuditEntry::new(1_700_000_000, AuditEvent::Approved, Actor::Phone);

        let mut tx = store.begin_write().await.expect("tx");
        tx.audit(&entry).await.expect("row");
        tx.audit(&entry).await.expect("row");
        assert_eq!(counters.get(AuditEvent::Approved), 0, "not committed yet");
        drop(tx);
        assert_eq!(counters.get(AuditEvent::Approved), 0, "rolled back");

        let mut tx = store.begin_write().await.expect("tx");
        tx.audit(&entry).await.expect("row");
        tx.audit(&AuditEntry::new(
            1_700_000_000,
            AuditEvent::Denied,
            Actor::Phone,
        ))
        .await
        .expect("row");
        tx.commit().await.expect("commit");
        assert_eq!(counters.get(AuditEvent::Approved), 1);
        assert_eq!(counters.get(AuditEvent::Denied), 1);
        assert_eq!(counters.get(AuditEvent::Enrolled), 0);
        assert_eq!(store.audit_trail(None, 10).await.expect("trail").len(), 2);
    }
}
