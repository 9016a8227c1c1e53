//! The QR login page and its live parts: renewal, server-sent events, long-poll fallback,
//! completion into a session, offline codes.
//!
//! The page's own challenges are ordinary login challenges whose browser token is the value
//! of the HttpOnly login cookie: the page asks the login service exactly what the API asks
//! it, with the cookie's token.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;
use tigr_core::wire::{BROWSER_TOKEN_HEADER, ChallengeState, OfflineAnswer};

use crate::domain::return_url::checked_return;
use crate::login::{ChallengeWatch, ClientInfo, IssuedChallenge, LoginError, LoginMethod};
use crate::oidc::PendingView;
use crate::qr_image;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::{StatusQuery, wait_of};
use super::csrf::{same_origin, submitted_token};
use super::login_start::{LoginCookie, LoginTarget, issued_login_token, kept_request};
use super::method::PageMethod;
use super::{
    CookieName, Failure, MAX_AUTO_RENEWALS, MaybeSession, PageContext, WebError, add_cookie,
    see_other,
};

/// Query of the login page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    /// Where to go after the login (checked against the configuration).
    #[serde(rename = "return")]
    return_to: Option<String>,
    /// `offline` shows the Tigr ID + password form at once (also works without JavaScript).
    mode: Option<String>,
    /// Set after a logout.
    bye: Option<String>,
    /// `qr` chooses the QR method (remembered); without it, a browser that chose the OTP
    /// method last goes to `/login/otp`.
    method: Option<String>,
    /// An OpenID Connect authorization request kept until this login.
    authorize: Option<String>,
}

impl LoginQuery {
    /// The `return` parameter, unchecked.
    pub fn return_to(&self) -> Option<&str> {
        self.return_to.as_deref()
    }

    /// The `authorize` parameter (a kept OpenID Connect request), unchecked.
    pub fn authorize(&self) -> Option<&str> {
        self.authorize.as_deref()
    }
}

pub(super) async fn create_challenge(
    app: &AppState,
    client: &ClientInfo,
    token: &str,
    oidc: Option<&PendingView>,
) -> Result<IssuedChallenge, Failure> {
    let service = oidc.map(|view| view.client_name.as_str());
    Ok(app.login.issue(client, token, service).await?)
}

/// The QR as an SVG element to put inline in the page (see [`qr_image::inline_svg`]).
fn inline_svg(payload: &str) -> Result<String, Failure> {
    qr_image::inline_svg(payload).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        Failure::Internal
    })
}

fn countdown_text(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

/// `GET /login`: a new QR bound to this browser, or straight on when already logged in.
pub async fn page(
    State(app): State<AppState>,
    ctx: PageContext,
    MaybeSession(session): MaybeSession,
    client: ClientInfo,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(query) = query.unwrap_or_default();
    let LoginTarget { oidc, return_to } = match LoginTarget::for_page(
        &app,
        &ctx,
        &headers,
        query.authorize.as_deref(),
        query.return_to.as_deref(),
        session.is_some(),
    )
    .await
    {
        Ok(target) => target,
        Err(at_once) => return Ok(at_once),
    };
    let chose_qr = query.method.as_deref() == Some("qr");
    if !chose_qr && PageMethod::remembered(&app, &headers) == PageMethod::Otp {
        let kept = match &oidc {
            Some(view) => ("authorize", view.id.as_str()),
            None => ("return", return_to.as_deref().unwrap_or("")),
        };
        let mut otp_page = String::from("/login/otp");
        if !kept.1.is_empty() {
            otp_page.push('?');
            otp_page.push_str(&serde_urlencoded::to_string([kept]).unwrap_or_default());
        }
        return Ok(see_other(&otp_page));
    }
    let cookie = LoginCookie::of(&app, &headers);
    let token = &cookie.token;
    let challenge = create_challenge(&app, &client, token, oidc.as_ref())
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    let mode = if query.mode.as_deref() == Some("offline") {
        "offline"
    } else {
        "qr"
    };
    let notice = query.bye.is_some().then(|| ctx.t("login-logged-out"));
    let mut response = render_page(
        &app,
        &ctx,
        &challenge,
        token,
        PageExtras {
            mode,
            return_to: return_to.as_deref(),
            notice: notice.as_deref(),
            offline_error: None,
            offline_tigr_id: "",
            oidc: oidc.as_ref(),
        },
    )
    .map_err(|f| ctx.fail(&app, f))?;
    cookie.set_if_new(&app, &mut response);
    if chose_qr {
        add_cookie(&mut response, &PageMethod::Qr.cookie(&app));
    }
    Ok(response)
}

struct PageExtras<'a> {
    mode: &'a str,
    return_to: Option<&'a str>,
    notice: Option<&'a str>,
    offline_error: Option<&'a str>,
    offline_tigr_id: &'a str,
    oidc: Option<&'a PendingView>,
}

