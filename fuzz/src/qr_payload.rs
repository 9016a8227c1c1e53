//! QR payloads: the text a phone scans (`tigr_core::payload`).
//!
//! Properties: a parsed payload prints in canonical form and that form parses back to the
//! same payload; its origin is https or loopback http, printed in one spelling that parses
//! back; its identifiers are valid 128-bit ids and its expiry a positive time. A bare origin
//! (what the server configuration and the phone's account list hold) round-trips too.

use tigr_core::ids::is_valid_id;
use tigr_core::payload::{MAX_PAYLOAD_LEN, Origin, QrPayload};

/// The target.
pub fn check(data: &[u8]) {
    let text = super::lossy(data);
    if let Ok(payload) = QrPayload::parse(&text) {
        check_payload(&payload);
    }
    if let Ok(origin) = Origin::parse(&text) {
        check_origin(&origin);
    }
}

fn check_payload(payload: &QrPayload) {
    let canonical = payload.to_string();
    // A `tigr://` code of the maximal length is one byte longer as an https link.
    if canonical.len() <= MAX_PAYLOAD_LEN {
        assert_eq!(
            QrPayload::parse(&canonical).as_ref(),
            Ok(payload),
            "the canonical form {canonical:?} does not parse back"
        );
    }
    assert!(canonical.starts_with(&payload.origin().to_string()));
    check_origin(payload.origin());
    match payload {
        QrPayload::Login(login) => {
            assert!(is_valid_id(&login.challenge_id));
            assert!(is_valid_id(&login.nonce));
            assert!(login.expires_at > 0);
        }
        QrPayload::Enrollment(enrollment) => assert!(is_valid_id(&enrollment.code)),
    }
}

fn check_origin(origin: &Origin) {
    assert!(
        origin.is_secure() || origin.is_loopback(),
        "plain http accepted for {origin}"
    );
    let printed = origin.to_string();
    assert_eq!(Origin::parse(&printed).as_ref(), Ok(origin), "{printed:?}");
    assert!(
        !origin.host().bytes().any(|b| b.is_ascii_uppercase()),
        "host not normalised: {printed:?}"
    );
    // The scheme's default port is never written (443 is a port like any other for plain
    // http, as 80 is for https).
    let default_port = if origin.is_secure() { ":443" } else { ":80" };
    assert!(
        !printed.ends_with(default_port) && !printed.ends_with('/'),
        "{printed:?}"
    );
}
