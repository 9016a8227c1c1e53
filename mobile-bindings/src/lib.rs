//! Tigr mobile SDK: the uniffi surface of `tigr-core` for the Android and iOS apps.
//!
//! This crate is the only one that knows uniffi. It is a thin layer:
//!
//! * [`Authenticator`] wraps [`tigr_core::authenticator::Authenticator`] (enroll, scan, approve,
//!   deny, offline code) and [`tigr_core::otp_accounts::OtpAccounts`] (the OTP accounts of other
//!   services: add, list, code, rename, remove), and turns core types into plain records
//!   ([`types`]).
//! * [`TigrError`] is the one error apps see, converted from core errors by `From` impls in one
//!   place ([`error`]), with reason enums to switch on; [`error_message`] gives the sentence to
//!   show, in French or English, from the text catalogue ([`text`], Project Fluent files).
//! * [`KeyProtector`] is a *foreign* trait (Android Keystore, iOS Secure Enclave / Keychain),
//!   bridged to core's plain [`tigr_core::keystore::KeyStore`] by a newtype, so that core never
//!   depends on uniffi ([`key_protector`]).
//! * [`decode_frame`] and [`parse_code`] read camera frames and QR texts (Tigr codes,
//!   `otpauth://` and Google Authenticator export codes).
//!
//! Every exported function and method blocks (network I/O: 5 s to connect, 40 s at most, PBKDF2 PIN
//! derivation): apps call them off the main thread.
//!
//! HTTP goes through core's `UreqTransport` (rustls with ring) from Rust, not through the
//! platform's HTTP stack: one implementation of TLS and of the HTTP error mapping for both
//! platforms, and no callback round-trips. The trade-off is that platform proxy / VPN settings
//! and certificate pinning have to be handled here; a foreign `Transport` trait can be added
//! later without changing the API below.

uniffi::setup_scaffolding!();

mod authenticator;
pub mod error;
mod frame;
pub mod key_protector;
pub mod text;
pub mod types;

pub use authenticator::Authenticator;
pub use error::{
    InvalidCodeReason, InvalidInvitationReason, InvalidOtpReason, InvalidPinReason, TigrError,
    minutes_until,
};
pub use frame::{decode_frame, expect_invitation, expect_login, parse_code};
pub use key_protector::{KeyProtector, KeyProtectorError};
pub use text::{Language, error_message};
pub use types::{
    Account, InvitationCode, InvitationOffer, LoginCode, LoginContext, LoginRequest, OfflineCode,
    OtpAccount, OtpAccountPreview, OtpAlgorithm, OtpCode, OtpImportPreview, OtpKind, OtpValidity,
    ScanResult, ScannedCode,
};

/// The version of this SDK (the crate version), e.g. `0.1.0`.
#[uniffi::export]
pub fn sdk_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
