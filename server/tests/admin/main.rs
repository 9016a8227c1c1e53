//! Tests of the administration: the `AdminService` that the CLI and the admin pages share,
//! the `tigr-server admin ...` binary, what administrators' actions do to logins over real
//! HTTP (revocation, disabling, temporary and permanent blocks with a fixed clock), the
//! admin web pages (`web_pages`), backups and migrations of the database (`backup`), and
//! PostgreSQL's migrations on a throwaway cluster (`postgres`).

// The real server and virtual phone of the API suite, reused as is.
#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
mod support;
// The independent HOTP/TOTP implementation (tigr-tests).
#[allow(dead_code)]
#[path = "../../../tests/src/oathtool.rs"]
mod oathtool;
// The browser-like client of the web page suite.
#[allow(dead_code)]
#[path = "../api/browser.rs"]
mod browser;

// The throwaway PostgreSQL cluster of the suites that run against it.
#[path = "../processes/postgres.rs"]
mod postgres_cluster;

mod accounts;
mod atomic_audit;
mod audit;
mod backup;
mod cli;
mod lockout;
mod phones;
mod postgres;
mod web_pages;
