//! QR payloads: what the server puts in a QR code and what the phone accepts from one.
//!
//! Grammar (version 1, see docs/protocol.md §2):
//!
//! ```text
//! payload   = base "/t/1/" body
//! base      = origin | "tigr://" authority          ; tigr:// means https://
//! body      = "L/" challenge-id "/" nonce "/" expiry  ; login, expiry in Unix seconds
//!           | "E/" enrollment-code                    ; enrollment
//! origin    = "https://" authority | "http://" loopback-authority
//! ```
//!
//! The https form is a universal / app link: scanned by the Tigr app it is handled in-app, opened
//! in a browser it lands on a page of the server explaining how to use the app.

use std::fmt;

use crate::ids::is_valid_id;

/// Longest payload accepted, in bytes (keeps the QR at a low version and bounds parsing work).
pub const MAX_PAYLOAD_LEN: usize = 512;

/// Path segment that introduces a version-1 Tigr payload.
const MARKER: &str = "/t/1/";

/// Why a scanned text is not a usable Tigr payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The text is not a Tigr code at all (another QR code, a web link, ...).
    #[error("not a Tigr code")]
    NotTigr,
    /// A Tigr code of a newer protocol version.
    #[error("unsupported Tigr code version {0}")]
    UnsupportedVersion(String),
    /// The text is longer than any Tigr code.
    #[error("code too long ({0} bytes)")]
    TooLong(usize),
    /// Plain http is only accepted for a server on this machine.
    #[error("insecure server address (http is only allowed for localhost)")]
    InsecureOrigin,
    /// The server address is malformed.
    #[error("malformed server address: {0}")]
    BadOrigin(&'static str),
    /// An identifier in the code is malformed.
    #[error("malformed {0} in code")]
    BadField(&'static str),
    /// The code is of an unknown kind.
    #[error("unknown Tigr code kind {0:?}")]
    UnknownKind(String),
}

/// The web origin of a Tigr server: scheme, host and optional port, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    secure: bool,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// Parses `https://host[:port]` or, for loopback hosts only, `http://host[:port]`.
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        let (secure, authority) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(PayloadError::BadOrigin("scheme must be https"));
        };
        let origin = Self::from_authority(secure, authority)?;
        if !secure && !origin.is_loopback() {
            return Err(PayloadError::InsecureOrigin);
        }
        Ok(origin)
    }

    fn from_authority(secure: bool, authority: &str) -> Result<Self, PayloadError> {
        if authority.is_empty() {
            return Err(PayloadError::BadOrigin("empty host"));
        }
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let end = rest
                .find(']')
                .ok_or(PayloadError::BadOrigin("unclosed IPv6 address"))?;
            let host = &authority[..end + 2];
            let inner = &rest[..end];
            // Lower-case hex only, as host names: one origin, one spelling.
            let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
            if inner.is_empty() || !inner.bytes().all(|b| lower_hex(b) || b == b':') {
                return Err(PayloadError::BadOrigin("bad IPv6 address"));
            }
            (host, &rest[end + 1..])
        } else {
            match authority.find(':') {
                Some(i) => (&authority[..i], &authority[i..]),
                None => (authority, ""),
            }
        };
        let port = match port {
            "" => None,
            p => {
                let digits = p
                    .strip_prefix(':')
                    .ok_or(PayloadError::BadOrigin("bad port"))?;
                if digits.is_empty()
                    || digits.len() > 5
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(PayloadError::BadOrigin("bad port"));
                }
                let port: u16 = digits
                    .parse()
                    .map_err(|_| PayloadError::BadOrigin("bad port"))?;
                if port == 0 {
                    return Err(PayloadError::BadOrigin("bad port"));
                }
                Some(port)
            }
        };
        if !host.starts_with('[') {
            let ok = !host.is_empty()
                && host.len() <= 253
                && host.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                })
                && !host.starts_with(['.', '-'])
                && !host.ends_with(['.', '-']);
            if !ok {
                return Err(PayloadError::BadOrigin("bad host name"));
            }
        }
        // Default ports are never written, so that one origin has one spelling.
        let port = match (secure, port) {
            (true, Some(443)) | (false, Some(80)) => None,
            (_, p) => p,
        };
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
        })
    }

    /// True for `localhost`, `127.0.0.0/8` and `[::1]`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self.host == "[::1]"
            || self
                .host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The host (with brackets for IPv6), without port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Host and port as shown to a user, e.g. `auth.example.fr` or `127.0.0.1:8080`.
    pub fn display_host(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    /// True for https.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.display_host())
    }
}

