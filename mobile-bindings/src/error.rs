//! Errors: the one error apps see, [`TigrError`], converted from core's errors here and only here.
//!
//! The mozilla/application-services pattern: core's error types are this crate's internal
//! errors, and each has one `From` impl into the public enum, so every exported function simply
//! uses `?`. The public enum has few variants, each one an app can act on; where an app may
//! want to tell cases apart, the variant carries a *reason* enum to switch on exhaustively.
//! `detail` fields are technical text for logs.
//!
//! The conversion reads no clock: a temporary block carries the server's `blocked_until` and the
//! app counts the minutes left with its own clock ([`minutes_until`]). The sentence to show is
//! looked up in the text catalogue ([`crate::text`]). No variant carries a secret: PINs,
//! one-time passwords and keys never reach an error.

use tigr_core::authenticator::DeviceError;
use tigr_core::client::ClientError;
use tigr_core::keystore::KeyStoreError;
use tigr_core::otp::uri::OtpUriError;
use tigr_core::otp_accounts::OtpAccountsError;
use tigr_core::payload::PayloadError;
use tigr_core::pin::PinError;
use tigr_core::qr::QrDecodeError;
use tigr_core::vault::VaultError;
use tigr_core::wire::ErrorCode;

/// Why a scanned text or frame is not a code the called function can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InvalidCodeReason {
    /// Not a Tigr code (another QR code, a web link), a damaged one, or an unreadable frame.
    NotTigr,
    /// A Tigr code of a newer protocol version: the app needs an update.
    UnsupportedVersion,
    /// A login code that its server does not know (or whose nonce is wrong).
    UnknownChallenge,
    /// An invitation given where a login code was expected.
    NotALoginCode,
    /// A login code given where an invitation was expected.
    NotAnInvitation,
}

/// Why a PIN was refused on the phone, before any network call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InvalidPinReason {
    /// Not 4 to 12 digits.
    Format,
    /// The PIN and its confirmation differ.
    Mismatch,
    /// A run (1234, 9876) or one repeated digit (1111).
    TooSimple,
}

/// Why the server refused an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InvalidInvitationReason {
    /// The server does not know it.
    Unknown,
    /// It has expired.
    Expired,
    /// It was already used (an invitation enrolls one phone, once).
    Used,
}

/// Why a scanned text is not a usable OTP account (`otpauth://` URI or Google Authenticator
/// export).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum InvalidOtpReason {
    /// Not an `otpauth://` or `otpauth-migration://` text at all.
    NotOtpauth,
    /// An `otpauth` URI with a broken structure (no type, a parameter given twice...).
    Malformed,
    /// Longer than any QR code holds.
    TooLong,
    /// A type other than TOTP and HOTP (Steam, mOTP...).
    UnknownType,
    /// No secret.
    MissingSecret,
    /// The secret is not base32, or shorter than 80 bits.
    BadSecret,
    /// An algorithm other than SHA1, SHA256 and SHA512 (MD5...).
    UnknownAlgorithm,
    /// Not 6, 7 or 8 digits.
    BadDigits,
    /// A period that is not a whole number of seconds, at least 1.
    BadPeriod,
    /// An HOTP counter that is missing or not a whole number.
    BadCounter,
    /// No account name, several colons, or invisible characters in the name or issuer.
    BadLabel,
    /// A Google Authenticator export whose data cannot be read.
    BadExport,
}

