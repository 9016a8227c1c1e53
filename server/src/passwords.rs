//! Password hashing: argon2id (RFC 9106) through the `argon2` crate, stored as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so that each hash carries the
//! parameters it was made with and stronger parameters apply to new hashes without a
//! migration.
//!
//! Parameters: 19 MiB of memory, 2 passes, 1 lane (the first of the OWASP Password Storage
//! Cheat Sheet's equivalent argon2id settings), a 16-byte random salt, a 32-byte output.
//! Their cost is measured by `cargo run --release -p tigr-tests --bin tigr-otp-bench`
//! and stated in docs/benchmarks.md and docs/security.md.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tigr_core::random::SecureRandom;
use zeroize::Zeroizing;

/// Memory of one hash, in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Lanes (the server hashes one password per request on one core).
pub const LANES: u32 = 1;
/// Bytes of random salt.
const SALT_BYTES: usize = 16;
/// Bytes of output.
const OUTPUT_BYTES: usize = 32;

/// Hashes and checks passwords. Holds a hash of a random password, checked instead when an
/// account has no password, so that every Tigr ID typed costs one argon2id computation.
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    stand_in: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(argon2id)")
    }
}

impl PasswordHasher {
    /// A hasher with the parameters above; `random` makes salts and the stand-in password.
    pub fn new(random: &dyn SecureRandom) -> Self {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_BYTES))
            .expect("the argon2id parameters are within bounds");
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut stand_in_password = Zeroizing::new([0u8; 32]);
        random.fill(stand_in_password.as_mut_slice());
        let mut hasher = Self {
            argon2,
            stand_in: String::new(),
        };
        hasher.stand_in = hasher.hash(stand_in_password.as_slice(), random);
        hasher
    }

    /// The PHC string of `password` with a fresh salt.
    pub fn hash(&self, password: &[u8], random: &dyn SecureRandom) -> String {
        let mut salt = [0u8; SALT_BYTES];
        random.fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        self.argon2
            .hash_password(password, &salt)
            .expect("argon2id hashes any password with valid parameters")
            .to_string()
    }

    /// True when `password` matches the PHC string `stored`; with `None` (no password set),
    /// the stand-in hash is checked (same work) and the answer is false.
    pub fn verify(&self, password: &[u8], stored: Option<&str>) -> bool {
        let (phc, real) = match stored {
            Some(phc) => (phc, true),
            None => (self.stand_in.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            tracing::error!("a stored password hash is not a valid PHC string");
            return false;
        };
        let matches = self.argon2.verify_password(password, &parsed).is_ok();
        matches && real
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::random::SystemRandom;

    #[test]
    fn hashes_are_salted_argon2id_phc_strings_that_verify() {
        let random = SystemRandom::new();
        let hasher = PasswordHasher::new(&random);
        let a = hasher.hash(b"tranquille chevreuil", &random);
        let b = hasher.hash(b"tranquille chevreuil", &random);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "fresh salt each time");
        assert!(hasher.verify(b"tranquille chevreuil", Some(&a)));
        assert!(!hasher.verify(b"tranquille chevreuiL", Some(&a)));
        assert!(!hasher.verify(b"tranquille chevreuil", Some("not a phc string")));
        assert!(
            !hasher.verify(b"anything", None),
            "no password: never a match"
        );
        assert_eq!(format!("{hasher:?}"), "PasswordHasher(argon2id)");
    }
}
