//! The HTML pages: the QR login page, the session page and logout, the admin pages
//! ([`admin`]), and the machinery they share: session extractors, CSRF, templates with the
//! shared layout, texts in French and English, security headers. Pages call the services
//! ([`crate::login::LoginService`], [`crate::admin::AdminService`]), never the JSON API.
//!
//! | route                          | what                                                   |
//! |--------------------------------|--------------------------------------------------------|
//! | `GET  /`                       | to `/session` when logged in, else to `/login`         |
//! | `GET  /login[?return=&mode=offline&lang=&method=qr]` | the QR login page (a new challenge bound to this browser); to `/login/otp` when the browser chose OTP last |
//! | `POST /login/renew`            | a new QR for the same browser (JSON; before expiry)    |
//! | `GET  /login/events/{id}`      | server-sent events of the challenge's state            |
//! | `GET  /login/status/{id}?wait=`| long-poll fallback of the same (the API's status JSON)  |
//! | `POST /login/complete`         | approved challenge → session cookie (JSON or 303)      |
//! | `POST /login/offline`          | Tigr ID + one-time password → session (JSON or 303)    |
//! | `GET  /login/cps`              | card login: what to do, the link to the card origin    |
//! | `GET  /login/cps/certificate`  | the card's step (TLS listener or trusted proxy)        |
//! | `GET  /login/cps/complete`     | card-approved challenge → session cookie (303)         |
//! | `GET/POST /login/otp`          | the OTP mode: Tigr ID + password + e-mail or token code → session |
//! | `GET/POST /password/{code}`    | choose a password from an invitation link              |
//! | `GET/POST /token/{code}`       | enroll an authenticator app from a token invitation link |
//! | `GET/POST /session/password`   | change one's password                                  |
//! | `GET  /session`                | "Connecté en tant que …", logout button                |
//! | `POST /logout`                 | ends the session server-side                           |
//! | `GET  /static/{file}`          | scripts, styles, icon (embedded in the binary)         |
//! | `GET/POST /admin…`             | the admin pages, for administrators ([`admin`])        |
//! | `GET/POST /oidc/authorize`, `GET /oidc/authorize/resume`, `GET/POST /oidc/logout` | OpenID Connect in the browser ([`oidc`]) |
//!
//! **Browser binding.** The login page sets an HttpOnly cookie holding a random browser
//! token and this server's HMAC tag of it (`tigr_login`, see [`csrf::login_cookie`]); the
//! challenges it creates store the SHA-256 of that value, exactly like the JSON API's
//! `browser_token`. A login cookie without this server's tag (planted by someone else:
//! session fixation) is replaced by a fresh one, never used. Events, status, offline codes and completion all
//! require that cookie (or, for API clients, the `x-tigr-browser-token` header): another
//! client that knows a challenge id gets 403 and learns nothing. Tabs of one browser share
//! their cookies, hence their login binding, as they share the session once logged in.
//!
//! **Sessions** ([`session`], kept by [`crate::login::LoginService`]): random 256-bit id
//! in an HttpOnly, SameSite=Lax cookie (Secure
//! and `__Host-` when the public URL is https, or as configured); only its SHA-256 is stored;
//! idle and absolute timeouts; logout deletes the row. Extractors [`WebSession`],
//! [`MaybeSession`] and [`RequireAdmin`] give handlers the account and its role.
//!
//! **CSRF** ([`csrf`]): every POST carries a token that is an HMAC of the cookie it is bound
//! to (the session id, or the login page's browser token) under a key kept in the database,
//! and its `Origin` must be the configured public origin (`Sec-Fetch-Site` `same-origin`). [`SessionForm`] does both for
//! form posts of logged-in pages.
//!
//! **Headers** ([`secure_pages`]): CSP without `unsafe-inline` (scripts and styles are static
//! files), `frame-ancestors 'none'`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`
//! (so that form posts keep their `Origin`), `nosniff`.

