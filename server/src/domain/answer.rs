//! What makes a phone's answer right: the signature over the canonical bytes of
//! `tigr_core::signing`, or the OCRA code of `tigr_core::offline`.

use tigr_core::offline::{codes_match, offline_otp};
use tigr_core::signing::{ChallengeBinding, Decision, message, verify};

use super::challenge::LoginChallenge;

/// Who answers a challenge: the account and the device, as bound into signatures.
#[derive(Debug, Clone, Copy)]
pub struct Answerer<'a> {
    /// Account identifier.
    pub account: &'a str,
    /// Device identifier.
    pub device_id: &'a str,
}

/// True when `signature` is `decision` on `challenge` by `who`, under the server's `origin`,
/// checked against `public_key` (the approval key for approvals, the identity key for denials).
pub fn signature_is_valid(
    decision: Decision,
    origin: &str,
    challenge: &LoginChallenge,
    who: Answerer<'_>,
    public_key: &[u8],
    signature: &[u8],
) -> bool {
    let binding = ChallengeBinding {
        origin,
        challenge_id: &challenge.id,
        nonce: &challenge.nonce,
        account: who.account,
        device_id: who.device_id,
    };
    // ECDSA verification costs ~0.1 ms with ring: cheaper than a hand-off to a blocking
    // thread, so it runs inline.
    verify(public_key, &message(decision, &binding), signature)
}

/// True when `typed` is the offline code of `secret` for `challenge` under `origin`.
/// An unusable suite (never stored by this server) counts as a mismatch.
pub fn offline_code_is_valid(
    suite: &str,
    secret: &[u8],
    origin: &str,
    challenge: &LoginChallenge,
    typed: &str,
) -> bool {
    match offline_otp(suite, secret, origin, &challenge.id, &challenge.nonce) {
        Ok(expected) => codes_match(typed, &expected),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::challenge::StoredState;
    use tigr_core::offline::OFFLINE_SUITE;
    use tigr_core::signing::DeviceKey;

    const ORIGIN: &str = "https://auth.example.fr";

    fn challenge() -> LoginChallenge {
        LoginChallenge {
            id: "KRSXG5CJIRJUKQ2SIVKC2MJRGE".into(),
            nonce: "MFRGGZDFMZTWQ2LKNNWG23TPOA".into(),
            browser_token_hash: vec![],
            created_at: 0,
            expires_at: 120,
            state: StoredState::Pending,
            account_id: None,
            browser_ip: String::new(),
            browser_summary: String::new(),
            decided_at: None,
            blocked_until: None,
        }
    }

    const WHO: Answerer<'static> = Answerer {
        account: "alice",
        device_id: "GEZDGNBVGY3TQOJQGEZDGNBVGY",
    };

    fn sign(key: &DeviceKey, decision: Decision, origin: &str, c: &LoginChallenge) -> [u8; 64] {
        key.sign(&message(
            decision,
            &ChallengeBinding {
                origin,
                challenge_id: &c.id,
                nonce: &c.nonce,
                account: WHO.account,
                device_id: WHO.device_id,
            },
        ))
    }

    #[test]
    fn approval_signature_binds_origin_and_decision() {
        let key = DeviceKey::from_scalar(&[7u8; 32]).expect("key");
        let c = challenge();
        let good = sign(&key, Decision::Approve, ORIGIN, &c);
        let pk = key.public_key();
        assert!(signature_is_valid(
            Decision::Approve,
            ORIGIN,
            &c,
            WHO,
            &pk,
            &good
        ));
        let other_origin = sign(&key, Decision::Approve, "https://evil.example", &c);
        assert!(!signature_is_valid(
            Decision::Approve,
            ORIGIN,
            &c,
            WHO,
            &pk,
            &other_origin
        ));
        let deny = sign(&key, Decision::Deny, ORIGIN, &c);
        assert!(!signature_is_valid(
            Decision::Approve,
            ORIGIN,
            &c,
            WHO,
            &pk,
            &deny
        ));
        let other_key = DeviceKey::from_scalar(&[8u8; 32])
            .expect("key")
            .public_key();
        assert!(!signature_is_valid(
            Decision::Approve,
            ORIGIN,
            &c,
            WHO,
            &other_key,
            &good
        ));
        let other_account = Answerer {
            account: "bob",
            ..WHO
        };
        assert!(!signature_is_valid(
            Decision::Approve,
            ORIGIN,
            &c,
            other_account,
            &pk,
            &good
        ));
    }

    #[test]
    fn offline_code() {
        let secret = [9u8; 32];
        let c = challenge();
        let code = offline_otp(OFFLINE_SUITE, &secret, ORIGIN, &c.id, &c.nonce).expect("otp");
        assert!(offline_code_is_valid(
            OFFLINE_SUITE,
            &secret,
            ORIGIN,
            &c,
            &code
        ));
        let spaced = format!("{} {}", &code[..4], &code[4..]);
        assert!(offline_code_is_valid(
            OFFLINE_SUITE,
            &secret,
            ORIGIN,
            &c,
            &spaced
        ));
        assert!(!offline_code_is_valid(
            OFFLINE_SUITE,
            &secret,
            "https://b.fr",
            &c,
            &code
        ));
        assert!(!offline_code_is_valid(
            OFFLINE_SUITE,
            &[8u8; 32],
            ORIGIN,
            &c,
            &code
        ));
        assert!(!offline_code_is_valid("bogus", &secret, ORIGIN, &c, &code));
    }
}
