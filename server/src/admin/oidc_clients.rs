//! OpenID Connect clients (the services that log their users in with Tigr) and the
//! provider's signing key: register, list, show, edit, remove, give a new secret, rotate the
//! key. Every change is one transaction with its audit row. The rules of a registration are
//! [`crate::domain::oidc::client`]'s.
//!
//! **Secrets.** A confidential client's secret is 256 random bits (base64url), shown once;
//! the server keeps its SHA-256. A slow password hash (argon2, PBKDF2) protects *guessable*
//! secrets against a stolen database; a 256-bit random secret cannot be guessed, so a fast
//! hash is as safe and costs the token endpoint nothing (the same reasoning as enrollment
//! codes and session ids).

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;

use crate::config::MasterKeySource;
use crate::domain::oidc::client::{
    RegistrationError, UriUse, checked_name, checked_scopes, checked_uri, checked_uris,
};
use crate::domain::oidc::{AuthMethod, Client, ClientKind, SubjectType};
use crate::oidc::keys;
use crate::sealing::{SecretSealer, load_or_create_key_file, sha256};
use crate::storage::{AuditEntry, AuditEvent, WriteTx};

use super::{Actor, AdminError, AdminService};

/// Bytes of a client secret (256 bits).
const SECRET_BYTES: usize = 32;

/// Largest registered JWKS (private_key_jwt).
const MAX_JWKS_LEN: usize = 16 * 1024;

/// The scopes a client gets when none are given.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// A client's registration as typed (command line, admin page); the service checks it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientRegistration {
    /// The name shown to users.
    pub name: String,
    /// Exact redirect URIs (one at least).
    pub redirect_uris: Vec<String>,
    /// Exact URIs RP-initiated logout may return to.
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (empty: none).
    pub backchannel_logout_uri: Option<String>,
    /// A public client (no secret, PKCE required).
    pub public: bool,
    /// Space-separated scopes (`None`: [`DEFAULT_SCOPES`]).
    pub scopes: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `private_key_jwt`.
    pub auth_method: Option<String>,
    /// The client's public keys, a JWK Set (private_key_jwt).
    pub jwks: Option<String>,
    /// Where the client publishes them (private_key_jwt).
    pub jwks_uri: Option<String>,
    /// `pairwise` (default) or `public` subjects.
    pub subject_type: Option<String>,
}

/// A registered client, with its secret when one was just made (shown once).
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    /// The client.
    pub client: Client,
    /// The new secret, for the operator to hand over (never stored).
    pub secret: Option<String>,
}

impl From<RegistrationError> for AdminError {
    fn from(error: RegistrationError) -> Self {
        match error {
            RegistrationError::Name => Self::InvalidClientName,
            RegistrationError::NoRedirectUri => Self::NoRedirectUri,
            RegistrationError::TooManyUris => Self::TooManyUris,
            RegistrationError::Uri(uri, problem) => Self::InvalidUri {
                uri,
                problem: problem.as_str(),
            },
            RegistrationError::Scopes(scope) => Self::InvalidScope(scope),
        }
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// A registered JWKS: JSON, public keys only, each usable by the token endpoint.
fn checked_jwks(text: &str) -> Result<String, AdminError> {
    let invalid = |why: &str| AdminError::InvalidJwks(why.to_owned());
    if text.len() > MAX_JWKS_LEN {
        return Err(invalid("too long"));
    }
    let value: Value = serde_json::from_str(text).map_err(|_| invalid("not JSON"))?;
    let keys = value
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("no \"keys\" array"))?;
    if keys.is_empty() {
        return Err(invalid("no key"));
    }
    // A private member means the client pasted its private key: refuse, do not store it.
    if keys.iter().any(|k| {
        ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| k.get(m).is_some())
    }) {
        return Err(invalid(
            "a private key was given: register the public keys only",
        ));
    }
    crate::jose::install_ring_provider();
    let set: JwkSet = serde_json::from_value(value).map_err(|_| invalid("not a JWK Set"))?;
    if set.keys.iter().any(|k| DecodingKey::from_jwk(k).is_err()) {
        return Err(invalid("a key is not an EC or RSA public key"));
    }
    serde_json::to_string(&set).map_err(|_| invalid("not a JWK Set"))
}

