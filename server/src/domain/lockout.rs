//! The lockout of the phone channel (docs/security.md, "Lockout channels"): the state
//! machine of an account's failed approvals, with temporary blocks that escalate to
//! permanent ones.
//!
//! Only answers that name the account's phone (its device id) are counted here: signed
//! approvals. Offline codes typed into a page, which anyone can type, have their own
//! counter and can only pause the offline form ([`super::offline_pause`]); nothing they do
//! changes this machine. A block here refuses the phone's approvals and, since offline
//! codes come from the same phone and PIN, makes the offline form accept no code for the
//! account either.
//!
//! ```text
//!                            (1) failure, n + 1 < threshold
//!                                  ┌───────┐
//!                                  │       ▼
//!    new ───────────────►  ┌───────┴────────────────┐ ───┐ (6) success:
//!                          │  Open { failures: n }  │    │ n := 0, strikes := 0
//!    (10) admin unblock ─► └──┬───────────────┬─────┘ ◄──┘
//!    of either block:         │            ▲  │
//!    n := 0, history cleared  │ (8) `until`│  │ (2) failure, n + 1 >= threshold,
//!                             │    reached:│  │     no escalation rule applies
//!    (3) (4) (5) failure,     │    n := 0  │  ▼
//!    n + 1 >= threshold and   │  ┌─────────┴───────────────────┐ ───┐ (7) attempt before
//!    an escalation rule       │  │ Temporary { since, until }  │    │ `until`: refused,
//!    applies                  │  └─────────────────────────────┘ ◄──┘ not counted
//!                             ▼
//!                ┌─────────────────────────┐ ───┐ (9) any attempt, even a correct one,
//!                │  Permanent { since }    │    │ at any later time: refused, not
//!                └─────────────────────────┘ ◄──┘ counted
//! ```
//!
//! A block is permanent when (3) temporary blocks are off (`duration` 0: the historical
//! behaviour), (4) the previous block started less than `escalation_window` seconds ago, or
//! (5) it is the `permanent_after`-th block since the last success or unblock. Otherwise (2)
//! it lasts `duration` seconds.
//!
//! * A new challenge changes nothing: the counter belongs to the account.
//! * A success (a right approval) resets this channel only.
//! * Every counted failure reports the attempts left; a block reports 0.
//! * A lifted temporary block is computed when read ([`LockState::at`]), like the expiry of
//!   a challenge: nothing has to run at `until`.
//! * A success clears the counter and the strikes but keeps the time of the last block, so
//!   that the escalation window still applies; an administrator's unblock forgets all.

/// Why an account is blocked, as stored.
pub const BLOCK_REASON_TOO_MANY_FAILURES: &str = "too_many_failures";
/// Why an account is blocked permanently after repeated blocks, as stored.
pub const BLOCK_REASON_REPEATED_BLOCKS: &str = "repeated_blocks";

/// Why a block started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    /// The consecutive-failure threshold was reached.
    TooManyFailures,
    /// The threshold was reached again soon after a previous block, or once too often: the
    /// block escalated to permanent.
    RepeatedBlocks,
}

impl BlockReason {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooManyFailures => BLOCK_REASON_TOO_MANY_FAILURES,
            Self::RepeatedBlocks => BLOCK_REASON_REPEATED_BLOCKS,
        }
    }

    /// Reads a stored spelling; anything else (or nothing) reads as too many failures.
    pub fn parse(text: Option<&str>) -> Self {
        match text {
            Some(BLOCK_REASON_REPEATED_BLOCKS) => Self::RepeatedBlocks,
            _ => Self::TooManyFailures,
        }
    }
}

/// A block of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// When it started.
    pub since: i64,
    /// When it lifts by itself (exclusive); `None`: only an administrator lifts it.
    pub until: Option<i64>,
    /// Why it started.
    pub reason: BlockReason,
}

