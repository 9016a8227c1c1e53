//! Records and enums handed to the apps: plain data, no secrets, times in Unix seconds.

use tigr_core::authenticator::AccountSummary;
use tigr_core::otp::HashAlgorithm;
use tigr_core::otp::uri::{OtpImport, OtpParameters};
use tigr_core::otp_accounts::CodeValidity;
use tigr_core::payload::{EnrollmentQr, LoginQr, QrPayload};

/// An account enrolled on this phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    /// Server origin, e.g. `https://auth.esea-na.fr` (with `Account.tigr_id`, the key of an
    /// account on this phone).
    pub server_origin: String,
    /// Server host as shown to people, e.g. `auth.esea-na.fr`.
    pub server_host: String,
    /// The Tigr ID (account identifier on that server).
    pub tigr_id: String,
    /// The account holder's name.
    pub display_name: String,
    /// The service the server belongs to.
    pub service_name: String,
    /// The server's identifier of this phone.
    pub device_id: String,
    /// When this phone was enrolled (Unix seconds).
    pub enrolled_at: i64,
}

impl From<AccountSummary> for Account {
    fn from(a: AccountSummary) -> Self {
        Self {
            server_origin: a.origin,
            server_host: a.server_host,
            tigr_id: a.account,
            display_name: a.display_name,
            service_name: a.service_name,
            device_id: a.device_id,
            enrolled_at: a.enrolled_at,
        }
    }
}

/// A parsed invitation: the single-use QR code an administrator issues to enroll a phone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InvitationCode {
    /// The code in canonical form: pass it back to `Authenticator.enroll`.
    pub payload: String,
    /// The server that issued it.
    pub server_origin: String,
    /// That server's host, for display.
    pub server_host: String,
}

impl From<&EnrollmentQr> for InvitationCode {
    fn from(qr: &EnrollmentQr) -> Self {
        Self {
            payload: QrPayload::Enrollment(qr.clone()).to_string(),
            server_origin: qr.origin.to_string(),
            server_host: qr.origin.display_host(),
        }
    }
}

/// A parsed login QR code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoginCode {
    /// The code in canonical form: pass it back to `approve`, `deny` or `offline_code`.
    pub payload: String,
    /// The server that issued it.
    pub server_origin: String,
    /// That server's host, for display.
    pub server_host: String,
    /// The login challenge's public identifier.
    pub challenge_id: String,
    /// When the challenge expires (Unix seconds; informative, the server decides).
    pub expires_at: i64,
}

impl From<&LoginQr> for LoginCode {
    fn from(qr: &LoginQr) -> Self {
        Self {
            payload: QrPayload::Login(qr.clone()).to_string(),
            server_origin: qr.origin.to_string(),
            server_host: qr.origin.display_host(),
            challenge_id: qr.challenge_id.clone(),
            expires_at: qr.expires_at,
        }
    }
}

/// What a scanned text is, before any network call.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScannedCode {
    /// An invitation to enroll this phone.
    Invitation {
        /// The parsed code.
        code: InvitationCode,
    },
    /// A login challenge shown by a web page.
    Login {
        /// The parsed code.
        code: LoginCode,
    },
    /// Accounts of another service for this phone to keep as an authenticator app: an
    /// `otpauth://` code or a Google Authenticator export. Show them, then pass the same text
    /// to `Authenticator.add_otp_accounts`.
    OtpAccounts {
        /// What the code holds (no secret).
        preview: OtpImportPreview,
    },
}

impl From<&QrPayload> for ScannedCode {
    fn from(payload: &QrPayload) -> Self {
        match payload {
            QrPayload::Enrollment(qr) => Self::Invitation { code: qr.into() },
            QrPayload::Login(qr) => Self::Login { code: qr.into() },
        }
    }
}

