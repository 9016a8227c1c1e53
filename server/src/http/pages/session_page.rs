//! The home redirect, the session page, logout and the static files.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::login::ClientInfo;

use super::super::AppState;
use super::csrf::{same_origin, submitted_token};
use super::render::{STATIC_FILES, time_texts};
use super::session;
use super::{
    CookieName, Failure, MaybeSession, PageContext, WebError, WebSession, add_cookie, see_other,
};

/// `GET /`: the session page when logged in, else the login page.
pub async fn home(MaybeSession(session): MaybeSession) -> Response {
    see_other(if session.is_some() {
        "/session"
    } else {
        "/login"
    })
}

/// `GET /session`: who is logged in, until when, and the logout button.
pub async fn session_page(
    State(app): State<AppState>,
    ctx: PageContext,
    session: WebSession,
) -> Response {
    let (since_text, since_iso) = time_texts(session.record.created_at, &ctx.time_zone, ctx.lang);
    let (ends_text, ends_iso) = time_texts(session.record.expires_at, &ctx.time_zone, ctx.lang);
    ctx.render(
        &app,
        "session.html",
        Some(&session),
        context! {
            since_text, since_iso, ends_text, ends_iso,
            idle_minutes => (session::limits(&app, &session.account).idle / 60).max(1),
            method => session.record.method.as_str(),
        },
    )
}

/// `POST /logout` (CSRF token of the session): deletes the session server-side, clears the
/// cookie, back to the login page. Without a valid session it only clears the cookie.
pub async fn logout(
    State(app): State<AppState>,
    ctx: PageContext,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let current = session::current(&app, &headers)
        .await
        .map_err(|e| ctx.fail(&app, e.into()))?;
    if let Some(current) = current {
        let submitted = submitted_token(&headers, &body).unwrap_or_default();
        if !same_origin(&headers, &app.origin) || !current.csrf_ok(&submitted) {
            return Err(ctx.fail(&app, Failure::Csrf));
        }
        if let Some(id) = app.pages.jar.get(&headers, CookieName::Session) {
            app.login
                .end_session(&id, &client)
                .await
                .map_err(|e| ctx.fail(&app, e.into()))?;
        }
    }
    let mut response = see_other("/login?bye=1");
    add_cookie(&mut response, &app.pages.jar.clear(CookieName::Session));
    Ok(response)
}

/// `GET /static/{file}`: the embedded scripts, styles and icon. URLs carry `?v=<hash of the
/// files>`, so they may be cached.
pub async fn static_file(Path(file): Path<String>) -> Response {
    match STATIC_FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (CONTENT_TYPE, *content_type),
                (CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
