//! Tigr server: issues login challenges shown as QR codes, verifies the phone's signed
//! approvals and offline codes, enrolls phones.
//!
//! Layers, outermost first (docs/ARCHITECTURE.md has the picture, the rules that
//! `tests/architecture.rs` checks, the glossary and where each kind of change goes):
//!
//! ```text
//! main.rs, cli/      command line: serve, enroll, admin ... (a front end)
//! server.rs          RunningServer: key, database, listener, background tasks
//! http/              axum: AppState, top router, middleware, extractors, ApiError
//!   api/             the JSON API (protocol §3)          ─┐ siblings: neither
//!   pages/           login, session and admin pages      ─┘ imports the other
//! login/             LoginService: challenges, answers, enrollment, web sessions
//! admin/             AdminService: accounts, phones, invitations, lockout, audit
//! otp/               OtpService: passwords, e-mail codes, the OTP form's login
//! oidc/              OidcService: the OpenID Connect provider (authorization, tokens, logout)
//! domain/            pure rules, time passed in: challenge states, answer admission,
//!                    lockout, enrollment, return URLs, browser summary
//! storage/           SQLite through sqlx (reader pool + single writer), audit trail
//! config/, text.rs, i18n.rs, hub.rs, sealing.rs, jose.rs, passwords.rs (argon2id), mail.rs
//! (SMTP), ratelimit.rs, metrics.rs, qr_image.rs, shutdown.rs, card_trust.rs
//!                    support for the layers above
//! ```
//!
//! The protocol (wire types, QR payloads, signed bytes, OCRA) comes from `tigr-core`.
//!
//! End-to-end suites drive a real server through [`RunningServer`], `Config::for_tests`
//! (feature `test-support`) and [`create_enrollment`].

pub mod admin;
pub mod card_trust;
pub mod cli;
pub mod config;
pub mod domain;
pub mod enroll;
pub mod http;
pub mod hub;
pub mod i18n;
pub mod jose;
pub mod login;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod otp;
pub mod passwords;
pub mod qr_image;
pub mod ratelimit;
pub mod relay;
pub mod runtime;
pub mod sealing;
mod server;
pub mod shutdown;
pub mod storage;
#[cfg(any(test, feature = "test-support"))]
pub mod test_pki;
pub mod text;

pub use config::Config;
pub use enroll::{EnrollmentInvite, create_enrollment};
pub use server::RunningServer;
