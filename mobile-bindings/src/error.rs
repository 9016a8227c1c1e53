//! Errors: core's many error types become one flat [`TigrError`] for apps, here and only here.
//!
//! Two enums, as in mozilla/application-services: the internal [`Error`] (every failure this
//! crate can meet, with `#[from]` conversions) and the public [`TigrError`] (few variants, each
//! one an app can act on). [`Error::into_tigr`] is the single mapping; it reads the
//! authenticator's clock to turn the end of a temporary block into minutes left.
//!
//! No variant carries a secret: PINs, one-time passwords and keys never reach an error string.

use tigr_core::authenticator::DeviceError;
use tigr_core::client::ClientError;
use tigr_core::clock::Clock;
use tigr_core::payload::PayloadError;
use tigr_core::pin::PinError;
use tigr_core::qr::QrDecodeError;
use tigr_core::vault::VaultError;
use tigr_core::wire::ErrorCode;

/// `InvalidPin` reason: not 4 to 12 digits.
pub const PIN_FORMAT: &str = "format";
/// `InvalidPin` reason: the PIN and its confirmation differ.
pub const PIN_MISMATCH: &str = "mismatch";
/// `InvalidPin` reason: a run (1234, 9876) or one repeated digit (1111).
pub const PIN_TOO_SIMPLE: &str = "too_simple";
/// `InvalidCode` reason: the server does not know this login challenge (or the nonce is wrong).
pub const UNKNOWN_CHALLENGE: &str = "unknown_challenge";
/// `InvalidCode` reason prefix: a Tigr code of a newer protocol version ("update the app").
pub const UNSUPPORTED_VERSION: &str = "unsupported_version";
/// `EnrollmentInvalid` reason: the server does not know the code.
pub const ENROLLMENT_UNKNOWN: &str = "unknown";
/// `EnrollmentInvalid` reason: the code has expired.
pub const ENROLLMENT_EXPIRED: &str = "expired";
/// `EnrollmentInvalid` reason: the code was already used.
pub const ENROLLMENT_USED: &str = "used";

/// Every error of the SDK, as apps see it (Kotlin: `TigrException`, Swift: `TigrError`).
///
/// Show it with `error_message`. `reason` fields are short English texts or the codes
/// documented on the constants of this module; they are meant for logs and never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TigrError {
    /// The text or frame is not a usable Tigr code, or the server does not know this login
    /// code (`reason` = `unknown_challenge`). A newer protocol version gives a reason starting
    /// with `unsupported_version`.
    #[error("invalid code: {reason}")]
    InvalidCode {
        /// Why.
        reason: String,
    },
    /// This phone has no account on the code's server.
    #[error("not enrolled on {server}")]
    NotEnrolled {
        /// The server's host.
        server: String,
    },
    /// Several accounts of this phone are on that server: pass one of these as `tigr_id`.
    #[error("several accounts on this server: choose one")]
    AccountChoiceNeeded {
        /// The candidate Tigr IDs.
        tigr_ids: Vec<String>,
    },
    /// The PIN was refused before any network call: `format`, `mismatch` or `too_simple`.
    #[error("invalid PIN: {reason}")]
    InvalidPin {
        /// `format`, `mismatch` or `too_simple`.
        reason: String,
    },
    /// The server refused the PIN (a wrong PIN cannot be detected on the phone).
    #[error("wrong PIN, {attempts_left} attempts left")]
    WrongPin {
        /// Failures left before the account is blocked.
        attempts_left: u32,
    },
    /// Too many wrong PINs: the account is blocked on the server, for `minutes_left` more
    /// minutes (a temporary block, which lifts by itself), or until an administrator unblocks
    /// it (`minutes_left` null).
    #[error("account blocked")]
    AccountBlocked {
        /// Minutes until a temporary block lifts (rounded up, at least 1); null when only an
        /// administrator can unblock the account.
        minutes_left: Option<u32>,
    },
    /// The login code expired: the page shows a new one.
    #[error("login code expired")]
    ChallengeExpired,
    /// The login code was already approved, denied or used.
    #[error("login code already used")]
    AlreadyUsed,
    /// The enrollment code is unknown, expired or used (`reason`: `unknown`, `expired`, `used`).
    #[error("enrollment code invalid: {reason}")]
    EnrollmentInvalid {
        /// `unknown`, `expired` or `used`.
        reason: String,
    },
    /// Another phone was enrolled for this account, or an administrator revoked this one.
    #[error("this phone was revoked for this account")]
    DeviceRevoked,
    /// The server could not be reached (no network, TLS failure, timeout).
    #[error("network: {reason}")]
    Network {
        /// Technical detail.
        reason: String,
    },
    /// The server refused for another reason, or did not speak the protocol.
    #[error("server: {reason}")]
    Server {
        /// The server's message (in the authenticator's language) or a technical detail.
        reason: String,
    },
    /// The platform key store (the app's `KeyProtector`) failed.
    #[error("key store: {reason}")]
    KeyStore {
        /// What the key protector said.
        reason: String,
    },
    /// The vault file could not be read or written, or is damaged.
    #[error("storage: {reason}")]
    Storage {
        /// Technical detail.
        reason: String,
    },
}

