//! The error type of the JSON API: every failure a client of the API can see (the login
//! service's refusals and the HTTP layer's own), its status code, its [`ErrorCode`] and its
//! message in French or English.
//!
//! Messages never contain a value from the request (a nonce, token, code, OTP or signature
//! sent in the wrong field would otherwise be echoed into logs and screens).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::wire::{ErrorBody, ErrorCode};

use crate::domain::enrollment::RegistrationError;
use crate::i18n::Lang;
use crate::login::{AnswerKind, LoginError};

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
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_)
            | Self::PayloadTooLarge
            | Self::RouteNotFound
            | Self::MethodNotAllowed => ErrorCode::InvalidRequest,
            Self::Login(error) => login_code(error),
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Internal => ErrorCode::Internal,
        }
    }

    fn attempts_left(&self) -> Option<u32> {
        match self {
            Self::Login(LoginError::InvalidAnswer { attempts_left, .. }) => *attempts_left,
            Self::Login(
                LoginError::AccountBlocked | LoginError::AccountBlockedTemporarily { .. },
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
                Self::Login(LoginError::AccountBlockedTemporarily { until, .. }) => Some(*until),
                _ => None,
            },
        }
    }

    /// The human message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let t = |fr: &str, en: &str| lang.pick(fr, en).to_owned();
        match self {
            Self::BadRequest(reason) => bad_request_message(reason, lang),
            Self::PayloadTooLarge => match lang {
                Lang::Fr => format!(
                    "La requête est trop volumineuse ({} Kio au maximum).",
                    MAX_BODY_BYTES / 1024
                ),
                Lang::En => format!(
                    "The request is too large ({} KiB at most).",
                    MAX_BODY_BYTES / 1024
                ),
            },
            Self::Login(error) => login_message(error, lang),
            Self::RateLimited { retry_after } => match lang {
                Lang::Fr => format!(
                    "Trop de demandes depuis cette adresse. Réessayez dans {retry_after} s."
                ),
                Lang::En => {
                    format!("Too many requests from this address. Try again in {retry_after} s.")
                }
            },
            Self::RouteNotFound => t("Adresse inconnue.", "Unknown address."),
            Self::MethodNotAllowed => t(
                "Méthode HTTP non autorisée à cette adresse.",
                "HTTP method not allowed at this address.",
            ),
            Self::Internal => t(
                "Erreur interne du serveur. Réessayez dans un instant.",
                "Internal server error. Please try again in a moment.",
            ),
        }
    }
}

/// The message of a refusal of the login service, in `lang`.
fn login_message(error: &LoginError, lang: Lang) -> String {
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_owned();
    match error {
        LoginError::InvalidAnswer {
            attempts_left,
            kind,
        } => {
            let head = match kind {
                AnswerKind::Approval => t(
                    "Réponse refusée : le code PIN est probablement erroné.",
                    "Response refused: the PIN is probably wrong.",
                ),
                AnswerKind::Denial => t(
                    "Refus non reconnu : la signature du téléphone est invalide.",
                    "Denial not recognised: the phone's signature is invalid.",
                ),
                AnswerKind::OfflineCode => t(
                    "Identifiant Tigr ou mot de passe incorrect.",
                    "Wrong Tigr ID or password.",
                ),
            };
            match *attempts_left {
                Some(n) => format!("{head} {}", attempts_left_message(n, lang)),
                None => head,
            }
        }
        LoginError::AccountBlocked => t(
            "Compte bloqué après trop d'essais infructueux. Contactez votre administrateur \
                 pour le débloquer.",
            "Account blocked after too many failed attempts. Contact your administrator to \
                 unblock it.",
        ),
        LoginError::AccountBlockedTemporarily { minutes, .. } => match lang {
            Lang::Fr => format!(
                "Compte bloqué temporairement après trop d'essais infructueux. Réessayez \
                     dans {minutes} min, ou contactez votre administrateur."
            ),
            Lang::En => format!(
                "Account blocked for a while after too many failed attempts. Try again in \
                     {minutes} min, or contact your administrator."
            ),
        },
        LoginError::InvitationCancelled => t(
            "Ce code d'enrôlement a été annulé. Demandez-en un nouveau à votre \
                 administrateur.",
            "This enrollment code was cancelled. Ask your administrator for a new one.",
        ),
        LoginError::PhoneRevoked => t(
            "Ce téléphone n'est plus enregistré pour ce compte : un autre appareil l'a \
                 remplacé, ou un administrateur l'a révoqué.",
            "This phone is no longer enrolled for this account: another device replaced it, \
                 or an administrator revoked it.",
        ),
        LoginError::UnknownAccount => t(
            "Compte inconnu, ou aucun téléphone n'est enregistré pour ce compte.",
            "Unknown account, or no phone is enrolled for this account.",
        ),
        LoginError::UnknownChallenge => t(
            "Demande de connexion introuvable.",
            "Login request not found.",
        ),
        LoginError::ChallengeExpired => t(
            "La demande de connexion a expiré. Rechargez la page pour obtenir un nouveau \
                 QR code.",
            "The login request has expired. Reload the page to get a new QR code.",
        ),
        LoginError::ChallengeUsed => t(
            "Cette demande de connexion a déjà été utilisée.",
            "This login request has already been used.",
        ),
        LoginError::UnknownInvitation => {
            t("Code d'enrôlement inconnu.", "Unknown enrollment code.")
        }
        LoginError::InvitationExpired => t(
            "Ce code d'enrôlement a expiré. Demandez-en un nouveau à votre administrateur.",
            "This enrollment code has expired. Ask your administrator for a new one.",
        ),
        LoginError::InvitationUsed => t(
            "Ce code d'enrôlement a déjà été utilisé.",
            "This enrollment code has already been used.",
        ),
        LoginError::BrowserMismatch => t(
            "Cette demande de connexion appartient à une autre session de navigateur.",
            "This login request belongs to another browser session.",
        ),
        LoginError::MalformedSignature => t(
            "Signature mal formée : 64 octets en base64url sans remplissage attendus.",
            "Malformed signature: 64 bytes of unpadded base64url expected.",
        ),
        LoginError::MalformedOfflineCode => t(
            "Mot de passe à usage unique mal formé.",
            "Malformed one-time password.",
        ),
        LoginError::InvalidRegistration(e) => registration_message(*e, lang),
        LoginError::NotApproved => t(
            "Cette demande de connexion n'a pas été approuvée.",
            "This login request has not been approved.",
        ),
        LoginError::SessionAlreadyOpened => t(
            "Cette demande de connexion a déjà ouvert une session.",
            "This login request has already opened a session.",
        ),
        LoginError::Internal => t(
            "Erreur interne du serveur. Réessayez dans un instant.",
            "Internal server error. Please try again in a moment.",
        ),
    }
}

