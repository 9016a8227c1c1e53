//! The phone as an authenticator app: TOTP and HOTP accounts of other services (`otpauth://`
//! QR codes, Google Authenticator exports), beside the Tigr accounts of the vault.
//!
//! Unlike the vault, these secrets are **not** masked by a PIN (docs/security.md,
//! "Authenticator accounts on the phone"): no server judges a PIN here, so a PIN-masked secret
//! would either be checkable offline (the file plus one code seen on a screen tell a right PIN
//! from a wrong one) or give wrong codes without a word. They are protected by the platform key
//! store alone: the whole list is one file wrapped by the same [`KeyStore`] as the vault
//! (Android Keystore, Secure Enclave / Keychain), usable while the phone is unlocked.
//!
//! The file is replaced atomically (the [`VaultStore`] writes a temporary file, syncs it and
//! renames it). An HOTP counter moves on only when a code is asked for, and is written before
//! the code is returned: a crash may waste a counter value, never show one twice.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::clock::Clock;
use crate::keystore::{KeyStore, KeyStoreError};
use crate::otp::uri::{self, OtpKind, OtpParameters, OtpUriError};
use crate::otp::{HashAlgorithm, Hotp, Totp};
use crate::random::SecureRandom;
use crate::vault::{VaultError, VaultStore};
use crate::wire::{b64_decode, b64_encode};

/// Current format version of the OTP accounts file.
pub const OTP_ACCOUNTS_VERSION: u32 = 1;

/// Length of an account id: 8 base32 characters (40 random bits), short enough to type on the
/// desktop virtual phone and unique on one phone (checked when an account is added).
const ID_BYTES: usize = 5;

/// The longest issuer or account name a rename accepts (characters).
pub const MAX_NAME_LEN: usize = 128;

/// An OTP account as apps list it (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpAccount {
    /// This phone's identifier of the account.
    pub id: String,
    /// Who issued it, if known.
    pub issuer: Option<String>,
    /// The account name.
    pub account: String,
    /// TOTP (with its period) or HOTP (with the counter of the next code).
    pub kind: OtpKind,
    /// The HMAC's hash function.
    pub algorithm: HashAlgorithm,
    /// Code length.
    pub digits: u8,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

impl OtpAccount {
    /// `Issuer:account`, or the account alone.
    pub fn label(&self) -> String {
        uri::label(self.issuer.as_deref(), &self.account)
    }
}

/// A code to show, with how long it is valid. Its `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode {
    /// The digits.
    pub code: String,
    /// How long it lasts.
    pub validity: CodeValidity,
}

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpCode")
            .field("code", &"<redacted>")
            .field("validity", &self.validity)
            .finish()
    }
}

/// How long an [`OtpCode`] is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeValidity {
    /// A TOTP code: valid until `expires_at`.
    Time {
        /// Seconds left, 1 to `period`.
        seconds_left: u32,
        /// The account's period (for a countdown ring).
        period: u32,
        /// When the next code starts (Unix seconds).
        expires_at: i64,
    },
    /// An HOTP code: valid until the service sees it or a later one.
    Counter {
        /// The counter this code was made with (the account's counter is now one more).
        counter: u64,
    },
}

/// What an import added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAccounts {
    /// The accounts, in the order of the code; one already on the phone (same names, same
    /// secret and settings) is listed as it is, not added twice.
    pub accounts: Vec<OtpAccount>,
    /// For a Google Authenticator export split over several codes: this code's place (from 1)
    /// and their number.
    pub batch: Option<(u32, u32)>,
    /// Per account, the label prefix when it differed from the issuer parameter (see
    /// [`OtpParameters::label_issuer`]).
    pub label_issuers: Vec<Option<String>>,
}

