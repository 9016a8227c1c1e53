//! The OpenID Connect endpoints that services (and their scripts) call, in JSON: discovery,
//! keys, token and userinfo. Errors follow RFC 6749 §5.2 (`{"error", "error_description"}`)
//! and RFC 6750 §3 (`WWW-Authenticate: Bearer`); replies with tokens are never cached. CORS
//! is open (no cookie is read here: a script of another origin gains nothing it could not
//! do from a server). The pages of OpenID Connect are in [`super::pages::oidc`].
//!
//! | route                                       | what                                  |
//! |---------------------------------------------|---------------------------------------|
//! | `GET  /.well-known/openid-configuration`    | discovery document                    |
//! | `GET  /oidc/jwks`                           | the published public keys             |
//! | `POST /oidc/token`                          | code → ID token and access token      |
//! | `GET/POST /oidc/userinfo`                   | claims of a Bearer access token       |

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};

use crate::domain::oidc::token::TokenErrorCode;
use crate::login::ClientInfo;
use crate::oidc::{OidcError, TokenRequest, form_pairs, paths};

use super::AppState;

/// The router of these endpoints (merged into [`super::router`]).
pub fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([AUTHORIZATION, axum::http::header::CONTENT_TYPE]);
    Router::new()
        .route(paths::DISCOVERY, get(discovery))
        .route(paths::JWKS, get(jwks))
        .route(paths::TOKEN, post(token))
        .route(paths::USERINFO, get(userinfo).post(userinfo))
        .layer(cors)
}

/// A JSON reply that caches may keep for `seconds`.
fn cacheable(body: serde_json::Value, seconds: u32) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={seconds}")) {
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, value);
    }
    response
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(app): State<AppState>) -> Response {
    cacheable(app.oidc.discovery().clone(), 300)
}

/// `GET /oidc/jwks`: the current key and the retired ones still covering tokens they
/// signed. Short cache: a client that meets an unknown `kid` fetches again.
pub async fn jwks(State(app): State<AppState>) -> Response {
    match app.oidc.jwks().await {
        Ok(keys) => cacheable(keys, 60),
        Err(_) => server_error(),
    }
}

fn server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "server_error" })),
    )
        .into_response()
}

/// An RFC 6749 §5.2 error reply.
fn token_error(code: TokenErrorCode, description: &str, basic: bool) -> Response {
    let status = match code {
        TokenErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = (
        status,
        Json(json!({ "error": code.as_str(), "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6749 §5.2: the scheme the client tried (Basic), or the one it could use.
        let scheme = if basic {
            "Basic realm=\"tigr\""
        } else {
            "Basic realm=\"tigr\", error=\"invalid_client\""
        };
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(scheme),
        );
    }
    response
}

/// `Authorization: Basic` credentials: base64 of `form-encoded id ":" form-encoded secret`
/// (RFC 6749 §2.3.1). `Err` when the header is there but unreadable.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = text.split_once(':').ok_or(())?;
    let decode = |part: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={part}"))
            .ok()
            .and_then(|mut pairs| pairs.pop())
            .map(|(_, value)| value)
    };
    match (decode(id), decode(secret)) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        _ => Err(()),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `POST /oidc/token` (form): the code grant.
pub async fn token(
    State(app): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let basic = match basic_credentials(&headers) {
        Ok(basic) => basic,
        Err(()) => {
            return token_error(
                TokenErrorCode::InvalidClient,
                "unreadable Authorization header",
                true,
            );
        }
    };
    let used_basic = basic.is_some();
    if !is_form(&headers) {
        return token_error(
            TokenErrorCode::InvalidRequest,
            "the body must be application/x-www-form-urlencoded",
            used_basic,
        );
    }
    let pairs = match form_pairs(&body) {
        Ok(pairs) => pairs,
        Err(_) => {
            return token_error(
                TokenErrorCode::InvalidRequest,
                "malformed form body",
                used_basic,
            );
        }
    };
    let issued = app
        .oidc
        .token(TokenRequest {
            pairs,
            basic,
            client,
        })
        .await;
    match issued {
        Ok(tokens) => {
            let mut response = Json(json!({
                "access_token": tokens.access_token,
                "token_type": "Bearer",
                "expires_in": tokens.expires_in,
                "id_token": tokens.id_token,
                "scope": tokens.scope,
            }))
            .into_response();
            response.headers_mut().insert(
                axum::http::header::PRAGMA,
                HeaderValue::from_static("no-cache"),
            );
            response
        }
        Err(OidcError::Token(refusal)) => {
            token_error(refusal.error, refusal.description, used_basic)
        }
        Err(_) => server_error(),
    }
}

/// The Bearer token of a userinfo request: the header, or (POST) the form's
/// `access_token` (RFC 6750 §2.2); never both.
fn bearer(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let from_body = is_form(headers)
        .then(|| form_pairs(body).ok())
        .flatten()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "access_token"))
        .map(|(_, v)| v);
    match (from_header, from_body) {
        (Some(token), None) | (None, Some(token)) => Some(token),
        _ => None,
    }
}

/// `GET`/`POST /oidc/userinfo`.
pub async fn userinfo(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let unauthorized = |challenge: &'static str| {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token" })),
        )
            .into_response();
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        response
    };
    let Some(token) = bearer(&headers, &body) else {
        return unauthorized("Bearer realm=\"tigr\"");
    };
    match app.oidc.userinfo(&token).await {
        Ok(claims) => Json(claims).into_response(),
        Err(OidcError::InvalidToken) => unauthorized(
            "Bearer realm=\"tigr\", error=\"invalid_token\", \
             error_description=\"the access token is unknown, expired or revoked\"",
        ),
        Err(_) => server_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "s6BhdRkqt3:gX1fBat3bV" (RFC 6749 §2.3.1 example).
        let h = headers(&[("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")]);
        assert_eq!(
            basic_credentials(&h),
            Ok(Some(("s6BhdRkqt3".into(), "gX1fBat3bV".into())))
        );
        // "a%3Ab:c+d%25" → id "a:b", secret "c d%".
        let encoded = base64::engine::general_purpose::STANDARD.encode("a%3Ab:c+d%25");
        let h = headers(&[("authorization", &format!("Basic {encoded}"))]);
        assert_eq!(
            basic_credentials(&h),
            Ok(Some(("a:b".into(), "c d%".into())))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()), Ok(None));
        for bad in ["Basic", "Basic !!!", "Bearer abc", "Basic bm9jb2xvbg=="] {
            assert_eq!(
                basic_credentials(&headers(&[("authorization", bad)])),
                Err(()),
                "{bad}"
            );
        }
    }

    #[test]
    fn one_bearer_token() {
        let h = headers(&[("authorization", "Bearer abc")]);
        assert_eq!(bearer(&h, b""), Some("abc".into()));
        let form = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        assert_eq!(bearer(&form, b"access_token=xyz"), Some("xyz".into()));
        let both = headers(&[
            ("authorization", "Bearer abc"),
            ("content-type", "application/x-www-form-urlencoded"),
        ]);
        assert_eq!(bearer(&both, b"access_token=xyz"), None);
        assert_eq!(bearer(&HeaderMap::new(), b""), None);
    }
}
