//! Pure logic of the server: no I/O, time passed in as Unix seconds, so every rule is
//! unit-tested with exact values.
//!
//! * [`challenge`]: states of a login challenge, expiry computed when read.
//! * [`lockout`]: the phone channel's failure counter and block, per account (state
//!   diagram inside).
//! * [`offline_pause`]: the offline channel's failure counter and pause, per Tigr ID typed
//!   (state diagram inside).
//!   The OTP form's channel follows the same rules, on records of its own.
//! * [`enrollment`]: enrollment codes and validation of a phone's registration.
//! * [`password`]: what a new password must be (NIST SP 800-63B).
//! * [`email_code`]: e-mail one-time passwords and their send limits.
//! * [`otp_token`]: TOTP and HOTP tokens: drift window, learned clock drift, replay, look-ahead, resynchronisation.
//! * [`token_import`]: hardware token files (PSKC, CSV), read whole or refused with line numbers.
//! * [`answer`]: what makes a phone's signature or an offline code right.
//! * [`browser`]: the short browser description shown on the phone.
//! * [`return_url`]: where a login may send the browser afterwards.
//! * [`card`]: card certificates: chain, dates, usage, revocation, national identifier.
//! * [`oidc`]: the OpenID Connect provider's rules (authorization requests, codes, tokens,
//!   claims, logout).

pub mod answer;
pub mod browser;
pub mod card;
pub mod challenge;
pub mod email_code;
pub mod enrollment;
pub mod lockout;
pub mod offline_pause;
pub mod oidc;
pub mod otp_token;
pub mod password;
pub mod return_url;
pub mod token_import;
