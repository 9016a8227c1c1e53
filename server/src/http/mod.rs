//! The HTTP layer (axum): the shared [`AppState`], the top router, the middleware every
//! reply goes through, the extractors and the API's error type. Under it, two siblings that
//! never call each other:
//!
//! * [`api`]: the JSON API of docs/protocol.md §3 (browsers' scripts and phones);
//! * [`pages`]: the HTML pages (login page, session page, admin pages).
//!
//! Both call the services ([`crate::login::LoginService`], [`crate::admin::AdminService`]);
//! neither owns a rule of its own, nor reads the database.
//!
//! | route                                         | where                              |
//! |-----------------------------------------------|------------------------------------|
//! | `/api/v1/...`                                 | [`api`]                            |
//! | `GET /`, `/login…`, `/session`, `POST /logout`, `/static/…`, `/admin…` | [`pages`] |
//! | `GET /t/1/L/...`, `GET /t/1/E/...` (app links) | [`pages::app_link`]               |
//! | `GET /.well-known/openid-configuration`, `/oidc/jwks`, `POST /oidc/token`, `/oidc/userinfo` | [`oidc`] |
//! | `/oidc/authorize…`, `/oidc/logout` (OpenID Connect pages) | [`pages::oidc`]        |
//! | `GET /healthz`                                | [`fallback::healthz`]              |
//! | `GET /metrics` (unless disabled)              | [`metrics::scrape`]                |

pub mod api;
pub mod connections;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod oidc;
pub mod pages;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, STRICT_TRANSPORT_SECURITY, VARY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tigr_core::clock::Clock;
use tigr_core::payload::Origin;
use tigr_core::random::SecureRandom;
use tigr_core::wire::API_PREFIX;
use tower_http::trace::TraceLayer;

use crate::admin::AdminService;
use crate::i18n::Lang;
use crate::login::LoginService;
use crate::metrics::ConnectionCounters;
use crate::ratelimit::RateLimiter;

use self::error::{ErrorToRender, MAX_BODY_BYTES};
use self::extract::lang_of;

/// What every handler shares. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppInner>);

/// The contents of [`AppState`].
pub struct AppInner {
    /// Logins, answers, enrollments and web sessions.
    pub login: LoginService,
    /// The administration (admin pages).
    pub admin: AdminService,
    /// The OpenID Connect provider.
    pub oidc: crate::oidc::OidcService,
    /// The public origin (same-origin checks, return URLs).
    pub origin: Origin,
    /// Service name shown on pages.
    pub service_name: String,
    /// Honour `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub random: Arc<dyn SecureRandom>,
    /// Requests per client address (see [`crate::ratelimit`]).
    pub limiter: RateLimiter,
    /// Live channels per client address (see [`live`]).
    pub live: Arc<live::LiveChannels>,
    /// Time a request's body has to arrive whole (see [`connections::body_deadline`]).
    pub body_timeout: Duration,
    /// What the connection loop, the body deadline and the live-channel cap count.
    pub connection_counters: Arc<ConnectionCounters>,
    /// The pages: templates, CSRF key, cookie and session settings.
    pub pages: pages::PagesState,
    /// Prometheus metrics (`None` when disabled: no `/metrics` route, nothing measured).
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl std::fmt::Debug for AppInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppInner")
            .field("login", &self.login)
            .field("service_name", &self.service_name)
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
}

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest(API_PREFIX, api::router(&state))
        .route("/healthz", get(fallback::healthz));
    if state.metrics.is_some() {
        app = app.route("/metrics", get(metrics::scrape));
    }
    app.route("/t/1/L/{*rest}", get(pages::app_link::page))
        .route("/t/1/E/{*rest}", get(pages::app_link::page))
        .merge(pages::router(&state))
        .merge(oidc::router())
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            connections::body_deadline,
        ))
        .layer(middleware::from_fn_with_state(
            Hsts(state.origin.is_secure()),
            common_headers,
        ))
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

/// Whether replies carry `Strict-Transport-Security`: when the public URL is https.
#[derive(Debug, Clone, Copy)]
struct Hsts(bool);

/// One year, this host and its subdomains: browsers that once reached the server over https
/// never try plain http again (no downgrade by a network attacker).
const HSTS_VALUE: &str = "max-age=31536000; includeSubDomains";

/// Headers of every reply, and English error bodies for requests that prefer English.
async fn common_headers(State(Hsts(hsts)): State<Hsts>, request: Request, next: Next) -> Response {
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
    if hsts {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS_VALUE),
        );
    }
    response
}