/// Every error of the SDK, as apps see it (Kotlin: `TigrException`, Swift: `TigrError`).
///
/// Show it with `error_message`. `reason` fields are enums to switch on; `detail` fields are
/// short technical texts for logs and never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TigrError {
    /// The text or frame is not a Tigr code this function can use, or the server does not know
    /// this login code.
    #[error("invalid code ({reason:?}): {detail}")]
    InvalidCode {
        /// Why.
        reason: InvalidCodeReason,
        /// Technical detail.
        detail: String,
    },
    /// This phone has no account on that server (or not the Tigr ID asked for).
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
    /// The PIN was refused before any network call.
    #[error("invalid PIN ({reason:?})")]
    InvalidPin {
        /// Why.
        reason: InvalidPinReason,
    },
    /// The server refused the PIN (a wrong PIN cannot be detected on the phone).
    #[error("wrong PIN, {attempts_left} attempts left")]
    WrongPin {
        /// Failures left before the account is blocked.
        attempts_left: u32,
    },
    /// Too many wrong answers: the account is blocked on the server, until `blocked_until` (a
    /// temporary block, which lifts by itself), or until an administrator unblocks it
    /// (`blocked_until` null).
    #[error("account blocked")]
    AccountBlocked {
        /// When a temporary block lifts (Unix seconds, the server's clock); null when only an
        /// administrator can unblock the account. Minutes left: `minutes_until`.
        blocked_until: Option<i64>,
    },
    /// The login code expired: the page shows a new one.
    #[error("login code expired")]
    ChallengeExpired,
    /// The login code was already approved, denied or used.
    #[error("login code already used")]
    AlreadyUsed,
    /// The server refused the invitation.
    #[error("invalid invitation ({reason:?})")]
    InvalidInvitation {
        /// Why.
        reason: InvalidInvitationReason,
    },
    /// Another phone was enrolled for this account, or an administrator revoked this one.
    #[error("this phone was revoked for this account")]
    PhoneRevoked,
    /// The server could not be reached (no network, TLS failure, timeout).
    #[error("network: {detail}")]
    Network {
        /// Technical detail.
        detail: String,
    },
    /// The server refused for another reason, or did not speak the protocol.
    #[error("server: {detail}")]
    Server {
        /// The server's message (in the authenticator's language) or a technical detail.
        detail: String,
    },
    /// The platform key store (the app's `KeyProtector`) failed.
    #[error("key store: {detail}")]
    KeyStore {
        /// What the key protector said.
        detail: String,
    },
    /// The vault file could not be read or written, or is damaged.
    #[error("storage: {detail}")]
    Storage {
        /// Technical detail.
        detail: String,
    },
    /// The text is not an OTP account this phone can keep.
    #[error("invalid OTP code ({reason:?}): {detail}")]
    InvalidOtpCode {
        /// Why.
        reason: InvalidOtpReason,
        /// Technical detail (never the secret).
        detail: String,
    },
    /// No OTP account with this id on the phone (removed meanwhile): reload the list.
    #[error("unknown OTP account")]
    UnknownOtpAccount,
    /// A new OTP account name is empty, too long, or has a colon or invisible characters.
    #[error("invalid OTP account name: {detail}")]
    InvalidOtpName {
        /// What is wrong.
        detail: String,
    },
}

/// Whole minutes from `now_unix` until `until` (Unix seconds), rounded up and at least 1, as
/// the server counts them: what an app shows for `TigrError.AccountBlocked`'s `blocked_until`,
/// with its own clock. A block already over by the phone's clock (clocks differ) still says 1.
#[uniffi::export]
pub fn minutes_until(until: i64, now_unix: i64) -> u32 {
    let minutes = until.saturating_sub(now_unix).saturating_add(59) / 60;
    u32::try_from(minutes.max(1)).unwrap_or(u32::MAX)
}

impl From<PayloadError> for TigrError {
    fn from(error: PayloadError) -> Self {
        let reason = match error {
            PayloadError::UnsupportedVersion(_) => InvalidCodeReason::UnsupportedVersion,
            _ => InvalidCodeReason::NotTigr,
        };
        Self::InvalidCode {
            reason,
            detail: error.to_string(),
        }
    }
}

impl From<QrDecodeError> for TigrError {
    fn from(error: QrDecodeError) -> Self {
        Self::InvalidCode {
            reason: InvalidCodeReason::NotTigr,
            detail: error.to_string(),
        }
    }
}

impl From<PinError> for TigrError {
    fn from(error: PinError) -> Self {
        let reason = match error {
            PinError::Format => InvalidPinReason::Format,
            PinError::Mismatch => InvalidPinReason::Mismatch,
            PinError::TooSimple => InvalidPinReason::TooSimple,
        };
        Self::InvalidPin { reason }
    }
}

