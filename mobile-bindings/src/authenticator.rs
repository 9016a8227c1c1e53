//! The [`Authenticator`] object apps hold: core's phone service behind records and
//! [`TigrError`].

use std::path::PathBuf;
use std::sync::Arc;

use tigr_core::authenticator::{self as core, AuthenticatorDeps, DeviceError};
use tigr_core::client::{ClientError, UreqTransport};
use tigr_core::clock::{Clock, SystemClock};
use tigr_core::keystore::KeyStore;
use tigr_core::otp_accounts::{OtpAccounts, OtpAccountsDeps};
use tigr_core::payload::{EnrollmentQr, LoginQr, QrPayload};
use tigr_core::random::{SecureRandom, SystemRandom};
use tigr_core::vault::FileVaultStore;

use crate::error::TigrError;
use crate::frame::{expect_invitation, expect_login};
use crate::key_protector::{KeyProtector, ProtectorKeyStore, software_key_store};
use crate::text::Language;
use crate::types::{
    Account, InvitationOffer, LoginCode, LoginContext, LoginRequest, OfflineCode, OtpAccount,
    OtpCode, ScanResult,
};

/// File name of the (wrapped) vault inside the storage folder.
pub const VAULT_FILE: &str = "tigr-vault.bin";

/// File name of the (wrapped) OTP accounts inside the storage folder.
pub const OTP_ACCOUNTS_FILE: &str = "tigr-otp.bin";

/// This phone's Tigr authenticator: its accounts and its conversations with Tigr servers, and
/// the OTP accounts of other services it keeps as an authenticator app.
///
/// Every method blocks — network calls (5 s to connect, 40 s at most) and the PIN derivation
/// (PBKDF2, tens of milliseconds) — so apps call them off the main thread (Kotlin:
/// `withContext(Dispatchers.IO)`; Swift: `Task.detached` or a background queue). One instance
/// may be shared between threads.
#[derive(uniffi::Object)]
pub struct Authenticator {
    inner: core::Authenticator,
    otp: OtpAccounts,
    language: Language,
    /// The clock `inner` was given, read for the text of an offline reason.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("inner", &self.inner)
            .field("language", &self.language)
            .finish()
    }
}

/// The login code in `payload`; an invitation is refused.
fn login_qr(payload: &str) -> Result<LoginQr, TigrError> {
    expect_login(QrPayload::parse(payload)?)
}

/// The invitation in `payload`; a login code is refused.
fn invitation_qr(payload: &str) -> Result<EnrollmentQr, TigrError> {
    expect_invitation(QrPayload::parse(payload)?)
}

impl Authenticator {
    fn scan_login(&self, qr: LoginQr) -> Result<LoginRequest, TigrError> {
        let accounts = self.inner.accounts_for(&qr)?;
        if accounts.is_empty() {
            return Err(TigrError::NotEnrolled {
                server: qr.origin.display_host(),
            });
        }
        let (context, offline_reason) = match self.inner.login_context(&qr) {
            Ok(c) => (
                Some(LoginContext {
                    service_name: c.service_name,
                    server_host: qr.origin.display_host(),
                    requested_at: c.created_at,
                    expires_at: c.expires_at,
                    browser_ip: c.browser_ip,
                    browser_summary: c.browser_summary,
                }),
                None,
            ),
            // No network, or something between us and the server that does not speak the
            // protocol (captive portal, proxy error page): offer the offline code.
            Err(DeviceError::Client(
                e @ (ClientError::Network(_) | ClientError::Protocol { .. }),
            )) => {
                let reason = TigrError::from(e).message(self.language, self.clock.now_unix());
                (None, Some(reason))
            }
            Err(e) => return Err(e.into()),
        };
        Ok(LoginRequest {
            code: LoginCode::from(&qr),
            context,
            accounts: accounts.into_iter().map(Account::from).collect(),
            offline_reason,
        })
    }
}

