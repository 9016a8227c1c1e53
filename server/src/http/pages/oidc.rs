//! The OpenID Connect endpoints a browser visits (docs/oidc.md): the authorization
//! endpoint, its resumption after the login page, and the end-session endpoint with its
//! confirmation page. They are pages: the pages' security headers (CSP `frame-ancestors
//! 'none'`, `X-Frame-Options: DENY`, ...) apply to every reply, redirects included.
//!
//! | route                                  | what                                            |
//! |----------------------------------------|-------------------------------------------------|
//! | `GET/POST /oidc/authorize`             | checks the request; a code at once (single sign-on), `login_required`, an error redirect, or the login page (`/login?authorize=<id>`) |
//! | `GET  /oidc/authorize/resume?request=` | after the login page: the code, or the login page again |
//! | `GET/POST /oidc/logout`                | RP-initiated logout: at once with a hint of this session, else a confirmation page (its form posts back with `confirm`) |
//!
//! Requests kept during a login are bound to the browser by the `tigr_oidc` cookie (a random
//! token; the server keeps its SHA-256), set by the authorization endpoint.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::domain::oidc::authorize::PageRefusal;
use crate::domain::oidc::logout::LogoutRefusal;
use crate::i18n::Lang;
use crate::login::{ClientInfo, CurrentSession};
use crate::oidc::{AuthorizeOutcome, LogoutPlan, OidcError, form_pairs, paths};
use crate::text::text_with;

use super::super::AppState;
use super::csrf::{same_origin, submitted_token};
use super::{CookieName, Failure, MaybeSession, PageContext, WebSession, add_cookie, see_other};

/// The parameters of a request: the query of a GET, the form body of a POST (`Err` when
/// unreadable), with the body itself (a form's CSRF token).
#[derive(Debug)]
pub struct OidcParams {
    pairs: Result<Vec<(String, String)>, OidcError>,
    method: Method,
    body: Bytes,
}

