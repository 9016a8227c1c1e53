//! The OTP service: the login page's OTP mode (Tigr ID + password + one-time password, the
//! code sent by e-mail or a code of the account's TOTP/HOTP token), passwords chosen through an invitation link or changed by their
//! owner. It opens web sessions through the [`LoginService`], like a QR login.
//!
//! | area                           | methods                                             |
//! |--------------------------------|-----------------------------------------------------|
//! | passwords                      | [`password_invitation`], [`set_password`], [`change_password`] |
//! | e-mail codes                   | [`send_email_code`]                                 |
//! | login                          | [`login`]                                           |
//! | authenticator apps             | [`token_invitation`], [`enroll_token`]              |
//!
//! Failed attempts count on the OTP channel, per Tigr ID typed
//! ([`PauseChannel::Otp`](crate::storage::PauseChannel), rules of
//! [`crate::domain::offline_pause`]): they never touch the phone's counter nor the offline
//! form's. Every Tigr ID typed costs one argon2id computation and gets the same replies,
//! whether it names an account, one with a password or with an e-mail address, or nothing
//! (docs/security.md, "Account enumeration").
//!
//! [`password_invitation`]: OtpService::password_invitation
//! [`set_password`]: OtpService::set_password
//! [`change_password`]: OtpService::change_password
//! [`send_email_code`]: OtpService::send_email_code
//! [`login`]: OtpService::login
//! [`token_invitation`]: OtpService::token_invitation
//! [`enroll_token`]: OtpService::enroll_token

mod email;
mod error;
mod passwords;
mod sign_in;
mod tokens;

use std::sync::Arc;

use tigr_core::clock::TimeZone;
use tigr_core::random::SecureRandom;

use crate::config::OtpSettings;
use crate::domain::email_code::EmailCodePolicy;
use crate::domain::offline_pause::OfflinePolicy;
use crate::login::{ClientInfo, LoginService};
use crate::mail::Mailer;
use crate::passwords::PasswordHasher;
use crate::sealing::SecretSealer;
use crate::storage::{Account, Store};

pub use email::EmailCodeReply;
pub use error::OtpError;
pub use passwords::InvitationView;
pub use tokens::TokenEnrollmentView;

/// The token rules the service applies (from [`OtpSettings`]).
#[derive(Debug, Clone, Copy)]
struct TokenPolicy {
    /// TOTP time steps either side of now, for enrolled apps.
    window: u32,
    /// HOTP counters accepted ahead of the expected one.
    look_ahead: u32,
}

/// What the OTP service is made of. Cheap to clone.
#[derive(Clone)]
pub struct OtpService {
    store: Store,
    login: LoginService,
    sealer: Arc<SecretSealer>,
    hasher: Arc<PasswordHasher>,
    /// At most this many argon2id computations at once (one per core): each takes 19 MiB,
    /// and a burst of logins waits its turn instead of growing memory without bound.
    hashing: Arc<tokio::sync::Semaphore>,
    mailer: Option<Arc<Mailer>>,
    lockout: OfflinePolicy,
    email: EmailCodePolicy,
    tokens: TokenPolicy,
    service_name: String,
    time_zone: TimeZone,
    random: Arc<dyn SecureRandom>,
}

impl std::fmt::Debug for OtpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtpService")
            .field("mailer", &self.mailer)
            .field("lockout", &self.lockout)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// The parts of an [`OtpService`].
#[allow(missing_debug_implementations)]
pub struct OtpParts {
    /// The database.
    pub store: Store,
    /// Opens web sessions.
    pub login: LoginService,
    /// Keys of the OTP channel's records and of e-mail codes (from the master key).
    pub sealer: Arc<SecretSealer>,
    /// The mailer (`None`: no SMTP relay configured, e-mail codes are not offered).
    pub mailer: Option<Mailer>,
    /// The settings of the OTP mode.
    pub settings: OtpSettings,
    /// Service name (never part of a password).
    pub service_name: String,
    /// Time zone of the times in e-mails and messages.
    pub time_zone: TimeZone,
    /// Randomness (codes, salts).
    pub random: Arc<dyn SecureRandom>,
}

