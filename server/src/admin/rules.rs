//! Pure rules of the administration: roles, what a valid name, e-mail, reason, lifetime or
//! search is. No I/O.

use tigr_core::ids::is_valid_account;

use crate::storage::Account;

use super::AdminError;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 128;
/// Longest e-mail address, in bytes (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest free-text reason (revocation, disabling), in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Shortest lifetime of an invitation given explicitly, in seconds.
pub const MIN_INVITATION_TTL: i64 = 60;
/// Longest lifetime of an invitation, in seconds (30 days).
pub const MAX_INVITATION_TTL: i64 = 30 * 24 * 3600;
/// Lifetime of the setup invitation of `admin bootstrap`, in seconds.
pub const BOOTSTRAP_TTL: i64 = 15 * 60;
/// Largest page of a listing.
pub const MAX_PER_PAGE: u32 = 1000;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Logs in to services.
    #[default]
    User,
    /// Also administers accounts, phones and the audit trail.
    Admin,
}

impl Role {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    /// Reads `user` or `admin` (any case, surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            _ => Err(AdminError::InvalidRole(text.to_owned())),
        }
    }

    /// The role of a stored account (anything but `admin` is a user).
    pub fn of(account: &Account) -> Self {
        if account.role == Self::Admin.as_str() {
            Self::Admin
        } else {
            Self::User
        }
    }
}

/// The check the admin pages make: an enabled account with the admin role.
pub fn is_admin(account: &Account) -> bool {
    account.is_enabled() && Role::of(account) == Role::Admin
}

/// A Tigr ID as typed: surrounding spaces removed; refused unless valid (no silent case
/// folding: IDs are lower case and an upper-case one is a typo worth showing).
pub fn account_id(text: &str) -> Result<String, AdminError> {
    let id = text.trim();
    if is_valid_account(id) {
        Ok(id.to_owned())
    } else {
        Err(AdminError::InvalidAccountId(text.to_owned()))
    }
}

/// A display name: trimmed, 1 to [`MAX_DISPLAY_NAME_CHARS`] printable characters.
pub fn display_name(text: &str) -> Result<String, AdminError> {
    let name = text.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        Err(AdminError::InvalidDisplayName)
    } else {
        Ok(name.to_owned())
    }
}

/// An e-mail address: trimmed; empty means none. A deliberately plain check (one `@`, a
/// local part, a dotted domain of letters, digits and hyphens, no spaces) that catches typos
/// without refusing real addresses; the domain is lower-cased.
pub fn email(text: &str) -> Result<Option<String>, AdminError> {
    let email = text.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let invalid = || AdminError::InvalidEmail(text.to_owned());
    if email.len() > MAX_EMAIL_LEN {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.chars().count() >= 2);
    if local_ok && domain_ok {
        Ok(Some(format!("{local}@{}", domain.to_lowercase())))
    } else {
        Err(invalid())
    }
}

/// An optional free-text reason: trimmed, empty means none, at most [`MAX_REASON_CHARS`]
/// printable characters.
pub fn reason(text: Option<&str>) -> Result<Option<String>, AdminError> {
    let Some(reason) = text.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        Err(AdminError::InvalidReason)
    } else {
        Ok(Some(reason.to_owned()))
    }
}

/// The lifetime of an invitation: `requested` if given (between [`MIN_INVITATION_TTL`] and
/// [`MAX_INVITATION_TTL`]), else the configured default.
pub fn invitation_ttl(requested: Option<i64>, default: i64) -> Result<i64, AdminError> {
    match requested {
        None => Ok(default),
        Some(ttl) if (MIN_INVITATION_TTL..=MAX_INVITATION_TTL).contains(&ttl) => Ok(ttl),
        Some(_) => Err(AdminError::InvalidTtl {
            min: MIN_INVITATION_TTL,
            max: MAX_INVITATION_TTL,
        }),
    }
}

/// A search text as a `LIKE` pattern (`%text%`, with `%`, `_` and `\` escaped by `\`);
/// `None` for an empty search.
pub fn search_pattern(text: Option<&str>) -> Result<Option<String>, AdminError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_SEARCH_CHARS || text.chars().any(char::is_control) {
        return Err(AdminError::InvalidFilter("search"));
    }
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

