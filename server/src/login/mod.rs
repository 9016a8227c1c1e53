//! The login service: what browsers and phones do by the protocol (docs/protocol.md §3),
//! for the JSON API and the login pages alike.
//!
//! | area                         | methods                                                        |
//! |------------------------------|----------------------------------------------------------------|
//! | login challenges (browser)   | [`issue`], [`bound_challenge`], [`status`], [`watch`]          |
//! | the phone's first step       | [`context`]                                                    |
//! | answers                      | [`approve`], [`offline`], [`deny`]                             |
//! | enrollment with an invitation| [`lookup_invitation`], [`enroll`]                              |
//! | web sessions                 | [`open_session`], [`current_session`], [`end_session`]         |
//! | card login (docs/cps.md)     | [`card_login`], [`open_card_session`]                          |
//!
//! The order of checks of an answer is [`crate::domain::answer::admit_answer`]; the service
//! reads what it needs, asks the domain, writes through [`crate::storage`] (one transaction
//! per change, with its audit rows) and wakes the waiters of the [`NotificationHub`]. It
//! knows nothing of HTTP: errors are [`LoginError`]s, which the HTTP layer words and codes.
//!
//! [`issue`]: LoginService::issue
//! [`bound_challenge`]: LoginService::bound_challenge
//! [`status`]: LoginService::status
//! [`watch`]: LoginService::watch
//! [`context`]: LoginService::context
//! [`approve`]: LoginService::approve
//! [`offline`]: LoginService::offline
//! [`deny`]: LoginService::deny
//! [`lookup_invitation`]: LoginService::lookup_invitation
//! [`enroll`]: LoginService::enroll
//! [`open_session`]: LoginService::open_session
//! [`current_session`]: LoginService::current_session
//! [`end_session`]: LoginService::end_session
//! [`card_login`]: LoginService::card_login
//! [`open_card_session`]: LoginService::open_card_session

mod answers;
mod blocked_log;
mod card;
mod challenges;
mod enrollment;
mod error;
mod pacing;
mod sessions;

use std::sync::Arc;
use std::time::Duration;

use tigr_core::clock::{Clock, TimeZone};
use tigr_core::offline::OFFLINE_SECRET_LEN;
use tigr_core::payload::Origin;
use tigr_core::random::SecureRandom;
use tokio::sync::watch;

use crate::card_trust::CardTrustStore;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::offline_pause::OfflinePolicy;
use crate::hub::NotificationHub;
use crate::metrics::LateReplies;
use crate::sealing::SecretSealer;
use crate::storage::Store;

pub use card::{BY_FINGERPRINT, BY_NATIONAL_ID, CardApproval, CardPath, CardRefused};
pub use challenges::{ChallengeUpdate, ChallengeWatch, IssuedChallenge, MAX_WAIT_SECONDS};
pub use enrollment::REVOKED_REPLACED;
pub use error::{AnswerKind, LoginError};
pub use sessions::{CurrentSession, LoginMethod, OpenedSession, SessionLimits, SessionSettings};

/// The records the service hands out, as stored.
pub use crate::storage::{Account, WebSessionRecord};

/// Who sent a request: IP address and browser summary, for challenges and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client IP (the socket peer, or the proxy-reported client when trusted).
    pub ip: String,
    /// "Firefox 133 · Windows", or "" when unknown.
    pub summary: String,
}

/// What the login service is made of. Cheap to clone.
#[derive(Clone)]
pub struct LoginService {
    store: Store,
    sealer: Arc<SecretSealer>,
    origin: Origin,
    origin_text: String,
    service_name: String,
    challenge_ttl: i64,
    lockout: LockoutPolicy,
    offline_lockout: OfflinePolicy,
    /// A sealed random secret, opened and used for offline codes typed for a Tigr ID
    /// without a usable phone: every ID costs the same work (docs/security.md).
    stand_in_secret: Arc<Vec<u8>>,
    time_zone: TimeZone,
    sessions: SessionSettings,
    clock: Arc<dyn Clock>,
    random: Arc<dyn SecureRandom>,
    hub: Arc<NotificationHub>,
    shutdown: watch::Receiver<bool>,
    cards: Option<Arc<CardTrustStore>>,
    /// How often refusals on blocked accounts are logged.
    blocked_log: Arc<blocked_log::BlockedRefusals>,
    /// How long after its request an offline-code reply leaves (`pacing.rs`).
    offline_reply_time: Duration,
    /// Offline-code replies that left later than `offline_reply_time`.
    late_offline_replies: Arc<LateReplies>,
    /// Wakes offline-code replies at their time.
    pacer: Arc<pacing::Pacer>,
}

