//! The phone's (and test browsers') HTTP conversation with a Tigr server.
//!
//! HTTP itself is behind [`Transport`], so apps may route it through their own stack and tests
//! may fake it; [`UreqTransport`] (feature `http`, rustls with ring) is the default.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::payload::Origin;
use crate::wire::{
    API_PREFIX, BROWSER_TOKEN_HEADER, ChallengeStatus, ContextRequest, CreateChallengeRequest,
    CreatedChallenge, EnrollmentCompleteRequest, EnrollmentLookupRequest, EnrollmentOffer,
    EnrollmentResult, ErrorBody, ErrorCode, LoginContext, OfflineAnswer, Outcome, SignedAnswer,
};

/// One HTTP request, as the client needs it.
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// JSON body for POST.
    pub body: Option<String>,
    /// Extra headers (name, value).
    pub headers: Vec<(&'static str, &'a str)>,
}

/// An HTTP reply: status and body text.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Body text.
    pub body: String,
}

/// The network failed (no connection, TLS failure, timeout).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network: {0}")]
pub struct TransportError(pub String);

/// Sends HTTP requests. Implementations must not follow redirects to other origins.
pub trait Transport: Send + Sync {
    /// Sends `request` with `Accept-Language: language` and returns the reply whatever its status.
    fn send(&self, request: &HttpRequest<'_>, language: &str) -> Result<HttpReply, TransportError>;
}

/// What can go wrong talking to a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached.
    #[error(transparent)]
    Network(#[from] TransportError),
    /// The server refused, with its code and its localized message.
    #[error("{message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Machine-readable reason.
        code: ErrorCode,
        /// Message for the user, in the requested language.
        message: String,
        /// Attempts left before blocking, when relevant.
        attempts_left: Option<u32>,
        /// On `account_blocked`: when a temporary block lifts (Unix seconds, server time);
        /// `None` when only an administrator can unblock.
        blocked_until: Option<i64>,
    },
    /// The reply does not follow the protocol (wrong server, proxy page, ...).
    #[error("unexpected reply from server (HTTP {status})")]
    Protocol {
        /// HTTP status.
        status: u16,
    },
}

/// A client for one server origin.
pub struct ServerClient<'t> {
    transport: &'t dyn Transport,
    origin: String,
    language: String,
}

impl std::fmt::Debug for ServerClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl<'t> ServerClient<'t> {
    /// A client for `origin`, asking for messages in `language` (`fr` or `en`).
    pub fn new(transport: &'t dyn Transport, origin: &Origin, language: &str) -> Self {
        Self {
            transport,
            origin: origin.to_string(),
            language: language.to_owned(),
        }
    }

    fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&B>,
        browser_token: Option<&str>,
    ) -> Result<R, ClientError> {
        let request = HttpRequest {
            method,
            url: format!("{}{API_PREFIX}{path}", self.origin),
            body: body.map(|b| serde_json::to_string(b).expect("request bodies serialize")),
            headers: browser_token
                .map(|t| vec![(BROWSER_TOKEN_HEADER, t)])
                .unwrap_or_default(),
        };
        let reply = self.transport.send(&request, &self.language)?;
        if (200..300).contains(&reply.status) {
            return serde_json::from_str(&reply.body).map_err(|_| ClientError::Protocol {
                status: reply.status,
            });
        }
        match serde_json::from_str::<ErrorBody>(&reply.body) {
            Ok(error) => Err(ClientError::Server {
                status: reply.status,
                code: error.error,
                message: error.message,
                attempts_left: error.attempts_left,
                blocked_until: error.blocked_until,
            }),
            Err(_) => Err(ClientError::Protocol {
                status: reply.status,
            }),
        }
    }

    /// What an enrollment code is for.
    pub fn lookup_enrollment(&self, code: &str) -> Result<EnrollmentOffer, ClientError> {
        let body = EnrollmentLookupRequest {
            code: code.to_owned(),
        };
        self.call("POST", "/enrollments/lookup", Some(&body), None)
    }

    /// Registers this phone's keys.
    pub fn complete_enrollment(
        &self,
        request: &EnrollmentCompleteRequest,
    ) -> Result<EnrollmentResult, ClientError> {
        self.call("POST", "/enrollments/complete", Some(request), None)
    }

    /// The context of a scanned login challenge.
    pub fn login_context(
        &self,
        challenge_id: &str,
        nonce: &str,
    ) -> Result<LoginContext, ClientError> {
        let body = ContextRequest {
            nonce: nonce.to_owned(),
        };
        self.call(
            "POST",
            &format!("/login/challenges/{challenge_id}/context"),
            Some(&body),
            None,
        )
    }

    /// Sends a signed approval.
    pub fn respond(
        &self,
        challenge_id: &str,
        answer: &SignedAnswer,
    ) -> Result<Outcome, ClientError> {
        self.call(
            "POST",
            &format!("/login/challenges/{challenge_id}/response"),
            Some(answer),
            None,
        )
    }

    /// Sends a signed denial.
    pub fn deny(&self, challenge_id: &str, answer: &SignedAnswer) -> Result<Outcome, ClientError> {
        self.call(
            "POST",
            &format!("/login/challenges/{challenge_id}/deny"),
            Some(answer),
            None,
        )
    }

    /// Browser side: a new login challenge.
    pub fn create_challenge(&self) -> Result<CreatedChallenge, ClientError> {
        self.call(
            "POST",
            "/login/challenges",
            Some(&CreateChallengeRequest {}),
            None,
        )
    }

    /// Browser side: the challenge's state, waiting up to `wait_seconds` for a decision.
    pub fn challenge_status(
        &self,
        challenge_id: &str,
        browser_token: &str,
        wait_seconds: u32,
    ) -> Result<ChallengeStatus, ClientError> {
        self.call::<(), _>(
            "GET",
            &format!("/login/challenges/{challenge_id}/status?wait={wait_seconds}"),
            None,
            Some(browser_token),
        )
    }

    /// Browser side: submits an offline Tigr ID and code.
    pub fn submit_offline(
        &self,
        challenge_id: &str,
        browser_token: &str,
        answer: &OfflineAnswer,
    ) -> Result<Outcome, ClientError> {
        self.call(
            "POST",
            &format!("/login/challenges/{challenge_id}/offline"),
            Some(answer),
            Some(browser_token),
        )
    }
}

