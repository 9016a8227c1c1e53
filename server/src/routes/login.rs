//! The browser's side of a login (create, status, QR image) and the phone's first step
//! (context).

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tigr_core::ids::random_id;
use tigr_core::payload::{LoginQr, QrPayload};
use tigr_core::wire::{
    ChallengeStatus, ContextRequest, CreateChallengeRequest, CreatedChallenge, LoginContext,
};

use crate::domain::challenge::{LoginChallenge, StoredState, is_final};
use crate::i18n::Lang;
use crate::qr_image;
use crate::sealing::{constant_time_eq, sha256};
use crate::storage::{NewChallenge, StorageError};

use super::error::{ApiError, BadRequest};
use super::extract::{ApiJson, ClientInfo};
use super::{AppState, require_browser};

/// Longest long poll, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;

/// `POST /api/v1/login/challenges`: a new challenge for the requesting browser.
pub async fn create(
    State(app): State<AppState>,
    client: ClientInfo,
    ApiJson(_): ApiJson<CreateChallengeRequest>,
) -> Result<(StatusCode, Json<CreatedChallenge>), ApiError> {
    let browser_token = random_id(app.random.as_ref());
    let issued = issue(&app, &client, &browser_token).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedChallenge {
            challenge_id: issued.id,
            qr_payload: issued.payload,
            expires_at: issued.expires_at,
            browser_token,
        }),
    ))
}

/// A login challenge just issued.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    /// Its identifier.
    pub id: String,
    /// The text of its QR code.
    pub payload: String,
    /// Its expiry (Unix seconds).
    pub expires_at: i64,
}

/// Issues a login challenge to the browser `client` that holds `browser_token` (only the
/// token's hash is stored): for the API and for the login page alike.
pub async fn issue(
    app: &AppState,
    client: &ClientInfo,
    browser_token: &str,
) -> Result<IssuedChallenge, StorageError> {
    let now = app.now();
    let id = random_id(app.random.as_ref());
    let nonce = random_id(app.random.as_ref());
    let expires_at = now + app.challenge_ttl;
    app.store
        .insert_challenge(&NewChallenge {
            id: &id,
            nonce: &nonce,
            browser_token_hash: &sha256(browser_token.as_bytes()),
            created_at: now,
            expires_at,
            browser_ip: &client.ip,
            browser_summary: &client.summary,
        })
        .await?;
    Ok(IssuedChallenge {
        payload: login_payload(app, &id, &nonce, expires_at),
        id,
        expires_at,
    })
}

/// The QR payload of the login challenge `id`.
pub fn login_payload(app: &AppState, id: &str, nonce: &str, expires_at: i64) -> String {
    QrPayload::Login(LoginQr {
        origin: app.origin.clone(),
        challenge_id: id.to_owned(),
        nonce: nonce.to_owned(),
        expires_at,
    })
    .to_string()
}

/// Query of the status route.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// Long-poll for up to this many seconds (capped at [`MAX_WAIT_SECONDS`]).
    pub wait: Option<u64>,
}

fn status_of(challenge: &LoginChallenge, now: i64) -> ChallengeStatus {
    ChallengeStatus {
        state: challenge.state_at(now),
        account: challenge.approved_account().map(str::to_owned),
        expires_at: challenge.expires_at,
        blocked_until: challenge
            .blocked_until
            .filter(|_| challenge.state == StoredState::Blocked),
    }
}

/// `GET /api/v1/login/challenges/{id}/status[?wait=N]` (browser token required).
///
/// With `wait`, answers as soon as the challenge is decided or expired (approved, denied,
/// expired), or after N seconds with the current state.
pub async fn status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Json<ChallengeStatus>, ApiError> {
    let Query(query) = query.map_err(|_| BadRequest::Wait)?;
    let wait = query.wait.unwrap_or(0).min(MAX_WAIT_SECONDS);
    let challenge = app.challenge(&id).await?;
    require_browser(&challenge, &headers)?;
    let initial = status_of(&challenge, app.now());
    if wait == 0 || is_final(initial.state) {
        return Ok(Json(initial));
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    // Subscribe before re-reading, so that a change committed in between wakes us.
    let mut subscription = app.hub.subscribe(&id);
    let mut shutdown = app.shutdown.clone();
    loop {
        let now = app.now();
        let current = match app.store.challenge(&id).await? {
            Some(c) => status_of(&c, now),
            // Purged while waiting: it can only have expired.
            None => ChallengeStatus {
                state: tigr_core::wire::ChallengeState::Expired,
                ..initial.clone()
            },
        };
        if is_final(current.state) || tokio::time::Instant::now() >= deadline {
            return Ok(Json(current));
        }
        // Expiry is not an event: wake up when it is due.
        let until_expiry =
            Duration::from_secs(u64::try_from(current.expires_at - now).unwrap_or(0));
        let wake_at = deadline.min(tokio::time::Instant::now() + until_expiry);
        tokio::select! {
            () = subscription.changed() => {}
            () = tokio::time::sleep_until(wake_at) => {}
            () = crate::server::stopping(&mut shutdown) => return Ok(Json(current)),
        }
    }
}

/// `GET /api/v1/login/challenges/{id}/qr.svg` (browser token required).
pub async fn qr_svg(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let payload = qr_payload_for_browser(&app, &id, &headers).await?;
    let svg = qr_image::svg(&payload).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        ApiError::Internal
    })?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `GET /api/v1/login/challenges/{id}/qr.png` (browser token required).
pub async fn qr_png(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let payload = qr_payload_for_browser(&app, &id, &headers).await?;
    let png = qr_image::png(&payload).map_err(|e| {
        tracing::error!(error = %e, "QR rendering failed");
        ApiError::Internal
    })?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

async fn qr_payload_for_browser(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let challenge = app.challenge(id).await?;
    require_browser(&challenge, headers)?;
    Ok(login_payload(
        app,
        &challenge.id,
        &challenge.nonce,
        challenge.expires_at,
    ))
}

/// `POST /api/v1/login/challenges/{id}/context`: the phone proves it read the QR (nonce) and
/// gets what to show before the PIN. Marks the challenge scanned.
pub async fn context(
    State(app): State<AppState>,
    Path(id): Path<String>,
    lang: Lang,
    ApiJson(request): ApiJson<ContextRequest>,
) -> Result<Json<LoginContext>, ApiError> {
    let challenge = app.challenge(&id).await?;
    // A wrong nonce looks exactly like an unknown challenge.
    if !constant_time_eq(request.nonce.as_bytes(), challenge.nonce.as_bytes()) {
        return Err(ApiError::UnknownChallenge);
    }
    let now = app.now();
    challenge.check_open(now)?;
    if challenge.state == StoredState::Pending && app.store.mark_scanned(&id, now).await? {
        app.hub.notify(&id);
    }
    let browser_summary = if challenge.browser_summary.is_empty() {
        lang.pick("Navigateur inconnu", "Unknown browser")
            .to_owned()
    } else {
        challenge.browser_summary
    };
    Ok(Json(LoginContext {
        challenge_id: challenge.id,
        service_name: app.service_name.clone(),
        server_host: app.origin.display_host(),
        created_at: challenge.created_at,
        expires_at: challenge.expires_at,
        browser_ip: challenge.browser_ip,
        browser_summary,
    }))
}
