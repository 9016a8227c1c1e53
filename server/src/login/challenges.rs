//! Login challenges: issued to a browser, followed by it (status, long poll, live updates),
//! scanned by a phone (context).

use std::time::Duration;

use tigr_core::ids::{is_valid_id, random_id};
use tigr_core::payload::{LoginQr, QrPayload};
use tigr_core::wire::{ChallengeState, ChallengeStatus, LoginContext};

use crate::domain::challenge::{LoginChallenge, StoredState, is_final};
use crate::hub::{Subscription, Topic};
use crate::sealing::{constant_time_eq, sha256};
use crate::shutdown::stopping;
use crate::storage::NewChallenge;

use super::{ClientInfo, LoginError, LoginService};

/// Longest long poll, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;

/// A login challenge just issued.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    /// Its identifier.
    pub id: String,
    /// The text of its QR code.
    pub payload: String,
    /// Its expiry (Unix seconds).
    pub expires_at: i64,
}

/// A state a browser following a challenge is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeUpdate {
    /// The state now.
    pub state: ChallengeState,
    /// The challenge's expiry.
    pub expires_at: i64,
    /// The end of a temporary block, when it ended `blocked`.
    pub blocked_until: Option<i64>,
}

/// The status of `challenge` at `now`, as the browser sees it.
fn status_of(challenge: &LoginChallenge, now: i64) -> ChallengeStatus {
    ChallengeStatus {
        state: challenge.state_at(now),
        account: challenge.approved_account().map(str::to_owned),
        expires_at: challenge.expires_at,
        blocked_until: challenge
            .blocked_until
            .filter(|_| challenge.state == StoredState::Blocked),
    }
}

impl LoginService {
    /// Issues a login challenge to the browser `client` that holds `browser_token` (only the
    /// token's hash is stored): for the API and for the login page alike. `service_name` is
    /// the service the login is for, shown on the phone (`None`: the server's own name; the
    /// login page of an OpenID Connect authorization gives the client's name).
    pub async fn issue(
        &self,
        client: &ClientInfo,
        browser_token: &str,
        service_name: Option<&str>,
    ) -> Result<IssuedChallenge, LoginError> {
        let now = self.now();
        let id = random_id(self.random.as_ref());
        let nonce = random_id(self.random.as_ref());
        let expires_at = now + self.challenge_ttl;
        self.store
            .insert_challenge(&NewChallenge {
                id: &id,
                nonce: &nonce,
                browser_token_hash: &sha256(browser_token.as_bytes()),
                created_at: now,
                expires_at,
                browser_ip: &client.ip,
                browser_summary: &client.summary,
                service_name,
            })
            .await?;
        Ok(IssuedChallenge {
            payload: self.login_payload(&id, &nonce, expires_at),
            id,
            expires_at,
        })
    }

    /// A fresh random browser token (the API hands it to the browser; the login page keeps
    /// it in a cookie).
    pub fn new_browser_token(&self) -> String {
        random_id(self.random.as_ref())
    }

    /// The QR payload of the login challenge `id`.
    fn login_payload(&self, id: &str, nonce: &str, expires_at: i64) -> String {
        QrPayload::Login(LoginQr {
            origin: self.origin.clone(),
            challenge_id: id.to_owned(),
            nonce: nonce.to_owned(),
            expires_at,
        })
        .to_string()
    }

    /// The challenge `id`, if known (a malformed id is unknown).
    pub(super) async fn challenge(&self, id: &str) -> Result<LoginChallenge, LoginError> {
        if !is_valid_id(id) {
            return Err(LoginError::UnknownChallenge);
        }
        self.store
            .challenge(id)
            .await?
            .ok_or(LoginError::UnknownChallenge)
    }

