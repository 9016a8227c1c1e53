//! `otpauth://` URIs: the QR codes services show to add an account to an authenticator app
//! (the Key Uri Format of Google Authenticator, also read by FreeOTP and the others).
//!
//! ```text
//! otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA&algorithm=SHA1&digits=6&period=30
//! otpauth://hotp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA&counter=0
//! ```
//!
//! [`parse`] is pure and total: any text gives parameters or an [`OtpUriError`] naming the
//! first thing wrong, never a panic (property tests below, and `tests/data/vectors/otpauth.json`).
//! The URI is taken apart by the `url` crate; the label is percent-decoded as an RFC 3986 path
//! (`+` stays `+`), the parameters as a form-urlencoded query (`+` is a space, as the URL
//! encoders of most languages write it).
//!
//! Why not totp-rs's own `otpauth` parser: it reads TOTP only (no `hotp` host, no counter),
//! refuses keys under 128 bits (the Key Uri Format's own example has 80), and refuses an issuer
//! parameter that differs from the label prefix, which the format only says SHOULD match; here
//! the parameter wins and the difference is reported ([`OtpParameters::label_issuer`]) for the
//! app to show.
//!
//! What is accepted: types `totp` and `hotp`; `SHA1`, `SHA256`, `SHA512` (any case); 6, 7 or 8
//! digits (totp-rs's range: the Key Uri Format lists 6 and 8, RFC 4226 asks at least 6); a
//! period of 1 second or more; a base32 secret of at least 80 bits (upper or lower case,
//! padding optional); an HOTP counter from 0 to 2^63 - 1 (Google Authenticator's exports carry
//! it as a signed 64-bit number). Unknown parameters (`image`, `color`...) are ignored; a
//! known one given twice is refused rather than guessed.

use percent_encoding::percent_decode_str;
use url::Url;
use zeroize::Zeroizing;

use super::{HashAlgorithm, MIN_IMPORTED_KEY_LEN};

/// The longest text read (bytes): a QR code holds at most 2,953 bytes, so anything longer did
/// not come from one, and parsing stays cheap whatever is pasted.
pub const MAX_URI_LEN: usize = 4096;

/// Time-based or counter-based, with what each needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpKind {
    /// TOTP (RFC 6238): a new code every `period` seconds.
    Totp {
        /// Seconds per code (30 unless the URI says otherwise).
        period: u32,
    },
    /// HOTP (RFC 4226): a new code each time one is asked for.
    Hotp {
        /// The counter of the next code.
        counter: u64,
    },
}

/// An account read from a URI, secret included (zeroized on drop, hidden from `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct OtpParameters {
    /// TOTP or HOTP.
    pub kind: OtpKind,
    /// Who issued the account: the `issuer` parameter, else the label prefix.
    pub issuer: Option<String>,
    /// The account name (label without its issuer prefix).
    pub account: String,
    /// The label prefix when it differs from the `issuer` parameter: a typo or a phishing
    /// sign that the app shows before adding the account.
    pub label_issuer: Option<String>,
    /// The HMAC's hash function.
    pub algorithm: HashAlgorithm,
    /// Code length (6 to 8).
    pub digits: u8,
    /// The shared secret (at least 80 bits).
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpParameters")
            .field("kind", &self.kind)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("label_issuer", &self.label_issuer)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

impl OtpParameters {
    /// The label as authenticator apps show it: `Issuer:account`, or the account alone.
    pub fn label(&self) -> String {
        label(self.issuer.as_deref(), &self.account)
    }
}

/// `Issuer:account`, or `account` without an issuer.
pub fn label(issuer: Option<&str>, account: &str) -> String {
    match issuer {
        Some(issuer) => format!("{issuer}:{account}"),
        None => account.to_owned(),
    }
}

