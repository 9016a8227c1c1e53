//! Shared pieces of the Tigr end-to-end suites: the desktop virtual phone and helpers that
//! start a real server on loopback.

pub mod apache;
pub mod bench;
pub mod harness;
pub mod phone;
pub mod web_flows;
pub mod webdriver;
