//! Cross-site request forgery protection for every POST of the pages.
//!
//! Two independent checks:
//! 1. **Token**: `HMAC-SHA256(key, "tigr/csrf/v1" 0x00 cookie)`, base64url, where `cookie` is
//!    the secret cookie the request is bound to (the session id, or the login page's browser
//!    token). The key lives in the database (`meta`), so tokens survive restarts; a copy of the
//!    database does not give them (the cookie values are never stored). Sent as the form
//!    field `csrf` or the header `x-csrf-token`.
//! 2. **Origin**: `Sec-Fetch-Site`, when sent, must be `same-origin`; `Origin`, when sent, must
//!    be this server (its public URL, or the `Host` the browser used).

use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tigr_core::payload::Origin;
use tigr_core::wire::b64_encode;

use crate::sealing::constant_time_eq;

use super::super::AppState;
use super::super::error::{ApiError, MAX_BODY_BYTES};
use super::{Failure, PageContext, WebError, WebSession};

/// Header carrying the token for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

const DOMAIN: &[u8] = b"tigr/csrf/v1\0";

/// The token bound to `binding`.
pub(crate) fn token(key: &ring::hmac::Key, binding: &str) -> String {
    let mut message = Vec::with_capacity(DOMAIN.len() + binding.len());
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(binding.as_bytes());
    b64_encode(ring::hmac::sign(key, &message).as_ref())
}

/// Constant-time check of a submitted token.
pub(crate) fn verify(key: &ring::hmac::Key, binding: &str, submitted: &str) -> bool {
    !binding.is_empty() && constant_time_eq(token(key, binding).as_bytes(), submitted.as_bytes())
}

/// True unless the browser says the request comes from another site.
pub fn same_origin(headers: &HeaderMap, own: &Origin) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return false;
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == own.to_string() {
        return true;
    }
    // The site as the browser reached it (e.g. http://localhost:8080 for a server whose
    // public URL says 127.0.0.1): same origin if Origin names the Host it sent to.
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (authority, headers.get(HOST).and_then(|h| h.to_str().ok())) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// The token submitted with a request: header first, else the `csrf` field of a form body.
pub fn submitted_token(headers: &HeaderMap, form_body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Field {
        csrf: Option<String>,
    }
    if let Some(value) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(value.to_owned());
    }
    serde_urlencoded::from_bytes::<Field>(form_body)
        .ok()
        .and_then(|f| f.csrf)
}

/// A form posted by a logged-in page: the session, with the CSRF token and origin checked,
/// and the form's fields (`application/x-www-form-urlencoded`; the `csrf` field may stay
/// undeclared in `T`).
///
/// ```text
/// async fn unblock(SessionForm { session, form }: SessionForm<UnblockForm>) -> Response { … }
/// ```
#[derive(Debug)]
pub struct SessionForm<T> {
    /// The logged-in person.
    pub session: WebSession,
    /// The fields.
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SessionForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let session = WebSession::from_request_parts(&mut parts, app).await?;
        let ctx = PageContext::from_parts(&parts, app);
        if !same_origin(&parts.headers, &app.origin) {
            return Err(ctx.fail(app, Failure::Csrf));
        }
        let bytes = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ctx.fail(app, ApiError::PayloadTooLarge.into()))?;
        let submitted = submitted_token(&parts.headers, &bytes).unwrap_or_default();
        if !session.csrf_ok(&submitted) {
            return Err(ctx.fail(app, Failure::Csrf));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|_| ctx.fail(app, Failure::BadForm))?;
        Ok(Self { session, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> ring::hmac::Key {
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[byte; 32])
    }

    #[test]
    fn tokens_are_bound_to_key_and_cookie() {
        let t = token(&key(1), "COOKIE");
        assert_eq!(t.len(), 43);
        assert!(verify(&key(1), "COOKIE", &t));
        assert!(!verify(&key(1), "OTHER", &t));
        assert!(!verify(&key(2), "COOKIE", &t));
        assert!(!verify(&key(1), "COOKIE", ""));
        assert!(!verify(&key(1), "", &token(&key(1), "")));
    }

    #[test]
    fn origin_checks() {
        let own = Origin::parse("http://127.0.0.1:8080").expect("origin");
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().expect("value"));
            }
            h
        };
        assert!(same_origin(&headers(&[]), &own));
        assert!(same_origin(
            &headers(&[("origin", "http://127.0.0.1:8080")]),
            &own
        ));
        assert!(same_origin(
            &headers(&[
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080")
            ]),
            &own
        ));
        assert!(!same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8080")
            ]),
            &own
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), &own));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            &own
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            &own
        ));
        assert!(same_origin(
            &headers(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://127.0.0.1:8080")
            ]),
            &own
        ));
    }
}
