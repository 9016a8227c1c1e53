//! Back-Channel Logout 1.0: the logout tokens queued when a web session ended (in the same
//! transaction, see `storage::WriteTx::end_oidc_session`) are posted to each client's
//! `backchannel_logout_uri`, in the background.
//!
//! ```text
//!   queued ──POST logout_token──► 2xx: delivered (audited), row deleted
//!     ▲            │ timeout, refused, other status
//!     └── retry ◄──┘ after 2 s, then 10 s; after 3 attempts: given up (audited)
//! ```
//!
//! The queue is a table, so tokens queued by another process (an administrator disabling
//! an account from the command line) and tokens left by a restart are delivered too.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::sleep;

use crate::domain::oidc::LOGOUT_TOKEN_TTL;
use crate::domain::oidc::claims::{LogoutToken, logout_events, subject};
use crate::hub::Topic;
use crate::shutdown::stopping;
use crate::storage::{AuditEntry, AuditEvent, QueuedLogout};

use super::{OidcError, OidcService};

/// Longest wait for a client's answer (connection included).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Seconds the logout tokens taken for a delivery are left alone by the other instances
/// sharing the database: well beyond what a delivery can take (`DELIVERY_TIMEOUT`).
const CLAIM_LEASE: i64 = 30;

/// Attempts per logout token.
const MAX_ATTEMPTS: i64 = 3;

/// Seconds before the second and third attempts.
const RETRY_AFTER: [i64; 2] = [2, 10];

/// How often the queue is read without a wake-up (retries, other processes' rows).
const POLL: Duration = Duration::from_secs(2);

/// Logout tokens posted per round.
const BATCH: u32 = 32;

/// How one delivery went.
enum Delivery {
    Delivered(u16),
    Failed(String),
    /// The client was removed meanwhile: nothing to tell.
    Gone,
}

impl OidcService {
    /// Delivers queued logout tokens until the server shuts down (woken at once when a
    /// session ends in this process; the queue is read every [`POLL`] otherwise).
    pub async fn deliver_logouts(self) {
        let mut wake = self.0.hub.subscribe(Topic::BackchannelLogout);
        let mut shutdown = self.0.shutdown.clone();
        loop {
            match self.deliver_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(_) => tracing::warn!("back-channel logout: queue read failed"),
            }
            tokio::select! {
                () = wake.changed() => {}
                () = sleep(POLL) => {}
                () = stopping(&mut shutdown) => return,
            }
        }
    }

    /// Posts the logout tokens due now; returns how many were tried.
    pub async fn deliver_due(&self) -> Result<usize, OidcError> {
        let now = self.now();
        let lease_until = now + CLAIM_LEASE;
        let due = self
            .0
            .store
            .oidc_claim_due_logouts(now, lease_until, BATCH)
            .await?;
        let tried = due.len();
        let outcomes = join_all(due.iter().map(|queued| self.deliver(queued))).await;
        for (queued, outcome) in due.iter().zip(outcomes) {
            self.record(queued, outcome).await?;
        }
        Ok(tried)
    }

    async fn deliver(&self, queued: &QueuedLogout) -> Delivery {
        let client = match self.0.store.oidc_client(&queued.client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => return Delivery::Gone,
            Err(error) => return Delivery::Failed(format!("storage: {error}")),
        };
        let Some(uri) = client.backchannel_logout_uri.as_deref() else {
            return Delivery::Gone;
        };
        let now = self.now();
        let token = async {
            let key = self
                .0
                .keys
                .current(&self.0.store, &self.0.sealer, now)
                .await?;
            let sub = subject(&client, &queued.account_id, &self.0.pairwise_key);
            let jti = self.random_b64(16);
            Ok::<_, OidcError>(key.sign(
                Some("logout+jwt"),
                &LogoutToken {
                    iss: self.issuer(),
                    aud: &client.id,
                    iat: now,
                    exp: now + LOGOUT_TOKEN_TTL,
                    jti: &jti,
                    events: logout_events(),
                    sub: &sub,
                    sid: &queued.sid,
                },
            )?)
        };
        let token = match token.await {
            Ok(token) => token,
            Err(_) => return Delivery::Failed("signing failed".to_owned()),
        };
        let sent = self
            .0
            .http
            .post(uri)
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .form(&[("logout_token", token.as_str())])
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Delivery::Delivered(response.status().as_u16())
            }
            Ok(response) => Delivery::Failed(format!("status {}", response.status().as_u16())),
            Err(error) if error.is_timeout() => Delivery::Failed("timeout".to_owned()),
            Err(error) if error.is_connect() => Delivery::Failed("connection refused".to_owned()),
            Err(_) => Delivery::Failed("request failed".to_owned()),
        }
    }

    /// Deletes, retries or gives up `queued` after `outcome`, with its audit row.
    async fn record(&self, queued: &QueuedLogout, outcome: Delivery) -> Result<(), OidcError> {
        let now = self.now();
        let attempts = queued.attempts + 1;
        let actor = format!("client:{}", queued.client_id);
        let mut tx = self.0.store.begin_write().await?;
        match outcome {
            Delivery::Gone => tx.delete_oidc_logout(queued.id).await?,
            Delivery::Delivered(status) => {
                tx.delete_oidc_logout(queued.id).await?;
                tx.audit(&AuditEntry {
                    account_id: Some(&queued.account_id),
                    detail: Some(format!(
                        "client={} sid={} status={status} attempts={attempts}",
                        queued.client_id, queued.sid
                    )),
                    ..AuditEntry::by(now, AuditEvent::OidcLogoutDelivered, &actor)
                })
                .await?;
            }
            Delivery::Failed(why) if attempts >= MAX_ATTEMPTS => {
                tx.delete_oidc_logout(queued.id).await?;
                tx.audit(&AuditEntry {
                    account_id: Some(&queued.account_id),
                    detail: Some(format!(
                        "client={} sid={} why={why:?} attempts={attempts}",
                        queued.client_id, queued.sid
                    )),
                    ..AuditEntry::by(now, AuditEvent::OidcLogoutFailed, &actor)
                })
                .await?;
                tracing::warn!(client = %queued.client_id, why, "back-channel logout given up");
            }
            Delivery::Failed(why) => {
                let delay = RETRY_AFTER[usize::try_from(attempts - 1).unwrap_or(0).min(1)];
                tx.retry_oidc_logout(queued.id, attempts, now + delay)
                    .await?;
                tracing::info!(client = %queued.client_id, why, attempts, "back-channel logout to retry");
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