fn attempts_left_message(n: u32, lang: Lang) -> String {
    match (lang, n) {
        (Lang::Fr, 1) => "Il reste 1 essai avant le blocage du compte.".to_owned(),
        (Lang::Fr, n) => format!("Il reste {n} essais avant le blocage du compte."),
        (Lang::En, 1) => "1 attempt left before the account is blocked.".to_owned(),
        (Lang::En, n) => format!("{n} attempts left before the account is blocked."),
    }
}

fn bad_request_message(reason: &BadRequest, lang: Lang) -> String {
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_owned();
    match reason {
        BadRequest::JsonSyntax { line, column } => match lang {
            Lang::Fr => format!(
                "Le corps de la requête n'est pas du JSON valide (ligne {line}, colonne {column})."
            ),
            Lang::En => {
                format!("The request body is not valid JSON (line {line}, column {column}).")
            }
        },
        BadRequest::MissingField(field) => match lang {
            Lang::Fr => format!("Champ obligatoire manquant : « {field} »."),
            Lang::En => format!("Missing required field \"{field}\"."),
        },
        BadRequest::InvalidField(field) => match lang {
            Lang::Fr => format!("Champ « {field} » invalide : type ou valeur inattendu."),
            Lang::En => format!("Invalid field \"{field}\": unexpected type or value."),
        },
        BadRequest::JsonShape => t(
            "Le corps de la requête doit être un objet JSON.",
            "The request body must be a JSON object.",
        ),
        BadRequest::ContentType => t(
            "Le corps de la requête doit être du JSON (en-tête Content-Type: application/json).",
            "The request body must be JSON (header Content-Type: application/json).",
        ),
        BadRequest::Unreadable => t(
            "Le corps de la requête n'a pas pu être lu.",
            "The request body could not be read.",
        ),
        BadRequest::Wait => t(
            "Paramètre « wait » invalide : nombre de secondes attendu (30 au maximum).",
            "Invalid \"wait\" parameter: a number of seconds expected (30 at most).",
        ),
    }
}

fn registration_message(error: RegistrationError, lang: Lang) -> String {
    let t = |fr: &str, en: &str| lang.pick(fr, en).to_owned();
    match error {
        RegistrationError::BadApprovalKey => t(
            "Clé d'approbation invalide : clé publique P-256 non compressée (65 octets, \
                 base64url) attendue.",
            "Invalid approval key: an uncompressed P-256 public key (65 bytes, base64url) \
                 expected.",
        ),
        RegistrationError::BadIdentityKey => t(
            "Clé d'identité invalide : clé publique P-256 non compressée (65 octets, \
                 base64url) attendue.",
            "Invalid identity key: an uncompressed P-256 public key (65 bytes, base64url) \
                 expected.",
        ),
        RegistrationError::SameKeys => t(
            "La clé d'approbation et la clé d'identité doivent être différentes.",
            "The approval key and the identity key must differ.",
        ),
        RegistrationError::BadOfflineSecret => t(
            "Secret hors ligne invalide : 32 octets en base64url attendus.",
            "Invalid offline secret: 32 bytes of base64url expected.",
        ),
        RegistrationError::WrongSuite => match lang {
            Lang::Fr => format!("Suite OCRA non prise en charge (attendue : {OFFLINE_SUITE})."),
            Lang::En => format!("Unsupported OCRA suite (expected {OFFLINE_SUITE})."),
        },
        RegistrationError::BadDeviceName => t(
            "Nom d'appareil invalide : 1 à 64 caractères imprimables.",
            "Invalid device name: 1 to 64 printable characters.",
        ),
    }
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
        LoginError::AccountBlocked | LoginError::AccountBlockedTemporarily { .. } => {
            StatusCode::LOCKED
        }
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
            ApiError::Internal,
        ];
        for e in errors {
            let (fr, en) = (e.message(Lang::Fr), e.message(Lang::En));
            assert!(!fr.is_empty() && !en.is_empty());
            assert_ne!(fr, en, "{e:?}");
        }
    }
}
