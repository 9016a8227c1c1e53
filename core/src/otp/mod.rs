//! One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and OCRA (RFC 6287).
//!
//! * [`ocra`] is what Tigr uses for offline codes (see [`crate::offline`]). No maintained crate
//!   implements RFC 6287, so it is computed here on `ring`'s HMAC and the RFC 4226 dynamic
//!   truncation, which it extends to 4-10 digits.
//! * [`Hotp`] and [`Totp`] are the codes of hardware tokens and authenticator apps, for
//!   one-time-password logins and for the app as an authenticator. They wrap the `totp-rs`
//!   crate, so that callers name the algorithm with [`HashAlgorithm`] and never see its types.
//!
//! * With feature `device`, [`uri`] reads the `otpauth://` URIs of enrollment QR codes and
//!   [`migration`] the `otpauth-migration://` export codes of Google Authenticator: what the
//!   phone stores as OTP accounts (`crate::otp_accounts`).
//!
//! The unit tests check all three against the published RFC vectors in `tests/data/vectors`.

#[cfg(feature = "device")]
pub mod migration;
pub mod ocra;
#[cfg(feature = "device")]
pub mod uri;

use ring::hmac;

/// The hash function behind an HMAC-based OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// HMAC-SHA-1 (legacy, still the RFC 4226 default).
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Parses `SHA1`, `SHA256` or `SHA512`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The name [`HashAlgorithm::parse`] reads: `SHA1`, `SHA256` or `SHA512`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// Digest length in bytes.
    pub(crate) fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }

    /// HMAC of `data` under `key`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        hmac::sign(&key, data).as_ref().to_vec()
    }
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC to `digits` decimal digits (1 to 10),
/// left-padded with '0'.
pub(crate) fn truncate(digest: &[u8], digits: u32) -> String {
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let code = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    let modulus = 10u64.pow(digits);
    format!(
        "{:0width$}",
        u64::from(code) % modulus,
        width = digits as usize
    )
}

/// The shortest key accepted from someone else's `otpauth://` QR code: 80 bits, the length of
/// the Key Uri Format's own example and of the secrets many services issue. Keys Tigr makes
/// itself follow RFC 4226 §4 (at least 128 bits, [`Hotp::new`], [`Totp::new`]).
pub const MIN_IMPORTED_KEY_LEN: usize = 10;

/// Why HOTP or TOTP parameters are refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid one-time-password parameters: {0}")]
pub struct OtpError(totp_rs::TotpError);

/// A counter-based code generator (HOTP, RFC 4226): what event tokens and authenticator apps
/// hold for `otpauth://hotp/` entries. Built on `totp-rs` (a TOTP with a one-second step
/// counts in steps of one), and zeroizes its key on drop.
#[derive(Debug, Clone)]
pub struct Hotp(totp_rs::Totp);

impl Hotp {
    /// Refuses fewer than 6 digits (RFC 4226 §5.3) or more than 8, and a key under 128 bits
    /// (RFC 4226 §4).
    pub fn new(algorithm: HashAlgorithm, key: &[u8], digits: u8) -> Result<Self, OtpError> {
        code_generator(algorithm, key, digits, 1).map(Self)
    }

    /// Like [`Hotp::new`], for a key issued by someone else (an authenticator account): keys
    /// from [`MIN_IMPORTED_KEY_LEN`] bytes are accepted.
    pub fn imported(algorithm: HashAlgorithm, key: &[u8], digits: u8) -> Result<Self, OtpError> {
        imported_code_generator(algorithm, key, digits, 1).map(Self)
    }

    /// The code for `counter`, left-padded with '0'.
    pub fn code(&self, counter: u64) -> String {
        self.0.generate(counter).to_string()
    }
}

/// A time-based code generator (TOTP, RFC 6238): the six- or eight-digit codes of
/// authenticator apps, counted from the Unix epoch (T0 = 0, as those apps do). Built on
/// `totp-rs`, and zeroizes its key on drop.
#[derive(Debug, Clone)]
pub struct Totp(totp_rs::Totp);

