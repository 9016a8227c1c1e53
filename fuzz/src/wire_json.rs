//! JSON bodies of the protocol (`tigr_core::wire`), both ways.
//!
//! * What the server accepts: every request body of the JSON API, parsed by the server's own
//!   `parse_json` (serde_json through serde_path_to_error, as its `ApiJson` extractor does),
//!   then the pure checks the server runs next (registration validation, signature
//!   verification, offline code comparison).
//! * What the phone accepts: every reply of the server, parsed with serde_json as the phone's
//!   client does, then what the phone does with it (the OCRA suite of an offer).
//!
//! Properties: what parses serialises back to the same value; a refusal names a field of the
//! type (never a value of the input); a validated registration holds two distinct valid
//! public keys, a 256-bit secret, the server's suite and a clean device name; no signature
//! from the input verifies under a fixed key; an offline code matches only the right code.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tigr_core::offline::{OFFLINE_SECRET_LEN, OFFLINE_SUITE, codes_match, offline_otp};
use tigr_core::otp::ocra::OcraSuite;
use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, is_valid_public_key, message};
use tigr_core::wire::{
    ChallengeStatus, ContextRequest, CreateChallengeRequest, CreatedChallenge,
    EnrollmentCompleteRequest, EnrollmentLookupRequest, EnrollmentOffer, EnrollmentResult,
    ErrorBody, LoginContext, OfflineAnswer, Outcome, SignedAnswer, b64_decode,
};
use tigr_server::domain::enrollment::{MAX_DEVICE_NAME_CHARS, validate_registration};
use tigr_server::http::error::{ApiError, BadRequest};
use tigr_server::http::extract::parse_json;
use tigr_server::i18n::Lang;

const ORIGIN: &str = "https://auth.example.fr";
const CHALLENGE_ID: &str = "KRSXG5CJIRJUKQ2SIVKC2MJRGE";
const NONCE: &str = "MFRGGZDFMZTWQ2LKNNWG23TPOA";

/// The target.
pub fn check(data: &[u8]) {
    server_side(
        data,
        &EnrollmentLookupRequest {
            code: String::new(),
        },
    );
    if let Some(request) = server_side(data, &enrollment_sample()) {
        check_registration(&request);
    }
    server_side(data, &CreateChallengeRequest {});
    server_side(
        data,
        &ContextRequest {
            nonce: String::new(),
        },
    );
    if let Some(answer) = server_side(data, &signed_answer_sample()) {
        check_signature(&answer);
    }
    if let Some(answer) = server_side(data, &offline_answer_sample()) {
        check_offline_code(&answer);
    }

    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(offer) = phone_side::<EnrollmentOffer>(text) {
            // The phone keeps the offered suite and computes its offline codes with it.
            if let Ok(suite) = OcraSuite::parse(&offer.ocra_suite) {
                assert_eq!(suite.as_str(), offer.ocra_suite);
            }
            let _ = offline_otp(&offer.ocra_suite, &[7; 32], ORIGIN, CHALLENGE_ID, NONCE);
        }
        phone_side::<EnrollmentResult>(text);
        phone_side::<CreatedChallenge>(text);
        phone_side::<ChallengeStatus>(text);
        phone_side::<LoginContext>(text);
        phone_side::<Outcome>(text);
        phone_side::<ErrorBody>(text);
    }
}