impl From<KeyStoreError> for TigrError {
    fn from(error: KeyStoreError) -> Self {
        Self::KeyStore { detail: error.0 }
    }
}

impl From<VaultError> for TigrError {
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::Corrupt(detail) | VaultError::Storage(detail) => Self::Storage { detail },
        }
    }
}

impl From<OtpUriError> for TigrError {
    fn from(error: OtpUriError) -> Self {
        let reason = match &error {
            OtpUriError::NotOtpauth => InvalidOtpReason::NotOtpauth,
            OtpUriError::Malformed(_) => InvalidOtpReason::Malformed,
            OtpUriError::TooLong => InvalidOtpReason::TooLong,
            OtpUriError::UnknownType(_) => InvalidOtpReason::UnknownType,
            OtpUriError::MissingSecret => InvalidOtpReason::MissingSecret,
            OtpUriError::BadSecret(_) => InvalidOtpReason::BadSecret,
            OtpUriError::UnknownAlgorithm(_) => InvalidOtpReason::UnknownAlgorithm,
            OtpUriError::BadDigits(_) => InvalidOtpReason::BadDigits,
            OtpUriError::BadPeriod(_) => InvalidOtpReason::BadPeriod,
            OtpUriError::BadCounter(_) => InvalidOtpReason::BadCounter,
            OtpUriError::BadLabel(_) => InvalidOtpReason::BadLabel,
            OtpUriError::BadMigration(_) => InvalidOtpReason::BadExport,
        };
        Self::InvalidOtpCode {
            reason,
            detail: error.to_string(),
        }
    }
}

impl From<OtpAccountsError> for TigrError {
    fn from(error: OtpAccountsError) -> Self {
        match error {
            OtpAccountsError::Uri(e) => e.into(),
            OtpAccountsError::UnknownAccount { .. } => Self::UnknownOtpAccount,
            OtpAccountsError::InvalidName(detail) => Self::InvalidOtpName {
                detail: detail.to_owned(),
            },
            OtpAccountsError::KeyStore(e) => e.into(),
            OtpAccountsError::Storage(e) => e.into(),
        }
    }
}

impl From<DeviceError> for TigrError {
    fn from(error: DeviceError) -> Self {
        match error {
            DeviceError::Payload(e) => e.into(),
            DeviceError::Pin(e) => e.into(),
            DeviceError::NotEnrolled { server } => Self::NotEnrolled { server },
            DeviceError::AccountChoiceNeeded { accounts } => {
                Self::AccountChoiceNeeded { tigr_ids: accounts }
            }
            // The app asked for a Tigr ID this phone does not hold on that server: for the
            // person, the phone is not enrolled there under that name.
            DeviceError::UnknownAccount { server, .. } => Self::NotEnrolled { server },
            DeviceError::Client(e) => e.into(),
            DeviceError::KeyStore(e) => e.into(),
            DeviceError::Vault(e) => e.into(),
        }
    }
}