/// Everything that can fail inside this crate (internal; converted to `TigrError`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Core's phone operations.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A named account is not on this phone for the code's server.
    #[error("no such account on this phone for {server}")]
    UnknownAccount {
        /// The server's host.
        server: String,
    },
    /// A valid Tigr code of the other kind (login where enrollment was expected, or back).
    #[error("this is {0}")]
    WrongKind(&'static str),
    /// Setting up the storage folder or the software key failed.
    #[error("{0}")]
    Setup(String),
}

impl From<PayloadError> for Error {
    fn from(e: PayloadError) -> Self {
        Self::Device(e.into())
    }
}

impl Error {
    /// The error as apps see it. `clock` (the authenticator's) is read only for a temporary
    /// block, to say how many minutes are left.
    pub(crate) fn into_tigr(self, clock: &dyn Clock) -> TigrError {
        match self {
            Self::Device(e) => from_device(e, clock),
            Self::UnknownAccount { server } => TigrError::NotEnrolled { server },
            Self::WrongKind(what) => TigrError::InvalidCode {
                reason: format!("this is {what}"),
            },
            Self::Setup(reason) => TigrError::Storage { reason },
        }
    }
}

/// A camera frame that could not be decoded (needs no clock).
pub(crate) fn from_qr(error: QrDecodeError) -> TigrError {
    TigrError::InvalidCode {
        reason: error.to_string(),
    }
}

/// A text that is not a usable Tigr code (needs no clock).
pub(crate) fn from_payload(error: PayloadError) -> TigrError {
    match error {
        PayloadError::UnsupportedVersion(v) => TigrError::InvalidCode {
            reason: format!("{UNSUPPORTED_VERSION} {v}"),
        },
        e => TigrError::InvalidCode {
            reason: e.to_string(),
        },
    }
}

/// Whole minutes from `now` to `until` (rounded up, at least 1, as the server counts them).
fn minutes_until(until: i64, now: i64) -> u32 {
    let minutes = until.saturating_sub(now).saturating_add(59) / 60;
    u32::try_from(minutes.max(1)).unwrap_or(u32::MAX)
}

fn from_device(error: DeviceError, clock: &dyn Clock) -> TigrError {
    match error {
        DeviceError::Payload(e) => from_payload(e),
        DeviceError::Pin(e) => TigrError::InvalidPin {
            reason: match e {
                PinError::Format => PIN_FORMAT,
                PinError::Mismatch => PIN_MISMATCH,
                PinError::TooSimple => PIN_TOO_SIMPLE,
            }
            .to_owned(),
        },
        DeviceError::NotEnrolled { server } => TigrError::NotEnrolled { server },
        DeviceError::AccountChoiceNeeded { accounts } => {
            TigrError::AccountChoiceNeeded { tigr_ids: accounts }
        }
        // Normally caught with the server's name by the authenticator (`Error::UnknownAccount`).
        DeviceError::UnknownAccount { .. } => TigrError::NotEnrolled {
            server: String::new(),
        },
        DeviceError::Client(e) => from_client(e, clock),
        DeviceError::KeyStore(e) => TigrError::KeyStore { reason: e.0 },
        DeviceError::Vault(VaultError::Corrupt(reason) | VaultError::Storage(reason)) => {
            TigrError::Storage { reason }
        }
    }
}

