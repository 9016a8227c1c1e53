//! The lockout state machine of an account (DESIGN §3).
//!
//! ```text
//!                   failure, n + 1 < threshold
//!                      ┌─────────┐
//!                      │         ▼
//!  new ──► ┌───────────┴──────────┐  failure, n + 1 >= threshold  ┌───────────────────┐
//!          │ Open { failures: n } │ ────────────────────────────► │ Blocked { since } │ ──┐
//!          └───────────┬──────────┘                               └─────────┬─────────┘   │
//!                      │         ▲                                          │     ▲       │
//!                      └─────────┘                                          │     └───────┘
//!                   success: n := 0                                         │  any attempt, even
//!                                                                           │  a correct one:
//!          ┌──────────────────────┐                                         │  refused, not counted
//!          │ Open { failures: 0 } │ ◄─────────── admin unblock ─────────────┘
//!          └──────────────────────┘
//! ```
//!
//! * A new challenge changes nothing: the counter belongs to the account.
//! * Every counted failure reports the attempts left; a block reports 0.
//! * Unblocking is an administrator's action (not in this module's transitions).

/// The lockout state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Usable, with `failures` consecutive failed responses so far.
    Open {
        /// Consecutive failures since the last success.
        failures: u32,
    },
    /// Blocked since the given time; every response is refused.
    Blocked {
        /// When the account was blocked.
        since: i64,
        /// The failures counted when it was blocked.
        failures: u32,
    },
}

/// Why an account is blocked, as stored.
pub const BLOCK_REASON_TOO_MANY_FAILURES: &str = "too_many_failures";

impl LockState {
    /// The state of a stored account record.
    pub fn from_record(failed_attempts: i64, blocked_at: Option<i64>) -> Self {
        let failures = u32::try_from(failed_attempts.max(0)).unwrap_or(u32::MAX);
        match blocked_at {
            Some(since) => Self::Blocked { since, failures },
            None => Self::Open { failures },
        }
    }

    /// The counter to store.
    pub fn failures(self) -> u32 {
        match self {
            Self::Open { failures } | Self::Blocked { failures, .. } => failures,
        }
    }

    /// The block time to store.
    pub fn blocked_at(self) -> Option<i64> {
        match self {
            Self::Open { .. } => None,
            Self::Blocked { since, .. } => Some(since),
        }
    }
}

/// The account is blocked: the attempt is refused without being checked or counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// The result of a failed response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureVerdict {
    /// Counted; the account stays usable with `attempts_left` more tries.
    Counted {
        /// The new state to store.
        next: LockState,
        /// Failures left before the block (>= 1).
        attempts_left: u32,
    },
    /// This failure reached the threshold: the account is now blocked.
    NowBlocked {
        /// The new state to store.
        next: LockState,
    },
    /// The account was already blocked: nothing changes.
    AlreadyBlocked,
}

/// The lockout rules of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that block an account (>= 1).
    pub threshold: u32,
}

impl LockoutPolicy {
    /// A policy blocking after `threshold` consecutive failures (at least 1).
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold: threshold.max(1),
        }
    }

    /// Whether a response may be checked at all: a blocked account refuses even a correct one.
    pub fn admit(&self, state: LockState) -> Result<(), Refused> {
        match state {
            LockState::Open { .. } => Ok(()),
            LockState::Blocked { .. } => Err(Refused),
        }
    }

    /// Failures left before the block.
    pub fn attempts_left(&self, state: LockState) -> u32 {
        match state {
            LockState::Open { failures } => self.threshold.saturating_sub(failures),
            LockState::Blocked { .. } => 0,
        }
    }

    /// The transition on a wrong signature or offline code at `now`.
    pub fn after_failure(&self, state: LockState, now: i64) -> FailureVerdict {
        match state {
            LockState::Blocked { .. } => FailureVerdict::AlreadyBlocked,
            LockState::Open { failures } => {
                let failures = failures.saturating_add(1);
                if failures >= self.threshold {
                    FailureVerdict::NowBlocked {
                        next: LockState::Blocked {
                            since: now,
                            failures,
                        },
                    }
                } else {
                    FailureVerdict::Counted {
                        next: LockState::Open { failures },
                        attempts_left: self.threshold - failures,
                    }
                }
            }
        }
    }

    /// The transition on a correct response: the counter restarts, unless blocked.
    pub fn after_success(&self, state: LockState) -> Result<LockState, Refused> {
        self.admit(state)?;
        Ok(LockState::Open { failures: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn fail(policy: LockoutPolicy, state: LockState) -> (LockState, Option<u32>) {
        match policy.after_failure(state, NOW) {
            FailureVerdict::Counted {
                next,
                attempts_left,
            } => (next, Some(attempts_left)),
            FailureVerdict::NowBlocked { next } => (next, None),
            FailureVerdict::AlreadyBlocked => (state, None),
        }
    }

    #[test]
    fn five_failures_count_down_then_block() {
        let policy = LockoutPolicy::new(5);
        let mut state = LockState::Open { failures: 0 };
        let mut left = Vec::new();
        for _ in 0..4 {
            let (next, l) = fail(policy, state);
            state = next;
            left.push(l.expect("counted"));
        }
        assert_eq!(left, [4, 3, 2, 1]);
        assert_eq!(
            policy.after_failure(state, NOW),
            FailureVerdict::NowBlocked {
                next: LockState::Blocked {
                    since: NOW,
                    failures: 5
                }
            }
        );
    }

    #[test]
    fn blocked_refuses_even_a_correct_response() {
        let policy = LockoutPolicy::new(5);
        let blocked = LockState::from_record(5, Some(NOW));
        assert_eq!(policy.admit(blocked), Err(Refused));
        assert_eq!(policy.after_success(blocked), Err(Refused));
        assert_eq!(
            policy.after_failure(blocked, NOW + 1),
            FailureVerdict::AlreadyBlocked
        );
        assert_eq!(policy.attempts_left(blocked), 0);
    }

    #[test]
    fn success_resets_the_counter() {
        let policy = LockoutPolicy::new(5);
        let state = LockState::Open { failures: 4 };
        assert_eq!(policy.attempts_left(state), 1);
        let reset = policy.after_success(state).expect("admitted");
        assert_eq!(reset, LockState::Open { failures: 0 });
        assert_eq!(policy.attempts_left(reset), 5);
    }

    #[test]
    fn threshold_of_one_blocks_at_once_and_lowered_threshold_applies() {
        let one = LockoutPolicy::new(1);
        assert!(matches!(
            one.after_failure(LockState::Open { failures: 0 }, NOW),
            FailureVerdict::NowBlocked { .. }
        ));
        // Counter above a lowered threshold: the next failure blocks.
        let three = LockoutPolicy::new(3);
        assert!(matches!(
            three.after_failure(LockState::Open { failures: 4 }, NOW),
            FailureVerdict::NowBlocked { .. }
        ));
        assert_eq!(three.attempts_left(LockState::Open { failures: 4 }), 0);
        assert_eq!(LockoutPolicy::new(0).threshold, 1);
    }

    #[test]
    fn record_round_trip() {
        let s = LockState::from_record(3, None);
        assert_eq!(s, LockState::Open { failures: 3 });
        assert_eq!((s.failures(), s.blocked_at()), (3, None));
        let b = LockState::from_record(5, Some(NOW));
        assert_eq!((b.failures(), b.blocked_at()), (5, Some(NOW)));
        assert_eq!(LockState::from_record(-2, None).failures(), 0);
    }
}
