//! Blocked accounts: who is blocked, why and until when; unblocking.

use crate::domain::lockout::{LockState, LockStatus};
use crate::storage::{Account, AuditEvent};

use super::accounts::{AccountFilter, AccountSummary, StatusFilter};
use super::rules;
use super::{Actor, AdminError, AdminService, Page, PageRequest, read_account};

impl AdminService {
    /// Accounts blocked now (temporarily or permanently), by Tigr ID; each summary's `lock`
    /// says why, since when and until when.
    pub async fn blocked_accounts(
        &self,
        page: PageRequest,
    ) -> Result<Page<AccountSummary>, AdminError> {
        self.list_accounts(
            &AccountFilter {
                status: StatusFilter::Blocked,
                ..AccountFilter::default()
            },
            page,
        )
        .await
    }

    /// The lockout state of an account now.
    pub async fn lock_status(&self, id: &str) -> Result<LockStatus, AdminError> {
        Ok(self.account(id).await?.lock_state().status(self.now()))
    }

    /// Lifts the account's block, if any, and resets its failure counter and block history
    /// (the next block will be a first, temporary one). Refused when there is nothing to
    /// reset.
    pub async fn unblock(&self, actor: &Actor, id: &str) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        let now = self.now();
        let who = actor.audit_name();
        let policy = self.config.lockout_policy();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        let state = account.lock_state();
        if state == LockState::default() {
            return Err(AdminError::NotBlocked(id));
        }
        let was = match state.status(now) {
            LockStatus::Open { failures } => format!("was=open failures={failures}"),
            LockStatus::Temporary {
                since,
                until,
                reason,
            } => format!(
                "was=temporary since={since} until={until} reason={}",
                reason.as_str()
            ),
            LockStatus::Permanent { since, reason } => {
                format!("was=permanent since={since} reason={}", reason.as_str())
            }
        };
        tx.set_lock_state(&id, policy.unblock(state)).await?;
        tx.audit(&actor.entry(&who, now, AuditEvent::AccountUnblocked, &id, was))
            .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account unblocked");
        Ok(account)
    }
}