/// A parsed Tigr QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrPayload {
    /// An invitation to enroll this phone for an account.
    Enrollment(EnrollmentQr),
    /// A login challenge displayed by a web page.
    Login(LoginQr),
}

/// The content of an enrollment QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentQr {
    /// The server that issued the code.
    pub origin: Origin,
    /// The single-use enrollment code.
    pub code: String,
}

/// The content of a login QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginQr {
    /// The server that issued the challenge.
    pub origin: Origin,
    /// The challenge identifier (public: it appears in API paths).
    pub challenge_id: String,
    /// The challenge nonce (known only to the page and whoever scans the QR).
    pub nonce: String,
    /// When the challenge expires (Unix seconds), so that an offline phone can show a countdown.
    /// Informative only: the server enforces expiry itself.
    pub expires_at: i64,
}

impl QrPayload {
    /// Parses a scanned text. Surrounding whitespace is ignored; anything else that does not
    /// follow the grammar is refused with the reason.
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        let text = text.trim();
        if text.len() > MAX_PAYLOAD_LEN {
            return Err(PayloadError::TooLong(text.len()));
        }
        let (secure_hint, rest) = if let Some(rest) = text.strip_prefix("tigr://") {
            (Some(true), rest)
        } else if text.starts_with("https://") || text.starts_with("http://") {
            (None, text)
        } else {
            return Err(PayloadError::NotTigr);
        };
        // The marker is searched after the scheme's `//`: a host named `t` is no marker.
        let authority_at = match secure_hint {
            Some(_) => 0,
            None => rest.find("://").map_or(0, |i| i + 3),
        };
        let marker_at = match rest[authority_at..].find("/t/") {
            Some(i) => authority_at + i,
            None => return Err(PayloadError::NotTigr),
        };
        let origin = match secure_hint {
            Some(secure) => Origin::from_authority(secure, &rest[..marker_at])?,
            None => Origin::parse(&rest[..marker_at])?,
        };
        let after = &rest[marker_at + 3..];
        let (version, body) = after.split_once('/').ok_or(PayloadError::NotTigr)?;
        if version != "1" {
            // Only a later version is worth an app update; `0`, `01` and the like were never
            // written by a Tigr server (docs/protocol.md §2).
            let later = !version.is_empty()
                && !version.starts_with('0')
                && version.bytes().all(|b| b.is_ascii_digit());
            if later {
                return Err(PayloadError::UnsupportedVersion(version.to_owned()));
            }
            return Err(PayloadError::NotTigr);
        }
        let parts: Vec<&str> = body.split('/').collect();
        match parts.as_slice() {
            ["L", challenge_id, nonce, expiry] => {
                if !is_valid_id(challenge_id) {
                    return Err(PayloadError::BadField("challenge id"));
                }
                if !is_valid_id(nonce) {
                    return Err(PayloadError::BadField("nonce"));
                }
                let expires_at =
                    parse_unix_seconds(expiry).ok_or(PayloadError::BadField("expiry"))?;
                Ok(Self::Login(LoginQr {
                    origin,
                    challenge_id: (*challenge_id).to_owned(),
                    nonce: (*nonce).to_owned(),
                    expires_at,
                }))
            }
            ["E", code] => {
                if !is_valid_id(code) {
                    return Err(PayloadError::BadField("enrollment code"));
                }
                Ok(Self::Enrollment(EnrollmentQr {
                    origin,
                    code: (*code).to_owned(),
                }))
            }
            [kind @ ("L" | "E"), ..] => Err(PayloadError::BadField(if *kind == "L" {
                "login code layout"
            } else {
                "enrollment code layout"
            })),
            [kind, ..] => Err(PayloadError::UnknownKind(
                kind.chars().take(8).collect::<String>(),
            )),
            [] => Err(PayloadError::NotTigr),
        }
    }

    /// The origin of the server behind the code.
    pub fn origin(&self) -> &Origin {
        match self {
            Self::Enrollment(e) => &e.origin,
            Self::Login(l) => &l.origin,
        }
    }
}