#[uniffi::export]
impl Authenticator {
    /// Opens (or creates) the authenticator whose vault lives in `storage_dir` (an app-private
    /// folder, created if missing).
    ///
    /// `key_protector` wraps the vault with a platform key (Android Keystore, iOS Secure
    /// Enclave / Keychain). With `None`, a software key is kept in `storage_dir/keystore.key`
    /// (mode 0600): the fallback for desktop tools and tests only. `language` (`fr`, the
    /// default, or `en`) is the language of server messages and of offline reasons.
    #[uniffi::constructor]
    pub fn new(
        storage_dir: String,
        key_protector: Option<Arc<dyn KeyProtector>>,
        language: String,
    ) -> Result<Arc<Self>, TigrError> {
        let dir = PathBuf::from(storage_dir);
        std::fs::create_dir_all(&dir).map_err(|e| TigrError::Storage {
            detail: format!("{}: {e}", dir.display()),
        })?;
        let keystore: Arc<dyn KeyStore> = match key_protector {
            Some(protector) => Arc::new(ProtectorKeyStore(protector)),
            None => Arc::new(software_key_store(&dir)?),
        };
        let language = Language::from_tag(&language);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let rng: Arc<dyn SecureRandom> = Arc::new(SystemRandom::new());
        let otp = OtpAccounts::new(OtpAccountsDeps {
            store: Arc::new(FileVaultStore::new(dir.join(OTP_ACCOUNTS_FILE))),
            keystore: keystore.clone(),
            rng: rng.clone(),
            clock: clock.clone(),
        });
        let inner = core::Authenticator::new(AuthenticatorDeps {
            store: Arc::new(FileVaultStore::new(dir.join(VAULT_FILE))),
            keystore,
            transport: Arc::new(UreqTransport::new()),
            rng,
            clock: clock.clone(),
        })
        .with_language(language.tag());
        Ok(Arc::new(Self {
            inner,
            otp,
            language,
            clock,
        }))
    }

    /// The accounts enrolled on this phone.
    pub fn accounts(&self) -> Result<Vec<Account>, TigrError> {
        let accounts = self.inner.accounts()?;
        Ok(accounts.into_iter().map(Account::from).collect())
    }

    /// Reads a scanned text and asks its server what it is about: for an invitation, the
    /// offer (needs the network: a `TigrError.Network` otherwise); for a login code, who is
    /// asking. A login code whose server cannot be reached is *not* an error: the request then
    /// has no context and an `offline_reason`, and the app offers
    /// `Authenticator.offline_code`. A login code of a server this phone is not enrolled on
    /// gives `TigrError.NotEnrolled`.
    pub fn scan(&self, text: String) -> Result<ScanResult, TigrError> {
        let result = match QrPayload::parse(&text)? {
            QrPayload::Enrollment(qr) => {
                let offer = self.inner.lookup_enrollment(&qr)?;
                ScanResult::Invitation {
                    offer: InvitationOffer {
                        payload: QrPayload::Enrollment(qr.clone()).to_string(),
                        server_host: qr.origin.display_host(),
                        service_name: offer.service_name,
                        tigr_id: offer.account,
                        display_name: offer.display_name,
                        expires_at: offer.expires_at,
                    },
                }
            }
            QrPayload::Login(qr) => ScanResult::Login {
                request: self.scan_login(qr)?,
            },
        };
        Ok(result)
    }

    /// Enrolls this phone with an invitation and a new PIN (typed twice). The PIN is checked
    /// first (4–12 digits, not a run nor one repeated digit: `TigrError.InvalidPin`).
    /// `device_name` is the name administrators see for this phone. Enrolling again for the
    /// same account replaces the earlier entry.
    pub fn enroll(
        &self,
        payload: String,
        pin: String,
        pin_confirmation: String,
        device_name: String,
    ) -> Result<Account, TigrError> {
        let pin = zeroize::Zeroizing::new(pin);
        let pin_confirmation = zeroize::Zeroizing::new(pin_confirmation);
        let qr = invitation_qr(&payload)?;
        let account = self
            .inner
            .enroll(&qr, &pin, &pin_confirmation, &device_name)?;
        Ok(account.into())
    }

