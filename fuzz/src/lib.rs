//! Fuzz targets for every parser of outside input, as plain functions.
//!
//! Each module has one `check(data: &[u8])`: it feeds the bytes to a parser exactly as the
//! server or the phone does, and asserts properties of the result beyond "no panic" (round
//! trips, bounds, security rules). A failed assertion or any panic is a finding.
//!
//! The same functions run under libFuzzer (`fuzz_targets/`, `cargo fuzz run <name>`) and over
//! the committed corpora in the replay test (`tests/replay.rs`), which needs no fuzzing tool.
//! `scripts/fuzz.sh` runs both; `docs/security.md` ("Fuzzing") lists the targets and their
//! figures.

pub mod admin_text;
pub mod config;
pub mod headers;
pub mod ocra_suite;
pub mod page_forms;
pub mod qr_image;
pub mod qr_payload;
pub mod return_url;
pub mod wire_json;

/// A target's checks of one input.
pub type Check = fn(&[u8]);

/// Every target by name: the name is its folder under `corpus/` and its binary under
/// `fuzz_targets/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("admin_text", admin_text::check),
    ("config", config::check),
    ("headers", headers::check),
    ("ocra_suite", ocra_suite::check),
    ("page_forms", page_forms::check),
    ("qr_image", qr_image::check),
    ("qr_payload", qr_payload::check),
    ("return_url", return_url::check),
    ("wire_json", wire_json::check),
];

/// The server's default time zone (its rules change twice a year), read once.
fn paris() -> &'static tigr_core::clock::TimeZone {
    static ZONE: std::sync::LazyLock<tigr_core::clock::TimeZone> = std::sync::LazyLock::new(|| {
        tigr_core::clock::TimeZone::get("Europe/Paris").expect("bundled zone")
    });
    &ZONE
}

/// Text as the phone's QR reader and the form decoders produce it: UTF-8, invalid sequences
/// replaced.
fn lossy(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Splits `data` at the first `separator` byte: (before, after); all of it and nothing
/// when there is none.
fn split_once(data: &[u8], separator: u8) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == separator) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}
