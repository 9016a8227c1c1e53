//! Rules for a new password, after NIST SP 800-63B (§3.1.1.2, "Password Verifiers"):
//! a minimum and a generous maximum length, counted in characters; no composition rule
//! (no "one digit, one capital"); every character allowed, spaces included, except control
//! characters; refused when it is a common password (a blocklist committed in the
//! repository, `server/data/common-passwords.txt`), when it contains the Tigr ID or the
//! service's name, or when the confirmation differs.
//!
//! The password is one factor of the OTP login (the code is the other), hence 8 characters
//! at least, the minimum 800-63B sets for a password used with a second factor.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Most characters of a password (800-63B: at least 64 must be allowed).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Common passwords of 8 characters or more, lower case, one a line: the passwords of the
/// `zxcvbn` frequency lists (MIT licence) plus French ones.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

static BLOCKLIST: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a new password is refused (each has its sentence in the text catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    TooLong,
    /// Holds a control character (tab, newline, …).
    ControlCharacter,
    /// On the blocklist of common passwords.
    Common,
    /// Contains the Tigr ID or the service's name.
    ContainsName,
    /// The two entries differ.
    Mismatch,
}

impl PasswordProblem {
    /// The key of its sentence in the text catalogue.
    pub fn text_key(self) -> &'static str {
        match self {
            Self::TooShort => "password-too-short",
            Self::TooLong => "password-too-long",
            Self::ControlCharacter => "password-control-character",
            Self::Common => "password-common",
            Self::ContainsName => "password-contains-name",
            Self::Mismatch => "password-mismatch",
        }
    }
}

/// Checks a new password typed twice for the account `tigr_id` of the service
/// `service_name`.
pub fn check_new_password(
    password: &str,
    confirmation: &str,
    tigr_id: &str,
    service_name: &str,
) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordProblem::ControlCharacter);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        return Err(PasswordProblem::Common);
    }
    let names = [
        tigr_id.trim().to_lowercase(),
        service_name.trim().to_lowercase(),
    ];
    if names
        .iter()
        .any(|n| n.chars().count() >= 3 && lower.contains(n.as_str()))
    {
        return Err(PasswordProblem::ContainsName);
    }
    if password != confirmation {
        return Err(PasswordProblem::Mismatch);
    }
    Ok(())
}

/// True when `lower` (lower case) is on the blocklist, also with trailing digits or
/// punctuation added to a listed word (`motdepasse2024!`).
fn is_common(lower: &str) -> bool {
    if BLOCKLIST.contains(lower) {
        return true;
    }
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    stem.chars().count() >= MIN_PASSWORD_CHARS && BLOCKLIST.contains(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), PasswordProblem> {
        check_new_password(password, password, "e.martin", "Tigr")
    }

    #[test]
    fn length_is_counted_in_characters_without_composition_rules() {
        assert_eq!(check("court"), Err(PasswordProblem::TooShort));
        assert_eq!(
            check("ééééééé"),
            Err(PasswordProblem::TooShort),
            "7 characters"
        );
        assert_eq!(
            check("éléphant rose du matin"),
            Ok(()),
            "spaces and accents"
        );
        assert_eq!(check("lowercase only words"), Ok(()), "no composition rule");
        assert_eq!(check(&"x7".repeat(64)), Ok(()), "128 characters");
        assert_eq!(
            check(&format!("{}z", "x7".repeat(64))),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check("tab\there ok?"),
            Err(PasswordProblem::ControlCharacter)
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_or_suffix() {
        assert!(BLOCKLIST.len() > 10_000, "{}", BLOCKLIST.len());
        for common in [
            "password",
            "PASSWORD1",
            "azertyuiop",
            "motdepasse",
            "Motdepasse2024!",
        ] {
            assert_eq!(check(common), Err(PasswordProblem::Common), "{common}");
        }
        assert_eq!(check("qwertyuiop"), Err(PasswordProblem::Common));
        assert_eq!(check("tranquille-chevreuil-31"), Ok(()));
    }

    #[test]
    fn names_and_confirmation() {
        assert_eq!(check("salut-e.martin!"), Err(PasswordProblem::ContainsName));
        assert_eq!(check("mon tigr à moi"), Err(PasswordProblem::ContainsName));
        assert_eq!(
            check_new_password("tranquille-chevreuil", "tranquille-chevreui", "a", "S"),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            check_new_password("tranquille-chevreuil", "tranquille-chevreuil", "ab", "S"),
            Ok(()),
            "names shorter than 3 characters are not looked for"
        );
    }
}