    /// Approves a login with the PIN. `tigr_id` picks the account when this phone has several
    /// on that server (`TigrError.AccountChoiceNeeded` otherwise). A wrong PIN is only
    /// detected by the server: `TigrError.WrongPin` with the attempts left, then
    /// `TigrError.AccountBlocked` (with the time the block lifts when it lifts by itself).
    pub fn approve(
        &self,
        payload: String,
        tigr_id: Option<String>,
        pin: String,
    ) -> Result<(), TigrError> {
        let pin = zeroize::Zeroizing::new(pin);
        let qr = login_qr(&payload)?;
        self.inner.approve(&qr, tigr_id.as_deref(), &pin)?;
        Ok(())
    }

    /// "This wasn't me": refuses the login (no PIN needed); the server records it.
    pub fn deny(&self, payload: String, tigr_id: Option<String>) -> Result<(), TigrError> {
        let qr = login_qr(&payload)?;
        self.inner.deny(&qr, tigr_id.as_deref())?;
        Ok(())
    }

    /// The Tigr ID and one-time password to type on the web page when the phone is offline.
    /// No network needed; a wrong PIN gives a wrong code that the server refuses and counts.
    pub fn offline_code(
        &self,
        payload: String,
        tigr_id: Option<String>,
        pin: String,
    ) -> Result<OfflineCode, TigrError> {
        let pin = zeroize::Zeroizing::new(pin);
        let qr = login_qr(&payload)?;
        let code = self.inner.offline_code(&qr, tigr_id.as_deref(), &pin)?;
        Ok(code.into())
    }

    /// Forgets an account on this phone (nothing happens if it is not there). The server keeps
    /// the phone listed until an administrator revokes it or another phone is enrolled.
    pub fn remove_account(&self, server_origin: String, tigr_id: String) -> Result<(), TigrError> {
        self.inner.remove_account(&server_origin, &tigr_id)?;
        Ok(())
    }

    /// The OTP accounts of other services kept on this phone, in the order they were added.
    /// Reads the file wrapped by the key protector: no PIN, no network.
    pub fn otp_accounts(&self) -> Result<Vec<OtpAccount>, TigrError> {
        let accounts = self.otp.list()?;
        Ok(accounts.into_iter().map(OtpAccount::from).collect())
    }

    /// Adds the accounts of a scanned `otpauth://` code or Google Authenticator export (the text
    /// `parse_code` gave `ScannedCode.OtpAccounts` for), all or none, and returns them. An
    /// account already here (same names, secret and settings) is not added twice.
    pub fn add_otp_accounts(&self, text: String) -> Result<Vec<OtpAccount>, TigrError> {
        let text = zeroize::Zeroizing::new(text);
        let imported = self.otp.import(&text)?;
        Ok(imported
            .accounts
            .into_iter()
            .map(OtpAccount::from)
            .collect())
    }

    /// The code of OTP account `id` at `now_unix`: the app's clock (Unix seconds), the one that
    /// also drives its countdown, as for `error_message`. A TOTP code comes with its seconds
    /// left (ask again when they run out); for an HOTP account this *is* the user asking for the
    /// next code (`now_unix` is not read): its counter moves on, and is saved before the code is
    /// returned.
    pub fn otp_code(&self, id: String, now_unix: i64) -> Result<OtpCode, TigrError> {
        Ok(self.otp.code(&id, now_unix)?.into())
    }

    /// Renames OTP account `id` (`issuer` may be null or empty); the codes do not change.
    pub fn rename_otp_account(
        &self,
        id: String,
        issuer: Option<String>,
        account_name: String,
    ) -> Result<OtpAccount, TigrError> {
        Ok(self
            .otp
            .rename(&id, issuer.as_deref(), &account_name)?
            .into())
    }

    /// Removes OTP account `id` from this phone (nothing happens if it is not there). The
    /// service still expects its codes: the user should turn them off there first.
    pub fn remove_otp_account(&self, id: String) -> Result<(), TigrError> {
        self.otp.remove(&id)?;
        Ok(())
    }
}