impl Totp {
    /// Refuses fewer than 6 digits or more than 8, a key under 128 bits, and a time step of
    /// 0 seconds (30 is the usual step, RFC 6238 §5.2).
    pub fn new(
        algorithm: HashAlgorithm,
        key: &[u8],
        digits: u8,
        step_seconds: u64,
    ) -> Result<Self, OtpError> {
        code_generator(algorithm, key, digits, step_seconds).map(Self)
    }

    /// Like [`Totp::new`], for a key issued by someone else (an authenticator account): keys
    /// from [`MIN_IMPORTED_KEY_LEN`] bytes are accepted.
    pub fn imported(
        algorithm: HashAlgorithm,
        key: &[u8],
        digits: u8,
        step_seconds: u64,
    ) -> Result<Self, OtpError> {
        imported_code_generator(algorithm, key, digits, step_seconds).map(Self)
    }

    /// The code at Unix time `time` (seconds; injected, never read from the system clock).
    pub fn code_at(&self, time: u64) -> String {
        self.0.generate(time).to_string()
    }
}

fn builder(
    algorithm: HashAlgorithm,
    key: &[u8],
    digits: u8,
    step_seconds: u64,
) -> totp_rs::Builder {
    let algorithm = match algorithm {
        HashAlgorithm::Sha1 => totp_rs::Algorithm::SHA1,
        HashAlgorithm::Sha256 => totp_rs::Algorithm::SHA256,
        HashAlgorithm::Sha512 => totp_rs::Algorithm::SHA512,
    };
    totp_rs::Builder::new()
        .with_algorithm(algorithm)
        .with_secret(key)
        .with_digits(digits)
        .with_step_duration(step_seconds)
}

fn code_generator(
    algorithm: HashAlgorithm,
    key: &[u8],
    digits: u8,
    step_seconds: u64,
) -> Result<totp_rs::Totp, OtpError> {
    builder(algorithm, key, digits, step_seconds)
        .build()
        .map_err(OtpError)
}

