//! Offline codes: an OCRA response over the login QR, typed by the user with their Tigr ID
//! (docs/protocol.md §5).
//!
//! The OCRA question is `hex(SHA-256("tigr/offline/v1" 0x00 field(origin) field(challenge_id)
//! field(nonce)))` — 64 hex digits, hence the suite's `QH64` — so a code answers exactly one QR
//! of one server. No counter and no clock are needed: the challenge itself expires.

use crate::otp::ocra::{OcraError, OcraInput, OcraSuite};
use crate::payload::LoginQr;

/// The OCRA suite of offline codes: HMAC-SHA-256, 8 digits, 32-byte hex question.
pub const OFFLINE_SUITE: &str = "OCRA-1:HOTP-SHA256-8:QH64";

/// Length of the per-device offline secret in bytes (256 bits).
pub const OFFLINE_SECRET_LEN: usize = 32;

/// The OCRA question (64 lower-case hex digits) bound to a login challenge.
pub fn question(origin: &str, challenge_id: &str, nonce: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"tigr/offline/v1\0");
    for field in [origin, challenge_id, nonce] {
        let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
        ctx.update(&len.to_be_bytes());
        ctx.update(&field.as_bytes()[..usize::from(len)]);
    }
    hex::encode(ctx.finish().as_ref())
}

/// The offline one-time password of `secret` for `suite` on the challenge.
pub fn offline_otp(
    suite: &str,
    secret: &[u8],
    origin: &str,
    challenge_id: &str,
    nonce: &str,
) -> Result<String, OcraError> {
    let suite = OcraSuite::parse(suite)?;
    let question = question(origin, challenge_id, nonce);
    suite.compute(
        secret,
        &OcraInput {
            question: &question,
            ..OcraInput::default()
        },
    )
}

/// The offline code the phone shows for a scanned login QR.
pub fn otp_for_qr(suite: &str, secret: &[u8], qr: &LoginQr) -> Result<String, OcraError> {
    offline_otp(
        suite,
        secret,
        &qr.origin.to_string(),
        &qr.challenge_id,
        &qr.nonce,
    )
}

/// Constant-time comparison of a typed code with the expected one (spaces ignored).
pub fn codes_match(typed: &str, expected: &str) -> bool {
    let typed: Vec<u8> = typed.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    typed.len() == expected.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            &typed[..],
            expected.as_bytes(),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_is_valid_and_question_fits() {
        let suite = OcraSuite::parse(OFFLINE_SUITE).expect("valid");
        let q = question("https://a.fr", "C", "N");
        assert_eq!(q.len(), suite.question_max());
    }

    #[test]
    fn code_depends_on_every_input() {
        let secret = [9u8; 32];
        let base =
            offline_otp(OFFLINE_SUITE, &secret, "https://a.fr", "CID", "NONCE").expect("otp");
        assert_eq!(base.len(), 8);
        assert!(base.bytes().all(|b| b.is_ascii_digit()));
        for other in [
            offline_otp(OFFLINE_SUITE, &[8u8; 32], "https://a.fr", "CID", "NONCE"),
            offline_otp(OFFLINE_SUITE, &secret, "https://b.fr", "CID", "NONCE"),
            offline_otp(OFFLINE_SUITE, &secret, "https://a.fr", "CIE", "NONCE"),
            offline_otp(OFFLINE_SUITE, &secret, "https://a.fr", "CID", "NONCF"),
        ] {
            assert_ne!(other.expect("otp"), base);
        }
    }

    #[test]
    fn typed_codes() {
        assert!(codes_match("1234 5678", "12345678"));
        assert!(!codes_match("12345679", "12345678"));
        assert!(!codes_match("1234567", "12345678"));
    }
}
