//! The phone's vault: one entry per enrolled account, with its secrets *masked* by the PIN.
//!
//! No PIN oracle (docs/protocol.md §6): the approval key's scalar is stored as
//! `k + m1 mod n` and the offline secret as `s XOR m2`, where `m1 || m2` are derived from the
//! PIN ([`crate::pin`]). Every PIN unmasks to a valid P-256 key and a 32-byte secret; only the
//! server, which holds the public key and the real secret, can tell a wrong one. Nothing in the
//! vault depends on the real key in a checkable way: no PIN hash, no public key of the approval
//! key, no AEAD tag under a PIN key. The whole vault is then wrapped by a [`crate::keystore`].

use std::path::PathBuf;

use p256::elliptic_curve::ops::Reduce;
use p256::{FieldBytes, Scalar, U256};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::offline::OFFLINE_SECRET_LEN;
use crate::pin::KdfParams;
use crate::signing::DeviceKey;
use crate::wire::{b64_decode, b64_encode};

/// Current vault format version.
pub const VAULT_VERSION: u32 = 1;

/// One enrolled account, as stored (all binary fields base64url).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// Server origin, e.g. `https://auth.example.fr`.
    pub origin: String,
    /// Tigr ID.
    pub account: String,
    /// Holder's display name.
    pub display_name: String,
    /// Service name given at enrollment.
    pub service_name: String,
    /// Device identifier given by the server.
    pub device_id: String,
    /// OCRA suite of offline codes.
    pub ocra_suite: String,
    /// When this phone was enrolled (Unix seconds).
    pub enrolled_at: i64,
    /// PIN derivation parameters.
    pub kdf: KdfParams,
    /// Approval key scalar plus the PIN mask, mod n.
    pub masked_approval_key: String,
    /// Offline secret XOR the PIN mask.
    pub masked_offline_secret: String,
    /// Identity key scalar (not PIN-protected; signs "this wasn't me").
    pub identity_key: String,
}

impl std::fmt::Debug for AccountEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountEntry")
            .field("origin", &self.origin)
            .field("account", &self.account)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Secrets unmasked with a PIN (right or wrong: they cannot tell), zeroized on drop.
#[derive(Debug)]
pub struct UnlockedSecrets {
    /// The approval key.
    pub approval_key: DeviceKey,
    /// The offline OCRA secret.
    pub offline_secret: Zeroizing<[u8; OFFLINE_SECRET_LEN]>,
}

/// Why vault data cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// Stored data is malformed (not produced by this code, or damaged).
    #[error("vault data is damaged: {0}")]
    Corrupt(String),
    /// The storage layer failed.
    #[error("vault storage: {0}")]
    Storage(String),
}

fn scalar_from(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(*bytes))
}