impl AdminService {
    /// A new random client secret and its hash.
    fn new_secret(&self) -> (String, Vec<u8>) {
        let mut bytes = [0u8; SECRET_BYTES];
        self.config.random.fill(&mut bytes);
        let secret = tigr_core::wire::b64_encode(&bytes);
        let hash = sha256(secret.as_bytes()).to_vec();
        (secret, hash)
    }

    /// Checks a registration into a client (`id`, times and secret set by the caller).
    fn checked_client(
        &self,
        registration: &ClientRegistration,
        id: &str,
    ) -> Result<Client, AdminError> {
        let kind = if registration.public {
            ClientKind::Public
        } else {
            ClientKind::Confidential
        };
        let method_text = non_empty(registration.auth_method.as_deref());
        let auth_method = match (kind, method_text) {
            (ClientKind::Public, None | Some("none")) => AuthMethod::None,
            (ClientKind::Confidential, None) => AuthMethod::ClientSecretBasic,
            (ClientKind::Confidential, Some(text)) => AuthMethod::parse(text)
                .filter(|m| *m != AuthMethod::None)
                .ok_or_else(|| AdminError::InvalidAuthMethod(text.to_owned()))?,
            (ClientKind::Public, Some(text)) => {
                return Err(AdminError::InvalidAuthMethod(text.to_owned()));
            }
        };
        let jwks = non_empty(registration.jwks.as_deref());
        let jwks_uri = non_empty(registration.jwks_uri.as_deref());
        let (jwks, jwks_uri) = match (auth_method, jwks, jwks_uri) {
            (AuthMethod::PrivateKeyJwt, Some(jwks), None) => (Some(checked_jwks(jwks)?), None),
            (AuthMethod::PrivateKeyJwt, None, Some(uri)) => {
                (None, Some(checked_uri(uri, UriUse::ServerToServer)?))
            }
            (AuthMethod::PrivateKeyJwt, _, _) => {
                return Err(AdminError::InvalidJwks(
                    "private_key_jwt needs a JWK Set or a JWKS URI (one of them)".to_owned(),
                ));
            }
            (_, None, None) => (None, None),
            _ => {
                return Err(AdminError::InvalidJwks(
                    "keys are for private_key_jwt clients only".to_owned(),
                ));
            }
        };
        let redirect_uris =
            checked_uris(&registration.redirect_uris, UriUse::BrowserRedirect(kind))?;
        if redirect_uris.is_empty() {
            return Err(AdminError::NoRedirectUri);
        }
        let subject_type = match non_empty(registration.subject_type.as_deref()) {
            None => SubjectType::Pairwise,
            Some(text) => SubjectType::parse(text)
                .ok_or_else(|| AdminError::InvalidSubjectType(text.to_owned()))?,
        };
        Ok(Client {
            id: id.to_owned(),
            name: checked_name(&registration.name)?,
            kind,
            auth_method,
            secret_hash: None,
            jwks,
            jwks_uri,
            redirect_uris,
            post_logout_redirect_uris: checked_uris(
                &registration.post_logout_redirect_uris,
                UriUse::BrowserRedirect(kind),
            )?,
            backchannel_logout_uri: non_empty(registration.backchannel_logout_uri.as_deref())
                .map(|uri| checked_uri(uri, UriUse::ServerToServer))
                .transpose()?,
            scopes: checked_scopes(
                non_empty(registration.scopes.as_deref()).unwrap_or(DEFAULT_SCOPES),
            )?,
            subject_type,
            created_at: 0,
            updated_at: 0,
            secret_rotated_at: None,
        })
    }