impl std::fmt::Debug for LoginService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginService")
            .field("origin", &self.origin_text)
            .field("service_name", &self.service_name)
            .field("challenge_ttl", &self.challenge_ttl)
            .field("lockout", &self.lockout)
            .field("offline_lockout", &self.offline_lockout)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

/// The parts of a [`LoginService`].
#[allow(missing_debug_implementations)]
pub struct LoginParts {
    /// The database.
    pub store: Store,
    /// Seals and opens offline secrets under the master key.
    pub sealer: Arc<SecretSealer>,
    /// The public origin (bound into signatures and offline codes).
    pub origin: Origin,
    /// Service name shown on phones.
    pub service_name: String,
    /// Lifetime of a challenge, in seconds.
    pub challenge_ttl: i64,
    /// The lockout rules of the phone channel (signed approvals).
    pub lockout: LockoutPolicy,
    /// The lockout rules of the offline channel (offline codes typed into a page).
    pub offline_lockout: OfflinePolicy,
    /// The time zone of the times in replies' messages (when an offline pause ends).
    pub time_zone: TimeZone,
    /// Timeouts of web sessions.
    pub sessions: SessionSettings,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub random: Arc<dyn SecureRandom>,
    /// Wake-ups of waiting browsers and pages.
    pub hub: Arc<NotificationHub>,
    /// Becomes true when the server shuts down (long waits end at once).
    pub shutdown: watch::Receiver<bool>,
    /// The card PKI, when card login is configured.
    pub cards: Option<Arc<CardTrustStore>>,
    /// How long after its request an offline-code reply leaves, whatever the Tigr ID.
    pub offline_reply_time: Duration,
    /// Where offline-code replies that leave late are counted (for `/metrics`).
    pub late_offline_replies: Arc<LateReplies>,
}

impl LoginService {
    /// The service over its parts; fails when its pacing thread cannot start.
    pub fn new(parts: LoginParts) -> std::io::Result<Self> {
        let mut secret = zeroize::Zeroizing::new([0u8; OFFLINE_SECRET_LEN]);
        parts.random.fill(secret.as_mut_slice());
        let stand_in_secret =
            parts
                .sealer
                .seal_offline_secret(parts.random.as_ref(), "", "", secret.as_slice());
        Ok(Self {
            origin_text: parts.origin.to_string(),
            store: parts.store,
            sealer: parts.sealer,
            origin: parts.origin,
            service_name: parts.service_name,
            challenge_ttl: parts.challenge_ttl,
            lockout: parts.lockout,
            offline_lockout: parts.offline_lockout,
            stand_in_secret: Arc::new(stand_in_secret),
            time_zone: parts.time_zone,
            sessions: parts.sessions,
            clock: parts.clock,
            random: parts.random,
            hub: parts.hub,
            shutdown: parts.shutdown,
            cards: parts.cards,
            blocked_log: Arc::default(),
            offline_reply_time: parts.offline_reply_time,
            late_offline_replies: parts.late_offline_replies,
            pacer: Arc::new(pacing::Pacer::start()?),
        })
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// The public origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Lifetime of a challenge, in seconds.
    pub fn challenge_ttl(&self) -> i64 {
        self.challenge_ttl
    }

    /// Timeouts of web sessions.
    pub fn session_settings(&self) -> &SessionSettings {
        &self.sessions
    }

    /// Ok once the database answers (health check).
    pub async fn ping(&self) -> Result<(), LoginError> {
        Ok(self.store.ping().await?)
    }
}