impl FromRequest<AppState> for OidcParams {
    type Rejection = Response;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, Response> {
        let method = request.method().clone();
        let query = request.uri().query().unwrap_or("").to_owned();
        let body = Bytes::from_request(request, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let text = if method == Method::POST {
            &body[..]
        } else {
            query.as_bytes()
        };
        Ok(Self {
            pairs: form_pairs(text).map_err(OidcError::Authorize),
            method,
            body,
        })
    }
}

/// The browser's `tigr_oidc` token, or a new one (then `true`: the cookie must be set).
fn browser_token(app: &AppState, headers: &HeaderMap) -> (String, bool) {
    match app
        .pages
        .jar
        .get(headers, CookieName::Oidc)
        .filter(|t| tigr_core::ids::is_valid_id(t))
    {
        Some(token) => (token, false),
        None => (app.oidc.new_browser_token(), true),
    }
}

/// The login service's view of the page's session.
fn current(session: &Option<WebSession>) -> Option<CurrentSession> {
    session.as_ref().map(|s| CurrentSession {
        account: s.account.clone(),
        record: s.record.clone(),
    })
}

/// The login page of the kept request `id` (English when the request asked for it).
pub fn login_url(id: &str, ui_locales: Option<&str>) -> String {
    let english = ui_locales
        .and_then(|l| l.split(' ').next())
        .is_some_and(|first| first.starts_with("en"));
    let mut query = vec![("authorize", id)];
    if english {
        query.push(("lang", "en"));
    }
    format!(
        "/login?{}",
        serde_urlencoded::to_string(query).unwrap_or_default()
    )
}

/// An authorization outcome as the browser is sent on.
fn outcome_response(outcome: AuthorizeOutcome, ui_locales: Option<&str>) -> Response {
    match outcome {
        AuthorizeOutcome::Redirect(url) => see_other(&url),
        AuthorizeOutcome::Login { pending_id } => see_other(&login_url(&pending_id, ui_locales)),
    }
}

/// The page of a refused request (nothing sent to any service).
pub(super) fn refusal_page(app: &AppState, ctx: &PageContext, error: &OidcError) -> Response {
    let (status, message) = match error {
        OidcError::Authorize(refusal) => (
            StatusCode::BAD_REQUEST,
            page_refusal_text(ctx.lang, refusal),
        ),
        OidcError::UnknownRequest => (StatusCode::BAD_REQUEST, ctx.t("oidc-error-unknown-request")),
        OidcError::Logout(refusal) => (
            StatusCode::BAD_REQUEST,
            logout_refusal_text(ctx.lang, *refusal),
        ),
        OidcError::Token(_) | OidcError::InvalidToken | OidcError::Internal => {
            return ctx.fail(app, Failure::Internal).into_response();
        }
    };
    let mut response = ctx.render(
        app,
        "message.html",
        None,
        context! {
            heading => ctx.t("oidc-error-heading"),
            message,
            detail => ctx.t("oidc-error-nothing-sent"),
        },
    );
    *response.status_mut() = status;
    response
}

fn page_refusal_text(lang: Lang, refusal: &PageRefusal) -> String {
    let named = |key: &str, name: &str| text_with(lang, key, &[("name", name.into())]);
    match refusal {
        PageRefusal::Oversized(name) => named("oidc-error-oversized", name),
        PageRefusal::Repeated(name) => named("oidc-error-repeated", name),
        PageRefusal::Malformed(name) => named("oidc-error-malformed", name),
        PageRefusal::MissingClientId => crate::text::text(lang, "oidc-error-missing-client-id"),
        PageRefusal::UnknownClient => crate::text::text(lang, "oidc-error-unknown-client"),
        PageRefusal::MissingRedirectUri => {
            crate::text::text(lang, "oidc-error-missing-redirect-uri")
        }
        PageRefusal::UnregisteredRedirectUri => {
            crate::text::text(lang, "oidc-error-unregistered-redirect-uri")
        }
    }
}

fn logout_refusal_text(lang: Lang, refusal: LogoutRefusal) -> String {
    crate::text::text(
        lang,
        match refusal {
            LogoutRefusal::InvalidHint => "oidc-logout-error-invalid-hint",
            LogoutRefusal::ClientMismatch => "oidc-logout-error-client-mismatch",
            LogoutRefusal::UnknownClient => "oidc-logout-error-unknown-client",
            LogoutRefusal::UnregisteredRedirectUri => "oidc-logout-error-unregistered-redirect-uri",
            LogoutRefusal::StateTooLong => "oidc-logout-error-state-too-long",
        },
    )
}

/// `GET`/`POST /oidc/authorize`.
pub async fn authorize(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    client: ClientInfo,
    headers: HeaderMap,
    params: OidcParams,
) -> Response {
    let (token, new_cookie) = browser_token(&app, &headers);
    let outcome = match params.pairs {
        Ok(pairs) => {
            let ui_locales = pairs
                .iter()
                .find(|(k, _)| k == "ui_locales")
                .map(|(_, v)| v.clone());
            app.oidc
                .authorize(pairs, current(&session).as_ref(), &token, &client)
                .await
                .map(|outcome| (outcome, ui_locales))
        }
        Err(error) => Err(error),
    };
    let mut response = match outcome {
        Ok((outcome, ui_locales)) => outcome_response(outcome, ui_locales.as_deref()),
        Err(error) => refusal_page(&app, &ctx, &error),
    };
    if new_cookie {
        add_cookie(
            &mut response,
            &app.pages.jar.set(CookieName::Oidc, &token, None),
        );
    }
    response
}

/// Query of the resumption.
#[derive(Debug, serde::Deserialize)]
pub struct ResumeQuery {
    #[serde(default)]
    request: String,
}

/// `GET /oidc/authorize/resume?request=<id>`: the login page's way back.
pub async fn resume(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    client: ClientInfo,
    headers: HeaderMap,
    query: Result<axum::extract::Query<ResumeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let id = query.map(|q| q.0.request).unwrap_or_default();
    let token = app
        .pages
        .jar
        .get(&headers, CookieName::Oidc)
        .unwrap_or_default();
    match app
        .oidc
        .resume(&id, &token, current(&session).as_ref(), &client)
        .await
    {
        Ok(outcome) => outcome_response(outcome, None),
        Err(error) => refusal_page(&app, &ctx, &error),
    }
}

/// `GET`/`POST /oidc/logout`: RP-initiated logout.
pub async fn logout(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    client: ClientInfo,
    headers: HeaderMap,
    params: OidcParams,
) -> Response {
    let pairs = match params.pairs {
        Ok(pairs) => pairs,
        Err(error) => return refusal_page(&app, &ctx, &error),
    };
    let confirming = params.method == Method::POST && pairs.iter().any(|(k, _)| k == "confirm");
    if confirming {
        // The confirmation form of this server: same origin and the session's CSRF token.
        let submitted = submitted_token(&headers, &params.body).unwrap_or_default();
        let valid = same_origin(&headers, &app.origin)
            && session.as_ref().is_some_and(|s| s.csrf_ok(&submitted));
        if !valid && session.is_some() {
            return ctx.fail(&app, Failure::Csrf).into_response();
        }
    }
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "confirm" && k != "csrf")
        .collect();
    let sid = session.as_ref().map(|s| s.record.sid.as_str());
    let plan = match app.oidc.plan_logout(pairs, sid, confirming).await {
        Ok(plan) => plan,
        Err(error) => return refusal_page(&app, &ctx, &error),
    };
    match plan {
        LogoutPlan::Confirm {
            client_name,
            params,
        } => {
            let Some(session) = &session else {
                return ctx.fail(&app, Failure::Internal).into_response();
            };
            let target = params
                .iter()
                .find(|(k, _)| k == "post_logout_redirect_uri")
                .and_then(|(_, uri)| url::Url::parse(uri).ok())
                .map(|url| url.origin().ascii_serialization());
            let mut response = ctx.render(
                &app,
                "oidc_logout.html",
                Some(session),
                context! {
                    confirm => true,
                    client_name,
                    params => params.iter().map(|(k, v)| context! { name => k, value => v }).collect::<Vec<_>>(),
                    action => paths::LOGOUT,
                },
            );
            // The form's post ends at the service's post-logout URI (a redirect).
            if let Some(csp) = target.and_then(|o| app.pages.csp_allowing_form_target(&o)) {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_SECURITY_POLICY, csp);
            }
            response
        }
        LogoutPlan::EndNow { redirect } => {
            if let Some(id) = app.pages.jar.get(&headers, CookieName::Session)
                && let Err(error) = app.login.end_session(&id, &client).await
            {
                return ctx.fail(&app, error.into()).into_response();
            }
            let mut response = logged_out(&app, &ctx, redirect.as_deref());
            add_cookie(&mut response, &app.pages.jar.clear(CookieName::Session));
            response
        }
        LogoutPlan::NothingToEnd { redirect } => logged_out(&app, &ctx, redirect.as_deref()),
    }
}

/// After a logout: back to the service, or the page saying it is done.
fn logged_out(app: &AppState, ctx: &PageContext, redirect: Option<&str>) -> Response {
    match redirect {
        Some(url) => see_other(url),
        None => ctx.render(app, "oidc_logout.html", None, context! { confirm => false }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_of_a_request_speaks_its_language() {
        assert_eq!(login_url("ID", None), "/login?authorize=ID");
        assert_eq!(
            login_url("ID", Some("en-GB fr")),
            "/login?authorize=ID&lang=en"
        );
        assert_eq!(login_url("ID", Some("fr-FR en")), "/login?authorize=ID");
    }
}
