//! The desktop virtual phone: a real [`Authenticator`] with its vault in a folder, and its
//! [`OtpAccounts`] (the phone as an authenticator app).
//!
//! Folder layout: `vault.bin` (the wrapped vault), `otp.bin` (the wrapped OTP accounts) and
//! `keystore.key` (the 32-byte key of the software key store, mode 0600) — the desktop
//! stand-in for Android Keystore / Secure Enclave.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use tigr_core::authenticator::{Authenticator, AuthenticatorDeps};
use tigr_core::client::UreqTransport;
use tigr_core::clock::SystemClock;
use tigr_core::keystore::SoftwareKeyStore;
use tigr_core::otp::uri::{OtpImport, parse_any};
use tigr_core::otp_accounts::{OtpAccounts, OtpAccountsDeps};
use tigr_core::payload::QrPayload;
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
    let (keystore, rng) = software_key_store(dir)?;
    let deps = AuthenticatorDeps {
        store: Arc::new(FileVaultStore::new(dir.join("vault.bin"))),
        keystore,
        transport: Arc::new(UreqTransport::new()),
        rng,
        clock: Arc::new(SystemClock),
    };
    Ok(Authenticator::new(deps)
        .with_language(language)
        .with_kdf_iterations(kdf_iterations))
}

/// Opens (creating if needed) the OTP accounts of the virtual phone stored in `dir`, wrapped
/// by the same key as its vault.
pub fn open_otp_accounts(dir: &Path) -> anyhow::Result<OtpAccounts> {
    let (keystore, rng) = software_key_store(dir)?;
    Ok(OtpAccounts::new(OtpAccountsDeps {
        store: Arc::new(FileVaultStore::new(dir.join("otp.bin"))),
        keystore,
        rng,
        clock: Arc::new(SystemClock),
    }))
}

/// The software key store of the phone in `dir` (created with the folder and its key if
/// needed), and the random generator it uses.
fn software_key_store(
    dir: &Path,
) -> anyhow::Result<(Arc<SoftwareKeyStore>, Arc<dyn SecureRandom>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rng: Arc<dyn SecureRandom> = Arc::new(SystemRandom::new());
    let key = load_or_create_key(&dir.join("keystore.key"), rng.as_ref())?;
    Ok((Arc::new(SoftwareKeyStore::new(&key, rng.clone())), rng))
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
    read_scanned(argument, "a Tigr code", QrPayload::parse)
}

/// Reads the OTP accounts of a scanned code: an `otpauth://` or `otpauth-migration://` text, or
/// a PNG/JPEG image file holding that QR code (decoded by core's QR decoder).
pub fn read_otp_code(argument: &str) -> anyhow::Result<OtpImport> {
    read_scanned(argument, "an OTP code", parse_any)
}

/// `parse` of `argument`, or of the first QR code in the image file it names that `parse`
/// accepts (the error of the last one otherwise).
fn read_scanned<T, E>(
    argument: &str,
    what: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let path = PathBuf::from(argument);
    if !path.is_file() {
        return Ok(parse(argument)?);
    }
    let found = tigr_core::qr::decode_image_file(&path)
        .with_context(|| format!("cannot read the image {}", path.display()))?;
    let mut last_error = None;
    for code in found {
        match parse(&code.text) {
            Ok(value) => return Ok(value),
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) => Err(anyhow::Error::new(e)
            .context(format!("the QR code in {} is not {what}", path.display()))),
        None => bail!("no QR code found in {}", path.display()),
    }
}
