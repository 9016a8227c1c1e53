//! Where a login may send the browser afterwards (`/login?return=URL`): only to this server's
//! own paths or to configured services. Anything else is refused, so the login page can never
//! serve as an open redirect.
//!
//! A value is parsed with the `url` crate (the WHATWG URL standard, as browsers parse it) and
//! compared, never matched as text:
//!
//! * **origin**: scheme, host after IDNA (`https://bücher.example` is
//!   `https://xn--bcher-kva.example`, IPv6 and IPv4 literals in their canonical form) and port
//!   with its default filled in (`:443` is no port) must equal this server's public origin or
//!   an entry of `TIGR_RETURN_ORIGINS`;
//! * **path**: compared segment by segment after percent-decoding with the entry's path
//!   prefix (`/app/` allows `/app`, `/app/` and `/app/x`, not `/application`);
//! * **refused outright**, because browsers or the services behind the target would read them
//!   otherwise than as written: control characters and white space, raw or percent-encoded
//!   (also doubly, `%250a`) anywhere (browsers drop tabs and new lines inside URLs); `\`
//!   anywhere (browsers read it as `/`); user info; dot segments, raw or encoded (`..`,
//!   `%2e%2e`), and with path parameters (`..;`, which Java servers read as `..`); encoded
//!   `/` or `\` inside a segment (`%2F`, `%5C`, also doubly encoded); empty segments (`//`)
//!   but a trailing `/`; non-ASCII outside the host; schemes other than http and https.
//! * A relative value starts with exactly one `/` (`//host` and `/\host` are other hosts to
//!   a browser). An absolute URL on this server's origin becomes its path and query, after
//!   the same checks, so it cannot turn into `//evil.example`.
//!
//! The accepted URL is replied in its normalised form (the `url` crate's serialisation), so
//! what the browser is sent is what was checked. A refused value is simply dropped (the
//! browser goes to the session page). [`checked_return`] is a pure function of its inputs.

use percent_encoding::percent_decode;
use tigr_core::payload::Origin;
use url::{Position, Url};

/// Longest return URL accepted.
const MAX_RETURN_LEN: usize = 2048;

/// Rounds of percent-decoding a value is looked through: `%252F` is `/` after two, and a
/// service behind a proxy may decode twice. A value still changing after this many is refused.
const DECODING_ROUNDS: usize = 3;

/// A configured place a login may return to: an origin, optionally restricted to a path
/// prefix (`https://portail.example.fr/app/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPrefix {
    /// The origin as Tigr writes it (for `form-action` in the CSP).
    origin: Origin,
    /// The same origin, normalised by the `url` crate (what values are compared with).
    normalised: url::Origin,
    /// The prefix's path segments, percent-decoded, without a trailing empty one; empty
    /// allows the whole origin.
    segments: Vec<String>,
}