    /// Registers a client; its secret (confidential clients with a secret method) is in the
    /// result, to show once.
    pub async fn register_client(
        &self,
        actor: &Actor,
        registration: &ClientRegistration,
    ) -> Result<RegisteredClient, AdminError> {
        let id = tigr_core::ids::random_id(self.config.random.as_ref());
        let mut client = self.checked_client(registration, &id)?;
        let now = self.now();
        client.created_at = now;
        client.updated_at = now;
        let secret = if client.auth_method.uses_secret() {
            let (secret, hash) = self.new_secret();
            client.secret_hash = Some(hash);
            client.secret_rotated_at = Some(now);
            Some(secret)
        } else {
            None
        };
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        if !tx.insert_oidc_client(&client).await? {
            return Err(AdminError::Storage(crate::storage::StorageError::Corrupt(
                "client id collision".to_owned(),
            )));
        }
        tx.audit(&client_entry(
            actor,
            &who,
            now,
            AuditEvent::OidcClientRegistered,
            &client,
        ))
        .await?;
        tx.commit().await?;
        tracing::info!(client = %client.id, actor = %who, "OpenID Connect client registered");
        Ok(RegisteredClient { client, secret })
    }

    /// Every registered client, by name.
    pub async fn oidc_clients(&self) -> Result<Vec<Client>, AdminError> {
        Ok(self.store.oidc_clients().await?)
    }

    /// The client `id`.
    pub async fn oidc_client(&self, id: &str) -> Result<Client, AdminError> {
        self.store
            .oidc_client(id.trim())
            .await?
            .ok_or_else(|| AdminError::UnknownClient(id.trim().to_owned()))
    }

