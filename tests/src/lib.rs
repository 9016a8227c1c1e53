//! Shared pieces of the Tigr end-to-end suites: the desktop virtual phone and helpers that
//! start a real server on loopback; the load generator and the crash and race tests.

pub mod accessibility;
pub mod apache;
pub mod bench;
pub mod consistency;
pub mod harness;
pub mod oathtool;
pub mod phone;
pub mod smtp;
pub mod web_flows;
pub mod webdriver;
