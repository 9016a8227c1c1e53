//! Passwords chosen by their owner: through an administrator's invitation link (first
//! password or reset), or changed from the session page with the current one.

use crate::domain::enrollment::CodeStatus;
use crate::domain::password::check_new_password;
use crate::login::ClientInfo;
use crate::sealing::sha256;
use crate::storage::{Actor, AuditEntry, AuditEvent};

use super::{OtpError, OtpService, client_detail};

/// Longest invitation code accepted from a link (codes are 26 characters).
const MAX_CODE_LEN: usize = 64;

/// What the page of a usable invitation shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationView {
    /// The account whose password it sets.
    pub account_id: String,
    /// Its display name.
    pub display_name: String,
    /// End of validity.
    pub expires_at: i64,
}

impl OtpService {
    /// The usable invitation of `code`, for its page.
    pub async fn password_invitation(&self, code: &str) -> Result<InvitationView, OtpError> {
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Err(OtpError::Invitation(None));
        }
        let invitation = self
            .store
            .password_invitation(&sha256(code.as_bytes()))
            .await?
            .ok_or(OtpError::Invitation(None))?;
        match invitation.status(self.now()) {
            CodeStatus::Usable => {}
            other => return Err(OtpError::Invitation(Some(other))),
        }
        let account = self
            .store
            .account(&invitation.account_id)
            .await?
            .filter(|a| a.is_enabled())
            .ok_or(OtpError::Invitation(Some(CodeStatus::Cancelled)))?;
        Ok(InvitationView {
            account_id: account.id,
            display_name: account.display_name,
            expires_at: invitation.expires_at,
        })
    }

    /// Sets the password of the invitation's account (typed twice, checked against the
    /// rules), using the invitation once. Audited as `password_set` (`via=invitation`).
    pub async fn set_password(
        &self,
        code: &str,
        password: &str,
        confirmation: &str,
        client: &ClientInfo,
    ) -> Result<String, OtpError> {
        let view = self.password_invitation(code).await?;
        check_new_password(password, confirmation, &view.account_id, &self.service_name)
            .map_err(OtpError::Password)?;
        let phc = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        if !tx
            .consume_password_invitation(&sha256(code.as_bytes()), now)
            .await?
        {
            return Err(OtpError::Invitation(Some(CodeStatus::Used)));
        }
        tx.set_password(&view.account_id, &phc, now).await?;
        let (ip, user_agent) = client_detail(client);
        tx.audit(&AuditEntry {
            account_id: Some(&view.account_id),
            ip,
            user_agent,
            detail: Some("via=invitation".to_owned()),
            ..AuditEntry::new(now, AuditEvent::PasswordSet, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        tracing::info!(account = %view.account_id, "password set through an invitation");
        Ok(view.account_id)
    }

    /// Changes the password of a logged-in account: the current one first, then the new one
    /// typed twice. Audited as `password_set` (`via=change`).
    pub async fn change_password(
        &self,
        account: &str,
        current: &str,
        password: &str,
        confirmation: &str,
        client: &ClientInfo,
    ) -> Result<(), OtpError> {
        let phc = self.store.password_of(account).await?;
        let had_one = phc.is_some();
        if !self.password_matches(current, phc).await || !had_one {
            return Err(OtpError::WrongCurrentPassword);
        }
        check_new_password(password, confirmation, account, &self.service_name)
            .map_err(OtpError::Password)?;
        let phc = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        tx.set_password(account, &phc, now).await?;
        let (ip, user_agent) = client_detail(client);
        tx.audit(&AuditEntry {
            account_id: Some(account),
            ip,
            user_agent,
            detail: Some("via=change".to_owned()),
            ..AuditEntry::new(now, AuditEvent::PasswordSet, Actor::Browser)
        })
        .await?;
        tx.commit().await?;
        tracing::info!(account, "password changed by its owner");
        Ok(())
    }
}
