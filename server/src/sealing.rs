//! Secrets at rest: the master key, AES-256-GCM sealing of offline secrets, and hashes of
//! bearer values (browser tokens, enrollment codes) that the database keeps instead of them.
//!
//! The master key never enters the database. It comes from `TIGR_MASTER_KEY` or from a key
//! file (base64url text, mode 0600) that is generated on first start.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use tigr_core::random::SecureRandom;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of the master key in bytes.
pub const MASTER_KEY_LEN: usize = 32;

/// Domain-separation prefix of the associated data of a sealed offline secret.
const OFFLINE_SECRET_AAD: &[u8] = b"tigr/offline-secret/v1";
/// Domain-separation prefix of the associated data of a sealed OpenID Connect signing key.
const SIGNING_KEY_AAD: &[u8] = b"tigr/oidc-signing-key/v1";
/// Domain-separation prefix of the associated data of a sealed TOTP/HOTP token secret.
const TOKEN_SECRET_AAD: &[u8] = b"tigr/otp-token-secret/v1";
/// Associated data of the key-check value.
const KEY_CHECK_AAD: &[u8] = b"tigr/key-check/v1";
/// Plaintext of the key-check value.
const KEY_CHECK_PLAINTEXT: &[u8] = b"tigr master key check";
/// Label of the key derived from the master key for the keys of Tigr IDs typed into the
/// offline form.
const TIGR_ID_KEY_LABEL: &[u8] = b"tigr/offline-tigr-id/v1";

/// Label of the key derived from the master key for [`SecretSealer::email_code_mac`].
const EMAIL_CODE_KEY_LABEL: &[u8] = b"tigr/email-code/v1";

/// Problems with the master key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The configured text is not a base64url 32-byte key.
    #[error("{0} is not a base64url-encoded 32-byte key")]
    Malformed(String),
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// The 32-byte key that encrypts offline secrets. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; MASTER_KEY_LEN]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh key from the CSPRNG.
    pub fn generate(rng: &dyn SecureRandom) -> Self {
        let mut bytes = [0u8; MASTER_KEY_LEN];
        rng.fill(&mut bytes);
        Self(bytes)
    }

    /// Parses base64url (padding and surrounding whitespace tolerated). `what` names the
    /// source in the error, e.g. `TIGR_MASTER_KEY`.
    pub fn from_base64(text: &str, what: &str) -> Result<Self, KeyError> {
        let trimmed = text.trim().trim_end_matches('=');
        let bytes = Zeroizing::new(
            tigr_core::wire::b64_decode(trimmed)
                .ok_or_else(|| KeyError::Malformed(what.to_owned()))?,
        );
        let array: [u8; MASTER_KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Malformed(what.to_owned()))?;
        Ok(Self(array))
    }

    /// Unpadded base64url text of the key.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(tigr_core::wire::b64_encode(&self.0))
    }
}

/// Where the master key came from, for the startup log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFileOutcome {
    /// An existing key file was read.
    Loaded,
    /// No key file existed: a new key was generated and written.
    Generated,
}

/// Reads the key file, or generates a key and writes it (parent directories created 0700,
/// the file 0600, never overwriting an existing file).
pub fn load_or_create_key_file(
    path: &Path,
    rng: &dyn SecureRandom,
) -> Result<(MasterKey, KeyFileOutcome), KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    match fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| KeyError::Malformed(format!("master key file {}", path.display())))?;
            let key = MasterKey::from_base64(text, &format!("master key file {}", path.display()))?;
            warn_if_readable_by_others(path);
            Ok((key, KeyFileOutcome::Loaded))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // The data folder, often shared with the database: for its owner only.
                let mut folder = fs::DirBuilder::new();
                folder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt as _;
                    folder.mode(0o700);
                }
                folder.create(parent).map_err(io)?;
            }
            let key = MasterKey::generate(rng);
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options.open(path).map_err(io)?;
            let mut text = key.to_base64();
            text.push('\n');
            file.write_all(text.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok((key, KeyFileOutcome::Generated))
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the master key file is readable by other users; restrict it with chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// A sealed value could not be opened: wrong key, wrong owner, or corrupted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sealed secret cannot be opened with this master key")]
pub struct OpenError;

/// AES-256-GCM under the master key, for the offline secrets of devices.
///
/// Sealed form: `nonce (12 bytes) || ciphertext || tag (16 bytes)`. The associated data binds
/// the secret to its account and device, so a row copied onto another device does not open.
pub struct SecretSealer {
    key: LessSafeKey,
    /// HMAC-SHA256 key of [`SecretSealer::tigr_id_key`], derived from the master key.
    id_key: ring::hmac::Key,
    /// HMAC-SHA256 key of [`SecretSealer::email_code_mac`], derived from the master key.
    email_code_key: ring::hmac::Key,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer(<redacted>)")
    }
}

