//! Platform wrapping of the vault (Android Keystore, Secure Enclave / Keychain).
//!
//! The vault is PIN-*masked* (no oracle) and then *wrapped* by a key the platform keeps
//! non-exportable, so that a copied file is useless off the phone. Apps implement [`KeyStore`]
//! (through the mobile bindings); [`SoftwareKeyStore`] serves desktop tools and tests.

use std::sync::Arc;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::random::SecureRandom;

/// A failure of the platform key store (locked device, key invalidated, hardware error...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key store: {0}")]
pub struct KeyStoreError(pub String);

/// Wraps and unwraps the vault with a key that never leaves the platform.
pub trait KeyStore: Send + Sync {
    /// Encrypts (and authenticates) `plaintext`.
    fn wrap(&self, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    /// Reverses [`KeyStore::wrap`]; fails if the data was not wrapped by this store.
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError>;
}

/// AES-256-GCM under a key held in memory (loaded by the caller from wherever it keeps it).
/// Wrapped form: 12-byte random nonce, then ciphertext and tag.
pub struct SoftwareKeyStore {
    key: LessSafeKey,
    rng: Arc<dyn SecureRandom>,
}

impl std::fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftwareKeyStore(<redacted>)")
    }
}

const WRAP_AAD: &[u8] = b"tigr/vault-wrap/v1";

impl SoftwareKeyStore {
    /// A store using `key` (32 bytes).
    pub fn new(key: &[u8; 32], rng: Arc<dyn SecureRandom>) -> Self {
        // A 32-byte key is always accepted by AES-256.
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 key length is 32");
        Self {
            key: LessSafeKey::new(unbound),
            rng,
        }
    }

    /// A fresh random 32-byte wrapping key.
    pub fn generate_key(rng: &dyn SecureRandom) -> Zeroizing<[u8; 32]> {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill(&mut key[..]);
        key
    }
}

impl KeyStore for SoftwareKeyStore {
    fn wrap(&self, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce);
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(WRAP_AAD),
                &mut buffer,
            )
            .map_err(|_| KeyStoreError("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(out)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
        if wrapped.len() < NONCE_LEN {
            return Err(KeyStoreError("wrapped data too short".into()));
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| KeyStoreError("bad nonce".into()))?;
        let mut buffer = Zeroizing::new(sealed.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(WRAP_AAD), &mut buffer)
            .map_err(|_| KeyStoreError("the vault was not wrapped by this key".into()))?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn wrap_round_trip_and_foreign_key_refused() {
        let rng: Arc<dyn SecureRandom> = Arc::new(SeededRandom::new(5));
        let store = SoftwareKeyStore::new(&[1u8; 32], rng.clone());
        let wrapped = store.wrap(b"vault").expect("wrap");
        assert_eq!(&store.unwrap(&wrapped).expect("unwrap")[..], b"vault");
        let other = SoftwareKeyStore::new(&[2u8; 32], rng);
        assert!(other.unwrap(&wrapped).is_err());
        assert!(store.unwrap(&wrapped[..5]).is_err());
    }
}