impl From<ClientError> for TigrError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Network(e) => Self::Network { detail: e.0 },
            ClientError::Protocol { status } => Self::Server {
                detail: format!("unexpected reply from server (HTTP {status})"),
            },
            ClientError::Server {
                code,
                message,
                attempts_left,
                blocked_until,
                ..
            } => match code {
                ErrorCode::InvalidResponse => Self::WrongPin {
                    attempts_left: attempts_left.unwrap_or(0),
                },
                ErrorCode::AccountBlocked => Self::AccountBlocked { blocked_until },
                ErrorCode::ChallengeExpired => Self::ChallengeExpired,
                ErrorCode::ChallengeUsed => Self::AlreadyUsed,
                ErrorCode::UnknownEnrollment => Self::InvalidInvitation {
                    reason: InvalidInvitationReason::Unknown,
                },
                ErrorCode::EnrollmentExpired => Self::InvalidInvitation {
                    reason: InvalidInvitationReason::Expired,
                },
                ErrorCode::EnrollmentUsed => Self::InvalidInvitation {
                    reason: InvalidInvitationReason::Used,
                },
                ErrorCode::DeviceRevoked => Self::PhoneRevoked,
                ErrorCode::UnknownChallenge => Self::InvalidCode {
                    reason: InvalidCodeReason::UnknownChallenge,
                    detail: message,
                },
                // Only browsers post offline codes: a phone never gets `offline_paused`.
                ErrorCode::InvalidRequest
                | ErrorCode::OfflinePaused
                | ErrorCode::UnknownAccount
                | ErrorCode::BrowserMismatch
                | ErrorCode::RateLimited
                | ErrorCode::Internal => Self::Server { detail: message },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::client::TransportError;

    const NOW: i64 = 1_795_000_000;

    fn refusal(
        code: ErrorCode,
        attempts_left: Option<u32>,
        blocked_until: Option<i64>,
    ) -> TigrError {
        DeviceError::Client(ClientError::Server {
            status: 400,
            code,
            message: "msg".into(),
            attempts_left,
            blocked_until,
        })
        .into()
    }

    fn server(code: ErrorCode, attempts_left: Option<u32>) -> TigrError {
        refusal(code, attempts_left, None)
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
            TigrError::AccountBlocked {
                blocked_until: None
            }
        );
        assert_eq!(
            refusal(AccountBlocked, Some(0), Some(NOW + 900)),
            TigrError::AccountBlocked {
                blocked_until: Some(NOW + 900)
            }
        );
        assert_eq!(server(ChallengeExpired, None), TigrError::ChallengeExpired);
        assert_eq!(server(ChallengeUsed, None), TigrError::AlreadyUsed);
        assert_eq!(server(DeviceRevoked, None), TigrError::PhoneRevoked);
        assert_eq!(
            server(UnknownChallenge, None),
            TigrError::InvalidCode {
                reason: InvalidCodeReason::UnknownChallenge,
                detail: "msg".into()
            }
        );
        for (code, reason) in [
            (UnknownEnrollment, InvalidInvitationReason::Unknown),
            (EnrollmentExpired, InvalidInvitationReason::Expired),
            (EnrollmentUsed, InvalidInvitationReason::Used),
        ] {
            assert_eq!(server(code, None), TigrError::InvalidInvitation { reason });
        }
        for code in [
            InvalidRequest,
            OfflinePaused,
            UnknownAccount,
            BrowserMismatch,
            RateLimited,
            Internal,
        ] {
            assert_eq!(
                server(code, None),
                TigrError::Server {
                    detail: "msg".into()
                }
            );
        }
    }

    #[test]
    fn minutes_until_rounds_up_and_says_at_least_one() {
        assert_eq!(minutes_until(NOW + 900, NOW), 15);
        assert_eq!(minutes_until(NOW + 899, NOW), 15);
        assert_eq!(minutes_until(NOW + 841, NOW), 15);
        assert_eq!(minutes_until(NOW + 840, NOW), 14);
        assert_eq!(minutes_until(NOW + 1, NOW), 1);
        assert_eq!(minutes_until(NOW + 900, NOW + 600), 5);
        // Already over by this phone's clock (clocks differ): still temporary, 1 min.
        assert_eq!(minutes_until(NOW - 120, NOW), 1);
        assert_eq!(minutes_until(i64::MAX, NOW), u32::MAX);
        assert_eq!(minutes_until(i64::MIN, i64::MAX), 1);
    }

    #[test]
    fn otp_errors_map_to_their_reason() {
        for (error, reason) in [
            (OtpUriError::NotOtpauth, InvalidOtpReason::NotOtpauth),
            (
                OtpUriError::Malformed("x".into()),
                InvalidOtpReason::Malformed,
            ),
            (OtpUriError::TooLong, InvalidOtpReason::TooLong),
            (
                OtpUriError::UnknownType("motp".into()),
                InvalidOtpReason::UnknownType,
            ),
            (OtpUriError::MissingSecret, InvalidOtpReason::MissingSecret),
            (OtpUriError::BadSecret("x"), InvalidOtpReason::BadSecret),
            (
                OtpUriError::UnknownAlgorithm("MD5".into()),
                InvalidOtpReason::UnknownAlgorithm,
            ),
            (
                OtpUriError::BadDigits("5".into()),
                InvalidOtpReason::BadDigits,
            ),
            (
                OtpUriError::BadPeriod("0".into()),
                InvalidOtpReason::BadPeriod,
            ),
            (
                OtpUriError::BadCounter("-1".into()),
                InvalidOtpReason::BadCounter,
            ),
            (OtpUriError::BadLabel("x"), InvalidOtpReason::BadLabel),
            (OtpUriError::BadMigration("x"), InvalidOtpReason::BadExport),
        ] {
            let detail = error.to_string();
            assert_eq!(
                TigrError::from(OtpAccountsError::Uri(error)),
                TigrError::InvalidOtpCode { reason, detail }
            );
        }
        assert_eq!(
            TigrError::from(OtpAccountsError::UnknownAccount { id: "X".into() }),
            TigrError::UnknownOtpAccount
        );
        assert_eq!(
            TigrError::from(OtpAccountsError::InvalidName("with a colon")),
            TigrError::InvalidOtpName {
                detail: "with a colon".into()
            }
        );
        assert_eq!(
            TigrError::from(OtpAccountsError::KeyStore(KeyStoreError("locked".into()))),
            TigrError::KeyStore {
                detail: "locked".into()
            }
        );
        assert_eq!(
            TigrError::from(OtpAccountsError::Storage(VaultError::Storage(
                "full".into()
            ))),
            TigrError::Storage {
                detail: "full".into()
            }
        );
    }

    #[test]
    fn local_errors_map() {
        let map = |e: DeviceError| TigrError::from(e);
        for (pin, reason) in [
            (PinError::Format, InvalidPinReason::Format),
            (PinError::Mismatch, InvalidPinReason::Mismatch),
            (PinError::TooSimple, InvalidPinReason::TooSimple),
        ] {
            assert_eq!(map(pin.into()), TigrError::InvalidPin { reason });
        }
        assert_eq!(
            map(PayloadError::UnsupportedVersion("2".into()).into()),
            TigrError::InvalidCode {
                reason: InvalidCodeReason::UnsupportedVersion,
                detail: "unsupported Tigr code version 2".into()
            }
        );
        assert!(matches!(
            map(PayloadError::InsecureOrigin.into()),
            TigrError::InvalidCode {
                reason: InvalidCodeReason::NotTigr,
                ..
            }
        ));
        assert!(matches!(
            TigrError::from(QrDecodeError::BadFrame {
                reason: "stride".into()
            }),
            TigrError::InvalidCode {
                reason: InvalidCodeReason::NotTigr,
                ..
            }
        ));
        assert_eq!(
            map(KeyStoreError("locked".into()).into()),
            TigrError::KeyStore {
                detail: "locked".into()
            }
        );
        assert_eq!(
            map(ClientError::Network(TransportError("refused".into())).into()),
            TigrError::Network {
                detail: "refused".into()
            }
        );
        assert!(matches!(
            map(ClientError::Protocol { status: 502 }.into()),
            TigrError::Server { .. }
        ));
        assert_eq!(
            map(VaultError::Corrupt("x".into()).into()),
            TigrError::Storage { detail: "x".into() }
        );
        assert_eq!(
            map(DeviceError::NotEnrolled {
                server: "a.fr".into()
            }),
            TigrError::NotEnrolled {
                server: "a.fr".into()
            }
        );
        assert_eq!(
            map(DeviceError::UnknownAccount {
                account: "zoe".into(),
                server: "a.fr".into()
            }),
            TigrError::NotEnrolled {
                server: "a.fr".into()
            }
        );
        assert_eq!(
            map(DeviceError::AccountChoiceNeeded {
                accounts: vec!["a".into(), "b".into()]
            }),
            TigrError::AccountChoiceNeeded {
                tigr_ids: vec!["a".into(), "b".into()]
            }
        );
    }
}
