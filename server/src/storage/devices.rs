//! Enrolled phones, and the copy in memory of those that answered lately ([`DeviceCache`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::accounts::{Account, account_columns};
use super::{StorageError, Store, WriteTx};

/// Accounts kept at most in the [`DeviceCache`] (about 600 bytes each); when full, it starts
/// afresh (misses only cost database reads).
const DEVICE_CACHE_CAPACITY: usize = 100_000;

/// The phones whose approvals this process read lately, each with its account, as read
/// while usable: account enabled, device active, no failure counted and no block. It serves
/// the first read of an approval ([`Store::approving_device`]) without a round trip to a
/// reader's thread. Only a hint: every decision taken on that read is taken again inside the
/// transaction that writes (the approval round re-reads the account, its lockout state and
/// the device; a wrong answer's transaction re-reads the account and the device), and a
/// device's keys never change. So an entry made stale by another process (an administration
/// command) changes no outcome. This process forgets an account's entry whenever it writes
/// the account or its devices ([`WriteTx`]), and an entry read before such a write is not
/// kept ([`DeviceCache::generation`]). Off on PostgreSQL, where other instances write too
/// (docs/ARCHITECTURE.md, "No cache another instance can make stale").
#[derive(Default)]
pub(super) struct DeviceCache {
    /// By account id: the account and its active device.
    entries: Mutex<HashMap<String, (Account, Device)>>,
    /// Moves on at every [`DeviceCache::forget`].
    forgotten: AtomicU64,
    /// Keeps nothing.
    off: bool,
}

impl std::fmt::Debug for DeviceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCache")
            .field("entries", &self.lock().len())
            .field("off", &self.off)
            .finish()
    }
}