impl ReturnPrefix {
    /// Parses one entry: `https://host[:port][/path/prefix]` (http only for loopback hosts,
    /// as for phones).
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        let bad = |why: &str| format!("{why} in return origin {entry:?}");
        let url = parse_absolute(entry)
            .ok_or_else(|| bad("expected https://host[:port][/path] (no user info)"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("no query or fragment allowed"));
        }
        let normalised = url.origin();
        let origin = Origin::parse(&normalised.ascii_serialization())
            .map_err(|e| bad(&format!("{e} (https required, http only for loopback)")))?;
        let mut segments = decoded_segments(&url).ok_or_else(|| bad("bad path prefix"))?;
        if segments.last().is_some_and(String::is_empty) {
            segments.pop();
        }
        Ok(Self {
            origin,
            normalised,
            segments,
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

    /// True when `origin` is this entry's and `segments` start with its prefix, segment by
    /// segment.
    fn allows(&self, origin: &url::Origin, segments: &[String]) -> bool {
        self.normalised == *origin && segments.starts_with(&self.segments)
    }
}

/// The return target if `value` is allowed: a path of this server (`/session`), an absolute
/// URL on `own` (made relative), or an absolute URL under one of `allowed` (normalised).
/// `None` otherwise. Pure: the same inputs always give the same answer.
pub fn checked_return(value: &str, own: &Origin, allowed: &[ReturnPrefix]) -> Option<String> {
    if value.is_empty() || value.len() > MAX_RETURN_LEN {
        return None;
    }
    let own_url = Url::parse(&own.to_string()).ok()?;
    let url = if let Some(after_slash) = value.strip_prefix('/') {
        // Exactly one leading slash: "//host" and "/\host" name another host.
        if after_slash.starts_with(['/', '\\']) || !value.is_ascii() || !has_clean_text(value) {
            return None;
        }
        let url = own_url.join(value).ok()?;
        (url.origin() == own_url.origin()).then_some(url)?
    } else {
        parse_absolute(value)?
    };
    let segments = decoded_segments(&url)?;
    if url.origin() == own_url.origin() {
        let local = &url[Position::BeforePath..];
        return (local.starts_with('/') && !local.starts_with("//")).then(|| local.to_owned());
    }
    allowed
        .iter()
        .any(|p| p.allows(&url.origin(), &segments))
        .then(|| url.as_str().to_owned())
}

/// `text` parsed as an absolute http(s) URL with a host and no user info, if its text is
/// clean (see the module docs). The scheme must be written with its `//`.
fn parse_absolute(text: &str) -> Option<Url> {
    let lower = text.get(..8)?.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &text[8..]
    } else if lower.starts_with("http://") {
        &text[7..]
    } else {
        return None;
    };
    // Non-ASCII only in the host (IDNA maps it); elsewhere it would be a different text
    // from what the browser is sent.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if !rest[authority_end..].is_ascii() || !has_clean_text(text) {
        return None;
    }
    let url = Url::parse(text).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none();
    plain.then_some(url)
}

/// No control character or white space (raw or percent-encoded, through every decoding
/// round), no `\`, and no dot or empty segment in the path as written (the `url` crate
/// would resolve or keep them silently).
fn has_clean_text(text: &str) -> bool {
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) || text.contains('\\') {
        return false;
    }
    if !decodings(text.as_bytes()).is_some_and(|rounds| rounds.iter().all(|r| !has_control(r))) {
        return false;
    }
    let path = path_as_written(text);
    path.is_empty() || path_is_clean(path)
}

/// The path of `text` as written: all of a relative value, or what follows the authority of
/// an absolute one; up to the query or fragment.
fn path_as_written(text: &str) -> &str {
    let rest = match text.split_once("://") {
        Some((_, after_scheme)) if !text.starts_with('/') => {
            &after_scheme[after_scheme
                .find(['/', '?', '#'])
                .unwrap_or(after_scheme.len())..]
        }
        _ => text,
    };
    &rest[..rest.find(['?', '#']).unwrap_or(rest.len())]
}

/// A path as written (`/a/b/`): every segment safe, none empty but the last.
fn path_is_clean(path: &str) -> bool {
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    segments
        .iter()
        .enumerate()
        .all(|(i, s)| (s.is_empty() && i == last) || segment_is_safe(s))
}

/// The path segments of `url`, percent-decoded, when each is safe and none is empty but the
/// last.
fn decoded_segments(url: &Url) -> Option<Vec<String>> {
    let raw: Vec<&str> = url.path_segments()?.collect();
    let last = raw.len().checked_sub(1)?;
    raw.iter()
        .enumerate()
        .map(|(i, s)| {
            if s.is_empty() {
                return (i == last).then(String::new);
            }
            if !segment_is_safe(s) {
                return None;
            }
            percent_decode(s.as_bytes())
                .decode_utf8()
                .ok()
                .map(|d| d.into_owned())
        })
        .collect()
}

