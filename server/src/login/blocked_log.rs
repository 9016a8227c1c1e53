//! How often a refusal on a blocked account is logged. Every refusal is audited and counted
//! (`tigr_audit_events_total{event="refused_blocked"}`); the log says it once per block, then
//! at most once a minute with the number refused since, so that a phone or script replaying
//! answers in a loop cannot flood the logs (one loop wrote hundreds of WARN lines a minute).

use std::collections::HashMap;
use std::sync::Mutex;

/// At most one line per account and block this often, after the block's first (seconds).
const LOG_EVERY: i64 = 60;

/// Accounts followed at once; beyond, the quiet ones are forgotten (at worst a line more).
const MAX_FOLLOWED: usize = 4096;

/// Per account and block: refusals not logged yet, and when the last line was written.
#[derive(Debug, Default)]
pub(super) struct BlockedRefusals {
    followed: Mutex<HashMap<(String, i64), Followed>>,
}

#[derive(Debug, Clone, Copy)]
struct Followed {
    unlogged: u64,
    logged_at: i64,
}

/// What to log for one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogLine {
    /// The first refusal of this block.
    First,
    /// `refused` refusals since the last line (this one included).
    Since {
        /// How many.
        refused: u64,
    },
}

impl BlockedRefusals {
    /// Records a refusal at `now` on `account`, blocked since `block_since`; says what to
    /// log, if anything.
    pub(super) fn refused(&self, account: &str, block_since: i64, now: i64) -> Option<LogLine> {
        let mut followed = self
            .followed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (account.to_owned(), block_since);
        if let Some(entry) = followed.get_mut(&key) {
            entry.unlogged += 1;
            if now - entry.logged_at < LOG_EVERY {
                return None;
            }
            let refused = entry.unlogged;
            *entry = Followed {
                unlogged: 0,
                logged_at: now,
            };
            return Some(LogLine::Since { refused });
        }
        if followed.len() >= MAX_FOLLOWED {
            followed.retain(|_, entry| now - entry.logged_at < LOG_EVERY);
            if followed.len() >= MAX_FOLLOWED {
                followed.clear();
            }
        }
        followed.insert(
            key,
            Followed {
                unlogged: 0,
                logged_at: now,
            },
        );
        Some(LogLine::First)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_of_a_block_then_once_a_minute_with_the_count() {
        let log = BlockedRefusals::default();
        assert_eq!(log.refused("alice", 100, 100), Some(LogLine::First));
        for at in 101..160 {
            assert_eq!(log.refused("alice", 100, at), None, "{at}");
        }
        assert_eq!(
            log.refused("alice", 100, 160),
            Some(LogLine::Since { refused: 60 })
        );
        assert_eq!(log.refused("alice", 100, 161), None);
        assert_eq!(
            log.refused("alice", 100, 500),
            Some(LogLine::Since { refused: 2 })
        );
        // Another account, or a new block of the same one, starts again.
        assert_eq!(log.refused("bob", 100, 161), Some(LogLine::First));
        assert_eq!(log.refused("alice", 1000, 1000), Some(LogLine::First));
    }

    #[test]
    fn memory_is_bounded() {
        let log = BlockedRefusals::default();
        for i in 0..(3 * MAX_FOLLOWED) {
            assert_eq!(
                log.refused(&format!("a{i}"), 0, 0),
                Some(LogLine::First),
                "{i}"
            );
        }
        assert!(log.followed.lock().expect("lock").len() <= MAX_FOLLOWED);
    }
}
