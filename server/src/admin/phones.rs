//! Phones: show, revoke.

use crate::storage::AuditEvent;

use super::model::{Phone, PhoneStatus};
use super::rules;
use super::{Actor, AdminError, AdminService, read_account};

/// Why a phone was revoked by an administrator, as stored.
pub const REVOKED_BY_ADMIN: &str = "revoked_by_admin";

impl AdminService {
    /// Every phone the account enrolled, newest first.
    pub async fn phones(&self, id: &str) -> Result<Vec<Phone>, AdminError> {
        let account = self.account(id).await?;
        Ok(self
            .store
            .devices_of(&account.id)
            .await?
            .into_iter()
            .map(Phone::from)
            .collect())
    }

    /// The account's active phone, if any.
    pub async fn active_phone(&self, id: &str) -> Result<Option<Phone>, AdminError> {
        Ok(self.phones(id).await?.into_iter().find(Phone::is_active))
    }

    /// Revokes the account's phone at once (lost or stolen): its next answer gets 403
    /// `device_revoked`, its offline codes stop working, and the web sessions of the account
    /// end (one phone per account: it opened them all). Pending invitations stay valid, so
    /// that a replacement phone can be enrolled.
    pub async fn revoke_phone(
        &self,
        actor: &Actor,
        id: &str,
        reason: Option<&str>,
    ) -> Result<Phone, AdminError> {
        let id = rules::account_id(id)?;
        let note = rules::reason(reason)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        read_account(&mut tx, &id).await?;
        let device = tx
            .active_device_row(&id)
            .await?
            .ok_or_else(|| AdminError::NoActivePhone(id.clone()))?;
        tx.revoke_active_devices(&id, now, REVOKED_BY_ADMIN).await?;
        let sessions_ended = tx.delete_web_sessions_of(&id, now).await?;
        let mut detail = format!("reason={REVOKED_BY_ADMIN}");
        if let Some(note) = &note {
            detail.push_str(&format!(" note={note:?}"));
        }
        if sessions_ended > 0 {
            detail.push_str(&format!(" sessions_ended={sessions_ended}"));
        }
        let mut entry = actor.entry(&who, now, AuditEvent::DeviceRevoked, &id, detail);
        entry.device_id = Some(&device.id);
        tx.audit(&entry).await?;
        tx.commit().await?;
        tracing::info!(account = %id, device = %device.id, actor = %who, sessions_ended, "phone revoked");
        Ok(Phone {
            status: PhoneStatus::Revoked {
                at: now,
                reason: REVOKED_BY_ADMIN.to_owned(),
            },
            ..Phone::from(device)
        })
    }
}
