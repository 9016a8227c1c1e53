//! The phone's side of Tigr as one service: enroll, approve with a PIN, deny, offline codes.
//!
//! Apps (through the mobile bindings) and the desktop virtual phone both drive this type, so
//! every protocol and crypto decision is made here once.

use std::sync::{Arc, Mutex};

use crate::client::{ClientError, ServerClient, Transport};
use crate::clock::Clock;
use crate::keystore::{KeyStore, KeyStoreError};
use crate::offline::{OFFLINE_SECRET_LEN, otp_for_qr};
use crate::payload::{EnrollmentQr, LoginQr, Origin, PayloadError};
use crate::pin::{DEFAULT_PBKDF2_ITERATIONS, KdfParams, PinError, check_format, check_new_pin};
use crate::random::SecureRandom;
use crate::signing::{ChallengeBinding, Decision, DeviceKey, message};
use crate::vault::{AccountEntry, VaultContents, VaultError, VaultStore, mask};
use crate::wire::{
    EnrollmentCompleteRequest, EnrollmentOffer, LoginContext, Outcome, SignedAnswer, b64_encode,
};

/// Everything that can stop a phone operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The scanned text is not a usable Tigr code.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The PIN was refused before anything was sent.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// This phone has no account on the server of the code.
    #[error("this phone is not enrolled on {server}")]
    NotEnrolled {
        /// The server's host.
        server: String,
    },
    /// Several accounts exist on this server: the app must say which one.
    #[error("several accounts on this server: choose one")]
    AccountChoiceNeeded {
        /// The candidate Tigr IDs.
        accounts: Vec<String>,
    },
    /// The named account is not in this phone.
    #[error("no account {account} on this phone for {server}")]
    UnknownAccount {
        /// The Tigr ID asked for.
        account: String,
        /// The server's host.
        server: String,
    },
    /// Talking to the server failed or the server refused.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The platform key store failed.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// The vault could not be read or written.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// An enrolled account as the app lists it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// Server origin.
    pub origin: String,
    /// Server host for display.
    pub server_host: String,
    /// Tigr ID.
    pub account: String,
    /// Holder's name.
    pub display_name: String,
    /// Service name.
    pub service_name: String,
    /// Device id given by the server.
    pub device_id: String,
    /// Enrollment time (Unix seconds).
    pub enrolled_at: i64,
}

/// The offline login code for one QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineCode {
    /// The Tigr ID to type.
    pub tigr_id: String,
    /// The one-time password to type.
    pub otp: String,
    /// When the QR (and so the code) expires, Unix seconds.
    pub expires_at: i64,
    /// Seconds left at the time of computing (0 if already expired).
    pub seconds_left: i64,
}

/// Collaborators of an [`Authenticator`].
pub struct AuthenticatorDeps {
    /// Where the wrapped vault lives.
    pub store: Arc<dyn VaultStore>,
    /// Platform wrapping of the vault.
    pub keystore: Arc<dyn KeyStore>,
    /// HTTP to servers.
    pub transport: Arc<dyn Transport>,
    /// Randomness for keys, secrets and salts.
    pub rng: Arc<dyn SecureRandom>,
    /// Time, for enrollment dates and offline countdowns.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthenticatorDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthenticatorDeps")
    }
}

/// The phone: its vault and its conversations with servers. Calls block on the network: call
/// them off the UI thread.
pub struct Authenticator {
    deps: AuthenticatorDeps,
    kdf_iterations: u32,
    language: String,
    vault_lock: Mutex<()>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// A phone with the default PIN derivation cost, speaking French to servers.
    pub fn new(deps: AuthenticatorDeps) -> Self {
        Self {
            deps,
            kdf_iterations: DEFAULT_PBKDF2_ITERATIONS,
            language: "fr".to_owned(),
            vault_lock: Mutex::new(()),
        }
    }

    /// Sets the language of server messages (`fr` or `en`).
    pub fn with_language(mut self, language: &str) -> Self {
        self.language = language.to_owned();
        self
    }

    /// Sets the PBKDF2 iteration count for new enrollments (tests use a low one).
    pub fn with_kdf_iterations(mut self, iterations: u32) -> Self {
        self.kdf_iterations = iterations.max(1);
        self
    }