    /// Changes a client's registration (its kind and authentication method stay: remove it
    /// and register it again to change those).
    pub async fn edit_client(
        &self,
        actor: &Actor,
        id: &str,
        registration: &ClientRegistration,
    ) -> Result<Client, AdminError> {
        let id = id.trim();
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let current = existing_client(&mut tx, id).await?;
        let typed = ClientRegistration {
            public: current.kind == ClientKind::Public,
            auth_method: Some(current.auth_method.as_str().to_owned()),
            ..registration.clone()
        };
        let changed = Client {
            created_at: current.created_at,
            updated_at: now,
            secret_hash: current.secret_hash.clone(),
            secret_rotated_at: current.secret_rotated_at,
            ..self.checked_client(&typed, id)?
        };
        let unchanged = Client {
            updated_at: now,
            ..current.clone()
        };
        if changed == unchanged {
            return Err(AdminError::NothingToChange);
        }
        tx.update_oidc_client(&changed).await?;
        tx.audit(&client_entry(
            actor,
            &who,
            now,
            AuditEvent::OidcClientUpdated,
            &changed,
        ))
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Removes a client: its codes, access tokens and waiting requests go with it, and it
    /// gets no more logout tokens.
    pub async fn remove_client(&self, actor: &Actor, id: &str) -> Result<Client, AdminError> {
        let id = id.trim();
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let client = existing_client(&mut tx, id).await?;
        tx.delete_oidc_client(id).await?;
        tx.audit(&client_entry(
            actor,
            &who,
            now,
            AuditEvent::OidcClientRemoved,
            &client,
        ))
        .await?;
        tx.commit().await?;
        Ok(client)
    }

    /// Gives a client a new secret (the old one stops working at once); returns it, to show
    /// once.
    pub async fn rotate_client_secret(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<String, AdminError> {
        let id = id.trim();
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let current = existing_client(&mut tx, id).await?;
        if !current.auth_method.uses_secret() {
            return Err(AdminError::NoClientSecret(id.to_owned()));
        }
        let (secret, hash) = self.new_secret();
        let changed = Client {
            secret_hash: Some(hash),
            secret_rotated_at: Some(now),
            updated_at: now,
            ..current
        };
        tx.update_oidc_client(&changed).await?;
        tx.audit(&client_entry(
            actor,
            &who,
            now,
            AuditEvent::OidcSecretRotated,
            &changed,
        ))
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The master key's sealer, checked against this database (the server must have run
    /// once with it).
    fn sealer(&self) -> Result<SecretSealer, AdminError> {
        let key = match &self.config.master_key {
            MasterKeySource::Inline(key) => key.clone(),
            MasterKeySource::File(path) if path.exists() => {
                load_or_create_key_file(path, self.config.random.as_ref())
                    .map_err(|e| AdminError::MasterKey(e.to_string()))?
                    .0
            }
            MasterKeySource::File(path) => {
                return Err(AdminError::MasterKey(format!(
                    "no master key file at {}",
                    path.display()
                )));
            }
        };
        Ok(SecretSealer::new(&key))
    }

    /// The master key's sealer once it is known to be the one of this database's sealed
    /// values (signing keys, token secrets): sealing with another key would lock them out.
    pub(super) async fn checked_sealer(&self) -> Result<SecretSealer, AdminError> {
        let sealer = self.sealer()?;
        match self.store.key_check().await? {
            Some(check) if sealer.verify_key_check(&check) => Ok(sealer),
            Some(_) => Err(AdminError::MasterKey(
                "the master key does not match the database".to_owned(),
            )),
            None => Err(AdminError::MasterKey(
                "start the server once with this database first".to_owned(),
            )),
        }
    }

    /// Makes a new signing key current; the previous one stays published until the tokens
    /// it signed expire. Returns the new `kid`.
    pub async fn rotate_signing_key(&self, actor: &Actor) -> Result<String, AdminError> {
        let sealer = self.checked_sealer().await?;
        let now = self.now();
        let who = actor.audit_name();
        let mut tx = self.store.begin_write().await?;
        let kid = keys::rotate(
            &mut tx,
            &sealer,
            self.config.random.as_ref(),
            now,
            self.config.oidc_id_token_ttl,
            &who,
        )
        .await
        .map_err(|_| AdminError::SigningKey)?;
        tx.commit().await?;
        tracing::info!(kid, actor = %who, "OpenID Connect signing key rotated");
        Ok(kid)
    }
}

/// The audit row of a change to `client` by `actor` (the registration, never a secret).
fn client_entry<'a>(
    actor: &'a Actor,
    who: &'a str,
    at: i64,
    event: AuditEvent,
    client: &Client,
) -> AuditEntry<'a> {
    AuditEntry {
        ip: actor.ip.as_deref(),
        user_agent: actor.user_agent.as_deref(),
        detail: Some(format!(
            "client={} name={:?} kind={} auth={} subject={} scopes={:?} redirect_uris={:?} \
             post_logout_redirect_uris={:?} backchannel_logout_uri={:?}",
            client.id,
            client.name,
            client.kind.as_str(),
            client.auth_method.as_str(),
            client.subject_type.as_str(),
            client.scopes.join(" "),
            client.redirect_uris,
            client.post_logout_redirect_uris,
            client.backchannel_logout_uri.as_deref().unwrap_or("-"),
        )),
        ..AuditEntry::by(at, event, who)
    }
}

/// The registered client `id`, read in the transaction that changes it.
async fn existing_client(tx: &mut WriteTx, id: &str) -> Result<Client, AdminError> {
    tx.oidc_client(id)
        .await?
        .ok_or_else(|| AdminError::UnknownClient(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_key_sets_are_public_and_usable() {
        let ec = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        assert!(checked_jwks(ec).is_ok());
        let private = ec.replace(
            r#""kid":"k1""#,
            r#""kid":"k1","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#,
        );
        assert!(matches!(
            checked_jwks(&private),
            Err(AdminError::InvalidJwks(_))
        ));
        for bad in [
            "",
            "[]",
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kty":"EC"}]}"#,
            "nope",
        ] {
            assert!(
                matches!(checked_jwks(bad), Err(AdminError::InvalidJwks(_))),
                "{bad}"
            );
        }
    }
}