    /// The challenge `id` if `browser_token` is the one it was issued to; unknown challenges
    /// and other browsers' look the same ([`LoginError::BrowserMismatch`]), so a stranger who
    /// knows an id learns nothing.
    pub async fn bound_challenge(
        &self,
        id: &str,
        browser_token: &str,
    ) -> Result<IssuedChallenge, LoginError> {
        let challenge = self.browser_challenge(id, browser_token).await?;
        Ok(self.issued(&challenge))
    }

    /// The challenge `id` of `browser_token`, unknown and other browsers' alike refused with
    /// [`LoginError::BrowserMismatch`] (see [`LoginService::bound_challenge`]).
    async fn browser_challenge(
        &self,
        id: &str,
        browser_token: &str,
    ) -> Result<LoginChallenge, LoginError> {
        let challenge = match self.challenge(id).await {
            Ok(challenge) => challenge,
            Err(LoginError::UnknownChallenge) => return Err(LoginError::BrowserMismatch),
            Err(other) => return Err(other),
        };
        check_browser(&challenge, browser_token)?;
        Ok(challenge)
    }

    /// The challenge `id` for its own browser: 404 when unknown, then 403 for another
    /// browser (the API's order).
    pub(super) async fn challenge_for_browser(
        &self,
        id: &str,
        browser_token: Option<&[u8]>,
    ) -> Result<LoginChallenge, LoginError> {
        let challenge = self.challenge(id).await?;
        check_browser(
            &challenge,
            browser_token.ok_or(LoginError::BrowserMismatch)?,
        )?;
        Ok(challenge)
    }

    fn issued(&self, challenge: &LoginChallenge) -> IssuedChallenge {
        IssuedChallenge {
            id: challenge.id.clone(),
            payload: self.login_payload(&challenge.id, &challenge.nonce, challenge.expires_at),
            expires_at: challenge.expires_at,
        }
    }

    /// The challenge `id` as its browser shows it (the QR payload), 404 when unknown and
    /// 403 for another browser.
    pub async fn qr_payload(
        &self,
        id: &str,
        browser_token: Option<&[u8]>,
    ) -> Result<String, LoginError> {
        let challenge = self.challenge_for_browser(id, browser_token).await?;
        Ok(self.issued(&challenge).payload)
    }

