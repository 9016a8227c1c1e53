//! Blocked accounts, per channel: who is blocked on the phone channel (why, until when),
//! whose offline codes are paused (until when); unblocking clears both.

use crate::domain::lockout::{LockState, LockStatus};
use crate::domain::offline_pause::{OfflineRecord, OfflineStatus};
use crate::storage::{Account, AuditEvent};

use super::accounts::{AccountFilter, AccountSummary, StatusFilter};
use super::rules;
use super::{Actor, AdminError, AdminService, Page, PageRequest, read_account};

impl AdminService {
    /// Accounts blocked now on either channel, by Tigr ID; each summary's `lock` says why,
    /// since when and until when the phone channel is blocked, its `offline` until when
    /// offline codes are paused.
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

    /// The phone channel's lockout state of an account now.
    pub async fn lock_status(&self, id: &str) -> Result<LockStatus, AdminError> {
        Ok(self.account(id).await?.lock_state().status(self.now()))
    }

    /// The offline channel's state of an account's Tigr ID now.
    pub async fn offline_status(&self, id: &str) -> Result<OfflineStatus, AdminError> {
        let account = self.account(id).await?;
        Ok(self
            .store
            .offline_record_of_account(&account.id)
            .await?
            .status(self.now()))
    }

    /// Lifts the account's blocks on both channels, if any: the phone channel's block,
    /// failure counter and block history (the next block will be a first, temporary one),
    /// and the offline channel's pause, counter and pause history. Refused when there is
    /// nothing to reset.
    pub async fn unblock(&self, actor: &Actor, id: &str) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        let now = self.now();
        let who = actor.audit_name();
        let policy = self.config.lockout_policy();
        let mut tx = self.store.begin_write().await?;
        let account = read_account(&mut tx, &id).await?;
        let state = account.lock_state();
        let offline = tx.offline_record_of_account(&id).await?;
        if state == LockState::default() && offline.at(now) == OfflineRecord::default() {
            return Err(AdminError::NotBlocked(id));
        }
        let phone_was = match state.status(now) {
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
        let offline_was = match offline.status(now) {
            OfflineStatus::Open { failures } => format!("offline=open failures={failures}"),
            OfflineStatus::Paused {
                since,
                until,
                pauses,
            } => format!("offline=paused since={since} until={until} pauses={pauses}"),
        };
        tx.set_lock_state(&id, policy.unblock(state)).await?;
        tx.clear_offline_records_of(&id).await?;
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::AccountUnblocked,
            &id,
            format!("{phone_was} {offline_was}"),
        ))
        .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account unblocked");
        Ok(account)
    }
}