pub mod admin;
pub mod app_link;
mod card_login;
pub mod cookies;
pub mod csrf;
mod login_methods;
mod login_page;
mod login_start;
mod method;
pub mod oidc;
mod otp_page;
pub mod render;
pub mod session;
mod session_page;
mod token_page;

/// The query strings and form bodies the pages read, named for the fuzz targets in `fuzz/`
/// so that they parse browsers' input exactly as the handlers do. Only with the `fuzzing`
/// feature: never in the server.
#[cfg(feature = "fuzzing")]
pub mod forms {
    pub use super::admin::forms::*;
    pub use super::login_page::{LoginForm, LoginQuery};

    /// The language of a page request: `?lang=`, then the language cookie, then
    /// `Accept-Language`.
    pub fn page_lang(
        headers: &axum::http::HeaderMap,
        query: Option<&str>,
        secure_cookies: bool,
    ) -> crate::i18n::Lang {
        super::page_lang(
            headers,
            query,
            super::CookieJar {
                secure: secure_cookies,
            },
        )
        .0
    }
}

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{
    ACCEPT, CONTENT_LANGUAGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    SET_COOKIE, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use minijinja::value::Value;
use serde_json::json;
use std::convert::Infallible;
use tigr_core::payload::Origin;

use crate::config::Config;
use crate::domain::return_url::ReturnPrefix;
use crate::i18n::Lang;
use crate::login::LoginError;
use crate::text::text;

use crate::ratelimit::LimitClass;

use super::AppState;
use super::error::ApiError;
use super::extract::lang_of;
use super::{limits, live};

pub use cookies::{CookieJar, CookieName};
pub use csrf::SessionForm;
pub use session::{MaybeSession, RequireAdmin, WebSession};

/// How many times a login page renews its QR by itself before it waits for a click
/// (a forgotten tab stops creating challenges after about this many lifetimes).
pub const MAX_AUTO_RENEWALS: u32 = 10;

/// What the pages share: templates, CSRF key, cookie settings.
pub struct PagesState {
    env: Environment<'static>,
    csrf_key: ring::hmac::Key,
    /// Cookie names and attributes.
    pub jar: CookieJar,
    /// Where `?return=` may lead besides this server.
    pub return_prefixes: Vec<ReturnPrefix>,
    /// Show the QR text for desktop demos (loopback servers only).
    pub demo: bool,
    csp: HeaderValue,
    /// The `form-action` sources of the CSP (`'self'` and the return origins).
    form_action: String,
    asset_version: String,
    /// Card login, when configured.
    pub card: Option<CardPages>,
}

/// What the card login pages need to know (docs/cps.md).
#[derive(Debug, Clone)]
pub struct CardPages {
    /// The origin where browsers present their card (`https://auth.example.fr:8443`).
    pub origin: String,
    /// Reverse proxies allowed to forward a certificate.
    pub proxies: Vec<std::net::IpAddr>,
    /// The header they forward it in.
    pub proxy_header: axum::http::HeaderName,
}

impl CardPages {
    fn new(config: &Config) -> Option<Self> {
        if !config.card.enabled() {
            return None;
        }
        let origin = match config.card_origin() {
            Ok(origin) => origin.to_string(),
            Err(error) => {
                tracing::error!(%error, "card login disabled: its URL is unknown");
                return None;
            }
        };
        Some(Self {
            origin,
            proxies: config.card.proxies.clone(),
            proxy_header: axum::http::HeaderName::from_bytes(config.card.proxy_header.as_bytes())
                .ok()?,
        })
    }
}

impl std::fmt::Debug for PagesState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagesState")
            .field("jar", &self.jar)
            .field("return_prefixes", &self.return_prefixes)
            .field("demo", &self.demo)
            .field("card", &self.card)
            .finish_non_exhaustive()
    }
}

