//! The one error type of the administration, with its message in French and English.

use crate::i18n::Lang;
use crate::storage::StorageError;
use crate::text::{text, text_with};

use super::rules::{MAX_DISPLAY_NAME_CHARS, MAX_REASON_CHARS};
use crate::domain::token_import::ImportProblem;

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
    /// Neither a national identifier nor a certificate fingerprint.
    #[error("{0:?} is neither a national identifier nor a SHA-256 fingerprint")]
    InvalidCardKey(String),
    /// The card is bound to an account already.
    #[error("card {card:?} is already bound to account {account:?}")]
    CardAlreadyBound {
        /// The identifier or fingerprint.
        card: String,
        /// The account it logs in.
        account: String,
    },
    /// The card is not bound to this account.
    #[error("card {0:?} is not bound to this account")]
    CardNotBound(String),
    /// An OpenID Connect client's name: empty, too long, or with control characters.
    #[error("invalid client name")]
    InvalidClientName,
    /// A client without a redirect URI.
    #[error("a client needs at least one redirect URI")]
    NoRedirectUri,
    /// Too many URIs of one kind.
    #[error("too many URIs")]
    TooManyUris,
    /// A URI that cannot be registered (the URI, what is wrong).
    #[error("invalid URI {uri:?}: {problem}")]
    InvalidUri {
        /// The URI.
        uri: String,
        /// `malformed`, `fragment`, `user_info`, `insecure_http` or `scheme`.
        problem: &'static str,
    },
    /// A scope that is unknown, or `openid` missing.
    #[error("invalid scope {0:?}")]
    InvalidScope(String),
    /// An authentication method that is unknown or does not fit the client.
    #[error("invalid client authentication method {0:?}")]
    InvalidAuthMethod(String),
    /// A JWK Set (or its absence) that does not fit the client.
    #[error("invalid client keys: {0}")]
    InvalidJwks(String),
    /// Neither `public` nor `pairwise`.
    #[error("invalid subject type {0:?}")]
    InvalidSubjectType(String),
    /// No such OpenID Connect client.
    #[error("unknown client {0:?}")]
    UnknownClient(String),
    /// A client that authenticates without a secret has none to renew.
    #[error("client {0:?} has no secret")]
    NoClientSecret(String),
    /// A token file refused whole: every problem with its line.
    #[error("token file refused, nothing imported: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    TokenFile(Vec<ImportProblem>),
    /// No token has this serial.
    #[error("unknown token {0:?}")]
    UnknownToken(String),
    /// The token is another account's.
    #[error("token {serial:?} is assigned to {account:?}")]
    TokenTaken {
        /// The token.
        serial: String,
        /// Its account.
        account: String,
    },
    /// The account already has a token in force.
    #[error("account {account:?} already has token {serial:?}")]
    AccountHasToken {
        /// The account.
        account: String,
        /// Its token.
        serial: String,
    },
    /// The token is revoked.
    #[error("token {0:?} is revoked")]
    TokenRevoked(String),
    /// The token has no account.
    #[error("token {0:?} is not assigned")]
    TokenNotAssigned(String),
    /// An app token cannot be taken back (only revoked).
    #[error("token {0:?} is an authenticator app: revoke it instead")]
    AppToken(String),
    /// A TOTP token whose two codes were found, its clock too far off to be followed
    /// (more than 20 minutes): it is replaced.
    #[error("token {serial:?}: its clock is {minutes} minutes off, more than 20")]
    ClockTooFar {
        /// The token.
        serial: String,
        /// The token's clock minus the server's, in whole minutes (positive: ahead).
        minutes: i64,
    },
    /// The two codes are not consecutive codes of the token (ahead of its counter, or around
    /// now and after its last code used).
    #[error("token {0:?}: the two codes are not consecutive codes of this token")]
    ResyncFailed(String),
    /// The master key is missing or is not the database's.
    #[error("master key: {0}")]
    MasterKey(String),
    /// A new signing key could not be made (logged).
    #[error("cannot make a signing key")]
    SigningKey,
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
        let token = |key: &str, serial: &str| text_with(lang, key, &[("serial", serial.into())]);
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
            Self::InvalidCardKey(value) => text_with(
                lang,
                "admin-error-invalid-card-key",
                &[("card", value.as_str().into())],
            ),
            Self::CardAlreadyBound { card, account } => text_with(
                lang,
                "admin-error-card-already-bound",
                &[
                    ("card", card.as_str().into()),
                    ("id", account.as_str().into()),
                ],
            ),
            Self::CardNotBound(card) => text_with(
                lang,
                "admin-error-card-not-bound",
                &[("card", card.as_str().into())],
            ),
            Self::TokenFile(problems) => {
                let lines: Vec<String> = problems
                    .iter()
                    .map(|p| {
                        if p.line == 0 {
                            p.problem.clone()
                        } else {
                            text_with(
                                lang,
                                "admin-error-token-file-line",
                                &[
                                    ("line", p.line.into()),
                                    ("problem", p.problem.as_str().into()),
                                ],
                            )
                        }
                    })
                    .collect();
                text_with(
                    lang,
                    "admin-error-token-file",
                    &[
                        ("count", problems.len().into()),
                        ("problems", lines.join("\n").into()),
                    ],
                )
            }
            Self::UnknownToken(serial) => token("admin-error-unknown-token", serial),
            Self::TokenTaken { serial, account } => text_with(
                lang,
                "admin-error-token-taken",
                &[
                    ("serial", serial.as_str().into()),
                    ("id", account.as_str().into()),
                ],
            ),
            Self::AccountHasToken { account, serial } => text_with(
                lang,
                "admin-error-account-has-token",
                &[
                    ("serial", serial.as_str().into()),
                    ("id", account.as_str().into()),
                ],
            ),
            Self::TokenRevoked(serial) => token("admin-error-token-revoked", serial),
            Self::TokenNotAssigned(serial) => token("admin-error-token-not-assigned", serial),
            Self::AppToken(serial) => token("admin-error-app-token", serial),
            Self::ClockTooFar { serial, minutes } => text_with(
                lang,
                "admin-error-clock-too-far",
                &[
                    ("serial", serial.as_str().into()),
                    ("minutes", format!("{minutes:+}").into()),
                ],
            ),
            Self::ResyncFailed(serial) => token("admin-error-resync-failed", serial),
            Self::AdminExists => text(lang, "admin-error-admin-exists"),
            Self::NotAdmin(value) => id("admin-error-not-admin", value),
            Self::InvalidClientName => text_with(
                lang,
                "admin-error-invalid-client-name",
                &[("max", crate::domain::oidc::client::MAX_NAME_CHARS.into())],
            ),
            Self::NoRedirectUri => text(lang, "admin-error-no-redirect-uri"),
            Self::TooManyUris => text_with(
                lang,
                "admin-error-too-many-uris",
                &[("max", crate::domain::oidc::client::MAX_URIS.into())],
            ),
            Self::InvalidUri { uri, problem } => text_with(
                lang,
                match *problem {
                    "fragment" => "admin-error-uri-fragment",
                    "user_info" => "admin-error-uri-user-info",
                    "insecure_http" => "admin-error-uri-insecure-http",
                    "scheme" => "admin-error-uri-scheme",
                    _ => "admin-error-uri-malformed",
                },
                &[("uri", uri.as_str().into())],
            ),
            Self::InvalidScope(scope) => text_with(
                lang,
                "admin-error-invalid-scope",
                &[("scope", scope.as_str().into())],
            ),
            Self::InvalidAuthMethod(method) => text_with(
                lang,
                "admin-error-invalid-auth-method",
                &[("method", method.as_str().into())],
            ),
            Self::InvalidJwks(why) => text_with(
                lang,
                "admin-error-invalid-jwks",
                &[("why", why.as_str().into())],
            ),
            Self::InvalidSubjectType(value) => text_with(
                lang,
                "admin-error-invalid-subject-type",
                &[("value", value.as_str().into())],
            ),
            Self::UnknownClient(value) => id("admin-error-unknown-client", value),
            Self::NoClientSecret(value) => id("admin-error-no-client-secret", value),
            Self::MasterKey(reason) => text_with(
                lang,
                "admin-error-master-key",
                &[("reason", reason.as_str().into())],
            ),
            Self::SigningKey => text(lang, "admin-error-signing-key"),
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
        !matches!(
            self,
            Self::Storage(_) | Self::Io(_) | Self::MasterKey(_) | Self::SigningKey
        )
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
            AdminError::InvalidClientName,
            AdminError::NoRedirectUri,
            AdminError::TooManyUris,
            AdminError::InvalidUri {
                uri: "http://x".into(),
                problem: "insecure_http",
            },
            AdminError::InvalidUri {
                uri: "x".into(),
                problem: "malformed",
            },
            AdminError::InvalidUri {
                uri: "https://x#y".into(),
                problem: "fragment",
            },
            AdminError::InvalidUri {
                uri: "https://u@x".into(),
                problem: "user_info",
            },
            AdminError::InvalidUri {
                uri: "app:/x".into(),
                problem: "scheme",
            },
            AdminError::InvalidScope("phone".into()),
            AdminError::InvalidAuthMethod("client_secret_jwt".into()),
            AdminError::InvalidJwks("not JSON".into()),
            AdminError::InvalidSubjectType("shared".into()),
            AdminError::UnknownClient("X".into()),
            AdminError::NoClientSecret("X".into()),
            AdminError::TokenFile(vec![
                ImportProblem {
                    line: 3,
                    problem: "digits must be 6 or 8".into(),
                },
                ImportProblem {
                    line: 0,
                    problem: "no token in the file".into(),
                },
            ]),
            AdminError::UnknownToken("TK-1".into()),
            AdminError::TokenTaken {
                serial: "TK-1".into(),
                account: "bob".into(),
            },
            AdminError::AccountHasToken {
                account: "bob".into(),
                serial: "TK-1".into(),
            },
            AdminError::TokenRevoked("TK-1".into()),
            AdminError::TokenNotAssigned("TK-1".into()),
            AdminError::AppToken("APP-7".into()),
            AdminError::ClockTooFar {
                serial: "TK-1".into(),
                minutes: -125,
            },
            AdminError::ResyncFailed("TK-1".into()),
        ];
        for e in errors {
            let (fr, en) = (e.message(Lang::Fr), e.message(Lang::En));
            assert!(!fr.is_empty() && !en.is_empty(), "{e:?}");
            assert_ne!(fr, en, "{e:?}");
            assert!(e.is_client_error());
        }
        let file = AdminError::TokenFile(vec![ImportProblem {
            line: 7,
            problem: "x".into(),
        }]);
        assert!(
            file.message(Lang::Fr).contains("ligne 7"),
            "{}",
            file.message(Lang::Fr)
        );
        assert!(
            file.message(Lang::En).contains("line 7"),
            "{}",
            file.message(Lang::En)
        );
        let dup = AdminError::DuplicateAccount("alice".into());
        assert!(dup.message(Lang::Fr).contains("existe déjà"));
        assert!(dup.message(Lang::En).contains("already exists"));
    }
}
