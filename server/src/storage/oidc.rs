//! The OpenID Connect provider's tables (migration 0005): clients, signing keys, requests
//! waiting for a login, codes, access tokens, the clients of each web session, the
//! back-channel logout queue and used client-assertion ids. Codes, tokens and secrets are
//! stored as SHA-256 only.

use super::conn::Conn;

use crate::domain::oidc::token::StoredCode;
use crate::domain::oidc::{AuthMethod, Client, ClientKind, SubjectType};

use super::writer::Batch;
use super::{StorageError, Store, WriteTx, insert_rows};

/// Key in `meta` of the key of pairwise subjects.
const PAIRWISE_KEY: &str = "oidc_pairwise_key";

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: String,
    name: String,
    kind: String,
    auth_method: String,
    secret_hash: Option<Vec<u8>>,
    jwks: Option<String>,
    jwks_uri: Option<String>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: Option<String>,
    scopes: String,
    subject_type: String,
    created_at: i64,
    updated_at: i64,
    secret_rotated_at: Option<i64>,
}

const CLIENT_COLUMNS: &str = "id, name, kind, auth_method, secret_hash, jwks, jwks_uri, \
     redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, scopes, subject_type, \
     created_at, updated_at, secret_rotated_at";

fn uri_list(json: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(json).map_err(|_| StorageError::Corrupt(format!("URI list {json:?}")))
}

fn uri_json(uris: &[String]) -> String {
    serde_json::to_string(uris).unwrap_or_else(|_| "[]".to_owned())
}

impl TryFrom<ClientRow> for Client {
    type Error = StorageError;

    fn try_from(row: ClientRow) -> Result<Self, StorageError> {
        let corrupt = |what: &str, value: &str| StorageError::Corrupt(format!("{what} {value:?}"));
        Ok(Self {
            kind: ClientKind::parse(&row.kind).ok_or_else(|| corrupt("client kind", &row.kind))?,
            auth_method: AuthMethod::parse(&row.auth_method)
                .ok_or_else(|| corrupt("auth method", &row.auth_method))?,
            subject_type: SubjectType::parse(&row.subject_type)
                .ok_or_else(|| corrupt("subject type", &row.subject_type))?,
            redirect_uris: uri_list(&row.redirect_uris)?,
            post_logout_redirect_uris: uri_list(&row.post_logout_redirect_uris)?,
            scopes: row.scopes.split(' ').map(str::to_owned).collect(),
            id: row.id,
            name: row.name,
            secret_hash: row.secret_hash,
            jwks: row.jwks,
            jwks_uri: row.jwks_uri,
            backchannel_logout_uri: row.backchannel_logout_uri,
            created_at: row.created_at,
            updated_at: row.updated_at,
            secret_rotated_at: row.secret_rotated_at,
        })
    }
}

/// A signing key as stored: the PKCS#8 document sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSigningKey {
    /// Its `kid`.
    pub kid: String,
    /// The sealed PKCS#8 document.
    pub private_sealed: Vec<u8>,
    /// The public JWK (JSON).
    pub public_jwk: String,
    /// Creation time.
    pub created_at: i64,
    /// When a newer key replaced it (`None`: the current key).
    pub retired_at: Option<i64>,
    /// A retired key is published until then.
    pub publish_until: Option<i64>,
}

/// An authorization request waiting for the browser's login.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingRequest {
    /// Its identifier (in the login page's URL).
    pub id: String,
    /// SHA-256 of the browser token of the `tigr_oidc` cookie.
    pub browser_hash: Vec<u8>,
    /// The client.
    pub client_id: String,
    /// The validated request (JSON).
    pub request: String,
    /// When it was made.
    pub created_at: i64,
    /// When it is dropped.
    pub expires_at: i64,
}

/// An access token as stored (found by the SHA-256 of the token).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAccessToken {
    /// The client it was issued to.
    pub client_id: String,
    /// The account.
    pub account_id: String,
    /// The web session (its OpenID Connect `sid`).
    pub sid: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

