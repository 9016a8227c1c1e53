//! OCRA suites (RFC 6287, `tigr_core::otp::ocra`): the phone keeps the suite an enrollment
//! offer names and computes its offline codes with it, so the suite text comes from the
//! server's reply.
//!
//! Input: the suite text up to the first new line; after it, a flag byte (which optional
//! inputs to give), a key length, then key bytes and the question.
//!
//! Properties: a parsed suite keeps its text and re-parses equal; its truncation is 0 or 4 to
//! 10 digits and its question length 4 to 64; a computed response has exactly the suite's
//! digits (or the full HMAC in hex); the phone's offline code of a QR never panics and is a
//! response of the same form.

use tigr_core::offline::otp_for_qr;
use tigr_core::otp::ocra::{OcraInput, OcraSuite};
use tigr_core::payload::{LoginQr, Origin};

/// The target.
pub fn check(data: &[u8]) {
    let (suite_bytes, rest) = super::split_once(data, b'\n');
    let suite_text = super::lossy(suite_bytes);
    let (flags, key_len, rest) = match rest {
        [flags, key_len, rest @ ..] => (*flags, usize::from(*key_len), rest),
        _ => (0, 0, rest),
    };
    let (key, question) = rest.split_at(key_len.min(rest.len()));
    let question = super::lossy(question);

    let login = LoginQr {
        origin: Origin::parse("https://auth.example.fr").expect("valid origin"),
        challenge_id: "KRSXG5CJIRJUKQ2SIVKC2MJRGE".into(),
        nonce: "MFRGGZDFMZTWQ2LKNNWG23TPOA".into(),
        expires_at: 1_750_000_000,
    };
    let phone_code = otp_for_qr(&suite_text, key, &login);

    let Ok(suite) = OcraSuite::parse(&suite_text) else {
        assert!(phone_code.is_err(), "a code for a refused suite");
        return;
    };
    assert_eq!(suite.as_str(), suite_text);
    assert_eq!(OcraSuite::parse(suite.as_str()).as_ref(), Ok(&suite));
    let digits = suite.digits();
    assert!(digits == 0 || (4..=10).contains(&digits), "{digits}");
    assert!((4..=64).contains(&suite.question_max()));

    if let Ok(code) = phone_code {
        check_response(&suite, &code);
    }
    let password = [0x5a; 64];
    let session = [0xa5; 512];
    let input = OcraInput {
        counter: (flags & 1 != 0).then_some(u64::from(flags)),
        question: &question,
        password_hash: (flags & 2 != 0).then(|| &password[..usize::from(flags >> 2) % 65]),
        session: (flags & 4 != 0).then(|| &session[..usize::from(flags) * 2]),
        time_steps: (flags & 8 != 0).then_some(u64::from(flags) << 20),
    };
    if let Ok(code) = suite.compute(key, &input) {
        check_response(&suite, &code);
    }
}

fn check_response(suite: &OcraSuite, code: &str) {
    match suite.digits() {
        0 => assert!(
            [40, 64, 128].contains(&code.len()) && code.bytes().all(|b| b.is_ascii_hexdigit()),
            "{code:?}"
        ),
        digits => assert!(
            code.len() == digits as usize && code.bytes().all(|b| b.is_ascii_digit()),
            "{code:?} for {} digits",
            digits
        ),
    }
}
