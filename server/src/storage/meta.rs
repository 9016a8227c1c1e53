//! Server metadata (key/value).

use super::{StorageError, Store, WriteTx};

/// Key of the master-key check value.
pub const KEY_CHECK: &str = "master_key_check";

impl Store {
    /// The value of `key`, stored as `fresh` on first use (keys the server makes once and
    /// keeps: CSRF tokens, pairwise subjects).
    pub(super) async fn meta_value_or_insert(
        &self,
        key: &str,
        fresh: &[u8],
    ) -> Result<Vec<u8>, StorageError> {
        let mut conn = self.write_conn().await;
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(fresh)
            .execute(&mut *conn)
            .await?;
        Ok(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM meta WHERE key = ?")
                .bind(key)
                .fetch_one(&mut *conn)
                .await?,
        )
    }

    /// The master-key check value, if one was stored.
    pub async fn key_check(&self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM meta WHERE key = ?")
                .bind(KEY_CHECK)
                .fetch_optional(&mut *self.read_conn().await)
                .await?,
        )
    }
}

impl WriteTx {
    /// Stores the master-key check value unless one exists; true when stored.
    pub async fn init_key_check(&mut self, value: &[u8]) -> Result<bool, StorageError> {
        let done =
            sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(KEY_CHECK)
                .bind(value)
                .execute(&mut *self.tx)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The master-key check value, read inside the transaction.
    pub async fn key_check(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT value FROM meta WHERE key = ?")
                .bind(KEY_CHECK)
                .fetch_optional(&mut *self.tx)
                .await?,
        )
    }
}