/// Why an OTP account operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpAccountsError {
    /// The scanned text is not a usable account.
    #[error(transparent)]
    Uri(#[from] OtpUriError),
    /// No account with this id (removed meanwhile).
    #[error("no OTP account {id} on this phone")]
    UnknownAccount {
        /// The id asked for.
        id: String,
    },
    /// A new name is empty, too long, has a colon or invisible characters.
    #[error("invalid account name: {0}")]
    InvalidName(&'static str),
    /// The platform key store failed.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// The file could not be read or written, or is damaged.
    #[error(transparent)]
    Storage(#[from] VaultError),
}

/// Collaborators of [`OtpAccounts`].
pub struct OtpAccountsDeps {
    /// Where the wrapped file lives (its own file, beside the vault).
    pub store: Arc<dyn VaultStore>,
    /// Platform wrapping, the vault's.
    pub keystore: Arc<dyn KeyStore>,
    /// For account ids.
    pub rng: Arc<dyn SecureRandom>,
    /// For the date an account was added.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OtpAccountsDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpAccountsDeps")
    }
}

/// The OTP accounts of this phone. Every method reads (and some rewrite) the wrapped file,
/// so each may call the platform key store: call them off the UI thread.
pub struct OtpAccounts {
    deps: OtpAccountsDeps,
    /// Serializes read-modify-write cycles (HOTP counters, adds, renames, removals).
    lock: Mutex<()>,
}

impl std::fmt::Debug for OtpAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpAccounts")
    }
}

/// One stored account (secret in unpadded base64url); zeroized on drop.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct StoredAccount {
    id: String,
    issuer: Option<String>,
    account: String,
    #[serde(flatten)]
    kind: StoredKind,
    algorithm: String,
    digits: u8,
    secret: String,
    added_at: i64,
}

#[derive(Clone, Copy, Serialize, Deserialize, Zeroize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum StoredKind {
    Totp { period: u32 },
    Hotp { counter: u64 },
}

#[derive(Serialize, Deserialize)]
struct StoredFile {
    version: u32,
    accounts: Vec<StoredAccount>,
}

impl StoredAccount {
    fn summary(&self) -> Result<OtpAccount, VaultError> {
        Ok(OtpAccount {
            id: self.id.clone(),
            issuer: self.issuer.clone(),
            account: self.account.clone(),
            kind: match self.kind {
                StoredKind::Totp { period } => OtpKind::Totp { period },
                StoredKind::Hotp { counter } => OtpKind::Hotp { counter },
            },
            algorithm: self.algorithm()?,
            digits: self.digits,
            added_at: self.added_at,
        })
    }

    fn algorithm(&self) -> Result<HashAlgorithm, VaultError> {
        HashAlgorithm::parse(&self.algorithm)
            .ok_or_else(|| VaultError::Corrupt("OTP account algorithm".into()))
    }

    fn secret(&self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        b64_decode(&self.secret)
            .map(Zeroizing::new)
            .ok_or_else(|| VaultError::Corrupt("OTP account secret".into()))
    }

    /// Same names, secret and settings: adding it again changes nothing.
    fn same_as(&self, p: &OtpParameters) -> bool {
        let kind_matches = match (self.kind, p.kind) {
            (StoredKind::Totp { period: a }, OtpKind::Totp { period: b }) => a == b,
            (StoredKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
            _ => false,
        };
        kind_matches
            && self.issuer == p.issuer
            && self.account == p.account
            && self.algorithm == p.algorithm.name()
            && self.digits == p.digits
            && self.secret().is_ok_and(|s| s[..] == p.secret[..])
    }
}

impl OtpAccounts {
    /// The accounts kept in `deps.store`, wrapped by `deps.keystore`.
    pub fn new(deps: OtpAccountsDeps) -> Self {
        Self {
            deps,
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<Vec<StoredAccount>, OtpAccountsError> {
        let Some(wrapped) = self.deps.store.load()? else {
            return Ok(Vec::new());
        };
        let plain = self.deps.keystore.unwrap(&wrapped)?;
        let file: StoredFile = serde_json::from_slice(&plain)
            .map_err(|e| VaultError::Corrupt(format!("OTP accounts: {e}")))?;
        if file.version != OTP_ACCOUNTS_VERSION {
            return Err(VaultError::Corrupt(format!(
                "unknown OTP accounts version {}",
                file.version
            ))
            .into());
        }
        Ok(file.accounts)
    }

    fn save(&self, accounts: Vec<StoredAccount>) -> Result<(), OtpAccountsError> {
        let file = StoredFile {
            version: OTP_ACCOUNTS_VERSION,
            accounts,
        };
        // Plain strings and numbers always serialize.
        let plain = Zeroizing::new(serde_json::to_vec(&file).expect("OTP accounts serialize"));
        let wrapped = self.deps.keystore.wrap(&plain)?;
        self.deps.store.save(&wrapped)?;
        Ok(())
    }

    /// Runs one read-modify-write cycle under the lock.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut Vec<StoredAccount>) -> Result<T, OtpAccountsError>,
    ) -> Result<T, OtpAccountsError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut accounts = self.load()?;
        let result = change(&mut accounts)?;
        self.save(accounts)?;
        Ok(result)
    }

