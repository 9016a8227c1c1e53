//! The QR login page and its live parts: renewal, server-sent events, long-poll fallback,
//! completion into a session, offline codes.
//!
//! The page's own challenges are ordinary challenges of the JSON API whose browser token is
//! the value of the HttpOnly login cookie: the API's status and offline handlers are reused
//! as they are, fed the cookie as the `x-tigr-browser-token` header.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;
use tigr_core::ids::{is_valid_id, random_id};
use tigr_core::wire::{BROWSER_TOKEN_HEADER, ChallengeState, OfflineAnswer};
use tokio::sync::watch;

use crate::domain::challenge::{LoginChallenge, is_final};
use crate::hub::Subscription;
use crate::qr_image;
use crate::routes::error::ApiError;
use crate::routes::extract::{ApiJson, ClientInfo};
use crate::routes::login::{self, IssuedChallenge, StatusQuery};
use crate::routes::{AppState, answers};
use crate::sealing::{constant_time_eq, sha256};

use super::csrf::{same_origin, submitted_token};
use super::session::{self, LoginMethod};
use super::{
    CookieName, Failure, MAX_AUTO_RENEWALS, MaybeSession, PageContext, WebError, add_cookie,
    checked_return, see_other,
};

/// How long after its approval a challenge can still open a session.
const COMPLETE_WINDOW_SECONDS: i64 = 300;

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
}

/// The browser token of this browser's login cookie, or a new one (then `true`: the cookie
/// must be set).
fn login_token(app: &AppState, headers: &HeaderMap) -> (String, bool) {
    match app.web.jar.get(headers, CookieName::Login) {
        Some(token) if is_valid_id(&token) => (token, false),
        _ => (random_id(app.random.as_ref()), true),
    }
}

/// The login cookie's token, when present and well-formed.
fn existing_token(app: &AppState, headers: &HeaderMap) -> Option<String> {
    app.web
        .jar
        .get(headers, CookieName::Login)
        .filter(|t| is_valid_id(t))
}

async fn create_challenge(
    app: &AppState,
    client: &ClientInfo,
    token: &str,
) -> Result<IssuedChallenge, Failure> {
    Ok(login::issue(app, client, token).await?)
}

/// The QR as an SVG element to put inline in the page: no XML prolog, hidden from assistive
/// technologies (the button around it carries the text alternative, never the payload).
fn inline_svg(payload: &str) -> Result<String, Failure> {
    let svg = qr_image::svg(payload).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        Failure::Internal
    })?;
    let start = svg.find("<svg").ok_or(Failure::Internal)?;
    Ok(svg[start..].replacen(
        "<svg",
        "<svg aria-hidden=\"true\" focusable=\"false\" class=\"qr-svg\"",
        1,
    ))
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
    let return_to = query
        .return_to
        .as_deref()
        .and_then(|r| checked_return(r, &app.origin, &app.web.return_prefixes));
    if session.is_some() {
        return Ok(see_other(return_to.as_deref().unwrap_or("/session")));
    }
    let (token, new_cookie) = login_token(&app, &headers);
    let challenge = create_challenge(&app, &client, &token)
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    let mode = if query.mode.as_deref() == Some("offline") {
        "offline"
    } else {
        "qr"
    };
    let notice = query.bye.is_some().then(|| ctx.t("login.logged_out"));
    let mut response = render_page(
        &app,
        &ctx,
        &challenge,
        &token,
        PageExtras {
            mode,
            return_to: return_to.as_deref(),
            notice,
            offline_error: None,
            offline_tigr_id: "",
        },
    )
    .map_err(|f| ctx.fail(&app, f))?;
    if new_cookie {
        add_cookie(
            &mut response,
            &app.web.jar.set(CookieName::Login, &token, None),
        );
    }
    Ok(response)
}

struct PageExtras<'a> {
    mode: &'a str,
    return_to: Option<&'a str>,
    notice: Option<&'a str>,
    offline_error: Option<&'a str>,
    offline_tigr_id: &'a str,
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
    Ok(ctx.render(
        app,
        "login.html",
        None,
        context! {
            mode => extras.mode,
            challenge_id => challenge.id.as_str(),
            expires_at => challenge.expires_at,
            now,
            ttl => app.challenge_ttl,
            remaining,
            countdown_text => countdown_text(remaining),
            max_renewals => MAX_AUTO_RENEWALS,
            csrf => app.web.csrf_token(token),
            return_to => extras.return_to.unwrap_or(""),
            qr_svg => inline_svg(&challenge.payload)?,
            notice => extras.notice,
            offline_error => extras.offline_error.unwrap_or(""),
            offline_tigr_id => extras.offline_tigr_id,
            qr_mode_url => ctx.url_with("mode", None),
            offline_mode_url => ctx.url_with("mode", Some("offline")),
            demo_payload => app.web.demo.then_some(challenge.payload.as_str()),
        },
    ))
}

