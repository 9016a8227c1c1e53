//! Where a login may send the browser afterwards (`/login?return=URL`): only to this server's
//! own paths or to configured services. Anything else is refused, so the login page can never
//! serve as an open redirect.
//!
//! The check is deliberately strict: printable ASCII only, no backslash, no user info, no
//! dot segments or encoded slashes in the path, https origins (http only for loopback, as
//! for phones). A refused value is simply dropped (the browser goes to the session page).

use tigr_core::payload::Origin;

/// Longest return URL accepted.
const MAX_RETURN_LEN: usize = 2048;

/// A configured place a login may return to: an origin, optionally restricted to a path
/// prefix (`https://portail.example.fr/app/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPrefix {
    origin: Origin,
    /// Starts with `/`; `/` allows the whole origin.
    path_prefix: String,
}

impl ReturnPrefix {
    /// Parses one entry: `https://host[:port][/path/prefix]`.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        let bad = |why: &str| format!("{why} in return origin {entry:?}");
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or_else(|| bad("expected https://host[:port][/path]"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(bad("user info is not allowed"));
        }
        let origin = Origin::parse(&format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        ))
        .map_err(|e| bad(&format!("{e} (https required, http only for loopback)")))?;
        if !is_clean_path(path) || path.contains(['?', '#']) {
            return Err(bad("bad path prefix"));
        }
        Ok(Self {
            origin,
            path_prefix: path.to_owned(),
        })
    }

    /// Parses a list separated by commas, spaces or new lines (empty entries skipped).
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .map(Self::parse)
            .collect()
    }

    /// The origin of this entry (for `form-action` in the CSP).
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    fn allows_path(&self, path: &str) -> bool {
        let prefix = self.path_prefix.as_str();
        if prefix == "/" {
            return true;
        }
        match prefix.strip_suffix('/') {
            // "/app/" allows "/app", "/app/" and "/app/x".
            Some(dir) => path == dir || path.starts_with(prefix),
            // "/app" allows "/app" and "/app/x", not "/application".
            None => {
                path == prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

/// The return target if `value` is allowed: a path of this server (`/session`), an absolute
/// URL on `own` (made relative), or an absolute URL under one of `allowed`. `None` otherwise.
pub fn checked_return(value: &str, own: &Origin, allowed: &[ReturnPrefix]) -> Option<String> {
    if value.is_empty()
        || value.len() > MAX_RETURN_LEN
        || !value.bytes().all(|b| (0x21..=0x7e).contains(&b))
        || value.contains('\\')
    {
        return None;
    }
    if value.starts_with('/') {
        // "//host" and "/\host" are other hosts to a browser.
        return (!value.starts_with("//") && is_clean_path(path_part(value)))
            .then(|| value.to_owned());
    }
    let (scheme, rest) = value.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let origin = Origin::parse(&format!("{scheme}://{}", authority.to_ascii_lowercase())).ok()?;
    let path = match path_part(tail) {
        "" => "/",
        p => p,
    };
    if !path.starts_with('/') || !is_clean_path(path) {
        return None;
    }
    if origin == *own {
        return Some(format!("{path}{}", &tail[path_part(tail).len()..]));
    }
    allowed
        .iter()
        .any(|p| p.origin == origin && p.allows_path(path))
        .then(|| value.to_owned())
}

/// The path of a path-query-fragment string.
fn path_part(text: &str) -> &str {
    &text[..text.find(['?', '#']).unwrap_or(text.len())]
}

/// No dot segments and no encoded dots, slashes or backslashes: what the browser would
/// normalise must already be normal, so prefixes cannot be escaped.
fn is_clean_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    path.starts_with('/')
        && !["%2e", "%2f", "%5c", "%00"]
            .iter()
            .any(|e| lower.contains(e))
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> Origin {
        Origin::parse("https://auth.example.fr").expect("origin")
    }

    fn allowed() -> Vec<ReturnPrefix> {
        ReturnPrefix::parse_list(
            "https://dpi.example.fr, https://portail.example.fr/app/ https://x.example.fr:8443/a",
        )
        .expect("valid list")
    }

    #[test]
    fn configured_entries() {
        assert_eq!(allowed().len(), 3);
        for bad in [
            "dpi.example.fr",
            "http://dpi.example.fr",
            "https://user@dpi.example.fr",
            "https://dpi.example.fr/a/../b",
            "https://dpi.example.fr/a?x",
            "ftp://dpi.example.fr",
        ] {
            assert!(ReturnPrefix::parse(bad).is_err(), "{bad}");
        }
        assert!(ReturnPrefix::parse("http://127.0.0.1:9000").is_ok());
        assert!(ReturnPrefix::parse("HTTPS://DPI.Example.FR/").is_ok());
    }

    #[test]
    fn allowed_targets() {
        let cases = [
            ("/session", Some("/session")),
            ("/admin/accounts?q=a#top", Some("/admin/accounts?q=a#top")),
            ("https://auth.example.fr/session?x=1", Some("/session?x=1")),
            ("https://auth.example.fr", Some("/")),
            ("https://dpi.example.fr", Some("https://dpi.example.fr")),
            (
                "https://dpi.example.fr/patient/42?tab=1",
                Some("https://dpi.example.fr/patient/42?tab=1"),
            ),
            ("https://DPI.example.fr/x", Some("https://DPI.example.fr/x")),
            (
                "https://portail.example.fr/app/",
                Some("https://portail.example.fr/app/"),
            ),
            (
                "https://portail.example.fr/app",
                Some("https://portail.example.fr/app"),
            ),
            (
                "https://portail.example.fr/app/x",
                Some("https://portail.example.fr/app/x"),
            ),
            (
                "https://x.example.fr:8443/a/b",
                Some("https://x.example.fr:8443/a/b"),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(
                checked_return(value, &own(), &allowed()).as_deref(),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn open_redirects_are_refused() {
        for value in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "https://dpi.example.fr.evil.example/",
            "https://dpi.example.fr@evil.example/",
            "https://evil.example@dpi.example.fr/",
            "http://dpi.example.fr/",
            "https://dpi.example.fr:444/",
            "https://portail.example.fr/",
            "https://portail.example.fr/application",
            "https://portail.example.fr/app/../admin",
            "https://portail.example.fr/app/%2e%2e/admin",
            "https://portail.example.fr/app%2f..%2fadmin",
            "https://x.example.fr:8443/ab",
            "javascript:alert(1)",
            "JAVASCRIPT://dpi.example.fr/%0aalert(1)",
            "data:text/html,hi",
            "https://dpi.example.fr/ x",
            "https://dpi.example.fr/\u{0}",
            "https:dpi.example.fr",
            "https:/dpi.example.fr",
            "/ok\r\nSet-Cookie: x",
            "https://dpi.example.fr/é",
            "/a/../../b",
        ] {
            assert_eq!(checked_return(value, &own(), &allowed()), None, "{value:?}");
        }
        assert_eq!(
            checked_return(&format!("/{}", "a".repeat(3000)), &own(), &allowed()),
            None
        );
    }
}
