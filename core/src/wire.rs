//! JSON bodies of the Tigr HTTP API (docs/protocol.md §3), shared by server and phone.
//!
//! Binary values (keys, signatures, secrets) travel as unpadded base64url; times as Unix seconds.

use serde::{Deserialize, Serialize};

/// Path prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

/// Header carrying the secret that binds a login challenge to the browser that created it.
pub const BROWSER_TOKEN_HEADER: &str = "x-tigr-browser-token";

/// Machine-readable error codes of the API. Every error reply is an [`ErrorBody`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter is malformed (HTTP 400).
    InvalidRequest,
    /// The signature or one-time password is wrong; `attempts_left` says how many remain (401).
    InvalidResponse,
    /// The account is blocked after too many failures (423): for a while when the body has
    /// `blocked_until`, else until an administrator unblocks it.
    AccountBlocked,
    /// Offline codes typed for this Tigr ID are paused after too many wrong ones, until
    /// `blocked_until` (423); the QR login is not affected. Only the offline route replies it.
    OfflinePaused,
    /// The phone's device is not (or no longer) the active device of the account (403).
    DeviceRevoked,
    /// No such account, or no active phone for it (404 on login, never reveals which).
    UnknownAccount,
    /// No such challenge, or its nonce does not match (404).
    UnknownChallenge,
    /// The challenge has expired (410).
    ChallengeExpired,
    /// The challenge was already approved, denied or consumed (409).
    ChallengeUsed,
    /// No such enrollment code (404).
    UnknownEnrollment,
    /// The enrollment code has expired (410).
    EnrollmentExpired,
    /// The enrollment code was already used (409).
    EnrollmentUsed,
    /// The browser token is missing or wrong for this challenge (403).
    BrowserMismatch,
    /// Too many requests (429).
    RateLimited,
    /// Server-side failure; details are in the server log only (500).
    Internal,
}

/// Body of every error reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub error: ErrorCode,
    /// What went wrong, for people, in the language of the request's Accept-Language
    /// (French by default).
    pub message: String,
    /// Failed attempts left before the block (or the offline pause), on a counted
    /// `invalid_response` (and 0 on `account_blocked` and `offline_paused`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// On `account_blocked`: when a temporary block lifts by itself (Unix seconds). Absent when
    /// only an administrator can unblock the account. On `offline_paused`: when the pause
    /// ends (always present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until: Option<i64>,
}

/// `POST /api/v1/enrollments/lookup`: what the phone shows before the PIN is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentLookupRequest {
    /// The enrollment code from the QR.
    pub code: String,
}

/// Reply to an enrollment lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentOffer {
    /// Account identifier (Tigr ID).
    pub account: String,
    /// Human name of the account holder.
    pub display_name: String,
    /// Name of the service / platform the server belongs to.
    pub service_name: String,
    /// When the code stops working (Unix seconds).
    pub expires_at: i64,
    /// OCRA suite the device must use for offline codes.
    pub ocra_suite: String,
}

/// `POST /api/v1/enrollments/complete`: the phone registers its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentCompleteRequest {
    /// The enrollment code from the QR.
    pub code: String,
    /// SEC1 uncompressed P-256 public key (65 bytes) of the PIN-protected approval key.
    pub approval_key: String,
    /// SEC1 uncompressed P-256 public key of the identity key (signs denials, no PIN).
    pub identity_key: String,
    /// The 32-byte OCRA secret for offline codes.
    pub offline_secret: String,
    /// OCRA suite the secret is for (must equal the offer's).
    pub ocra_suite: String,
    /// A label for the phone shown to administrators (e.g. "Pixel 8").
    pub device_name: String,
}

/// Reply to a completed enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentResult {
    /// Account identifier (Tigr ID).
    pub account: String,
    /// Identifier the server gave this phone; bound into every signature.
    pub device_id: String,
    /// Name of the service.
    pub service_name: String,
}

/// `POST /api/v1/login/challenges`: a web page asks for a new login challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChallengeRequest {}

