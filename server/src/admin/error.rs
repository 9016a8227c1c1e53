//! The one error type of the administration, with its message in French and English.

use crate::i18n::Lang;
use crate::storage::StorageError;

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
        let fr = matches!(lang, Lang::Fr);
        let pick = |f: String, e: String| if fr { f } else { e };
        match self {
            Self::InvalidAccountId(id) => pick(
                format!(
                    "Identifiant Tigr invalide « {id} » : 1 à 64 caractères parmi a-z, 0-9, \
                     « . », « _ » et « - », commençant par une lettre ou un chiffre."
                ),
                format!(
                    "Invalid Tigr ID \"{id}\": 1 to 64 characters among a-z, 0-9, '.', '_' \
                     and '-', starting with a letter or a digit."
                ),
            ),
            Self::InvalidDisplayName => pick(
                format!("Nom invalide : 1 à {MAX_DISPLAY_NAME_CHARS} caractères imprimables."),
                format!("Invalid name: 1 to {MAX_DISPLAY_NAME_CHARS} printable characters."),
            ),
            Self::InvalidEmail(email) => pick(
                format!("Adresse e-mail invalide « {email} » (exemple : prenom.nom@chu.fr)."),
                format!("Invalid e-mail address \"{email}\" (example: first.last@hospital.org)."),
            ),
            Self::InvalidRole(role) => pick(
                format!("Rôle invalide « {role} » : « user » ou « admin » attendu."),
                format!("Invalid role \"{role}\": \"user\" or \"admin\" expected."),
            ),
            Self::InvalidReason => pick(
                format!("Motif invalide : {MAX_REASON_CHARS} caractères imprimables au plus."),
                format!("Invalid reason: at most {MAX_REASON_CHARS} printable characters."),
            ),
            Self::InvalidTtl { min, max } => pick(
                format!(
                    "Durée de validité invalide : entre {min} s et {max} s ({} jours) ; \
                     exemples : 900, 15m, 2h, 7d.",
                    max / 86_400
                ),
                format!(
                    "Invalid lifetime: between {min} s and {max} s ({} days); examples: 900, \
                     15m, 2h, 7d.",
                    max / 86_400
                ),
            ),
            Self::InvalidFilter(what) => pick(
                format!("Filtre « {what} » invalide."),
                format!("Invalid \"{what}\" filter."),
            ),
            Self::DuplicateAccount(id) => pick(
                format!(
                    "Le compte « {id} » existe déjà : choisissez un autre identifiant Tigr, ou \
                     modifiez le compte existant."
                ),
                format!(
                    "Account \"{id}\" already exists: choose another Tigr ID, or edit the \
                     existing account."
                ),
            ),
            Self::UnknownAccount(id) => pick(
                format!("Compte inconnu : « {id} »."),
                format!("Unknown account: \"{id}\"."),
            ),
            Self::AccountDisabled(id) => pick(
                format!(
                    "Le compte « {id} » est désactivé : réactivez-le avant d'enrôler un \
                     téléphone."
                ),
                format!("Account \"{id}\" is disabled: enable it before enrolling a phone."),
            ),
            Self::AlreadyDisabled(id) => pick(
                format!("Le compte « {id} » est déjà désactivé."),
                format!("Account \"{id}\" is already disabled."),
            ),
            Self::NotDisabled(id) => pick(
                format!("Le compte « {id} » n'est pas désactivé."),
                format!("Account \"{id}\" is not disabled."),
            ),
            Self::NoActivePhone(id) => pick(
                format!("Le compte « {id} » n'a aucun téléphone actif."),
                format!("Account \"{id}\" has no active phone."),
            ),
            Self::NotBlocked(id) => pick(
                format!("Le compte « {id} » n'est pas bloqué (aucun échec en cours)."),
                format!("Account \"{id}\" is not blocked (no failures counted)."),
            ),
            Self::NothingToChange => pick(
                "Rien à modifier : indiquez au moins un nouveau nom, e-mail ou rôle.".into(),
                "Nothing to change: give at least a new name, e-mail or role.".into(),
            ),
            Self::LastAdmin(id) => pick(
                format!(
                    "« {id} » est le dernier administrateur actif : nommez d'abord un autre \
                     administrateur."
                ),
                format!(
                    "\"{id}\" is the last enabled administrator: make another account an \
                     administrator first."
                ),
            ),
            Self::UnknownInvitation(id) => pick(
                format!("Invitation inconnue : « {id} »."),
                format!("Unknown invitation: \"{id}\"."),
            ),
            Self::InvitationNotPending { id, status } => {
                let (f, e) = match *status {
                    "completed" => ("déjà utilisée", "already used"),
                    "expired" => ("expirée", "expired"),
                    _ => ("déjà annulée", "already cancelled"),
                };
                pick(
                    format!("L'invitation « {id} » n'est plus en attente : {f}."),
                    format!("Invitation \"{id}\" is no longer pending: {e}."),
                )
            }
            Self::AdminExists => pick(
                "Un administrateur avec un téléphone enregistré existe déjà : utilisez son \
                 accès, ou relancez avec --force pour créer quand même cet accès de secours."
                    .into(),
                "An administrator with an enrolled phone already exists: use that access, or \
                 run again with --force to create this emergency access anyway."
                    .into(),
            ),
            Self::NotAdmin(id) => pick(
                format!("Le compte « {id} » n'est pas administrateur."),
                format!("Account \"{id}\" is not an administrator."),
            ),
            Self::PublicUrl(reason) => pick(
                format!(
                    "Adresse publique du serveur inconnue ({reason}) : définissez \
                     TIGR_PUBLIC_URL."
                ),
                format!("The server's public URL is unknown ({reason}): set TIGR_PUBLIC_URL."),
            ),
            Self::Storage(error) => pick(
                format!("Erreur de la base de données : {error}"),
                format!("Database error: {error}"),
            ),
            Self::Io(error) => pick(
                format!("Écriture impossible : {error}"),
                format!("Cannot write: {error}"),
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
