//! The one error type of the login service: every refusal a browser or a phone can get by
//! the protocol (docs/protocol.md §3.1), without its HTTP status or wording (the HTTP layer
//! gives both).

use tigr_core::clock::TimeZone;

use crate::domain::answer::{OfflineRefusal, Refusal};
use crate::domain::challenge::Closed;
use crate::domain::enrollment::RegistrationError;
use crate::domain::lockout::Block;
use crate::domain::offline_pause::Pause;
use crate::storage::StorageError;

/// Which kind of answer failed (for the wording of a wrong answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// A signed approval from the phone.
    Approval,
    /// A signed denial from the phone.
    Denial,
    /// A Tigr ID + offline code typed in the browser.
    OfflineCode,
}

impl AnswerKind {
    /// The `via=` of the audit trail.
    pub fn via(self) -> &'static str {
        match self {
            Self::Approval => "signature",
            Self::Denial => "deny_signature",
            Self::OfflineCode => "offline",
        }
    }
}

/// Why the login service refused or failed. Nothing was changed unless the variant says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong signature or offline code (the failure was counted when `attempts_left` is set).
    InvalidAnswer {
        /// Attempts left before the block, when the failure was counted.
        attempts_left: Option<u32>,
        /// What was answered.
        kind: AnswerKind,
    },
    /// The account is blocked until an administrator unblocks it.
    AccountBlocked,
    /// The account is blocked for a while.
    AccountBlockedTemporarily {
        /// When the block lifts by itself (Unix seconds).
        until: i64,
        /// Minutes from the reply to `until` (rounded up, at least 1), for the message.
        minutes: i64,
    },
    /// Offline codes typed for this Tigr ID are paused for a while (the phone's QR login
    /// is not): the same for every ID, enrolled or not.
    OfflinePaused {
        /// When the pause ends (Unix seconds).
        until: i64,
        /// Minutes from the reply to `until` (rounded up, at least 1), for the message.
        minutes: i64,
        /// The time zone in which the message says when the pause ends.
        zone: TimeZone,
    },
    /// The phone was revoked or replaced.
    PhoneRevoked,
    /// No such account, or no active phone.
    UnknownAccount,
    /// No such challenge (or a wrong nonce).
    UnknownChallenge,
    /// The challenge expired.
    ChallengeExpired,
    /// The challenge was already decided.
    ChallengeUsed,
    /// The signature is not 64 bytes of base64url.
    MalformedSignature,
    /// The offline code is implausibly long.
    MalformedOfflineCode,
    /// Missing or wrong browser token.
    BrowserMismatch,
    /// No such invitation code.
    UnknownInvitation,
    /// The invitation expired.
    InvitationExpired,
    /// The invitation was used.
    InvitationUsed,
    /// An administrator cancelled the invitation, or disabled the account it enrolls for.
    InvitationCancelled,
    /// The phone's registration is invalid.
    InvalidRegistration(RegistrationError),
    /// The challenge is not approved, or too long ago, to open a session.
    NotApproved,
    /// The challenge already opened a session.
    SessionAlreadyOpened,
    /// A failure on the server's side (already logged).
    Internal,
}

impl LoginError {
    /// The refusal of an attempt by an account that `block` blocks at `now`.
    pub fn blocked(block: Block, now: i64) -> Self {
        match block.until {
            Some(until) => Self::AccountBlockedTemporarily {
                until,
                minutes: ((until - now + 59) / 60).max(1),
            },
            None => Self::AccountBlocked,
        }
    }

    /// The refusal of an offline code typed at `now` for a Tigr ID that `pause` pauses.
    pub fn offline_paused(pause: Pause, now: i64, zone: &TimeZone) -> Self {
        Self::OfflinePaused {
            until: pause.until,
            minutes: ((pause.until - now + 59) / 60).max(1),
            zone: zone.clone(),
        }
    }
}

impl From<StorageError> for LoginError {
    fn from(error: StorageError) -> Self {
        tracing::error!(%error, "storage failure");
        Self::Internal
    }
}

impl From<Closed> for LoginError {
    fn from(closed: Closed) -> Self {
        match closed {
            Closed::Expired => Self::ChallengeExpired,
            Closed::Used => Self::ChallengeUsed,
        }
    }
}

impl From<RegistrationError> for LoginError {
    fn from(error: RegistrationError) -> Self {
        Self::InvalidRegistration(error)
    }
}

/// A refusal of the admission (docs/protocol.md §3.5) as the reply says it, at `now`.
pub(super) fn refused(refusal: Refusal, now: i64) -> LoginError {
    match refusal {
        Refusal::Closed(closed) => closed.into(),
        Refusal::UnknownAccount => LoginError::UnknownAccount,
        Refusal::PhoneRevoked => LoginError::PhoneRevoked,
        Refusal::Blocked(block) => LoginError::blocked(block, now),
    }
}

/// A refusal of an offline code's admission (docs/protocol.md §3.5) as the reply says it.
pub(super) fn refused_offline(refusal: OfflineRefusal, now: i64, zone: &TimeZone) -> LoginError {
    match refusal {
        OfflineRefusal::Closed(closed) => closed.into(),
        OfflineRefusal::Paused(pause) => LoginError::offline_paused(pause, now, zone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lockout::BlockReason;

    #[test]
    fn blocked_says_until_when_and_the_minutes_left_at_reply_time() {
        let now = 1_795_000_000;
        let block = |until| Block {
            since: now - 30,
            until,
            reason: BlockReason::TooManyFailures,
        };
        assert_eq!(
            LoginError::blocked(block(Some(now + 870)), now),
            LoginError::AccountBlockedTemporarily {
                until: now + 870,
                minutes: 15,
            }
        );
        // Less than a minute left still says 1 min.
        assert_eq!(
            LoginError::blocked(block(Some(now + 5)), now),
            LoginError::AccountBlockedTemporarily {
                until: now + 5,
                minutes: 1,
            }
        );
        assert_eq!(
            LoginError::blocked(block(None), now),
            LoginError::AccountBlocked
        );
        let pause = Pause {
            since: now - 10,
            until: now + 61,
        };
        assert_eq!(
            LoginError::offline_paused(pause, now, &TimeZone::UTC),
            LoginError::OfflinePaused {
                until: now + 61,
                minutes: 2,
                zone: TimeZone::UTC
            }
        );
    }
}
