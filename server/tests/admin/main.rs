//! Tests of the administration (issue 4, non-web half): the `AdminService` that the CLI and
//! the admin pages share, the `tigr-server admin ...` binary, and what administrators'
//! actions do to logins over real HTTP (revocation, disabling, temporary and permanent
//! blocks with a fixed clock).

// The real server and virtual phone of the API suite, reused as is.
#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
mod support;

mod accounts;
mod audit;
mod cli;
mod lockout;
mod phones;