impl SecretSealer {
    /// A sealer under `key`.
    pub fn new(key: &MasterKey) -> Self {
        let unbound =
            UnboundKey::new(&AES_256_GCM, &key.0).expect("AES-256-GCM accepts 32-byte keys");
        let derived = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.0),
            TIGR_ID_KEY_LABEL,
        );
        let master = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.0);
        let email = ring::hmac::sign(&master, EMAIL_CODE_KEY_LABEL);
        Self {
            key: LessSafeKey::new(unbound),
            id_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
            email_code_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, email.as_ref()),
        }
    }

    /// The key under which the offline channel's record of a (normalised) Tigr ID is
    /// stored: an HMAC of the ID under a key derived from the master key, so that the
    /// database holds no ID typed by anyone, and a copy of it cannot tell which were typed.
    pub fn tigr_id_key(&self, tigr_id: &str) -> [u8; 32] {
        let tag = ring::hmac::sign(&self.id_key, tigr_id.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// What the database keeps of an e-mail code: an HMAC of account and code under a key
    /// derived from the master key (a plain hash of six digits is found by trying them
    /// all; this one needs the master key, which is not in the database).
    pub fn email_code_mac(&self, account: &str, code: &str) -> [u8; 32] {
        let mut message = Vec::with_capacity(account.len() + code.len() + 1);
        message.extend_from_slice(account.as_bytes());
        message.push(0);
        message.extend_from_slice(code.as_bytes());
        let tag = ring::hmac::sign(&self.email_code_key, &message);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Encrypts the offline secret of `device_id` (of `account`).
    pub fn seal_offline_secret(
        &self,
        rng: &dyn SecureRandom,
        account: &str,
        device_id: &str,
        secret: &[u8],
    ) -> Vec<u8> {
        self.seal(rng, &offline_aad(account, device_id), secret)
    }

    /// Decrypts what [`SecretSealer::seal_offline_secret`] produced for the same owner.
    pub fn open_offline_secret(
        &self,
        account: &str,
        device_id: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        self.open(&offline_aad(account, device_id), sealed)
    }

    /// Encrypts the private key (PKCS#8) of the OpenID Connect signing key `kid`.
    pub fn seal_signing_key(&self, rng: &dyn SecureRandom, kid: &str, pkcs8: &[u8]) -> Vec<u8> {
        self.seal(rng, &signing_key_aad(kid), pkcs8)
    }

    /// Decrypts what [`SecretSealer::seal_signing_key`] produced for the same `kid`.
    pub fn open_signing_key(
        &self,
        kid: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        self.open(&signing_key_aad(kid), sealed)
    }

    /// Encrypts the shared secret of the TOTP/HOTP token `serial` (hardware or app).
    pub fn seal_token_secret(
        &self,
        rng: &dyn SecureRandom,
        serial: &str,
        secret: &[u8],
    ) -> Vec<u8> {
        self.seal(rng, &token_aad(serial), secret)
    }

    /// Decrypts what [`SecretSealer::seal_token_secret`] produced for the same `serial`.
    pub fn open_token_secret(
        &self,
        serial: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        self.open(&token_aad(serial), sealed)
    }

    /// A value stored in the database that only this key opens, so that starting with the
    /// wrong key fails loudly instead of refusing every offline code.
    pub fn key_check(&self, rng: &dyn SecureRandom) -> Vec<u8> {
        self.seal(rng, KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT)
    }

    /// True when `sealed` is a key-check value made with this key.
    pub fn verify_key_check(&self, sealed: &[u8]) -> bool {
        self.open(KEY_CHECK_AAD, sealed)
            .is_ok_and(|plain| plain.as_slice() == KEY_CHECK_PLAINTEXT)
    }

    fn seal(&self, rng: &dyn SecureRandom, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        // Random 96-bit nonces: with well under 2^32 seals per key the collision risk is
        // negligible, and no counter has to survive restarts.
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .expect("AES-GCM sealing of a short buffer cannot fail");
        out.extend_from_slice(tag.as_ref());
        out
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(OpenError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
        let mut buffer = Zeroizing::new(body.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buffer)
            .map_err(|_| OpenError)?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

/// `"tigr/offline-secret/v1" 0x00 field(account) field(device_id)`, fields length-prefixed
/// (u16 big-endian) so that no two owners share associated data.
fn offline_aad(account: &str, device_id: &str) -> Vec<u8> {
    let mut aad = OFFLINE_SECRET_AAD.to_vec();
    aad.push(0);
    for field in [account, device_id] {
        let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(&field.as_bytes()[..usize::from(len)]);
    }
    aad
}

/// `"tigr/oidc-signing-key/v1" 0x00 kid`: a sealed key opens under its own `kid` only.
fn signing_key_aad(kid: &str) -> Vec<u8> {
    let mut aad = SIGNING_KEY_AAD.to_vec();
    aad.push(0);
    aad.extend_from_slice(kid.as_bytes());
    aad
}

/// `"tigr/otp-token-secret/v1" 0x00 serial`: a sealed token secret opens under its own
/// serial only (a row copied onto another token does not).
fn token_aad(serial: &str) -> Vec<u8> {
    let mut aad = TOKEN_SECRET_AAD.to_vec();
    aad.push(0);
    aad.extend_from_slice(serial.as_bytes());
    aad
}

/// SHA-256 of a bearer value (browser token, enrollment code), as stored in the database.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Constant-time equality of two byte strings (their lengths are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tigr_core::random::SeededRandom;

    fn sealer(seed: u64) -> SecretSealer {
        SecretSealer::new(&MasterKey::generate(&SeededRandom::new(seed)))
    }

    #[test]
    fn seal_then_open() {
        let rng = SeededRandom::new(1);
        let s = sealer(10);
        let secret = [0x5au8; 32];
        let sealed = s.seal_offline_secret(&rng, "alice", "DEV", &secret);
        assert_eq!(sealed.len(), 12 + 32 + 16);
        assert!(!sealed.windows(32).any(|w| w == secret));
        let opened = s
            .open_offline_secret("alice", "DEV", &sealed)
            .expect("opens");
        assert_eq!(opened.as_slice(), &secret);
        // Two seals of the same secret differ (random nonce).
        assert_ne!(sealed, s.seal_offline_secret(&rng, "alice", "DEV", &secret));
    }

    #[test]
    fn wrong_key_or_owner_or_bytes_cannot_open() {
        let rng = SeededRandom::new(2);
        let sealed = sealer(10).seal_offline_secret(&rng, "alice", "DEV", &[1u8; 32]);
        assert_eq!(
            sealer(11).open_offline_secret("alice", "DEV", &sealed),
            Err(OpenError)
        );
        let s = sealer(10);
        assert!(s.open_offline_secret("bob", "DEV", &sealed).is_err());
        assert!(s.open_offline_secret("alice", "DEW", &sealed).is_err());
        // Boundary shift between account and device is not the same owner.
        assert!(s.open_offline_secret("aliceD", "EV", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(s.open_offline_secret("alice", "DEV", &tampered).is_err());
        assert!(
            s.open_offline_secret("alice", "DEV", &sealed[..20])
                .is_err()
        );
    }

    #[test]
    fn tigr_id_keys_depend_on_the_id_and_the_master_key() {
        let s = sealer(10);
        assert_eq!(s.tigr_id_key("alice"), sealer(10).tigr_id_key("alice"));
        assert_ne!(s.tigr_id_key("alice"), s.tigr_id_key("alicf"));
        assert_ne!(s.tigr_id_key("alice"), sealer(11).tigr_id_key("alice"));
        // Not a plain hash of the ID.
        assert_ne!(s.tigr_id_key("alice"), sha256(b"alice"));
    }

    #[test]
    fn email_code_macs_depend_on_account_code_and_master_key() {
        let (a, b) = (sealer(1), sealer(2));
        let mac = a.email_code_mac("alice", "123456");
        assert_eq!(mac, a.email_code_mac("alice", "123456"));
        assert_ne!(mac, a.email_code_mac("alice", "123457"));
        assert_ne!(
            mac,
            a.email_code_mac("alice1", "23456"),
            "fields are separated"
        );
        assert_ne!(mac, b.email_code_mac("alice", "123456"));
        assert_ne!(mac, sha256(b"alice\x00123456"));
    }

    #[test]
    fn signing_keys_open_under_their_own_kid_only() {
        let rng = SeededRandom::new(6);
        let s = sealer(10);
        let sealed = s.seal_signing_key(&rng, "KID", b"pkcs8 document");
        assert_eq!(
            s.open_signing_key("KID", &sealed)
                .expect("opens")
                .as_slice(),
            b"pkcs8 document"
        );
        assert!(s.open_signing_key("OTHER", &sealed).is_err());
        assert!(sealer(11).open_signing_key("KID", &sealed).is_err());
        assert!(s.open_offline_secret("KID", "", &sealed).is_err());
    }

    #[test]
    fn token_secrets_open_under_their_own_serial_only() {
        let rng = SeededRandom::new(7);
        let s = sealer(10);
        let sealed = s.seal_token_secret(&rng, "TK-1", b"12345678901234567890");
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        assert_eq!(
            s.open_token_secret("TK-1", &sealed)
                .expect("opens")
                .as_slice(),
            b"12345678901234567890"
        );
        assert!(s.open_token_secret("TK-2", &sealed).is_err());
        assert!(sealer(11).open_token_secret("TK-1", &sealed).is_err());
        assert!(s.open_signing_key("TK-1", &sealed).is_err());
        assert!(s.open_offline_secret("TK-1", "", &sealed).is_err());
    }

    #[test]
    fn key_check_detects_another_key() {
        let rng = SeededRandom::new(3);
        let check = sealer(10).key_check(&rng);
        assert!(sealer(10).verify_key_check(&check));
        assert!(!sealer(11).verify_key_check(&check));
    }

    #[test]
    fn key_text_round_trip_and_errors() {
        let key = MasterKey::generate(&SeededRandom::new(4));
        let text = key.to_base64();
        let again = MasterKey::from_base64(&format!(" {}= \n", text.as_str()), "k").expect("ok");
        assert_eq!(again.0, key.0);
        assert!(MasterKey::from_base64("c2hvcnQ", "TIGR_MASTER_KEY").is_err());
        let err = MasterKey::from_base64("not base64!", "TIGR_MASTER_KEY").unwrap_err();
        assert!(err.to_string().contains("TIGR_MASTER_KEY"));
        assert!(!format!("{key:?}").contains(text.as_str()));
    }

    #[test]
    fn key_file_is_generated_once_with_private_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/master.key");
        let rng = SeededRandom::new(5);
        let (k1, o1) = load_or_create_key_file(&path, &rng).expect("generate");
        assert_eq!(o1, KeyFileOutcome::Generated);
        let (k2, o2) = load_or_create_key_file(&path, &rng).expect("load");
        assert_eq!(o2, KeyFileOutcome::Loaded);
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        fs::write(&path, "garbage").expect("write");
        assert!(matches!(
            load_or_create_key_file(&path, &rng),
            Err(KeyError::Malformed(_))
        ));
    }

    #[test]
    fn hashes_and_comparison() {
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
