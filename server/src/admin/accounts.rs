//! Accounts: create, edit, disable and enable, search, details; roles and bootstrap.

use crate::domain::lockout::LockStatus;
use crate::domain::offline_pause::OfflineStatus;
use crate::storage::{Account, AccountQuery, AuditEvent, WriteTx};

use super::model::{Invitation, Phone};
use super::rules::{self, Role};
use super::{Actor, AdminError, AdminService, Page, PageRequest, created_detail, read_account};

/// An account to create. Fields are as typed; the service checks them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewAccount {
    /// Tigr ID.
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// E-mail address (empty or `None`: none).
    pub email: Option<String>,
    /// Role.
    pub role: Role,
}

/// Changes to an account; `None` keeps the current value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountChanges {
    /// New human name.
    pub display_name: Option<String>,
    /// New e-mail address; `Some("")` removes it.
    pub email: Option<String>,
    /// New role.
    pub role: Option<Role>,
}

/// Which accounts a listing shows, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// All accounts.
    #[default]
    Any,
    /// Not disabled.
    Enabled,
    /// Disabled by an administrator.
    Disabled,
    /// Blocked now on either channel: the phone channel (temporarily or permanently), or
    /// offline codes paused for the account's Tigr ID.
    Blocked,
    /// Without an active phone.
    WithoutPhone,
}

impl StatusFilter {
    /// The spelling of the filter (`any`, `enabled`, `disabled`, `blocked`, `no_phone`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Blocked => "blocked",
            Self::WithoutPhone => "no_phone",
        }
    }

    /// Reads a spelling of [`StatusFilter::as_str`] (`no-phone` too).
    pub fn parse(text: &str) -> Result<Self, AdminError> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "any" | "all" => Ok(Self::Any),
            "enabled" => Ok(Self::Enabled),
            "disabled" => Ok(Self::Disabled),
            "blocked" => Ok(Self::Blocked),
            "no_phone" => Ok(Self::WithoutPhone),
            _ => Err(AdminError::InvalidFilter("status")),
        }
    }
}

/// A search of accounts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountFilter {
    /// Part of the Tigr ID, name or e-mail (case-insensitive for ASCII letters).
    pub text: Option<String>,
    /// State.
    pub status: StatusFilter,
    /// Role.
    pub role: Option<Role>,
}

/// An account as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account.
    pub account: Account,
    /// Its role.
    pub role: Role,
    /// Its phone channel's lockout state now.
    pub lock: LockStatus,
    /// Its offline channel's state now (offline codes typed for its Tigr ID).
    pub offline: OfflineStatus,
    /// Its active phone.
    pub phone: Option<Phone>,
}

/// Everything an administrator sees of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDetails {
    /// The account.
    pub account: Account,
    /// Its role.
    pub role: Role,
    /// Its phone channel's lockout state now (why and since when it is blocked).
    pub lock: LockStatus,
    /// Its offline channel's state now (until when offline codes are paused).
    pub offline: OfflineStatus,
    /// Its active phone.
    pub phone: Option<Phone>,
    /// Every phone it enrolled, newest first (the active one included).
    pub phones: Vec<Phone>,
    /// Its latest invitations (20 at most), newest first, whatever their status.
    pub invitations: Vec<Invitation>,
}

/// Number of invitations shown in [`AccountDetails`].
const DETAIL_INVITATIONS: u32 = 20;

impl AdminService {
    /// Creates an account. Refuses a taken Tigr ID ([`AdminError::DuplicateAccount`]).
    pub async fn create_account(
        &self,
        actor: &Actor,
        new: NewAccount,
    ) -> Result<Account, AdminError> {
        let id = rules::account_id(&new.id)?;
        let name = rules::display_name(&new.display_name)?;
        let email = rules::email(new.email.as_deref().unwrap_or(""))?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        if !tx
            .insert_account(&id, &name, email.as_deref(), new.role.as_str(), now)
            .await?
        {
            return Err(AdminError::DuplicateAccount(id));
        }
        tx.audit(&actor.entry(
            &who,
            now,
            AuditEvent::AccountCreated,
            &id,
            created_detail(&name, email.as_deref(), new.role),
        ))
        .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account created");
        Ok(account)
    }

