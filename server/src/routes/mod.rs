//! HTTP layer (axum): routes, the shared [`AppState`], extractors and the error type.
//!
//! Handlers parse and check the request, ask [`crate::domain`] what the rules say, and
//! persist through [`crate::storage`]; they own no rule of their own.
//!
//! | route                                              | handler                     |
//! |----------------------------------------------------|-----------------------------|
//! | `POST /api/v1/login/challenges`                    | [`login::create`]           |
//! | `GET  /api/v1/login/challenges/{id}/status`        | [`login::status`]           |
//! | `GET  /api/v1/login/challenges/{id}/qr.svg`        | [`login::qr_svg`]           |
//! | `GET  /api/v1/login/challenges/{id}/qr.png`        | [`login::qr_png`]           |
//! | `POST /api/v1/login/challenges/{id}/context`       | [`login::context`]          |
//! | `POST /api/v1/login/challenges/{id}/response`      | [`answers::respond`]        |
//! | `POST /api/v1/login/challenges/{id}/deny`          | [`answers::deny`]           |
//! | `POST /api/v1/login/challenges/{id}/offline`       | [`answers::offline`]        |
//! | `POST /api/v1/enrollments/lookup`                  | [`enrollments::lookup`]     |
//! | `POST /api/v1/enrollments/complete`                | [`enrollments::complete`]   |
//! | `GET  /healthz`                                    | [`pages::healthz`]          |
//! | `GET  /metrics` (unless disabled)                  | [`metrics::scrape`]         |
//! | `GET  /t/1/L/...`, `GET /t/1/E/...` (app links)     | [`pages::app_link`]         |
//! | `GET  /`, `/login…`, `/session`, `POST /logout`, `/static/…` | [`crate::web`] (HTML pages) |

pub mod answers;
pub mod enrollments;
pub mod error;
pub mod extract;
pub mod limits;
pub mod login;
pub mod metrics;
pub mod pages;

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, VARY, X_CONTENT_TYPE_OPTIONS};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tigr_core::clock::Clock;
use tigr_core::ids::is_valid_id;
use tigr_core::payload::Origin;
use tigr_core::random::SecureRandom;
use tigr_core::wire::{API_PREFIX, BROWSER_TOKEN_HEADER};
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::domain::challenge::LoginChallenge;
use crate::domain::lockout::LockoutPolicy;
use crate::hub::NotificationHub;
use crate::i18n::Lang;
use crate::ratelimit::LimitClass;
use crate::sealing::{SecretSealer, constant_time_eq, sha256};
use crate::storage::SqliteStore;

use self::error::{ApiError, ErrorToRender, MAX_BODY_BYTES};
use self::extract::lang_of;

/// What every handler shares. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppInner>);

/// The contents of [`AppState`].
pub struct AppInner {
    /// The database.
    pub store: SqliteStore,
    /// Seals and opens offline secrets under the master key.
    pub sealer: SecretSealer,
    /// The public origin (bound into signatures and offline codes).
    pub origin: Origin,
    /// `origin` as text, as signed.
    pub origin_text: String,
    /// Service name shown on phones.
    pub service_name: String,
    /// Lifetime of a challenge, in seconds.
    pub challenge_ttl: i64,
    /// The lockout rules.
    pub lockout: LockoutPolicy,
    /// Honour `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub random: Arc<dyn SecureRandom>,
    /// Wake-ups for long polls.
    pub hub: Arc<NotificationHub>,
    /// Requests per client address (see [`crate::ratelimit`]).
    pub limiter: crate::ratelimit::RateLimiter,
    /// Becomes true when the server shuts down (long polls return at once).
    pub shutdown: watch::Receiver<bool>,
    /// The web pages: templates, CSRF key, cookie and session settings.
    pub web: crate::web::WebState,
    /// Prometheus metrics (`None` when disabled: no `/metrics` route, nothing measured).
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl std::fmt::Debug for AppInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppInner")
            .field("origin", &self.origin_text)
            .field("service_name", &self.service_name)
            .field("challenge_ttl", &self.challenge_ttl)
            .field("lockout", &self.lockout)
            .field("trust_proxy", &self.trust_proxy)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Wraps the shared contents.
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// The challenge `id` (404 when malformed or unknown).
    pub(crate) async fn challenge(&self, id: &str) -> Result<LoginChallenge, ApiError> {
        if !is_valid_id(id) {
            return Err(ApiError::UnknownChallenge);
        }
        self.store
            .challenge(id)
            .await?
            .ok_or(ApiError::UnknownChallenge)
    }
}

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// Checks the browser token header against the challenge (403 `browser_mismatch`).
pub(crate) fn require_browser(
    challenge: &LoginChallenge,
    headers: &axum::http::HeaderMap,
) -> Result<(), ApiError> {
    let token = headers
        .get(BROWSER_TOKEN_HEADER)
        .map(HeaderValue::as_bytes)
        .ok_or(ApiError::BrowserMismatch)?;
    if constant_time_eq(&sha256(token), &challenge.browser_token_hash) {
        Ok(())
    } else {
        Err(ApiError::BrowserMismatch)
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let limit = |class| middleware::from_fn_with_state((state.clone(), class), limits::api);
    let challenges = limit(LimitClass::Challenges);
    let answers = limit(LimitClass::Answers);
    let offline = limit(LimitClass::Offline);
    let enrollments = limit(LimitClass::Enrollments);
    let api = Router::new()
        .route("/login/challenges", post(login::create).layer(challenges))
        .route("/login/challenges/{id}/status", get(login::status))
        .route("/login/challenges/{id}/qr.svg", get(login::qr_svg))
        .route("/login/challenges/{id}/qr.png", get(login::qr_png))
        .route(
            "/login/challenges/{id}/context",
            post(login::context).layer(answers.clone()),
        )
        .route(
            "/login/challenges/{id}/response",
            post(answers::respond).layer(answers.clone()),
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
        .method_not_allowed_fallback(pages::method_not_allowed);
    let mut app = Router::new()
        .nest(API_PREFIX, api)
        .route("/healthz", get(pages::healthz));
    if state.metrics.is_some() {
        app = app.route("/metrics", get(metrics::scrape));
    }
    app.route("/t/1/L/{*rest}", get(pages::app_link))
        .route("/t/1/E/{*rest}", get(pages::app_link))
        .merge(crate::web::router(&state))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(common_headers))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                // The route template only: concrete paths of app links carry nonces and codes.
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(unmatched)", MatchedPath::as_str)
                    .to_owned();
                tracing::debug_span!("request", method = %request.method(), route)
            }),
        )
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Headers of every reply, and English error bodies for requests that prefer English.
async fn common_headers(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
    let mut response = next.run(request).await;
    if let Some(ErrorToRender(error)) = response.extensions_mut().remove::<ErrorToRender>() {
        response
            .headers_mut()
            .insert(VARY, HeaderValue::from_static("accept-language"));
        if lang != Lang::Fr {
            let body = serde_json::to_vec(&error.body(lang)).unwrap_or_default();
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(CONTENT_LENGTH);
            response = Response::from_parts(parts, Body::from(body));
        }
    }
    let headers = response.headers_mut();
    // Replies carry one-time values (nonces in QR images, tokens): never cache them.
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
