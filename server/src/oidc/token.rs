//! The token endpoint (client authentication, code redemption, ID and access tokens) and
//! the userinfo endpoint.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::domain::oidc::Client;
use crate::domain::oidc::authorize::{self, PageRefusal};
use crate::domain::oidc::claims::{IdToken, Person, scope_claims, subject};
use crate::domain::oidc::token::{
    AssertionClaims, Credentials, Redemption, TokenErrorCode, check_assertion, check_grant_type,
    check_method, credentials, redeem, refusal,
};
use crate::jose::left_half_hash;
use crate::login::ClientInfo;
use crate::sealing::{constant_time_eq, sha256};
use crate::storage::{
    AuditEntry, AuditEvent, GrantRequester, SessionKey, TokenGrant, TokenGrantOutcome,
};

use super::{OidcError, OidcService, paths};

/// How long a client's fetched JWKS (`jwks_uri`) is used before it is fetched again.
const JWKS_CACHE: Duration = Duration::from_secs(300);

/// A client's JWKS is fetched again for an unknown `kid` at most this often.
const JWKS_REFETCH: Duration = Duration::from_secs(30);

/// Largest JWKS document fetched.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Algorithms of client assertions.
const ASSERTION_ALGORITHMS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// A token request as the HTTP layer reads it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The form's parameters.
    pub pairs: Vec<(String, String)>,
    /// Client id and secret of an `Authorization: Basic` header, already decoded.
    pub basic: Option<(String, String)>,
    /// Who sent it (audit).
    pub client: ClientInfo,
}

/// What the token endpoint returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The opaque access token (only its hash is stored).
    pub access_token: String,
    /// Its lifetime, seconds.
    pub expires_in: i64,
    /// The signed ID token.
    pub id_token: String,
    /// Granted scopes, space-separated.
    pub scope: String,
}

/// The JWKS fetched from clients' `jwks_uri`, per client.
#[derive(Debug, Default)]
pub(super) struct ClientKeyCache {
    fetched: Mutex<HashMap<String, (Instant, JwkSet)>>,
}

impl ClientKeyCache {
    fn get(&self, client_id: &str, max_age: Duration) -> Option<JwkSet> {
        let fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        fetched
            .get(client_id)
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, set)| set.clone())
    }

    fn put(&self, client_id: &str, set: JwkSet) {
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        fetched.insert(client_id.to_owned(), (Instant::now(), set));
    }
}

fn invalid_client() -> OidcError {
    OidcError::Token(refusal(
        TokenErrorCode::InvalidClient,
        "client authentication failed",
    ))
}

fn malformed(refusal_: PageRefusal) -> OidcError {
    let description = match refusal_ {
        PageRefusal::Repeated(_) => "a parameter is repeated",
        PageRefusal::Oversized(_) => "a parameter is too long, or too many parameters",
        _ => "malformed parameters",
    };
    OidcError::Token(refusal(TokenErrorCode::InvalidRequest, description))
}

impl OidcService {
    /// `POST /oidc/token`: authenticates the client, redeems the code (once: a second use
    /// revokes the first's access token), returns the tokens.
    pub async fn token(&self, request: TokenRequest) -> Result<IssuedTokens, OidcError> {
        let params = authorize::parse(request.pairs).map_err(malformed)?;
        let credentials = credentials(
            request.basic,
            params.get("client_id"),
            params.get("client_secret"),
            params.get("client_assertion_type"),
            params.get("client_assertion"),
        )?;
        let now = self.now();
        let client = self
            .authenticate(&credentials, &request.client, now)
            .await?;
        check_grant_type(params.get("grant_type"))?;
        let code = params.get("code").ok_or_else(|| {
            OidcError::Token(refusal(TokenErrorCode::InvalidRequest, "code is missing"))
        })?;
        let code_hash = sha256(code.as_bytes());
        let invalid_code = || {
            OidcError::Token(refusal(
                TokenErrorCode::InvalidGrant,
                "the code is unknown or expired",
            ))
        };
        let stored = self
            .0
            .store
            .oidc_code(&code_hash)
            .await?
            .ok_or_else(invalid_code)?;
        let redemption = redeem(
            &stored,
            &client.id,
            params.get("redirect_uri"),
            params.get("code_verifier"),
            now,
        )?;
        if redemption == Redemption::Replayed {
            return Err(self.replayed(&code_hash, &client, now).await);
        }
        // The session that authorized the code, still open, of the code's account, enabled.
        let account = self
            .0
            .store
            .web_session_and_account(SessionKey::Sid(&stored.sid))
            .await?
            .map(|(_, account)| account)
            .filter(|a| a.id == stored.account_id && a.is_enabled());
        let Some(account) = account else {
            return Err(OidcError::Token(refusal(
                TokenErrorCode::InvalidGrant,
                "the session that authorized the code has ended",
            )));
        };

        let access_token = self.random_b64(32);
        let scopes: Vec<&str> = stored.scope.split(' ').collect();
        let sub = subject(&client, &account.id, &self.0.pairwise_key);
        let at_hash = left_half_hash(&access_token);
        let id_token = IdToken {
            iss: self.issuer(),
            sub: &sub,
            aud: &client.id,
            exp: now + self.0.id_token_ttl,
            iat: now,
            auth_time: stored.auth_time,
            nonce: stored.nonce.as_deref(),
            sid: &stored.sid,
            amr: stored.amr.split(' ').collect(),
            acr: &stored.acr,
            azp: &client.id,
            at_hash: &at_hash,
            profile: scope_claims(
                &Person {
                    account: &account.id,
                    name: &account.display_name,
                    email: account.email.as_deref(),
                },
                &scopes,
            ),
        };
        let key = self
            .0
            .keys
            .current(&self.0.store, &self.0.sealer, now)
            .await?;
        let id_token = key.sign(None, &id_token)?;

        let outcome = self
            .0
            .store
            .grant_oidc_tokens(TokenGrant {
                code_hash,
                code: stored.clone(),
                token_hash: sha256(access_token.as_bytes()),
                now,
                expires_at: now + self.0.access_token_ttl,
                requester: GrantRequester {
                    ip: request.client.ip.clone(),
                    user_agent: None,
                    detail: format!(
                        "client={} scope={:?} kid={}",
                        client.id,
                        stored.scope,
                        key.kid()
                    ),
                },
            })
            .await?;
        if outcome == TokenGrantOutcome::CodeSpent {
            // Redeemed meanwhile by a concurrent request: this one is the replay.
            return Err(self.replayed(&code_hash, &client, now).await);
        }
        Ok(IssuedTokens {
            access_token,
            expires_in: self.0.access_token_ttl,
            id_token,
            scope: stored.scope,
        })
    }