impl PagesState {
    /// Builds the pages' state: templates, the CSRF key (`csrf_key`: kept in the database,
    /// so tokens survive restarts), cookie security from the configuration.
    pub fn new(config: &Config, origin: &Origin, csrf_key: &[u8]) -> Self {
        let secure = config.cookie_secure.unwrap_or_else(|| origin.is_secure());
        let mut form_action = String::from("'self'");
        for prefix in &config.return_origins {
            form_action.push(' ');
            form_action.push_str(&prefix.origin().to_string());
        }
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; \
             base-uri 'none'"
        );
        Self {
            env: render::environment(),
            csrf_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, csrf_key),
            jar: CookieJar { secure },
            return_prefixes: config.return_origins.clone(),
            demo: origin.is_loopback(),
            csp: HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            )),
            asset_version: render::asset_version(),
            card: CardPages::new(config),

            form_action,
        }
    }

    /// The pages' CSP with `origin` added to `form-action`: a page whose form leads, through
    /// this server's redirects, to that origin (an OpenID Connect client's redirect or
    /// post-logout URI; browsers check `form-action` on every redirect of a form's
    /// navigation). `None` when `origin` cannot be put in a header.
    pub fn csp_allowing_form_target(&self, origin: &str) -> Option<HeaderValue> {
        if origin.is_empty()
            || !origin.bytes().all(|b| b.is_ascii_graphic())
            || origin.contains([';', ','])
        {
            return None;
        }
        let current = self.csp.to_str().ok()?;
        let wanted = format!("form-action {}", self.form_action);
        let widened = current.replacen(&wanted, &format!("{wanted} {origin}"), 1);
        HeaderValue::from_str(&widened).ok()
    }

    /// The CSRF token bound to a cookie value (session id or login browser token).
    pub fn csrf_token(&self, binding: &str) -> String {
        csrf::token(&self.csrf_key, binding)
    }

    /// True when `submitted` is the CSRF token of `binding` (constant time).
    pub fn csrf_ok(&self, binding: &str, submitted: &str) -> bool {
        csrf::verify(&self.csrf_key, binding, submitted)
    }

    /// The login cookie value of a fresh browser token (the token and this server's tag).
    pub fn login_cookie(&self, browser_token: &str) -> String {
        csrf::login_cookie(&self.csrf_key, browser_token)
    }

    /// True when `value` is a login cookie this server issued.
    pub fn is_issued_login_cookie(&self, value: &str) -> bool {
        csrf::is_issued_login_cookie(&self.csrf_key, value)
    }
}

