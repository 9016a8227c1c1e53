//! The health check and the JSON fallbacks for unknown routes.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use super::AppState;
use super::error::ApiError;

/// `GET /healthz`: 200 `{"status":"ok"}` once the database answers.
pub async fn healthz(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    app.login.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// Fallback for unknown paths: a JSON 404.
pub async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

/// Fallback for a known path with another method: a JSON 405.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
