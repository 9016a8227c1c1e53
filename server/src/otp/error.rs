//! The one error type of the OTP service, worded by the pages.

use crate::domain::enrollment::CodeStatus;
use crate::domain::offline_pause::Pause;
use crate::domain::password::PasswordProblem;
use crate::storage::StorageError;

/// Why the OTP service refused or failed. Nothing was changed unless the variant says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpError {
    /// Tigr ID, password or code wrong (one refusal for all: nothing tells which); counted
    /// on the OTP channel, `attempts_left` before the pause.
    Refused {
        /// Attempts left before the OTP form pauses for the Tigr ID.
        attempts_left: u32,
    },
    /// The OTP form is paused for this Tigr ID until `until` (every ID alike).
    Paused {
        /// End of the pause (Unix seconds).
        until: i64,
        /// Minutes from the reply to `until` (rounded up, at least 1).
        minutes: i64,
    },
    /// Too many codes mailed lately: the next may be sent from `from`.
    TooManyCodes {
        /// When a code may be sent again (Unix seconds).
        from: i64,
    },
    /// The code could not be mailed (no relay configured, or the relay failed: logged).
    MailUnavailable,
    /// The new password breaks a rule.
    Password(PasswordProblem),
    /// The current password typed to change it is wrong.
    WrongCurrentPassword,
    /// The first code of an app being enrolled is not a valid code of its secret now.
    TokenCode,
    /// The password or token invitation is unknown, used, expired or cancelled.
    Invitation(Option<CodeStatus>),
    /// A failure on the server's side (already logged).
    Internal,
}

impl OtpError {
    /// The refusal of an attempt for a Tigr ID that `pause` pauses, at `now`.
    pub fn paused(pause: Pause, now: i64) -> Self {
        Self::Paused {
            until: pause.until,
            minutes: ((pause.until - now + 59) / 60).max(1),
        }
    }
}

impl From<StorageError> for OtpError {
    fn from(error: StorageError) -> Self {
        tracing::error!(%error, "storage failure");
        Self::Internal
    }
}

impl From<crate::login::LoginError> for OtpError {
    fn from(error: crate::login::LoginError) -> Self {
        tracing::error!(?error, "opening the web session failed");
        Self::Internal
    }
}