/// Parses `data` as the server parses a body of `sample`'s type (an empty body reads as
/// `{}`, as in the server's `ApiJson`); checks the round trip of a success and the field
/// named by a refusal.
fn server_side<T>(data: &[u8], sample: &T) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let data: &[u8] = if data.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        data
    };
    match parse_json::<T>(data) {
        Ok(value) => {
            let again = serde_json::to_vec(&value).expect("wire types serialise");
            assert_eq!(
                parse_json::<T>(&again).as_ref().ok(),
                Some(&value),
                "round trip"
            );
            Some(value)
        }
        Err(refusal) => {
            let fields = field_names(sample);
            match &refusal {
                BadRequest::MissingField(name) => {
                    assert!(
                        fields.contains(name),
                        "{name:?} is not a field of {fields:?}"
                    );
                }
                BadRequest::InvalidField(path) => {
                    let first = path.split(['.', '[']).next().unwrap_or_default();
                    assert!(
                        fields.iter().any(|f| f == first),
                        "{path:?} is not a field of {fields:?}"
                    );
                }
                BadRequest::JsonSyntax { line, column } => {
                    assert!(*line >= 1 && *column <= data.len() + 1)
                }
                _ => {}
            }
            for lang in [Lang::Fr, Lang::En] {
                assert!(
                    !ApiError::BadRequest(refusal.clone())
                        .message(lang)
                        .is_empty()
                );
            }
            None
        }
    }
}

/// Parses a server reply as the phone's client does; checks the round trip.
fn phone_side<T>(text: &str) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let value = serde_json::from_str::<T>(text).ok()?;
    let again = serde_json::to_string(&value).expect("wire types serialise");
    assert_eq!(
        serde_json::from_str::<T>(&again).ok().as_ref(),
        Some(&value),
        "round trip of {again}"
    );
    Some(value)
}

/// The JSON field names of a type, read from a serialised sample.
fn field_names<T: Serialize>(sample: &T) -> Vec<String> {
    match serde_json::to_value(sample).expect("samples serialise") {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn enrollment_sample() -> EnrollmentCompleteRequest {
    EnrollmentCompleteRequest {
        code: String::new(),
        approval_key: String::new(),
        identity_key: String::new(),
        offline_secret: String::new(),
        ocra_suite: String::new(),
        device_name: String::new(),
    }
}

fn signed_answer_sample() -> SignedAnswer {
    SignedAnswer {
        account: String::new(),
        device_id: String::new(),
        signature: String::new(),
    }
}

fn offline_answer_sample() -> OfflineAnswer {
    OfflineAnswer {
        tigr_id: String::new(),
        otp: String::new(),
    }
}

/// What the server keeps of a registration is what the rules allow, whatever was sent.
fn check_registration(request: &EnrollmentCompleteRequest) {
    let Ok(registration) = validate_registration(request) else {
        return;
    };
    assert!(is_valid_public_key(&registration.approval_key));
    assert!(is_valid_public_key(&registration.identity_key));
    assert_ne!(registration.approval_key, registration.identity_key);
    assert_eq!(registration.offline_secret.len(), OFFLINE_SECRET_LEN);
    assert_eq!(registration.ocra_suite, OFFLINE_SUITE);
    let name = &registration.device_name;
    assert_eq!(name.trim(), name);
    assert!(!name.is_empty() && name.chars().count() <= MAX_DEVICE_NAME_CHARS);
    assert!(!name.chars().any(char::is_control));
}

/// A key nobody outside knows: no signature in the input may verify under it.
fn check_signature(answer: &SignedAnswer) {
    let key = DeviceKey::from_scalar(&[0x42; 32]).expect("a valid scalar");
    let Some(signature) = b64_decode(&answer.signature) else {
        return;
    };
    let binding = ChallengeBinding {
        origin: ORIGIN,
        challenge_id: CHALLENGE_ID,
        nonce: NONCE,
        account: &answer.account,
        device_id: &answer.device_id,
    };
    for decision in [Decision::Approve, Decision::Deny] {
        assert!(
            !tigr_core::signing::verify(
                &key.public_key(),
                &message(decision, &binding),
                &signature
            ),
            "a signature from the input verified"
        );
    }
}

/// The server's comparison of a typed code: only the expected digits (spaces aside) match.
fn check_offline_code(answer: &OfflineAnswer) {
    let expected = offline_otp(OFFLINE_SUITE, &[9; 32], ORIGIN, CHALLENGE_ID, NONCE)
        .expect("the offline suite computes");
    let typed: String = answer
        .otp
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    assert_eq!(codes_match(&answer.otp, &expected), typed == expected);
}