/// Checks a script's or form's POST: same origin, login cookie present, CSRF token bound to
/// it. Returns the browser token.
fn check_login_post(
    app: &AppState,
    ctx: &PageContext,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, WebError> {
    let token = existing_token(app, headers);
    let submitted = submitted_token(headers, body).unwrap_or_default();
    match token {
        Some(token) if same_origin(headers, &app.origin) && app.web.csrf_ok(&token, &submitted) => {
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
    let challenge = create_challenge(&app, &client, &token)
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    let svg = inline_svg(&challenge.payload).map_err(|f| ctx.fail(&app, f))?;
    Ok(axum::Json(json!({
        "challenge_id": challenge.id,
        "expires_at": challenge.expires_at,
        "now": app.now(),
        "ttl": app.challenge_ttl,
        "svg": svg,
        "payload": app.web.demo.then_some(challenge.payload.as_str()),
    }))
    .into_response())
}

/// The challenge `id` if `headers` prove it is this browser's: the login cookie, or the
/// API's browser token header. `None` for unknown ids too, so a stranger learns nothing.
async fn bound_challenge(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<Option<(LoginChallenge, String)>, Failure> {
    let token = existing_token(app, headers).or_else(|| {
        headers
            .get(BROWSER_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(token) = token else {
        return Ok(None);
    };
    if !is_valid_id(id) {
        return Ok(None);
    }
    let Some(challenge) = app.store.challenge(id).await? else {
        return Ok(None);
    };
    if constant_time_eq(&sha256(token.as_bytes()), &challenge.browser_token_hash) {
        Ok(Some((challenge, token)))
    } else {
        Ok(None)
    }
}

/// Headers that make the API's handlers see this browser's token.
fn api_headers(headers: &HeaderMap, token: &str) -> HeaderMap {
    let mut out = headers.clone();
    if let Ok(value) = HeaderValue::from_str(token) {
        out.insert(BROWSER_TOKEN_HEADER, value);
    }
    out
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
    // Subscribe before the first read, so that a change committed in between is not missed.
    let subscription = app.hub.subscribe(&id);
    match bound_challenge(&app, &id, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::FORBIDDEN.into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    let stream = state_stream(StateWatch {
        shutdown: app.shutdown.clone(),
        app,
        id,
        subscription,
        last: None,
        done: false,
    });
    super::live_events(stream)
}

struct StateWatch {
    app: AppState,
    id: String,
    subscription: Subscription,
    shutdown: watch::Receiver<bool>,
    last: Option<ChallengeState>,
    done: bool,
}

fn state_stream(watch: StateWatch) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(watch, |mut w| async move {
        if w.done {
            return None;
        }
        loop {
            let now = w.app.now();
            let (state, expires_at, blocked_until) = match w.app.store.challenge(&w.id).await {
                Ok(Some(c)) => (c.state_at(now), c.expires_at, c.blocked_until),
                // Purged: it can only have expired.
                Ok(None) => (ChallengeState::Expired, now, None),
                Err(error) => {
                    tracing::warn!(%error, "event stream: challenge read failed");
                    return None;
                }
            };
            if w.last != Some(state) {
                w.last = Some(state);
                w.done = is_final(state);
                let mut data = json!({ "state": state, "expires_at": expires_at });
                if let (ChallengeState::Blocked, Some(until)) = (state, blocked_until) {
                    data["blocked_until"] = json!(until);
                }
                let data = data.to_string();
                return Some((Ok(Event::default().event("state").data(data)), w));
            }
            // Expiry is not an event: wake up when it is due (whole seconds, never early).
            let until_expiry = Duration::from_secs(u64::try_from(expires_at - now).unwrap_or(0));
            tokio::select! {
                () = w.subscription.changed() => {}
                () = tokio::time::sleep(until_expiry) => {}
                () = crate::server::stopping(&mut w.shutdown) => return None,
            }
        }
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
        Ok(Some((_, token))) => token,
        Ok(None) => return ApiError::BrowserMismatch.into_response(),
        Err(_) => return ApiError::Internal.into_response(),
    };
    crate::routes::login::status(State(app), Path(id), api_headers(&headers, &token), query)
        .await
        .into_response()
}

/// Form (or script) fields of completion and offline login.
#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    challenge_id: String,
    #[serde(default, rename = "return")]
    return_to: String,
    #[serde(default)]
    tigr_id: String,
    #[serde(default)]
    otp: String,
}

fn parse_form(body: &[u8]) -> LoginForm {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// Where to send the browser after a login.
fn destination(app: &AppState, return_to: &str) -> String {
    checked_return(return_to, &app.origin, &app.web.return_prefixes)
        .unwrap_or_else(|| "/session".to_owned())
}

/// The reply to a completed login: session cookie set, login cookie cleared, then JSON
/// `{"redirect", "account", "display_name"}` for the script or a 303 for a plain form.
fn logged_in(
    app: &AppState,
    ctx: &PageContext,
    opened: session::OpenedSession,
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
    add_cookie(&mut response, &opened.cookie);
    add_cookie(&mut response, &app.web.jar.clear(CookieName::Login));
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
    check_login_post(&app, &ctx, &headers, &body)?;
    let form = parse_form(&body);
    let challenge = match bound_challenge(&app, &form.challenge_id, &headers).await {
        Ok(Some((challenge, _))) => challenge,
        Ok(None) => return Err(ctx.fail(&app, Failure::NotBound)),
        Err(f) => return Err(ctx.fail(&app, f)),
    };
    let now = app.now();
    let recent = challenge
        .decided_at
        .is_some_and(|at| now - at <= COMPLETE_WINDOW_SECONDS);
    let Some(account) = challenge.approved_account().filter(|_| recent) else {
        return Err(ctx.fail(&app, Failure::NotApproved));
    };
    let opened = session::open(&app, account, &challenge.id, LoginMethod::Qr, &client)
        .await
        .map_err(|f| ctx.fail(&app, f))?;
    Ok(logged_in(&app, &ctx, opened, &form.return_to))
}

/// `POST /login/offline` (`challenge_id`, `tigr_id`, `otp`, CSRF token): the offline form.
/// Success opens the session at once. Errors say how many attempts are left; a blocked
/// account is told to contact an administrator. Scripts get JSON, plain forms a page.
pub async fn offline(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let token = check_login_post(&app, &ctx, &headers, &body)?;
    let form = parse_form(&body);
    let challenge = match bound_challenge(&app, &form.challenge_id, &headers).await {
        Ok(Some((challenge, _))) => challenge,
        Ok(None) => return Err(ctx.fail(&app, Failure::NotBound)),
        Err(f) => return Err(ctx.fail(&app, f)),
    };
    if form.tigr_id.trim().is_empty() || form.otp.trim().is_empty() {
        let message = ctx.t("offline.missing");
        if ctx.wants_json {
            return Ok((
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": "invalid_request", "message": message })),
            )
                .into_response());
        }
        return offline_again(&app, &ctx, &challenge, &token, &form, message);
    }
    let answer = OfflineAnswer {
        tigr_id: form.tigr_id.clone(),
        otp: form.otp.clone(),
    };
    let outcome = answers::offline(
        State(app.clone()),
        Path(challenge.id.clone()),
        api_headers(&headers, &token),
        client.clone(),
        ApiJson(answer),
    )
    .await;
    match outcome {
        Ok(axum::Json(outcome)) => {
            let opened = session::open(
                &app,
                &outcome.account,
                &challenge.id,
                LoginMethod::Offline,
                &client,
            )
            .await
            .map_err(|f| ctx.fail(&app, f))?;
            Ok(logged_in(&app, &ctx, opened, &form.return_to))
        }
        Err(error @ (ApiError::InvalidResponse { .. } | ApiError::BadRequest(_)))
            if !ctx.wants_json =>
        {
            offline_again(
                &app,
                &ctx,
                &challenge,
                &token,
                &form,
                &error.message(ctx.lang),
            )
        }
        Err(error) => Err(ctx.fail(&app, error.into())),
    }
}

/// The login page again, same challenge, offline form open with `error` (no JavaScript).
fn offline_again(
    app: &AppState,
    ctx: &PageContext,
    challenge: &LoginChallenge,
    token: &str,
    form: &LoginForm,
    error: &str,
) -> Result<Response, WebError> {
    let page = IssuedChallenge {
        id: challenge.id.clone(),
        payload: login::login_payload(app, &challenge.id, &challenge.nonce, challenge.expires_at),
        expires_at: challenge.expires_at,
    };
    let return_to = checked_return(&form.return_to, &app.origin, &app.web.return_prefixes);
    let mut response = render_page(
        app,
        ctx,
        &page,
        token,
        PageExtras {
            mode: "offline",
            return_to: return_to.as_deref(),
            notice: None,
            offline_error: Some(error),
            offline_tigr_id: form.tigr_id.trim(),
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
