//! What a registered client may be: its name, its URIs and its scopes. Administrators
//! register clients (command line and admin pages); these checks run before anything is
//! stored, so a client in the database always satisfies them.
//!
//! URIs are kept exactly as registered: the authorization and logout endpoints compare them
//! character for character (no normalisation, no prefix, no wildcard).

use url::Url;

use super::{ClientKind, MAX_VALUE_LEN, OPENID, SUPPORTED_SCOPES};

/// Longest client name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Most URIs of one kind a client registers.
pub const MAX_URIS: usize = 20;

/// Why a registration was refused (the field and what is wrong with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationError {
    /// Empty, too long, or with control characters.
    Name,
    /// No redirect URI at all.
    NoRedirectUri,
    /// Too many URIs of one kind.
    TooManyUris,
    /// A URI that is not acceptable for its use (the URI, the reason).
    Uri(String, UriProblem),
    /// A scope that is unknown, or `openid` missing.
    Scopes(String),
}

/// What is wrong with a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriProblem {
    /// Not an absolute URI, or longer than [`MAX_VALUE_LEN`].
    Malformed,
    /// It has a fragment (`#...`), which a redirect cannot carry.
    Fragment,
    /// It has user information (`user@host`).
    UserInfo,
    /// `http` on a host other than loopback.
    InsecureHttp,
    /// A scheme that is neither https, http on loopback, nor (public clients only) a
    /// private-use scheme of an app (`fr.hopital.app:/callback`, RFC 8252 §7.1).
    Scheme,
}

impl UriProblem {
    /// A short English name for messages and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Fragment => "fragment",
            Self::UserInfo => "user_info",
            Self::InsecureHttp => "insecure_http",
            Self::Scheme => "scheme",
        }
    }
}

/// What a URI is used for (the schemes allowed differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriUse {
    /// Where the browser goes back with a code, or after logout: https, http on loopback,
    /// and for public clients an app's private-use scheme.
    BrowserRedirect(ClientKind),
    /// Where the server itself posts or fetches (back-channel logout, JWKS): https, or http
    /// on loopback.
    ServerToServer,
}

/// The name shown to users, trimmed.
pub fn checked_name(name: &str) -> Result<String, RegistrationError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(RegistrationError::Name);
    }
    Ok(name.to_owned())
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks one URI for `usage`; returns it unchanged (trimmed of surrounding blanks).
pub fn checked_uri(uri: &str, usage: UriUse) -> Result<String, RegistrationError> {
    let uri = uri.trim();
    let refuse = |problem| Err(RegistrationError::Uri(uri.to_owned(), problem));
    if uri.is_empty()
        || uri.len() > MAX_VALUE_LEN
        || uri.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return refuse(UriProblem::Malformed);
    }
    let Ok(parsed) = Url::parse(uri) else {
        return refuse(UriProblem::Malformed);
    };
    if uri.contains('#') {
        return refuse(UriProblem::Fragment);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse(UriProblem::UserInfo);
    }
    // `https:///x` parses (the URL standard skips the extra slashes): refuse what a person
    // would not read as a host.
    let web = matches!(parsed.scheme(), "https" | "http");
    let after_scheme = &uri[parsed.scheme().len()..];
    if web && (!after_scheme.starts_with("://") || after_scheme[3..].starts_with(['/', '\\'])) {
        return refuse(UriProblem::Malformed);
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(uri.to_owned()),
        "http" if parsed.host().is_some() => {
            if is_loopback(&parsed) {
                Ok(uri.to_owned())
            } else {
                refuse(UriProblem::InsecureHttp)
            }
        }
        "https" | "http" => refuse(UriProblem::Malformed),
        scheme => match usage {
            // RFC 8252 §7.1: a reverse domain name (with a dot) the app owns.
            UriUse::BrowserRedirect(ClientKind::Public)
                if scheme.contains('.') && !parsed.cannot_be_a_base() =>
            {
                Ok(uri.to_owned())
            }
            _ => refuse(UriProblem::Scheme),
        },
    }
}

/// Checks a list of URIs (at most [`MAX_URIS`], duplicates dropped, order kept).
pub fn checked_uris(uris: &[String], usage: UriUse) -> Result<Vec<String>, RegistrationError> {
    let mut out: Vec<String> = Vec::new();
    for uri in uris.iter().filter(|u| !u.trim().is_empty()) {
        let uri = checked_uri(uri, usage)?;
        if !out.contains(&uri) {
            out.push(uri);
        }
    }
    if out.len() > MAX_URIS {
        return Err(RegistrationError::TooManyUris);
    }
    Ok(out)
}

