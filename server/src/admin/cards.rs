//! Card bindings (docs/cps.md): an administrator binds a card to an account by the national
//! identifier its certificate carries, or by the fingerprint of one certificate for cards
//! that carry none, and removes bindings.

use crate::domain::card::{NationalId, normalize_fingerprint};
use crate::login::{BY_FINGERPRINT, BY_NATIONAL_ID};
use crate::storage::{AuditEvent, CardBinding, WriteTx};

use super::rules;
use super::{Actor, AdminError, AdminService, read_account};

/// What identifies a card in a binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardKey {
    /// A national identifier (`810001234567`: `8` + RPPS).
    NationalId(String),
    /// The SHA-256 fingerprint of one certificate (hex, `:` allowed).
    Fingerprint(String),
}

impl CardKey {
    /// The stored `(kind, value)`, or why the value is not one.
    fn checked(&self) -> Result<(&'static str, String), AdminError> {
        match self {
            Self::NationalId(text) => NationalId::parse(text)
                .map(|id| (BY_NATIONAL_ID, id.as_str().to_owned()))
                .ok_or_else(|| AdminError::InvalidCardKey(text.trim().to_owned())),
            Self::Fingerprint(text) => normalize_fingerprint(text)
                .map(|hex| (BY_FINGERPRINT, hex))
                .ok_or_else(|| AdminError::InvalidCardKey(text.trim().to_owned())),
        }
    }
}

/// A binding change about to be written: the checked account and card, the time, the
/// actor's audit name, and the transaction in which the account exists.
struct CardChange {
    id: String,
    kind: &'static str,
    value: String,
    now: i64,
    who: String,
    tx: WriteTx,
}

impl CardChange {
    /// Audits the change as `event` by `actor` and commits it.
    async fn commit(mut self, actor: &Actor, event: AuditEvent) -> Result<(), AdminError> {
        let detail = format!("{}={}", self.kind, self.value);
        self.tx
            .audit(&actor.entry(&self.who, self.now, event, &self.id, detail))
            .await?;
        self.tx.commit().await?;
        tracing::info!(account = %self.id, kind = self.kind, actor = %self.who, event = event.as_str(), "card binding changed");
        Ok(())
    }
}

impl AdminService {
    async fn card_change(
        &self,
        actor: &Actor,
        id: &str,
        key: &CardKey,
    ) -> Result<CardChange, AdminError> {
        let id = rules::account_id(id)?;
        let (kind, value) = key.checked()?;
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        Ok(CardChange {
            id,
            kind,
            value,
            now: self.now(),
            who: actor.audit_name(),
            tx,
        })
    }

    /// The cards bound to the account, oldest first.
    pub async fn card_bindings(&self, id: &str) -> Result<Vec<CardBinding>, AdminError> {
        let account = self.account(id).await?;
        Ok(self.store.card_bindings_of(&account.id).await?)
    }

    /// Binds the card `key` to the account `id` (audited `card_bound`). A card bound to
    /// another account is refused: remove that binding first.
    pub async fn bind_card(
        &self,
        actor: &Actor,
        id: &str,
        key: &CardKey,
    ) -> Result<CardBinding, AdminError> {
        let mut c = self.card_change(actor, id, key).await?;
        if let Some(existing) = c.tx.card_binding(c.kind, &c.value).await? {
            return Err(AdminError::CardAlreadyBound {
                card: c.value,
                account: existing.account_id,
            });
        }
        let binding = CardBinding {
            kind: c.kind.to_owned(),
            value: c.value.clone(),
            account_id: c.id.clone(),
            created_at: c.now,
            created_by: c.who.clone(),
        };
        c.tx.insert_card_binding(&binding).await?;
        c.commit(actor, AuditEvent::CardBound).await?;
        Ok(binding)
    }

    /// Removes the binding of the card `key` to the account `id` (audited `card_unbound`).
    pub async fn unbind_card(
        &self,
        actor: &Actor,
        id: &str,
        key: &CardKey,
    ) -> Result<(), AdminError> {
        let mut c = self.card_change(actor, id, key).await?;
        if !c.tx.delete_card_binding(c.kind, &c.value, &c.id).await? {
            return Err(AdminError::CardNotBound(c.value));
        }
        c.commit(actor, AuditEvent::CardUnbound).await?;
        Ok(())
    }
}
