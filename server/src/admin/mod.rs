//! Administration: the service that the command line (`tigr-server admin ...`) and the admin
//! web pages both call, so that both follow the same rules and write the same audit trail.
//!
//! Every method that changes something takes the [`Actor`] (who, and from where) and runs
//! in one write transaction with its audit rows: input is checked first, and a refused
//! action changes nothing. Times come from the configured clock.
//!
//! | area        | methods                                                                   |
//! |-------------|---------------------------------------------------------------------------|
//! | accounts    | [`create_account`], [`edit_account`], [`disable_account`], [`enable_account`], [`account`], [`account_details`], [`list_accounts`] |
//! | roles       | [`is_admin`], [`require_admin`], [`bootstrap`], [`rules::is_admin`]       |
//! | phones      | [`phones`], [`active_phone`], [`revoke_phone`]                            |
//! | invitations | [`create_invitation`], [`enroll`], [`pending_invitations`], [`invitation`], [`cancel_invitation`], [`cancel_invitations`] |
//! | lockout     | [`blocked_accounts`], [`lock_status`], [`unblock`]                        |
//! | cards       | [`card_bindings`], [`bind_card`], [`unbind_card`]                         |
//! | tokens      | [`import_tokens`], [`tokens`], [`unassigned_tokens`], [`assign_token`], [`unassign_token`], [`revoke_token`], [`resync_token`], [`invite_token`] |
//! | audit       | [`audit`], [`audit_after`], [`audit_latest`], [`export_audit_csv`]        |
//! | OpenID Connect | [`register_client`], [`oidc_clients`], [`oidc_client`], [`edit_client`], [`remove_client`], [`rotate_client_secret`], [`rotate_signing_key`] |
//!
//! [`create_account`]: AdminService::create_account
//! [`edit_account`]: AdminService::edit_account
//! [`disable_account`]: AdminService::disable_account
//! [`enable_account`]: AdminService::enable_account
//! [`account`]: AdminService::account
//! [`account_details`]: AdminService::account_details
//! [`list_accounts`]: AdminService::list_accounts
//! [`is_admin`]: AdminService::is_admin
//! [`require_admin`]: AdminService::require_admin
//! [`bootstrap`]: AdminService::bootstrap
//! [`phones`]: AdminService::phones
//! [`active_phone`]: AdminService::active_phone
//! [`revoke_phone`]: AdminService::revoke_phone
//! [`create_invitation`]: AdminService::create_invitation
//! [`enroll`]: AdminService::enroll
//! [`pending_invitations`]: AdminService::pending_invitations
//! [`invitation`]: AdminService::invitation
//! [`cancel_invitation`]: AdminService::cancel_invitation
//! [`cancel_invitations`]: AdminService::cancel_invitations
//! [`blocked_accounts`]: AdminService::blocked_accounts
//! [`lock_status`]: AdminService::lock_status
//! [`unblock`]: AdminService::unblock
//! [`card_bindings`]: AdminService::card_bindings
//! [`bind_card`]: AdminService::bind_card
//! [`unbind_card`]: AdminService::unbind_card
//! [`import_tokens`]: AdminService::import_tokens
//! [`tokens`]: AdminService::tokens
//! [`unassigned_tokens`]: AdminService::unassigned_tokens
//! [`assign_token`]: AdminService::assign_token
//! [`unassign_token`]: AdminService::unassign_token
//! [`revoke_token`]: AdminService::revoke_token
//! [`resync_token`]: AdminService::resync_token
//! [`invite_token`]: AdminService::invite_token
//! [`audit`]: AdminService::audit
//! [`audit_after`]: AdminService::audit_after
//! [`audit_latest`]: AdminService::audit_latest
//! [`export_audit_csv`]: AdminService::export_audit_csv
//! [`register_client`]: AdminService::register_client
//! [`oidc_clients`]: AdminService::oidc_clients
//! [`oidc_client`]: AdminService::oidc_client
//! [`edit_client`]: AdminService::edit_client
//! [`remove_client`]: AdminService::remove_client
//! [`rotate_client_secret`]: AdminService::rotate_client_secret
//! [`rotate_signing_key`]: AdminService::rotate_signing_key

mod accounts;
mod audit;
mod cards;
pub mod csv;
mod error;
mod invitations;
mod lockout;
pub mod maintenance;
mod model;
mod oidc_clients;
mod passwords;
mod phones;
pub mod rules;
pub mod time;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::hub::{NotificationHub, Subscription, Topic};
use crate::shutdown::stopping;
use crate::storage::{AuditEntry, Store, WriteTx};

