//! Enrolled phones.

use super::accounts::{Account, account_columns};
use super::{StorageError, Store, WriteTx};

/// An enrolled phone.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Device {
    /// Device identifier (bound into signatures).
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Label given by the phone.
    pub name: String,
    /// SEC1 public key of approvals.
    pub approval_key: Vec<u8>,
    /// SEC1 public key of denials.
    pub identity_key: Vec<u8>,
    /// The sealed OCRA secret (see [`crate::sealing::SecretSealer`]).
    pub offline_secret_enc: Vec<u8>,
    /// OCRA suite of offline codes.
    pub ocra_suite: String,
    /// Enrollment time.
    pub enrolled_at: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// Why it was revoked (`replaced`, ...).
    pub revoked_reason: Option<String>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .field("enrolled_at", &self.enrolled_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// True until revoked.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A phone to insert.
#[derive(Debug)]
pub struct NewDevice<'a> {
    /// Fresh random identifier.
    pub id: &'a str,
    /// Owner.
    pub account_id: &'a str,
    /// Label.
    pub name: &'a str,
    /// SEC1 approval key.
    pub approval_key: &'a [u8],
    /// SEC1 identity key.
    pub identity_key: &'a [u8],
    /// Sealed OCRA secret.
    pub offline_secret_enc: &'a [u8],
    /// OCRA suite.
    pub ocra_suite: &'a str,
    /// Enrollment time.
    pub enrolled_at: i64,
}

impl Store {
    /// The device with this identifier (active or not).
    pub async fn device(&self, id: &str) -> Result<Option<Device>, StorageError> {
        Ok(sqlx::query_as::<_, Device>(
            "SELECT id, account_id, name, approval_key, identity_key, offline_secret_enc, \
             ocra_suite, enrolled_at, revoked_at, revoked_reason FROM devices WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }

    /// The active device of an account, if any.
    pub async fn active_device(&self, account: &str) -> Result<Option<Device>, StorageError> {
        Ok(sqlx::query_as::<_, Device>(
            "SELECT id, account_id, name, approval_key, identity_key, offline_secret_enc, \
             ocra_suite, enrolled_at, revoked_at, revoked_reason FROM devices \
             WHERE account_id = ? AND revoked_at IS NULL",
        )
        .bind(account)
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }
}

/// An account joined with one of its devices (`LEFT JOIN`: no device columns when none).
#[derive(sqlx::FromRow)]
struct AccountDeviceRow {
    #[sqlx(flatten)]
    account: Account,
    device_id: Option<String>,
    device_name: Option<String>,
    approval_key: Option<Vec<u8>>,
    identity_key: Option<Vec<u8>>,
    offline_secret_enc: Option<Vec<u8>>,
    ocra_suite: Option<String>,
    enrolled_at: Option<i64>,
    revoked_at: Option<i64>,
    revoked_reason: Option<String>,
}

impl AccountDeviceRow {
    fn split(self) -> (Account, Option<Device>) {
        let device = match (
            self.device_id,
            self.device_name,
            self.approval_key,
            self.identity_key,
            self.offline_secret_enc,
            self.ocra_suite,
            self.enrolled_at,
        ) {
            (
                Some(id),
                Some(name),
                Some(approval_key),
                Some(identity_key),
                Some(offline_secret_enc),
                Some(ocra_suite),
                Some(enrolled_at),
            ) => Some(Device {
                id,
                account_id: self.account.id.clone(),
                name,
                approval_key,
                identity_key,
                offline_secret_enc,
                ocra_suite,
                enrolled_at,
                revoked_at: self.revoked_at,
                revoked_reason: self.revoked_reason,
            }),
            _ => None,
        };
        (self.account, device)
    }
}

/// `SELECT` of an account with the device joined `ON` the condition that follows.
macro_rules! select_account_device {
    () => {
        concat!(
            "SELECT ",
            account_columns!(),
            ", devices.id AS device_id, devices.name AS device_name, approval_key, \
             identity_key, offline_secret_enc, ocra_suite, enrolled_at, revoked_at, \
             revoked_reason FROM accounts LEFT JOIN devices \
             ON devices.account_id = accounts.id AND "
        )
    };
}

impl Store {
    /// The account with the device `device_id` if that device is the account's (active or
    /// not): one read instead of two on the answer path.
    pub async fn account_with_device(
        &self,
        account: &str,
        device_id: &str,
    ) -> Result<Option<(Account, Option<Device>)>, StorageError> {
        const SQL: &str = concat!(
            select_account_device!(),
            "devices.id = ? WHERE accounts.id = ?"
        );
        Ok(sqlx::query_as::<_, AccountDeviceRow>(SQL)
            .bind(device_id)
            .bind(account)
            .fetch_optional(&mut *self.read_conn().await)
            .await?
            .map(AccountDeviceRow::split))
    }

    /// The account with its active device, if any: one read.
    pub async fn account_with_active_device(
        &self,
        account: &str,
    ) -> Result<Option<(Account, Option<Device>)>, StorageError> {
        const SQL: &str = concat!(
            select_account_device!(),
            "devices.revoked_at IS NULL WHERE accounts.id = ?"
        );
        Ok(sqlx::query_as::<_, AccountDeviceRow>(SQL)
            .bind(account)
            .fetch_optional(&mut *self.read_conn().await)
            .await?
            .map(AccountDeviceRow::split))
    }
}

impl WriteTx {
    /// True when the device is the active device of the account.
    pub async fn device_is_active(
        &mut self,
        account: &str,
        device_id: &str,
    ) -> Result<bool, StorageError> {
        let found = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM devices WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
        )
        .bind(device_id)
        .bind(account)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(found == 1)
    }

    /// Revokes every active device of the account; returns their ids.
    pub async fn revoke_active_devices(
        &mut self,
        account: &str,
        now: i64,
        reason: &str,
    ) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar::<_, String>(
            "UPDATE devices SET revoked_at = ?, revoked_reason = ? \
             WHERE account_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(reason)
        .bind(account)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Inserts a device.
    pub async fn insert_device(&mut self, device: &NewDevice<'_>) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO devices (id, account_id, name, approval_key, identity_key, \
             offline_secret_enc, ocra_suite, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(device.id)
        .bind(device.account_id)
        .bind(device.name)
        .bind(device.approval_key)
        .bind(device.identity_key)
        .bind(device.offline_secret_enc)
        .bind(device.ocra_suite)
        .bind(device.enrolled_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