/// Reply to challenge creation (only the page that created it ever sees `browser_token`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedChallenge {
    /// Public identifier of the challenge.
    pub challenge_id: String,
    /// The text to show as a QR code.
    pub qr_payload: String,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// Secret of the browser that created the challenge; required to read its state or to
    /// submit an offline code. Send it in the `x-tigr-browser-token` header.
    pub browser_token: String,
}

/// State of a login challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeState {
    /// Shown, not yet scanned.
    Pending,
    /// A phone fetched the context (the user is typing the PIN).
    Scanned,
    /// Approved by the phone or by an offline code.
    Approved,
    /// The user pressed "this wasn't me".
    Denied,
    /// Too many wrong answers: the account that answered is blocked (final; the browser
    /// tells the user what to do).
    Blocked,
    /// Expired before a decision.
    Expired,
}

/// `GET /api/v1/login/challenges/{id}/status` (browser token required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeStatus {
    /// Current state.
    pub state: ChallengeState,
    /// The account that approved (only when approved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// When blocked for a while: the end of the block (Unix seconds). Absent for a block
    /// that only an administrator lifts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until: Option<i64>,
}

/// `POST /api/v1/login/challenges/{id}/context`: the phone proves it scanned the QR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextRequest {
    /// The nonce from the QR.
    pub nonce: String,
}

/// What the phone shows before asking for the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginContext {
    /// Challenge identifier.
    pub challenge_id: String,
    /// Name of the service asking.
    pub service_name: String,
    /// Host of the server, as configured (compare with the QR's).
    pub server_host: String,
    /// When the web page asked (Unix seconds).
    pub created_at: i64,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// IP address of the browser that displays the QR.
    pub browser_ip: String,
    /// Short description of that browser ("Firefox 133 sur Windows").
    pub browser_summary: String,
}

/// `POST /api/v1/login/challenges/{id}/response` and `.../deny`: the phone's signed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAnswer {
    /// Account identifier.
    pub account: String,
    /// Device identifier given at enrollment.
    pub device_id: String,
    /// ECDSA P-256 / SHA-256 signature, fixed 64-byte r||s, base64url.
    pub signature: String,
}

/// `POST /api/v1/login/challenges/{id}/offline` (browser token required).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineAnswer {
    /// Tigr ID typed by the user.
    pub tigr_id: String,
    /// One-time password typed by the user.
    pub otp: String,
}

/// Successful reply to a response, denial or offline answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `approved` or `denied`.
    pub state: ChallengeState,
    /// The account concerned.
    pub account: String,
}

/// base64url without padding, the encoding of every binary field.
pub fn b64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; `None` on any malformation.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_shape() {
        let body = ErrorBody {
            error: ErrorCode::InvalidResponse,
            message: "PIN incorrect".into(),
            attempts_left: Some(3),
            blocked_until: None,
        };
        let json = serde_json::to_string(&body).expect("serializes");
        assert_eq!(
            json,
            r#"{"error":"invalid_response","message":"PIN incorrect","attempts_left":3}"#
        );
        let blocked = ErrorBody {
            error: ErrorCode::AccountBlocked,
            message: "Bloqué".into(),
            attempts_left: Some(0),
            blocked_until: Some(1_795_000_900),
        };
        let json = serde_json::to_string(&blocked).expect("serializes");
        assert_eq!(
            json,
            r#"{"error":"account_blocked","message":"Bloqué","attempts_left":0,"blocked_until":1795000900}"#
        );
        assert_eq!(
            serde_json::from_str::<ErrorBody>(&json).expect("parses"),
            blocked
        );
        // Older servers send no `blocked_until`.
        let old: ErrorBody =
            serde_json::from_str(r#"{"error":"account_blocked","message":"x","attempts_left":0}"#)
                .expect("parses");
        assert_eq!(old.blocked_until, None);
    }

    #[test]
    fn base64url_round_trip() {
        let bytes = [0xfbu8, 0xff, 0x00, 0x10];
        assert_eq!(b64_decode(&b64_encode(&bytes)).as_deref(), Some(&bytes[..]));
        assert_eq!(b64_decode("+/=="), None);
    }
}
