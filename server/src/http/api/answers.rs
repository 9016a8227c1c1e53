//! Answers to a login challenge: the phone's signed approval or denial, and the offline
//! Tigr ID + code typed in the browser. The order of checks and the lockout are the login
//! service's ([`crate::login`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use tigr_core::wire::{OfflineAnswer, Outcome, SignedAnswer};

use crate::login::ClientInfo;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::ApiJson;
use super::browser_token;

/// `POST /api/v1/login/challenges/{id}/response`: approval signed with the approval key.
pub async fn approve(
    State(app): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    ApiJson(answer): ApiJson<SignedAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    Ok(Json(app.login.approve(&id, &answer, &client).await?))
}

/// `POST /api/v1/login/challenges/{id}/deny`: "this wasn't me", signed with the identity key.
pub async fn deny(
    State(app): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    ApiJson(answer): ApiJson<SignedAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    Ok(Json(app.login.deny(&id, &answer, &client).await?))
}

/// `POST /api/v1/login/challenges/{id}/offline` (browser token required): Tigr ID + offline
/// code.
pub async fn offline(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: ClientInfo,
    ApiJson(answer): ApiJson<OfflineAnswer>,
) -> Result<Json<Outcome>, ApiError> {
    let outcome = app
        .login
        .offline(&id, browser_token(&headers), &answer, &client)
        .await?;
    Ok(Json(outcome))
}