/// An invitation identifier as typed: 1 to 64 ASCII letters or digits (upper-cased).
pub fn invitation_id(text: &str) -> Result<String, AdminError> {
    let id = text.trim();
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id.to_ascii_uppercase())
    } else {
        Err(AdminError::UnknownInvitation(text.to_owned()))
    }
}

/// An audit event or actor filter: 1 to 100 characters of `a-z 0-9 . _ - : @`.
pub fn audit_word(text: Option<&str>, what: &'static str) -> Result<Option<String>, AdminError> {
    let Some(word) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if word.len() <= 100
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:@".contains(&b))
    {
        Ok(Some(word.to_owned()))
    } else {
        Err(AdminError::InvalidFilter(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(Role::parse(" Admin ").expect("admin"), Role::Admin);
        assert_eq!(Role::parse("user").expect("user"), Role::User);
        assert!(matches!(
            Role::parse("root"),
            Err(AdminError::InvalidRole(_))
        ));
        let mut account = Account {
            display_name: "A".into(),
            role: "admin".into(),
            ..Account::for_tests("a")
        };
        assert!(is_admin(&account));
        account.disabled_at = Some(1);
        assert!(!is_admin(&account), "a disabled admin is no admin");
        account.disabled_at = None;
        account.role = "user".into();
        assert!(!is_admin(&account));
    }

    #[test]
    fn account_ids() {
        assert_eq!(account_id(" dr.martin-2 ").expect("valid"), "dr.martin-2");
        for bad in ["", "Alice", "-x", "a b", &"a".repeat(65)] {
            assert!(
                matches!(account_id(bad), Err(AdminError::InvalidAccountId(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_names() {
        assert_eq!(
            display_name("  Dr Émilie Martin ").expect("ok"),
            "Dr Émilie Martin"
        );
        assert!(display_name(" ").is_err());
        assert!(display_name("a\tb").is_err());
        assert!(display_name(&"é".repeat(129)).is_err());
        assert!(display_name(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(email("").expect("none"), None);
        assert_eq!(email("   ").expect("none"), None);
        assert_eq!(
            email(" E.Martin+tigr@CHU-Bordeaux.FR ")
                .expect("ok")
                .as_deref(),
            Some("E.Martin+tigr@chu-bordeaux.fr")
        );
        assert!(email("émilie@hôpital.fr").is_ok(), "internationalized");
        for bad in [
            "martin",
            "martin@",
            "@chu.fr",
            "martin@chu",
            "martin@@chu.fr",
            "mar tin@chu.fr",
            "martin@chu..fr",
            "martin@-chu.fr",
            "martin@chu.f",
            "martin@chu.fr.",
            ".martin@chu.fr",
            "a<b@chu.fr",
        ] {
            assert!(
                matches!(email(bad), Err(AdminError::InvalidEmail(_))),
                "{bad}"
            );
        }
        assert!(email(&format!("{}@chu.fr", "a".repeat(65))).is_err());
    }

    #[test]
    fn reasons_ttls_and_searches() {
        assert_eq!(reason(None).expect("none"), None);
        assert_eq!(reason(Some("  ")).expect("none"), None);
        assert_eq!(
            reason(Some(" perdu ")).expect("ok").as_deref(),
            Some("perdu")
        );
        assert!(reason(Some("a\nb")).is_err());
        assert!(reason(Some(&"x".repeat(201))).is_err());

        assert_eq!(invitation_ttl(None, 900).expect("default"), 900);
        assert_eq!(invitation_ttl(Some(60), 900).expect("min"), 60);
        assert!(invitation_ttl(Some(59), 900).is_err());
        assert!(invitation_ttl(Some(MAX_INVITATION_TTL + 1), 900).is_err());

        assert_eq!(search_pattern(Some("  ")).expect("none"), None);
        assert_eq!(
            search_pattern(Some("50%_a\\")).expect("ok").as_deref(),
            Some("%50\\%\\_a\\\\%")
        );
        assert!(search_pattern(Some(&"x".repeat(101))).is_err());

        assert_eq!(invitation_id(" abc2 ").expect("ok"), "ABC2");
        assert!(invitation_id("a-b").is_err());
        assert_eq!(
            audit_word(Some("cli:alice"), "actor")
                .expect("ok")
                .as_deref(),
            Some("cli:alice")
        );
        assert!(audit_word(Some("a b"), "actor").is_err());
    }
}
