//! The provider's signing keys: the current one (read once a second at most), the published
//! ones (JWKS), the first one made at first start, and rotation.
//!
//! ```text
//!   first start ──► key A current (published)
//!   rotate-key  ──► key B current; A retired, published until now + token lifetime + margin
//!   purge       ──► A deleted once no token it signed can still be valid
//! ```
//!
//! The private key (PKCS#8) is sealed under the master key, with the `kid` as associated
//! data, like the offline secrets. Rotation may come from another process (the command
//! line): a running server sees the new current key within [`KEY_REFRESH`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use serde_json::{Value, json};
use tigr_core::random::SecureRandom;

use crate::domain::oidc::LOGOUT_TOKEN_TTL;
use crate::jose::SigningKey;
use crate::sealing::SecretSealer;
use crate::storage::{AuditEntry, AuditEvent, StorageError, Store, StoredSigningKey, WriteTx};

use super::OidcError;

/// How long the current key is used before the database is asked again for it.
pub const KEY_REFRESH: Duration = Duration::from_secs(1);

/// Seconds a retired key stays published after the last token it may have signed expires
/// (clock differences between the server and the clients).
const PUBLISH_MARGIN: i64 = 60;

/// Until when a key retired at `now` must stay published: tokens it signed (ID tokens,
/// logout tokens) live at most this long.
pub fn publish_until(now: i64, id_token_ttl: i64) -> i64 {
    now + id_token_ttl.max(LOGOUT_TOKEN_TTL) + PUBLISH_MARGIN
}

/// A new signing key made current in `tx` (the previous one, if any, retired and published
/// until [`publish_until`]). Returns the new `kid` and the previous one.
async fn install(
    tx: &mut WriteTx,
    sealer: &SecretSealer,
    random: &dyn SecureRandom,
    now: i64,
    id_token_ttl: i64,
) -> Result<(String, Option<String>), OidcError> {
    let (key, pkcs8) = SigningKey::generate(random)?;
    let kid = key.kid().to_owned();
    let public_jwk = serde_json::to_string(key.public_jwk()).map_err(|error| {
        tracing::error!(%error, "JWK serialisation failed");
        OidcError::Internal
    })?;
    let previous = tx.oidc_current_signing_key().await?.map(|k| k.kid);
    tx.rotate_oidc_signing_key(
        &StoredSigningKey {
            private_sealed: sealer.seal_signing_key(random, &kid, &pkcs8),
            kid: kid.clone(),
            public_jwk,
            created_at: now,
            retired_at: None,
            publish_until: None,
        },
        publish_until(now, id_token_ttl),
    )
    .await?;
    Ok((kid, previous))
}

/// A rotation asked by `actor` (an administrator, an operator): a new current key, audited
/// in the same transaction. Returns the new `kid`.
pub async fn rotate(
    tx: &mut WriteTx,
    sealer: &SecretSealer,
    random: &dyn SecureRandom,
    now: i64,
    id_token_ttl: i64,
    actor: &str,
) -> Result<String, OidcError> {
    let (kid, previous) = install(tx, sealer, random, now, id_token_ttl).await?;
    let detail = match previous {
        Some(previous) => format!("kid={kid} previous={previous}"),
        None => format!("kid={kid}"),
    };
    tx.audit(&AuditEntry {
        detail: Some(detail),
        ..AuditEntry::by(now, AuditEvent::OidcKeyRotated, actor)
    })
    .await?;
    Ok(kid)
}

/// Makes the first signing key unless one exists (at the server's start). Returns its
/// `kid` when it made one. Like the master key made at the first start, it is logged, not
/// audited: no one acted, and the audit trail stays the record of people's actions.
pub async fn ensure_current(
    store: &Store,
    sealer: &SecretSealer,
    random: &dyn SecureRandom,
    now: i64,
    id_token_ttl: i64,
) -> Result<Option<String>, OidcError> {
    let mut tx = store.begin_write().await?;
    if tx.oidc_current_signing_key().await?.is_some() {
        return Ok(None);
    }
    let (kid, _) = install(&mut tx, sealer, random, now, id_token_ttl).await?;
    tx.commit().await?;
    Ok(Some(kid))
}

/// The current signing key, cached (see the module docs).
#[derive(Debug, Default)]
pub struct Keyring {
    cached: Mutex<Option<(Instant, Arc<SigningKey>)>>,
}

impl Keyring {
    fn cache(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<SigningKey>)>> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key to sign with now.
    pub async fn current(
        &self,
        store: &Store,
        sealer: &SecretSealer,
        now: i64,
    ) -> Result<Arc<SigningKey>, OidcError> {
        let cached = self.cache().clone();
        if let Some((at, key)) = &cached
            && at.elapsed() < KEY_REFRESH
        {
            return Ok(Arc::clone(key));
        }
        let kid = store.oidc_current_kid().await?.ok_or_else(|| {
            tracing::error!("no current OpenID Connect signing key");
            OidcError::Internal
        })?;
        let key = match cached {
            Some((_, key)) if key.kid() == kid => key,
            _ => Arc::new(load(store, sealer, &kid, now).await?),
        };
        *self.cache() = Some((Instant::now(), Arc::clone(&key)));
        Ok(key)
    }
}

/// Unseals the key `kid`.
async fn load(
    store: &Store,
    sealer: &SecretSealer,
    kid: &str,
    now: i64,
) -> Result<SigningKey, OidcError> {
    let stored = store
        .oidc_published_keys(now)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .ok_or(OidcError::Internal)?;
    let pkcs8 = sealer
        .open_signing_key(kid, &stored.private_sealed)
        .map_err(|_| {
            tracing::error!(kid, "the signing key does not open with this master key");
            OidcError::Internal
        })?;
    Ok(SigningKey::from_pkcs8(&pkcs8)?)
}

/// The public keys to publish at `now` (`{"keys": [...]}`), current first.
pub async fn published_jwks(store: &Store, now: i64) -> Result<Value, StorageError> {
    let keys: Vec<Value> = store
        .oidc_published_keys(now)
        .await?
        .iter()
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    Ok(json!({ "keys": keys }))
}

/// The published key `kid` at `now`, to verify a token this server signed.
pub async fn verification_key(
    store: &Store,
    kid: &str,
    now: i64,
) -> Result<Option<DecodingKey>, StorageError> {
    crate::jose::install_ring_provider();
    Ok(store
        .oidc_published_keys(now)
        .await?
        .into_iter()
        .find(|k| k.kid == kid)
        .and_then(|k| serde_json::from_str::<Jwk>(&k.public_jwk).ok())
        .and_then(|jwk| DecodingKey::from_jwk(&jwk).ok()))
}