/// Why a text is not a usable OTP account. Details never hold the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpUriError {
    /// Not an `otpauth://` (or, where accepted, `otpauth-migration://`) URI at all.
    #[error("not an otpauth URI")]
    NotOtpauth,
    /// An `otpauth` URI whose structure is broken (no type, user or port, a parameter twice).
    #[error("malformed otpauth URI: {0}")]
    Malformed(String),
    /// Longer than [`MAX_URI_LEN`].
    #[error("longer than {MAX_URI_LEN} bytes")]
    TooLong,
    /// A type other than `totp` and `hotp`.
    #[error("unknown type '{0}': only totp and hotp")]
    UnknownType(String),
    /// No secret, or an empty one.
    #[error("the secret is missing")]
    MissingSecret,
    /// The secret is not base32 (RFC 4648), or is under 80 bits.
    #[error("the secret is not valid: {0}")]
    BadSecret(&'static str),
    /// An algorithm other than SHA1, SHA256 and SHA512.
    #[error("unknown algorithm '{0}': only SHA1, SHA256, SHA512")]
    UnknownAlgorithm(String),
    /// Digits not 6, 7 or 8.
    #[error("digits '{0}': only 6, 7 or 8")]
    BadDigits(String),
    /// A period that is not a whole number of seconds from 1 to 2^32 - 1.
    #[error("period '{0}': a whole number of seconds, at least 1")]
    BadPeriod(String),
    /// An HOTP counter that is missing or not a whole number from 0 to 2^63 - 1.
    #[error("counter '{0}': required for hotp, a whole number from 0 to 2^63 - 1")]
    BadCounter(String),
    /// An empty account name, more than one colon, control characters, or bytes that are not
    /// UTF-8, in the label or the issuer.
    #[error("bad label: {0}")]
    BadLabel(&'static str),
    /// An `otpauth-migration://` export whose data cannot be read.
    #[error("unreadable export: {0}")]
    BadMigration(&'static str),
}

/// At most this many characters of a refused value go into an error.
const ECHO_LEN: usize = 32;

fn echo(value: &str) -> String {
    value.chars().take(ECHO_LEN).collect()
}

/// Reads one `otpauth://totp/...` or `otpauth://hotp/...` URI.
pub fn parse(text: &str) -> Result<OtpParameters, OtpUriError> {
    let url = otpauth_url(text, "otpauth")?;
    let kind_name = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if kind_name != "totp" && kind_name != "hotp" {
        return Err(OtpUriError::UnknownType(echo(&kind_name)));
    }
    let label = percent_decode_str(url.path().strip_prefix('/').unwrap_or(url.path()))
        .decode_utf8()
        .map_err(|_| OtpUriError::BadLabel("not UTF-8"))?;
    let (label_issuer, account) = split_label(&label)?;

    let query = Query::read(&url)?;
    let issuer = match query.get("issuer") {
        Some(issuer) => {
            check_text(issuer)?;
            Some(issuer.to_owned()).filter(|i| !i.is_empty())
        }
        None => None,
    };
    let secret = decode_secret(query.get("secret").unwrap_or_default())?;
    let algorithm = match query.get("algorithm") {
        None => HashAlgorithm::Sha1,
        Some(name) => HashAlgorithm::parse(&name.to_ascii_uppercase())
            .ok_or_else(|| OtpUriError::UnknownAlgorithm(echo(name)))?,
    };
    let digits = match query.get("digits") {
        None => 6,
        Some(text) => number::<u8>(text)
            .filter(|d| (6..=8).contains(d))
            .ok_or_else(|| OtpUriError::BadDigits(echo(text)))?,
    };
    let kind = if kind_name == "totp" {
        let period = match query.get("period") {
            None => 30,
            Some(text) => number::<u32>(text)
                .filter(|p| *p > 0)
                .ok_or_else(|| OtpUriError::BadPeriod(echo(text)))?,
        };
        OtpKind::Totp { period }
    } else {
        let text = query.get("counter").unwrap_or_default();
        let counter = number::<u64>(text)
            .filter(|c| *c <= i64::MAX as u64)
            .ok_or_else(|| OtpUriError::BadCounter(echo(text)))?;
        OtpKind::Hotp { counter }
    };
    Ok(resolve_issuer(
        issuer,
        label_issuer,
        account,
        kind,
        algorithm,
        digits,
        secret,
    ))
}

/// Parameters from their parts; the issuer parameter wins over the label prefix, and a
/// differing prefix is kept to be reported.
pub(crate) fn resolve_issuer(
    issuer: Option<String>,
    label_issuer: Option<&str>,
    account: &str,
    kind: OtpKind,
    algorithm: HashAlgorithm,
    digits: u8,
    secret: Zeroizing<Vec<u8>>,
) -> OtpParameters {
    let (issuer, label_issuer) = match (issuer, label_issuer) {
        (Some(issuer), Some(prefix)) if issuer != prefix => (Some(issuer), Some(prefix.to_owned())),
        (Some(issuer), _) => (Some(issuer), None),
        (None, prefix) => (prefix.map(str::to_owned), None),
    };
    OtpParameters {
        kind,
        issuer,
        account: account.to_owned(),
        label_issuer,
        algorithm,
        digits,
        secret,
    }
}

/// The URL of `text` if its scheme is `scheme`, with no user, password or port.
pub(crate) fn otpauth_url(text: &str, scheme: &str) -> Result<Url, OtpUriError> {
    let text = text.trim();
    if text.len() > MAX_URI_LEN {
        return Err(OtpUriError::TooLong);
    }
    let has_scheme = text
        .get(..scheme.len() + 1)
        .is_some_and(|start| start.eq_ignore_ascii_case(&format!("{scheme}:")));
    if !has_scheme {
        return Err(OtpUriError::NotOtpauth);
    }
    let url = Url::parse(text).map_err(|e| OtpUriError::Malformed(e.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(OtpUriError::Malformed("no type after //".into()));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(OtpUriError::Malformed("user, password or port".into()));
    }
    Ok(url)
}

/// The query parameters of a URL, each known one at most once.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    const KNOWN: [&'static str; 7] = [
        "secret",
        "issuer",
        "algorithm",
        "digits",
        "period",
        "counter",
        "data",
    ];

    pub(crate) fn read(url: &Url) -> Result<Self, OtpUriError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in url.query_pairs() {
            if !Self::KNOWN.contains(&key.as_ref()) {
                continue;
            }
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(OtpUriError::Malformed(format!("'{key}' given twice")));
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Drop for Query {
    fn drop(&mut self) {
        // The secret was one of the values.
        for (_, value) in &mut self.0 {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// A decimal number written with digits only (no sign, no spaces).
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits a decoded label into its issuer prefix and account name (the spaces after the colon
/// are dropped); refuses more than one colon, an empty account and invisible characters.
pub(crate) fn split_label(label: &str) -> Result<(Option<&str>, &str), OtpUriError> {
    check_text(label)?;
    let (prefix, account) = match label.split_once(':') {
        Some((prefix, rest)) => (
            Some(prefix).filter(|p| !p.is_empty()),
            rest.trim_start_matches(' '),
        ),
        None => (None, label),
    };
    if account.contains(':') {
        return Err(OtpUriError::BadLabel("more than one colon"));
    }
    if account.trim().is_empty() {
        return Err(OtpUriError::BadLabel("no account name"));
    }
    Ok((prefix, account))
}

/// Refuses control characters and the bidirectional controls that could make a label read as
/// another one.
fn check_text(text: &str) -> Result<(), OtpUriError> {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if text.chars().any(invisible) {
        return Err(OtpUriError::BadLabel("control characters"));
    }
    Ok(())
}

/// The key of a base32 secret: RFC 4648 alphabet in either case, `=` padding optional, spaces
/// ignored (some services group the secret by four), at least 80 bits.
fn decode_secret(text: &str) -> Result<Zeroizing<Vec<u8>>, OtpUriError> {
    let mut normalized = Zeroizing::new(String::with_capacity(text.len()));
    normalized.extend(
        text.chars()
            .filter(|c| *c != ' ')
            .map(|c| c.to_ascii_uppercase()),
    );
    let unpadded = normalized.trim_end_matches('=');
    if unpadded.is_empty() {
        return Err(OtpUriError::MissingSecret);
    }
    if !unpadded
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    {
        return Err(OtpUriError::BadSecret("not base32 (RFC 4648: A-Z and 2-7)"));
    }
    // 8 symbols carry 5 bytes; 1, 3 or 6 symbols left over encode no whole byte.
    if matches!(unpadded.len() % 8, 1 | 3 | 6) {
        return Err(OtpUriError::BadSecret("base32 of a wrong length"));
    }
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, unpadded)
        .map(Zeroizing::new)
        .ok_or(OtpUriError::BadSecret("not base32 (RFC 4648: A-Z and 2-7)"))?;
    if key.len() < MIN_IMPORTED_KEY_LEN {
        return Err(OtpUriError::BadSecret("shorter than 80 bits"));
    }
    Ok(key)
}

/// What a scanned text brings: one account (`otpauth://`) or the accounts of one code of a
/// Google Authenticator export (`otpauth-migration://`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpImport {
    /// The accounts, in their order in the code.
    pub accounts: Vec<OtpParameters>,
    /// For an export split over several QR codes: this code's place (from 1) and their number.
    pub batch: Option<(u32, u32)>,
}

/// Reads an `otpauth://` URI or a Google Authenticator `otpauth-migration://` export.
pub fn parse_any(text: &str) -> Result<OtpImport, OtpUriError> {
    match super::migration::parse(text) {
        Err(OtpUriError::NotOtpauth) => Ok(OtpImport {
            accounts: vec![parse(text)?],
            batch: None,
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::tests::vectors;
    use crate::otp::{Hotp, Totp};
    use proptest::prelude::*;
    use serde_json::Value;

    /// Whether an error is the one a case expects.
    type Check = fn(&OtpUriError) -> bool;

    fn expected_reason(reason: &str) -> Check {
        match reason {
            "missing_secret" => |e| matches!(e, OtpUriError::MissingSecret),
            "bad_secret" => |e| matches!(e, OtpUriError::BadSecret(_)),
            "bad_counter" => |e| matches!(e, OtpUriError::BadCounter(_)),
            "unknown_type" => |e| matches!(e, OtpUriError::UnknownType(_)),
            "bad_digits" => |e| matches!(e, OtpUriError::BadDigits(_)),
            "unknown_algorithm" => |e| matches!(e, OtpUriError::UnknownAlgorithm(_)),
            "bad_period" => |e| matches!(e, OtpUriError::BadPeriod(_)),
            "bad_label" => |e| matches!(e, OtpUriError::BadLabel(_)),
            "not_otpauth" => |e| matches!(e, OtpUriError::NotOtpauth),
            other => panic!("no reason {other} in the vectors' vocabulary"),
        }
    }

    fn check_expected(parsed: &OtpParameters, expected: &Value, name: &str) {
        assert_eq!(
            parsed.issuer.as_deref(),
            expected["issuer"].as_str(),
            "{name}"
        );
        assert_eq!(
            parsed.account,
            expected["account"].as_str().expect("account")
        );
        assert_eq!(
            hex::encode(&parsed.secret[..]),
            expected["secret_hex"].as_str().expect("hex"),
            "{name}"
        );
        assert_eq!(
            parsed.algorithm.name(),
            expected["algorithm"].as_str().expect("alg")
        );
        assert_eq!(
            u64::from(parsed.digits),
            expected["digits"].as_u64().expect("digits")
        );
        match (parsed.kind, expected["type"].as_str().expect("type")) {
            (OtpKind::Totp { period }, "totp") => {
                assert_eq!(u64::from(period), expected["period"].as_u64().expect("p"))
            }
            (OtpKind::Hotp { counter }, "hotp") => {
                assert_eq!(counter, expected["counter"].as_u64().expect("c"))
            }
            (kind, ty) => panic!("{name}: {kind:?} is not {ty}"),
        }
        assert_eq!(
            parsed.label_issuer.as_deref(),
            expected["label_issuer"].as_str(),
            "{name}"
        );
    }

    #[test]
    fn every_key_uri_vector() {
        let v = vectors("otpauth.json");
        let valid = v["valid"].as_array().expect("valid");
        assert_eq!(valid.len(), 14);
        for case in valid.iter().chain(v["warn"].as_array().expect("warn")) {
            let name = case["name"].as_str().expect("name");
            let parsed =
                parse(case["uri"].as_str().expect("uri")).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_expected(&parsed, &case["expected"], name);
            let check = &case["check"];
            if let Some(otp) = check["otp"].as_str() {
                let code = match parsed.kind {
                    OtpKind::Totp { period } => Totp::imported(
                        parsed.algorithm,
                        &parsed.secret,
                        parsed.digits,
                        u64::from(period),
                    )
                    .expect("valid")
                    .code_at(check["time"].as_u64().expect("time")),
                    OtpKind::Hotp { .. } => {
                        Hotp::imported(parsed.algorithm, &parsed.secret, parsed.digits)
                            .expect("valid")
                            .code(check["counter"].as_u64().expect("counter"))
                    }
                };
                assert_eq!(code, otp, "{name}");
            }
        }
        let invalid = v["invalid"].as_array().expect("invalid");
        assert_eq!(invalid.len(), 16);
        for case in invalid {
            let uri = case["uri"].as_str().expect("uri");
            let is_expected = expected_reason(case["reason"].as_str().expect("reason"));
            match parse(uri) {
                Err(e) => assert!(is_expected(&e), "{uri}: {e:?} ({})", case["error"]),
                Ok(p) => panic!("{uri} accepted: {p:?}"),
            }
        }
    }

    #[test]
    fn the_issuer_parameter_wins_and_a_different_prefix_is_reported() {
        let p = parse("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
            .expect("valid");
        assert_eq!(
            (p.issuer.as_deref(), p.label_issuer.as_deref()),
            (Some("ESEA"), None)
        );
        assert_eq!(p.label(), "ESEA:c.leroy");
        let p = parse("otpauth://totp/Banque:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
            .expect("a mismatch is not an error");
        assert_eq!(p.issuer.as_deref(), Some("ESEA"));
        assert_eq!(p.label_issuer.as_deref(), Some("Banque"));
        // An empty prefix or parameter is no issuer.
        let p = parse("otpauth://totp/:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=").expect("valid");
        assert_eq!((p.issuer, p.label_issuer), (None, None));
        assert_eq!(p.account, "c.leroy");
    }

    #[test]
    fn percent_encoding_and_plus_signs() {
        // Label: RFC 3986 path, '+' is itself; %3A is the separator; UTF-8 sequences decode.
        let p = parse(
            "otpauth://totp/H%C3%B4pital%20Nord%3Ac.leroy+1%40esea.fr?secret=JBSWY3DPEHPK3PXP",
        )
        .expect("valid");
        assert_eq!(p.issuer.as_deref(), Some("Hôpital Nord"));
        assert_eq!(p.account, "c.leroy+1@esea.fr");
        // Query: form-urlencoded, '+' is a space.
        let p = parse("otpauth://totp/c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=H%C3%B4pital+Nord")
            .expect("valid");
        assert_eq!(p.issuer.as_deref(), Some("Hôpital Nord"));
        // Bytes that are not UTF-8 are refused, not replaced.
        assert!(matches!(
            parse("otpauth://totp/ESEA:%FF?secret=JBSWY3DPEHPK3PXP"),
            Err(OtpUriError::BadLabel(_))
        ));
        // Upper-case scheme and type, lower-case algorithm, spaces in the secret.
        let p = parse("OTPAUTH://TOTP/x?secret=JBSW%20Y3DP%20EHPK%203PXP&algorithm=sha256")
            .expect("valid");
        assert_eq!(p.algorithm, HashAlgorithm::Sha256);
        assert_eq!(hex::encode(&p.secret[..]), "48656c6c6f21deadbeef");
    }

    #[test]
    fn edge_cases_get_their_reason() {
        let cases: &[(&str, Check)] = &[
            ("", |e| matches!(e, OtpUriError::NotOtpauth)),
            ("JBSWY3DPEHPK3PXP", |e| matches!(e, OtpUriError::NotOtpauth)),
            ("otpauth:totp?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::Malformed(_))
            }),
            ("otpauth:///x?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::Malformed(_))
            }),
            ("otpauth://me@totp/x?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::Malformed(_))
            }),
            ("otpauth://totp:99/x?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::Malformed(_))
            }),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=GEZDGNBVGY3TQOJQ",
                |e| matches!(e, OtpUriError::Malformed(_)),
            ),
            ("otpauth://steam/x?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::UnknownType(_))
            }),
            ("otpauth://totp/?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::BadLabel(_))
            }),
            ("otpauth://totp/ESEA:%20?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::BadLabel(_))
            }),
            ("otpauth://totp/ESEA:a%0Ab?secret=JBSWY3DPEHPK3PXP", |e| {
                matches!(e, OtpUriError::BadLabel(_))
            }),
            (
                "otpauth://totp/ESEA:%E2%80%AEab?secret=JBSWY3DPEHPK3PXP",
                |e| matches!(e, OtpUriError::BadLabel(_)),
            ),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=a%00b",
                |e| matches!(e, OtpUriError::BadLabel(_)),
            ),
            ("otpauth://totp/x?secret====", |e| {
                matches!(e, OtpUriError::MissingSecret)
            }),
            ("otpauth://totp/x?secret=JBSWY3DP", |e| {
                matches!(e, OtpUriError::BadSecret(_))
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PX0", |e| {
                matches!(e, OtpUriError::BadSecret(_))
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=7", |_| {
                false
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=+6", |e| {
                matches!(e, OtpUriError::BadDigits(_))
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9", |e| {
                matches!(e, OtpUriError::BadDigits(_))
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=256", |e| {
                matches!(e, OtpUriError::BadDigits(_))
            }),
            ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30", |e| {
                matches!(e, OtpUriError::BadPeriod(_))
            }),
            (
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=4294967296",
                |e| matches!(e, OtpUriError::BadPeriod(_)),
            ),
            (
                "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=9223372036854775808",
                |e| matches!(e, OtpUriError::BadCounter(_)),
            ),
            ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=", |e| {
                matches!(e, OtpUriError::BadCounter(_))
            }),
        ];
        for (uri, is_expected) in cases {
            match parse(uri) {
                Err(e) => assert!(is_expected(&e), "{uri}: {e:?}"),
                // 7 digits is inside totp-rs's range: accepted.
                Ok(p) => assert_eq!(p.digits, 7, "{uri} accepted"),
            }
        }
        // The largest counter and period are accepted; the period is ignored for hotp and
        // the counter for totp.
        let p =
            parse("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=9223372036854775807&period=0")
                .expect("valid");
        assert_eq!(
            p.kind,
            OtpKind::Hotp {
                counter: i64::MAX as u64
            }
        );
        let p = parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=4294967295&counter=x")
            .expect("valid");
        assert_eq!(p.kind, OtpKind::Totp { period: u32::MAX });
    }

    #[test]
    fn huge_inputs_are_refused_before_parsing() {
        let long = format!(
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer={}",
            "a".repeat(MAX_URI_LEN)
        );
        assert_eq!(parse(&long), Err(OtpUriError::TooLong));
        let secret = "A".repeat(MAX_URI_LEN - 40);
        let p = parse(&format!("otpauth://totp/x?secret={secret}")).expect("long secret");
        assert_eq!(p.secret.len(), secret.len() * 5 / 8);
        assert_eq!(parse(&"%".repeat(1 << 20)), Err(OtpUriError::TooLong));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let p = parse("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP").expect("valid");
        let text = format!("{p:?}");
        assert!(text.contains("c.leroy"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert!(!text.contains("72, 101"), "{text}");
        // No error carries the secret either.
        let e = parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1").expect_err("bad");
        assert!(!e.to_string().contains("JBSW"), "{e}");
    }

    /// Label text: anything printable but ':' (and not only spaces).
    fn label_part() -> impl Strategy<Value = String> {
        "[^:\\p{Cc}\u{200e}\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}]{1,24}"
            .prop_filter("not blank", |s| !s.trim().is_empty() && !s.starts_with(' '))
    }

    fn encode(text: &str) -> String {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text);
            let _ = parse(&format!("otpauth://totp/{text}"));
            let _ = parse(&format!("otpauth://hotp/x?secret={text}&counter={text}"));
            let _ = parse_any(&format!("otpauth-migration://offline?data={text}"));
        }

        #[test]
        fn mutated_uris_never_panic(
            at in 0usize..120,
            byte in any::<u8>(),
            cut in proptest::option::of(0usize..120),
        ) {
            let uri = "otpauth://hotp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&counter=42";
            let mut bytes = uri.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Some(cut) = cut {
                bytes.truncate(cut % bytes.len());
            }
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn labels_and_parameters_round_trip(
            issuer in label_part(),
            account in label_part(),
            secret in proptest::collection::vec(any::<u8>(), 10..64),
            digits in 6u8..=8,
            period in 1u32..=600,
            use_hotp in any::<bool>(),
            counter in 0u64..=(i64::MAX as u64),
        ) {
            let kind = if use_hotp { "hotp" } else { "totp" };
            let encoded = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &secret);
            let uri = format!(
                "otpauth://{kind}/{}:{}?secret={encoded}&issuer={}&digits={digits}&period={period}&counter={counter}&algorithm=SHA512",
                encode(&issuer), encode(&account), encode(&issuer),
            );
            let p = parse(&uri).expect("valid by construction");
            prop_assert_eq!(p.issuer.as_deref(), Some(issuer.as_str()));
            prop_assert_eq!(&p.account, &account);
            prop_assert_eq!(&p.secret[..], &secret[..]);
            prop_assert_eq!(p.digits, digits);
            prop_assert_eq!(p.label_issuer, None);
            prop_assert_eq!(p.kind, if use_hotp { OtpKind::Hotp { counter } } else { OtpKind::Totp { period } });
        }

        #[test]
        fn digits_outside_six_to_eight_are_refused(digits in any::<u16>()) {
            let result = parse(&format!("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits={digits}"));
            prop_assert_eq!(result.is_ok(), (6..=8).contains(&digits));
        }
    }
}
