//! Integration tests of tigr-server over real HTTP, one test per rule of docs/security.md and more.

// Shared with the admin suite, which uses more of it.
#[allow(dead_code)]
mod browser;
mod common;
// The SMTP server process the browser suite also uses (tigr-tests).
#[path = "../../../tests/src/smtp.rs"]
mod smtp;
// The independent HOTP/TOTP implementation the token tests ask (tigr-tests).
#[allow(dead_code)]
#[path = "../../../tests/src/oathtool.rs"]
mod oathtool;
// The OpenID Connect suite's relying party and its helpers (the OTP mode's service login).
#[allow(dead_code)]
#[path = "../oidc/support.rs"]
mod oidc_support;
#[allow(dead_code)]
#[path = "../oidc/relying_party.rs"]
mod relying_party;

mod binding;
mod conformance;
mod connections;
mod enrollment;
mod enumeration;
mod http;
mod instances;
mod lockout;
mod metrics;
mod otp;
mod rate_limits;
mod single_use;
mod storage;
mod tokens;
mod web;