fn decode32(field: &str, name: &str) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let bytes = Zeroizing::new(
        b64_decode(field).ok_or_else(|| VaultError::Corrupt(format!("{name} encoding")))?,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(VaultError::Corrupt(format!("{name} length")));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Masks `approval_key` and `offline_secret` with `masks` (from the PIN).
pub fn mask(
    approval_key: &DeviceKey,
    offline_secret: &[u8; OFFLINE_SECRET_LEN],
    masks: &[u8; 64],
) -> (String, String) {
    let mut m1 = Zeroizing::new([0u8; 32]);
    m1.copy_from_slice(&masks[..32]);
    let masked_key = scalar_from(&approval_key.scalar()) + scalar_from(&m1);
    let mut masked_secret = Zeroizing::new([0u8; OFFLINE_SECRET_LEN]);
    for (i, byte) in masked_secret.iter_mut().enumerate() {
        *byte = offline_secret[i] ^ masks[32 + i];
    }
    (
        b64_encode(&masked_key.to_bytes()),
        b64_encode(&masked_secret[..]),
    )
}

impl AccountEntry {
    /// Unmasks the secrets with `pin`. A wrong PIN gives different, equally valid secrets.
    pub fn unlock(&self, pin: &str) -> Result<UnlockedSecrets, VaultError> {
        let masks = self.kdf.derive(pin).map_err(VaultError::Corrupt)?;
        let masked_key = decode32(&self.masked_approval_key, "approval key")?;
        let masked_secret = decode32(&self.masked_offline_secret, "offline secret")?;
        let mut m1 = Zeroizing::new([0u8; 32]);
        m1.copy_from_slice(&masks[..32]);
        let scalar = scalar_from(&masked_key) - scalar_from(&m1);
        let mut scalar_bytes = Zeroizing::new([0u8; 32]);
        scalar_bytes.copy_from_slice(&scalar.to_bytes());
        // Zero happens with probability 2^-256: treat it as damage rather than as a PIN verdict.
        let approval_key = DeviceKey::from_scalar(&scalar_bytes)
            .ok_or_else(|| VaultError::Corrupt("approval key".into()))?;
        let mut offline_secret = Zeroizing::new([0u8; OFFLINE_SECRET_LEN]);
        for (i, byte) in offline_secret.iter_mut().enumerate() {
            *byte = masked_secret[i] ^ masks[32 + i];
        }
        Ok(UnlockedSecrets {
            approval_key,
            offline_secret,
        })
    }

    /// The identity key (signs denials; no PIN).
    pub fn identity_key(&self) -> Result<DeviceKey, VaultError> {
        let scalar = decode32(&self.identity_key, "identity key")?;
        DeviceKey::from_scalar(&scalar).ok_or_else(|| VaultError::Corrupt("identity key".into()))
    }
}

/// Everything the vault holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultContents {
    /// Format version ([`VAULT_VERSION`]).
    pub version: u32,
    /// Enrolled accounts.
    pub accounts: Vec<AccountEntry>,
}

impl Default for VaultContents {
    fn default() -> Self {
        Self {
            version: VAULT_VERSION,
            accounts: Vec::new(),
        }
    }
}

impl VaultContents {
    /// Serialized form (before wrapping).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        // Serializing plain strings and integers cannot fail.
        Zeroizing::new(serde_json::to_vec(self).expect("vault serializes"))
    }

    /// Parses the serialized form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        let contents: Self =
            serde_json::from_slice(bytes).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        if contents.version != VAULT_VERSION {
            return Err(VaultError::Corrupt(format!(
                "unknown vault version {}",
                contents.version
            )));
        }
        Ok(contents)
    }
}

/// Where the wrapped vault is kept (an app-private file, or memory in tests).
pub trait VaultStore: Send + Sync {
    /// The stored bytes, or `None` before the first save.
    fn load(&self) -> Result<Option<Vec<u8>>, VaultError>;
    /// Replaces the stored bytes atomically (all or nothing, even on crash).
    fn save(&self, bytes: &[u8]) -> Result<(), VaultError>;
}

/// A vault in one file, replaced atomically (write to a temporary file, fsync, rename).
#[derive(Debug, Clone)]
pub struct FileVaultStore {
    path: PathBuf,
}