impl Block {
    /// True when only an administrator can lift it.
    pub fn is_permanent(&self) -> bool {
        self.until.is_none()
    }

    /// True while it is in force at `now`.
    pub fn in_force_at(&self, now: i64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// The lockout state of an account, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockState {
    /// Consecutive failed responses since the last success, unblock or lifted block.
    pub failures: u32,
    /// The latest block; a temporary one may have lifted since (see [`LockState::at`]).
    pub block: Option<Block>,
    /// Blocks since the last success or unblock (for `permanent_after`).
    pub strikes: u32,
    /// When the latest block started (for `escalation_window`); kept across successes.
    pub last_block_at: Option<i64>,
}

/// What an administrator sees of a lockout state at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStatus {
    /// Usable, with `failures` consecutive failures so far.
    Open {
        /// Consecutive failures.
        failures: u32,
    },
    /// Blocked until `until`, then usable again by itself.
    Temporary {
        /// Start of the block.
        since: i64,
        /// End of the block (exclusive).
        until: i64,
        /// Why.
        reason: BlockReason,
    },
    /// Blocked until an administrator unblocks.
    Permanent {
        /// Start of the block.
        since: i64,
        /// Why.
        reason: BlockReason,
    },
}

impl LockState {
    /// The state of a stored account record (columns `failed_attempts`, `blocked_at`,
    /// `blocked_until`, `blocked_reason`, `block_strikes`, `last_blocked_at`). A block without
    /// `blocked_until` is permanent, as every block was before temporary blocks existed.
    pub fn from_record(
        failed_attempts: i64,
        blocked_at: Option<i64>,
        blocked_until: Option<i64>,
        blocked_reason: Option<&str>,
        block_strikes: i64,
        last_blocked_at: Option<i64>,
    ) -> Self {
        let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Self {
            failures: clamp(failed_attempts),
            block: blocked_at.map(|since| Block {
                since,
                until: blocked_until,
                reason: BlockReason::parse(blocked_reason),
            }),
            strikes: clamp(block_strikes),
            last_block_at: last_blocked_at.or(blocked_at),
        }
    }

    /// The state as it stands at `now`: a temporary block whose time is over has lifted,
    /// with a fresh counter (the history stays).
    pub fn at(self, now: i64) -> Self {
        match self.block {
            Some(block) if !block.in_force_at(now) => Self {
                failures: 0,
                block: None,
                ..self
            },
            _ => self,
        }
    }

    /// The block in force at `now`, if any.
    pub fn block_at(self, now: i64) -> Option<Block> {
        self.at(now).block
    }

    /// What an administrator sees at `now`.
    pub fn status(self, now: i64) -> LockStatus {
        let state = self.at(now);
        match state.block {
            None => LockStatus::Open {
                failures: state.failures,
            },
            Some(Block {
                since,
                until: Some(until),
                reason,
            }) => LockStatus::Temporary {
                since,
                until,
                reason,
            },
            Some(Block {
                since,
                until: None,
                reason,
            }) => LockStatus::Permanent { since, reason },
        }
    }

    /// The stored `blocked_at`.
    pub fn blocked_at(self) -> Option<i64> {
        self.block.map(|b| b.since)
    }

    /// The stored `blocked_until`.
    pub fn blocked_until(self) -> Option<i64> {
        self.block.and_then(|b| b.until)
    }

    /// The stored `blocked_reason`.
    pub fn blocked_reason(self) -> Option<&'static str> {
        self.block.map(|b| b.reason.as_str())
    }
}

/// The account is blocked: the attempt is refused without being checked or counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The block in force.
    pub block: Block,
}

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
        /// The block that starts.
        block: Block,
    },
    /// The account was already blocked: nothing changes.
    AlreadyBlocked {
        /// The block in force.
        block: Block,
    },
}

