//! Rate limits on the routes that create or answer something (see [`crate::ratelimit`]):
//! a refused request gets 429 `rate_limited` with `Retry-After`, and changes nothing.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ratelimit::{LimitClass, Limited, client_key};
use crate::web::{Failure, PageContext};

use super::AppState;
use super::error::ApiError;
use super::extract::ClientInfo;

fn check(app: &AppState, class: LimitClass, client: &ClientInfo) -> Result<(), Limited> {
    app.limiter.check(class, &client_key(&client.ip))
}

fn with_retry_after(mut response: Response, limited: Limited) -> Response {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(limited.retry_after));
    response
}

fn refused(class: LimitClass, client: &ClientInfo, limited: Limited) -> ApiError {
    tracing::debug!(?class, client = %client.ip, retry_after = limited.retry_after, "rate limited");
    ApiError::RateLimited {
        retry_after: limited.retry_after,
    }
}

async fn api(
    app: &AppState,
    class: LimitClass,
    client: &ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    match check(app, class, client) {
        Ok(()) => next.run(request).await,
        Err(limited) => with_retry_after(refused(class, client, limited).into_response(), limited),
    }
}

async fn page(
    app: &AppState,
    class: LimitClass,
    client: &ClientInfo,
    ctx: &PageContext,
    request: Request,
    next: Next,
) -> Response {
    match check(app, class, client) {
        Ok(()) => next.run(request).await,
        Err(limited) => {
            let failure = Failure::Api(refused(class, client, limited));
            with_retry_after(ctx.fail(app, failure).into_response(), limited)
        }
    }
}

/// API: creating login challenges.
pub async fn api_challenges(
    State(app): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    api(&app, LimitClass::Challenges, &client, request, next).await
}

/// API: the phone's scan (context), approval and denial.
pub async fn api_answers(
    State(app): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    api(&app, LimitClass::Answers, &client, request, next).await
}

/// API: offline codes.
pub async fn api_offline(
    State(app): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    api(&app, LimitClass::Offline, &client, request, next).await
}

/// API: enrollment lookups and completions.
pub async fn api_enrollments(
    State(app): State<AppState>,
    client: ClientInfo,
    request: Request,
    next: Next,
) -> Response {
    api(&app, LimitClass::Enrollments, &client, request, next).await
}

/// Web: the login page and its renewals (each creates a challenge).
pub async fn page_challenges(
    State(app): State<AppState>,
    client: ClientInfo,
    ctx: PageContext,
    request: Request,
    next: Next,
) -> Response {
    page(&app, LimitClass::Challenges, &client, &ctx, request, next).await
}

/// Web: the offline form.
pub async fn page_offline(
    State(app): State<AppState>,
    client: ClientInfo,
    ctx: PageContext,
    request: Request,
    next: Next,
) -> Response {
    page(&app, LimitClass::Offline, &client, &ctx, request, next).await
}
