//! Random identifiers: challenge ids, nonces, enrollment codes and device ids.
//!
//! Each is 128 bits from a CSPRNG, written as 26 characters of RFC 4648 base32
//! (upper case, no padding), which QR encoders and URLs carry without escaping.

use crate::random::SecureRandom;

/// Length in characters of an encoded identifier.
pub const ID_LEN: usize = 26;

/// Number of random bytes behind an identifier.
pub const ID_BYTES: usize = 16;

const ALPHABET: base32::Alphabet = base32::Alphabet::Rfc4648 { padding: false };

/// A fresh 128-bit identifier.
pub fn random_id(rng: &dyn SecureRandom) -> String {
    let mut bytes = [0u8; ID_BYTES];
    rng.fill(&mut bytes);
    base32::encode(ALPHABET, &bytes)
}

/// True when `text` is a well-formed identifier (26 base32 characters decoding to 16 bytes).
pub fn is_valid_id(text: &str) -> bool {
    text.len() == ID_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        && base32::decode(ALPHABET, text).is_some_and(|bytes| bytes.len() == ID_BYTES)
}

/// True when `text` is an acceptable account identifier ("Tigr ID"):
/// 1 to 64 characters of lower-case ASCII letters, digits, '.', '_' or '-',
/// starting with a letter or digit.
pub fn is_valid_account(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && text
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let rng = SeededRandom::new(7);
        let a = random_id(&rng);
        let b = random_id(&rng);
        assert_eq!(a.len(), ID_LEN);
        assert!(is_valid_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxyz"));
        assert!(!is_valid_id("AAAAAAAAAAAAAAAAAAAAAAAAA1"));
        assert!(!is_valid_id("AAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    }

    #[test]
    fn account_rules() {
        assert!(is_valid_account("alice"));
        assert!(is_valid_account("dr.martin-2"));
        assert!(!is_valid_account("Alice"));
        assert!(!is_valid_account("-alice"));
        assert!(!is_valid_account("al ice"));
        assert!(!is_valid_account(&"a".repeat(65)));
    }
}
