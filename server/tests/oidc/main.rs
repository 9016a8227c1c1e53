//! The OpenID Connect provider over real HTTP (docs/oidc.md): the code flow with the
//! virtual phone, every refusal of docs/security.md's OpenID Connect rules, logout (RP-
//! initiated and back-channel to a receiver of the test), and the administration of clients
//! and keys (command line and admin pages). ID tokens are checked with p256, independently
//! of the server's ring.

// The real server and virtual phone of the API suite, reused as is.
#[allow(dead_code)]
#[path = "../api/common.rs"]
mod common;
// The browser-like client of the web page suite.
#[allow(dead_code)]
#[path = "../api/browser.rs"]
mod browser;
mod relying_party;
mod support;

mod admin;
mod attacks;
mod flow;
mod logout;