/// The records the service hands out, as stored.
pub use crate::storage::{Account, AuditEvent, AuditRecord, CardBinding, StoredToken, TokenOrigin};

pub use accounts::{
    AccountChanges, AccountDetails, AccountFilter, AccountSummary, NewAccount, StatusFilter,
};
pub use audit::AuditFilter;
pub use cards::CardKey;
pub use error::AdminError;
pub use model::{CreatedInvitation, Invitation, InvitationStatus, Phone, PhoneStatus};
pub use oidc_clients::{ClientRegistration, DEFAULT_SCOPES, RegisteredClient};
pub use passwords::PasswordInvitation;
pub use phones::REVOKED_BY_ADMIN;
pub use rules::Role;
pub use tokens::{TokenInvitation, token_summary};

/// Where an administrator acts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// `tigr-server admin ...` on the server; `name` is the Unix user.
    Cli,
    /// The admin web pages; `name` is the administrator's Tigr ID.
    Web,
}

/// Who performs an administrative action, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Command line or web.
    pub kind: ActorKind,
    /// Unix user (command line) or Tigr ID (web).
    pub name: String,
    /// Client address (web).
    pub ip: Option<String>,
    /// Browser summary (web).
    pub user_agent: Option<String>,
}

impl Actor {
    /// An operator on the command line, as Unix user `user`.
    pub fn cli(user: &str) -> Self {
        Self {
            kind: ActorKind::Cli,
            name: user.to_owned(),
            ip: None,
            user_agent: None,
        }
    }

    /// The operator running this process: `SUDO_USER` (the person behind `sudo`), else
    /// `USER`, else `LOGNAME`, else the name of the process's user in `/etc/passwd` (or
    /// `uid:<n>`), else `unknown`.
    pub fn cli_from_env() -> Self {
        let user = ["SUDO_USER", "USER", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
            .or_else(user_of_process)
            .unwrap_or_else(|| "unknown".to_owned());
        Self::cli(user.trim())
    }

    /// An administrator logged in to the web pages.
    pub fn web(account: &str, ip: &str, user_agent: &str) -> Self {
        Self {
            kind: ActorKind::Web,
            name: account.to_owned(),
            ip: Some(ip.to_owned()),
            user_agent: Some(user_agent.to_owned()),
        }
    }

    /// The `actor` column of the audit trail: `cli:<user>` or `web:<account>`.
    pub fn audit_name(&self) -> String {
        let kind = match self.kind {
            ActorKind::Cli => "cli",
            ActorKind::Web => "web",
        };
        // Control characters would make the trail ambiguous; they never belong in a name.
        let name: String = self
            .name
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        format!("{kind}:{name}")
    }

    /// An audit row by this actor about `account` (`name` is [`Actor::audit_name`]).
    fn entry<'a>(
        &'a self,
        name: &'a str,
        at: i64,
        event: AuditEvent,
        account: &'a str,
        detail: String,
    ) -> AuditEntry<'a> {
        AuditEntry {
            account_id: Some(account),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            detail: (!detail.is_empty()).then_some(detail),
            ..AuditEntry::by(at, event, name)
        }
    }
}

/// The name of the user owning this process (Unix: owner of `/proc/self`, looked up in
/// `/etc/passwd`).
fn user_of_process() -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let name = passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id: u32 = fields.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_owned())
        });
        Some(name.unwrap_or_else(|| format!("uid:{uid}")))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Which page of a listing to read (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page, 1 to [`rules::MAX_PER_PAGE`].
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 50,
        }
    }
}

impl PageRequest {
    /// Page `page` of `per_page` items.
    pub fn new(page: u32, per_page: u32) -> Self {
        Self { page, per_page }
    }

    fn checked(self) -> Result<Self, AdminError> {
        if self.page == 0 || self.per_page == 0 || self.per_page > rules::MAX_PER_PAGE {
            Err(AdminError::InvalidFilter("page"))
        } else {
            Ok(self)
        }
    }

    fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items matching, over all pages.
    pub total: u64,
    /// This page's number (from 1).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

impl<T> Page<T> {
    /// Number of pages (at least 1).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page)).max(1)
    }

    /// 1-based position of the first item of this page (0 when empty).
    pub fn first_index(&self) -> u64 {
        if self.items.is_empty() {
            0
        } else {
            u64::from(self.page - 1) * u64::from(self.per_page) + 1
        }
    }
}

