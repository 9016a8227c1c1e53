//! Card login (docs/cps.md): a browser that started a login on the login page presents a
//! card certificate (on Tigr's own TLS listener, or forwarded by a trusted reverse proxy);
//! a valid certificate bound to an enabled account approves that browser's challenge, which
//! then opens the web session on the public origin, like a phone's approval.
//!
//! ```text
//!   /login/cps (page)      ──► challenge issued to this browser (login cookie)
//!   card origin            ──► card_login: chain, dates, usage, CRLs (domain::card)
//!     /login/cps/certificate     ──► binding: national identifier, else fingerprint
//!                                ──► account enabled and not blocked
//!                                ──► challenge approved + card_login audited (one commit)
//!   /login/cps/complete    ──► open_card_session (login cookie) ──► web session "cps"
//! ```
//!
//! Every refusal is audited (`card_refused`, `reason=`), with what the page tells its user.

use rustls_pki_types::CertificateDer;

use crate::domain::card::{CardIdentity, CardRefusal, NationalIdKind};
use crate::domain::challenge::StoredState;
use crate::hub::Topic;
use crate::storage::{Actor, AuditEntry, AuditEvent};

use super::sessions::{LoginMethod, OpenedSession};
use super::{ClientInfo, LoginError, LoginService};

/// Binding kind of a national identifier.
pub const BY_NATIONAL_ID: &str = "national_id";
/// Binding kind of a certificate fingerprint.
pub const BY_FINGERPRINT: &str = "fingerprint";

/// How the certificate reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardPath {
    /// Tigr's own TLS listener verified the handshake.
    Tls,
    /// A configured reverse proxy forwarded it in a header.
    Proxy,
}

impl CardPath {
    /// The audit trail's `path=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Proxy => "proxy",
        }
    }
}

/// A card login that approved its challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardApproval {
    /// The approved challenge (completed on the public origin).
    pub challenge_id: String,
    /// The account.
    pub account: String,
    /// The name on the certificate.
    pub name: String,
}

/// A refused card login: why, and what the certificate says (for the page that tells its
/// user what to ask the administrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRefused {
    /// Why.
    pub refusal: CardRefusal,
    /// The certificate's identity, when it could be read.
    pub identity: Option<CardIdentity>,
    /// A failure of the server (already logged), not of the card.
    pub internal: bool,
}

impl CardRefused {
    fn new(refusal: CardRefusal, identity: Option<CardIdentity>) -> Self {
        Self {
            refusal,
            identity,
            internal: false,
        }
    }
}

impl From<crate::storage::StorageError> for CardRefused {
    fn from(error: crate::storage::StorageError) -> Self {
        tracing::error!(%error, "storage failure");
        Self {
            refusal: CardRefusal::Invalid,
            identity: None,
            internal: true,
        }
    }
}

/// The audit `detail` of a certificate: `id=… (rpps)` and `fingerprint=…`.
fn identity_detail(identity: &CardIdentity) -> String {
    let id = identity.national_id.as_ref().map(|id| {
        let kind = match id.kind() {
            NationalIdKind::Rpps => "rpps",
            NationalIdKind::Adeli => "adeli",
            NationalIdKind::Staff => "staff",
            NationalIdKind::Other => "other",
        };
        format!(" id={id} kind={kind}")
    });
    format!(
        "{} fingerprint={}",
        id.unwrap_or_default(),
        identity.fingerprint
    )
}

impl LoginService {
    /// True when card login is configured.
    pub fn card_enabled(&self) -> bool {
        self.cards.is_some()
    }