impl DeviceCache {
    /// A cache that keeps nothing: for a database that other instances change too.
    pub(super) fn off() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Account, Device)>> {
        // Every operation leaves the map consistent: a panicking holder cannot corrupt it.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account and its device `device_id`, if kept.
    fn get(&self, account: &str, device_id: &str) -> Option<(Account, Device)> {
        if self.off {
            return None;
        }
        self.lock()
            .get(account)
            .filter(|(_, device)| device.id == device_id)
            .cloned()
    }

    /// Where the forgetting stands: read before a database read, given to
    /// [`DeviceCache::keep`] after it.
    fn generation(&self) -> u64 {
        self.forgotten.load(Ordering::Acquire)
    }

    /// Keeps what a read found, if usable and if nothing was forgotten since `generation`
    /// (the read may predate a write of this process).
    fn keep(&self, account: &Account, device: &Device, generation: u64) {
        let lock = account.lock_state();
        let usable = account.is_enabled()
            && device.is_active()
            && lock.failures == 0
            && lock.block.is_none();
        if self.off || !usable {
            return;
        }
        let mut entries = self.lock();
        if self.generation() != generation {
            return;
        }
        if entries.len() >= DEVICE_CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(account.id.clone(), (account.clone(), device.clone()));
    }

    /// Forgets the account's entry: this process is writing the account or its devices.
    pub(super) fn forget(&self, account: &str) {
        if self.off {
            return;
        }
        let mut entries = self.lock();
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        entries.remove(account);
    }
}

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

    /// Like [`Store::account_with_device`], for the first read of an approval: served from
    /// the [`DeviceCache`] when this process read them usable lately. Only for reads whose
    /// every consequence is checked again where it is written (see [`DeviceCache`]).
    pub async fn approving_device(
        &self,
        account: &str,
        device_id: &str,
    ) -> Result<Option<(Account, Option<Device>)>, StorageError> {
        if let Some((account, device)) = self.devices.get(account, device_id) {
            return Ok(Some((account, Some(device))));
        }
        let generation = self.devices.generation();
        let found = self.account_with_device(account, device_id).await?;
        if let Some((account, Some(device))) = &found {
            self.devices.keep(account, device, generation);
        }
        Ok(found)
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
    /// Notes that this transaction writes the account's row or devices (see
    /// [`DeviceCache`]).
    pub(super) fn wrote_account(&mut self, account: &str) {
        self.written_accounts.push(account.to_owned());
    }

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
        self.wrote_account(account);
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
        self.wrote_account(device.account_id);
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

#[cfg(test)]
mod tests {
    use super::super::{Engine, enroll, temporary_store};
    use super::*;

    const NOW: i64 = 1_700_000_000;

    /// Renames the account behind the store's back (as another process would): a read
    /// served from memory still has the old name.
    async fn rename_directly(store: &Store, account: &str, name: &str) {
        sqlx::query("UPDATE accounts SET display_name = ? WHERE id = ?")
            .bind(name)
            .bind(account)
            .execute(&mut *store.write_conn().await)
            .await
            .expect("rename");
    }

    async fn name_seen(store: &Store, account: &str) -> String {
        let (account, device) = store
            .approving_device(account, &format!("D-{account}"))
            .await
            .expect("read")
            .expect("found");
        assert!(device.is_some());
        account.display_name
    }

    #[tokio::test]
    async fn an_approving_phone_is_served_from_memory_until_this_process_writes_its_account() {
        let (_dir, store) = temporary_store().await;
        let cached = store.engine() == Engine::Sqlite;
        enroll(&store, "alice", NOW).await;
        assert_eq!(name_seen(&store, "alice").await, "alice");
        rename_directly(&store, "alice", "Alice A.").await;
        // Kept from the first read (SQLite); PostgreSQL reads every time.
        let expected = if cached { "alice" } else { "Alice A." };
        assert_eq!(name_seen(&store, "alice").await, expected);
        // Another device id of the account is not the kept one.
        assert!(
            store
                .approving_device("alice", "D-other")
                .await
                .expect("read")
                .is_some_and(|(_, device)| device.is_none())
        );
        // A write of this process forgets the entry once committed: the next read is fresh.
        let mut tx = store.begin_write().await.expect("begin");
        tx.set_disabled("alice", Some((NOW, None)))
            .await
            .expect("disable");
        tx.commit().await.expect("commit");
        let (account, _) = store
            .approving_device("alice", "D-alice")
            .await
            .expect("read")
            .expect("found");
        assert!(!account.is_enabled());
        assert_eq!(account.display_name, "Alice A.");
    }

    #[tokio::test]
    async fn only_usable_phones_are_kept() {
        let (_dir, store) = temporary_store().await;
        enroll(&store, "bob", NOW).await;
        // A failure counted: read, not kept.
        sqlx::query("UPDATE accounts SET failed_attempts = 1 WHERE id = 'bob'")
            .execute(&mut *store.write_conn().await)
            .await
            .expect("failure");
        assert_eq!(name_seen(&store, "bob").await, "bob");
        rename_directly(&store, "bob", "Bob B.").await;
        assert_eq!(name_seen(&store, "bob").await, "Bob B.");
        // Usable again: kept. Then a transaction of this process that counts a failure
        // forgets it at commit.
        sqlx::query("UPDATE accounts SET failed_attempts = 0 WHERE id = 'bob'")
            .execute(&mut *store.write_conn().await)
            .await
            .expect("reset");
        assert_eq!(name_seen(&store, "bob").await, "Bob B.");
        let mut tx = store.begin_write().await.expect("begin");
        let read = tx.account("bob").await.expect("read").expect("bob");
        let mut state = read.lock_state();
        state.failures = 1;
        tx.set_lock_state("bob", state).await.expect("count");
        tx.commit().await.expect("commit");
        rename_directly(&store, "bob", "Bob C.").await;
        assert_eq!(name_seen(&store, "bob").await, "Bob C.");
    }

    #[test]
    fn a_read_older_than_a_forget_is_not_kept() {
        let account = Account::for_tests("carol");
        let device = Device {
            id: "D-carol".to_owned(),
            account_id: "carol".to_owned(),
            name: "phone".to_owned(),
            approval_key: vec![1],
            identity_key: vec![2],
            offline_secret_enc: vec![3],
            ocra_suite: "OCRA-1:HOTP-SHA256-8:QA64".to_owned(),
            enrolled_at: NOW,
            revoked_at: None,
            revoked_reason: None,
        };
        let cache = DeviceCache::default();
        let before = cache.generation();
        cache.forget("dave");
        cache.keep(&account, &device, before);
        assert!(
            cache.get("carol", "D-carol").is_none(),
            "read before a forget"
        );
        cache.keep(&account, &device, cache.generation());
        assert!(cache.get("carol", "D-carol").is_some());
        assert!(DeviceCache::off().get("carol", "D-carol").is_none());
        let off = DeviceCache::off();
        off.keep(&account, &device, off.generation());
        assert!(off.get("carol", "D-carol").is_none(), "off keeps nothing");
    }
}
