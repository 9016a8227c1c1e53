//! The session of a page request: the extractors [`WebSession`], [`MaybeSession`] and
//! [`RequireAdmin`] read the session cookie and ask the login service for the session
//! (timeouts, expiry and storage are [`crate::login::LoginService`]'s).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use minijinja::value::Value;

use crate::login::{Account, WebSessionRecord};
use crate::login::{CurrentSession, LoginError, SessionLimits};

use super::super::AppState;
use super::{CookieName, Failure, PageContext, WebError, add_cookie, see_other};

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
                            "message": ctx.t("error-not-logged-in"),
                            "login": location,
                        })),
                    )
                        .into_response()
                } else {
                    see_other(&location)
                };
                if app
                    .pages
                    .jar
                    .get(&parts.headers, CookieName::Session)
                    .is_some()
                {
                    add_cookie(&mut response, &app.pages.jar.clear(CookieName::Session));
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

/// The timeouts of `account`'s sessions (administrators' are shorter).
pub fn limits(app: &AppState, account: &Account) -> SessionLimits {
    app.login.session_settings().limits(account)
}

/// The valid session of the request's cookie, if any. Ended sessions are deleted on sight.
pub async fn current(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<WebSession>, LoginError> {
    let Some(id) = app.pages.jar.get(headers, CookieName::Session) else {
        return Ok(None);
    };
    Ok(app
        .login
        .current_session(&id)
        .await?
        .map(|CurrentSession { account, record }| WebSession {
            csrf: app.pages.csrf_token(&id),
            account,
            record,
        }))
}