/// Blocking HTTP over rustls (ring provider) with `ureq`.
#[cfg(feature = "http")]
#[derive(Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

#[cfg(feature = "http")]
impl UreqTransport {
    /// A transport that gives up connecting after 5 s and waiting after 40 s (long enough for
    /// a 30-second status long-poll), and never follows redirects.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(std::time::Duration::from_secs(5)))
            .timeout_global(Some(std::time::Duration::from_secs(40)))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("tigr-core/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
        }
    }
}

#[cfg(feature = "http")]
impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "http")]
impl Transport for UreqTransport {
    fn send(&self, request: &HttpRequest<'_>, language: &str) -> Result<HttpReply, TransportError> {
        let network = |e: ureq::Error| TransportError(e.to_string());
        let mut response = match (request.method, &request.body) {
            ("POST", body) => {
                let mut builder = self
                    .agent
                    .post(&request.url)
                    .header("accept-language", language)
                    .header("content-type", "application/json");
                for (name, value) in &request.headers {
                    builder = builder.header(*name, *value);
                }
                builder
                    .send(body.as_deref().unwrap_or("{}"))
                    .map_err(network)?
            }
            _ => {
                let mut builder = self
                    .agent
                    .get(&request.url)
                    .header("accept-language", language);
                for (name, value) in &request.headers {
                    builder = builder.header(*name, *value);
                }
                builder.call().map_err(network)?
            }
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(network)?;
        Ok(HttpReply { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every request with one canned reply.
    struct Canned(u16, &'static str);

    impl Transport for Canned {
        fn send(&self, _: &HttpRequest<'_>, _: &str) -> Result<HttpReply, TransportError> {
            Ok(HttpReply {
                status: self.0,
                body: self.1.to_owned(),
            })
        }
    }

    fn refusal(status: u16, body: &'static str) -> ClientError {
        let transport = Canned(status, body);
        let origin = Origin::parse("https://auth.example.fr").expect("origin");
        ServerClient::new(&transport, &origin, "fr")
            .create_challenge()
            .expect_err("refused")
    }

    #[test]
    fn server_refusals_keep_their_details() {
        assert_eq!(
            refusal(
                423,
                r#"{"error":"account_blocked","message":"Bloqué","attempts_left":0,"blocked_until":1795000900}"#
            ),
            ClientError::Server {
                status: 423,
                code: ErrorCode::AccountBlocked,
                message: "Bloqué".into(),
                attempts_left: Some(0),
                blocked_until: Some(1_795_000_900),
            }
        );
        assert!(matches!(
            refusal(
                423,
                r#"{"error":"account_blocked","message":"Bloqué","attempts_left":0}"#
            ),
            ClientError::Server {
                blocked_until: None,
                ..
            }
        ));
        assert_eq!(
            refusal(502, "<html>Bad gateway</html>"),
            ClientError::Protocol { status: 502 }
        );
    }
}