    /// The accounts, in the order they were added.
    pub fn list(&self) -> Result<Vec<OtpAccount>, OtpAccountsError> {
        let accounts = self.load()?;
        Ok(accounts
            .iter()
            .map(StoredAccount::summary)
            .collect::<Result<_, _>>()?)
    }

    /// Reads `text` (an `otpauth://` URI or a Google Authenticator export code) and adds its
    /// accounts, all or none.
    pub fn import(&self, text: &str) -> Result<ImportedAccounts, OtpAccountsError> {
        let import = uri::parse_any(text)?;
        let label_issuers = import
            .accounts
            .iter()
            .map(|p| p.label_issuer.clone())
            .collect();
        let accounts = self.add(&import.accounts)?;
        Ok(ImportedAccounts {
            accounts,
            batch: import.batch,
            label_issuers,
        })
    }

    /// Adds accounts (one already here with the same names, secret and settings is not added
    /// twice), and returns them as stored.
    pub fn add(&self, parameters: &[OtpParameters]) -> Result<Vec<OtpAccount>, OtpAccountsError> {
        let now = self.deps.clock.now_unix();
        self.update(|accounts| {
            let mut added = Vec::with_capacity(parameters.len());
            for p in parameters {
                if let Some(existing) = accounts.iter().find(|a| a.same_as(p)) {
                    added.push(existing.summary()?);
                    continue;
                }
                let stored = StoredAccount {
                    id: self.new_id(accounts),
                    issuer: p.issuer.clone(),
                    account: p.account.clone(),
                    kind: match p.kind {
                        OtpKind::Totp { period } => StoredKind::Totp { period },
                        OtpKind::Hotp { counter } => StoredKind::Hotp { counter },
                    },
                    algorithm: p.algorithm.name().to_owned(),
                    digits: p.digits,
                    secret: b64_encode(&p.secret),
                    added_at: now,
                };
                added.push(stored.summary()?);
                accounts.push(stored);
            }
            Ok(added)
        })
    }

    fn new_id(&self, accounts: &[StoredAccount]) -> String {
        loop {
            let mut bytes = [0u8; ID_BYTES];
            self.deps.rng.fill(&mut bytes);
            let id = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &bytes);
            if !accounts.iter().any(|a| a.id == id) {
                return id;
            }
        }
    }

