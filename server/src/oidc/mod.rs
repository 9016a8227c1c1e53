//! The OpenID Connect provider (docs/oidc.md): e-health services log their users in with
//! Tigr. Authorization code flow only, with PKCE; ID tokens signed ES256; single sign-on
//! within the Tigr web session; RP-initiated and back-channel logout.
//!
//! | area                           | methods                                                |
//! |--------------------------------|--------------------------------------------------------|
//! | discovery, keys                | [`discovery`], [`jwks`]                                |
//! | authorization (browser)        | [`authorize`], [`pending_for_login`], [`resume`]       |
//! | token endpoint, userinfo       | [`token`], [`userinfo`]                                |
//! | RP-initiated logout            | [`plan_logout`]                                        |
//! | back-channel logout            | [`deliver_logouts`] (the server runs it in the background) |
//!
//! The rules are in [`crate::domain::oidc`]; this service reads what they need, asks them,
//! and writes one transaction per change with its audit row. Web sessions are the login
//! service's ([`crate::login::CurrentSession`]); ending one (logout, an administrator
//! disabling the account) queues the logout tokens in the same transaction, and
//! [`deliver_logouts`] posts them.
//!
//! [`discovery`]: OidcService::discovery
//! [`jwks`]: OidcService::jwks
//! [`authorize`]: OidcService::authorize
//! [`pending_for_login`]: OidcService::pending_for_login
//! [`resume`]: OidcService::resume
//! [`token`]: OidcService::token
//! [`userinfo`]: OidcService::userinfo
//! [`plan_logout`]: OidcService::plan_logout
//! [`deliver_logouts`]: OidcService::deliver_logouts

mod authorize;
mod backchannel;
mod error;
pub mod keys;
mod logout;
mod token;

use std::sync::Arc;

use serde_json::{Value, json};
use tigr_core::clock::Clock;
use tigr_core::payload::Origin;
use tigr_core::random::SecureRandom;
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::domain::oidc::authorize::PageRefusal;
use crate::domain::oidc::{ACR_VALUES, AuthMethod, SUPPORTED_SCOPES};
use crate::hub::NotificationHub;
use crate::sealing::SecretSealer;
use crate::storage::Store;

pub use authorize::{AuthorizeOutcome, PendingView};
pub use backchannel::DELIVERY_TIMEOUT;
pub use error::OidcError;
pub use logout::LogoutPlan;
pub use token::{IssuedTokens, TokenRequest};

/// The paths of the provider's endpoints (docs/oidc.md).
pub mod paths {
    /// Discovery document.
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    /// Public keys.
    pub const JWKS: &str = "/oidc/jwks";
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/oidc/authorize";
    /// Where the login page sends the browser back to (`?request=<id>`).
    pub const RESUME: &str = "/oidc/authorize/resume";
    /// Token endpoint.
    pub const TOKEN: &str = "/oidc/token";
    /// Userinfo endpoint.
    pub const USERINFO: &str = "/oidc/userinfo";
    /// End-session endpoint (RP-initiated logout).
    pub const LOGOUT: &str = "/oidc/logout";
}

/// What the OpenID Connect service is made of.
#[allow(missing_debug_implementations)]
pub struct OidcParts {
    /// The database.
    pub store: Store,
    /// Opens the sealed signing keys.
    pub sealer: Arc<SecretSealer>,
    /// The public origin: the issuer.
    pub origin: Origin,
    /// Lifetime of access tokens, seconds.
    pub access_token_ttl: i64,
    /// Lifetime of ID tokens, seconds.
    pub id_token_ttl: i64,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub random: Arc<dyn SecureRandom>,
    /// Wake-ups (logout tokens queued).
    pub hub: Arc<NotificationHub>,
    /// Becomes true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// The OpenID Connect service. Cheap to clone.
#[derive(Clone)]
pub struct OidcService(Arc<Inner>);

struct Inner {
    store: Store,
    sealer: Arc<SecretSealer>,
    issuer: String,
    access_token_ttl: i64,
    id_token_ttl: i64,
    clock: Arc<dyn Clock>,
    random: Arc<dyn SecureRandom>,
    hub: Arc<NotificationHub>,
    shutdown: watch::Receiver<bool>,
    keys: keys::Keyring,
    pairwise_key: Zeroizing<Vec<u8>>,
    discovery: Value,
    http: reqwest::Client,
    client_keys: token::ClientKeyCache,
}

impl std::fmt::Debug for OidcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcService")
            .field("issuer", &self.0.issuer)
            .field("access_token_ttl", &self.0.access_token_ttl)
            .field("id_token_ttl", &self.0.id_token_ttl)
            .finish_non_exhaustive()
    }
}

