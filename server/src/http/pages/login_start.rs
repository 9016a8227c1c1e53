//! What every login method's page (QR, OTP, card) and the pages opened from invitation links
//! start with: this browser's login cookie, and what the login continues once done — an
//! OpenID Connect request kept for this browser, or a checked return URL.

use axum::http::HeaderMap;
use axum::response::Response;

use crate::domain::return_url::checked_return;
use crate::oidc::{OidcError, PendingView};

use super::super::AppState;
use super::{CookieName, PageContext, add_cookie, see_other};

/// This browser's login cookie (its browser token binds the page's challenges and CSRF
/// tokens), and whether the response must set it.
#[derive(Debug)]
pub(super) struct LoginCookie {
    /// The cookie's value: browser token and this server's tag.
    pub(super) token: String,
    /// Not sent by the browser: the response sets it.
    new: bool,
}

impl LoginCookie {
    /// The login cookie the browser sent, or a new one (it replaces a cookie this server did
    /// not issue).
    pub(super) fn of(app: &AppState, headers: &HeaderMap) -> Self {
        match issued_login_token(app, headers) {
            Some(token) => Self { token, new: false },
            None => Self {
                token: app.pages.login_cookie(&app.login.new_browser_token()),
                new: true,
            },
        }
    }

    /// Sets the cookie on `response` when the browser did not have it.
    pub(super) fn set_if_new(&self, app: &AppState, response: &mut Response) {
        if self.new {
            add_cookie(
                response,
                &app.pages.jar.set(CookieName::Login, &self.token, None),
            );
        }
    }
}

/// The login cookie's value, when this server issued it.
pub(super) fn issued_login_token(app: &AppState, headers: &HeaderMap) -> Option<String> {
    app.pages
        .jar
        .get(headers, CookieName::Login)
        .filter(|value| app.pages.is_issued_login_cookie(value))
}

/// What a login continues once done.
#[derive(Debug)]
pub(super) struct LoginTarget {
    /// The OpenID Connect request kept for this browser, resumed after the login.
    pub(super) oidc: Option<PendingView>,
    /// Where the browser goes after the login: the kept request's resume URL, or the
    /// `return` parameter when the configuration allows it.
    pub(super) return_to: Option<String>,
}

impl LoginTarget {
    /// The kept request `authorize` if there is one, else the `return` URL if allowed.
    /// `Err`: the response to send at once instead of a login page — the refusal page of a
    /// kept request this browser cannot use, or, for a browser already `logged_in` with no
    /// kept request (which is here because it needs a new login), the way on.
    pub(super) async fn for_page(
        app: &AppState,
        ctx: &PageContext,
        headers: &HeaderMap,
        authorize: Option<&str>,
        return_to: Option<&str>,
        logged_in: bool,
    ) -> Result<Self, Response> {
        let oidc = kept_request(app, headers, authorize)
            .await
            .map_err(|error| super::oidc::refusal_page(app, ctx, &error))?;
        let return_to = match &oidc {
            Some(view) => Some(resume_url(view)),
            None => {
                return_to.and_then(|r| checked_return(r, &app.origin, &app.pages.return_prefixes))
            }
        };
        if logged_in && oidc.is_none() {
            return Err(see_other(return_to.as_deref().unwrap_or("/session")));
        }
        Ok(Self { oidc, return_to })
    }
}

/// The OpenID Connect request `id` kept for this browser (its `tigr_oidc` cookie).
pub(super) async fn kept_request(
    app: &AppState,
    headers: &HeaderMap,
    id: Option<&str>,
) -> Result<Option<PendingView>, OidcError> {
    let Some(id) = id.filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    let token = app
        .pages
        .jar
        .get(headers, CookieName::Oidc)
        .unwrap_or_default();
    app.oidc.pending_for_login(id, &token).await.map(Some)
}

/// Where the login page of a kept request goes once logged in.
pub(super) fn resume_url(view: &PendingView) -> String {
    format!(
        "{}?{}",
        crate::oidc::paths::RESUME,
        serde_urlencoded::to_string([("request", view.id.as_str())]).unwrap_or_default()
    )
}