/// A non-empty segment that means what it says through every decoding round: no `/`, `\` or
/// control character, and not a dot segment (`.`, `..`, also with `;` parameters).
fn segment_is_safe(segment: &str) -> bool {
    !segment.is_empty()
        && decodings(segment.as_bytes()).is_some_and(|rounds| {
            rounds.iter().all(|round| {
                let name = round.split(|&b| b == b';').next().unwrap_or_default();
                !has_control(round)
                    && !round.contains(&b'/')
                    && !round.contains(&b'\\')
                    && name != b"."
                    && name != b".."
            })
        })
}

/// `bytes`, then each percent-decoding of it until nothing changes; `None` when it still
/// changes after [`DECODING_ROUNDS`].
fn decodings(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut rounds = vec![bytes.to_vec()];
    for _ in 0..DECODING_ROUNDS {
        let last = rounds.last()?;
        let next: Vec<u8> = percent_decode(last).collect();
        if next == *last {
            return Some(rounds);
        }
        rounds.push(next);
    }
    None
}

fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b < 0x20 || b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> Origin {
        Origin::parse("https://auth.example.fr").expect("origin")
    }

    fn allowed() -> Vec<ReturnPrefix> {
        ReturnPrefix::parse_list(
            "https://dpi.example.fr, https://portail.example.fr/app/ https://x.example.fr:8443/a \
             https://xn--bcher-kva.example http://[::1]:9000/v6/",
        )
        .expect("valid list")
    }

    #[test]
    fn configured_entries() {
        assert_eq!(allowed().len(), 5);
        for bad in [
            "dpi.example.fr",
            "http://dpi.example.fr",
            "https://user@dpi.example.fr",
            "https://user:pw@dpi.example.fr",
            "https://dpi.example.fr/a/../b",
            "https://dpi.example.fr/a/%2e%2e/b",
            "https://dpi.example.fr/a/..;/b",
            "https://dpi.example.fr/a%2fb/",
            "https://dpi.example.fr//a",
            "https://dpi.example.fr/a?x",
            "https://dpi.example.fr/a#x",
            "ftp://dpi.example.fr",
            "https:dpi.example.fr",
            "https://",
        ] {
            assert!(ReturnPrefix::parse(bad).is_err(), "{bad}");
        }
        assert!(ReturnPrefix::parse("http://127.0.0.1:9000").is_ok());
        // Upper case, default port, trailing slash: one origin, one spelling.
        let spelled = ReturnPrefix::parse("HTTPS://DPI.Example.FR:443/").expect("valid");
        assert_eq!(
            spelled,
            ReturnPrefix::parse("https://dpi.example.fr").expect("ok")
        );
        assert_eq!(spelled.origin().to_string(), "https://dpi.example.fr");
        // A Unicode host is its IDNA form.
        assert_eq!(
            ReturnPrefix::parse("https://bücher.example")
                .expect("valid")
                .origin()
                .to_string(),
            "https://xn--bcher-kva.example"
        );
        // "/app" and "/app/" are the same prefix.
        assert_eq!(
            ReturnPrefix::parse("https://p.example.fr/app").expect("ok"),
            ReturnPrefix::parse("https://p.example.fr/app/").expect("ok")
        );
    }

    /// Each value with the verdict: `Some(target)` (what the browser is sent) or `None`.
    #[test]
    fn classic_payloads_get_their_verdict() {
        let cases: &[(&str, Option<&str>)] = &[
            // This server's own paths.
            ("/session", Some("/session")),
            ("/", Some("/")),
            ("/admin/accounts?q=a#top", Some("/admin/accounts?q=a#top")),
            ("/a/b/", Some("/a/b/")),
            ("https://auth.example.fr/session?x=1", Some("/session?x=1")),
            ("https://auth.example.fr", Some("/")),
            ("HTTPS://AUTH.EXAMPLE.FR:443/session", Some("/session")),
            // Configured services, normalised.
            ("https://dpi.example.fr", Some("https://dpi.example.fr/")),
            (
                "https://dpi.example.fr?next=/a/../b",
                Some("https://dpi.example.fr/?next=/a/../b"),
            ),
            (
                "https://dpi.example.fr/patient/42?tab=1#notes",
                Some("https://dpi.example.fr/patient/42?tab=1#notes"),
            ),
            ("https://DPI.example.fr/x", Some("https://dpi.example.fr/x")),
            (
                "HTTPS://dpi.example.fr:443/x",
                Some("https://dpi.example.fr/x"),
            ),
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
            // An encoded letter is that letter: still under /app/.
            (
                "https://portail.example.fr/%61pp/x",
                Some("https://portail.example.fr/%61pp/x"),
            ),
            (
                "https://x.example.fr:8443/a/b",
                Some("https://x.example.fr:8443/a/b"),
            ),
            // IDN: the Unicode spelling of a configured host is that host.
            (
                "https://bücher.example/x",
                Some("https://xn--bcher-kva.example/x"),
            ),
            (
                "https://xn--bcher-kva.example/x",
                Some("https://xn--bcher-kva.example/x"),
            ),
            // IPv6 literal, in any spelling.
            ("http://[::1]:9000/v6/x", Some("http://[::1]:9000/v6/x")),
            (
                "http://[0:0:0:0:0:0:0:1]:9000/v6/",
                Some("http://[::1]:9000/v6/"),
            ),
            // Open redirects through this server's own origin.
            ("https://auth.example.fr//evil.example/phish", None),
            ("https://auth.example.fr///evil.example", None),
            ("https://auth.example.fr/\\evil.example", None),
            ("https://auth.example.fr/%2F%2Fevil.example", None),
            ("https://auth.example.fr/%5Cevil.example", None),
            ("//evil.example", None),
            ("///evil.example", None),
            ("/\\evil.example", None),
            ("\\\\evil.example", None),
            ("\\/evil.example", None),
            ("/%2F%2Fevil.example", None),
            ("/%2f%2fevil.example", None),
            ("%2F%2Fevil.example", None),
            ("/%252F%252Fevil.example", None),
            ("/%5Cevil.example", None),
            ("/%255Cevil.example", None),
            ("/x%2F..%2F..%2Fevil", None),
            // Other hosts, however spelled.
            ("https://evil.example/", None),
            ("https://dpi.example.fr.evil.example/", None),
            ("https://dpi.example.fr@evil.example/", None),
            ("https://evil.example@dpi.example.fr/", None),
            ("https://user:pw@dpi.example.fr/", None),
            ("https://evil.example#@dpi.example.fr/", None),
            ("https://evil.example?@dpi.example.fr/", None),
            ("https://evil.example\\@dpi.example.fr/", None),
            ("https://dpi.example.fr%40evil.example/", None),
            ("https://dpi.example.fr./", None),
            // IDN homographs: a Cyrillic "і" is another host, in either spelling.
            ("https://dpі.example.fr/", None),
            ("https://xn--dp-ghc.example.fr/", None),
            ("https://bücher.example.evil/", None),
            // Other scheme or port.
            ("http://dpi.example.fr/", None),
            ("https://dpi.example.fr:444/", None),
            ("http://[::1]:9001/v6/", None),
            ("javascript:alert(1)", None),
            ("JAVASCRIPT:alert(1)", None),
            ("javascript://dpi.example.fr/%0aalert(1)", None),
            ("JAVASCRIPT://dpi.example.fr/%0aalert(1)", None),
            ("data:text/html,hi", None),
            ("data:text/html,<script>alert(1)</script>", None),
            ("data:text/html;base64,PHNjcmlwdD4=", None),
            ("vbscript:msgbox(1)", None),
            ("ftp://dpi.example.fr/", None),
            ("https:dpi.example.fr", None),
            ("https:/dpi.example.fr", None),
            ("https:\\\\dpi.example.fr", None),
            ("session", None),
            ("./session", None),
            // Outside the path prefix.
            ("https://portail.example.fr/", None),
            ("https://portail.example.fr/application", None),
            ("https://portail.example.fr/APP/x", None),
            ("https://portail.example.fr/app/../admin", None),
            ("https://portail.example.fr/app/%2e%2e/admin", None),
            ("https://portail.example.fr/app/%2E%2E/admin", None),
            ("https://portail.example.fr/app/.%2e/admin", None),
            ("https://portail.example.fr/app/%252e%252e/admin", None),
            ("https://portail.example.fr/app/..;/admin", None),
            ("https://portail.example.fr/app/..;jsessionid=1/admin", None),
            ("https://portail.example.fr/app/%2e%2e;/admin", None),
            ("https://portail.example.fr/app/./x", None),
            ("https://portail.example.fr/app/.;/x", None),
            ("https://portail.example.fr/app%2f..%2fadmin", None),
            ("https://portail.example.fr/app%2F..%2Fadmin", None),
            ("https://portail.example.fr/app%5c..%5cadmin", None),
            ("https://portail.example.fr/app//x", None),
            ("https://x.example.fr:8443/ab", None),
            // Dot segments on this server too: never needed, refused.
            ("/app/..;/admin", None),
            ("/app/%2e%2e/admin", None),
            ("/a/../../b", None),
            ("/a/./b", None),
            ("/..", None),
            // Control characters and white space, raw or encoded, anywhere.
            ("/ok\r\nSet-Cookie: x", None),
            ("/ok%0d%0aSet-Cookie:%20x", None),
            ("/ok?x=%0a", None),
            ("/ok#%09", None),
            ("/ok%250a", None),
            ("/o\tk", None),
            ("/\t/evil.example", None),
            ("/\n/evil.example", None),
            ("java\tscript:alert(1)", None),
            ("https://dpi.example.fr/ x", None),
            ("https://dpi.example.fr/\u{0}", None),
            ("https://dpi.example.fr/%00", None),
            ("https://dpi.\texample.fr/", None),
            ("https://dpi.example.fr/x\u{7f}", None),
            ("https://dpi.example.fr/x\u{85}", None),
            ("https://dpi.example.fr/x\u{2028}", None),
            // Non-ASCII outside the host.
            ("https://dpi.example.fr/é", None),
            ("/é", None),
            // Empty and oversized.
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                checked_return(value, &own(), &allowed()).as_deref(),
                *expected,
                "{value:?}"
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
            // Found by the `return_url` fuzz target (and the security review).
            "https://auth.example.fr//evil.example/phish",
            "https://auth.example.fr///evil.example",
            "https://portail.example.fr/app/..;/admin",
            "https://portail.example.fr/app/..;x/admin",
        ] {
            assert_eq!(checked_return(value, &own(), &allowed()), None, "{value:?}");
        }
        assert_eq!(
            checked_return(&format!("/{}", "a".repeat(3000)), &own(), &allowed()),
            None
        );
    }

    #[test]
    fn without_configured_services_only_own_paths() {
        assert_eq!(checked_return("https://dpi.example.fr/", &own(), &[]), None);
        assert_eq!(
            checked_return("/session", &own(), &[]).as_deref(),
            Some("/session")
        );
        // A loopback server (the tests' and demos'): its own absolute URLs too.
        let local = Origin::parse("http://127.0.0.1:8080").expect("origin");
        assert_eq!(
            checked_return("http://127.0.0.1:8080//evil.example/phish", &local, &[]),
            None
        );
        assert_eq!(
            checked_return("http://127.0.0.1:8080/session?x=1", &local, &[]).as_deref(),
            Some("/session?x=1")
        );
        assert_eq!(
            checked_return("http://localhost:8080/session", &local, &[]),
            None
        );
    }

    #[test]
    fn accepted_values_check_again_to_themselves() {
        // What the browser is sent is a fixed point: checking it again gives it back.
        let values = [
            "/session?x=1",
            "https://auth.example.fr/a/b",
            "HTTPS://DPI.example.fr:443/x?y=%20#z",
            "https://bücher.example/x",
            "http://[0:0:0:0:0:0:0:1]:9000/v6/",
        ];
        for value in values {
            let once = checked_return(value, &own(), &allowed()).expect(value);
            assert_eq!(
                checked_return(&once, &own(), &allowed()).as_deref(),
                Some(once.as_str()),
                "{value}"
            );
        }
    }
}