fn from_client(error: ClientError, clock: &dyn Clock) -> TigrError {
    match error {
        ClientError::Network(e) => TigrError::Network { reason: e.0 },
        ClientError::Protocol { status } => TigrError::Server {
            reason: format!("unexpected reply from server (HTTP {status})"),
        },
        ClientError::Server {
            code,
            message,
            attempts_left,
            blocked_until,
            ..
        } => match code {
            ErrorCode::InvalidResponse => TigrError::WrongPin {
                attempts_left: attempts_left.unwrap_or(0),
            },
            ErrorCode::AccountBlocked => TigrError::AccountBlocked {
                minutes_left: blocked_until.map(|until| minutes_until(until, clock.now_unix())),
            },
            ErrorCode::ChallengeExpired => TigrError::ChallengeExpired,
            ErrorCode::ChallengeUsed => TigrError::AlreadyUsed,
            ErrorCode::UnknownEnrollment => enrollment_invalid(ENROLLMENT_UNKNOWN),
            ErrorCode::EnrollmentExpired => enrollment_invalid(ENROLLMENT_EXPIRED),
            ErrorCode::EnrollmentUsed => enrollment_invalid(ENROLLMENT_USED),
            ErrorCode::DeviceRevoked => TigrError::DeviceRevoked,
            ErrorCode::UnknownChallenge => TigrError::InvalidCode {
                reason: UNKNOWN_CHALLENGE.to_owned(),
            },
            ErrorCode::InvalidRequest
            | ErrorCode::UnknownAccount
            | ErrorCode::BrowserMismatch
            | ErrorCode::RateLimited
            | ErrorCode::Internal => TigrError::Server { reason: message },
        },
    }
}

fn enrollment_invalid(reason: &str) -> TigrError {
    TigrError::EnrollmentInvalid {
        reason: reason.to_owned(),
    }
}

/// True for English (`en`, `en-GB`, `EN`...); everything else gets French, the default.
pub(crate) fn is_english(language: &str) -> bool {
    language.trim().to_ascii_lowercase().starts_with("en")
}

/// The sentence an app shows for `error`, in French (`fr`, the default for any other value)
/// or English (`en`).
#[uniffi::export]
pub fn error_message(error: TigrError, language: String) -> String {
    message(&error, is_english(&language))
}

