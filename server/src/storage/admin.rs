//! Queries of the administration (`crate::admin`): account search and edits, phones of an
//! account, invitations, audit search.
//!
//! Filters are fixed SQL with optional parameters (`?1 IS NULL OR ...`), never SQL built from
//! input.

use crate::domain::offline_pause::OfflineRecord;

use super::{Account, AuditRecord, StorageError, Store, WriteTx};

/// An account with its active phone, as listed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    /// The account.
    #[sqlx(flatten)]
    pub account: Account,
    /// Its active phone, if any.
    pub device_id: Option<String>,
    /// The phone's label.
    pub device_name: Option<String>,
    /// When the phone was enrolled.
    pub device_enrolled_at: Option<i64>,
    /// The offline channel's record of its Tigr ID, when there is one: failures.
    pub offline_failures: Option<i64>,
    /// Start of the record's pause.
    pub offline_paused_at: Option<i64>,
    /// End of the record's pause.
    pub offline_paused_until: Option<i64>,
    /// Pauses of the record.
    pub offline_pauses: Option<i64>,
    /// Last failure of the record.
    pub offline_last_failure_at: Option<i64>,
}

impl AccountRow {
    /// The offline channel's record of the account's Tigr ID (the default when none).
    pub fn offline_record(&self) -> OfflineRecord {
        match self.offline_last_failure_at {
            Some(at) => OfflineRecord::from_record(
                self.offline_failures.unwrap_or(0),
                self.offline_paused_at,
                self.offline_paused_until,
                self.offline_pauses.unwrap_or(0),
                Some(at),
            ),
            None => OfflineRecord::default(),
        }
    }
}

/// Which accounts to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountQuery<'a> {
    /// A `LIKE` pattern (already escaped with `\`) matched against id, name and e-mail.
    pub like: Option<&'a str>,
    /// `any`, `enabled`, `disabled`, `blocked` (either channel) or `no_phone`.
    pub status: &'a str,
    /// `user` or `admin`.
    pub role: Option<&'a str>,
    /// The time at which "blocked" is judged (temporary blocks lift by themselves).
    pub now: i64,
}

/// A phone of an account, without its keys.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRow {
    /// Device identifier.
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Label given by the phone.
    pub name: String,
    /// Enrollment time.
    pub enrolled_at: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// Why it was revoked (`replaced`, `revoked_by_admin`).
    pub revoked_reason: Option<String>,
}

/// An enrollment invitation (the code itself is only known by its hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationRow {
    /// Public identifier.
    pub invitation_id: String,
    /// The account it enrolls a phone for.
    pub account_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// When a phone used it.
    pub used_at: Option<i64>,
    /// When an administrator cancelled it.
    pub cancelled_at: Option<i64>,
    /// The phone it enrolled.
    pub device_id: Option<String>,
    /// Who issued it (`cli:<user>`, `web:<account>`; unknown for old codes).
    pub created_by: Option<String>,
}

/// An invitation to insert.
#[derive(Debug)]
pub struct NewInvitation<'a> {
    /// SHA-256 of the code.
    pub code_hash: &'a [u8],
    /// Public identifier.
    pub invitation_id: &'a str,
    /// The account.
    pub account_id: &'a str,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Who issued it.
    pub created_by: &'a str,
}

/// Which audit rows to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditQuery<'a> {
    /// Account concerned.
    pub account: Option<&'a str>,
    /// Event name.
    pub event: Option<&'a str>,
    /// Actor: exact, or a kind (`cli` matches `cli` and `cli:*`).
    pub actor: Option<&'a str>,
    /// From this time (inclusive).
    pub since: Option<i64>,
    /// Until this time (exclusive).
    pub until: Option<i64>,
}

macro_rules! account_filter {
    () => {
        "(?1 IS NULL OR lower(a.id) LIKE lower(?1) ESCAPE '\\' \
           OR lower(a.display_name) LIKE lower(?1) ESCAPE '\\' \
           OR lower(COALESCE(a.email, '')) LIKE lower(?1) ESCAPE '\\') \
         AND (?2 = 'any' \
           OR (?2 = 'enabled' AND a.disabled_at IS NULL) \
           OR (?2 = 'disabled' AND a.disabled_at IS NOT NULL) \
           OR (?2 = 'blocked' AND ((a.blocked_at IS NOT NULL \
               AND (a.blocked_until IS NULL OR a.blocked_until > ?3)) \
               OR o.paused_until > ?3)) \
           OR (?2 = 'no_phone' AND d.id IS NULL)) \
         AND (?4 IS NULL OR a.role = ?4)"
    };
}

macro_rules! account_from {
    () => {
        " FROM accounts a LEFT JOIN devices d ON d.account_id = a.id AND d.revoked_at IS NULL \
         LEFT JOIN offline_attempts o ON o.account_id = a.id \
         WHERE "
    };
}

