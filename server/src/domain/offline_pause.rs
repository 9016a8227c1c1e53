//! The lockout of the offline channel: failed offline codes typed for a Tigr ID pause the
//! offline form for that ID, never the phone's QR login (docs/security.md, "Lockout
//! channels").
//!
//! Anyone can type a Tigr ID and 8 digits into a login page, so what this channel counts
//! may be anyone's: it can only ever *pause* offline codes for the ID, for a while. Its
//! record is kept for every Tigr ID typed, enrolled or not (the store keys it by a keyed
//! hash of the normalised ID), and follows the same rules for all, so that nothing a
//! browser sees tells an enrolled ID from another one (docs/protocol.md §3.5).
//!
//! ```text
//!                       (1) failure, n + 1 < threshold
//!                              ┌───────┐
//!                              │       ▼
//!   no record ──────────► ┌────┴──────────────────────┐ ───┐ (5) success, admin unblock,
//!   (or forgotten: (6))   │ Open { failures: n,       │    │ or (6) forgotten:
//!                         │        pauses: k }        │ ◄──┘ n := 0, k := 0
//!                         └──┬─────────────────▲──────┘
//!      (2) failure,          │                 │ (4) `until` reached:
//!      n + 1 >= threshold:   │                 │ n := 0, k kept
//!      k := k + 1            ▼                 │
//!                         ┌────────────────────┴──────────────┐ ───┐ (3) any attempt before
//!                         │ Paused { since, until }            │    │ `until`, even a right
//!                         │ until = since + min(first · 2^(k-1),│ ◄──┘ code: refused, not
//!                         │                     max_pause)      │      counted
//!                         └──────────────────────────────────┘
//! ```
//!
//! * There is no permanent state: the worst an anonymous attacker can do is keep one ID's
//!   offline form paused by typing `threshold` wrong codes each time a pause ends.
//! * Each pause since the last success or unblock lasts twice the previous one, up to
//!   `max_pause`, so that guessing 8-digit codes stays slow for anyone who keeps trying
//!   (the arithmetic is in docs/security.md).
//! * (6) A record whose last failure is [`OFFLINE_MEMORY_SECONDS`] old, with no pause in
//!   force, is forgotten: old typing mistakes do not add up forever, and the table of
//!   records stays bounded.
//! * A success on this channel (a right offline code) resets it; a success of the phone's
//!   QR login does not (see docs/security.md for why), and nothing here touches the
//!   phone channel ([`super::lockout`]).
//! * A lifted pause is computed when read ([`OfflineRecord::at`]): nothing runs at `until`.

/// How long a record is kept after its last failure (when no pause is in force): 7 days.
pub const OFFLINE_MEMORY_SECONDS: i64 = 7 * 86_400;

/// Records kept at most; beyond, the oldest are forgotten first (see the purge in
/// `storage`). About 100 bytes each.
pub const MAX_OFFLINE_RECORDS: i64 = 1_000_000;

/// A pause of the offline form for one Tigr ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// When it started.
    pub since: i64,
    /// When it ends (exclusive).
    pub until: i64,
}

impl Pause {
    /// True while it is in force at `now`.
    pub fn in_force_at(&self, now: i64) -> bool {
        now < self.until
    }
}

/// The offline channel's record of one Tigr ID, as stored. The default is "no record".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfflineRecord {
    /// Consecutive failed codes since the last success, unblock or lifted pause.
    pub failures: u32,
    /// The latest pause; it may have ended since (see [`OfflineRecord::at`]).
    pub pause: Option<Pause>,
    /// Pauses since the last success, unblock or forgetting (for their length).
    pub pauses: u32,
    /// Time of the last failure.
    pub last_failure_at: Option<i64>,
}

/// What an administrator sees of the offline channel at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineStatus {
    /// Offline codes are accepted, with `failures` consecutive failures so far.
    Open {
        /// Consecutive failures.
        failures: u32,
    },
    /// Offline codes are refused until `until`.
    Paused {
        /// Start of the pause.
        since: i64,
        /// End of the pause (exclusive).
        until: i64,
        /// Pauses since the last success or unblock, this one included.
        pauses: u32,
    },
}

