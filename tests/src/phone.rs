//! The desktop virtual phone: a real [`Authenticator`] with its vault in a folder.
//!
//! Folder layout: `vault.bin` (the wrapped vault) and `keystore.key` (the 32-byte key of the
//! software key store, mode 0600) — the desktop stand-in for Android Keystore / Secure Enclave.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use tigr_core::authenticator::{Authenticator, AuthenticatorDeps};
use tigr_core::client::UreqTransport;
use tigr_core::clock::SystemClock;
use tigr_core::keystore::SoftwareKeyStore;
use tigr_core::payload::{PayloadError, QrPayload};
use tigr_core::random::{SecureRandom, SystemRandom};
use tigr_core::vault::FileVaultStore;

/// PBKDF2 iterations the virtual phone uses unless told otherwise (same as real phones).
pub const PHONE_KDF_ITERATIONS: u32 = tigr_core::pin::DEFAULT_PBKDF2_ITERATIONS;

/// Opens (creating if needed) the virtual phone stored in `dir`.
pub fn open_phone(
    dir: &Path,
    language: &str,
    kdf_iterations: u32,
) -> anyhow::Result<Authenticator> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rng: Arc<dyn SecureRandom> = Arc::new(SystemRandom::new());
    let key = load_or_create_key(&dir.join("keystore.key"), rng.as_ref())?;
    let deps = AuthenticatorDeps {
        store: Arc::new(FileVaultStore::new(dir.join("vault.bin"))),
        keystore: Arc::new(SoftwareKeyStore::new(&key, rng.clone())),
        transport: Arc::new(UreqTransport::new()),
        rng,
        clock: Arc::new(SystemClock),
    };
    Ok(Authenticator::new(deps)
        .with_language(language)
        .with_kdf_iterations(kdf_iterations))
}

fn load_or_create_key(path: &Path, rng: &dyn SecureRandom) -> anyhow::Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is damaged (expected 32 bytes)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SoftwareKeyStore::generate_key(rng);
            write_private(path, &key[..])?;
            Ok(*key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Reads a scanned code: the payload text itself, or a PNG/JPEG image file holding the QR.
pub fn read_code(argument: &str) -> anyhow::Result<QrPayload> {
    let path = PathBuf::from(argument);
    if path.is_file() {
        let found = tigr_core::qr::decode_image_file(&path)
            .with_context(|| format!("cannot read the image {}", path.display()))?;
        let mut last_error = None;
        for code in found {
            match QrPayload::parse(&code.text) {
                Ok(payload) => return Ok(payload),
                Err(e) => last_error = Some(e),
            }
        }
        match last_error {
            Some(e) => bail!("the QR code in {} is not a Tigr code: {e}", path.display()),
            None => bail!("no QR code found in {}", path.display()),
        }
    }
    QrPayload::parse(argument).map_err(|e: PayloadError| anyhow::anyhow!(e))
}
