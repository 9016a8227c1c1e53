//! Tigr core: everything the phone and the server must agree on, and everything the phone does.
//!
//! * Protocol (shared with the server, always compiled): [`payload`] (QR codes), [`wire`] (JSON
//!   API), [`signing`] (canonical signed bytes), [`offline`] (OCRA question of a login QR),
//!   [`ids`] (random identifiers), [`otp`] (HOTP, TOTP, OCRA — RFC 4226, 6238, 6287).
//! * Device side (feature `device`, on by default): [`pin`] (PIN key derivation), [`vault`]
//!   (PIN-masked secrets, no PIN oracle), [`keystore`] (platform wrapping), [`authenticator`]
//!   (enroll, approve, deny, offline code), [`client`] (the HTTP conversation with a server; its
//!   `ureq` transport needs feature `http`, also on by default), [`qr`] (QR decoding from camera
//!   frames and image files), [`otp_accounts`] (the phone as an authenticator app: TOTP and HOTP
//!   accounts read from `otpauth://` and Google Authenticator export QR codes).
//!
//! The server depends on this crate with `default-features = false`, so it compiles neither
//! the vault nor the image decoders it never uses.
//!
//! Time and randomness are injected ([`clock::Clock`], [`random::SecureRandom`]) so that every
//! flow is testable with fixed values. The security rules these modules follow, and the tests
//! that hold them, are listed in `docs/security.md`.

// The list above links the device modules, which do not exist without feature `device`.
#![cfg_attr(not(feature = "device"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "device")]
pub mod authenticator;
#[cfg(feature = "device")]
pub mod client;
pub mod clock;
pub mod ids;
#[cfg(feature = "device")]
pub mod keystore;
pub mod offline;
pub mod otp;
#[cfg(feature = "device")]
pub mod otp_accounts;
pub mod payload;
#[cfg(feature = "device")]
pub mod pin;
#[cfg(feature = "device")]
pub mod qr;
pub mod random;
pub mod signing;
#[cfg(feature = "device")]
pub mod vault;
pub mod wire;