impl OidcService {
    /// The service over its parts: makes the first signing key if there is none yet, and
    /// reads (or makes) the key of pairwise subjects.
    pub async fn start(parts: OidcParts) -> Result<Self, OidcError> {
        crate::jose::install_ring_provider();
        let now = parts.clock.now_unix();
        if let Some(kid) = keys::ensure_current(
            &parts.store,
            &parts.sealer,
            parts.random.as_ref(),
            now,
            parts.id_token_ttl,
        )
        .await?
        {
            tracing::info!(kid, "created the OpenID Connect signing key");
        }
        let mut fresh = Zeroizing::new([0u8; 32]);
        parts.random.fill(fresh.as_mut_slice());
        let pairwise_key = Zeroizing::new(parts.store.oidc_pairwise_key(fresh.as_slice()).await?);
        let issuer = parts.origin.to_string();
        let http = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Tigr/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                tracing::error!(%error, "cannot build the HTTP client");
                OidcError::Internal
            })?;
        Ok(Self(Arc::new(Inner {
            discovery: discovery_document(&issuer),
            issuer,
            store: parts.store,
            sealer: parts.sealer,
            access_token_ttl: parts.access_token_ttl,
            id_token_ttl: parts.id_token_ttl,
            clock: parts.clock,
            random: parts.random,
            hub: parts.hub,
            shutdown: parts.shutdown,
            keys: keys::Keyring::default(),
            pairwise_key,
            http,
            client_keys: token::ClientKeyCache::default(),
        })))
    }

    /// The issuer (the server's public URL, no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    fn now(&self) -> i64 {
        self.0.clock.now_unix()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0.issuer)
    }

    /// The discovery document (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> &Value {
        &self.0.discovery
    }

    /// The published public keys (`{"keys": [...]}`).
    pub async fn jwks(&self) -> Result<Value, OidcError> {
        Ok(keys::published_jwks(&self.0.store, self.now()).await?)
    }

    /// A fresh random token for the browser binding cookie of authorization requests.
    pub fn new_browser_token(&self) -> String {
        tigr_core::ids::random_id(self.0.random.as_ref())
    }

    /// `len` random bytes, base64url (codes, access tokens, token ids).
    fn random_b64(&self, len: usize) -> String {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        self.0.random.fill(&mut bytes);
        tigr_core::wire::b64_encode(&bytes)
    }
}

/// The discovery document of `issuer`.
fn discovery_document(issuer: &str) -> Value {
    let url = |path: &str| format!("{issuer}{path}");
    json!({
        "issuer": issuer,
        "authorization_endpoint": url(paths::AUTHORIZE),
        "token_endpoint": url(paths::TOKEN),
        "userinfo_endpoint": url(paths::USERINFO),
        "jwks_uri": url(paths::JWKS),
        "end_session_endpoint": url(paths::LOGOUT),
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": AuthMethod::ALL.map(AuthMethod::as_str),
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "amr", "acr",
            "azp", "at_hash", "preferred_username", "name", "email", "email_verified"
        ],
        "acr_values_supported": ACR_VALUES,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup", "touch", "wap"],
        "ui_locales_supported": ["fr", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": false,
    })
}

/// `uri` with `pairs` appended to its query (the redirects to clients).
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        // Registered URIs always parse (domain::oidc::client); never reached.
        Err(_) => uri.to_owned(),
    }
}

/// The parameters of a request (query or form), bounded as [`crate::domain::oidc::authorize::parse`]
/// says, read from `application/x-www-form-urlencoded` text; `None` when unreadable.
pub fn form_pairs(text: &[u8]) -> Result<Vec<(String, String)>, PageRefusal> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(text)
        .map_err(|_| PageRefusal::Malformed("(encoding)".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_appended_and_encoded() {
        assert_eq!(
            with_query(
                "https://rp.example/cb",
                &[("code", "a b"), ("state", "x&y")]
            ),
            "https://rp.example/cb?code=a+b&state=x%26y"
        );
        assert_eq!(
            with_query("https://rp.example/cb?tenant=1", &[("code", "c")]),
            "https://rp.example/cb?tenant=1&code=c"
        );
        assert_eq!(
            with_query("fr.chu.app:/oidc", &[("code", "c")]),
            "fr.chu.app:/oidc?code=c"
        );
    }

    #[test]
    fn discovery_names_the_endpoints_of_the_issuer() {
        let doc = discovery_document("https://auth.chu.example");
        assert_eq!(doc["issuer"], "https://auth.chu.example");
        assert_eq!(doc["token_endpoint"], "https://auth.chu.example/oidc/token");
        assert_eq!(doc["id_token_signing_alg_values_supported"][0], "ES256");
        assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    }
}
