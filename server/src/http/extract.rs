//! Request extractors: JSON bodies with localized rejections, the requester's address and
//! browser, the preferred language.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::domain::browser::summarize_user_agent;
use crate::i18n::Lang;
use crate::login::ClientInfo;

use super::AppState;
use super::error::{ApiError, BadRequest};

/// A JSON body. Unlike `axum::Json`, its rejections are [`ApiError`]s (400 `invalid_request`
/// with a clear, localized message that names the field but never echoes a value). An empty
/// body reads as `{}`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = json_content_type(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(BadRequest::Unreadable)
            }
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else if is_json {
            &bytes
        } else {
            return Err(BadRequest::ContentType.into());
        };
        parse_json(bytes).map(ApiJson).map_err(ApiError::BadRequest)
    }
}

fn json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses a JSON document, classifying failures without quoting the input.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BadRequest> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        classify(e.inner(), &path)
    })?;
    deserializer.end().map_err(|e| classify(&e, "."))?;
    Ok(value)
}

fn classify(error: &serde_json::Error, path: &str) -> BadRequest {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => BadRequest::JsonSyntax {
            line: error.line(),
            column: error.column(),
        },
        Category::Data => {
            // serde's "missing field `name`": the name comes from our own types, not the input.
            let text = error.to_string();
            if let Some(rest) = text.strip_prefix("missing field `")
                && let Some(name) = rest.split('`').next()
                && is_field_name(name)
            {
                return BadRequest::MissingField(name.to_owned());
            }
            if path == "." || path.is_empty() {
                BadRequest::JsonShape
            } else if is_field_name(&path.replace('.', "_")) {
                BadRequest::InvalidField(path.to_owned())
            } else {
                BadRequest::JsonShape
            }
        }
    }
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(lang_of(&parts.headers))
    }
}

/// The language a request prefers.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// Who sent a request (see [`ClientInfo`]).
impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = state
            .trust_proxy
            .then(|| forwarded_client(&parts.headers))
            .flatten();
        let ip = forwarded
            .or(peer)
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_else(|| "unknown".to_owned());
        let summary = summarize_user_agent(
            parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        );
        Ok(Self { ip, summary })
    }
}

/// The client address appended by the trusted proxy: the last valid entry of the last
/// `X-Forwarded-For` header (earlier entries are whatever the client claimed).
fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
}

/// Query of the status route.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// Long-poll for up to this many seconds (capped at
    /// [`crate::login::MAX_WAIT_SECONDS`]).
    pub wait: Option<u64>,
}

/// The `wait` of a status query (400 when it is not a number of seconds).
pub fn wait_of(query: Result<Query<StatusQuery>, QueryRejection>) -> Result<u64, ApiError> {
    let Query(query) = query.map_err(|_| BadRequest::Wait)?;
    Ok(query.wait.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        otp: String,
        tigr_id: String,
    }

    #[test]
    fn json_errors_are_classified_without_values() {
        assert!(matches!(
            parse_json::<Body>(b"{\"otp\": \"1234"),
            Err(BadRequest::JsonSyntax { line: 1, .. })
        ));
        assert_eq!(
            parse_json::<Body>(b"{\"otp\": \"12345678\"}").unwrap_err(),
            BadRequest::MissingField("tigr_id".into())
        );
        assert_eq!(
            parse_json::<Body>(b"{\"otp\": 12345678, \"tigr_id\": \"a\"}").unwrap_err(),
            BadRequest::InvalidField("otp".into())
        );
        assert_eq!(
            parse_json::<Body>(b"[1, 2]").unwrap_err(),
            BadRequest::JsonShape
        );
        assert!(matches!(
            parse_json::<Body>(b"{\"otp\": \"1\", \"tigr_id\": \"a\"} trailing"),
            Err(BadRequest::JsonSyntax { .. })
        ));
        assert!(parse_json::<Body>(b"{\"otp\": \"1\", \"tigr_id\": \"a\"}").is_ok());
    }

    #[test]
    fn forwarded_for_takes_the_proxy_entry() {
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_client(&h), None);
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.7".parse().expect("header"),
        );
        assert_eq!(
            forwarded_client(&h),
            Some("203.0.113.7".parse().expect("ip"))
        );
        h.insert("x-forwarded-for", "garbage".parse().expect("header"));
        assert_eq!(forwarded_client(&h), None);
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(!json_content_type(&h));
        h.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().expect("h"),
        );
        assert!(json_content_type(&h));
        h.insert(CONTENT_TYPE, "application/problem+json".parse().expect("h"));
        assert!(json_content_type(&h));
        h.insert(CONTENT_TYPE, "text/plain".parse().expect("h"));
        assert!(!json_content_type(&h));
    }
}