impl OtpService {
    /// The service over its parts (hashes a stand-in password once: about 20 ms).
    pub fn new(parts: OtpParts) -> Self {
        Self {
            store: parts.store,
            login: parts.login,
            sealer: parts.sealer,
            hasher: Arc::new(PasswordHasher::new(parts.random.as_ref())),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            mailer: parts.mailer.map(Arc::new),
            lockout: parts.settings.lockout_policy(),
            email: parts.settings.email_code_policy(),
            tokens: TokenPolicy {
                window: parts.settings.token_window,
                look_ahead: parts.settings.token_look_ahead,
            },
            service_name: parts.service_name,
            time_zone: parts.time_zone,
            random: parts.random,
        }
    }

    /// True when e-mail codes can be sent (an SMTP relay is configured).
    pub fn email_codes_offered(&self) -> bool {
        self.mailer.is_some()
    }

    /// True when `account` has a password (it may change it).
    pub async fn has_password(&self, account: &str) -> Result<bool, OtpError> {
        Ok(self.store.password_set_at(account).await?.is_some())
    }

    /// Seconds an e-mail code is valid.
    pub fn email_code_ttl(&self) -> i64 {
        self.email.ttl
    }

    fn now(&self) -> i64 {
        self.login.now()
    }

    /// Checks `password` against the account's hash (or the stand-in hash: same work) on
    /// a blocking thread, so that argon2id's ~20 ms do not hold up the async workers.
    async fn password_matches(&self, password: &str, phc: Option<String>) -> bool {
        let Ok(_turn) = self.hashing.acquire().await else {
            return false;
        };
        let hasher = Arc::clone(&self.hasher);
        let password = zeroize::Zeroizing::new(password.as_bytes().to_vec());
        tokio::task::spawn_blocking(move || hasher.verify(&password, phc.as_deref()))
            .await
            .unwrap_or(false)
    }

    /// The PHC string of `password` with a fresh salt, computed on a blocking thread.
    async fn hash_password(&self, password: &str) -> Result<String, OtpError> {
        let _turn = self
            .hashing
            .acquire()
            .await
            .map_err(|_| OtpError::Internal)?;
        let hasher = Arc::clone(&self.hasher);
        let random = Arc::clone(&self.random);
        let password = zeroize::Zeroizing::new(password.as_bytes().to_vec());
        tokio::task::spawn_blocking(move || hasher.hash(&password, random.as_ref()))
            .await
            .map_err(|_| OtpError::Internal)
    }
}

/// A Tigr ID typed into the OTP form, with what the server knows of it.
struct TypedId {
    /// The key of its OTP-channel record.
    key: [u8; 32],
    /// The enabled account it names (`None`: none, or disabled).
    account: Option<Account>,
    /// That account's password hash.
    phc: Option<String>,
}

impl TypedId {
    fn account_id(&self) -> Option<&str> {
        self.account.as_ref().map(|a| a.id.as_str())
    }
}

impl OtpService {
    /// Reads what is known of a typed Tigr ID: the same reads whatever it names.
    async fn typed_id(&self, typed: &str) -> Result<TypedId, OtpError> {
        let normalised = typed.trim().to_ascii_lowercase();
        let key = self.sealer.tigr_id_key(&normalised);
        let account = self
            .store
            .account(&normalised)
            .await?
            .filter(Account::is_enabled);
        let phc = match &account {
            Some(a) => self.store.password_of(&a.id).await?,
            None => None,
        };
        Ok(TypedId { key, account, phc })
    }
}

/// Who asked, for the audit trail.
fn client_detail(client: &ClientInfo) -> (Option<&str>, Option<&str>) {
    (Some(client.ip.as_str()), Some(client.summary.as_str()))
}