/// A logout token waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedLogout {
    /// Row id.
    pub id: i64,
    /// The ended web session.
    pub sid: String,
    /// The client to tell.
    pub client_id: String,
    /// The account.
    pub account_id: String,
    /// Deliveries tried so far.
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    client_id: String,
    account_id: String,
    sid: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    auth_time: i64,
    amr: String,
    acr: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<CodeRow> for StoredCode {
    fn from(row: CodeRow) -> Self {
        Self {
            client_id: row.client_id,
            account_id: row.account_id,
            sid: row.sid,
            redirect_uri: row.redirect_uri,
            scope: row.scope,
            nonce: row.nonce,
            code_challenge: row.code_challenge,
            auth_time: row.auth_time,
            amr: row.amr,
            acr: row.acr,
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
        }
    }
}

/// Kept requests, one `INSERT` per round.
#[derive(Debug)]
pub(super) struct PendingInserts;

impl Batch for PendingInserts {
    type Item = PendingRequest;
    type Output = ();

    async fn write(
        &self,
        conn: &mut Conn,
        rows: &[&PendingRequest],
    ) -> Result<Vec<()>, StorageError> {
        let head = "INSERT INTO oidc_pending (id, browser_hash, client_id, request, created_at, \
                    expires_at)";
        insert_rows(conn, (head, ""), 6, rows, |query, p| {
            query
                .bind(&p.id)
                .bind(&p.browser_hash)
                .bind(&p.client_id)
                .bind(&p.request)
                .bind(p.created_at)
                .bind(p.expires_at)
        })
        .await?;
        Ok(vec![(); rows.len()])
    }
}

