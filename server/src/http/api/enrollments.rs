//! Enrollment of a phone with an invitation: lookup of the code (what the phone shows
//! before the PIN is chosen) and completion (the phone registers its keys).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tigr_core::wire::{
    EnrollmentCompleteRequest, EnrollmentLookupRequest, EnrollmentOffer, EnrollmentResult,
};

use crate::login::ClientInfo;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::ApiJson;

/// `POST /api/v1/enrollments/lookup`.
pub async fn lookup(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<EnrollmentLookupRequest>,
) -> Result<Json<EnrollmentOffer>, ApiError> {
    Ok(Json(app.login.lookup_invitation(&request.code).await?))
}

/// `POST /api/v1/enrollments/complete`: one transaction consumes the invitation, revokes the
/// account's current phone (one phone per account), stores the new one and audits both.
pub async fn complete(
    State(app): State<AppState>,
    client: ClientInfo,
    ApiJson(request): ApiJson<EnrollmentCompleteRequest>,
) -> Result<(StatusCode, Json<EnrollmentResult>), ApiError> {
    let enrolled = app.login.enroll(&request, &client).await?;
    Ok((StatusCode::CREATED, Json(enrolled)))
}