/// What an invitation offers (asked to its server), shown before the user chooses a PIN.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InvitationOffer {
    /// The code in canonical form: pass it to `Authenticator.enroll`.
    pub payload: String,
    /// The server's host (from the QR: the one this phone talked to).
    pub server_host: String,
    /// The service the server belongs to.
    pub service_name: String,
    /// The Tigr ID being enrolled.
    pub tigr_id: String,
    /// The account holder's name.
    pub display_name: String,
    /// When the invitation stops working (Unix seconds).
    pub expires_at: i64,
}

/// Who is asking to log in, shown before the PIN.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoginContext {
    /// The service asking.
    pub service_name: String,
    /// The host this phone talked to (from the QR code, authenticated by TLS).
    pub server_host: String,
    /// When the web page asked (Unix seconds).
    pub requested_at: i64,
    /// When the challenge expires (Unix seconds).
    pub expires_at: i64,
    /// The IP address of the browser that shows the QR code.
    pub browser_ip: String,
    /// A short description of that browser, e.g. "Firefox 133 sur Windows".
    pub browser_summary: String,
}

/// A scanned login code, ready for approval, denial or an offline code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoginRequest {
    /// The parsed code.
    pub code: LoginCode,
    /// Who is asking; `None` when the server could not be reached (offline mode: offer
    /// `Authenticator.offline_code`).
    pub context: Option<LoginContext>,
    /// This phone's accounts on that server (one in general; ask the user to pick when several).
    pub accounts: Vec<Account>,
    /// Why the server could not be reached, as a sentence in the authenticator's language
    /// (set exactly when `context` is `None`).
    pub offline_reason: Option<String>,
}

/// The result of `Authenticator.scan`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ScanResult {
    /// An invitation and what it offers.
    Invitation {
        /// The offer.
        offer: InvitationOffer,
    },
    /// A login code and who is asking.
    Login {
        /// The request.
        request: LoginRequest,
    },
}

/// The offline login code to type on the web page (Tigr ID + one-time password).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfflineCode {
    /// The Tigr ID to type.
    pub tigr_id: String,
    /// The one-time password to type (8 digits).
    pub otp: String,
    /// When the login QR (and so this code) expires (Unix seconds).
    pub expires_at: i64,
    /// Seconds left when the code was computed (0 if already expired).
    pub seconds_left: i64,
}

impl std::fmt::Debug for OfflineCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineCode")
            .field("tigr_id", &self.tigr_id)
            .field("otp", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("seconds_left", &self.seconds_left)
            .finish()
    }
}

impl From<tigr_core::authenticator::OfflineCode> for OfflineCode {
    fn from(c: tigr_core::authenticator::OfflineCode) -> Self {
        Self {
            tigr_id: c.tigr_id,
            otp: c.otp,
            expires_at: c.expires_at,
            seconds_left: c.seconds_left,
        }
    }
}

/// The hash function of an OTP account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum OtpAlgorithm {
    /// HMAC-SHA-1 (what most services use).
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl From<HashAlgorithm> for OtpAlgorithm {
    fn from(algorithm: HashAlgorithm) -> Self {
        match algorithm {
            HashAlgorithm::Sha1 => Self::Sha1,
            HashAlgorithm::Sha256 => Self::Sha256,
            HashAlgorithm::Sha512 => Self::Sha512,
        }
    }
}

/// Time-based or counter-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OtpKind {
    /// TOTP: a new code every `period_seconds` (shown with a countdown).
    Totp {
        /// Seconds per code (30 in general).
        period_seconds: u32,
    },
    /// HOTP: a new code each time the user asks for one.
    Hotp {
        /// The counter of the next code.
        counter: u64,
    },
}

impl From<tigr_core::otp::uri::OtpKind> for OtpKind {
    fn from(kind: tigr_core::otp::uri::OtpKind) -> Self {
        match kind {
            tigr_core::otp::uri::OtpKind::Totp { period } => Self::Totp {
                period_seconds: period,
            },
            tigr_core::otp::uri::OtpKind::Hotp { counter } => Self::Hotp { counter },
        }
    }
}

