//! Tigr server: issues login challenges shown as QR codes, verifies the phone's signed
//! approvals and offline codes, enrolls phones.
//!
//! Layers, outermost first:
//!
//! ```text
//! main.rs            command line: serve, enroll, admin ... (glue in cli/)
//! cli/               `tigr-server admin ...`: arguments, French/English output
//! admin/             AdminService: accounts, phones, invitations, lockout, audit, roles
//!                    (called by the command line and the admin web pages)
//! server.rs          RunningServer: key, database, listener, background tasks
//! routes/            axum handlers, AppState, extractors, ApiError (HTTP <-> domain)
//! domain/            pure rules, time passed in: challenge states, lockout, enrollment,
//!                    answer verification, browser summary
//! storage/           SQLite through sqlx (reader pool + single writer), audit trail
//! sealing.rs         master key, AES-256-GCM of offline secrets, hashes of bearer values
//! hub.rs             in-memory wake-ups for long polls and page events
//! metrics.rs         Prometheus registry and text format (`GET /metrics`)
//! web/               login page, sessions, CSRF, templates (HTML pages)
//! config.rs, i18n.rs, qr_image.rs, enroll.rs
//! ```
//!
//! The protocol (wire types, QR payloads, signed bytes, OCRA) comes from `tigr-core`.
//!
//! End-to-end suites drive a real server through [`RunningServer`], [`Config::for_tests`]
//! and [`create_enrollment`].

pub mod admin;
pub mod cli;
pub mod config;
pub mod domain;
pub mod enroll;
pub mod http;
pub mod hub;
pub mod i18n;
pub mod login;
pub mod metrics;
pub mod qr_image;
pub mod ratelimit;
pub mod sealing;
mod server;
pub mod shutdown;
pub mod storage;
pub mod text;

pub use config::Config;
pub use enroll::{EnrollmentInvite, create_enrollment};
pub use server::RunningServer;
