//! Web sessions: opening one when a login completes, finding it from the cookie, timeouts,
//! and the extractors pages use.
//!
//! ```text
//!   login completes ──► open (row: SHA-256(id), account, created, last_seen, expires_at)
//!   each request    ──► valid if now < expires_at and now - last_seen < idle;
//!                       last_seen refreshed at most once a minute
//!   logout / expiry ──► row deleted (expiry: on next use, or by the periodic purge)
//! ```

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use minijinja::value::Value;
use tigr_core::wire::b64_encode;

use crate::routes::AppState;
use crate::routes::extract::ClientInfo;
use crate::sealing::sha256;
use crate::storage::{
    Account, Actor, AuditEntry, AuditEvent, NewWebSession, StorageError, WebSessionRecord,
};

use super::{CookieName, Failure, PageContext, WebError, add_cookie, see_other};

/// `last_seen_at` is written at most this often (seconds): idle timeouts are minutes long,
/// and a write per page view would be wasted.
const TOUCH_EVERY: i64 = 60;

/// Random bytes of a session id.
const SESSION_ID_BYTES: usize = 32;

/// The logged-in person of a request. As an extractor, it redirects to the login page (with
/// a `return` to the requested page) when there is no valid session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The account (id, display name, role, …).
    pub account: Account,
    /// The stored session.
    pub record: WebSessionRecord,
    /// The CSRF token of this session's forms.
    pub csrf: String,
}

impl WebSession {
    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.account.role == "admin"
    }

    /// True when `submitted` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        crate::sealing::constant_time_eq(self.csrf.as_bytes(), submitted.as_bytes())
    }

    /// What templates see as `session`: `display_name`, `account`, `role`, `csrf`.
    pub fn template_value(&self) -> Value {
        minijinja::context! {
            display_name => self.account.display_name.as_str(),
            account => self.account.id.as_str(),
            role => self.account.role.as_str(),
            csrf => self.csrf.as_str(),
        }
    }
}

/// The session of a request, if any (never rejects).
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<WebSession>);

/// A logged-in administrator; others get 403 (and people not logged in go to the login page).
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub WebSession);

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let ctx = PageContext::from_parts(parts, app);
        match current(app, &parts.headers).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => {
                let target = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |pq| pq.as_str())
                    .to_owned();
                let location = format!(
                    "/login?{}",
                    serde_urlencoded::to_string([("return", target.as_str())]).unwrap_or_default()
                );
                let mut response = if ctx.wants_json {
                    (
                        axum::http::StatusCode::UNAUTHORIZED,
                        axum::Json(serde_json::json!({
                            "error": "not_logged_in",
                            "message": ctx.t("error.not_logged_in"),
                            "login": location,
                        })),
                    )
                        .into_response()
                } else {
                    see_other(&location)
                };
                if app
                    .web
                    .jar
                    .get(&parts.headers, CookieName::Session)
                    .is_some()
                {
                    add_cookie(&mut response, &app.web.jar.clear(CookieName::Session));
                }
                Err(WebError::new(response))
            }
            Err(error) => Err(ctx.fail(app, Failure::from(error))),
        }
    }
}

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        current(app, &parts.headers)
            .await
            .map(MaybeSession)
            .map_err(|e| PageContext::from_parts(parts, app).fail(app, e.into()))
    }
}

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, WebError> {
        let session = WebSession::from_request_parts(parts, app).await?;
        if session.is_admin() {
            Ok(Self(session))
        } else {
            Err(PageContext::from_parts(parts, app).fail(app, Failure::Forbidden))
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

impl super::WebState {
    /// The timeouts of `account`'s sessions: administrators get the smaller of the admin and
    /// general settings (`admin_session_idle`, `admin_session_max`).
    pub fn session_limits(&self, account: &Account) -> SessionLimits {
        if account.role == "admin" {
            SessionLimits {
                idle: self.session_idle.min(self.admin_session_idle),
                max: self.session_max.min(self.admin_session_max),
            }
        } else {
            SessionLimits {
                idle: self.session_idle,
                max: self.session_max,
            }
        }
    }
}

/// The valid session of the request's cookie, if any. Ended sessions are deleted on sight.
pub async fn current(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<WebSession>, StorageError> {
    let Some(id) = app.web.jar.get(headers, CookieName::Session) else {
        return Ok(None);
    };
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let id_hash = sha256(id.as_bytes());
    let Some(record) = app.store.web_session(&id_hash).await? else {
        return Ok(None);
    };
    let now = app.now();
    let account = app.store.account(&record.account_id).await?;
    // The role is read on every request: administrators' sessions end sooner.
    let limits = account.as_ref().map(|a| app.web.session_limits(a));
    let valid = account.as_ref().is_some_and(Account::is_enabled)
        && limits.is_some_and(|l| l.alive(&record, now));
    let Some(account) = account.filter(|_| valid) else {
        let mut tx = app.store.begin_write().await?;
        tx.delete_web_session(&id_hash).await?;
        tx.commit().await?;
        return Ok(None);
    };
    if now - record.last_seen_at >= TOUCH_EVERY {
        app.store.touch_web_session(&id_hash, now).await?;
    }
    let mut record = record;
    if let Some(limits) = limits {
        record.expires_at = limits.ends_at(&record);
    }
    Ok(Some(WebSession {
        csrf: app.web.csrf_token(&id),
        account,
        record,
    }))
}

/// A session just opened: the cookie to set and who it is for.
#[derive(Debug)]
pub struct OpenedSession {
    /// `Set-Cookie` value of the session cookie.
    pub cookie: String,
    /// The account.
    pub account: Account,
}

/// How the login was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// The phone approved the QR.
    Qr,
    /// A one-time password was typed.
    Offline,
}

impl LoginMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Offline => "offline",
        }
    }
}

