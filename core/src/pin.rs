//! PIN rules and the PIN key derivation (PBKDF2-HMAC-SHA-256 from `ring`).
//!
//! The derived bytes are *masks*, not keys with a check value: any PIN unmasks the vault into
//! valid-looking secrets, and only the server can tell a wrong PIN (see [`crate::vault`]).
//!
//! Iteration count: [`DEFAULT_PBKDF2_ITERATIONS`] = 100,000, calibrated so that one unlock takes
//! about 41 ms on one core of this project's 2-core x86-64 build machine (criterion median,
//! `cargo bench -p tigr-core --bench core`) and roughly 2 to 4 times that on a mid-range phone (see
//! docs/benchmarks.md). Higher counts barely help: without an oracle on the phone an attacker
//! must guess against the server, which blocks after 5 failures; the count only slows an
//! attacker who holds both a copied vault and the server's public key database. The count is
//! stored with each account, so it can be raised for new enrollments without breaking old ones.

use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use zeroize::Zeroizing;

use crate::random::SecureRandom;

/// PBKDF2 iterations for new enrollments.
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 100_000;
/// Fewest digits in a PIN.
pub const MIN_PIN_DIGITS: usize = 4;
/// Most digits in a PIN.
pub const MAX_PIN_DIGITS: usize = 12;
/// Bytes of mask derived from a PIN: 32 for the approval key, 32 for the offline secret.
pub const MASK_LEN: usize = 64;

/// Why a PIN is refused when it is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not only digits, or too short / too long.
    #[error("the PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")]
    Format,
    /// The two entries differ.
    #[error("the two PINs differ")]
    Mismatch,
    /// All digits equal or a run like 1234 (only checked when a PIN is chosen).
    #[error("the PIN is too easy to guess")]
    TooSimple,
}

/// Checks the form of a PIN (digits only, length).
pub fn check_format(pin: &str) -> Result<(), PinError> {
    let ok = (MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&pin.len())
        && pin.bytes().all(|b| b.is_ascii_digit());
    if ok { Ok(()) } else { Err(PinError::Format) }
}

/// Checks a newly chosen PIN and its confirmation.
pub fn check_new_pin(pin: &str, confirmation: &str) -> Result<(), PinError> {
    check_format(pin)?;
    if pin != confirmation {
        return Err(PinError::Mismatch);
    }
    let digits: Vec<i16> = pin.bytes().map(|b| i16::from(b - b'0')).collect();
    let steps: Vec<i16> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    let constant_step =
        steps.windows(2).all(|w| w[0] == w[1]) && steps.first().is_some_and(|s| s.abs() <= 1);
    if constant_step {
        return Err(PinError::TooSimple);
    }
    Ok(())
}

/// Parameters of the PIN derivation, stored with each account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `pbkdf2-hmac-sha256` today.
    pub algorithm: String,
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// 16-byte random salt, base64url.
    pub salt: String,
}

impl KdfParams {
    /// Fresh parameters with a random salt.
    pub fn generate(rng: &dyn SecureRandom, iterations: u32) -> Self {
        let mut salt = [0u8; 16];
        rng.fill(&mut salt);
        Self {
            algorithm: "pbkdf2-hmac-sha256".to_owned(),
            iterations: iterations.max(1),
            salt: crate::wire::b64_encode(&salt),
        }
    }

    /// Derives the masks for `pin`. Any PIN gives masks; there is nothing to compare them with.
    pub fn derive(&self, pin: &str) -> Result<Zeroizing<[u8; MASK_LEN]>, String> {
        if self.algorithm != "pbkdf2-hmac-sha256" {
            return Err(format!("unknown PIN derivation {}", self.algorithm));
        }
        let salt = crate::wire::b64_decode(&self.salt).ok_or("malformed PIN salt")?;
        let iterations = NonZeroU32::new(self.iterations).ok_or("zero PIN iterations")?;
        let mut out = Zeroizing::new([0u8; MASK_LEN]);
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            pin.as_bytes(),
            &mut out[..],
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn pin_rules() {
        assert_eq!(check_new_pin("2580", "2580"), Ok(()));
        assert_eq!(check_new_pin("258", "258"), Err(PinError::Format));
        assert_eq!(check_new_pin("25a0", "25a0"), Err(PinError::Format));
        assert_eq!(check_new_pin("2580", "2581"), Err(PinError::Mismatch));
        assert_eq!(check_new_pin("1111", "1111"), Err(PinError::TooSimple));
        assert_eq!(check_new_pin("1234", "1234"), Err(PinError::TooSimple));
        assert_eq!(check_new_pin("9876", "9876"), Err(PinError::TooSimple));
        assert_eq!(check_new_pin("1357", "1357"), Ok(()));
    }

    #[test]
    fn derivation_depends_on_pin_and_salt() {
        let rng = SeededRandom::new(3);
        let a = KdfParams::generate(&rng, 10);
        let b = KdfParams::generate(&rng, 10);
        let m1 = a.derive("2580").expect("derive");
        assert_eq!(*m1, *a.derive("2580").expect("derive"));
        assert_ne!(*m1, *a.derive("2581").expect("derive"));
        assert_ne!(*m1, *b.derive("2580").expect("derive"));
    }
}