/// The scopes of a client from a space-separated list: known ones only, `openid` required,
/// in the order of [`SUPPORTED_SCOPES`].
pub fn checked_scopes(text: &str) -> Result<Vec<String>, RegistrationError> {
    let asked: Vec<&str> = text.split_whitespace().collect();
    if let Some(unknown) = asked.iter().find(|s| !SUPPORTED_SCOPES.contains(s)) {
        return Err(RegistrationError::Scopes((*unknown).to_owned()));
    }
    if !asked.contains(&OPENID) {
        return Err(RegistrationError::Scopes(OPENID.to_owned()));
    }
    Ok(SUPPORTED_SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .map(|s| (*s).to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: UriUse = UriUse::BrowserRedirect(ClientKind::Confidential);
    const APP: UriUse = UriUse::BrowserRedirect(ClientKind::Public);

    fn problem(uri: &str, usage: UriUse) -> Option<UriProblem> {
        match checked_uri(uri, usage) {
            Ok(_) => None,
            Err(RegistrationError::Uri(_, p)) => Some(p),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            checked_name("  Service e-santé ").expect("ok"),
            "Service e-santé"
        );
        assert_eq!(checked_name(""), Err(RegistrationError::Name));
        assert_eq!(checked_name("a\u{7}b"), Err(RegistrationError::Name));
        assert!(checked_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(checked_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_and_kept_as_given() {
        let uri = "https://dpi.chu.example/oidc/callback?tenant=1";
        assert_eq!(checked_uri(uri, WEB).expect("ok"), uri);
        assert_eq!(problem("http://127.0.0.1:8081/cb", WEB), None);
        assert_eq!(problem("http://localhost/cb", WEB), None);
        assert_eq!(problem("http://[::1]:9000/cb", WEB), None);
        assert_eq!(
            problem("http://dpi.chu.example/cb", WEB),
            Some(UriProblem::InsecureHttp)
        );
        assert_eq!(
            problem("https://dpi.chu.example/cb#x", WEB),
            Some(UriProblem::Fragment)
        );
        assert_eq!(
            problem("https://user@dpi.chu.example/cb", WEB),
            Some(UriProblem::UserInfo)
        );
        assert_eq!(problem("/cb", WEB), Some(UriProblem::Malformed));
        assert_eq!(problem("https:///cb", WEB), Some(UriProblem::Malformed));
        assert_eq!(problem("https://a b/cb", WEB), Some(UriProblem::Malformed));
        assert_eq!(
            problem(&format!("https://a.fr/{}", "x".repeat(MAX_VALUE_LEN)), WEB),
            Some(UriProblem::Malformed)
        );
        assert_eq!(
            problem("javascript:alert(1)", WEB),
            Some(UriProblem::Scheme)
        );
    }

    #[test]
    fn private_use_schemes_are_for_public_clients_only() {
        assert_eq!(problem("fr.chu.app:/oidc", APP), None);
        assert_eq!(problem("fr.chu.app:/oidc", WEB), Some(UriProblem::Scheme));
        assert_eq!(problem("myapp:/oidc", APP), Some(UriProblem::Scheme));
        assert_eq!(
            problem("fr.chu.app:/oidc", UriUse::ServerToServer),
            Some(UriProblem::Scheme)
        );
        assert_eq!(problem("data:text/html,x", APP), Some(UriProblem::Scheme));
    }

    #[test]
    fn uri_lists_drop_duplicates_and_are_bounded() {
        let list = vec![
            "https://a.fr/cb".to_owned(),
            " https://a.fr/cb ".to_owned(),
            String::new(),
            "https://b.fr/cb".to_owned(),
        ];
        assert_eq!(
            checked_uris(&list, WEB).expect("ok"),
            ["https://a.fr/cb", "https://b.fr/cb"]
        );
        let many: Vec<String> = (0..=MAX_URIS)
            .map(|i| format!("https://a.fr/{i}"))
            .collect();
        assert_eq!(
            checked_uris(&many, WEB),
            Err(RegistrationError::TooManyUris)
        );
    }

    #[test]
    fn scopes_are_known_and_include_openid() {
        assert_eq!(
            checked_scopes("email openid profile").expect("ok"),
            ["openid", "profile", "email"]
        );
        assert_eq!(checked_scopes("openid").expect("ok"), ["openid"]);
        assert_eq!(
            checked_scopes("profile email"),
            Err(RegistrationError::Scopes("openid".into()))
        );
        assert_eq!(
            checked_scopes("openid phone"),
            Err(RegistrationError::Scopes("phone".into()))
        );
    }
}