    /// Changes the name, e-mail or role of an account. Refuses an edit that changes nothing,
    /// and demoting the last enabled administrator.
    pub async fn edit_account(
        &self,
        actor: &Actor,
        id: &str,
        changes: AccountChanges,
    ) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        let name = changes
            .display_name
            .as_deref()
            .map(rules::display_name)
            .transpose()?;
        let email = changes.email.as_deref().map(rules::email).transpose()?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let current = read_account(&mut tx, &id).await?;
        let current_role = Role::of(&current);
        let new_name = name.unwrap_or_else(|| current.display_name.clone());
        let new_email = email.unwrap_or_else(|| current.email.clone());
        let new_role = changes.role.unwrap_or(current_role);
        let mut detail = Vec::new();
        if new_name != current.display_name {
            detail.push(format!(
                "display_name={:?}->{:?}",
                current.display_name, new_name
            ));
        }
        if new_email != current.email {
            detail.push(format!(
                "email={}->{}",
                current.email.as_deref().unwrap_or("-"),
                new_email.as_deref().unwrap_or("-")
            ));
        }
        if new_role != current_role {
            detail.push(format!(
                "role={}->{}",
                current_role.as_str(),
                new_role.as_str()
            ));
            if rules::is_admin(&current) && tx.count_enabled_admins().await? <= 1 {
                return Err(AdminError::LastAdmin(id));
            }
        }
        if detail.is_empty() {
            return Err(AdminError::NothingToChange);
        }
        tx.update_account(&id, &new_name, new_email.as_deref(), new_role.as_str())
            .await?;
        tx.audit(&actor.entry(&who, now, AuditEvent::AccountUpdated, &id, detail.join(" ")))
            .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account updated");
        Ok(account)
    }

    /// Disables an account: no login (its phone answers like an unknown account's), no
    /// enrollment; its pending invitations are cancelled. The phone stays enrolled, so that
    /// [`AdminService::enable_account`] restores everything.
    pub async fn disable_account(
        &self,
        actor: &Actor,
        id: &str,
        reason: Option<&str>,
    ) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        let reason = rules::reason(reason)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let current = read_account(&mut tx, &id).await?;
        if !current.is_enabled() {
            return Err(AdminError::AlreadyDisabled(id));
        }
        if rules::is_admin(&current) && tx.count_enabled_admins().await? <= 1 {
            return Err(AdminError::LastAdmin(id));
        }
        tx.set_disabled(&id, Some((now, reason.as_deref()))).await?;
        // Its sessions end now, and the services it signed in to are told (back-channel).
        tx.delete_web_sessions_of(&id, now).await?;
        for invitation in tx.cancel_invitations_of(&id, now).await? {
            tx.audit(&actor.entry(
                &who,
                now,
                AuditEvent::EnrollmentCancelled,
                &id,
                format!("invitation={invitation} because=account_disabled"),
            ))
            .await?;
        }
        tx.audit(
            &actor.entry(
                &who,
                now,
                AuditEvent::AccountDisabled,
                &id,
                reason
                    .as_deref()
                    .map(|r| format!("reason={r:?}"))
                    .unwrap_or_default(),
            ),
        )
        .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account disabled");
        Ok(account)
    }

    /// Enables a disabled account again.
    pub async fn enable_account(&self, actor: &Actor, id: &str) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let current = read_account(&mut tx, &id).await?;
        if current.is_enabled() {
            return Err(AdminError::NotDisabled(id));
        }
        tx.set_disabled(&id, None).await?;
        tx.audit(&actor.entry(&who, now, AuditEvent::AccountEnabled, &id, String::new()))
            .await?;
        let account = read_account(&mut tx, &id).await?;
        tx.commit().await?;
        tracing::info!(account = %id, actor = %who, "account enabled");
        Ok(account)
    }

    /// The account with this Tigr ID.
    pub async fn account(&self, id: &str) -> Result<Account, AdminError> {
        let id = rules::account_id(id)?;
        self.store
            .account(&id)
            .await?
            .ok_or(AdminError::UnknownAccount(id))
    }

    /// The account with its role, lockout state, phones and latest invitations.
    pub async fn account_details(&self, id: &str) -> Result<AccountDetails, AdminError> {
        let account = self.account(id).await?;
        let now = self.now();
        let phones: Vec<Phone> = self
            .store
            .devices_of(&account.id)
            .await?
            .into_iter()
            .map(Phone::from)
            .collect();
        let invitations = self
            .store
            .invitations_of(&account.id, DETAIL_INVITATIONS)
            .await?
            .into_iter()
            .map(|row| Invitation::from_row(row, now))
            .collect();
        let offline = self
            .store
            .offline_record_of_account(&account.id)
            .await?
            .status(now);
        Ok(AccountDetails {
            role: Role::of(&account),
            lock: account.lock_state().status(now),
            offline,
            phone: phones.iter().find(|p| p.is_active()).cloned(),
            phones,
            invitations,
            account,
        })
    }

    /// One page of the accounts matching `filter`, ordered by Tigr ID.
    pub async fn list_accounts(
        &self,
        filter: &AccountFilter,
        page: PageRequest,
    ) -> Result<Page<AccountSummary>, AdminError> {
        let page = page.checked()?;
        let like = rules::search_pattern(filter.text.as_deref())?;
        let now = self.now();
        let (rows, total) = self
            .store
            .list_accounts(
                &AccountQuery {
                    like: like.as_deref(),
                    status: filter.status.as_str(),
                    role: filter.role.map(Role::as_str),
                    now,
                },
                page.per_page,
                page.offset(),
            )
            .await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let offline = row.offline_record().status(now);
                let phone = match (row.device_id, row.device_name, row.device_enrolled_at) {
                    (Some(id), Some(name), Some(enrolled_at)) => {
                        Some(Phone::active(id, row.account.id.clone(), name, enrolled_at))
                    }
                    _ => None,
                };
                AccountSummary {
                    role: Role::of(&row.account),
                    lock: row.account.lock_state().status(now),
                    offline,
                    phone,
                    account: row.account,
                }
            })
            .collect();
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// True when `id` is an enabled account with the admin role (what every admin page
    /// checks on every request).
    pub async fn is_admin(&self, id: &str) -> Result<bool, AdminError> {
        let Ok(id) = rules::account_id(id) else {
            return Ok(false);
        };
        Ok(self
            .store
            .account(&id)
            .await?
            .is_some_and(|account| rules::is_admin(&account)))
    }

    /// The account if it is an enabled administrator, else [`AdminError::NotAdmin`].
    pub async fn require_admin(&self, id: &str) -> Result<Account, AdminError> {
        match self.account(id).await {
            Ok(account) if rules::is_admin(&account) => Ok(account),
            Ok(account) => Err(AdminError::NotAdmin(account.id)),
            Err(AdminError::UnknownAccount(id) | AdminError::InvalidAccountId(id)) => {
                Err(AdminError::NotAdmin(id))
            }
            Err(other) => Err(other),
        }
    }

    /// Inside `tx`: creates the account if missing (the Tigr ID as name when none is given),
    /// refuses a disabled one, or updates its display name and raises its role to at least
    /// `minimum_role` when they differ. Each change is audited with `via`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn ensure_account(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        who: &str,
        id: &str,
        name: Option<String>,
        minimum_role: Role,
        via: &str,
        now: i64,
    ) -> Result<(), AdminError> {
        let Some(account) = tx.account(id).await? else {
            let name = name.unwrap_or_else(|| id.to_owned());
            tx.insert_account(id, &name, None, minimum_role.as_str(), now)
                .await?;
            let detail = format!("{} via={via}", created_detail(&name, None, minimum_role));
            tx.audit(&actor.entry(who, now, AuditEvent::AccountCreated, id, detail))
                .await?;
            return Ok(());
        };
        if !account.is_enabled() {
            return Err(AdminError::AccountDisabled(id.to_owned()));
        }
        let new_name = name.unwrap_or_else(|| account.display_name.clone());
        let new_role = if minimum_role == Role::Admin {
            Role::Admin
        } else {
            Role::of(&account)
        };
        if new_role == Role::of(&account) && new_name == account.display_name {
            return Ok(());
        }
        tx.update_account(id, &new_name, account.email.as_deref(), new_role.as_str())
            .await?;
        let detail = format!(
            "role={}->{} display_name={:?}->{new_name:?} via={via}",
            account.role,
            new_role.as_str(),
            account.display_name
        );
        tx.audit(&actor.entry(who, now, AuditEvent::AccountUpdated, id, detail))
            .await?;
        Ok(())
    }
}