impl OfflineRecord {
    /// The record from its stored columns.
    pub fn from_record(
        failures: i64,
        paused_at: Option<i64>,
        paused_until: Option<i64>,
        pauses: i64,
        last_failure_at: Option<i64>,
    ) -> Self {
        let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Self {
            failures: clamp(failures),
            pause: paused_at
                .zip(paused_until)
                .map(|(since, until)| Pause { since, until }),
            pauses: clamp(pauses),
            last_failure_at,
        }
    }

    /// The record as it stands at `now`: forgotten when old enough (6), a pause whose
    /// time is over has lifted with a fresh counter (4).
    pub fn at(self, now: i64) -> Self {
        if self.is_forgotten_at(now) {
            return Self::default();
        }
        match self.pause {
            Some(pause) if !pause.in_force_at(now) => Self {
                failures: 0,
                pause: None,
                ..self
            },
            _ => self,
        }
    }

    /// True when the record no longer matters at `now` and may be deleted.
    pub fn is_forgotten_at(self, now: i64) -> bool {
        let pausing = self.pause.is_some_and(|p| p.in_force_at(now));
        let old = self
            .last_failure_at
            .is_none_or(|at| now.saturating_sub(at) >= OFFLINE_MEMORY_SECONDS);
        !pausing && old
    }

    /// The pause in force at `now`, if any.
    pub fn pause_at(self, now: i64) -> Option<Pause> {
        self.at(now).pause
    }

    /// What an administrator sees at `now`.
    pub fn status(self, now: i64) -> OfflineStatus {
        let record = self.at(now);
        match record.pause {
            Some(Pause { since, until }) => OfflineStatus::Paused {
                since,
                until,
                pauses: record.pauses,
            },
            None => OfflineStatus::Open {
                failures: record.failures,
            },
        }
    }
}

/// The result of a failed offline code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineVerdict {
    /// Counted; offline codes stay accepted for `attempts_left` more tries.
    Counted {
        /// The new record to store.
        next: OfflineRecord,
        /// Failures left before the pause (>= 1).
        attempts_left: u32,
    },
    /// This failure reached the threshold: the offline form is now paused for the ID.
    NowPaused {
        /// The new record to store.
        next: OfflineRecord,
        /// The pause that starts.
        pause: Pause,
    },
    /// The offline form was already paused: nothing changes.
    AlreadyPaused {
        /// The pause in force.
        pause: Pause,
    },
}

/// The offline channel's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflinePolicy {
    /// Consecutive failed codes that pause the offline form (>= 1).
    pub threshold: u32,
    /// Seconds the first pause lasts (>= 1: a pause always ends).
    pub first_pause: i64,
    /// Longest pause, in seconds (>= `first_pause`).
    pub max_pause: i64,
}

impl OfflinePolicy {
    /// `threshold` failures pause the form for `first_pause` seconds, each further pause
    /// twice as long as the previous one, up to `max_pause` (values out of bounds are
    /// brought back into them).
    pub fn new(threshold: u32, first_pause: i64, max_pause: i64) -> Self {
        let first_pause = first_pause.max(1);
        Self {
            threshold: threshold.max(1),
            first_pause,
            max_pause: max_pause.max(first_pause),
        }
    }

    /// The length of the `n`-th pause (n >= 1) since the last success or unblock.
    pub fn pause_length(&self, n: u32) -> i64 {
        let doublings = n.saturating_sub(1).min(62);
        self.first_pause
            .checked_mul(1_i64 << doublings)
            .unwrap_or(i64::MAX)
            .min(self.max_pause)
    }

    /// Whether a code may be checked at all at `now`: a paused ID refuses even a right one.
    pub fn admit(&self, record: OfflineRecord, now: i64) -> Result<(), Pause> {
        match record.pause_at(now) {
            None => Ok(()),
            Some(pause) => Err(pause),
        }
    }

    /// Failures left before the pause, at `now`.
    pub fn attempts_left(&self, record: OfflineRecord, now: i64) -> u32 {
        let record = record.at(now);
        match record.pause {
            None => self.threshold.saturating_sub(record.failures),
            Some(_) => 0,
        }
    }

