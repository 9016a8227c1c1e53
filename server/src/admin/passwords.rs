//! Password invitations: an administrator never chooses nor sees a password; the first
//! password and every reset is a single-use link that the account's owner opens to choose
//! one (docs/security.md, "Passwords").

use tigr_core::ids::random_id;

use crate::sealing::sha256;
use crate::storage::{AuditEvent, NewPasswordInvitation};

use super::rules;
use super::{Actor, AdminError, AdminService, read_account};

/// A password invitation just issued: the link to hand to the account's owner.
#[derive(Debug, Clone)]
pub struct PasswordInvitation {
    /// The account.
    pub account_id: String,
    /// `https://auth.example.fr/password/<code>`: the only copy of the code.
    pub link: String,
    /// End of validity (exclusive).
    pub expires_at: i64,
    /// Whether the account already had a password (a reset) or not (a first password).
    pub reset: bool,
}

impl AdminService {
    /// When the account's owner chose the current password (`None`: no password yet).
    pub async fn password_set_at(&self, id: &str) -> Result<Option<i64>, AdminError> {
        let id = rules::account_id(id)?;
        Ok(self.store.password_set_at(&id).await?)
    }

    /// Issues a password invitation for an existing, enabled account, valid the configured
    /// time; earlier unused ones stop working. The current password, if any, stays valid
    /// until the owner chooses a new one. Audited as `password_invitation_created`.
    pub async fn invite_password(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<PasswordInvitation, AdminError> {
        let id = rules::account_id(id)?;
        let origin = self.origin()?;
        let now = self.now();
        let who = actor.audit_name();
        let ttl = self.config.otp.password_invitation_ttl;
        let reset = self.store.password_set_at(&id).await?.is_some();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        if !account.is_enabled() {
            return Err(AdminError::AccountDisabled(id));
        }
        let code = random_id(self.config.random.as_ref());
        let expires_at = now + ttl;
        let cancelled = tx
            .insert_password_invitation(&NewPasswordInvitation {
                code_hash: &sha256(code.as_bytes()),
                account_id: &id,
                created_at: now,
                expires_at,
                created_by: &who,
            })
            .await?;
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::PasswordInvitationCreated,
            &id,
            format!("expires_at={expires_at} reset={reset} cancelled={cancelled}"),
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "password invitation created");
        Ok(PasswordInvitation {
            link: format!("{origin}/password/{code}"),
            account_id: id,
            expires_at,
            reset,
        })
    }
}