    /// The challenge's status for its browser. With `wait` seconds (capped at
    /// [`MAX_WAIT_SECONDS`]), answers as soon as the challenge is decided or expired, or after
    /// `wait` with the current state (at once when the server shuts down). Reads the
    /// challenge once, then once per decision notified: a scan does not wake it.
    pub async fn status(
        &self,
        id: &str,
        browser_token: Option<&[u8]>,
        wait: u64,
    ) -> Result<ChallengeStatus, LoginError> {
        let wait = wait.min(MAX_WAIT_SECONDS);
        if wait == 0 {
            let challenge = self.challenge_for_browser(id, browser_token).await?;
            return Ok(status_of(&challenge, self.now()));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        // Subscribe before the first read, so that a decision committed in between wakes us.
        let mut subscription = self.hub.subscribe(Topic::Challenge(id.to_owned()));
        let challenge = self.challenge_for_browser(id, browser_token).await?;
        let mut now = self.now();
        let mut current = status_of(&challenge, now);
        let mut shutdown = self.shutdown.clone();
        loop {
            if is_final(current.state) || tokio::time::Instant::now() >= deadline {
                return Ok(current);
            }
            // Expiry is not an event: wake up when it is due.
            let until_expiry =
                Duration::from_secs(u64::try_from(current.expires_at - now).unwrap_or(0));
            let wake_at = deadline.min(tokio::time::Instant::now() + until_expiry);
            tokio::select! {
                () = subscription.changed() => {}
                () = tokio::time::sleep_until(wake_at) => {}
                () = stopping(&mut shutdown) => return Ok(current),
            }
            now = self.now();
            current = match self.store.challenge(id).await? {
                Some(c) => status_of(&c, now),
                // Purged while waiting: it can only have expired.
                None => ChallengeStatus {
                    state: ChallengeState::Expired,
                    ..current
                },
            };
        }
    }

    /// Follows the challenge `id` of `browser_token`: each change of state (pending, scanned,
    /// then approved, denied, blocked or expired, after which the stream ends). The
    /// subscriptions are taken before the first read, so no change is missed, and that read
    /// gives the first state.
    pub async fn watch(&self, id: &str, browser_token: &str) -> Result<ChallengeWatch, LoginError> {
        let decisions = self.hub.subscribe(Topic::Challenge(id.to_owned()));
        let scan = self.hub.subscribe(Topic::Scan(id.to_owned()));
        let challenge = self.browser_challenge(id, browser_token).await?;
        Ok(ChallengeWatch {
            service: self.clone(),
            id: id.to_owned(),
            decisions,
            scan,
            shutdown: self.shutdown.clone(),
            first: Some(challenge),
            last: None,
        })
    }

    /// `POST .../context`: the phone proves it read the QR (`nonce`) and gets what to show
    /// before the PIN. Marks the challenge scanned, behind the reply: the state only tells
    /// the browser that a phone read its QR (an approval takes a pending challenge as well),
    /// so the phone does not wait for a turn of the writer to show it (see
    /// docs/benchmarks.md). `browser_summary` is empty when the browser is unknown (the HTTP
    /// layer words it).
    pub async fn context(&self, id: &str, nonce: &str) -> Result<LoginContext, LoginError> {
        let challenge = self.challenge(id).await?;
        // A wrong nonce looks exactly like an unknown challenge.
        if !constant_time_eq(nonce.as_bytes(), challenge.nonce.as_bytes()) {
            return Err(LoginError::UnknownChallenge);
        }
        let now = self.now();
        challenge.check_open(now)?;
        if challenge.state == StoredState::Pending {
            let service = self.clone();
            let id = id.to_owned();
            // Detached: the write goes on when the phone's request ends.
            drop(tokio::spawn(async move {
                match service.store.mark_scanned(&id, now).await {
                    Ok(true) => service.hub.notify(&Topic::Scan(id)),
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "a scan could not be recorded"),
                }
            }));
        }
        Ok(LoginContext {
            challenge_id: challenge.id,
            service_name: challenge
                .service_name
                .unwrap_or_else(|| self.service_name.clone()),
            server_host: self.origin.display_host(),
            created_at: challenge.created_at,
            expires_at: challenge.expires_at,
            browser_ip: challenge.browser_ip,
            browser_summary: challenge.browser_summary,
        })
    }

    /// Wakes the browsers following challenge `id` (after a commit that decided it).
    pub(super) fn notify_challenge(&self, id: &str) {
        self.hub.notify(&Topic::Challenge(id.to_owned()));
    }
}

/// True when `token` is the browser token `challenge` was issued to (constant time).
fn check_browser(challenge: &LoginChallenge, token: impl AsRef<[u8]>) -> Result<(), LoginError> {
    if constant_time_eq(&sha256(token.as_ref()), &challenge.browser_token_hash) {
        Ok(())
    } else {
        Err(LoginError::BrowserMismatch)
    }
}

/// The changes of one challenge, for its browser (see [`LoginService::watch`]).
#[derive(Debug)]
pub struct ChallengeWatch {
    service: LoginService,
    id: String,
    decisions: Subscription,
    scan: Subscription,
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// The challenge as read when the watch began: the first state, without a second read.
    first: Option<LoginChallenge>,
    last: Option<ChallengeState>,
}

