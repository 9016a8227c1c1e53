//! The platform key store, as a foreign trait, and its bridge to core.
//!
//! Apps implement [`KeyProtector`] with a key that never leaves the platform (Android Keystore
//! AES-GCM key, iOS Secure Enclave / Keychain). Core knows only its own plain
//! [`KeyStore`] trait: [`ProtectorKeyStore`] adapts one to the other, so core never depends on
//! uniffi (the bitwarden sdk-internal pattern). A protector that fails — with a
//! [`KeyProtectorError`] or with any unexpected exception — gives [`crate::TigrError::KeyStore`],
//! never a crash.
//!
//! Without a protector, [`software_key_store`] keeps a random 32-byte key in a file beside the
//! vault: the fallback for desktop tools and tests, which protects nothing on a real phone.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use tigr_core::keystore::{KeyStore, KeyStoreError, SoftwareKeyStore};
use tigr_core::random::SystemRandom;
use zeroize::Zeroizing;

use crate::error::TigrError;

/// Why a `KeyProtector` call failed (Kotlin: `KeyProtectorException.Failed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum KeyProtectorError {
    /// The platform refused (device locked, key invalidated, hardware error...).
    #[error("{reason}")]
    Failed {
        /// What went wrong; must not contain key material.
        reason: String,
    },
}

/// A foreign callback threw something other than a `KeyProtectorError`: still an error,
/// never a crash.
impl From<uniffi::UnexpectedUniFFICallbackError> for KeyProtectorError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed {
            reason: format!("unexpected key protector failure: {}", e.reason),
        }
    }
}

/// Encrypts and decrypts the app's vault with a key held by the platform.
///
/// `wrap` must authenticate what it encrypts (AES-GCM, for instance), and `unwrap` must
/// reverse it and fail on anything else. Both are called on the thread that called the SDK
/// (never the main thread if the app follows the threading rule).
#[uniffi::export(with_foreign)]
pub trait KeyProtector: Send + Sync {
    /// Encrypts `plaintext` (the whole vault, a few KiB).
    fn wrap(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError>;
    /// Decrypts what `KeyProtector.wrap` produced.
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError>;
}

/// Core's `KeyStore` implemented by an app's `KeyProtector`.
pub(crate) struct ProtectorKeyStore(pub(crate) Arc<dyn KeyProtector>);

impl std::fmt::Debug for ProtectorKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProtectorKeyStore")
    }
}

/// Runs a protector call; a Rust implementation that panics is a failure like any other.
fn guarded(
    call: impl FnOnce() -> Result<Vec<u8>, KeyProtectorError>,
) -> Result<Vec<u8>, KeyStoreError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(KeyProtectorError::Failed { reason })) => Err(KeyStoreError(reason)),
        Err(_) => Err(KeyStoreError("the key protector panicked".into())),
    }
}

impl KeyStore for ProtectorKeyStore {
    fn wrap(&self, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        // The copy handed to the platform cannot be zeroized from here once it crossed the FFI.
        guarded(|| self.0.wrap(plaintext.to_vec()))
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
        guarded(|| self.0.unwrap(wrapped.to_vec())).map(Zeroizing::new)
    }
}

/// File name of the software wrapping key inside the storage folder.
pub const SOFTWARE_KEY_FILE: &str = "keystore.key";

/// The software key store of `dir`: its key is read from `dir/keystore.key`, or created there
/// (32 random bytes, mode 0600) the first time.
pub(crate) fn software_key_store(dir: &Path) -> Result<SoftwareKeyStore, TigrError> {
    let rng = Arc::new(SystemRandom::new());
    let path = dir.join(SOFTWARE_KEY_FILE);
    let storage = |detail: String| TigrError::Storage {
        detail: format!("{}: {detail}", path.display()),
    };
    let key = match std::fs::read(&path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let mut key = Zeroizing::new([0u8; 32]);
            if bytes.len() != key.len() {
                return Err(storage("not a 32-byte key".into()));
            }
            key.copy_from_slice(&bytes);
            key
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SoftwareKeyStore::generate_key(rng.as_ref());
            write_private(&path, &key[..]).map_err(|e| storage(e.to_string()))?;
            key
        }
        Err(e) => return Err(storage(e.to_string())),
    };
    Ok(SoftwareKeyStore::new(&key, rng))
}

/// Creates `path` with `bytes`, readable only by its owner; fails if it already exists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;
    impl KeyProtector for Failing {
        fn wrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
            Err(KeyProtectorError::Failed {
                reason: "locked".into(),
            })
        }
        fn unwrap(&self, _: Vec<u8>) -> Result<Vec<u8>, KeyProtectorError> {
            panic!("boom")
        }
    }

    #[test]
    fn failures_and_panics_become_key_store_errors() {
        let store = ProtectorKeyStore(Arc::new(Failing));
        assert_eq!(store.wrap(b"x"), Err(KeyStoreError("locked".into())));
        assert!(store.unwrap(b"x").is_err());
    }

    #[test]
    fn unexpected_callback_errors_convert() {
        let e: KeyProtectorError =
            uniffi::UnexpectedUniFFICallbackError::new("RuntimeException").into();
        assert!(matches!(e, KeyProtectorError::Failed { reason } if reason.contains("Runtime")));
    }

    #[test]
    fn software_key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wrapped = software_key_store(dir.path())
            .expect("create")
            .wrap(b"vault")
            .expect("wrap");
        let again = software_key_store(dir.path()).expect("reload");
        assert_eq!(&again.unwrap(&wrapped).expect("unwrap")[..], b"vault");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(SOFTWARE_KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(SOFTWARE_KEY_FILE), b"short").expect("write");
        assert!(software_key_store(dir.path()).is_err());
    }
}