/// A server-sent event stream for a page's live channel: a comment every 15 s keeps idle
/// connections open, and reverse proxies (nginx) are told not to buffer it.
pub fn live_events<S>(stream: S) -> Response
where
    S: futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>
        + Send
        + 'static,
{
    let mut response = axum::response::sse::Sse::new(stream)
        .keep_alive(
            axum::response::sse::KeepAlive::new().interval(std::time::Duration::from_secs(15)),
        )
        .into_response();
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// The pages' router (merged into [`super::router`]).
pub fn router(state: &AppState) -> Router<AppState> {
    let limit = |class| middleware::from_fn_with_state((state.clone(), class), rate_limit);
    let challenges = limit(LimitClass::Challenges);
    let offline = limit(LimitClass::Offline);
    let live = middleware::from_fn_with_state(state.clone(), live::admit);
    let pages = Router::new()
        .route("/", get(session_page::home))
        .route("/login", get(login_page::page).layer(challenges.clone()))
        .route(
            "/login/renew",
            post(login_page::renew).layer(challenges.clone()),
        )
        .route(
            "/login/events/{id}",
            get(login_page::events).layer(live.clone()),
        )
        .route("/login/status/{id}", get(login_page::status).layer(live))
        .route("/login/complete", post(login_page::complete))
        .route(
            "/login/offline",
            post(login_page::offline).layer(offline.clone()),
        )
        .route(
            "/login/otp",
            get(otp_page::page)
                .post(otp_page::post)
                .layer(offline.clone()),
        )
        .route(
            "/password/{code}",
            get(otp_page::invitation_page)
                .post(otp_page::invitation_post)
                .layer(offline.clone()),
        )
        .route(
            "/token/{code}",
            get(token_page::page).post(token_page::post).layer(offline),
        )
        .route(
            "/session/password",
            get(otp_page::change_page).post(otp_page::change_post),
        )
        .route(
            "/login/cps",
            get(card_login::page).layer(challenges.clone()),
        )
        .route(
            "/login/cps/certificate",
            get(card_login::certificate).layer(challenges.clone()),
        )
        .route("/login/cps/complete", get(card_login::complete))
        .route("/session", get(session_page::session_page))
        .route("/logout", post(session_page::logout))
        .route("/static/{file}", get(session_page::static_file))
        .route(
            crate::oidc::paths::AUTHORIZE,
            get(oidc::authorize).post(oidc::authorize),
        )
        .route(crate::oidc::paths::RESUME, get(oidc::resume))
        .route(
            crate::oidc::paths::LOGOUT,
            get(oidc::logout).post(oidc::logout),
        )
        .merge(admin::router(state));
    secure_pages(pages, state)
}

/// The card TLS listener's pages: the card's step of a card login, and the static files
/// its page uses (docs/cps.md).
pub fn card_router(state: &AppState) -> Router<AppState> {
    // Each refusal writes an audit row: as many card steps a minute as login pages.
    let challenges =
        middleware::from_fn_with_state((state.clone(), LimitClass::Challenges), rate_limit);
    let pages = Router::new()
        .route(
            "/login/cps/certificate",
            get(card_login::certificate).layer(challenges),
        )
        .route("/static/{file}", get(session_page::static_file));
    secure_pages(pages, state)
}

/// Pages: over the limit, a page saying how long to wait (JSON for the page's script).
pub async fn rate_limit(
    State((app, class)): State<(AppState, LimitClass)>,
    request: Request,
    next: Next,
) -> Response {
    match limits::admit(&app, class, request).await {
        (request, Ok(())) => next.run(request).await,
        (request, Err((error, limited))) => {
            let (parts, _) = request.into_parts();
            let ctx = PageContext::from_parts(&parts, &app);
            let failure = ctx.fail(&app, Failure::Api(error));
            limits::with_retry_after(failure.into_response(), limited)
        }
    }
}

/// Adds the pages' security headers (CSP, frame and referrer policies), the language cookie
/// of `?lang=` and `Content-Language` to every route of `router`. Use it for any router of
/// HTML pages (e.g. the admin pages).
pub fn secure_pages(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router.layer(middleware::from_fn_with_state(state.clone(), page_headers))
}

async fn page_headers(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (lang, chosen) = page_lang(request.headers(), request.uri().query(), app.pages.jar);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page may widen its own `form-action` (see `PagesState::csp_allowing_form_target`).
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert_with(|| app.pages.csp.clone());
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Not no-referrer: browsers then send `Origin: null` on form posts, which CSRF checks
    // need. Same-origin keeps URLs (return targets) from leaking to other sites.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    headers
        .entry(CONTENT_LANGUAGE)
        .or_insert(HeaderValue::from_static(lang.pick("fr", "en")));
    if let Some(chosen) = chosen
        && let Ok(value) = HeaderValue::from_str(&app.pages.jar.set(
            CookieName::Lang,
            lang_code(chosen),
            Some(365 * 24 * 3600),
        ))
    {
        headers.append(SET_COOKIE, value);
    }
    response
}

/// `fr` or `en`.
pub fn lang_code(lang: Lang) -> &'static str {
    lang.pick("fr", "en")
}

