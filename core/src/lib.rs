//! Tigr core: everything the phone and the server must agree on, and everything the phone does.
//!
//! * Protocol (shared with the server): [`payload`] (QR codes), [`wire`] (JSON API),
//!   [`signing`] (canonical signed bytes), [`offline`] (OCRA question of a login QR).
//! * One-time passwords: [`otp`] (HOTP, TOTP, OCRA — RFC 4226, 6238, 6287).
//! * Device side: [`pin`] (PIN key derivation), [`vault`] (PIN-masked secrets, no PIN oracle),
//!   [`keystore`] (platform wrapping), [`authenticator`] (enroll, approve, deny, offline code),
//!   [`client`] (the HTTP conversation with a server).
//! * [`qr`]: QR decoding from camera frames and image files.
//!
//! Time and randomness are injected ([`clock::Clock`], [`random::SecureRandom`]) so that every
//! flow is testable with fixed values.

pub mod authenticator;
pub mod client;
pub mod clock;
pub mod ids;
pub mod keystore;
pub mod offline;
pub mod otp;
pub mod payload;
pub mod pin;
pub mod qr;
pub mod random;
pub mod signing;
pub mod vault;
pub mod wire;
