//! The error type of the JSON API: every failure a client of the API can see (the login
//! service's refusals and the HTTP layer's own), its status code, its [`ErrorCode`] and its
//! message in French or English.
//!
//! Messages never contain a value from the request (a nonce, token, code, OTP or signature
//! sent in the wrong field would otherwise be echoed into logs and screens).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tigr_core::clock::local_text;
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::wire::{ErrorBody, ErrorCode};

use crate::domain::enrollment::RegistrationError;
use crate::i18n::Lang;
use crate::login::{AnswerKind, LoginError};
use crate::text::{text, text_with};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What was malformed in a request (400 `invalid_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRequest {
    /// The body is not JSON, at this line and column.
    JsonSyntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A required field is missing.
    MissingField(String),
    /// A field has the wrong type or value (named by its path).
    InvalidField(String),
    /// The body is JSON but not an object of the expected shape.
    JsonShape,
    /// The body is not declared as JSON.
    ContentType,
    /// The body could not be read.
    Unreadable,
    /// The `wait` parameter is not a number of seconds.
    Wait,
}

/// An error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400: malformed request.
    BadRequest(BadRequest),
    /// 413: body over [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// A refusal of the login service (its status and code below).
    Login(LoginError),
    /// 404: no route at this path.
    RouteNotFound,
    /// 405: the route exists with another method.
    MethodNotAllowed,
    /// 429: too many requests from this client address; try again after `retry_after`
    /// seconds (also sent as `Retry-After`).
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 429: this client address already holds the most live channels (event streams, long
    /// polls) allowed at once; try again after `retry_after` seconds (`Retry-After`).
    TooManyLiveChannels {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 408: the request's body did not arrive whole in time.
    RequestTimeout,
    /// 500: failure on our side (already logged).
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Login(error) => login_status(error),
            Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RateLimited { .. } | Self::TooManyLiveChannels { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_)
            | Self::PayloadTooLarge
            | Self::RouteNotFound
            | Self::MethodNotAllowed
            | Self::RequestTimeout => ErrorCode::InvalidRequest,
            Self::Login(error) => login_code(error),
            Self::RateLimited { .. } | Self::TooManyLiveChannels { .. } => ErrorCode::RateLimited,
            Self::Internal => ErrorCode::Internal,
        }
    }

    fn attempts_left(&self) -> Option<u32> {
        match self {
            Self::Login(LoginError::InvalidAnswer { attempts_left, .. }) => *attempts_left,
            Self::Login(
                LoginError::AccountBlocked
                | LoginError::AccountBlockedTemporarily { .. }
                | LoginError::OfflinePaused { .. },
            ) => Some(0),
            _ => None,
        }
    }

    /// The body of the reply in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            error: self.code(),
            message: self.message(lang),
            attempts_left: self.attempts_left(),
            blocked_until: match self {
                Self::Login(
                    LoginError::AccountBlockedTemporarily { until, .. }
                    | LoginError::OfflinePaused { until, .. },
                ) => Some(*until),
                _ => None,
            },
        }
    }

    /// The human message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let kib = i64::try_from(MAX_BODY_BYTES / 1024).unwrap_or(i64::MAX);
        match self {
            Self::BadRequest(reason) => bad_request_message(reason, lang),
            Self::PayloadTooLarge => {
                text_with(lang, "error-payload-too-large", &[("kib", kib.into())])
            }
            Self::Login(error) => login_message(error, lang),
            Self::RateLimited { retry_after } => text_with(
                lang,
                "error-rate-limited",
                &[("seconds", (*retry_after).into())],
            ),
            Self::TooManyLiveChannels { retry_after } => text_with(
                lang,
                "error-live-channels",
                &[("seconds", (*retry_after).into())],
            ),
            Self::RequestTimeout => text(lang, "error-request-timeout"),
            Self::RouteNotFound => text(lang, "error-route-not-found"),
            Self::MethodNotAllowed => text(lang, "error-method-not-allowed"),
            Self::Internal => text(lang, "error-internal"),
        }
    }
}

/// The message of a refusal of the login service, in `lang`.
fn login_message(error: &LoginError, lang: Lang) -> String {
    let key = match error {
        LoginError::InvalidAnswer {
            attempts_left,
            kind,
        } => {
            let head = text(
                lang,
                match kind {
                    AnswerKind::Approval => "error-invalid-answer-approval",
                    AnswerKind::Denial => "error-invalid-answer-denial",
                    AnswerKind::OfflineCode => "error-invalid-answer-offline",
                },
            );
            let left_key = match kind {
                AnswerKind::OfflineCode => "error-attempts-left-offline",
                AnswerKind::Approval | AnswerKind::Denial => "error-attempts-left",
            };
            return match attempts_left {
                Some(n) => {
                    let left = text_with(lang, left_key, &[("n", (*n).into())]);
                    format!("{head} {left}")
                }
                None => head,
            };
        }
        LoginError::AccountBlockedTemporarily { minutes, .. } => {
            return text_with(
                lang,
                "error-account-blocked-temporarily",
                &[("minutes", (*minutes).into())],
            );
        }
        LoginError::OfflinePaused {
            until,
            minutes,
            zone,
        } => {
            return text_with(
                lang,
                "error-offline-paused",
                &[
                    ("until", local_text(*until, zone, lang.into()).into()),
                    ("minutes", (*minutes).into()),
                ],
            );
        }
        LoginError::InvalidRegistration(error) => return registration_message(*error, lang),
        LoginError::AccountBlocked => "error-account-blocked",
        LoginError::InvitationCancelled => "error-invitation-cancelled",
        LoginError::PhoneRevoked => "error-phone-revoked",
        LoginError::UnknownAccount => "error-unknown-account",
        LoginError::UnknownChallenge => "error-unknown-challenge",
        LoginError::ChallengeExpired => "error-challenge-expired",
        LoginError::ChallengeUsed => "error-challenge-used",
        LoginError::UnknownInvitation => "error-unknown-invitation",
        LoginError::InvitationExpired => "error-invitation-expired",
        LoginError::InvitationUsed => "error-invitation-used",
        LoginError::BrowserMismatch => "error-browser-mismatch",
        LoginError::MalformedSignature => "error-malformed-signature",
        LoginError::MalformedOfflineCode => "error-malformed-offline-code",
        LoginError::NotApproved => "error-not-approved",
        LoginError::SessionAlreadyOpened => "error-already-used",
        LoginError::Internal => "error-internal",
    };
    text(lang, key)
}

fn bad_request_message(reason: &BadRequest, lang: Lang) -> String {
    match reason {
        BadRequest::JsonSyntax { line, column } => text_with(
            lang,
            "error-json-syntax",
            &[("line", (*line).into()), ("column", (*column).into())],
        ),
        BadRequest::MissingField(field) => text_with(
            lang,
            "error-missing-field",
            &[("field", field.as_str().into())],
        ),
        BadRequest::InvalidField(field) => text_with(
            lang,
            "error-invalid-field",
            &[("field", field.as_str().into())],
        ),
        BadRequest::JsonShape => text(lang, "error-json-shape"),
        BadRequest::ContentType => text(lang, "error-content-type"),
        BadRequest::Unreadable => text(lang, "error-unreadable"),
        BadRequest::Wait => text(lang, "error-wait"),
    }
}

fn registration_message(error: RegistrationError, lang: Lang) -> String {
    let key = match error {
        RegistrationError::BadApprovalKey => "error-registration-approval-key",
        RegistrationError::BadIdentityKey => "error-registration-identity-key",
        RegistrationError::SameKeys => "error-registration-same-keys",
        RegistrationError::BadOfflineSecret => "error-registration-offline-secret",
        RegistrationError::WrongSuite => {
            return text_with(
                lang,
                "error-registration-suite",
                &[("suite", OFFLINE_SUITE.into())],
            );
        }
        RegistrationError::BadDeviceName => "error-registration-device-name",
    };
    text(lang, key)
}

/// Marks an error response so that the language middleware can re-render it.
#[derive(Debug, Clone)]
pub(crate) struct ErrorToRender(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Rendered in French here; `routes::common_headers` re-renders it when the request
        // prefers English (IntoResponse cannot see the request).
        let mut response = (self.status(), Json(self.body(Lang::Fr))).into_response();
        response.extensions_mut().insert(ErrorToRender(self));
        response
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Internal => Self::Internal,
            other => Self::Login(other),
        }
    }
}

/// The HTTP status of a refusal of the login service.
fn login_status(error: &LoginError) -> StatusCode {
    match error {
        LoginError::InvalidAnswer { .. } => StatusCode::UNAUTHORIZED,
        LoginError::AccountBlocked
        | LoginError::AccountBlockedTemporarily { .. }
        | LoginError::OfflinePaused { .. } => StatusCode::LOCKED,
        LoginError::PhoneRevoked | LoginError::BrowserMismatch => StatusCode::FORBIDDEN,
        LoginError::UnknownAccount
        | LoginError::UnknownChallenge
        | LoginError::UnknownInvitation => StatusCode::NOT_FOUND,
        LoginError::ChallengeExpired
        | LoginError::InvitationExpired
        | LoginError::InvitationCancelled => StatusCode::GONE,
        LoginError::ChallengeUsed
        | LoginError::InvitationUsed
        | LoginError::NotApproved
        | LoginError::SessionAlreadyOpened => StatusCode::CONFLICT,
        LoginError::MalformedSignature
        | LoginError::MalformedOfflineCode
        | LoginError::InvalidRegistration(_) => StatusCode::BAD_REQUEST,
        LoginError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The protocol's code of a refusal of the login service.
fn login_code(error: &LoginError) -> ErrorCode {
    match error {
        LoginError::InvalidAnswer { .. } => ErrorCode::InvalidResponse,
        LoginError::AccountBlocked | LoginError::AccountBlockedTemporarily { .. } => {
            ErrorCode::AccountBlocked
        }
        LoginError::OfflinePaused { .. } => ErrorCode::OfflinePaused,
        LoginError::PhoneRevoked => ErrorCode::DeviceRevoked,
        LoginError::UnknownAccount => ErrorCode::UnknownAccount,
        LoginError::UnknownChallenge => ErrorCode::UnknownChallenge,
        LoginError::ChallengeExpired => ErrorCode::ChallengeExpired,
        // Only the pages open sessions: the API never replies these two.
        LoginError::ChallengeUsed | LoginError::NotApproved | LoginError::SessionAlreadyOpened => {
            ErrorCode::ChallengeUsed
        }
        LoginError::UnknownInvitation => ErrorCode::UnknownEnrollment,
        LoginError::InvitationExpired | LoginError::InvitationCancelled => {
            ErrorCode::EnrollmentExpired
        }
        LoginError::InvitationUsed => ErrorCode::EnrollmentUsed,
        LoginError::BrowserMismatch => ErrorCode::BrowserMismatch,
        LoginError::MalformedSignature
        | LoginError::MalformedOfflineCode
        | LoginError::InvalidRegistration(_) => ErrorCode::InvalidRequest,
        LoginError::Internal => ErrorCode::Internal,
    }
}

impl From<BadRequest> for ApiError {
    fn from(reason: BadRequest) -> Self {
        Self::BadRequest(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        assert_eq!(
            ApiError::from(LoginError::blocked(
                crate::domain::lockout::Block {
                    since: 1_795_000_000,
                    until: Some(1_795_000_870),
                    reason: crate::domain::lockout::BlockReason::TooManyFailures,
                },
                1_795_000_000,
            ))
            .body(Lang::En)
            .blocked_until,
            Some(1_795_000_870)
        );
        let blocked = ApiError::Login(LoginError::AccountBlocked).body(Lang::Fr);
        assert_eq!(blocked.error, ErrorCode::AccountBlocked);
        assert_eq!(blocked.attempts_left, Some(0));
        assert_eq!(blocked.blocked_until, None);
        assert_eq!(
            ApiError::Login(LoginError::AccountBlocked)
                .status()
                .as_u16(),
            423
        );
        let temporary = ApiError::Login(LoginError::AccountBlockedTemporarily {
            until: 1_795_000_900,
            minutes: 15,
        });
        assert_eq!(temporary.status().as_u16(), 423);
        let body = temporary.body(Lang::Fr);
        assert_eq!(body.error, ErrorCode::AccountBlocked);
        assert_eq!(body.attempts_left, Some(0));
        assert_eq!(body.blocked_until, Some(1_795_000_900));
        assert!(temporary.message(Lang::Fr).contains("dans 15 min"));
        assert!(temporary.message(Lang::En).contains("in 15 min"));
        assert_eq!(ApiError::Internal.body(Lang::Fr).blocked_until, None);
        let paused = ApiError::Login(LoginError::OfflinePaused {
            until: 1_795_000_900,
            minutes: 15,
            zone: tigr_core::clock::TimeZone::UTC,
        });
        assert_eq!(paused.status().as_u16(), 423);
        let body = paused.body(Lang::Fr);
        assert_eq!(body.error, ErrorCode::OfflinePaused);
        assert_eq!(
            (body.attempts_left, body.blocked_until),
            (Some(0), Some(1_795_000_900))
        );
        assert!(
            body.message
                .starts_with("Saisie hors connexion suspendue pour ce compte jusqu'à 11:21:40 (UTC+00:00) le 18/11/2026"),
            "{}",
            body.message
        );
        assert!(paused.message(Lang::En).contains("QR code"));
        assert_eq!(
            ApiError::Login(LoginError::InvitationCancelled)
                .status()
                .as_u16(),
            410
        );
        let e = ApiError::Login(LoginError::InvalidAnswer {
            attempts_left: Some(1),
            kind: AnswerKind::Approval,
        });
        assert_eq!(e.status().as_u16(), 401);
        assert!(e.message(Lang::Fr).contains("Il reste 1 essai "));
        assert!(e.message(Lang::En).contains("1 attempt left"));
        let e = ApiError::Login(LoginError::InvalidAnswer {
            attempts_left: Some(3),
            kind: AnswerKind::OfflineCode,
        });
        assert!(e.message(Lang::Fr).contains("Il reste 3 essais"));
        assert_eq!(ApiError::Internal.body(Lang::En).attempts_left, None);
    }

    #[test]
    fn every_message_exists_in_both_languages() {
        let errors = [
            ApiError::BadRequest(BadRequest::JsonSyntax { line: 1, column: 2 }),
            ApiError::BadRequest(BadRequest::MissingField("otp".into())),
            ApiError::Login(LoginError::InvalidRegistration(
                RegistrationError::WrongSuite,
            )),
            ApiError::PayloadTooLarge,
            ApiError::Login(LoginError::AccountBlocked),
            ApiError::Login(LoginError::AccountBlockedTemporarily {
                until: 1_795_000_900,
                minutes: 15,
            }),
            ApiError::Login(LoginError::InvitationCancelled),
            ApiError::Login(LoginError::OfflinePaused {
                until: 1_795_000_900,
                minutes: 15,
                zone: tigr_core::clock::TimeZone::UTC,
            }),
            ApiError::Login(LoginError::PhoneRevoked),
            ApiError::Login(LoginError::UnknownAccount),
            ApiError::Login(LoginError::UnknownChallenge),
            ApiError::Login(LoginError::ChallengeExpired),
            ApiError::Login(LoginError::ChallengeUsed),
            ApiError::Login(LoginError::UnknownInvitation),
            ApiError::Login(LoginError::InvitationExpired),
            ApiError::Login(LoginError::InvitationUsed),
            ApiError::Login(LoginError::BrowserMismatch),
            ApiError::Login(LoginError::MalformedSignature),
            ApiError::Login(LoginError::MalformedOfflineCode),
            ApiError::RouteNotFound,
            ApiError::MethodNotAllowed,
            ApiError::RateLimited { retry_after: 8 },
            ApiError::TooManyLiveChannels { retry_after: 10 },
            ApiError::RequestTimeout,
            ApiError::Internal,
        ];
        for e in errors {
            let (fr, en) = (e.message(Lang::Fr), e.message(Lang::En));
            assert!(!fr.is_empty() && !en.is_empty());
            assert_ne!(fr, en, "{e:?}");
        }
    }
}
