//! Card bindings: which account a card's national identifier or certificate fingerprint
//! logs in (docs/cps.md).

use super::conn::Conn;

use super::{StorageError, Store, WriteTx};

/// A stored binding.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CardBinding {
    /// `national_id` or `fingerprint`.
    pub kind: String,
    /// The identifier (`810001234567`) or the fingerprint (64 lowercase hex digits).
    pub value: String,
    /// The account it logs in.
    pub account_id: String,
    /// When it was made.
    pub created_at: i64,
    /// Who made it (`cli:<user>`, `web:<account>`).
    pub created_by: String,
}

const COLUMNS: &str = "kind, value, account_id, created_at, created_by";

/// The binding of `(kind, value)` on `conn`, if any.
async fn binding(
    conn: &mut Conn,
    kind: &str,
    value: &str,
) -> Result<Option<CardBinding>, StorageError> {
    Ok(sqlx::query_as::<_, CardBinding>(&format!(
        "SELECT {COLUMNS} FROM card_bindings WHERE kind = ? AND value = ?"
    ))
    .bind(kind)
    .bind(value)
    .fetch_optional(conn)
    .await?)
}

impl Store {
    /// The binding of `(kind, value)`, if any.
    pub async fn card_binding(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<Option<CardBinding>, StorageError> {
        binding(&mut *self.read_conn().await, kind, value).await
    }

    /// True when a card approved the challenge `challenge_id` at `since` or later (its
    /// `card_login` row, committed with the approval).
    pub async fn card_approved(
        &self,
        challenge_id: &str,
        since: i64,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit WHERE event = 'card_login' AND at >= ? \
             AND challenge_id = ?",
        )
        .bind(since)
        .bind(challenge_id)
        .fetch_one(&mut *self.read_conn().await)
        .await?
            > 0)
    }

    /// The bindings of an account, oldest first.
    pub async fn card_bindings_of(
        &self,
        account_id: &str,
    ) -> Result<Vec<CardBinding>, StorageError> {
        Ok(sqlx::query_as::<_, CardBinding>(&format!(
            "SELECT {COLUMNS} FROM card_bindings WHERE account_id = ? \
             ORDER BY created_at, kind, value"
        ))
        .bind(account_id)
        .fetch_all(&mut *self.read_conn().await)
        .await?)
    }
}

impl WriteTx {
    /// The binding of `(kind, value)` in this transaction, if any.
    pub async fn card_binding(
        &mut self,
        kind: &str,
        value: &str,
    ) -> Result<Option<CardBinding>, StorageError> {
        binding(&mut self.tx, kind, value).await
    }

    /// Adds a binding; false when `(kind, value)` is already bound (nothing changed).
    pub async fn insert_card_binding(&mut self, b: &CardBinding) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO card_bindings (kind, value, account_id, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, value) DO NOTHING",
        )
        .bind(&b.kind)
        .bind(&b.value)
        .bind(&b.account_id)
        .bind(b.created_at)
        .bind(&b.created_by)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes the binding of `(kind, value)` to `account_id`; false when there was none.
    pub async fn delete_card_binding(
        &mut self,
        kind: &str,
        value: &str,
        account_id: &str,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "DELETE FROM card_bindings WHERE kind = ? AND value = ? AND account_id = ?",
        )
        .bind(kind)
        .bind(value)
        .bind(account_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
