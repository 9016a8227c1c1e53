//! Pure logic of the server: no I/O, time passed in as Unix seconds, so every rule is
//! unit-tested with exact values.
//!
//! * [`challenge`]: states of a login challenge, expiry computed when read.
//! * [`lockout`]: the phone channel's failure counter and block, per account (state
//!   diagram inside).
//! * [`offline_pause`]: the offline channel's failure counter and pause, per Tigr ID typed
//!   (state diagram inside).
//! * [`enrollment`]: enrollment codes and validation of a phone's registration.
//! * [`answer`]: what makes a phone's signature or an offline code right.
//! * [`browser`]: the short browser description shown on the phone.
//! * [`return_url`]: where a login may send the browser afterwards.
//! * [`oidc`]: the OpenID Connect provider's rules (authorization requests, codes, tokens,
//!   claims, logout).

pub mod answer;
pub mod browser;
pub mod challenge;
pub mod enrollment;
pub mod lockout;
pub mod offline_pause;
pub mod oidc;
pub mod return_url;