    fn client(&self, origin: &Origin) -> ServerClient<'_> {
        ServerClient::new(self.deps.transport.as_ref(), origin, &self.language)
    }

    fn load(&self) -> Result<VaultContents, DeviceError> {
        match self.deps.store.load()? {
            None => Ok(VaultContents::default()),
            Some(wrapped) => {
                let plain = self.deps.keystore.unwrap(&wrapped)?;
                Ok(VaultContents::from_bytes(&plain)?)
            }
        }
    }

    fn save(&self, contents: &VaultContents) -> Result<(), DeviceError> {
        let wrapped = self.deps.keystore.wrap(&contents.to_bytes())?;
        self.deps.store.save(&wrapped)?;
        Ok(())
    }

    /// The enrolled accounts.
    pub fn accounts(&self) -> Result<Vec<AccountSummary>, DeviceError> {
        Ok(self.load()?.accounts.iter().map(summary).collect())
    }

    /// What an enrollment QR offers (shown before choosing the PIN).
    pub fn lookup_enrollment(&self, qr: &EnrollmentQr) -> Result<EnrollmentOffer, DeviceError> {
        Ok(self.client(&qr.origin).lookup_enrollment(&qr.code)?)
    }

    /// Enrolls this phone: generates its keys and offline secret, registers them, and stores
    /// them masked by `pin`. An earlier enrollment of the same account here is replaced.
    pub fn enroll(
        &self,
        qr: &EnrollmentQr,
        pin: &str,
        pin_confirmation: &str,
        device_name: &str,
    ) -> Result<AccountSummary, DeviceError> {
        check_new_pin(pin, pin_confirmation)?;
        let client = self.client(&qr.origin);
        let offer = client.lookup_enrollment(&qr.code)?;
        let approval_key = self.generate_key();
        let identity_key = self.generate_key();
        let mut offline_secret = zeroize::Zeroizing::new([0u8; OFFLINE_SECRET_LEN]);
        self.deps.rng.fill(&mut offline_secret[..]);

        // Check that the vault can be read and re-wrapped *before* the server spends the code and
        // revokes the previous phone: a failing key store must not leave the user with no phone.
        let current = self.load()?;
        self.deps.keystore.wrap(&current.to_bytes())?;

        let result = client.complete_enrollment(&EnrollmentCompleteRequest {
            code: qr.code.clone(),
            approval_key: b64_encode(&approval_key.public_key()),
            identity_key: b64_encode(&identity_key.public_key()),
            offline_secret: b64_encode(&offline_secret[..]),
            ocra_suite: offer.ocra_suite.clone(),
            device_name: device_name.chars().take(64).collect(),
        })?;

        let kdf = KdfParams::generate(self.deps.rng.as_ref(), self.kdf_iterations);
        let masks = kdf.derive(pin).map_err(VaultError::Corrupt)?;
        let (masked_approval_key, masked_offline_secret) =
            mask(&approval_key, &offline_secret, &masks);
        let entry = AccountEntry {
            origin: qr.origin.to_string(),
            account: result.account.clone(),
            display_name: offer.display_name.clone(),
            service_name: result.service_name.clone(),
            device_id: result.device_id.clone(),
            ocra_suite: offer.ocra_suite,
            enrolled_at: self.deps.clock.now_unix(),
            kdf,
            masked_approval_key,
            masked_offline_secret,
            identity_key: b64_encode(&identity_key.scalar()[..]),
        };
        let summary = summary(&entry);
        let _guard = self.vault_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut contents = self.load()?;
        contents
            .accounts
            .retain(|a| !(a.origin == entry.origin && a.account == entry.account));
        contents.accounts.push(entry);
        self.save(&contents)?;
        Ok(summary)
    }

    fn generate_key(&self) -> DeviceKey {
        loop {
            let mut scalar = zeroize::Zeroizing::new([0u8; 32]);
            self.deps.rng.fill(&mut scalar[..]);
            if let Some(key) = DeviceKey::from_scalar(&scalar) {
                return key;
            }
        }
    }

    /// The accounts of this phone that can answer a login QR (same server).
    pub fn accounts_for(&self, qr: &LoginQr) -> Result<Vec<AccountSummary>, DeviceError> {
        let origin = qr.origin.to_string();
        Ok(self
            .load()?
            .accounts
            .iter()
            .filter(|a| a.origin == origin)
            .map(summary)
            .collect())
    }

    /// The context of a login QR, to show before asking for the PIN (needs the network).
    pub fn login_context(&self, qr: &LoginQr) -> Result<LoginContext, DeviceError> {
        if self.accounts_for(qr)?.is_empty() {
            return Err(DeviceError::NotEnrolled {
                server: qr.origin.display_host(),
            });
        }
        Ok(self
            .client(&qr.origin)
            .login_context(&qr.challenge_id, &qr.nonce)?)
    }

    fn select(&self, qr: &LoginQr, account: Option<&str>) -> Result<AccountEntry, DeviceError> {
        let origin = qr.origin.to_string();
        let mut candidates: Vec<AccountEntry> = self
            .load()?
            .accounts
            .into_iter()
            .filter(|a| a.origin == origin)
            .collect();
        match (account, candidates.len()) {
            (_, 0) => Err(DeviceError::NotEnrolled {
                server: qr.origin.display_host(),
            }),
            (None, 1) => Ok(candidates.remove(0)),
            (None, _) => Err(DeviceError::AccountChoiceNeeded {
                accounts: candidates.into_iter().map(|a| a.account).collect(),
            }),
            (Some(name), _) => candidates
                .into_iter()
                .find(|a| a.account == name)
                .ok_or_else(|| DeviceError::UnknownAccount {
                    account: name.to_owned(),
                    server: qr.origin.display_host(),
                }),
        }
    }

    /// The phone's answer to `qr` for `entry`, signed by `key` over the `decision` message.
    fn signed_answer(
        key: &DeviceKey,
        decision: Decision,
        qr: &LoginQr,
        entry: &AccountEntry,
    ) -> SignedAnswer {
        let origin = qr.origin.to_string();
        let binding = ChallengeBinding {
            origin: &origin,
            challenge_id: &qr.challenge_id,
            nonce: &qr.nonce,
            account: &entry.account,
            device_id: &entry.device_id,
        };
        SignedAnswer {
            account: entry.account.clone(),
            device_id: entry.device_id.clone(),
            signature: b64_encode(&key.sign(&message(decision, &binding))),
        }
    }

    /// Approves a login with the PIN. A wrong PIN is only detected by the server, which
    /// answers `invalid_response` with the attempts left.
    pub fn approve(
        &self,
        qr: &LoginQr,
        account: Option<&str>,
        pin: &str,
    ) -> Result<Outcome, DeviceError> {
        check_format(pin)?;
        let entry = self.select(qr, account)?;
        let secrets = entry.unlock(pin)?;
        let answer = Self::signed_answer(&secrets.approval_key, Decision::Approve, qr, &entry);
        Ok(self.client(&qr.origin).respond(&qr.challenge_id, &answer)?)
    }

    /// "This wasn't me": refuses the login (no PIN needed) and lets the server audit it.
    pub fn deny(&self, qr: &LoginQr, account: Option<&str>) -> Result<Outcome, DeviceError> {
        let entry = self.select(qr, account)?;
        let answer = Self::signed_answer(&entry.identity_key()?, Decision::Deny, qr, &entry);
        Ok(self.client(&qr.origin).deny(&qr.challenge_id, &answer)?)
    }

    /// The offline Tigr ID and one-time password for a login QR (no network needed).
    pub fn offline_code(
        &self,
        qr: &LoginQr,
        account: Option<&str>,
        pin: &str,
    ) -> Result<OfflineCode, DeviceError> {
        check_format(pin)?;
        let entry = self.select(qr, account)?;
        let secrets = entry.unlock(pin)?;
        let otp = otp_for_qr(&entry.ocra_suite, &secrets.offline_secret[..], qr)
            .map_err(|e| VaultError::Corrupt(e.to_string()))?;
        Ok(OfflineCode {
            tigr_id: entry.account,
            otp,
            expires_at: qr.expires_at,
            seconds_left: (qr.expires_at - self.deps.clock.now_unix()).max(0),
        })
    }

    /// Forgets an account on this phone (the server still lists the device until revoked).
    pub fn remove_account(&self, origin: &str, account: &str) -> Result<bool, DeviceError> {
        let _guard = self.vault_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut contents = self.load()?;
        let before = contents.accounts.len();
        contents
            .accounts
            .retain(|a| !(a.origin == origin && a.account == account));
        let removed = contents.accounts.len() != before;
        if removed {
            self.save(&contents)?;
        }
        Ok(removed)
    }
}

fn summary(entry: &AccountEntry) -> AccountSummary {
    AccountSummary {
        origin: entry.origin.clone(),
        server_host: Origin::parse(&entry.origin)
            .map(|o| o.display_host())
            .unwrap_or_else(|_| entry.origin.clone()),
        account: entry.account.clone(),
        display_name: entry.display_name.clone(),
        service_name: entry.service_name.clone(),
        device_id: entry.device_id.clone(),
        enrolled_at: entry.enrolled_at,
    }
}