/// The administration service. Cheap to clone (the store is a pair of pools).
#[derive(Debug, Clone)]
pub struct AdminService {
    store: Store,
    config: Config,
    hub: Arc<NotificationHub>,
    shutdown: Option<watch::Receiver<bool>>,
}

/// Changes of an account's invitations (see [`AdminService::watch_invitations`]).
#[derive(Debug)]
pub struct InvitationWatch {
    subscription: Subscription,
    shutdown: Option<watch::Receiver<bool>>,
}

impl InvitationWatch {
    /// Waits until a phone enrolled with one of the account's invitations, or `at_most`
    /// passed (other changes, such as a cancellation from the command line, wake nobody:
    /// re-read then). False when the server shuts down.
    pub async fn changed_within(&mut self, at_most: Duration) -> bool {
        let stop = async {
            match self.shutdown.as_mut() {
                Some(shutdown) => stopping(shutdown).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = self.subscription.changed() => true,
            () = tokio::time::sleep(at_most) => true,
            () = stop => false,
        }
    }
}

impl AdminService {
    /// A service over an open store, with the rules of `config` (lockout policy,
    /// enrollment lifetime, public URL, clock, randomness).
    pub fn new(store: Store, config: &Config) -> Self {
        Self {
            store,
            config: config.clone(),
            hub: NotificationHub::new(),
            shutdown: None,
        }
    }

    /// The same service, woken by the server's `hub` and stopped by its `shutdown` (the
    /// admin pages that follow an invitation live).
    pub fn with_live_updates(
        self,
        hub: Arc<NotificationHub>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            hub,
            shutdown: Some(shutdown),
            ..self
        }
    }

    /// Follows the invitations of `account`: subscribe before reading, so that no change
    /// is missed in between.
    pub fn watch_invitations(&self, account: &str) -> InvitationWatch {
        InvitationWatch {
            subscription: self.hub.subscribe(Topic::Invitations(account.to_owned())),
            shutdown: self.shutdown.clone(),
        }
    }

    /// Opens (and migrates) the configured database; for the command line.
    pub async fn open(config: &Config) -> Result<Self, AdminError> {
        let (store, _) = Store::open(&config.database_url).await?;
        Ok(Self::new(store, config))
    }

    /// Closes the database pools (the command line calls this before exiting).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The current time of the configured clock.
    pub fn now(&self) -> i64 {
        self.config.clock.now_unix()
    }

    /// The store (for reads the service does not wrap).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration the service follows (e.g. the default invitation lifetime that the
    /// admin pages show).
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The account, read inside the transaction, or [`AdminError::UnknownAccount`].
async fn read_account(tx: &mut WriteTx, id: &str) -> Result<Account, AdminError> {
    tx.account(id)
        .await?
        .ok_or_else(|| AdminError::UnknownAccount(id.to_owned()))
}

/// The audit detail of a new account.
fn created_detail(name: &str, email: Option<&str>, role: Role) -> String {
    let mut detail = format!("role={} display_name={name:?}", role.as_str());
    if let Some(email) = email {
        detail.push_str(&format!(" email={email}"));
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_names() {
        assert_eq!(Actor::cli("root").audit_name(), "cli:root");
        let web = Actor::web("dr.martin", "192.0.2.1", "Firefox 120 on Linux");
        assert_eq!(web.audit_name(), "web:dr.martin");
        assert_eq!(Actor::cli("a\nb").audit_name(), "cli:ab");
    }

    #[test]
    fn pages() {
        let page = Page {
            items: vec![1, 2],
            total: 102,
            page: 3,
            per_page: 50,
        };
        assert_eq!((page.pages(), page.first_index()), (3, 101));
        let empty: Page<u8> = Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 50,
        };
        assert_eq!((empty.pages(), empty.first_index()), (1, 0));
        assert!(PageRequest::new(0, 10).checked().is_err());
        assert!(PageRequest::new(1, 0).checked().is_err());
        assert!(
            PageRequest::new(1, rules::MAX_PER_PAGE + 1)
                .checked()
                .is_err()
        );
        assert_eq!(PageRequest::new(3, 20).checked().expect("ok").offset(), 40);
    }

    #[test]
    fn every_audit_event_round_trips() {
        for event in AuditEvent::ALL {
            assert_eq!(AuditEvent::parse(event.as_str()), Some(*event));
        }
        assert_eq!(AuditEvent::parse("nope"), None);
    }
}