    /// The transition on a wrong code (or any code the form does not accept) at `now`.
    pub fn after_failure(&self, record: OfflineRecord, now: i64) -> OfflineVerdict {
        let record = record.at(now);
        if let Some(pause) = record.pause {
            return OfflineVerdict::AlreadyPaused { pause };
        }
        let failures = record.failures.saturating_add(1);
        if failures < self.threshold {
            return OfflineVerdict::Counted {
                next: OfflineRecord {
                    failures,
                    last_failure_at: Some(now),
                    ..record
                },
                attempts_left: self.threshold - failures,
            };
        }
        let pauses = record.pauses.saturating_add(1);
        let pause = Pause {
            since: now,
            until: now.saturating_add(self.pause_length(pauses)),
        };
        OfflineVerdict::NowPaused {
            next: OfflineRecord {
                failures,
                pause: Some(pause),
                pauses,
                last_failure_at: Some(now),
            },
            pause,
        }
    }

    /// The transition on a right code at `now`: a fresh record, unless paused.
    pub fn after_success(&self, record: OfflineRecord, now: i64) -> Result<OfflineRecord, Pause> {
        self.admit(record, now)?;
        Ok(OfflineRecord::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    /// The defaults: 5 failures, 15 min first pause, 24 h at most.
    fn policy() -> OfflinePolicy {
        OfflinePolicy::new(5, 15 * MINUTE, DAY)
    }

    fn open(failures: u32) -> OfflineRecord {
        OfflineRecord {
            failures,
            last_failure_at: (failures > 0).then_some(NOW),
            ..OfflineRecord::default()
        }
    }

    fn paused(policy: OfflinePolicy, record: OfflineRecord, now: i64) -> (OfflineRecord, Pause) {
        match policy.after_failure(record, now) {
            OfflineVerdict::NowPaused { next, pause } => (next, pause),
            other => panic!("expected a pause, got {other:?}"),
        }
    }

    // (1) Open --failure below the threshold--> Open { n + 1 }, with the attempts left.
    #[test]
    fn o1_failure_below_the_threshold_is_counted() {
        let policy = policy();
        let mut record = OfflineRecord::default();
        let mut left = Vec::new();
        for _ in 0..4 {
            match policy.after_failure(record, NOW) {
                OfflineVerdict::Counted {
                    next,
                    attempts_left,
                } => {
                    record = next;
                    left.push(attempts_left);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(left, [4, 3, 2, 1]);
        assert_eq!(record, open(4));
        assert_eq!(policy.attempts_left(record, NOW), 1);
        assert_eq!(policy.admit(record, NOW), Ok(()));
    }

    // (2) Open --failure at the threshold--> Paused for the first pause.
    #[test]
    fn o2_the_threshold_pauses_for_the_first_pause() {
        let policy = policy();
        let (next, pause) = paused(policy, open(4), NOW);
        assert_eq!(
            pause,
            Pause {
                since: NOW,
                until: NOW + 15 * MINUTE
            }
        );
        assert_eq!(next.pauses, 1);
        assert_eq!(
            next.status(NOW),
            OfflineStatus::Paused {
                since: NOW,
                until: NOW + 15 * MINUTE,
                pauses: 1
            }
        );
        assert_eq!(policy.attempts_left(next, NOW), 0);
    }

    // (3) Paused: every attempt before `until` is refused, even a right code, uncounted.
    #[test]
    fn o3_a_pause_refuses_even_a_right_code_until_it_ends() {
        let policy = policy();
        let (record, pause) = paused(policy, open(4), NOW);
        let just_before = pause.until - 1;
        assert_eq!(policy.admit(record, just_before), Err(pause));
        assert_eq!(policy.after_success(record, just_before), Err(pause));
        assert_eq!(
            policy.after_failure(record, just_before),
            OfflineVerdict::AlreadyPaused { pause }
        );
    }

    // (4) Paused --`until` reached--> Open { 0 }, the number of pauses kept: each pause
    // lasts twice the previous one, up to the maximum.
    #[test]
    fn o4_pauses_double_up_to_the_maximum() {
        let policy = policy();
        let mut record = OfflineRecord::default();
        let mut now = NOW;
        let mut lengths = Vec::new();
        for _ in 0..9 {
            assert_eq!(policy.attempts_left(record, now), 5);
            for _ in 0..4 {
                match policy.after_failure(record, now) {
                    OfflineVerdict::Counted { next, .. } => record = next,
                    other => panic!("{other:?}"),
                }
            }
            let (next, pause) = paused(policy, record, now);
            lengths.push(pause.until - pause.since);
            record = next;
            now = pause.until;
            assert_eq!(policy.admit(record, now), Ok(()), "lifted at its end");
            assert_eq!(record.at(now).failures, 0);
        }
        assert_eq!(
            lengths,
            [
                15 * MINUTE,
                30 * MINUTE,
                HOUR,
                2 * HOUR,
                4 * HOUR,
                8 * HOUR,
                16 * HOUR,
                DAY,
                DAY
            ]
        );
        assert_eq!(policy.pause_length(u32::MAX), DAY, "no overflow");
    }

    // (5) Success resets everything (unless paused).
    #[test]
    fn o5_a_right_code_resets_the_record() {
        let policy = policy();
        let (record, pause) = paused(policy, open(4), NOW);
        let after = pause.until;
        let fresh = policy.after_success(record, after).expect("lifted");
        assert_eq!(fresh, OfflineRecord::default());
        // The next pause is a first one again.
        let four = OfflineRecord {
            failures: 4,
            last_failure_at: Some(after),
            ..fresh
        };
        let (_, next) = paused(policy, four, after);
        assert_eq!(next.until - next.since, 15 * MINUTE);
    }

    // (6) Forgotten once the last failure is a week old and no pause is in force; a pause
    // in force is never forgotten.
    #[test]
    fn o6_old_records_are_forgotten() {
        let policy = policy();
        let record = open(3);
        assert!(!record.is_forgotten_at(NOW + OFFLINE_MEMORY_SECONDS - 1));
        assert!(record.is_forgotten_at(NOW + OFFLINE_MEMORY_SECONDS));
        assert_eq!(
            record.at(NOW + OFFLINE_MEMORY_SECONDS),
            OfflineRecord::default()
        );
        assert_eq!(
            policy.attempts_left(record, NOW + OFFLINE_MEMORY_SECONDS),
            5
        );
        // The escalation is forgotten too: a week without failures, then a first pause.
        let (record, _) = paused(policy, open(4), NOW);
        let week = NOW + OFFLINE_MEMORY_SECONDS;
        let (_, pause) = paused(
            policy,
            OfflineRecord {
                failures: 4,
                last_failure_at: Some(week),
                ..record.at(week)
            },
            week,
        );
        assert_eq!(pause.until - pause.since, 15 * MINUTE);
        // A long pause in force is kept past the memory.
        let long = OfflinePolicy::new(1, 10 * DAY, 10 * DAY);
        let (record, pause) = paused(long, OfflineRecord::default(), NOW);
        assert!(!record.is_forgotten_at(NOW + OFFLINE_MEMORY_SECONDS));
        assert_eq!(long.admit(record, NOW + OFFLINE_MEMORY_SECONDS), Err(pause));
        assert!(record.is_forgotten_at(pause.until));
        assert!(OfflineRecord::default().is_forgotten_at(NOW));
    }

    #[test]
    fn bounds_and_stored_form() {
        let policy = OfflinePolicy::new(0, 0, -5);
        assert_eq!(
            (policy.threshold, policy.first_pause, policy.max_pause),
            (1, 1, 1)
        );
        let record = OfflineRecord::from_record(2, Some(NOW), Some(NOW + 60), 3, Some(NOW));
        assert_eq!(
            record,
            OfflineRecord {
                failures: 2,
                pause: Some(Pause {
                    since: NOW,
                    until: NOW + 60
                }),
                pauses: 3,
                last_failure_at: Some(NOW)
            }
        );
        assert_eq!(
            OfflineRecord::from_record(-1, None, Some(5), -1, None),
            OfflineRecord::default()
        );
    }
}
