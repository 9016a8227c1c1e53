//! Enrollment codes (stored as SHA-256 hashes).

use crate::domain::enrollment::EnrollmentCode;

use super::{StorageError, Store, WriteTx};

#[derive(sqlx::FromRow)]
struct CodeRow {
    account_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    cancelled_at: Option<i64>,
}

impl From<CodeRow> for EnrollmentCode {
    fn from(row: CodeRow) -> Self {
        Self {
            account_id: row.account_id,
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            cancelled_at: row.cancelled_at,
        }
    }
}

const SELECT_CODE: &str = "SELECT account_id, created_at, expires_at, used_at, cancelled_at \
     FROM enrollments WHERE code_hash = ?";

impl Store {
    /// The code whose SHA-256 is `code_hash`.
    pub async fn enrollment(
        &self,
        code_hash: &[u8],
    ) -> Result<Option<EnrollmentCode>, StorageError> {
        Ok(sqlx::query_as::<_, CodeRow>(SELECT_CODE)
            .bind(code_hash)
            .fetch_optional(&mut *self.read_conn().await)
            .await?
            .map(Into::into))
    }
}

impl WriteTx {
    /// The code, read inside the transaction.
    pub async fn enrollment(
        &mut self,
        code_hash: &[u8],
    ) -> Result<Option<EnrollmentCode>, StorageError> {
        Ok(sqlx::query_as::<_, CodeRow>(SELECT_CODE)
            .bind(code_hash)
            .fetch_optional(&mut *self.tx)
            .await?
            .map(Into::into))
    }

    /// Marks the code used if it is unused, not cancelled and unexpired at `now`; false
    /// otherwise.
    pub async fn consume_enrollment(
        &mut self,
        code_hash: &[u8],
        now: i64,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE enrollments SET used_at = ? \
             WHERE code_hash = ? AND used_at IS NULL AND cancelled_at IS NULL \
             AND expires_at > ?",
        )
        .bind(now)
        .bind(code_hash)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records which device a used code enrolled.
    pub async fn link_enrollment_device(
        &mut self,
        code_hash: &[u8],
        device_id: &str,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE enrollments SET device_id = ? WHERE code_hash = ?")
            .bind(device_id)
            .bind(code_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
