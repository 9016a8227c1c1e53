//! Web sessions: opened when a login completes, found again from the cookie's id, ended by
//! logout or by their timeouts.
//!
//! ```text
//!   login completes ──► open (row: SHA-256(id), account, created, last_seen, expires_at)
//!   each request    ──► valid if now < expires_at and now - last_seen < idle;
//!                       last_seen refreshed at most once a minute
//!   logout / expiry ──► row deleted (expiry: on next use, or by the periodic purge)
//!   phone revoked   ──► every row of the account deleted (one phone per account: it
//!                       opened them all), in the revocation's transaction; an approval
//!                       by that phone opens no session any more
//! ```

use std::sync::Arc;

use tigr_core::ids::random_id;
use tigr_core::wire::b64_encode;

use crate::hub::Topic;

use crate::sealing::sha256;
use crate::storage::{
    Account, Actor, AuditEntry, AuditEvent, NewWebSession, SessionKey, SessionOpened,
    SessionOpening, StorageError, WebSessionRecord,
};

use super::{ClientInfo, LoginError, LoginService};

/// `last_seen_at` is written at most this often (seconds): idle timeouts are minutes long,
/// and a write per page view would be wasted.
const TOUCH_EVERY: i64 = 60;

/// Random bytes of a session id.
const SESSION_ID_BYTES: usize = 32;

/// Longest session id accepted from a cookie.
const MAX_SESSION_ID_LEN: usize = 64;

/// How long after its approval a challenge can still open a session.
const COMPLETE_WINDOW_SECONDS: i64 = 300;

/// The configured timeouts of web sessions, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// Idle timeout of sessions.
    pub idle: i64,
    /// Absolute timeout of sessions.
    pub max: i64,
    /// Idle timeout of administrators' sessions (the smaller of the two applies).
    pub admin_idle: i64,
    /// Absolute timeout of administrators' sessions (the smaller of the two applies).
    pub admin_max: i64,
}

impl SessionSettings {
    /// The timeouts of `account`'s sessions: administrators get the smaller of the admin and
    /// general settings.
    pub fn limits(&self, account: &Account) -> SessionLimits {
        if account.role == "admin" {
            SessionLimits {
                idle: self.idle.min(self.admin_idle),
                max: self.max.min(self.admin_max),
            }
        } else {
            SessionLimits {
                idle: self.idle,
                max: self.max,
            }
        }
    }
}

/// Idle and absolute timeouts of a session, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Ends after this long without a request.
    pub idle: i64,
    /// Ends this long after the login.
    pub max: i64,
}

impl SessionLimits {
    /// The absolute end of `record` under these limits.
    pub fn ends_at(self, record: &WebSessionRecord) -> i64 {
        record.expires_at.min(record.created_at + self.max)
    }

    /// True while `record` is neither idle too long nor past its end at `now`.
    pub fn alive(self, record: &WebSessionRecord, now: i64) -> bool {
        now < self.ends_at(record) && now - record.last_seen_at < self.idle
    }
}

/// A valid session: its account and its record (`expires_at` as the limits make it).
#[derive(Debug, Clone)]
pub struct CurrentSession {
    /// The account (id, display name, role, …).
    pub account: Account,
    /// The stored session.
    pub record: WebSessionRecord,
}

/// A session just opened.
#[derive(Debug)]
pub struct OpenedSession {
    /// The session id, for the cookie (the server keeps only its SHA-256).
    pub id: String,
    /// Its absolute timeout, in seconds (the cookie's lifetime).
    pub max_age: i64,
    /// The account.
    pub account: Account,
}

/// How the login was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// The phone approved the QR.
    Qr,
    /// An offline code was typed.
    OfflineCode,
    /// A card certificate (CPS) approved the login: a smart card (`sc`) whose private key
    /// never leaves its chip (`hwk`), unlocked by its PIN (`pin`), the `amr` values of
    /// RFC 8176 an OpenID provider derives from this method (docs/cps.md).
    Cps,
    /// Tigr ID + password + a code sent by e-mail (the OTP form).
    PasswordEmailCode,
    /// Tigr ID + password + a code of the account's TOTP/HOTP token (the OTP form).
    PasswordTokenCode,
}