    /// A second redemption of a code: what the first issued is revoked (audited).
    async fn replayed(&self, code_hash: &[u8], client: &Client, now: i64) -> OidcError {
        let revoke = async {
            let mut tx = self.0.store.begin_write().await?;
            let revoked = tx.revoke_oidc_tokens_of_code(code_hash, now).await?;
            let actor = format!("client:{}", client.id);
            tx.audit(&AuditEntry {
                detail: Some(format!("client={} revoked_tokens={revoked}", client.id)),
                ..AuditEntry::by(now, AuditEvent::OidcCodeReplayed, &actor)
            })
            .await?;
            tx.commit().await?;
            Ok::<_, OidcError>(())
        };
        match revoke.await {
            Ok(()) => {
                tracing::warn!(client = %client.id, "authorization code replayed: tokens revoked");
                OidcError::Token(refusal(
                    TokenErrorCode::InvalidGrant,
                    "the code was already used",
                ))
            }
            Err(error) => error,
        }
    }

    /// Audits a failed authentication of a known client (a wrong secret or assertion).
    async fn audit_auth_failure(&self, client: &Client, from: &ClientInfo, why: &str, now: i64) {
        let write = async {
            let mut tx = self.0.store.begin_write().await?;
            let actor = format!("client:{}", client.id);
            tx.audit(&AuditEntry {
                ip: Some(&from.ip),
                detail: Some(format!("client={} why={why}", client.id)),
                ..AuditEntry::by(now, AuditEvent::OidcClientAuthFailed, &actor)
            })
            .await?;
            tx.commit().await
        };
        if let Err(error) = write.await {
            tracing::error!(%error, "audit of a failed client authentication");
        }
        tracing::info!(client = %client.id, why, "client authentication failed");
    }

    /// The client that `credentials` authenticate. A client assertion's `jti` is recorded
    /// here, before anything else is looked at: an assertion works once.
    async fn authenticate(
        &self,
        credentials: &Credentials,
        from: &ClientInfo,
        now: i64,
    ) -> Result<Client, OidcError> {
        let client_id = match credentials {
            Credentials::Basic { client_id, .. }
            | Credentials::Post { client_id, .. }
            | Credentials::ClientIdOnly(client_id) => client_id.clone(),
            Credentials::Assertion {
                assertion,
                client_id,
            } => match client_id {
                Some(id) => id.clone(),
                // The assertion names its client (`sub`); it is verified below.
                None => {
                    jsonwebtoken::dangerous::insecure_decode_claims::<AssertionClaims>(assertion)
                        .map(|c| c.sub)
                        .map_err(|_| invalid_client())?
                }
            },
        };
        if client_id.is_empty() || client_id.len() > 64 {
            return Err(invalid_client());
        }
        let client = self
            .0
            .store
            .oidc_client(&client_id)
            .await?
            .ok_or_else(invalid_client)?;
        if check_method(&client, credentials.method()).is_err() {
            self.audit_auth_failure(&client, from, "method", now).await;
            return Err(invalid_client());
        }
        match credentials {
            Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => {
                let right = client
                    .secret_hash
                    .as_deref()
                    .is_some_and(|hash| constant_time_eq(&sha256(secret.as_bytes()), hash));
                if !right {
                    self.audit_auth_failure(&client, from, "secret", now).await;
                    return Err(invalid_client());
                }
                Ok(client)
            }
            Credentials::ClientIdOnly(_) => Ok(client),
            Credentials::Assertion { assertion, .. } => {
                let Some(claims) = self.verify_assertion(&client, assertion, now).await else {
                    self.audit_auth_failure(&client, from, "assertion", now)
                        .await;
                    return Err(invalid_client());
                };
                let mut tx = self.0.store.begin_write().await?;
                let first = tx
                    .record_oidc_assertion_id(&client.id, &claims.jti, claims.exp)
                    .await?;
                tx.commit().await?;
                if !first {
                    self.audit_auth_failure(&client, from, "assertion_replayed", now)
                        .await;
                    return Err(invalid_client());
                }
                Ok(client)
            }
        }
    }