async fn client_on(conn: &mut Conn, id: &str) -> Result<Option<Client>, StorageError> {
    sqlx::query_as::<_, ClientRow>(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(Client::try_from)
    .transpose()
}

async fn code_on(conn: &mut Conn, code_hash: &[u8]) -> Result<Option<StoredCode>, StorageError> {
    Ok(sqlx::query_as::<_, CodeRow>(
        "SELECT client_id, account_id, sid, redirect_uri, scope, nonce, code_challenge, \
         auth_time, amr, acr, created_at, expires_at, used_at FROM oidc_codes \
         WHERE code_hash = ?",
    )
    .bind(code_hash)
    .fetch_optional(conn)
    .await?
    .map(StoredCode::from))
}

impl Store {
    /// Keeps a request waiting for its browser's login: written with the requests waiting
    /// at the same time, one multi-row `INSERT` in autocommit mode per round (nothing else
    /// changes with it).
    pub async fn insert_oidc_pending(&self, p: &PendingRequest) -> Result<(), StorageError> {
        self.writer
            .submit(&self.queues.pending, p.clone(), || self.waiting_writes())
            .await
    }

    /// The code whose SHA-256 is `code_hash` (its single use is decided by
    /// [`Store::grant_oidc_tokens`]).
    pub async fn oidc_code(&self, code_hash: &[u8]) -> Result<Option<StoredCode>, StorageError> {
        code_on(&mut *self.read_conn().await, code_hash).await
    }

    /// The client with this `client_id`.
    pub async fn oidc_client(&self, id: &str) -> Result<Option<Client>, StorageError> {
        client_on(&mut *self.read_conn().await, id).await
    }

    /// Every client, by name.
    pub async fn oidc_clients(&self) -> Result<Vec<Client>, StorageError> {
        sqlx::query_as::<_, ClientRow>(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY name, id"
        ))
        .fetch_all(&mut *self.read_conn().await)
        .await?
        .into_iter()
        .map(Client::try_from)
        .collect()
    }

    /// The keys to publish at `now`: the current one first, then the retired ones still
    /// covering tokens they signed, newest first (a rotation within the second of the key's
    /// creation keeps this order: seconds alone would tie).
    pub async fn oidc_published_keys(
        &self,
        now: i64,
    ) -> Result<Vec<StoredSigningKey>, StorageError> {
        Ok(sqlx::query_as::<_, StoredSigningKey>(
            "SELECT kid, private_sealed, public_jwk, created_at, retired_at, publish_until \
             FROM oidc_signing_keys WHERE retired_at IS NULL OR publish_until > ? \
             ORDER BY retired_at IS NOT NULL, retired_at DESC, created_at DESC, kid",
        )
        .bind(now)
        .fetch_all(&mut *self.read_conn().await)
        .await?)
    }

    /// The `kid` of the current signing key.
    pub async fn oidc_current_kid(&self) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query_scalar::<_, String>(
            "SELECT kid FROM oidc_signing_keys WHERE retired_at IS NULL",
        )
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }

    /// The key of pairwise subjects, created (32 random bytes from `fresh`) on first use.
    pub async fn oidc_pairwise_key(&self, fresh: &[u8]) -> Result<Vec<u8>, StorageError> {
        self.meta_value_or_insert(PAIRWISE_KEY, fresh).await
    }

    /// The request `id` waiting for a login, if not expired at `now`.
    pub async fn oidc_pending(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<PendingRequest>, StorageError> {
        Ok(sqlx::query_as::<_, PendingRequest>(
            "SELECT id, browser_hash, client_id, request, created_at, expires_at \
             FROM oidc_pending WHERE id = ? AND expires_at > ?",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }

    /// The access token whose SHA-256 is `token_hash`.
    pub async fn oidc_access_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<StoredAccessToken>, StorageError> {
        Ok(sqlx::query_as::<_, StoredAccessToken>(
            "SELECT client_id, account_id, sid, scope, expires_at, revoked_at \
             FROM oidc_access_tokens WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&mut *self.read_conn().await)
        .await?)
    }

    /// Takes the logout tokens due at `now` (at most `limit`, oldest first) for one
    /// delivery: they are not due again before `lease_until`, so that another instance
    /// sharing the database does not deliver them too. A delivery then deletes its token or
    /// sets its next attempt; a token whose instance died is tried again after the lease.
    pub async fn oidc_claim_due_logouts(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<QueuedLogout>, StorageError> {
        let mut claimed = sqlx::query_as::<_, QueuedLogout>(
            // The condition outside the subquery too: PostgreSQL checks it again on a row
            // another instance's claim changed meanwhile, and leaves that row out.
            "UPDATE oidc_logout_queue SET next_attempt_at = ?1 \
             WHERE next_attempt_at <= ?2 AND id IN \
             (SELECT id FROM oidc_logout_queue WHERE next_attempt_at <= ?2 \
              ORDER BY next_attempt_at, id LIMIT ?3) \
             RETURNING id, sid, client_id, account_id, attempts",
        )
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.write_conn().await)
        .await?;
        claimed.sort_by_key(|queued| queued.id);
        Ok(claimed)
    }

    /// The clients the session `sid` signed in to.
    pub async fn oidc_session_clients(&self, sid: &str) -> Result<Vec<String>, StorageError> {
        Ok(sqlx::query_scalar::<_, String>(
            "SELECT client_id FROM oidc_session_clients WHERE sid = ? ORDER BY first_at",
        )
        .bind(sid)
        .fetch_all(&mut *self.read_conn().await)
        .await?)
    }

    /// Deletes what expired by `now`: waiting requests, codes and access tokens (after their
    /// expiry), used assertion ids, retired keys no longer published, and the client lists
    /// of sessions that ended without a logout (expired). Returns how many rows.
    pub async fn purge_oidc(&self, now: i64) -> Result<u64, StorageError> {
        let mut tx = self.begin_write().await?;
        let mut purged = 0;
        for (sql, bind_now) in [
            ("DELETE FROM oidc_pending WHERE expires_at <= ?", true),
            ("DELETE FROM oidc_codes WHERE expires_at <= ?", true),
            ("DELETE FROM oidc_access_tokens WHERE expires_at <= ?", true),
            ("DELETE FROM oidc_assertion_ids WHERE expires_at <= ?", true),
            (
                "DELETE FROM oidc_signing_keys WHERE retired_at IS NOT NULL \
                 AND publish_until <= ?",
                true,
            ),
            (
                "DELETE FROM oidc_session_clients WHERE sid NOT IN \
                 (SELECT sid FROM web_sessions WHERE sid IS NOT NULL)",
                false,
            ),
        ] {
            let mut query = sqlx::query(sql);
            if bind_now {
                query = query.bind(now);
            }
            purged += query.execute(&mut *tx.tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(purged)
    }
}

impl WriteTx {
    /// The client `id`, read inside the transaction.
    pub async fn oidc_client(&mut self, id: &str) -> Result<Option<Client>, StorageError> {
        client_on(&mut self.tx, id).await
    }

    /// Registers a client; false when the id is taken.
    pub async fn insert_oidc_client(&mut self, c: &Client) -> Result<bool, StorageError> {
        let done = sqlx::query(&format!(
            "INSERT INTO oidc_clients ({CLIENT_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        ))
        .bind(&c.id)
        .bind(&c.name)
        .bind(c.kind.as_str())
        .bind(c.auth_method.as_str())
        .bind(&c.secret_hash)
        .bind(&c.jwks)
        .bind(&c.jwks_uri)
        .bind(uri_json(&c.redirect_uris))
        .bind(uri_json(&c.post_logout_redirect_uris))
        .bind(&c.backchannel_logout_uri)
        .bind(c.scopes.join(" "))
        .bind(c.subject_type.as_str())
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.secret_rotated_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces everything about client `c.id` (its id and creation time stay).
    pub async fn update_oidc_client(&mut self, c: &Client) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE oidc_clients SET name = ?, kind = ?, auth_method = ?, secret_hash = ?, \
             jwks = ?, jwks_uri = ?, redirect_uris = ?, post_logout_redirect_uris = ?, \
             backchannel_logout_uri = ?, scopes = ?, subject_type = ?, updated_at = ?, \
             secret_rotated_at = ? WHERE id = ?",
        )
        .bind(&c.name)
        .bind(c.kind.as_str())
        .bind(c.auth_method.as_str())
        .bind(&c.secret_hash)
        .bind(&c.jwks)
        .bind(&c.jwks_uri)
        .bind(uri_json(&c.redirect_uris))
        .bind(uri_json(&c.post_logout_redirect_uris))
        .bind(&c.backchannel_logout_uri)
        .bind(c.scopes.join(" "))
        .bind(c.subject_type.as_str())
        .bind(c.updated_at)
        .bind(c.secret_rotated_at)
        .bind(&c.id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Removes a client with its codes, access tokens and waiting requests (cascade); true
    /// when it existed.
    pub async fn delete_oidc_client(&mut self, id: &str) -> Result<bool, StorageError> {
        let done = sqlx::query("DELETE FROM oidc_clients WHERE id = ?")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The current signing key, read inside the transaction.
    pub async fn oidc_current_signing_key(
        &mut self,
    ) -> Result<Option<StoredSigningKey>, StorageError> {
        Ok(sqlx::query_as::<_, StoredSigningKey>(
            "SELECT kid, private_sealed, public_jwk, created_at, retired_at, publish_until \
             FROM oidc_signing_keys WHERE retired_at IS NULL",
        )
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Retires the current key (published until `publish_until`) and makes `key` current.
    pub async fn rotate_oidc_signing_key(
        &mut self,
        key: &StoredSigningKey,
        publish_until: i64,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE oidc_signing_keys SET retired_at = ?, publish_until = ? \
             WHERE retired_at IS NULL",
        )
        .bind(key.created_at)
        .bind(publish_until)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO oidc_signing_keys (kid, private_sealed, public_jwk, created_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(&key.kid)
        .bind(&key.private_sealed)
        .bind(&key.public_jwk)
        .bind(key.created_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Revokes the access tokens issued for a code (its replay); returns how many.
    pub async fn revoke_oidc_tokens_of_code(
        &mut self,
        code_hash: &[u8],
        now: i64,
    ) -> Result<u64, StorageError> {
        let done = sqlx::query(
            "UPDATE oidc_access_tokens SET revoked_at = ? \
             WHERE code_hash = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// The OpenID Connect side of ending the web session `sid` (logout, or an
    /// administrator's action; not an expiry): revokes its access tokens, queues a logout
    /// token for each client it signed in to that has a back-channel logout URI, forgets
    /// its client list. Returns how many logout tokens were queued.
    pub async fn end_oidc_session(&mut self, sid: &str, now: i64) -> Result<u64, StorageError> {
        sqlx::query(
            "UPDATE oidc_access_tokens SET revoked_at = ? WHERE sid = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(sid)
        .execute(&mut *self.tx)
        .await?;
        let queued = sqlx::query(
            "INSERT INTO oidc_logout_queue (sid, client_id, account_id, queued_at, \
             next_attempt_at) SELECT s.sid, s.client_id, s.account_id, ?1, ?1 \
             FROM oidc_session_clients s JOIN oidc_clients c ON c.id = s.client_id \
             WHERE s.sid = ?2 AND c.backchannel_logout_uri IS NOT NULL",
        )
        .bind(now)
        .bind(sid)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM oidc_session_clients WHERE sid = ?")
            .bind(sid)
            .execute(&mut *self.tx)
            .await?;
        Ok(queued)
    }

    /// Accepts the client assertion id `jti` of `client_id` once (until `expires_at`);
    /// false for a replay.
    pub async fn record_oidc_assertion_id(
        &mut self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO oidc_assertion_ids (client_id, jti, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Drops a delivered (or abandoned) logout token.
    pub async fn delete_oidc_logout(&mut self, id: i64) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM oidc_logout_queue WHERE id = ?")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Tries a logout token again at `next_attempt_at` (after `attempts` tries).
    pub async fn retry_oidc_logout(
        &mut self,
        id: i64,
        attempts: i64,
        next_attempt_at: i64,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE oidc_logout_queue SET attempts = ?, next_attempt_at = ? WHERE id = ?")
            .bind(attempts)
            .bind(next_attempt_at)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::temporary_store;

    /// Several instances poll the queue: a logout token is taken by one of them only, until
    /// its lease ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_due_logout_is_taken_by_one_delivery_until_its_lease_ends() {
        let (_dir, store) = temporary_store().await;
        for i in 0..40 {
            sqlx::query(
                "INSERT INTO oidc_logout_queue (sid, client_id, account_id, queued_at, \
                 next_attempt_at) VALUES (?, 'rp', 'alice', 100, 100)",
            )
            .bind(format!("sid-{i}"))
            .execute(&mut *store.write_conn().await)
            .await
            .expect("queued");
        }
        let claims = (0..4).map(|_| store.oidc_claim_due_logouts(100, 130, 32));
        let claims = futures_util::future::join_all(claims).await;
        let mut seen = HashSet::new();
        for claim in claims {
            for queued in claim.expect("claim") {
                assert!(seen.insert(queued.id), "{} taken twice", queued.sid);
            }
        }
        assert_eq!(seen.len(), 40);
        assert!(
            store
                .oidc_claim_due_logouts(129, 159, 32)
                .await
                .expect("claim")
                .is_empty()
        );
        assert_eq!(
            store
                .oidc_claim_due_logouts(130, 160, 64)
                .await
                .expect("claim")
                .len(),
            40
        );
    }
}