    /// The code of account `id` at `now_unix` (Unix seconds). The time is the caller's — the
    /// app's clock, the one that also drives its countdown, so that code and countdown agree —
    /// and is not read for HOTP. For an HOTP account this is the user asking for the next code:
    /// the counter moves on, and is written, before the code is returned.
    pub fn code(&self, id: &str, now_unix: i64) -> Result<OtpCode, OtpAccountsError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut accounts = self.load()?;
        let account = accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(|| OtpAccountsError::UnknownAccount { id: id.to_owned() })?;
        let secret = account.secret()?;
        let algorithm = account.algorithm()?;
        let damaged = |_| VaultError::Corrupt("OTP account parameters".into());
        match account.kind {
            StoredKind::Totp { period } => {
                let totp = Totp::imported(algorithm, &secret, account.digits, u64::from(period))
                    .map_err(damaged)?;
                // Before 1970 (a clock reset to 0 or below) counts as the epoch.
                let now = u64::try_from(now_unix).unwrap_or(0);
                let seconds_left = period - (now % u64::from(period)) as u32;
                Ok(OtpCode {
                    code: totp.code_at(now),
                    validity: CodeValidity::Time {
                        seconds_left,
                        period,
                        expires_at: i64::try_from(now + u64::from(seconds_left))
                            .unwrap_or(i64::MAX),
                    },
                })
            }
            StoredKind::Hotp { counter } => {
                let hotp = Hotp::imported(algorithm, &secret, account.digits).map_err(damaged)?;
                let next = counter
                    .checked_add(1)
                    .ok_or_else(|| VaultError::Corrupt("HOTP counter at its end".into()))?;
                account.kind = StoredKind::Hotp { counter: next };
                let code = hotp.code(counter);
                self.save(accounts)?;
                Ok(OtpCode {
                    code,
                    validity: CodeValidity::Counter { counter },
                })
            }
        }
    }

    /// Renames account `id` (issuer optional, account name required; no colon, since the
    /// label `Issuer:account` must stay readable).
    pub fn rename(
        &self,
        id: &str,
        issuer: Option<&str>,
        account: &str,
    ) -> Result<OtpAccount, OtpAccountsError> {
        let issuer = issuer.map(str::trim).filter(|i| !i.is_empty());
        let account = account.trim();
        for name in issuer.iter().chain([&account]) {
            if name.chars().count() > MAX_NAME_LEN {
                return Err(OtpAccountsError::InvalidName("too long"));
            }
        }
        if issuer.is_some_and(|i| i.contains(':')) || account.contains(':') {
            return Err(OtpAccountsError::InvalidName("with a colon"));
        }
        for name in issuer.iter().chain([&account]) {
            uri::split_label(name)
                .map_err(|_| OtpAccountsError::InvalidName("empty or with control characters"))?;
        }
        self.update(|accounts| {
            let stored = accounts
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or_else(|| OtpAccountsError::UnknownAccount { id: id.to_owned() })?;
            stored.issuer = issuer.map(str::to_owned);
            stored.account = account.to_owned();
            Ok(stored.summary()?)
        })
    }

    /// Removes account `id`; `false` if there was none.
    pub fn remove(&self, id: &str) -> Result<bool, OtpAccountsError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut accounts = self.load()?;
        let before = accounts.len();
        accounts.retain(|a| a.id != id);
        if accounts.len() == before {
            return Ok(false);
        }
        self.save(accounts)?;
        Ok(true)
    }
}

/// Why [`select`] found no single account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// No account has this id, label or account name.
    #[error("no OTP account named {0}")]
    NotFound(String),
    /// Several accounts answer to this name: their labels and ids.
    #[error("several OTP accounts answer to {label}: {}", candidates.join(", "))]
    Ambiguous {
        /// The name given.
        label: String,
        /// `label [id]` of each candidate.
        candidates: Vec<String>,
    },
}