    /// The claims of `assertion` if a key of `client` signed it and it says what RFC 7523
    /// requires (see [`check_assertion`]).
    async fn verify_assertion(
        &self,
        client: &Client,
        assertion: &str,
        now: i64,
    ) -> Option<AssertionClaims> {
        let header = jsonwebtoken::decode_header(assertion).ok()?;
        if !ASSERTION_ALGORITHMS.contains(&header.alg) {
            return None;
        }
        let set = self
            .client_keys(client, header.kid.as_deref())
            .await
            .ok()??;
        let mut validation = Validation::new(header.alg);
        // Times are checked against the injected clock by the domain rule; audience too.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let candidates = set
            .keys
            .iter()
            .filter(|k| match (&header.kid, &k.common.key_id) {
                (Some(wanted), Some(kid)) => wanted == kid,
                (Some(_), None) => false,
                (None, _) => true,
            });
        let claims = candidates
            .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
            .find_map(|key| {
                jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).ok()
            })?
            .claims;
        let token_endpoint = self.url(paths::TOKEN);
        check_assertion(
            &claims,
            &client.id,
            &[token_endpoint.as_str(), self.issuer()],
            now,
        )
        .ok()?;
        Some(claims)
    }

    /// The public keys of `client`: registered, or fetched from its `jwks_uri` (cached;
    /// fetched again for an unknown `kid`, at most every [`JWKS_REFETCH`]).
    async fn client_keys(
        &self,
        client: &Client,
        kid: Option<&str>,
    ) -> Result<Option<JwkSet>, OidcError> {
        crate::jose::install_ring_provider();
        if let Some(jwks) = &client.jwks {
            return Ok(serde_json::from_str(jwks).ok());
        }
        let Some(uri) = &client.jwks_uri else {
            return Ok(None);
        };
        let cache = &self.0.client_keys;
        let knows = |set: &JwkSet| {
            kid.is_none_or(|kid| {
                set.keys
                    .iter()
                    .any(|k| k.common.key_id.as_deref() == Some(kid))
            })
        };
        if let Some(set) = cache.get(&client.id, JWKS_CACHE).filter(knows) {
            return Ok(Some(set));
        }
        if let Some(set) = cache.get(&client.id, JWKS_REFETCH) {
            // Fetched moments ago and the kid is not there: do not hammer the client.
            return Ok(Some(set));
        }
        let fetched = async {
            let response = self.0.http.get(uri).send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let bytes = response.bytes().await.ok()?;
            (bytes.len() <= MAX_JWKS_BYTES)
                .then(|| serde_json::from_slice::<JwkSet>(&bytes).ok())
                .flatten()
        };
        match fetched.await {
            Some(set) => {
                cache.put(&client.id, set.clone());
                Ok(Some(set))
            }
            None => {
                tracing::warn!(client = %client.id, "cannot fetch the client's JWKS");
                Ok(None)
            }
        }
    }

    /// `GET`/`POST /oidc/userinfo`: the claims of the access token's scopes.
    pub async fn userinfo(&self, access_token: &str) -> Result<Map<String, Value>, OidcError> {
        let now = self.now();
        if access_token.is_empty() || access_token.len() > 256 {
            return Err(OidcError::InvalidToken);
        }
        let token = self
            .0
            .store
            .oidc_access_token(&sha256(access_token.as_bytes()))
            .await?
            .filter(|t| t.revoked_at.is_none() && now < t.expires_at)
            .ok_or(OidcError::InvalidToken)?;
        let account = self
            .0
            .store
            .account(&token.account_id)
            .await?
            .filter(|a| a.is_enabled())
            .ok_or(OidcError::InvalidToken)?;
        let client = self
            .0
            .store
            .oidc_client(&token.client_id)
            .await?
            .ok_or(OidcError::InvalidToken)?;
        let scopes: Vec<&str> = token.scope.split(' ').collect();
        let mut claims = Map::new();
        claims.insert(
            "sub".into(),
            subject(&client, &account.id, &self.0.pairwise_key).into(),
        );
        claims.extend(scope_claims(
            &Person {
                account: &account.id,
                name: &account.display_name,
                email: account.email.as_deref(),
            },
            &scopes,
        ));
        Ok(claims)
    }
}
