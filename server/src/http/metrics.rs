//! `GET /metrics` (Prometheus) and the middleware that counts every request.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::metrics::{self, Metrics, UNMATCHED_ROUTE};

/// `GET /metrics`: the text exposition format 0.0.4. With a `metrics_token` configured, 401
/// (with `WWW-Authenticate: Bearer`) unless the request has `Authorization: Bearer <token>`.
/// Only routed when metrics are enabled.
pub async fn scrape(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(metrics) = app.metrics.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if metrics.requires_token()
        && !bearer_token(&headers).is_some_and(|token| metrics.token_matches(token))
    {
        tracing::debug!("metrics scrape refused: missing or wrong bearer token");
        return (
            StatusCode::UNAUTHORIZED,
            [(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tigr-metrics\""),
            )],
            "This endpoint needs Authorization: Bearer <metrics token>.\n",
        )
            .into_response();
    }
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        metrics.render(),
    )
        .into_response()
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

/// Counts the request and its duration under its route template (axum's [`MatchedPath`],
/// never the concrete path, which may hold a challenge id or a code). A no-op when metrics
/// are disabled. Requests whose client goes away before the response are not counted.
pub(crate) async fn track(
    State(metrics): State<Option<Arc<Metrics>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(metrics) = metrics else {
        return next.run(request).await;
    };
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    // A measurement, not domain time: the monotonic clock, not the injected one.
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.http().record(
        route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str),
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
            headers
        };
        assert_eq!(bearer_token(&with("Bearer abc.def")), Some(&b"abc.def"[..]));
        assert_eq!(bearer_token(&with("bearer  abc ")), Some(&b"abc"[..]));
        assert_eq!(bearer_token(&with("Basic YWxhZGRpbg==")), None);
        assert_eq!(bearer_token(&with("Bear")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