/// The lockout rules of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that block an account (>= 1).
    pub threshold: u32,
    /// Seconds a temporary block lasts; 0: every block is permanent.
    pub duration: i64,
    /// A block starting less than this many seconds after the start of the previous one is
    /// permanent; 0: no such rule.
    pub escalation_window: i64,
    /// The block that is the N-th since the last success or unblock is permanent; 0: no
    /// such rule (1 makes every block permanent).
    pub permanent_after: u32,
}

impl LockoutPolicy {
    /// A policy blocking permanently after `threshold` consecutive failures (at least 1).
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold: threshold.max(1),
            duration: 0,
            escalation_window: 0,
            permanent_after: 0,
        }
    }

    /// The same threshold, with temporary blocks of `duration` seconds (0: permanent) that
    /// escalate to permanent within `escalation_window` seconds of the previous block (0:
    /// never) or at the `permanent_after`-th block (0: never).
    pub fn with_temporary_blocks(
        self,
        duration: i64,
        escalation_window: i64,
        permanent_after: u32,
    ) -> Self {
        Self {
            duration: duration.max(0),
            escalation_window: escalation_window.max(0),
            permanent_after,
            ..self
        }
    }

    /// Whether a response may be checked at all at `now`: a blocked account refuses even a
    /// correct one.
    pub fn admit(&self, state: LockState, now: i64) -> Result<(), Refused> {
        match state.block_at(now) {
            None => Ok(()),
            Some(block) => Err(Refused { block }),
        }
    }

    /// Failures left before the block, at `now`.
    pub fn attempts_left(&self, state: LockState, now: i64) -> u32 {
        let state = state.at(now);
        match state.block {
            None => self.threshold.saturating_sub(state.failures),
            Some(_) => 0,
        }
    }

    /// The transition on a wrong signature or offline code at `now`.
    pub fn after_failure(&self, state: LockState, now: i64) -> FailureVerdict {
        let state = state.at(now);
        if let Some(block) = state.block {
            return FailureVerdict::AlreadyBlocked { block };
        }
        let failures = state.failures.saturating_add(1);
        if failures < self.threshold {
            return FailureVerdict::Counted {
                next: LockState { failures, ..state },
                attempts_left: self.threshold - failures,
            };
        }
        let strikes = state.strikes.saturating_add(1);
        let block = self.new_block(state, strikes, now);
        FailureVerdict::NowBlocked {
            next: LockState {
                failures,
                block: Some(block),
                strikes,
                last_block_at: Some(now),
            },
            block,
        }
    }

    /// The block that starts at `now`, the `strikes`-th since the last success or unblock.
    fn new_block(&self, state: LockState, strikes: u32, now: i64) -> Block {
        let permanent = |reason| Block {
            since: now,
            until: None,
            reason,
        };
        if self.duration == 0 {
            return permanent(BlockReason::TooManyFailures);
        }
        let soon_after_previous = self.escalation_window > 0
            && state
                .last_block_at
                .is_some_and(|previous| now - previous < self.escalation_window);
        let once_too_often = self.permanent_after > 0 && strikes >= self.permanent_after;
        if soon_after_previous || once_too_often {
            return permanent(BlockReason::RepeatedBlocks);
        }
        Block {
            since: now,
            until: Some(now.saturating_add(self.duration)),
            reason: BlockReason::TooManyFailures,
        }
    }

    /// The transition on a correct response at `now`: the counter and the strikes restart,
    /// unless blocked.
    pub fn after_success(&self, state: LockState, now: i64) -> Result<LockState, Refused> {
        self.admit(state, now)?;
        Ok(LockState {
            failures: 0,
            block: None,
            strikes: 0,
            last_block_at: state.last_block_at,
        })
    }

    /// An administrator's unblock: a fresh state, history forgotten.
    pub fn unblock(&self, _state: LockState) -> LockState {
        LockState::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3600;

    /// 5 failures; 15 min temporary blocks; permanent within 24 h or at the 3rd block.
    fn escalating() -> LockoutPolicy {
        LockoutPolicy::new(5).with_temporary_blocks(15 * MINUTE, 24 * HOUR, 3)
    }

    fn open(failures: u32) -> LockState {
        LockState {
            failures,
            ..LockState::default()
        }
    }

    fn blocked(policy: LockoutPolicy, state: LockState, now: i64) -> (LockState, Block) {
        match policy.after_failure(state, now) {
            FailureVerdict::NowBlocked { next, block } => (next, block),
            other => panic!("expected a block, got {other:?}"),
        }
    }

    // (1) Open --failure below the threshold--> Open { n + 1 }, with the attempts left.
    #[test]
    fn t1_failure_below_the_threshold_is_counted() {
        let policy = escalating();
        let mut state = open(0);
        let mut left = Vec::new();
        for _ in 0..4 {
            match policy.after_failure(state, NOW) {
                FailureVerdict::Counted {
                    next,
                    attempts_left,
                } => {
                    state = next;
                    left.push(attempts_left);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(left, [4, 3, 2, 1]);
        assert_eq!(state, open(4));
        assert_eq!(policy.attempts_left(state, NOW), 1);
    }

    // (2) Open --failure at the threshold, first block--> Temporary for `duration`.
    #[test]
    fn t2_first_block_is_temporary() {
        let policy = escalating();
        let (next, block) = blocked(policy, open(4), NOW);
        assert_eq!(
            block,
            Block {
                since: NOW,
                until: Some(NOW + 15 * MINUTE),
                reason: BlockReason::TooManyFailures
            }
        );
        assert_eq!(
            next,
            LockState {
                failures: 5,
                block: Some(block),
                strikes: 1,
                last_block_at: Some(NOW)
            }
        );
        assert_eq!(
            next.status(NOW),
            LockStatus::Temporary {
                since: NOW,
                until: NOW + 15 * MINUTE,
                reason: BlockReason::TooManyFailures
            }
        );
        assert_eq!(policy.attempts_left(next, NOW), 0);
    }

    // (3) duration 0: every block is permanent (the historical behaviour).
    #[test]
    fn t3_duration_zero_blocks_permanently() {
        let policy = LockoutPolicy::new(5);
        let (next, block) = blocked(policy, open(4), NOW);
        assert!(block.is_permanent());
        assert_eq!(block.reason, BlockReason::TooManyFailures);
        assert_eq!(
            next.status(NOW + 365 * 24 * HOUR),
            LockStatus::Permanent {
                since: NOW,
                reason: BlockReason::TooManyFailures
            }
        );
        let same = LockoutPolicy::new(5).with_temporary_blocks(0, 24 * HOUR, 3);
        assert!(blocked(same, open(4), NOW).1.is_permanent());
    }

    // (4) A block within the escalation window of the previous one is permanent; after the
    // window, blocks are temporary again.
    #[test]
    fn t4_block_within_the_window_escalates() {
        let policy = LockoutPolicy::new(5).with_temporary_blocks(15 * MINUTE, 24 * HOUR, 0);
        let (first, _) = blocked(policy, open(4), NOW);
        // Lifted after 15 minutes; five more failures an hour later.
        let later = NOW + HOUR;
        let lifted = first.at(later);
        assert_eq!(lifted.failures, 0);
        let (_, second) = blocked(
            policy,
            LockState {
                failures: 4,
                ..lifted
            },
            later,
        );
        assert_eq!(
            second,
            Block {
                since: later,
                until: None,
                reason: BlockReason::RepeatedBlocks
            }
        );
        // Outside the window: temporary again, even after a success kept the history.
        let success = policy
            .after_success(first, NOW + 20 * MINUTE)
            .expect("lifted");
        assert_eq!(success.last_block_at, Some(NOW));
        let next_day = NOW + 24 * HOUR;
        let (_, third) = blocked(
            policy,
            LockState {
                failures: 4,
                ..success
            },
            next_day,
        );
        assert_eq!(third.until, Some(next_day + 15 * MINUTE));
        // A success does not forget the window.
        let (_, fourth) = blocked(
            policy,
            LockState {
                failures: 4,
                ..success
            },
            NOW + 2 * HOUR,
        );
        assert!(fourth.is_permanent());
    }

    // (5) The N-th block without a success in between is permanent.
    #[test]
    fn t5_nth_block_escalates() {
        let policy = LockoutPolicy::new(5).with_temporary_blocks(15 * MINUTE, 0, 3);
        let mut state = open(4);
        let mut now = NOW;
        for strike in 1..=2 {
            let (next, block) = blocked(policy, state, now);
            assert_eq!(block.until, Some(now + 15 * MINUTE), "strike {strike}");
            assert_eq!(next.strikes, strike);
            now += 2 * 24 * HOUR;
            state = LockState {
                failures: 4,
                ..next.at(now)
            };
        }
        let (next, third) = blocked(policy, state, now);
        assert_eq!(third.reason, BlockReason::RepeatedBlocks);
        assert!(third.is_permanent());
        assert_eq!(next.strikes, 3);
        // permanent_after = 1 makes the first block permanent.
        let one = LockoutPolicy::new(5).with_temporary_blocks(15 * MINUTE, 0, 1);
        assert!(blocked(one, open(4), NOW).1.is_permanent());
    }

    // (6) Open --success--> Open { 0 }, strikes 0, last block time kept.
    #[test]
    fn t6_success_resets_counter_and_strikes() {
        let policy = escalating();
        let state = LockState {
            failures: 4,
            block: None,
            strikes: 2,
            last_block_at: Some(NOW - 2 * 24 * HOUR),
        };
        assert_eq!(policy.attempts_left(state, NOW), 1);
        let reset = policy.after_success(state, NOW).expect("admitted");
        assert_eq!(
            reset,
            LockState {
                failures: 0,
                block: None,
                strikes: 0,
                last_block_at: Some(NOW - 2 * 24 * HOUR)
            }
        );
        assert_eq!(policy.attempts_left(reset, NOW), 5);
        // With strikes reset, the next block is temporary again (count rule).
        assert!(
            !blocked(
                policy,
                LockState {
                    failures: 4,
                    ..reset
                },
                NOW
            )
            .1
            .is_permanent()
        );
    }

    // (7) Temporary: every attempt before `until` is refused, even a correct one, and
    // failures are not counted.
    #[test]
    fn t7_temporary_block_refuses_until_it_lifts() {
        let policy = escalating();
        let (state, block) = blocked(policy, open(4), NOW);
        let just_before = NOW + 15 * MINUTE - 1;
        assert_eq!(policy.admit(state, just_before), Err(Refused { block }));
        assert_eq!(
            policy.after_success(state, just_before),
            Err(Refused { block })
        );
        assert_eq!(
            policy.after_failure(state, just_before),
            FailureVerdict::AlreadyBlocked { block }
        );
        assert_eq!(policy.attempts_left(state, just_before), 0);
    }

    // (8) Temporary --time reaches `until`--> Open { 0 }, history kept.
    #[test]
    fn t8_temporary_block_lifts_by_itself() {
        let policy = escalating();
        let (state, _) = blocked(policy, open(4), NOW);
        let until = NOW + 15 * MINUTE;
        assert_eq!(policy.admit(state, until), Ok(()));
        assert_eq!(state.status(until), LockStatus::Open { failures: 0 });
        assert_eq!(
            state.at(until),
            LockState {
                failures: 0,
                block: None,
                strikes: 1,
                last_block_at: Some(NOW)
            }
        );
        assert_eq!(policy.attempts_left(state, until), 5);
        // The next failure counts from 1.
        assert!(matches!(
            policy.after_failure(state, until),
            FailureVerdict::Counted { attempts_left: 4, next } if next.failures == 1
        ));
        // A correct answer is admitted.
        assert_eq!(
            policy.after_success(state, until).expect("lifted").strikes,
            0
        );
    }

    // (9) Permanent: refused at any later time, even a correct response; not counted.
    #[test]
    fn t9_permanent_block_refuses_forever() {
        let policy = LockoutPolicy::new(5);
        let (state, block) = blocked(policy, open(4), NOW);
        for later in [NOW, NOW + 1, NOW + 10 * 365 * 24 * HOUR] {
            assert_eq!(policy.admit(state, later), Err(Refused { block }));
            assert_eq!(policy.after_success(state, later), Err(Refused { block }));
            assert_eq!(
                policy.after_failure(state, later),
                FailureVerdict::AlreadyBlocked { block }
            );
        }
    }

    // (10) Blocked (either kind) --admin unblock--> Open { 0 } with no history, so the next
    // block is a first block again.
    #[test]
    fn t10_unblock_forgets_everything() {
        let policy = escalating();
        let (temporary, _) = blocked(policy, open(4), NOW);
        let permanent = LockState {
            block: Some(Block {
                since: NOW,
                until: None,
                reason: BlockReason::RepeatedBlocks,
            }),
            strikes: 3,
            ..temporary
        };
        for state in [temporary, permanent] {
            let fresh = policy.unblock(state);
            assert_eq!(fresh, LockState::default());
            assert_eq!(policy.admit(fresh, NOW), Ok(()));
            let (_, block) = blocked(
                policy,
                LockState {
                    failures: 4,
                    ..fresh
                },
                NOW + 1,
            );
            assert!(!block.is_permanent(), "not escalated after an unblock");
        }
    }

    #[test]
    fn threshold_of_one_blocks_at_once_and_lowered_threshold_applies() {
        let one = LockoutPolicy::new(1);
        assert!(matches!(
            one.after_failure(open(0), NOW),
            FailureVerdict::NowBlocked { .. }
        ));
        // Counter above a lowered threshold: the next failure blocks.
        let three = LockoutPolicy::new(3);
        assert!(matches!(
            three.after_failure(open(4), NOW),
            FailureVerdict::NowBlocked { .. }
        ));
        assert_eq!(three.attempts_left(open(4), NOW), 0);
        assert_eq!(LockoutPolicy::new(0).threshold, 1);
    }

    #[test]
    fn record_round_trip() {
        let s = LockState::from_record(3, None, None, None, 1, Some(NOW - 10));
        assert_eq!(
            s,
            LockState {
                failures: 3,
                block: None,
                strikes: 1,
                last_block_at: Some(NOW - 10)
            }
        );
        assert_eq!(
            (s.blocked_at(), s.blocked_until(), s.blocked_reason()),
            (None, None, None)
        );
        let t = LockState::from_record(
            5,
            Some(NOW),
            Some(NOW + 900),
            Some(BLOCK_REASON_TOO_MANY_FAILURES),
            1,
            Some(NOW),
        );
        assert_eq!(
            (t.blocked_at(), t.blocked_until(), t.blocked_reason()),
            (Some(NOW), Some(NOW + 900), Some("too_many_failures"))
        );
        // A block stored before temporary blocks existed: permanent, dated by blocked_at.
        let legacy = LockState::from_record(5, Some(NOW), None, Some("too_many_failures"), 0, None);
        assert_eq!(
            legacy.status(NOW + 999_999),
            LockStatus::Permanent {
                since: NOW,
                reason: BlockReason::TooManyFailures
            }
        );
        assert_eq!(legacy.last_block_at, Some(NOW));
        let escalated = LockState::from_record(
            5,
            Some(NOW),
            None,
            Some(BLOCK_REASON_REPEATED_BLOCKS),
            2,
            None,
        );
        assert_eq!(escalated.blocked_reason(), Some("repeated_blocks"));
        assert_eq!(
            LockState::from_record(-2, None, None, None, -1, None).failures,
            0
        );
    }
}