impl ChallengeWatch {
    /// The next change, or `None` once the challenge is over (or the server stops, or the
    /// database fails).
    pub async fn next(&mut self) -> Option<ChallengeUpdate> {
        if self.last.is_some_and(is_final) {
            return None;
        }
        loop {
            let now = self.service.now();
            let read = match self.first.take() {
                Some(first) => Ok(Some(first)),
                None => self.service.store.challenge(&self.id).await,
            };
            let update = match read {
                Ok(Some(c)) => ChallengeUpdate {
                    state: c.state_at(now),
                    expires_at: c.expires_at,
                    blocked_until: c.blocked_until,
                },
                // Purged: it can only have expired.
                Ok(None) => ChallengeUpdate {
                    state: ChallengeState::Expired,
                    expires_at: now,
                    blocked_until: None,
                },
                Err(error) => {
                    tracing::warn!(%error, "challenge watch: read failed");
                    return None;
                }
            };
            if self.last != Some(update.state) {
                self.last = Some(update.state);
                return Some(update);
            }
            // Expiry is not an event: wake up when it is due (whole seconds, never early).
            let until_expiry =
                Duration::from_secs(u64::try_from(update.expires_at - now).unwrap_or(0));
            tokio::select! {
                () = self.decisions.changed() => {}
                () = self.scan.changed() => {}
                () = tokio::time::sleep(until_expiry) => {}
                () = stopping(&mut self.shutdown) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tigr_core::clock::{FixedClock, TimeZone};
    use tigr_core::payload::Origin;
    use tigr_core::random::SystemRandom;

    use super::*;
    use crate::domain::lockout::LockoutPolicy;
    use crate::domain::offline_pause::OfflinePolicy;
    use crate::hub::NotificationHub;
    use crate::login::{LoginParts, SessionSettings};
    use crate::sealing::{MasterKey, SecretSealer};

    /// A long poll asking for more than [`MAX_WAIT_SECONDS`] waits that long and no more
    /// (docs/protocol.md §3.3), in the tokio clock, paused and advanced by the runtime.
    #[tokio::test]
    async fn a_long_poll_waits_30_seconds_at_most() {
        let (_dir, store) = crate::storage::temporary_store().await;
        let random = Arc::new(SystemRandom::new());
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        let service = LoginService::new(LoginParts {
            store,
            sealer: SecretSealer::new(&MasterKey::generate(random.as_ref())).into(),
            origin: Origin::parse("https://auth.example.fr").expect("origin"),
            service_name: "Tigr".into(),
            challenge_ttl: 120,
            lockout: LockoutPolicy::new(5),
            offline_lockout: OfflinePolicy::new(5, 900, 86_400),
            time_zone: TimeZone::UTC,
            sessions: SessionSettings {
                idle: 600,
                max: 3600,
                admin_idle: 600,
                admin_max: 3600,
            },
            clock: Arc::new(FixedClock::at(1_800_000_000)),
            random,
            hub: NotificationHub::new(),
            cards: None,
            shutdown,
            offline_reply_time: crate::config::DEFAULT_OFFLINE_REPLY_TIME,
            late_offline_replies: Arc::default(),
        })
        .expect("login service");
        let client = ClientInfo {
            ip: "127.0.0.1".into(),
            summary: String::new(),
        };
        let token = service.new_browser_token();
        let issued = service.issue(&client, &token, None).await.expect("issued");
        // Paused from here: the runtime jumps to the next timer when nothing else runs.
        tokio::time::pause();
        for asked in [31, 3600, u64::MAX] {
            let start = tokio::time::Instant::now();
            let status = service
                .status(&issued.id, Some(token.as_bytes()), asked)
                .await
                .expect("status");
            assert_eq!(status.state, ChallengeState::Pending);
            // The timer wheel rounds up to the next millisecond.
            let waited = start.elapsed();
            let cap = Duration::from_secs(MAX_WAIT_SECONDS);
            assert!(
                waited >= cap && waited < cap + Duration::from_millis(10),
                "wait={asked}: {waited:?}"
            );
        }
        let start = tokio::time::Instant::now();
        service
            .status(&issued.id, Some(token.as_bytes()), 7)
            .await
            .expect("status");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(7) && waited < Duration::from_millis(7010),
            "{waited:?}"
        );
    }
}
