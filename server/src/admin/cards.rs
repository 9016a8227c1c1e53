//! Card bindings (docs/cps.md): an administrator binds a card to an account by the national
//! identifier its certificate carries, or by the fingerprint of one certificate for cards
//! that carry none, and removes bindings.

use crate::domain::card::{NationalId, normalize_fingerprint};
use crate::login::{BY_FINGERPRINT, BY_NATIONAL_ID};
use crate::storage::{AuditEvent, CardBinding};

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

impl AdminService {
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
        let id = rules::account_id(id)?;
        let (kind, value) = key.checked()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        if let Some(existing) = tx.card_binding(kind, &value).await? {
            return Err(AdminError::CardAlreadyBound {
                card: value,
                account: existing.account_id,
            });
        }
        let binding = CardBinding {
            kind: kind.to_owned(),
            value,
            account_id: id.clone(),
            created_at: now,
            created_by: who.clone(),
        };
        tx.insert_card_binding(&binding).await?;
        let detail = format!("{kind}={}", binding.value);
        tx.audit(&actor.entry(&who, now, AuditEvent::CardBound, &id, detail))
            .await?;
        tx.commit().await?;
        tracing::info!(account = %id, kind, actor = %who, "card bound");
        Ok(binding)
    }

    /// Removes the binding of the card `key` to the account `id` (audited `card_unbound`).
    pub async fn unbind_card(
        &self,
        actor: &Actor,
        id: &str,
        key: &CardKey,
    ) -> Result<(), AdminError> {
        let id = rules::account_id(id)?;
        let (kind, value) = key.checked()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        if !tx.delete_card_binding(kind, &value, &id).await? {
            return Err(AdminError::CardNotBound(value));
        }
        let detail = format!("{kind}={value}");
        tx.audit(&actor.entry(&who, now, AuditEvent::CardUnbound, &id, detail))
            .await?;
        tx.commit().await?;
        tracing::info!(account = %id, kind, actor = %who, "card binding removed");
        Ok(())
    }
}