/// totp-rs's `build` refuses keys under 128 bits: the checks it makes are made here with
/// the 80-bit floor instead, and the generator is built without its length check.
fn imported_code_generator(
    algorithm: HashAlgorithm,
    key: &[u8],
    digits: u8,
    step_seconds: u64,
) -> Result<totp_rs::Totp, OtpError> {
    let refusal = if !(6..=8).contains(&digits) {
        Some(totp_rs::TotpError::InvalidDigits { digits })
    } else if step_seconds == 0 {
        Some(totp_rs::TotpError::InvalidStepZero)
    } else if key.len() < MIN_IMPORTED_KEY_LEN {
        Some(totp_rs::TotpError::SecretTooShort {
            bits: key.len() * 8,
        })
    } else {
        None
    };
    match refusal {
        Some(error) => Err(OtpError(error)),
        None => Ok(builder(algorithm, key, digits, step_seconds).build_noncompliant()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::Value;

    /// A vector file of `tests/data/vectors` (see its README.md).
    pub(crate) fn vectors(name: &str) -> Value {
        let path = format!("{}/tests/data/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("vector file is JSON")
    }

    fn hex(v: &Value) -> Vec<u8> {
        hex::decode(v.as_str().expect("hex string")).expect("valid hex")
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let v = vectors("hotp.json");
        let key = hex(&v["key_hex"]);
        let digits = v["digits"].as_u64().expect("digits");
        let hotp = Hotp::new(HashAlgorithm::Sha1, &key, digits as u8).expect("RFC parameters");
        let cases = v["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 10);
        for case in cases {
            let counter = case["counter"].as_u64().expect("counter");
            let otp = case["otp"].as_str().expect("otp");
            assert_eq!(hotp.code(counter), otp, "{case}");
            // OCRA's HMAC and truncation give the same code (RFC 6287 builds on RFC 4226).
            let digest = HashAlgorithm::Sha1.hmac(&key, &counter.to_be_bytes());
            assert_eq!(digest, hex(&case["hmac_sha1_hex"]), "{case}");
            assert_eq!(truncate(&digest, digits as u32), otp, "{case}");
        }
    }

    #[test]
    fn rfc6238_totp_vectors() {
        let v = vectors("totp.json");
        let cases = v["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 18);
        for case in cases {
            let alg =
                HashAlgorithm::parse(case["algorithm"].as_str().expect("alg")).expect("known alg");
            let totp = Totp::new(
                alg,
                &hex(&case["key_hex"]),
                case["digits"].as_u64().expect("digits") as u8,
                case["step"].as_u64().expect("step"),
            )
            .expect("RFC parameters");
            // A T0 other than 0 shifts the clock: the code at `time` is the epoch code at time - T0.
            let time = case["time"].as_u64().expect("time") - case["t0"].as_u64().expect("t0");
            assert_eq!(
                totp.code_at(time),
                case["otp"].as_str().expect("otp"),
                "{case}"
            );
        }
    }

    #[test]
    fn parameters_outside_the_rfcs_are_refused() {
        let key = [7u8; 20];
        for digits in [5, 9] {
            assert!(
                Hotp::new(HashAlgorithm::Sha1, &key, digits).is_err(),
                "{digits}"
            );
            assert!(
                Totp::new(HashAlgorithm::Sha1, &key, digits, 30).is_err(),
                "{digits}"
            );
        }
        // RFC 4226 §4: keys of at least 128 bits.
        assert!(Hotp::new(HashAlgorithm::Sha1, &[7u8; 15], 6).is_err());
        assert!(Hotp::new(HashAlgorithm::Sha1, &[7u8; 16], 6).is_ok());
        assert!(Totp::new(HashAlgorithm::Sha256, &key, 8, 0).is_err());
    }

    #[test]
    fn imported_keys_may_be_80_bits_and_follow_the_same_rules_otherwise() {
        // The Key Uri Format's example secret JBSWY3DPEHPK3PXP is 80 bits; its codes, from
        // oathtool 2.6 (`oathtool --totp -b JBSWY3DPEHPK3PXP -N @1000000000`).
        let key = hex::decode("48656c6c6f21deadbeef").expect("hex");
        assert!(Totp::new(HashAlgorithm::Sha1, &key, 6, 30).is_err());
        let totp = Totp::imported(HashAlgorithm::Sha1, &key, 6, 30).expect("80-bit key");
        assert_eq!(totp.code_at(1_000_000_000), "949556");
        let hotp = Hotp::imported(HashAlgorithm::Sha1, &key, 6).expect("80-bit key");
        assert_eq!(hotp.code(1_000_000_000 / 30), "949556");
        // Under 80 bits, bad digits and a zero step are still refused.
        assert!(Totp::imported(HashAlgorithm::Sha1, &key[..9], 6, 30).is_err());
        assert!(Hotp::imported(HashAlgorithm::Sha1, &key, 5).is_err());
        assert!(Hotp::imported(HashAlgorithm::Sha1, &key, 9).is_err());
        assert!(Totp::imported(HashAlgorithm::Sha1, &key, 6, 0).is_err());
        // A 128-bit key gives the same codes through either constructor.
        let long = [9u8; 20];
        assert_eq!(
            Totp::imported(HashAlgorithm::Sha256, &long, 8, 60)
                .expect("valid")
                .code_at(1_234_567_890),
            Totp::new(HashAlgorithm::Sha256, &long, 8, 60)
                .expect("valid")
                .code_at(1_234_567_890)
        );
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ] {
            assert_eq!(HashAlgorithm::parse(algorithm.name()), Some(algorithm));
        }
        assert_eq!(HashAlgorithm::parse("MD5"), None);
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = *b"0123456789abcdefKEY!";
        let totp = Totp::new(HashAlgorithm::Sha1, &key, 6, 30).expect("valid");
        let hotp = Hotp::new(HashAlgorithm::Sha1, &key, 6).expect("valid");
        for text in [format!("{totp:?}"), format!("{hotp:?}")] {
            assert!(!text.contains("KEY!"), "{text}");
            assert!(!text.contains(&hex::encode(key)), "{text}");
            assert!(!text.contains(&format!("{:?}", &key[..4])), "{text}");
        }
    }
}