const ACCOUNT_LIST: &str = concat!(
    "SELECT a.id, a.display_name, a.email, a.role, a.created_at, a.disabled_at, \
     a.disabled_reason, a.failed_attempts, a.blocked_at, a.blocked_until, a.blocked_reason, \
     a.block_strikes, a.last_blocked_at, d.id AS device_id, d.name AS device_name, \
     d.enrolled_at AS device_enrolled_at, o.failures AS offline_failures, \
     o.paused_at AS offline_paused_at, o.paused_until AS offline_paused_until, \
     o.pauses AS offline_pauses, o.last_failure_at AS offline_last_failure_at",
    account_from!(),
    account_filter!(),
    " ORDER BY a.id LIMIT ?5 OFFSET ?6"
);

const ACCOUNT_COUNT: &str = concat!("SELECT COUNT(*)", account_from!(), account_filter!());

macro_rules! audit_filter {
    () => {
        "(?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR event = ?2) \
         AND (?3 IS NULL OR actor = ?3 OR substr(actor, 1, length(?3) + 1) = ?3 || ':') \
         AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)"
    };
}

macro_rules! audit_select {
    () => {
        "SELECT id, at, event, actor, account_id, device_id, challenge_id, ip, user_agent, \
         detail FROM audit WHERE "
    };
}

const AUDIT_PAGE: &str = concat!(
    audit_select!(),
    audit_filter!(),
    " ORDER BY id DESC LIMIT ?6 OFFSET ?7"
);
const AUDIT_AFTER: &str = concat!(
    audit_select!(),
    audit_filter!(),
    " AND id > ?6 ORDER BY id LIMIT ?7"
);
const AUDIT_COUNT: &str = concat!("SELECT COUNT(*) FROM audit WHERE ", audit_filter!());

const PENDING_INVITATIONS: &str = "SELECT invitation_id, account_id, created_at, expires_at, \
     used_at, cancelled_at, device_id, created_by FROM enrollments \
     WHERE used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?1 \
     AND (?2 IS NULL OR account_id = ?2) ORDER BY created_at DESC, invitation_id";

const INVITATION_BY_ID: &str = "SELECT invitation_id, account_id, created_at, expires_at, \
     used_at, cancelled_at, device_id, created_by FROM enrollments WHERE invitation_id = ?";

const INVITATIONS_OF: &str = "SELECT invitation_id, account_id, created_at, expires_at, \
     used_at, cancelled_at, device_id, created_by FROM enrollments WHERE account_id = ? \
     ORDER BY created_at DESC, invitation_id LIMIT ?";

const DEVICES_OF: &str = "SELECT id, account_id, name, enrolled_at, revoked_at, revoked_reason \
     FROM devices WHERE account_id = ? \
     ORDER BY enrolled_at DESC, revoked_at IS NULL DESC, revoked_at DESC, id";

const ADMINS_WITH_PHONE: &str = "SELECT COUNT(*) FROM accounts a \
     JOIN devices d ON d.account_id = a.id AND d.revoked_at IS NULL \
     WHERE a.role = 'admin' AND a.disabled_at IS NULL";

const ENABLED_ADMINS: &str =
    "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND disabled_at IS NULL";

fn audit_binds<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Any, AuditRecord, sqlx::any::AnyArguments<'q>>,
    filter: &AuditQuery<'q>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, AuditRecord, sqlx::any::AnyArguments<'q>> {
    query
        .bind(filter.account)
        .bind(filter.event)
        .bind(filter.actor)
        .bind(filter.since)
        .bind(filter.until)
}

impl Store {
    /// One page of accounts (ordered by id) and the number of matching accounts.
    pub async fn list_accounts(
        &self,
        query: &AccountQuery<'_>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<AccountRow>, u64), StorageError> {
        let rows = sqlx::query_as::<_, AccountRow>(ACCOUNT_LIST)
            .bind(query.like)
            .bind(query.status)
            .bind(query.now)
            .bind(query.role)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *self.read_conn().await)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(ACCOUNT_COUNT)
            .bind(query.like)
            .bind(query.status)
            .bind(query.now)
            .bind(query.role)
            .fetch_one(&mut *self.read_conn().await)
            .await?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// Every phone an account ever enrolled, newest first.
    pub async fn devices_of(&self, account: &str) -> Result<Vec<DeviceRow>, StorageError> {
        Ok(sqlx::query_as::<_, DeviceRow>(DEVICES_OF)
            .bind(account)
            .fetch_all(&mut *self.read_conn().await)
            .await?)
    }

    /// Unused, uncancelled invitations in time at `now` (of one account, or all), newest
    /// first.
    pub async fn pending_invitations(
        &self,
        account: Option<&str>,
        now: i64,
    ) -> Result<Vec<InvitationRow>, StorageError> {
        Ok(sqlx::query_as::<_, InvitationRow>(PENDING_INVITATIONS)
            .bind(now)
            .bind(account)
            .fetch_all(&mut *self.read_conn().await)
            .await?)
    }

