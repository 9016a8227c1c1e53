//! `oathtool` (OATH Toolkit, installed by scripts/install-deps.sh): an implementation of
//! HOTP and TOTP independent of Tigr's, run as a separate process, that tells what a hardware
//! token, an authenticator app or a browser extension would show. The server's suites include
//! this file too (`#[path]`), so that every suite asks it the same way.

use std::process::Command;

/// What `oathtool` prints for `args` (e.g. `["--totp", "-b", SECRET, "-N", "@1700000000"]`),
/// trimmed; panics, naming the arguments, when it cannot run or refuses them.
pub fn oathtool(args: &[&str]) -> String {
    let output = Command::new("oathtool")
        .args(args)
        .output()
        .expect("oathtool runs (Debian package oathtool, see scripts/install-deps.sh)");
    assert!(output.status.success(), "oathtool {args:?}: {output:?}");
    String::from_utf8(output.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

/// The code of the TOTP secret `secret_b32` (SHA1, 6 digits, 30 s) now.
pub fn totp_now(secret_b32: &str) -> String {
    oathtool(&["--totp", "-b", secret_b32])
}

/// The code of the TOTP secret `secret_b32` (SHA1, 6 digits, 30 s) at Unix time `at`.
pub fn totp_at(secret_b32: &str, at: i64) -> String {
    oathtool(&["--totp", "-b", secret_b32, "-N", &format!("@{at}")])
}

/// The 6-digit HOTP code of the hex secret `secret_hex` for `counter`.
pub fn hotp(secret_hex: &str, counter: u64) -> String {
    oathtool(&["--hotp", "-c", &counter.to_string(), secret_hex])
}