impl fmt::Display for QrPayload {
    /// The canonical (https link) form, as servers emit it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Enrollment(e) => write!(f, "{}{MARKER}E/{}", e.origin, e.code),
            Self::Login(l) => write!(
                f,
                "{}{MARKER}L/{}/{}/{}",
                l.origin, l.challenge_id, l.nonce, l.expires_at
            ),
        }
    }
}

/// A positive decimal Unix time of at most 12 digits, without sign or leading zero.
fn parse_unix_seconds(text: &str) -> Option<i64> {
    let ok = !text.is_empty()
        && text.len() <= 12
        && !text.starts_with('0')
        && text.bytes().all(|b| b.is_ascii_digit());
    if ok { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "KRSXG5CJIRJUKQ2SIVKC2MJRGE";
    const NONCE: &str = "MFRGGZDFMZTWQ2LKNNWG23TPOA";
    const EXP: i64 = 1_795_000_000;

    #[test]
    fn login_round_trip() {
        let text = format!("https://auth.example.fr/t/1/L/{CID}/{NONCE}/{EXP}");
        let parsed = QrPayload::parse(&text).expect("valid");
        match &parsed {
            QrPayload::Login(l) => {
                assert_eq!(l.origin.to_string(), "https://auth.example.fr");
                assert_eq!(l.challenge_id, CID);
                assert_eq!(l.nonce, NONCE);
                assert_eq!(l.expires_at, EXP);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn enrollment_with_port_and_custom_scheme() {
        let parsed =
            QrPayload::parse(&format!("tigr://auth.example.fr:8443/t/1/E/{CID}")).expect("valid");
        assert_eq!(
            parsed.to_string(),
            format!("https://auth.example.fr:8443/t/1/E/{CID}")
        );
    }

    #[test]
    fn loopback_http_is_allowed_other_http_is_not() {
        assert!(QrPayload::parse(&format!("http://127.0.0.1:8080/t/1/E/{CID}")).is_ok());
        assert!(QrPayload::parse(&format!("http://localhost/t/1/E/{CID}")).is_ok());
        assert!(QrPayload::parse(&format!("http://[::1]:9/t/1/E/{CID}")).is_ok());
        assert_eq!(
            QrPayload::parse(&format!("http://auth.example.fr/t/1/E/{CID}")),
            Err(PayloadError::InsecureOrigin)
        );
    }

    /// Found by the `qr_payload` fuzz target: `https://[200A:1]` was accepted beside
    /// `https://[200a:1]`, two spellings of one origin.
    #[test]
    fn ipv6_hosts_have_one_spelling() {
        assert!(Origin::parse("https://[200a:1]:8442").is_ok());
        for text in ["https://[200A:1]:8442", "https://[::ABCD]"] {
            assert!(
                matches!(Origin::parse(text), Err(PayloadError::BadOrigin(_))),
                "{text}"
            );
        }
    }

    /// Found by the `qr_payload` fuzz target: the canonical form of a code whose host is `t`
    /// did not parse back (the marker `/t/` was found in `https://t/`).
    #[test]
    fn a_host_named_t_is_not_the_marker() {
        let parsed = QrPayload::parse(&format!("https://t:443/t/1/E/{CID}")).expect("valid");
        let canonical = parsed.to_string();
        assert_eq!(canonical, format!("https://t/t/1/E/{CID}"));
        assert_eq!(QrPayload::parse(&canonical), Ok(parsed));
    }

    #[test]
    fn default_port_is_normalised() {
        let o = Origin::parse("https://auth.example.fr:443").expect("valid");
        assert_eq!(o.to_string(), "https://auth.example.fr");
        // In a QR too: the origin bound into signatures is the one without it.
        let qr =
            QrPayload::parse(&format!("https://auth.example.fr:443/t/1/E/{CID}")).expect("valid");
        assert_eq!(qr.origin().to_string(), "https://auth.example.fr");
        let qr = QrPayload::parse(&format!("http://127.0.0.1:80/t/1/E/{CID}")).expect("valid");
        assert_eq!(qr.origin().to_string(), "http://127.0.0.1");
    }

    #[test]
    fn bad_inputs_get_typed_errors() {
        let cases: Vec<(String, PayloadError)> = vec![
            ("hello".into(), PayloadError::NotTigr),
            ("https://example.com/".into(), PayloadError::NotTigr),
            (
                format!("https://a.fr/t/2/L/{CID}/{NONCE}/{EXP}"),
                PayloadError::UnsupportedVersion("2".into()),
            ),
            (
                format!("https://a.fr/t/10/E/{CID}"),
                PayloadError::UnsupportedVersion("10".into()),
            ),
            // Not later versions: no Tigr server writes these.
            (format!("https://a.fr/t/0/E/{CID}"), PayloadError::NotTigr),
            (format!("https://a.fr/t/01/E/{CID}"), PayloadError::NotTigr),
            (format!("https://a.fr/t/v1/E/{CID}"), PayloadError::NotTigr),
            // The origin is exactly as servers write it: nothing between it and `/t/`, no
            // trailing slash after the last field.
            (
                format!("https://a.fr//t/1/E/{CID}"),
                PayloadError::BadOrigin("bad host name"),
            ),
            (
                format!("https://a.fr/app/t/1/E/{CID}"),
                PayloadError::BadOrigin("bad host name"),
            ),
            (
                format!("https://a.fr/t/1/E/{CID}/"),
                PayloadError::BadField("enrollment code layout"),
            ),
            (
                format!("https://a.fr/t/1/L/{CID}"),
                PayloadError::BadField("login code layout"),
            ),
            (
                format!("https://a.fr/t/1/L/{CID}/short/{EXP}"),
                PayloadError::BadField("nonce"),
            ),
            (
                format!("https://a.fr/t/1/L/{CID}/{NONCE}/-5"),
                PayloadError::BadField("expiry"),
            ),
            (
                format!("https://a.fr/t/1/X/{CID}"),
                PayloadError::UnknownKind("X".into()),
            ),
            (
                format!("https://A.fr/t/1/E/{CID}"),
                PayloadError::BadOrigin("bad host name"),
            ),
            (
                format!("https://a.fr:0/t/1/E/{CID}"),
                PayloadError::BadOrigin("bad port"),
            ),
            (
                format!("https://a.fr:99999/t/1/E/{CID}"),
                PayloadError::BadOrigin("bad port"),
            ),
            ("x".repeat(600), PayloadError::TooLong(600)),
        ];
        for (text, expected) in cases {
            assert_eq!(QrPayload::parse(&text), Err(expected), "{text}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let rng = crate::random::SeededRandom::new(1);
        let base = format!("https://a.fr/t/1/L/{CID}/{NONCE}/{EXP}");
        for i in 0..2000 {
            let mut bytes = base.clone().into_bytes();
            let mut r = [0u8; 3];
            crate::random::SecureRandom::fill(&rng, &mut r);
            let at = r[0] as usize % bytes.len();
            bytes[at] = r[1];
            if i % 3 == 0 {
                bytes.truncate(r[2] as usize % bytes.len());
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = QrPayload::parse(&text);
        }
    }
}