/// The account a person means by `name`: its id, its label (`ESEA:c.leroy`), or its account
/// name alone (`c.leroy`) when no other account has that name.
pub fn select<'a>(accounts: &'a [OtpAccount], name: &str) -> Result<&'a OtpAccount, LabelError> {
    let name = name.trim();
    if let Some(account) = accounts.iter().find(|a| a.id == name) {
        return Ok(account);
    }
    let by_label: Vec<&OtpAccount> = accounts.iter().filter(|a| a.label() == name).collect();
    let matches = if by_label.is_empty() {
        accounts.iter().filter(|a| a.account == name).collect()
    } else {
        by_label
    };
    match matches[..] {
        [] => Err(LabelError::NotFound(name.to_owned())),
        [one] => Ok(one),
        _ => Err(LabelError::Ambiguous {
            label: name.to_owned(),
            candidates: matches
                .iter()
                .map(|a| format!("{} [{}]", a.label(), a.id))
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::keystore::SoftwareKeyStore;
    use crate::otp::migration::tests::export_uri;
    use crate::otp::migration::{Algorithm, DigitCount, MigrationAccount};
    use crate::random::SeededRandom;
    use crate::vault::{FileVaultStore, MemoryVaultStore};

    /// 2009-02-13T23:31:30Z: 1,234,567,890 s, the first second of a 30-second step.
    const NOW: i64 = 1_234_567_890;
    const RFC_SHA1: &str =
        "otpauth://totp/ESEA:c.leroy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ESEA&digits=8";
    const RFC_HOTP: &str =
        "otpauth://hotp/Banque:c.leroy?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0";

    struct Phone {
        accounts: OtpAccounts,
        clock: Arc<FixedClock>,
        store: Arc<dyn VaultStore>,
        keystore: Arc<dyn KeyStore>,
    }

    fn phone_with(store: Arc<dyn VaultStore>, key: [u8; 32]) -> Phone {
        let rng: Arc<dyn SecureRandom> = Arc::new(SeededRandom::new(7));
        let clock = Arc::new(FixedClock::at(NOW));
        let keystore: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(&key, rng.clone()));
        let accounts = OtpAccounts::new(OtpAccountsDeps {
            store: store.clone(),
            keystore: keystore.clone(),
            rng,
            clock: clock.clone(),
        });
        Phone {
            accounts,
            clock,
            store,
            keystore,
        }
    }

    fn phone() -> Phone {
        phone_with(Arc::new(MemoryVaultStore::default()), [1; 32])
    }

    fn only(import: ImportedAccounts) -> OtpAccount {
        assert_eq!(import.accounts.len(), 1, "{import:?}");
        import.accounts.into_iter().next().expect("one")
    }

    #[test]
    fn totp_codes_come_with_the_seconds_left() {
        let p = phone();
        let account = only(p.accounts.import(RFC_SHA1).expect("added"));
        assert_eq!(account.label(), "ESEA:c.leroy");
        assert_eq!(account.added_at, NOW);
        // RFC 6238 Appendix B, SHA1 at 1234567890: 89005924.
        let code = p.accounts.code(&account.id, NOW).expect("code");
        assert_eq!(code.code, "89005924");
        assert_eq!(
            code.validity,
            CodeValidity::Time {
                seconds_left: 30,
                period: 30,
                expires_at: NOW + 30
            }
        );
        // 29 seconds later, the same code with one second left; then the next step.
        let code = p.accounts.code(&account.id, NOW + 29).expect("code");
        assert_eq!(code.code, "89005924");
        assert!(matches!(
            code.validity,
            CodeValidity::Time {
                seconds_left: 1,
                ..
            }
        ));
        let code = p.accounts.code(&account.id, NOW + 30).expect("code");
        assert_ne!(code.code, "89005924");
        assert!(matches!(
            code.validity,
            CodeValidity::Time {
                seconds_left: 30,
                ..
            }
        ));
        // RFC 6238 Appendix B at 2000000000 and 20000000000.
        let at = |t| p.accounts.code(&account.id, t).expect("code").code;
        assert_eq!(at(2_000_000_000), "69279037");
        assert_eq!(at(20_000_000_000), "65353130");
        // A clock before 1970 counts as the epoch rather than failing.
        assert!(matches!(
            p.accounts.code(&account.id, -5).expect("code").validity,
            CodeValidity::Time {
                seconds_left: 30,
                ..
            }
        ));
    }

    #[test]
    fn hotp_counters_move_only_when_a_code_is_asked_for_and_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn VaultStore> = Arc::new(FileVaultStore::new(dir.path().join("otp.bin")));
        let p = phone_with(store.clone(), [2; 32]);
        let id = only(p.accounts.import(RFC_HOTP).expect("added")).id;
        // Listing, and TOTP codes of other accounts, leave the counter alone.
        p.accounts.import(RFC_SHA1).expect("added");
        for _ in 0..3 {
            p.accounts.list().expect("list");
        }
        let hotp = |p: &Phone| {
            p.accounts
                .list()
                .expect("list")
                .into_iter()
                .find(|a| a.id == id)
                .expect("there")
                .kind
        };
        assert_eq!(hotp(&p), OtpKind::Hotp { counter: 0 });
        // RFC 4226 Appendix D: 755224, 287082, 359152.
        for (counter, expected) in [(0, "755224"), (1, "287082")] {
            let code = p.accounts.code(&id, NOW).expect("code");
            assert_eq!(
                (code.code.as_str(), code.validity),
                (expected, CodeValidity::Counter { counter })
            );
        }
        // A new process on the same file goes on where the last one stopped.
        drop(p);
        let again = phone_with(store, [2; 32]);
        assert_eq!(hotp(&again), OtpKind::Hotp { counter: 2 });
        assert_eq!(again.accounts.code(&id, NOW).expect("code").code, "359152");
        assert_eq!(hotp(&again), OtpKind::Hotp { counter: 3 });
    }

    /// A store whose saves fail once asked to (a full disk, a crash before the rename).
    #[derive(Default)]
    struct FailingSaves {
        inner: MemoryVaultStore,
        fail: std::sync::atomic::AtomicBool,
    }

    impl VaultStore for FailingSaves {
        fn load(&self) -> Result<Option<Vec<u8>>, VaultError> {
            self.inner.load()
        }
        fn save(&self, bytes: &[u8]) -> Result<(), VaultError> {
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(VaultError::Storage("disk full".into()));
            }
            self.inner.save(bytes)
        }
    }

    #[test]
    fn no_hotp_code_is_shown_unless_its_counter_was_written() {
        let store = Arc::new(FailingSaves::default());
        let p = phone_with(store.clone(), [3; 32]);
        let id = only(p.accounts.import(RFC_HOTP).expect("added")).id;
        assert_eq!(p.accounts.code(&id, NOW).expect("code").code, "755224");
        store.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            p.accounts.code(&id, NOW),
            Err(OtpAccountsError::Storage(VaultError::Storage(
                "disk full".into()
            )))
        );
        store.fail.store(false, std::sync::atomic::Ordering::SeqCst);
        // Counter 1 was never shown; it is still the next one.
        assert_eq!(p.accounts.code(&id, NOW).expect("code").code, "287082");
    }

    #[test]
    fn a_write_interrupted_before_its_rename_leaves_the_previous_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tigr-otp.bin");
        let p = phone_with(Arc::new(FileVaultStore::new(&path)), [4; 32]);
        let id = only(p.accounts.import(RFC_HOTP).expect("added")).id;
        p.accounts.code(&id, NOW).expect("code");
        // A crash between writing the temporary file and renaming it leaves this behind.
        std::fs::write(path.with_extension("tmp"), b"half a file").expect("write");
        let again = phone_with(Arc::new(FileVaultStore::new(&path)), [4; 32]);
        assert_eq!(again.accounts.code(&id, NOW).expect("code").code, "287082");
        assert!(
            !path.with_extension("tmp").exists(),
            "replaced by the next write's rename"
        );
    }

    #[test]
    fn secrets_are_wrapped_by_the_key_store_and_need_no_pin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tigr-otp.bin");
        let p = phone_with(Arc::new(FileVaultStore::new(&path)), [5; 32]);
        let id = only(p.accounts.import(RFC_SHA1).expect("added")).id;
        let bytes = std::fs::read(&path).expect("file");
        let text = String::from_utf8_lossy(&bytes);
        for visible in [
            "GEZDGNBVGY3TQOJQ",
            "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA",
            "12345678901234567890",
            "c.leroy",
            "ESEA",
            "totp",
        ] {
            assert!(!text.contains(visible), "{visible} readable in the file");
        }
        // The file unwraps with this phone's key only, and holds no PIN check of any kind.
        let plain = p.keystore.unwrap(&bytes).expect("this key");
        let value: serde_json::Value = serde_json::from_slice(&plain).expect("json");
        let fields: Vec<&String> = value["accounts"][0]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        for forbidden in ["pin", "kdf", "salt", "verifier", "tag", "masked_secret"] {
            assert!(
                !fields.iter().any(|f| f.contains(forbidden)),
                "{forbidden}: {fields:?}"
            );
        }
        let thief = phone_with(Arc::new(FileVaultStore::new(&path)), [6; 32]);
        assert!(matches!(
            thief.accounts.list(),
            Err(OtpAccountsError::KeyStore(_))
        ));
        assert!(matches!(
            thief.accounts.code(&id, NOW),
            Err(OtpAccountsError::KeyStore(_))
        ));
    }

    /// A key store that refuses, as a locked phone's does.
    struct Locked;
    impl KeyStore for Locked {
        fn wrap(&self, _: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            Err(KeyStoreError("device locked".into()))
        }
        fn unwrap(&self, _: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
            Err(KeyStoreError("device locked".into()))
        }
    }

    #[test]
    fn a_locked_key_store_gives_no_code_and_writes_nothing() {
        let p = phone();
        let id = only(p.accounts.import(RFC_HOTP).expect("added")).id;
        let before = p.store.load().expect("load");
        let locked = OtpAccounts::new(OtpAccountsDeps {
            store: p.store.clone(),
            keystore: Arc::new(Locked),
            rng: Arc::new(SeededRandom::new(1)),
            clock: p.clock.clone(),
        });
        let refused = OtpAccountsError::KeyStore(KeyStoreError("device locked".into()));
        assert_eq!(locked.code(&id, NOW), Err(refused.clone()));
        assert_eq!(locked.list(), Err(refused.clone()));
        assert_eq!(locked.remove(&id), Err(refused.clone()));
        assert_eq!(locked.import(RFC_SHA1), Err(refused));
        assert_eq!(p.store.load().expect("load"), before);
    }

    #[test]
    fn imports_add_all_or_nothing_and_never_twice() {
        let p = phone();
        let key = b"12345678901234567890";
        let export = export_uri(
            vec![
                MigrationAccount::totp(key, "ESEA:c.leroy", "ESEA")
                    .with(|e| e.digits = DigitCount::Eight as i32),
                MigrationAccount::hotp(key, "c.leroy", "Banque", 0),
            ],
            0,
            2,
        );
        let imported = p.accounts.import(&export).expect("imported");
        assert_eq!(imported.batch, Some((1, 2)));
        assert_eq!(imported.accounts.len(), 2);
        // The same export again, or the same account by URI, adds nothing.
        p.accounts.import(&export).expect("again");
        let again = only(p.accounts.import(RFC_SHA1).expect("again"));
        assert_eq!(again, imported.accounts[0]);
        assert_eq!(p.accounts.list().expect("list").len(), 2);
        // Another secret under the same name is another account.
        let other = "otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA&digits=8";
        assert_ne!(only(p.accounts.import(other).expect("added")).id, again.id);
        // A bad code adds nothing at all.
        let bad = export_uri(
            vec![
                MigrationAccount::totp(key, "new", ""),
                MigrationAccount::totp(key, "md5", "")
                    .with(|e| e.algorithm = Algorithm::Md5 as i32),
            ],
            0,
            1,
        );
        assert!(matches!(
            p.accounts.import(&bad),
            Err(OtpAccountsError::Uri(OtpUriError::UnknownAlgorithm(_)))
        ));
        assert_eq!(p.accounts.list().expect("list").len(), 3);
        // A differing label prefix is reported with the account.
        let warned = p
            .accounts
            .import("otpauth://totp/Banque:x?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
            .expect("added");
        assert_eq!(warned.label_issuers, vec![Some("Banque".to_owned())]);
    }

    #[test]
    fn rename_and_remove() {
        let p = phone();
        let id = only(p.accounts.import(RFC_SHA1).expect("added")).id;
        let renamed = p
            .accounts
            .rename(&id, Some(" ESEA Nord "), "Claire")
            .expect("renamed");
        assert_eq!(renamed.label(), "ESEA Nord:Claire");
        assert_eq!(
            p.accounts
                .rename(&id, Some(""), "Claire")
                .expect("ok")
                .issuer,
            None
        );
        // The code does not change with the name.
        assert_eq!(p.accounts.code(&id, NOW).expect("code").code, "89005924");
        for (issuer, account) in [
            (None, ""),
            (None, "  "),
            (Some("A:B"), "x"),
            (None, "a:b"),
            (None, "a\nb"),
            (Some("x"), "\u{202e}x"),
        ] {
            assert!(
                matches!(
                    p.accounts.rename(&id, issuer, account),
                    Err(OtpAccountsError::InvalidName(_))
                ),
                "{issuer:?} {account:?}"
            );
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert!(p.accounts.rename(&id, None, &long).is_err());
        assert!(p.accounts.rename(&id, None, &long[1..]).is_ok());
        assert_eq!(
            p.accounts.rename("NOSUCHID", None, "x"),
            Err(OtpAccountsError::UnknownAccount {
                id: "NOSUCHID".into()
            })
        );
        assert!(p.accounts.remove(&id).expect("removed"));
        assert!(!p.accounts.remove(&id).expect("already gone"));
        assert_eq!(
            p.accounts.code(&id, NOW),
            Err(OtpAccountsError::UnknownAccount { id: id.clone() })
        );
        assert!(p.accounts.list().expect("list").is_empty());
    }

    #[test]
    fn accounts_are_selected_by_id_label_or_unambiguous_account_name() {
        let p = phone();
        let esea = only(p.accounts.import(RFC_SHA1).expect("added"));
        let banque = only(p.accounts.import(RFC_HOTP).expect("added"));
        let solo = only(
            p.accounts
                .import("otpauth://totp/dr.martin?secret=JBSWY3DPEHPK3PXP")
                .expect("added"),
        );
        let list = p.accounts.list().expect("list");
        assert_eq!(select(&list, "ESEA:c.leroy"), Ok(&esea));
        assert_eq!(select(&list, "Banque:c.leroy"), Ok(&banque));
        assert_eq!(select(&list, " dr.martin "), Ok(&solo));
        assert_eq!(select(&list, &banque.id), Ok(&banque));
        assert_eq!(
            select(&list, "inconnu"),
            Err(LabelError::NotFound("inconnu".into()))
        );
        match select(&list, "c.leroy") {
            Err(LabelError::Ambiguous { candidates, .. }) => assert_eq!(
                candidates,
                vec![
                    format!("ESEA:c.leroy [{}]", esea.id),
                    format!("Banque:c.leroy [{}]", banque.id)
                ]
            ),
            other => panic!("{other:?}"),
        }
        // Two accounts with the same label: only their ids tell them apart.
        let twin = only(
            p.accounts
                .import("otpauth://totp/ESEA:c.leroy?secret=JBSWY3DPEHPK3PXP&issuer=ESEA")
                .expect("added"),
        );
        let list = p.accounts.list().expect("list");
        assert!(matches!(
            select(&list, "ESEA:c.leroy"),
            Err(LabelError::Ambiguous { .. })
        ));
        assert_eq!(select(&list, &twin.id), Ok(&twin));
    }

    #[test]
    fn damaged_files_are_storage_errors() {
        let p = phone();
        p.store
            .save(&p.keystore.wrap(b"not json").expect("wrap"))
            .expect("save");
        assert!(matches!(
            p.accounts.list(),
            Err(OtpAccountsError::Storage(VaultError::Corrupt(_)))
        ));
        p.store
            .save(
                &p.keystore
                    .wrap(br#"{"version":2,"accounts":[]}"#)
                    .expect("wrap"),
            )
            .expect("save");
        assert!(matches!(
            p.accounts.list(),
            Err(OtpAccountsError::Storage(VaultError::Corrupt(_)))
        ));
    }

    #[test]
    fn debug_output_hides_codes() {
        let p = phone();
        let id = only(p.accounts.import(RFC_SHA1).expect("added")).id;
        let code = p.accounts.code(&id, NOW).expect("code");
        assert!(!format!("{code:?}").contains(&code.code));
    }
}
