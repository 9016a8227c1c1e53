//! The one error type of the administration, with its message in French and English.

use crate::i18n::Lang;
use crate::storage::StorageError;
use crate::text::{text, text_with};

use super::rules::{MAX_DISPLAY_NAME_CHARS, MAX_REASON_CHARS};

/// Why an administrative action was refused. Nothing was changed when one is returned.
/// `Display` is the English message (for logs); [`AdminError::message`] speaks either
/// language.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Not a Tigr ID.
    #[error("invalid Tigr ID {0:?}")]
    InvalidAccountId(String),
    /// Empty, too long, or with control characters.
    #[error("invalid display name")]
    InvalidDisplayName,
    /// Not an e-mail address.
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// Neither `user` nor `admin`.
    #[error("invalid role {0:?}")]
    InvalidRole(String),
    /// Too long, or with control characters.
    #[error("invalid reason")]
    InvalidReason,
    /// An invitation lifetime out of bounds.
    #[error("invalid lifetime: between {min} and {max} seconds")]
    InvalidTtl {
        /// Shortest, in seconds.
        min: i64,
        /// Longest, in seconds.
        max: i64,
    },
    /// A search or audit filter that cannot be used (named).
    #[error("invalid filter: {0}")]
    InvalidFilter(&'static str),
    /// The Tigr ID is taken.
    #[error("account {0:?} already exists")]
    DuplicateAccount(String),
    /// No such account.
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    /// The account is disabled (no enrollment for it).
    #[error("account {0:?} is disabled")]
    AccountDisabled(String),
    /// Disabling a disabled account.
    #[error("account {0:?} is already disabled")]
    AlreadyDisabled(String),
    /// Enabling an enabled account.
    #[error("account {0:?} is not disabled")]
    NotDisabled(String),
    /// The account has no active phone.
    #[error("account {0:?} has no active phone")]
    NoActivePhone(String),
    /// Unblocking an account that is neither blocked nor counting failures.
    #[error("account {0:?} is not blocked")]
    NotBlocked(String),
    /// An edit that changes nothing.
    #[error("nothing to change")]
    NothingToChange,
    /// The change would leave no enabled administrator.
    #[error("account {0:?} is the last enabled administrator")]
    LastAdmin(String),
    /// No such invitation.
    #[error("unknown invitation {0:?}")]
    UnknownInvitation(String),
    /// The invitation was used, expired or cancelled already.
    #[error("invitation {id:?} is no longer pending ({status})")]
    InvitationNotPending {
        /// The invitation.
        id: String,
        /// `completed`, `expired` or `cancelled`.
        status: &'static str,
    },
    /// `bootstrap` while an administrator with a phone exists (use `--force`).
    #[error("an administrator with an enrolled phone already exists")]
    AdminExists,
    /// The account is not an (enabled) administrator.
    #[error("account {0:?} is not an administrator")]
    NotAdmin(String),
    /// The public URL that QR codes carry is unknown.
    #[error("{0}")]
    PublicUrl(String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing an export failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

impl AdminError {
    /// The message for people, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let id = |key: &str, id: &str| text_with(lang, key, &[("id", id.into())]);
        match self {
            Self::InvalidAccountId(value) => id("admin-error-invalid-account-id", value),
            Self::InvalidDisplayName => text_with(
                lang,
                "admin-error-invalid-display-name",
                &[("max", MAX_DISPLAY_NAME_CHARS.into())],
            ),
            Self::InvalidEmail(email) => text_with(
                lang,
                "admin-error-invalid-email",
                &[("email", email.as_str().into())],
            ),
            Self::InvalidRole(role) => text_with(
                lang,
                "admin-error-invalid-role",
                &[("role", role.as_str().into())],
            ),
            Self::InvalidReason => text_with(
                lang,
                "admin-error-invalid-reason",
                &[("max", MAX_REASON_CHARS.into())],
            ),
            Self::InvalidTtl { min, max } => text_with(
                lang,
                "admin-error-invalid-ttl",
                &[
                    ("min", (*min).into()),
                    ("max", (*max).into()),
                    ("days", (max / 86_400).into()),
                ],
            ),
            Self::InvalidFilter(what) => text_with(
                lang,
                "admin-error-invalid-filter",
                &[("filter", (*what).into())],
            ),
            Self::DuplicateAccount(value) => id("admin-error-duplicate-account", value),
            Self::UnknownAccount(value) => id("admin-error-unknown-account", value),
            Self::AccountDisabled(value) => id("admin-error-account-disabled", value),
            Self::AlreadyDisabled(value) => id("admin-error-already-disabled", value),
            Self::NotDisabled(value) => id("admin-error-not-disabled", value),
            Self::NoActivePhone(value) => id("admin-error-no-active-phone", value),
            Self::NotBlocked(value) => id("admin-error-not-blocked", value),
            Self::NothingToChange => text(lang, "admin-error-nothing-to-change"),
            Self::LastAdmin(value) => id("admin-error-last-admin", value),
            Self::UnknownInvitation(value) => id("admin-error-unknown-invitation", value),
            Self::InvitationNotPending { id, status } => text_with(
                lang,
                "admin-error-invitation-not-pending",
                &[("id", id.as_str().into()), ("status", (*status).into())],
            ),
            Self::AdminExists => text(lang, "admin-error-admin-exists"),
            Self::NotAdmin(value) => id("admin-error-not-admin", value),
            Self::PublicUrl(reason) => text_with(
                lang,
                "admin-error-public-url",
                &[("reason", reason.as_str().into())],
            ),
            Self::Storage(error) => text_with(
                lang,
                "admin-error-storage",
                &[("error", error.to_string().into())],
            ),
            Self::Io(error) => text_with(
                lang,
                "admin-error-io",
                &[("error", error.to_string().into())],
            ),
        }
    }

    /// True when the request was at fault (bad input, wrong state), false for failures of
    /// the server (database, disk).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Storage(_) | Self::Io(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let errors = [
            AdminError::InvalidAccountId("X".into()),
            AdminError::InvalidDisplayName,
            AdminError::InvalidEmail("x".into()),
            AdminError::InvalidRole("root".into()),
            AdminError::InvalidReason,
            AdminError::InvalidTtl {
                min: 60,
                max: 86_400,
            },
            AdminError::InvalidFilter("since"),
            AdminError::DuplicateAccount("alice".into()),
            AdminError::UnknownAccount("bob".into()),
            AdminError::AccountDisabled("bob".into()),
            AdminError::AlreadyDisabled("bob".into()),
            AdminError::NotDisabled("bob".into()),
            AdminError::NoActivePhone("bob".into()),
            AdminError::NotBlocked("bob".into()),
            AdminError::NothingToChange,
            AdminError::LastAdmin("root".into()),
            AdminError::UnknownInvitation("X".into()),
            AdminError::InvitationNotPending {
                id: "X".into(),
                status: "expired",
            },
            AdminError::AdminExists,
            AdminError::NotAdmin("bob".into()),
            AdminError::PublicUrl("port 0".into()),
        ];
        for e in errors {
            let (fr, en) = (e.message(Lang::Fr), e.message(Lang::En));
            assert!(!fr.is_empty() && !en.is_empty(), "{e:?}");
            assert_ne!(fr, en, "{e:?}");
            assert!(e.is_client_error());
        }
        let dup = AdminError::DuplicateAccount("alice".into());
        assert!(dup.message(Lang::Fr).contains("existe déjà"));
        assert!(dup.message(Lang::En).contains("already exists"));
    }
}