/// An OTP account of another service (an authenticator-app account), without its secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OtpAccount {
    /// This phone's identifier of the account: pass it to `otp_code`, `rename_otp_account`,
    /// `remove_otp_account`.
    pub id: String,
    /// Who issued it ("ESEA"), if known.
    pub issuer: Option<String>,
    /// The account name ("c.leroy").
    pub account_name: String,
    /// `Issuer:account`, or the account name alone: how authenticator apps name it.
    pub label: String,
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// The hash function.
    pub algorithm: OtpAlgorithm,
    /// Code length (6 to 8).
    pub digits: u8,
    /// When it was added to this phone (Unix seconds).
    pub added_at: i64,
}

impl From<tigr_core::otp_accounts::OtpAccount> for OtpAccount {
    fn from(a: tigr_core::otp_accounts::OtpAccount) -> Self {
        Self {
            label: a.label(),
            id: a.id,
            issuer: a.issuer,
            account_name: a.account,
            kind: a.kind.into(),
            algorithm: a.algorithm.into(),
            digits: a.digits,
            added_at: a.added_at,
        }
    }
}

/// An account a scanned OTP code would add, shown before adding it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OtpAccountPreview {
    /// Who issued it, if known.
    pub issuer: Option<String>,
    /// The account name.
    pub account_name: String,
    /// `Issuer:account`, or the account name alone.
    pub label: String,
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// The hash function.
    pub algorithm: OtpAlgorithm,
    /// Code length.
    pub digits: u8,
    /// Set when the name in the code says another issuer than its `issuer` parameter (the
    /// parameter wins): a typo, or a code made to look like another service's. Show it before
    /// adding.
    pub label_issuer: Option<String>,
}

impl From<&OtpParameters> for OtpAccountPreview {
    fn from(p: &OtpParameters) -> Self {
        Self {
            issuer: p.issuer.clone(),
            account_name: p.account.clone(),
            label: p.label(),
            kind: p.kind.into(),
            algorithm: p.algorithm.into(),
            digits: p.digits,
            label_issuer: p.label_issuer.clone(),
        }
    }
}

/// What a scanned `otpauth://` or `otpauth-migration://` code holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OtpImportPreview {
    /// The accounts (one for `otpauth://`; those of one export code for Google Authenticator).
    pub accounts: Vec<OtpAccountPreview>,
    /// For an export spread over several QR codes: this code's number (from 1)...
    pub batch_number: Option<u32>,
    /// ...and how many codes the export has (scan each).
    pub batch_count: Option<u32>,
}

impl From<&OtpImport> for OtpImportPreview {
    fn from(import: &OtpImport) -> Self {
        Self {
            accounts: import.accounts.iter().map(Into::into).collect(),
            batch_number: import.batch.map(|(number, _)| number),
            batch_count: import.batch.map(|(_, count)| count),
        }
    }
}

/// How long an [`OtpCode`] is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OtpValidity {
    /// A TOTP code, valid for `seconds_left` more seconds (draw the ring with
    /// `seconds_left / period_seconds`), until `expires_at`.
    Time {
        /// Seconds left, 1 to `period_seconds`.
        seconds_left: u32,
        /// The account's period.
        period_seconds: u32,
        /// When the next code starts (Unix seconds).
        expires_at: i64,
    },
    /// An HOTP code, valid until the service accepts it or a later one.
    Counter {
        /// The counter it was made with.
        counter: u64,
    },
}

/// An OTP code to show. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct OtpCode {
    /// The digits (6 to 8).
    pub code: String,
    /// How long it lasts.
    pub validity: OtpValidity,
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpCode")
            .field("code", &"<redacted>")
            .field("validity", &self.validity)
            .finish()
    }
}

impl From<tigr_core::otp_accounts::OtpCode> for OtpCode {
    fn from(c: tigr_core::otp_accounts::OtpCode) -> Self {
        let validity = match c.validity {
            CodeValidity::Time {
                seconds_left,
                period,
                expires_at,
            } => OtpValidity::Time {
                seconds_left,
                period_seconds: period,
                expires_at,
            },
            CodeValidity::Counter { counter } => OtpValidity::Counter { counter },
        };
        Self {
            code: c.code,
            validity,
        }
    }
}