fn render_page(
    app: &AppState,
    ctx: &PageContext,
    challenge: &IssuedChallenge,
    token: &str,
    extras: PageExtras<'_>,
) -> Result<Response, Failure> {
    let now = app.now();
    let remaining = (challenge.expires_at - now).max(0);
    let mut response = ctx.render(
        app,
        "login.html",
        None,
        context! {
            login_service => extras.oidc.map(|v| v.client_name.as_str()),
            authorize => extras.oidc.map_or("", |v| v.id.as_str()),
            mode => extras.mode,
            challenge_id => challenge.id.as_str(),
            expires_at => challenge.expires_at,
            now,
            ttl => app.login.challenge_ttl(),
            remaining,
            countdown_text => countdown_text(remaining),
            max_renewals => MAX_AUTO_RENEWALS,
            csrf => app.pages.csrf_token(token),
            return_to => extras.return_to.unwrap_or(""),
            qr_svg => inline_svg(&challenge.payload)?,
            notice => extras.notice,
            offline_error => extras.offline_error.unwrap_or(""),
            offline_tigr_id => extras.offline_tigr_id,
            qr_mode_url => ctx.url_with("mode", None),
            offline_mode_url => ctx.url_with("mode", Some("offline")),
            demo_payload => app.pages.demo.then_some(challenge.payload.as_str()),
            login_methods => super::login_methods::login_methods(app, ctx, "qr"),
        },
    );
    // The offline form (without JavaScript) ends at the service, through this server's
    // redirects: the CSP's `form-action` must allow it.
    if let Some(csp) = extras
        .oidc
        .and_then(|v| v.redirect_origin.as_deref())
        .and_then(|origin| app.pages.csp_allowing_form_target(origin))
    {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

/// Checks a script's or form's POST: same origin, login cookie present, CSRF token bound to
/// it. Returns the browser token.
pub(super) fn check_login_post(
    app: &AppState,
    ctx: &PageContext,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, WebError> {
    let token = issued_login_token(app, headers);
    let submitted = submitted_token(headers, body).unwrap_or_default();
    match token {
        Some(token)
            if same_origin(headers, &app.origin) && app.pages.csrf_ok(&token, &submitted) =>
        {
            Ok(token)
        }
        _ => Err(ctx.fail(app, Failure::Csrf)),
    }
}

/// `POST /login/renew` (script): a new challenge for this browser, as JSON with its SVG.
pub async fn renew(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let oidc = kept_request(&app, &headers, parse_form(&body).authorize.as_deref())
        .await
        .map_err(|_| ctx.fail(&app, Failure::BadForm))?;
    let challenge = create_challenge(&app, &client, &token, oidc.as_ref())
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    let svg = inline_svg(&challenge.payload).map_err(|f| ctx.fail(&app, f))?;
    Ok(axum::Json(json!({
        "challenge_id": challenge.id,
        "expires_at": challenge.expires_at,
        "now": app.now(),
        "ttl": app.login.challenge_ttl(),
        "svg": svg,
        "payload": app.pages.demo.then_some(challenge.payload.as_str()),
    }))
    .into_response())
}

/// This browser's token: the login cookie, or the API's browser token header (scripts of
/// other pages that show their own QR).
fn browser_token(app: &AppState, headers: &HeaderMap) -> Option<String> {
    issued_login_token(app, headers).or_else(|| {
        headers
            .get(BROWSER_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// The challenge `id` if `headers` prove it is this browser's (unknown ids look the same as
/// other browsers' challenges: [`LoginError::BrowserMismatch`]), with the browser token.
async fn bound_challenge(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<(IssuedChallenge, String), LoginError> {
    let token = browser_token(app, headers).ok_or(LoginError::BrowserMismatch)?;
    let challenge = app.login.bound_challenge(id, &token).await?;
    Ok((challenge, token))
}

/// `GET /login/events/{id}`: server-sent events `state` with `{"state", "expires_at"}` (and
/// `blocked_until` for a temporary block), one per change (pending, scanned, then approved,
/// denied, blocked or expired, after which the stream ends). 403 with an empty body for
/// anyone but the browser that displayed the QR.
pub async fn events(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = browser_token(&app, &headers) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    match app.login.watch(&id, &token).await {
        Ok(watch) => super::live_events(state_events(watch)),
        Err(LoginError::Internal) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(_) => StatusCode::FORBIDDEN.into_response(),
    }
}

fn state_events(watch: ChallengeWatch) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(watch, |mut watch| async move {
        let update = watch.next().await?;
        let mut data = json!({ "state": update.state, "expires_at": update.expires_at });
        if let (ChallengeState::Blocked, Some(until)) = (update.state, update.blocked_until) {
            data["blocked_until"] = json!(until);
        }
        let event = Event::default().event("state").data(data.to_string());
        Some((Ok(event), watch))
    })
}

/// `GET /login/status/{id}?wait=N`: the long-poll fallback of the events (same JSON as the
/// API's status), bound to the login cookie.
pub async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Response {
    // Unknown ids and other browsers' challenges look the same: 403.
    let token = match bound_challenge(&app, &id, &headers).await {
        Ok((_, token)) => token,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let status = async {
        let wait = wait_of(query)?;
        Ok::<_, ApiError>(app.login.status(&id, Some(token.as_bytes()), wait).await?)
    };
    match status.await {
        Ok(status) => axum::Json(status).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Form (or script) fields of completion and offline login.
#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    challenge_id: String,
    #[serde(default, rename = "return")]
    return_to: String,
    #[serde(default)]
    tigr_id: String,
    #[serde(default)]
    otp: String,
    /// The kept OpenID Connect request of the page, if any.
    authorize: Option<String>,
}

fn parse_form(body: &[u8]) -> LoginForm {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// Where to send the browser after a login.
fn destination(app: &AppState, return_to: &str) -> String {
    checked_return(return_to, &app.origin, &app.pages.return_prefixes)
        .unwrap_or_else(|| "/session".to_owned())
}

/// The reply to a completed login: session cookie set, login cookie cleared, then JSON
/// `{"redirect", "account", "display_name"}` for the script or a 303 for a plain form.
pub(super) fn logged_in(
    app: &AppState,
    ctx: &PageContext,
    opened: crate::login::OpenedSession,
    return_to: &str,
) -> Response {
    let redirect = destination(app, return_to);
    let mut response = if ctx.wants_json {
        axum::Json(json!({
            "redirect": redirect,
            "account": opened.account.id,
            "display_name": opened.account.display_name,
        }))
        .into_response()
    } else {
        see_other(&redirect)
    };
    add_cookie(
        &mut response,
        &app.pages
            .jar
            .set(CookieName::Session, &opened.id, Some(opened.max_age)),
    );
    add_cookie(&mut response, &app.pages.jar.clear(CookieName::Login));
    response
}

/// `POST /login/complete` (`challenge_id`, CSRF token): the page's script calls it once the
/// events say `approved`. Only the browser that displayed the QR can, once.
pub async fn complete(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form = parse_form(&body);
    let previous = app.pages.jar.get(&headers, CookieName::Session);
    let opened = app
        .login
        .open_qr_session(&form.challenge_id, &token, &client, previous.as_deref())
        .await
        .map_err(|error| ctx.fail(&app, page_failure(error)))?;
    Ok(logged_in(&app, &ctx, opened, &form.return_to))
}

/// `POST /login/offline` (`challenge_id`, `tigr_id`, `otp`, CSRF token): the offline form.
/// Success opens the session at once. Errors say how many attempts are left, or until when
/// offline codes are paused for the Tigr ID; the reply is the same whatever the ID names.
/// Scripts get JSON, plain forms a page.
pub async fn offline(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form = parse_form(&body);
    let challenge = app
        .login
        .bound_challenge(&form.challenge_id, &token)
        .await
        .map_err(|error| ctx.fail(&app, page_failure(error)))?;
    if form.tigr_id.trim().is_empty() || form.otp.trim().is_empty() {
        let message = ctx.t("offline-missing");
        if ctx.wants_json {
            return Ok((
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": "invalid_request", "message": message })),
            )
                .into_response());
        }
        let oidc = kept_request(&app, &headers, form.authorize.as_deref())
            .await
            .ok()
            .flatten();
        return offline_again(&app, &ctx, &challenge, &token, &form, oidc, &message);
    }
    let answer = OfflineAnswer {
        tigr_id: form.tigr_id.clone(),
        otp: form.otp.clone(),
    };
    let outcome = app
        .login
        .offline(&challenge.id, Some(token.as_bytes()), &answer, &client)
        .await;
    match outcome {
        Ok(outcome) => {
            let opened = app
                .login
                .open_session(
                    &outcome.account,
                    Some(&challenge.id),
                    LoginMethod::OfflineCode,
                    &client,
                    app.pages.jar.get(&headers, CookieName::Session).as_deref(),
                )
                .await
                .map_err(|f| ctx.fail(&app, f.into()))?;
            Ok(logged_in(&app, &ctx, opened, &form.return_to))
        }
        // The same page for every Tigr ID typed: a wrong code, or the form paused for it
        // (the QR on the page still works).
        Err(
            error @ (LoginError::InvalidAnswer { .. }
            | LoginError::OfflinePaused { .. }
            | LoginError::MalformedOfflineCode
            | LoginError::MalformedSignature
            | LoginError::InvalidRegistration(_)),
        ) if !ctx.wants_json => {
            let error = ApiError::from(error);
            let message = error.message(ctx.lang);
            let oidc = kept_request(&app, &headers, form.authorize.as_deref())
                .await
                .ok()
                .flatten();
            let mut response =
                offline_again(&app, &ctx, &challenge, &token, &form, oidc, &message)?;
            *response.status_mut() = error.status();
            Ok(response)
        }
        Err(error) => Err(ctx.fail(&app, error.into())),
    }
}

/// A refusal of the login service as the page says it: a challenge of another browser (or
/// none) is "not bound".
fn page_failure(error: LoginError) -> Failure {
    match error {
        LoginError::BrowserMismatch | LoginError::UnknownChallenge => Failure::NotBound,
        other => other.into(),
    }
}

/// The login page again, same challenge, offline form open with `error` (no JavaScript),
/// as a 401 (the caller may set another status).
fn offline_again(
    app: &AppState,
    ctx: &PageContext,
    challenge: &IssuedChallenge,
    token: &str,
    form: &LoginForm,
    oidc: Option<PendingView>,
    error: &str,
) -> Result<Response, WebError> {
    let return_to = checked_return(&form.return_to, &app.origin, &app.pages.return_prefixes);
    let mut response = render_page(
        app,
        ctx,
        challenge,
        token,
        PageExtras {
            mode: "offline",
            return_to: return_to.as_deref(),
            notice: None,
            offline_error: Some(error),
            offline_tigr_id: form.tigr_id.trim(),
            oidc: oidc.as_ref(),
        },
    )
    .map_err(|f| ctx.fail(app, f))?;
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_svg_has_no_prolog_and_hides_itself() {
        let svg = inline_svg("https://auth.example.fr/t/1/L/A/B/1").expect("svg");
        assert!(svg.starts_with("<svg aria-hidden=\"true\""), "{svg:.80}");
        assert!(!svg.contains("<?xml"));
        assert!(!svg.contains("style="), "no inline style (CSP)");
        assert_eq!(countdown_text(125), "2:05");
        assert_eq!(countdown_text(-3), "0:00");
    }
}