pub(crate) fn message(error: &TigrError, en: bool) -> String {
    let pick = |fr: &str, english: &str| if en { english } else { fr }.to_owned();
    match error {
        TigrError::InvalidCode { reason } if reason.starts_with(UNSUPPORTED_VERSION) => pick(
            "Ce code Tigr demande une version plus récente de l'application : mettez-la à jour.",
            "This Tigr code needs a newer version of the app: please update it.",
        ),
        TigrError::InvalidCode { reason } if reason == UNKNOWN_CHALLENGE => pick(
            "Ce code de connexion n'est pas reconnu par le serveur. Rechargez la page et scannez le nouveau code.",
            "The server does not recognize this login code. Reload the page and scan the new code.",
        ),
        TigrError::InvalidCode { .. } => pick(
            "Ce QR code n'est pas un code Tigr valide.",
            "This QR code is not a valid Tigr code.",
        ),
        TigrError::NotEnrolled { server } if server.is_empty() => pick(
            "Ce compte n'est pas enregistré sur ce téléphone.",
            "This account is not enrolled on this phone.",
        ),
        TigrError::NotEnrolled { server } => {
            if en {
                format!(
                    "This phone is not enrolled on {server}. Ask your administrator for an enrollment code."
                )
            } else {
                format!(
                    "Ce téléphone n'est pas enregistré sur {server}. Demandez un code d'enrôlement à votre administrateur."
                )
            }
        }
        TigrError::AccountChoiceNeeded { .. } => pick(
            "Plusieurs comptes de ce téléphone sont enregistrés sur ce serveur : choisissez-en un.",
            "Several accounts of this phone are enrolled on this server: choose one.",
        ),
        TigrError::InvalidPin { reason } if reason == PIN_MISMATCH => pick(
            "Les deux codes PIN ne sont pas identiques.",
            "The two PINs do not match.",
        ),
        TigrError::InvalidPin { reason } if reason == PIN_TOO_SIMPLE => pick(
            "Ce code PIN est trop facile à deviner : évitez les suites (1234) et les chiffres répétés (1111).",
            "This PIN is too easy to guess: avoid runs (1234) and repeated digits (1111).",
        ),
        TigrError::InvalidPin { .. } => pick(
            "Le code PIN doit comporter de 4 à 12 chiffres.",
            "The PIN must have 4 to 12 digits.",
        ),
        TigrError::WrongPin { attempts_left: 0 } => pick("Code PIN incorrect.", "Wrong PIN."),
        TigrError::WrongPin { attempts_left: 1 } => pick(
            "Code PIN incorrect. Il vous reste 1 essai.",
            "Wrong PIN. 1 attempt left.",
        ),
        TigrError::WrongPin { attempts_left } => {
            if en {
                format!("Wrong PIN. {attempts_left} attempts left.")
            } else {
                format!("Code PIN incorrect. Il vous reste {attempts_left} essais.")
            }
        }
        TigrError::AccountBlocked {
            minutes_left: Some(minutes),
        } => {
            if en {
                format!(
                    "Your account is blocked for {minutes} min after too many wrong attempts. Try again afterwards, or contact your administrator."
                )
            } else {
                format!(
                    "Votre compte est bloqué pour {minutes} min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur."
                )
            }
        }
        TigrError::AccountBlocked { minutes_left: None } => pick(
            "Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer.",
            "Your account is blocked after too many wrong attempts. Contact your administrator to unblock it.",
        ),
        TigrError::ChallengeExpired => pick(
            "Ce code de connexion a expiré. Rechargez la page et scannez le nouveau code.",
            "This login code has expired. Reload the page and scan the new code.",
        ),
        TigrError::AlreadyUsed => pick(
            "Ce code de connexion a déjà été utilisé.",
            "This login code has already been used.",
        ),
        TigrError::EnrollmentInvalid { reason } if reason == ENROLLMENT_EXPIRED => pick(
            "Ce code d'enrôlement a expiré. Demandez-en un nouveau à votre administrateur.",
            "This enrollment code has expired. Ask your administrator for a new one.",
        ),
        TigrError::EnrollmentInvalid { reason } if reason == ENROLLMENT_USED => pick(
            "Ce code d'enrôlement a déjà été utilisé. Demandez-en un nouveau à votre administrateur.",
            "This enrollment code has already been used. Ask your administrator for a new one.",
        ),
        TigrError::EnrollmentInvalid { .. } => pick(
            "Ce code d'enrôlement n'est pas reconnu. Demandez-en un nouveau à votre administrateur.",
            "This enrollment code is not recognized. Ask your administrator for a new one.",
        ),
        TigrError::DeviceRevoked => pick(
            "Ce téléphone n'est plus autorisé pour ce compte : un autre téléphone a été enregistré ou l'accès a été révoqué.",
            "This phone is no longer authorized for this account: another phone was enrolled or access was revoked.",
        ),
        TigrError::Network { .. } => pick(
            "Impossible de joindre le serveur. Vérifiez votre connexion à Internet.",
            "Cannot reach the server. Check your Internet connection.",
        ),
        TigrError::Server { reason } => {
            if en {
                format!("The server refused the request: {reason}")
            } else {
                format!("Le serveur a refusé la demande : {reason}")
            }
        }
        TigrError::KeyStore { .. } => pick(
            "Le stockage sécurisé du téléphone est indisponible. Déverrouillez le téléphone et réessayez.",
            "The phone's secure storage is unavailable. Unlock the phone and try again.",
        ),
        TigrError::Storage { .. } => pick(
            "Les données de l'application n'ont pas pu être lues ou enregistrées.",
            "The app's data could not be read or saved.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::client::TransportError;
    use tigr_core::clock::FixedClock;
    use tigr_core::keystore::KeyStoreError;

    const NOW: i64 = 1_795_000_000;

    fn refusal(code: ErrorCode, attempts_left: Option<u32>, blocked_until: Option<i64>) -> Error {
        Error::Device(DeviceError::Client(ClientError::Server {
            status: 400,
            code,
            message: "msg".into(),
            attempts_left,
            blocked_until,
        }))
    }

    fn server(code: ErrorCode, attempts_left: Option<u32>) -> TigrError {
        refusal(code, attempts_left, None).into_tigr(&FixedClock::at(NOW))
    }

    fn blocked_until(until: i64) -> TigrError {
        refusal(ErrorCode::AccountBlocked, Some(0), Some(until)).into_tigr(&FixedClock::at(NOW))
    }

    #[test]
    fn server_codes_map_to_actionable_variants() {
        use ErrorCode::*;
        assert_eq!(
            server(InvalidResponse, Some(3)),
            TigrError::WrongPin { attempts_left: 3 }
        );
        assert_eq!(
            server(InvalidResponse, None),
            TigrError::WrongPin { attempts_left: 0 }
        );
        assert_eq!(
            server(AccountBlocked, Some(0)),
            TigrError::AccountBlocked { minutes_left: None }
        );
        assert_eq!(server(ChallengeExpired, None), TigrError::ChallengeExpired);
        assert_eq!(server(ChallengeUsed, None), TigrError::AlreadyUsed);
        assert_eq!(server(DeviceRevoked, None), TigrError::DeviceRevoked);
        assert_eq!(
            server(UnknownChallenge, None),
            TigrError::InvalidCode {
                reason: UNKNOWN_CHALLENGE.into()
            }
        );
        for (code, reason) in [
            (UnknownEnrollment, ENROLLMENT_UNKNOWN),
            (EnrollmentExpired, ENROLLMENT_EXPIRED),
            (EnrollmentUsed, ENROLLMENT_USED),
        ] {
            assert_eq!(
                server(code, None),
                TigrError::EnrollmentInvalid {
                    reason: reason.into()
                }
            );
        }
        for code in [
            InvalidRequest,
            UnknownAccount,
            BrowserMismatch,
            RateLimited,
            Internal,
        ] {
            assert_eq!(
                server(code, None),
                TigrError::Server {
                    reason: "msg".into()
                }
            );
        }
    }

    #[test]
    fn a_temporary_block_says_the_minutes_left_by_the_clock() {
        let minutes = |until| match blocked_until(until) {
            TigrError::AccountBlocked { minutes_left } => minutes_left,
            other => panic!("expected AccountBlocked, got {other:?}"),
        };
        assert_eq!(minutes(NOW + 900), Some(15));
        assert_eq!(minutes(NOW + 899), Some(15));
        assert_eq!(minutes(NOW + 841), Some(15));
        assert_eq!(minutes(NOW + 840), Some(14));
        assert_eq!(minutes(NOW + 1), Some(1));
        // Already over by this phone's clock (clocks differ): still temporary, 1 min.
        assert_eq!(minutes(NOW - 120), Some(1));
        assert_eq!(minutes(i64::MAX), Some(u32::MAX));
        // The clock is the injected one.
        let clock = FixedClock::at(NOW);
        clock.advance(600);
        assert_eq!(
            refusal(ErrorCode::AccountBlocked, Some(0), Some(NOW + 900)).into_tigr(&clock),
            TigrError::AccountBlocked {
                minutes_left: Some(5)
            }
        );
    }

    #[test]
    fn local_errors_map() {
        let map = |e: DeviceError| Error::Device(e).into_tigr(&FixedClock::at(NOW));
        assert_eq!(
            map(PinError::TooSimple.into()),
            TigrError::InvalidPin {
                reason: PIN_TOO_SIMPLE.into()
            }
        );
        assert_eq!(
            map(PayloadError::UnsupportedVersion("2".into()).into()),
            TigrError::InvalidCode {
                reason: "unsupported_version 2".into()
            }
        );
        assert_eq!(
            map(KeyStoreError("locked".into()).into()),
            TigrError::KeyStore {
                reason: "locked".into()
            }
        );
        assert_eq!(
            map(ClientError::Network(TransportError("refused".into())).into()),
            TigrError::Network {
                reason: "refused".into()
            }
        );
        assert!(matches!(
            map(ClientError::Protocol { status: 502 }.into()),
            TigrError::Server { .. }
        ));
        assert!(matches!(
            map(VaultError::Corrupt("x".into()).into()),
            TigrError::Storage { .. }
        ));
        assert_eq!(
            Error::UnknownAccount {
                server: "a.fr".into()
            }
            .into_tigr(&FixedClock::at(NOW)),
            TigrError::NotEnrolled {
                server: "a.fr".into()
            }
        );
    }

    #[test]
    fn messages_in_both_languages() {
        let wrong = TigrError::WrongPin { attempts_left: 3 };
        assert_eq!(
            error_message(wrong.clone(), "fr".into()),
            "Code PIN incorrect. Il vous reste 3 essais."
        );
        assert_eq!(
            error_message(wrong.clone(), "en".into()),
            "Wrong PIN. 3 attempts left."
        );
        assert_eq!(
            error_message(wrong, "de".into()),
            "Code PIN incorrect. Il vous reste 3 essais."
        );
        assert_eq!(
            error_message(TigrError::WrongPin { attempts_left: 1 }, "en-GB".into()),
            "Wrong PIN. 1 attempt left."
        );
    }

    #[test]
    fn blocked_messages_say_whether_the_block_lifts_by_itself() {
        let temporary = TigrError::AccountBlocked {
            minutes_left: Some(15),
        };
        assert_eq!(
            error_message(temporary.clone(), "fr".into()),
            "Votre compte est bloqué pour 15 min après trop d'essais incorrects. Réessayez ensuite, ou contactez votre administrateur."
        );
        assert_eq!(
            error_message(temporary, "en".into()),
            "Your account is blocked for 15 min after too many wrong attempts. Try again afterwards, or contact your administrator."
        );
        let permanent = TigrError::AccountBlocked { minutes_left: None };
        assert_eq!(
            error_message(permanent.clone(), "fr".into()),
            "Votre compte est bloqué après trop d'essais incorrects. Contactez votre administrateur pour le débloquer."
        );
        assert_eq!(
            error_message(permanent, "en".into()),
            "Your account is blocked after too many wrong attempts. Contact your administrator to unblock it."
        );
    }
}
