//! One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and OCRA (RFC 6287).
//!
//! All three share one HMAC and one dynamic truncation ([`truncate`]); OCRA is what Tigr uses
//! for offline codes (see [`crate::offline`]).

pub mod ocra;

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

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
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
    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let key = hmac::Key::new(self.hmac_algorithm(), key);
        hmac::sign(&key, data).as_ref().to_vec()
    }
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC to `digits` decimal digits (1 to 10),
/// left-padded with '0'.
pub fn truncate(digest: &[u8], digits: u32) -> String {
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

/// HOTP (RFC 4226): the OTP for `counter`.
pub fn hotp(algorithm: HashAlgorithm, key: &[u8], counter: u64, digits: u32) -> String {
    truncate(&algorithm.hmac(key, &counter.to_be_bytes()), digits)
}

/// TOTP (RFC 6238): the OTP at Unix time `time` with time step `step` seconds from `t0`.
pub fn totp(
    algorithm: HashAlgorithm,
    key: &[u8],
    time: u64,
    step: u64,
    t0: u64,
    digits: u32,
) -> String {
    hotp(
        algorithm,
        key,
        time.saturating_sub(t0) / step.max(1),
        digits,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors(name: &str) -> Value {
        let path = format!("{}/../../shared/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
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
        let cases = v["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 10);
        for case in cases {
            let counter = case["counter"].as_u64().expect("counter");
            assert_eq!(
                HashAlgorithm::Sha1.hmac(&key, &counter.to_be_bytes()),
                hex(&case["hmac_sha1_hex"])
            );
            assert_eq!(
                hotp(HashAlgorithm::Sha1, &key, counter, 6),
                case["otp"].as_str().expect("otp")
            );
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
            let key = hex(&case["key_hex"]);
            let otp = totp(
                alg,
                &key,
                case["time"].as_u64().expect("time"),
                case["step"].as_u64().expect("step"),
                case["t0"].as_u64().expect("t0"),
                case["digits"].as_u64().expect("digits") as u32,
            );
            assert_eq!(otp, case["otp"].as_str().expect("otp"), "{case}");
        }
    }
}
