//! The browser's side of a login (create, status, QR image) and the phone's first step
//! (context).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tigr_core::wire::{
    ChallengeStatus, ContextRequest, CreateChallengeRequest, CreatedChallenge, LoginContext,
};

use crate::i18n::Lang;
use crate::login::ClientInfo;
use crate::qr_image;
use crate::text::text;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::{ApiJson, StatusQuery, wait_of};
use super::{browser_token, qr_failure};

/// `POST /api/v1/login/challenges`: a new challenge for the requesting browser.
pub async fn create(
    State(app): State<AppState>,
    client: ClientInfo,
    ApiJson(_): ApiJson<CreateChallengeRequest>,
) -> Result<(StatusCode, Json<CreatedChallenge>), ApiError> {
    let browser_token = app.login.new_browser_token();
    let issued = app.login.issue(&client, &browser_token, None).await?;
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
    let wait = wait_of(query)?;
    let status = app.login.status(&id, browser_token(&headers), wait).await?;
    Ok(Json(status))
}

/// `GET /api/v1/login/challenges/{id}/qr.svg` (browser token required).
pub async fn qr_svg(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let payload = app.login.qr_payload(&id, browser_token(&headers)).await?;
    let svg = qr_image::svg(&payload).map_err(qr_failure)?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `GET /api/v1/login/challenges/{id}/qr.png` (browser token required).
pub async fn qr_png(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let payload = app.login.qr_payload(&id, browser_token(&headers)).await?;
    let png = qr_image::png(&payload).map_err(qr_failure)?;
    Ok(([(CONTENT_TYPE, "image/png")], png).into_response())
}

/// `POST /api/v1/login/challenges/{id}/context`: the phone proves it read the QR (nonce) and
/// gets what to show before the PIN. Marks the challenge scanned.
pub async fn context(
    State(app): State<AppState>,
    Path(id): Path<String>,
    lang: Lang,
    ApiJson(request): ApiJson<ContextRequest>,
) -> Result<Json<LoginContext>, ApiError> {
    let mut context = app.login.context(&id, &request.nonce).await?;
    if context.browser_summary.is_empty() {
        context.browser_summary = text(lang, "context-unknown-browser");
    }
    Ok(Json(context))
}