    /// Checks the card certificate `chain` (leaf first) presented for the challenge
    /// `challenge_id` and, when it is valid and bound to an enabled, unblocked account,
    /// approves the challenge. Every outcome is audited.
    pub async fn card_login(
        &self,
        challenge_id: &str,
        chain: &[CertificateDer<'_>],
        path: CardPath,
        client: &ClientInfo,
    ) -> Result<CardApproval, CardRefused> {
        match self.try_card_login(challenge_id, chain, path, client).await {
            Err(refused) if !refused.internal => Err(self
                .refuse_card(
                    refused.refusal,
                    Some(challenge_id),
                    path,
                    client,
                    refused.identity.as_ref(),
                )
                .await),
            outcome => outcome,
        }
    }

    async fn try_card_login(
        &self,
        challenge_id: &str,
        chain: &[CertificateDer<'_>],
        path: CardPath,
        client: &ClientInfo,
    ) -> Result<CardApproval, CardRefused> {
        let Some(cards) = &self.cards else {
            return Err(CardRefused::new(CardRefusal::NotConfigured, None));
        };
        let read = chain
            .first()
            .map(CardIdentity::of)
            .transpose()
            .ok()
            .flatten();
        let refused = |refusal| CardRefused::new(refusal, read.clone());
        let now = self.now();
        let challenge = match self.challenge(challenge_id).await {
            Ok(challenge)
                if challenge.state_at(now) == tigr_core::wire::ChallengeState::Pending =>
            {
                challenge
            }
            Ok(_) | Err(LoginError::UnknownChallenge) => {
                return Err(refused(CardRefusal::NoLoginStarted));
            }
            Err(_) => return Err(crate::storage::StorageError::Corrupt("challenge".into()).into()),
        };
        let revocation_checked = cards
            .current()
            .verify(chain, now, cards.policy())
            .map_err(refused)?;
        let identity = read
            .clone()
            .ok_or_else(|| refused(CardRefusal::Malformed))?;
        let mut binding = None;
        if let Some(id) = &identity.national_id {
            binding = self.store.card_binding(BY_NATIONAL_ID, id.as_str()).await?;
        }
        if binding.is_none() {
            binding = self
                .store
                .card_binding(BY_FINGERPRINT, &identity.fingerprint)
                .await?;
        }
        let binding = binding.ok_or_else(|| refused(CardRefusal::Unbound))?;
        let mut tx = self.store.begin_write().await?;
        let account = tx
            .account(&binding.account_id)
            .await?
            .ok_or_else(|| refused(CardRefusal::Unbound))?;
        if !account.is_enabled() {
            return Err(refused(CardRefusal::AccountDisabled));
        }
        if account.lock_state().block_at(now).is_some() {
            return Err(refused(CardRefusal::AccountBlocked));
        }
        if !tx
            .decide_challenge(&challenge.id, StoredState::Approved, &account.id, now)
            .await?
        {
            return Err(refused(CardRefusal::NoLoginStarted));
        }
        let revocation = if revocation_checked {
            "checked"
        } else {
            "unchecked"
        };
        tx.audit(&AuditEntry {
            account_id: Some(&account.id),
            challenge_id: Some(&challenge.id),
            ip: Some(&client.ip),
            user_agent: Some(&client.summary),
            detail: Some(format!(
                "path={} by={}{} revocation={revocation}",
                path.as_str(),
                binding.kind,
                identity_detail(&identity),
            )),
            ..AuditEntry::new(now, AuditEvent::CardLogin, Actor::Card)
        })
        .await?;
        tx.commit().await?;
        self.hub.notify(&Topic::Challenge(challenge.id.clone()));
        if !revocation_checked {
            tracing::warn!(
                account = %account.id,
                "card login let through without a usable CRL (stale-CRL policy accept)"
            );
        }
        tracing::info!(account = %account.id, path = path.as_str(), "card login approved");
        Ok(CardApproval {
            challenge_id: challenge.id,
            account: account.id,
            name: identity.name,
        })
    }

    /// Audits the refusal of a card, decided by the front end (no certificate, a header
    /// from an address that is not a proxy) or by [`Self::card_login`], and returns it (a
    /// server fault instead when the audit row cannot be written).
    pub async fn refuse_card(
        &self,
        refusal: CardRefusal,
        challenge_id: Option<&str>,
        path: CardPath,
        client: &ClientInfo,
        identity: Option<&CardIdentity>,
    ) -> CardRefused {
        let now = self.now();
        let detail = format!(
            "reason={} path={}{}",
            refusal.as_str(),
            path.as_str(),
            identity.map(identity_detail).unwrap_or_default(),
        );
        let entry = AuditEntry {
            challenge_id: challenge_id.filter(|id| tigr_core::ids::is_valid_id(id)),
            ip: Some(&client.ip),
            user_agent: Some(&client.summary),
            detail: Some(detail),
            ..AuditEntry::new(now, AuditEvent::CardRefused, Actor::Card)
        };
        let written = async {
            let mut tx = self.store.begin_write().await?;
            tx.audit(&entry).await?;
            tx.commit().await
        };
        if let Err(error) = written.await {
            return error.into();
        }
        tracing::info!(
            reason = refusal.as_str(),
            path = path.as_str(),
            "card refused"
        );
        CardRefused::new(refusal, identity.cloned())
    }

    /// Opens the web session of the challenge `challenge_id` that a card approved, for the
    /// browser holding `browser_token` (the one that started the login), once. `previous`:
    /// as for [`LoginService::open_qr_session`].
    pub async fn open_card_session(
        &self,
        challenge_id: &str,
        browser_token: &str,
        client: &ClientInfo,
        previous: Option<&str>,
    ) -> Result<OpenedSession, LoginError> {
        self.open_approved_session(
            challenge_id,
            browser_token,
            LoginMethod::Cps,
            client,
            previous,
        )
        .await
    }
}
