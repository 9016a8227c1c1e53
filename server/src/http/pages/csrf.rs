//! Cross-site request forgery protection for every POST of the pages.
//!
//! Two independent checks:
//! 1. **Token**: `HMAC-SHA256(key, "tigr/csrf/v1" 0x00 cookie)`, base64url, where `cookie` is
//!    the secret cookie the request is bound to (the session id, or the login page's browser
//!    token). The key lives in the database (`meta`), so tokens survive restarts; a copy of the
//!    database does not give them (the cookie values are never stored). Sent as the form
//!    field `csrf` or the header `x-csrf-token`.
//! 2. **Origin**: `Sec-Fetch-Site`, when sent, must be `same-origin`; `Origin`, when sent, must
//!    be this server's configured public origin: scheme, host and port, compared normalised
//!    (`HTTPS://Auth.example.fr:443` is `https://auth.example.fr`). The `Host` header is not
//!    looked at: whoever sends the request chooses it.

use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tigr_core::ids::is_valid_id;
use tigr_core::payload::Origin;
use tigr_core::wire::b64_encode;

use crate::sealing::constant_time_eq;

use super::super::AppState;
use super::super::error::{ApiError, MAX_BODY_BYTES};
use super::{Failure, PageContext, WebError, WebSession};

/// Header carrying the token for scripts.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Domain of CSRF tokens.
const CSRF_DOMAIN: &[u8] = b"tigr/csrf/v1\0";

/// Domain of the tags of login cookies (the same key signs both; the domains keep a CSRF
/// token from ever being a login cookie's tag, and the reverse).
const LOGIN_COOKIE_DOMAIN: &[u8] = b"tigr/login-cookie/v1\0";

/// `HMAC-SHA256(key, domain || data)`, base64url.
fn tag(key: &ring::hmac::Key, domain: &[u8], data: &str) -> String {
    let mut message = Vec::with_capacity(domain.len() + data.len());
    message.extend_from_slice(domain);
    message.extend_from_slice(data.as_bytes());
    b64_encode(ring::hmac::sign(key, &message).as_ref())
}

/// The token bound to `binding`.
pub(crate) fn token(key: &ring::hmac::Key, binding: &str) -> String {
    tag(key, CSRF_DOMAIN, binding)
}

/// Constant-time check of a submitted token.
pub(crate) fn verify(key: &ring::hmac::Key, binding: &str, submitted: &str) -> bool {
    !binding.is_empty() && constant_time_eq(token(key, binding).as_bytes(), submitted.as_bytes())
}

/// The login cookie of a fresh browser token: `<token>.<tag>`. The tag proves this server
/// issued the value, so a cookie planted by someone else (fixation: a value the planter knows,
/// to watch or complete the victim's login) is recognised and replaced.
pub(crate) fn login_cookie(key: &ring::hmac::Key, browser_token: &str) -> String {
    format!(
        "{browser_token}.{}",
        tag(key, LOGIN_COOKIE_DOMAIN, browser_token)
    )
}

/// True when `value` is a login cookie this server issued (constant-time check of its tag).
pub(crate) fn is_issued_login_cookie(key: &ring::hmac::Key, value: &str) -> bool {
    value
        .split_once('.')
        .is_some_and(|(browser_token, submitted)| {
            is_valid_id(browser_token)
                && constant_time_eq(
                    tag(key, LOGIN_COOKIE_DOMAIN, browser_token).as_bytes(),
                    submitted.as_bytes(),
                )
        })
}

/// True unless the browser says the request comes from another site: `Sec-Fetch-Site` other
/// than `same-origin`, or an `Origin` other than `own` (compared normalised; `null`, anything
/// unparsable and anything more than an origin — user info, a path, a query, a fragment — are
/// other sites: a browser never sends them).
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
    // Scheme, host and port only, as browsers send it: the text after `://` holds no user
    // info, path, query or fragment (the URL parser would drop an empty `@` unseen).
    let only_an_origin = origin
        .split_once("://")
        .is_some_and(|(_, authority)| !authority.contains(['@', '/', '\\', '?', '#']));
    let (Ok(origin), Ok(own)) = (url::Url::parse(origin), url::Url::parse(&own.to_string())) else {
        return false;
    };
    only_an_origin && origin.origin().is_tuple() && origin.origin() == own.origin()
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
    fn login_cookies_carry_the_servers_tag() {
        let token = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let cookie = login_cookie(&key(1), token);
        assert!(
            cookie.starts_with("ABCDEFGHIJKLMNOPQRSTUVWXYZ."),
            "{cookie}"
        );
        assert!(is_issued_login_cookie(&key(1), &cookie));
        // Another server's, a bare token, a forged or moved tag, a CSRF token as tag.
        assert!(!is_issued_login_cookie(&key(2), &cookie));
        assert!(!is_issued_login_cookie(&key(1), token));
        assert!(!is_issued_login_cookie(&key(1), &format!("{token}.")));
        let other = login_cookie(&key(1), "ZYXWVUTSRQPONMLKJIHGFEDCBA");
        let (_, other_tag) = other.split_once('.').expect("tag");
        assert!(!is_issued_login_cookie(
            &key(1),
            &format!("{token}.{other_tag}")
        ));
        assert!(!is_issued_login_cookie(
            &key(1),
            &format!("{token}.{}", token_of(token))
        ));
        assert!(!is_issued_login_cookie(
            &key(1),
            &format!("bad.{other_tag}")
        ));
    }

    fn token_of(binding: &str) -> String {
        token(&key(1), binding)
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
        // The Host header proves nothing: it is the sender's choice.
        assert!(!same_origin(
            &headers(&[
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080")
            ]),
            &own
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example"), ("host", "evil.example")]),
            &own
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://127.0.0.1:8081")]),
            &own
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), &own));
        // Spelled otherwise, the same origin.
        assert!(same_origin(
            &headers(&[("origin", "HTTP://127.0.0.1:8080")]),
            &own
        ));
        // More than an origin: never sent by a browser.
        for more in [
            "http://@127.0.0.1:8080",
            "http://@@@@127.0.0.1:8080",
            "http://user:pw@127.0.0.1:8080",
            "http://127.0.0.1:8080/login",
            "http://127.0.0.1:8080?a=b",
            "http://127.0.0.1:8080#f",
            "http://127.0.0.1:8080/",
        ] {
            let sent = HeaderMap::from_iter([(ORIGIN, more.parse().expect("value"))]);
            assert!(!same_origin(&sent, &own), "{more}");
        }
        assert!(!same_origin(
            &headers(&[("origin", "127.0.0.1:8080")]),
            &own
        ));
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

        // The scheme counts; case and default ports do not.
        let https = Origin::parse("https://auth.example.fr").expect("origin");
        assert!(!same_origin(
            &headers(&[
                ("origin", "http://auth.example.fr"),
                ("host", "auth.example.fr")
            ]),
            &https
        ));
        for spelled in ["https://auth.example.fr", "HTTPS://Auth.Example.FR:443"] {
            let mut h = HeaderMap::new();
            h.insert("origin", spelled.parse().expect("value"));
            assert!(same_origin(&h, &https), "{spelled}");
        }
        assert!(!same_origin(
            &headers(&[("origin", "https://auth.example.fr:8443")]),
            &https
        ));
    }
}