impl LoginMethod {
    /// The stored spelling (`qr`, `offline`, `cps`, `otp_email`, `otp_token`), the web
    /// session's `method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::OfflineCode => "offline",
            Self::Cps => "cps",
            Self::PasswordEmailCode => "otp_email",
            Self::PasswordTokenCode => "otp_token",
        }
    }

    /// True when an enrolled phone approved the login (a QR scan or an offline code): the
    /// session opens only while that phone is still the account's.
    pub fn by_phone(self) -> bool {
        matches!(self, Self::Qr | Self::OfflineCode)
    }
}

impl LoginService {
    /// The valid session with this id, if any. Ended sessions are deleted on sight.
    pub async fn current_session(&self, id: &str) -> Result<Option<CurrentSession>, LoginError> {
        Ok(self.try_current_session(id).await?)
    }

    async fn try_current_session(&self, id: &str) -> Result<Option<CurrentSession>, StorageError> {
        if id.is_empty() || id.len() > MAX_SESSION_ID_LEN {
            return Ok(None);
        }
        let id_hash = sha256(id.as_bytes());
        let Some((mut record, account)) = self
            .store
            .web_session_and_account(SessionKey::IdHash(&id_hash))
            .await?
        else {
            return Ok(None);
        };
        let now = self.now();
        // The role is read on every request: administrators' sessions end sooner.
        let limits = self.sessions.limits(&account);
        if !account.is_enabled() || !limits.alive(&record, now) {
            // Expired or disabled: gone, without telling the services (an idle timeout here
            // is not a logout from them).
            let mut tx = self.store.begin_write().await?;
            tx.delete_web_session(&id_hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        if now - record.last_seen_at >= TOUCH_EVERY {
            self.store.touch_web_session(&id_hash, now).await?;
        }
        record.expires_at = limits.ends_at(&record);
        Ok(Some(CurrentSession { account, record }))
    }

    /// Opens a session from the challenge `challenge_id` of `browser_token`, approved within
    /// the last few minutes (the page's script calls this once the events say `approved`).
    /// `previous` is the session id the browser already holds, if any (see
    /// [`LoginService::open_session`]).
    pub async fn open_qr_session(
        &self,
        challenge_id: &str,
        browser_token: &str,
        client: &ClientInfo,
        previous: Option<&str>,
    ) -> Result<OpenedSession, LoginError> {
        self.open_approved_session(
            challenge_id,
            browser_token,
            LoginMethod::Qr,
            client,
            previous,
        )
        .await
    }

    /// Opens the session of `browser_token`'s challenge `challenge_id`, approved within the
    /// last few minutes, recorded as `method`. A card session needs the card's approval
    /// (its `card_login` audit row, written with the approval), so that a phone's approval
    /// is never recorded as a card login.
    pub(super) async fn open_approved_session(
        &self,
        challenge_id: &str,
        browser_token: &str,
        method: LoginMethod,
        client: &ClientInfo,
        previous: Option<&str>,
    ) -> Result<OpenedSession, LoginError> {
        self.bound_challenge(challenge_id, browser_token).await?;
        let challenge = self.challenge(challenge_id).await?;
        let now = self.now();
        let since = now - COMPLETE_WINDOW_SECONDS;
        let recent = challenge.decided_at.is_some_and(|at| at >= since);
        let account = challenge
            .approved_account()
            .filter(|_| recent)
            .ok_or(LoginError::NotApproved)?;
        if method == LoginMethod::Cps && !self.store.card_approved(challenge_id, since).await? {
            return Err(LoginError::NotApproved);
        }
        self.open_session(account, Some(challenge_id), method, client, previous)
            .await
    }

    /// Opens a session for `account_id` from the approved `challenge_id` (one session per
    /// challenge: a second attempt is [`LoginError::SessionAlreadyOpened`]; a challenge
    /// approved by a phone revoked since is [`LoginError::PhoneRevoked`]), audited in the
    /// same transaction.
    ///
    /// `previous` is the session the browser already holds, if any (the login page asked for
    /// a new authentication, e.g. for an OpenID Connect `prompt=login`): when it is a live
    /// session of the same account, it is re-authenticated instead (same id and `sid`, new
    /// `auth_time` and method), so the services it signed in to stay signed in; a session of
    /// another account ends (logout tokens to its services) before the new one opens.
    pub async fn open_session(
        &self,
        account_id: &str,
        challenge_id: Option<&str>,
        method: LoginMethod,
        client: &ClientInfo,
        previous: Option<&str>,
    ) -> Result<OpenedSession, LoginError> {
        // Read before the write transaction (reading a session may write: touch, purge).
        let previous = match previous.filter(|id| !id.is_empty()) {
            Some(id) => self.current_session(id).await?.map(|current| (id, current)),
            None => None,
        };
        let now = self.now();
        let Some((previous_id, current)) = previous else {
            return self
                .open_new_session(account_id, challenge_id, method, client, now)
                .await;
        };
        let mut tx = self.store.begin_write().await?;
        let account = tx
            .account(account_id)
            .await?
            .filter(Account::is_enabled)
            .ok_or(LoginError::NotApproved)?;
        // The phone that approved must still be the account's: otherwise an approval made
        // before a revocation would open, after it, a session the revocation did not end.
        if method.by_phone() {
            let since = now - COMPLETE_WINDOW_SECONDS;
            let active = match challenge_id {
                Some(challenge) => {
                    tx.approving_phone_is_active(account_id, challenge, since)
                        .await?
                }
                None => false,
            };
            if !active {
                return Err(LoginError::PhoneRevoked);
            }
        }
        let max = self.sessions.limits(&account).max;
        let mut ended_previous = false;
        let previous_hash = sha256(previous_id.as_bytes());
        if current.account.id != account_id {
            ended_previous = self
                .end_in(&mut tx, &previous_hash, client, now, "replaced")
                .await?
                .is_some();
        } else if tx
            .reauthenticate_web_session(&previous_hash, challenge_id, method.as_str(), now)
            .await?
        {
            tx.audit(&AuditEntry {
                account_id: Some(account_id),
                challenge_id,
                ip: Some(&client.ip),
                user_agent: Some(&client.summary),
                detail: Some(format!("method={} reauthentication", method.as_str())),
                ..AuditEntry::new(now, AuditEvent::WebLogin, Actor::Browser)
            })
            .await?;
            tx.commit().await?;
            tracing::info!(
                account = %account_id,
                method = method.as_str(),
                "web session re-authenticated"
            );
            return Ok(OpenedSession {
                id: previous_id.to_owned(),
                max_age: (current.record.expires_at - now).max(0),
                account,
            });
        }
        // Not re-authenticated: the challenge opened a session already (refused
        // below), or the session ended meanwhile (a new one opens).
        let (id, id_hash, sid) = self.new_session_ids();
        let inserted = tx
            .insert_web_session(&NewWebSession {
                id_hash: &id_hash,
                account_id,
                created_at: now,
                expires_at: now + max,
                challenge_id,
                method: method.as_str(),
                ip: &client.ip,
                user_agent: &client.summary,
                sid: &sid,
            })
            .await?;
        if !inserted {
            return Err(LoginError::SessionAlreadyOpened);
        }
        tx.audit(&AuditEntry {
            account_id: Some(account_id),
            challenge_id,
            ip: Some(&client.ip),
            user_agent: Some(&client.summary),
            detail: Some(format!("method={}", method.as_str())),
            ..AuditEntry::new(now, AuditEvent::WebLogin, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        if ended_previous {
            self.hub.notify(&Topic::BackchannelLogout);
        }
        tracing::info!(account = %account_id, method = method.as_str(), "web session opened");
        Ok(OpenedSession {
            id,
            max_age: max,
            account,
        })
    }

    /// Opens a session for a browser that holds none: committed with the other logins'
    /// (`storage::session_opens` makes the checks of [`LoginService::open_session`]).
    async fn open_new_session(
        &self,
        account_id: &str,
        challenge_id: Option<&str>,
        method: LoginMethod,
        client: &ClientInfo,
        now: i64,
    ) -> Result<OpenedSession, LoginError> {
        let (id, id_hash, sid) = self.new_session_ids();
        let settings = self.sessions;
        let outcome = self
            .store
            .open_web_session(SessionOpening {
                id_hash,
                account_id: account_id.to_owned(),
                now,
                challenge_id: challenge_id.map(str::to_owned),
                method: method.as_str(),
                phone_approved_since: method.by_phone().then_some(now - COMPLETE_WINDOW_SECONDS),
                lifetime: Arc::new(move |account| settings.limits(account).max),
                ip: client.ip.clone(),
                user_agent: client.summary.clone(),
                sid,
            })
            .await?;
        match outcome {
            SessionOpened::Opened {
                account,
                expires_at,
            } => {
                tracing::info!(account = %account_id, method = method.as_str(), "web session opened");
                Ok(OpenedSession {
                    id,
                    max_age: expires_at - now,
                    account: *account,
                })
            }
            SessionOpened::AccountUnusable => Err(LoginError::NotApproved),
            SessionOpened::PhoneRevoked => Err(LoginError::PhoneRevoked),
            SessionOpened::AlreadyOpened => Err(LoginError::SessionAlreadyOpened),
        }
    }

    /// A new session's id (for the cookie), the SHA-256 the server keeps of it, and its
    /// OpenID Connect `sid`.
    fn new_session_ids(&self) -> (String, [u8; 32], String) {
        let mut bytes = [0u8; SESSION_ID_BYTES];
        self.random.fill(&mut bytes);
        let id = b64_encode(&bytes);
        let id_hash = sha256(id.as_bytes());
        (id, id_hash, random_id(self.random.as_ref()))
    }

    /// Ends the session with this id, if any (audited): its access tokens are revoked and
    /// the services it signed in to get a logout token (back-channel). Returns its account.
    pub async fn end_session(
        &self,
        id: &str,
        client: &ClientInfo,
    ) -> Result<Option<String>, LoginError> {
        let id_hash = sha256(id.as_bytes());
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let account = self
            .end_in(&mut tx, &id_hash, client, now, "logout")
            .await?;
        tx.commit().await?;
        if let Some(account) = &account {
            self.hub.notify(&Topic::BackchannelLogout);
            tracing::info!(account = %account, "web session closed by logout");
        }
        Ok(account)
    }

    /// Deletes the session `id_hash` in `tx` with its OpenID Connect side, audited as a
    /// logout (`why` in the detail). Returns its account when it existed.
    async fn end_in(
        &self,
        tx: &mut crate::storage::WriteTx,
        id_hash: &[u8],
        client: &ClientInfo,
        now: i64,
        why: &str,
    ) -> Result<Option<String>, StorageError> {
        let Some((account, sid)) = tx.delete_web_session(id_hash).await? else {
            return Ok(None);
        };
        let told = tx.end_oidc_session(&sid, now).await?;
        tx.audit(&AuditEntry {
            account_id: Some(&account),
            ip: Some(&client.ip),
            user_agent: Some(&client.summary),
            detail: Some(format!("why={why} services_told={told}")),
            ..AuditEntry::new(now, AuditEvent::WebLogout, Actor::Browser)
        })
        .await?;
        Ok(Some(account))
    }
}
