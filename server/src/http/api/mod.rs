//! The JSON API of docs/protocol.md §3: what browsers' scripts and phones call. Every
//! handler parses the request, calls [`crate::login::LoginService`] and words the reply; a
//! refusal is an [`ApiError`] (the protocol's error body, in French or English).
//!
//! | route                                              | handler                      |
//! |----------------------------------------------------|------------------------------|
//! | `POST /api/v1/login/challenges`                    | [`challenges::create`]       |
//! | `GET  /api/v1/login/challenges/{id}/status`        | [`challenges::status`]       |
//! | `GET  /api/v1/login/challenges/{id}/qr.svg`        | [`challenges::qr_svg`]       |
//! | `GET  /api/v1/login/challenges/{id}/qr.png`        | [`challenges::qr_png`]       |
//! | `POST /api/v1/login/challenges/{id}/context`       | [`challenges::context`]      |
//! | `POST /api/v1/login/challenges/{id}/response`      | [`answers::approve`]         |
//! | `POST /api/v1/login/challenges/{id}/deny`          | [`answers::deny`]            |
//! | `POST /api/v1/login/challenges/{id}/offline`       | [`answers::offline`]         |
//! | `POST /api/v1/enrollments/lookup`                  | [`enrollments::lookup`]      |
//! | `POST /api/v1/enrollments/complete`                | [`enrollments::complete`]    |

pub mod answers;
pub mod challenges;
pub mod enrollments;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware;
use axum::routing::{get, post};
use tigr_core::wire::BROWSER_TOKEN_HEADER;

use crate::ratelimit::LimitClass;

use super::error::ApiError;
use super::{AppState, fallback, limits, live};

/// The API's routes (nested under `/api/v1`), each creating or answering route with its
/// rate limit, the status (a long poll) with the live-channel cap.
pub fn router(state: &AppState) -> Router<AppState> {
    let limit = |class| middleware::from_fn_with_state((state.clone(), class), limits::api);
    let challenges = limit(LimitClass::Challenges);
    let answers = limit(LimitClass::Answers);
    let offline = limit(LimitClass::Offline);
    let enrollments = limit(LimitClass::Enrollments);
    Router::new()
        .route(
            "/login/challenges",
            post(challenges::create).layer(challenges),
        )
        .route(
            "/login/challenges/{id}/status",
            get(challenges::status)
                .layer(middleware::from_fn_with_state(state.clone(), live::admit)),
        )
        .route("/login/challenges/{id}/qr.svg", get(challenges::qr_svg))
        .route("/login/challenges/{id}/qr.png", get(challenges::qr_png))
        .route(
            "/login/challenges/{id}/context",
            post(challenges::context).layer(answers.clone()),
        )
        .route(
            "/login/challenges/{id}/response",
            post(answers::approve).layer(answers.clone()),
        )
        .route(
            "/login/challenges/{id}/deny",
            post(answers::deny).layer(answers),
        )
        .route(
            "/login/challenges/{id}/offline",
            post(answers::offline).layer(offline),
        )
        .route(
            "/enrollments/lookup",
            post(enrollments::lookup).layer(enrollments.clone()),
        )
        .route(
            "/enrollments/complete",
            post(enrollments::complete).layer(enrollments),
        )
        .method_not_allowed_fallback(fallback::method_not_allowed)
}

/// The browser token of an API request (`x-tigr-browser-token`), if sent.
fn browser_token(headers: &HeaderMap) -> Option<&[u8]> {
    headers.get(BROWSER_TOKEN_HEADER).map(HeaderValue::as_bytes)
}

/// A QR image failed to render: logged, 500.
fn qr_failure(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %error, "QR rendering failed");
    ApiError::Internal
}