/// Opens a session for `account` from the approved `challenge_id` (one session per
/// challenge: a second attempt is [`Failure::AlreadyUsed`]), audited in the same transaction.
pub async fn open(
    app: &AppState,
    account_id: &str,
    challenge_id: &str,
    method: LoginMethod,
    client: &ClientInfo,
) -> Result<OpenedSession, Failure> {
    let mut bytes = [0u8; SESSION_ID_BYTES];
    app.random.fill(&mut bytes);
    let id = b64_encode(&bytes);
    let id_hash = sha256(id.as_bytes());
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let account = tx
        .account(account_id)
        .await?
        .filter(Account::is_enabled)
        .ok_or(Failure::NotApproved)?;
    let max = app.web.session_limits(&account).max;
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
        })
        .await?;
    if !inserted {
        return Err(Failure::AlreadyUsed);
    }
    tx.audit(&AuditEntry {
        account_id: Some(account_id),
        challenge_id: Some(challenge_id),
        ip: Some(&client.ip),
        user_agent: Some(&client.summary),
        detail: Some(format!("method={}", method.as_str())),
        ..AuditEntry::new(now, AuditEvent::WebLogin, Actor::Browser)
    })
    .await?;
    tx.commit().await?;
    tracing::info!(account = %account_id, method = method.as_str(), "web session opened");
    Ok(OpenedSession {
        cookie: app.web.jar.set(CookieName::Session, &id, Some(max)),
        account,
    })
}

/// Ends the session of the request's cookie, if any (audited). Returns its account.
pub async fn end(
    app: &AppState,
    headers: &HeaderMap,
    client: &ClientInfo,
) -> Result<Option<String>, StorageError> {
    let Some(id) = app.web.jar.get(headers, CookieName::Session) else {
        return Ok(None);
    };
    let id_hash = sha256(id.as_bytes());
    let now = app.now();
    let mut tx = app.store.begin_write().await?;
    let account = tx.delete_web_session(&id_hash).await?;
    if let Some(account) = &account {
        tx.audit(&AuditEntry {
            account_id: Some(account),
            ip: Some(&client.ip),
            user_agent: Some(&client.summary),
            ..AuditEntry::new(now, AuditEvent::WebLogout, Actor::Browser)
        })
        .await?;
    }
    tx.commit().await?;
    if let Some(account) = &account {
        tracing::info!(account = %account, "web session closed by logout");
    }
    Ok(account)
}