    /// The invitation with this public identifier.
    pub async fn invitation(&self, id: &str) -> Result<Option<InvitationRow>, StorageError> {
        Ok(sqlx::query_as::<_, InvitationRow>(INVITATION_BY_ID)
            .bind(id)
            .fetch_optional(&mut *self.read_conn().await)
            .await?)
    }

    /// The invitations of an account, newest first (at most `limit`).
    pub async fn invitations_of(
        &self,
        account: &str,
        limit: u32,
    ) -> Result<Vec<InvitationRow>, StorageError> {
        Ok(sqlx::query_as::<_, InvitationRow>(INVITATIONS_OF)
            .bind(account)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.read_conn().await)
            .await?)
    }

    /// Newest first: one page of the audit rows matching `filter`, and their number.
    pub async fn audit_page(
        &self,
        filter: &AuditQuery<'_>,
        limit: u32,
        offset: u64,
    ) -> Result<(Vec<AuditRecord>, u64), StorageError> {
        let rows = audit_binds(sqlx::query_as::<_, AuditRecord>(AUDIT_PAGE), filter)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *self.read_conn().await)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(AUDIT_COUNT)
            .bind(filter.account)
            .bind(filter.event)
            .bind(filter.actor)
            .bind(filter.since)
            .bind(filter.until)
            .fetch_one(&mut *self.read_conn().await)
            .await?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// Oldest first: up to `limit` rows matching `filter` with a sequence number above
    /// `after_id` (to follow the trail, or to export it in batches).
    pub async fn audit_after(
        &self,
        filter: &AuditQuery<'_>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        Ok(
            audit_binds(sqlx::query_as::<_, AuditRecord>(AUDIT_AFTER), filter)
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(&mut *self.read_conn().await)
                .await?,
        )
    }
}

impl WriteTx {
    /// Inserts a new account; false (and nothing written) when the id is taken.
    pub async fn insert_account(
        &mut self,
        id: &str,
        display_name: &str,
        email: Option<&str>,
        role: &str,
        now: i64,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO accounts (id, display_name, email, role, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(display_name)
        .bind(email)
        .bind(role)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the name, e-mail and role of an account.
    pub async fn update_account(
        &mut self,
        id: &str,
        display_name: &str,
        email: Option<&str>,
        role: &str,
    ) -> Result<(), StorageError> {
        self.wrote_account(id);
        sqlx::query("UPDATE accounts SET display_name = ?, email = ?, role = ? WHERE id = ?")
            .bind(display_name)
            .bind(email)
            .bind(role)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Disables (`Some((time, reason))`) or enables (`None`) an account.
    pub async fn set_disabled(
        &mut self,
        id: &str,
        disabled: Option<(i64, Option<&str>)>,
    ) -> Result<(), StorageError> {
        self.wrote_account(id);
        sqlx::query("UPDATE accounts SET disabled_at = ?, disabled_reason = ? WHERE id = ?")
            .bind(disabled.map(|(at, _)| at))
            .bind(disabled.and_then(|(_, reason)| reason))
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Enabled administrators that have an active phone.
    pub async fn count_admins_with_phone(&mut self) -> Result<u64, StorageError> {
        let n = sqlx::query_scalar::<_, i64>(ADMINS_WITH_PHONE)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Enabled administrators.
    pub async fn count_enabled_admins(&mut self) -> Result<u64, StorageError> {
        let n = sqlx::query_scalar::<_, i64>(ENABLED_ADMINS)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The active phone of an account, read inside the transaction.
    pub async fn active_device_row(
        &mut self,
        account: &str,
    ) -> Result<Option<DeviceRow>, StorageError> {
        Ok(sqlx::query_as::<_, DeviceRow>(
            "SELECT id, account_id, name, enrolled_at, revoked_at, revoked_reason \
             FROM devices WHERE account_id = ? AND revoked_at IS NULL",
        )
        .bind(account)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Stores a new invitation.
    pub async fn insert_invitation(
        &mut self,
        invitation: &NewInvitation<'_>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO enrollments (code_hash, account_id, created_at, expires_at, \
             invitation_id, created_by) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(invitation.code_hash)
        .bind(invitation.account_id)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .bind(invitation.invitation_id)
        .bind(invitation.created_by)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The invitation, read inside the transaction.
    pub async fn invitation(&mut self, id: &str) -> Result<Option<InvitationRow>, StorageError> {
        Ok(sqlx::query_as::<_, InvitationRow>(INVITATION_BY_ID)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    /// Cancels the invitation if it is still pending at `now`; false otherwise.
    pub async fn cancel_invitation(&mut self, id: &str, now: i64) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE enrollments SET cancelled_at = ?1 WHERE invitation_id = ?2 \
             AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?1",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cancels every invitation of the account still pending at `now`; returns their ids.
    pub async fn cancel_invitations_of(
        &mut self,
        account: &str,
        now: i64,
    ) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar::<_, String>(
            "UPDATE enrollments SET cancelled_at = ?1 WHERE account_id = ?2 \
             AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > ?1 \
             RETURNING invitation_id",
        )
        .bind(now)
        .bind(account)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}