fn parse_lang(text: &str) -> Option<Lang> {
    match text {
        "fr" => Some(Lang::Fr),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The page language: `?lang=` (returned as chosen, to be remembered in a cookie), else the
/// `tigr_lang` cookie, else `Accept-Language` (French by default).
fn page_lang(headers: &HeaderMap, query: Option<&str>, jar: CookieJar) -> (Lang, Option<Lang>) {
    let from_query = query.and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| parse_lang(&v))
    });
    if let Some(lang) = from_query {
        return (lang, Some(lang));
    }
    if let Some(lang) = jar
        .get(headers, CookieName::Lang)
        .and_then(|v| parse_lang(&v))
    {
        return (lang, None);
    }
    (lang_of(headers), None)
}

/// What every page handler knows about its request: language, whether a script wants JSON,
/// and the path and query (for the language switch and return URLs).
#[derive(Debug, Clone)]
pub struct PageContext {
    /// The page language.
    pub lang: Lang,
    /// The time zone of the times shown (the server's, `TIGR_TIME_ZONE`).
    pub time_zone: tigr_core::clock::TimeZone,
    /// The request asked for JSON (`Accept: application/json`, as the page's script does).
    pub wants_json: bool,
    path: String,
    query: Vec<(String, String)>,
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        Ok(Self::from_parts(parts, app))
    }
}

impl PageContext {
    /// Reads the context from request parts.
    pub fn from_parts(parts: &Parts, app: &AppState) -> Self {
        let (lang, _) = page_lang(&parts.headers, parts.uri.query(), app.pages.jar);
        let wants_json = parts
            .headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        let query = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        Self {
            lang,
            time_zone: app.admin.config().time_zone.clone(),
            wants_json,
            path: parts.uri.path().to_owned(),
            query,
        }
    }

    /// The text of `key` in the page language.
    pub fn t(&self, key: &str) -> String {
        text(self.lang, key)
    }

    /// This page's URL with the query parameter `name` set to `value` (or removed when
    /// `None`), other parameters kept.
    pub fn url_with(&self, name: &str, value: Option<&str>) -> String {
        let mut query: Vec<(&str, &str)> = self
            .query
            .iter()
            .filter(|(k, _)| k != name)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(value) = value {
            query.push((name, value));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        if encoded.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{encoded}", self.path)
        }
    }

    /// The URL of `path` on this server with this page's query parameters named in `keep`
    /// (e.g. `return` and `lang` when moving between login methods).
    pub fn url_for(&self, path: &str, keep: &[&str]) -> String {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match serde_urlencoded::to_string(&query).unwrap_or_default() {
            encoded if encoded.is_empty() => path.to_owned(),
            encoded => format!("{path}?{encoded}"),
        }
    }

    /// Renders `template` with the shared layout's variables (language, service name,
    /// language switch, the logged-in person if any) plus `extra`.
    pub fn render(
        &self,
        app: &AppState,
        template: &str,
        session: Option<&WebSession>,
        extra: Value,
    ) -> Response {
        let other = match self.lang {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        };
        let base = minijinja::context! {
            lang => lang_code(self.lang),
            other_lang => lang_code(other),
            service_name => app.service_name.as_str(),
            asset_version => app.pages.asset_version.as_str(),
            lang_switch_url => self.url_with("lang", Some(lang_code(other))),
            session => session.map(WebSession::template_value),
        };
        let rendered = app
            .pages
            .env
            .get_template(template)
            .and_then(|t| t.render(minijinja::context! { ..extra, ..base }));
        match rendered {
            Ok(html) => Html(html).into_response(),
            Err(error) => {
                tracing::error!(template, error = %error, "page rendering failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(CONTENT_TYPE, "text/plain; charset=utf-8")],
                    self.t("error-internal"),
                )
                    .into_response()
            }
        }
    }