impl FileVaultStore {
    /// A store at `path` (its folder is created on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl VaultStore for FileVaultStore {
    fn load(&self) -> Result<Option<Vec<u8>>, VaultError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(VaultError::Storage(format!("{}: {e}", self.path.display()))),
        }
    }

    fn save(&self, bytes: &[u8]) -> Result<(), VaultError> {
        use std::io::Write as _;
        let storage =
            |e: std::io::Error| VaultError::Storage(format!("{}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(storage)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut file = std::fs::File::create(&tmp).map_err(storage)?;
        file.write_all(bytes).map_err(storage)?;
        file.sync_all().map_err(storage)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(storage)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// A vault in memory, for tests and ephemeral use.
#[derive(Debug, Default)]
pub struct MemoryVaultStore(std::sync::Mutex<Option<Vec<u8>>>);

impl VaultStore for MemoryVaultStore {
    fn load(&self) -> Result<Option<Vec<u8>>, VaultError> {
        Ok(self
            .0
            .lock()
            .map_err(|_| VaultError::Storage("poisoned".into()))?
            .clone())
    }

    fn save(&self, bytes: &[u8]) -> Result<(), VaultError> {
        *self
            .0
            .lock()
            .map_err(|_| VaultError::Storage("poisoned".into()))? = Some(bytes.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{SecureRandom, SeededRandom};
    use crate::signing::{ChallengeBinding, Decision, message, verify};

    fn entry(rng: &SeededRandom, key: &DeviceKey, secret: &[u8; 32], pin: &str) -> AccountEntry {
        let kdf = KdfParams::generate(rng, 10);
        let masks = kdf.derive(pin).expect("derive");
        let (masked_approval_key, masked_offline_secret) = mask(key, secret, &masks);
        AccountEntry {
            origin: "https://a.fr".into(),
            account: "alice".into(),
            display_name: "Alice".into(),
            service_name: "Tigr".into(),
            device_id: "D".into(),
            ocra_suite: crate::offline::OFFLINE_SUITE.into(),
            enrolled_at: 0,
            kdf,
            masked_approval_key,
            masked_offline_secret,
            identity_key: b64_encode(&[5u8; 32]),
        }
    }

    #[test]
    fn right_pin_restores_secrets_wrong_pin_gives_other_valid_ones() {
        let rng = SeededRandom::new(11);
        let mut scalar = [0u8; 32];
        rng.fill(&mut scalar);
        let key = DeviceKey::from_scalar(&scalar).expect("scalar");
        let secret = [42u8; 32];
        let e = entry(&rng, &key, &secret, "2580");

        let good = e.unlock("2580").expect("unlock");
        assert_eq!(good.approval_key.public_key(), key.public_key());
        assert_eq!(*good.offline_secret, secret);

        let binding = ChallengeBinding {
            origin: "https://a.fr",
            challenge_id: "C",
            nonce: "N",
            account: "alice",
            device_id: "D",
        };
        let msg = message(Decision::Approve, &binding);
        // Every wrong PIN still unlocks (no oracle) but signs with another key.
        for pin in ["0000", "2581", "9999", "25800"] {
            let bad = e.unlock(pin).expect("a wrong PIN still unlocks");
            assert_ne!(bad.approval_key.public_key(), key.public_key());
            assert_ne!(*bad.offline_secret, secret);
            assert!(!verify(
                &key.public_key(),
                &msg,
                &bad.approval_key.sign(&msg)
            ));
        }
    }

    #[test]
    fn vault_holds_no_pin_verifier() {
        let rng = SeededRandom::new(12);
        let key = DeviceKey::from_scalar(&[3u8; 32]).expect("scalar");
        let e = entry(&rng, &key, &[1u8; 32], "2580");
        let contents = VaultContents {
            version: VAULT_VERSION,
            accounts: vec![e],
        };
        let text = String::from_utf8(contents.to_bytes().to_vec()).expect("utf8");
        // The approval public key would let anyone test PIN guesses offline.
        assert!(!text.contains(&b64_encode(&key.public_key())));
        assert!(!text.contains(&b64_encode(&key.public_key()[1..33])));
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        let fields: Vec<&str> = value["accounts"][0]
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        for forbidden in [
            "pin_hash",
            "verifier",
            "check",
            "tag",
            "approval_public_key",
        ] {
            assert!(!fields.contains(&forbidden), "{forbidden}");
        }
    }

    #[test]
    fn file_store_round_trip_and_corruption() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileVaultStore::new(dir.path().join("sub/vault.bin"));
        assert_eq!(store.load().expect("load"), None);
        store.save(b"one").expect("save");
        store.save(b"two").expect("save");
        assert_eq!(store.load().expect("load").as_deref(), Some(&b"two"[..]));
        assert!(VaultContents::from_bytes(b"not json").is_err());
        assert!(VaultContents::from_bytes(br#"{"version":9,"accounts":[]}"#).is_err());
    }
}
