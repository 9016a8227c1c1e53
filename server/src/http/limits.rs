//! Rate limits on the routes that create or answer something (see [`crate::ratelimit`]):
//! a refused request gets 429 `rate_limited` with `Retry-After`, and changes nothing.
//!
//! Layer a route with `middleware::from_fn_with_state((state, class), limits::api)` (JSON
//! replies) or `pages::rate_limit` (a page, or JSON for the login page's script).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::login::ClientInfo;
use crate::ratelimit::{LimitClass, Limited, client_key};

use super::AppState;
use super::error::ApiError;

/// Counts the request in `class`; `Err` with the error to reply when over the limit.
pub(super) async fn admit(
    app: &AppState,
    class: LimitClass,
    request: Request,
) -> (Request, Result<(), (ApiError, Limited)>) {
    let (mut parts, body) = request.into_parts();
    let client = match ClientInfo::from_request_parts(&mut parts, app).await {
        Ok(client) => client,
        Err(never) => match never {},
    };
    let verdict = app
        .limiter
        .check(class, &client_key(&client.ip))
        .map_err(|limited| {
            tracing::debug!(?class, client = %client.ip, retry_after = limited.retry_after, "rate limited");
            let error = ApiError::RateLimited {
                retry_after: limited.retry_after,
            };
            (error, limited)
        });
    (Request::from_parts(parts, body), verdict)
}

/// `response` with the `Retry-After` of `limited`.
pub(super) fn with_retry_after(mut response: Response, limited: Limited) -> Response {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(limited.retry_after));
    response
}

/// API routes: over the limit, the API's JSON error.
pub async fn api(
    State((app, class)): State<(AppState, LimitClass)>,
    request: Request,
    next: Next,
) -> Response {
    match admit(&app, class, request).await {
        (request, Ok(())) => next.run(request).await,
        (_, Err((error, limited))) => with_retry_after(error.into_response(), limited),
    }
}