    /// A failure as the client expects it: JSON `{"error", "message", "attempts_left"?,
    /// "blocked_until"?}` for scripts (the API's error body), an HTML page otherwise.
    pub fn fail(&self, app: &AppState, failure: Failure) -> WebError {
        let Described {
            status,
            code,
            message,
            attempts_left,
            blocked_until,
        } = failure.describe(self.lang);
        if self.wants_json {
            let mut body = json!({ "error": code, "message": message });
            if let Some(n) = attempts_left {
                body["attempts_left"] = json!(n);
            }
            if let Some(until) = blocked_until {
                body["blocked_until"] = json!(until);
            }
            return WebError::new((status, axum::Json(body)).into_response());
        }
        let heading = match &failure {
            Failure::Csrf => self.t("error-csrf-heading"),
            Failure::Forbidden => self.t("error-forbidden-heading"),
            Failure::Internal | Failure::Api(ApiError::Internal) => {
                self.t("error-internal-heading")
            }
            _ => self.t("state-error-heading"),
        };
        let mut response = self.render(
            app,
            "message.html",
            None,
            minijinja::context! {
                heading,
                message,
                link_href => "/login",
                link_text => self.t("error-back-to-login"),
            },
        );
        *response.status_mut() = status;
        WebError::new(response)
    }
}

/// Why a page request failed.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Missing or wrong CSRF token, or a cross-site `Origin` (403 `csrf`).
    Csrf,
    /// The challenge is not this browser's (403 `browser_mismatch`).
    NotBound,
    /// The challenge is not approved (409 `not_approved`).
    NotApproved,
    /// The challenge already opened a session (409 `challenge_used`).
    AlreadyUsed,
    /// The page needs the administrator role (403 `forbidden`).
    Forbidden,
    /// A form's fields are missing or malformed (400 `invalid_request`).
    BadForm,
    /// An error of the API layer (its status, code and message).
    Api(ApiError),
    /// A server fault (500), already logged.
    Internal,
}

/// A failure as replied: status, code, message and the error body's optional fields.
struct Described {
    status: StatusCode,
    code: String,
    message: String,
    attempts_left: Option<u32>,
    blocked_until: Option<i64>,
}

impl Failure {
    fn describe(&self, lang: Lang) -> Described {
        let own = |status: StatusCode, code: &str, key: &str| Described {
            status,
            code: code.to_owned(),
            message: text(lang, key),
            attempts_left: None,
            blocked_until: None,
        };
        match self {
            Self::Csrf => own(StatusCode::FORBIDDEN, "csrf", "error-csrf-text"),
            Self::NotBound => own(StatusCode::FORBIDDEN, "browser_mismatch", "error-not-bound"),
            Self::NotApproved => own(StatusCode::CONFLICT, "not_approved", "error-not-approved"),
            Self::AlreadyUsed => own(StatusCode::CONFLICT, "challenge_used", "error-already-used"),
            Self::Forbidden => own(StatusCode::FORBIDDEN, "forbidden", "error-forbidden-text"),
            Self::BadForm => own(StatusCode::BAD_REQUEST, "invalid_request", "error-bad-form"),
            Self::Internal => own(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "error-internal",
            ),
            Self::Api(error) => {
                let body = error.body(lang);
                let code = serde_json::to_value(body.error)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "internal".to_owned());
                Described {
                    status: error.status(),
                    code,
                    message: body.message,
                    attempts_left: body.attempts_left,
                    blocked_until: body.blocked_until,
                }
            }
        }
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<LoginError> for Failure {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::NotApproved => Self::NotApproved,
            LoginError::SessionAlreadyOpened => Self::AlreadyUsed,
            LoginError::Internal => Self::Internal,
            other => Self::Api(other.into()),
        }
    }
}

/// A failed page request, rendered (see [`PageContext::fail`]).
#[derive(Debug)]
pub struct WebError(Box<Response>);

impl WebError {
    /// A failure replied with `response`.
    pub fn new(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A 303 redirect to `location` (a path of this server or a checked return URL).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Appends a `Set-Cookie` header.
pub fn add_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}
