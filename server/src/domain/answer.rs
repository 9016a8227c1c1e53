//! Answers to a login challenge: which answers are looked at ([`admit_answer`], the order of
//! checks of docs/protocol.md §3.5), and what makes one right (the signature over the
//! canonical bytes of `tigr_core::signing`, or the OCRA code of `tigr_core::offline`).

use tigr_core::offline::{codes_match, offline_otp};
use tigr_core::signing::{ChallengeBinding, Decision, message, verify};

use super::challenge::{Closed, LoginChallenge};
use super::lockout::{Block, LockState, LockoutPolicy};
use super::offline_pause::{OfflinePolicy, OfflineRecord, Pause};

/// What the server found of the phone that answers, read before the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneStanding {
    /// No enabled account with this phone: unknown account, disabled account, or a phone of
    /// another account.
    Unknown,
    /// The account's phone, revoked by an administrator or replaced by a new enrollment.
    Revoked,
    /// The account's active phone; `lock` is the account's lockout state.
    Active {
        /// The account's lockout state.
        lock: LockState,
    },
}

/// Why an answer is refused before its signature or code is even looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The challenge can no longer be answered (410 expired, 409 decided).
    Closed(Closed),
    /// No enabled account with an active phone (404).
    UnknownAccount,
    /// The phone was revoked or replaced (403).
    PhoneRevoked,
    /// The account is blocked (423), even if the answer would be right; the challenge is to
    /// end `blocked`.
    Blocked(Block),
}

/// The order of checks of an answer, approval or offline code alike (docs/protocol.md §3.5):
/// the challenge is still open (410, 409), the account and its phone (404, 403), the account
/// is not blocked (423); `Ok` means: check the answer itself.
///
/// A retry by `account` on a challenge that ended on that account's block is the one
/// exception to the first check: the lockout answers it (still blocked: 423; unblocked
/// since: that login is over all the same, 409).
pub fn admit_answer(
    challenge: &LoginChallenge,
    account: &str,
    phone: PhoneStanding,
    policy: &LockoutPolicy,
    now: i64,
) -> Result<(), Refusal> {
    let retry_after_block = challenge.ended_on_block_of(account);
    if !retry_after_block {
        challenge.check_open(now).map_err(Refusal::Closed)?;
    }
    let lock = match phone {
        PhoneStanding::Unknown => return Err(Refusal::UnknownAccount),
        PhoneStanding::Revoked => return Err(Refusal::PhoneRevoked),
        PhoneStanding::Active { lock } => lock,
    };
    policy
        .admit(lock, now)
        .map_err(|refused| Refusal::Blocked(refused.block))?;
    if retry_after_block {
        return Err(Refusal::Closed(Closed::Used));
    }
    Ok(())
}

/// Why an offline code is refused before it is even looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineRefusal {
    /// The challenge can no longer be answered (410 expired, 409 decided).
    Closed(Closed),
    /// The offline form is paused for the Tigr ID typed (423), even if the code would be
    /// right.
    Paused(Pause),
}

/// The order of checks of an offline code (docs/protocol.md §3.5): the challenge is still
/// open (410, 409), the offline form is not paused for the Tigr ID typed (423); `Ok` means:
/// check the code. Nothing here depends on whether the ID names an account: an unknown,
/// disabled or phone-less ID goes through the same checks with its own record.
pub fn admit_offline(
    challenge: &LoginChallenge,
    record: OfflineRecord,
    policy: &OfflinePolicy,
    now: i64,
) -> Result<(), OfflineRefusal> {
    challenge.check_open(now).map_err(OfflineRefusal::Closed)?;
    policy.admit(record, now).map_err(OfflineRefusal::Paused)
}

/// True when a right offline code may log the account in: the account is enabled, has an
/// active phone, and its phone channel is not blocked (offline codes come from the same
/// phone and PIN). For any other Tigr ID the code is checked against a stand-in secret and
/// refused as a wrong one, so that the reply and the work are the same for every ID.
pub fn offline_codes_accepted(phone: PhoneStanding, policy: &LockoutPolicy, now: i64) -> bool {
    match phone {
        PhoneStanding::Active { lock } => policy.admit(lock, now).is_ok(),
        PhoneStanding::Unknown | PhoneStanding::Revoked => false,
    }
}

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
            service_name: None,
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

    fn active(failures: i64) -> PhoneStanding {
        PhoneStanding::Active {
            lock: LockState::from_record(failures, None, None, None, 0, None),
        }
    }

    #[test]
    fn answers_are_admitted_in_the_protocols_order() {
        let policy = LockoutPolicy::new(5);
        let open = challenge();
        assert_eq!(admit_answer(&open, "alice", active(0), &policy, 10), Ok(()));
        // The challenge comes first: an expired one is 410 whoever answers.
        assert_eq!(
            admit_answer(&open, "alice", PhoneStanding::Unknown, &policy, 120),
            Err(Refusal::Closed(Closed::Expired))
        );
        let decided = LoginChallenge {
            state: StoredState::Approved,
            account_id: Some("bob".into()),
            ..challenge()
        };
        assert_eq!(
            admit_answer(&decided, "alice", active(0), &policy, 10),
            Err(Refusal::Closed(Closed::Used))
        );
        // Then the account and its phone.
        assert_eq!(
            admit_answer(&open, "alice", PhoneStanding::Unknown, &policy, 10),
            Err(Refusal::UnknownAccount)
        );
        assert_eq!(
            admit_answer(&open, "alice", PhoneStanding::Revoked, &policy, 10),
            Err(Refusal::PhoneRevoked)
        );
        // Then the lockout, before the answer is looked at.
        let blocked = PhoneStanding::Active {
            lock: LockState::from_record(0, Some(5), None, Some("failures"), 1, Some(5)),
        };
        assert!(matches!(
            admit_answer(&open, "alice", blocked, &policy, 10),
            Err(Refusal::Blocked(block)) if block.is_permanent()
        ));
    }

    #[test]
    fn a_retry_after_the_accounts_block_is_answered_by_the_lockout() {
        let policy = LockoutPolicy::new(5);
        let ended = LoginChallenge {
            state: StoredState::Blocked,
            account_id: Some("alice".into()),
            ..challenge()
        };
        let blocked = PhoneStanding::Active {
            lock: LockState::from_record(0, Some(5), None, Some("failures"), 1, Some(5)),
        };
        // Still blocked, even after the challenge's expiry: 423, not 410.
        assert!(matches!(
            admit_answer(&ended, "alice", blocked, &policy, 500),
            Err(Refusal::Blocked(_))
        ));
        // Unblocked since: that login is over all the same.
        assert_eq!(
            admit_answer(&ended, "alice", active(0), &policy, 10),
            Err(Refusal::Closed(Closed::Used))
        );
        // Anyone else: the challenge is decided.
        assert_eq!(
            admit_answer(&ended, "bob", active(0), &policy, 10),
            Err(Refusal::Closed(Closed::Used))
        );
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
