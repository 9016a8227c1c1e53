//! The token endpoint's rules (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3): which client
//! authentication a request uses, the grant, the code's bindings and PKCE, and what a client
//! assertion (RFC 7523) must say.

use serde::Deserialize;

use super::authorize::is_pkce_value;
use super::{AuthMethod, Client};

/// Longest lifetime of a client assertion, from now to its `exp`, in seconds.
pub const MAX_ASSERTION_LIFETIME: i64 = 300;

/// Clock skew tolerated on a client assertion's `iat` and `nbf`, in seconds.
pub const ASSERTION_SKEW: i64 = 60;

/// `client_assertion_type` of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The error codes of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorCode {
    /// Missing, repeated or malformed parameter.
    InvalidRequest,
    /// The client could not be authenticated (401).
    InvalidClient,
    /// The code is unknown, expired, used, or bound to something else.
    InvalidGrant,
    /// A grant type other than `authorization_code` (refresh tokens are off).
    UnsupportedGrantType,
}

impl TokenErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
        }
    }
}

/// A refusal of the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefusal {
    /// `error`.
    pub error: TokenErrorCode,
    /// `error_description` (English; never a request value).
    pub description: &'static str,
}

/// A refusal with `error` and `description`.
pub fn refusal(error: TokenErrorCode, description: &'static str) -> TokenRefusal {
    TokenRefusal { error, description }
}

/// The client credentials a token request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Basic` (client id and secret, form-encoded then base64).
    Basic {
        /// Client id.
        client_id: String,
        /// Secret.
        secret: String,
    },
    /// `client_id` and `client_secret` in the body.
    Post {
        /// Client id.
        client_id: String,
        /// Secret.
        secret: String,
    },
    /// `client_assertion` (and `client_assertion_type`), `client_id` optional.
    Assertion {
        /// The JWT.
        assertion: String,
        /// `client_id` of the body, when given (must then match the assertion's).
        client_id: Option<String>,
    },
    /// `client_id` alone (public clients).
    ClientIdOnly(String),
}

impl Credentials {
    /// The method these credentials use.
    pub fn method(&self) -> AuthMethod {
        match self {
            Self::Basic { .. } => AuthMethod::ClientSecretBasic,
            Self::Post { .. } => AuthMethod::ClientSecretPost,
            Self::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Self::ClientIdOnly(_) => AuthMethod::None,
        }
    }
}

/// Which credentials a request carries: exactly one method (RFC 6749 §2.3: "MUST NOT use
/// more than one authentication method in each request").
pub fn credentials(
    basic: Option<(String, String)>,
    client_id: Option<&str>,
    client_secret: Option<&str>,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
) -> Result<Credentials, TokenRefusal> {
    let invalid = |d| Err(refusal(TokenErrorCode::InvalidRequest, d));
    let several = "use one client authentication method";
    match (basic, client_secret, assertion_type, assertion) {
        (Some((id, secret)), None, None, None) => {
            if client_id.is_some_and(|body_id| body_id != id) {
                return invalid("client_id differs from the Authorization header");
            }
            Ok(Credentials::Basic {
                client_id: id,
                secret,
            })
        }
        (None, Some(secret), None, None) => match client_id {
            Some(id) => Ok(Credentials::Post {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            None => invalid("client_secret without client_id"),
        },
        (None, None, Some(kind), Some(assertion)) => {
            if kind != JWT_BEARER {
                return invalid("unsupported client_assertion_type");
            }
            Ok(Credentials::Assertion {
                assertion: assertion.to_owned(),
                client_id: client_id.map(str::to_owned),
            })
        }
        (None, None, None, None) => match client_id {
            Some(id) => Ok(Credentials::ClientIdOnly(id.to_owned())),
            None => Err(refusal(
                TokenErrorCode::InvalidClient,
                "no client authentication",
            )),
        },
        (None, None, Some(_), None) | (None, None, None, Some(_)) => {
            invalid("client_assertion and client_assertion_type go together")
        }
        _ => invalid(several),
    }
}

/// The client must use the method it registered (no downgrade from a key to a secret, nor
/// from a secret to nothing).
pub fn check_method(client: &Client, used: AuthMethod) -> Result<(), TokenRefusal> {
    if client.auth_method == used {
        Ok(())
    } else {
        Err(refusal(
            TokenErrorCode::InvalidClient,
            "client authentication failed",
        ))
    }
}

/// The claims of a client assertion (RFC 7523 §3) that the rules read.
#[derive(Debug, Clone, Deserialize)]
pub struct AssertionClaims {
    /// Must be the client id.
    pub iss: String,
    /// Must be the client id.
    pub sub: String,
    /// Must name the token endpoint or the issuer.
    pub aud: Audience,
    /// Expiry; required, within [`MAX_ASSERTION_LIFETIME`].
    pub exp: i64,
    /// Issued at (optional).
    pub iat: Option<i64>,
    /// Not before (optional).
    pub nbf: Option<i64>,
    /// Unique id, refused when seen again.
    pub jti: String,
}

/// `aud`: one value or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, value: &str) -> bool {
        match self {
            Self::One(one) => one == value,
            Self::Many(many) => many.iter().any(|v| v == value),
        }
    }
}

/// What a verified client assertion must say (RFC 7523 §3): issuer and subject the client,
/// audience the token endpoint or the issuer, not expired, short-lived, not from the future,
/// with a `jti` of a sensible length. Replay of the `jti` is checked against storage.
pub fn check_assertion(
    claims: &AssertionClaims,
    client_id: &str,
    audiences: &[&str],
    now: i64,
) -> Result<(), TokenRefusal> {
    let failed = Err(refusal(
        TokenErrorCode::InvalidClient,
        "client authentication failed",
    ));
    if claims.iss != client_id || claims.sub != client_id {
        return failed;
    }
    if !audiences.iter().any(|a| claims.aud.contains(a)) {
        return failed;
    }
    if claims.exp <= now || claims.exp - now > MAX_ASSERTION_LIFETIME {
        return failed;
    }
    if claims.iat.is_some_and(|iat| iat > now + ASSERTION_SKEW)
        || claims.nbf.is_some_and(|nbf| nbf > now + ASSERTION_SKEW)
    {
        return failed;
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return failed;
    }
    Ok(())
}

/// A code as stored, with its bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    /// The client it was issued to.
    pub client_id: String,
    /// The account.
    pub account_id: String,
    /// The web session (its OpenID Connect `sid`).
    pub sid: String,
    /// The redirect URI of the request.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// `nonce` of the request.
    pub nonce: Option<String>,
    /// PKCE S256 challenge of the request.
    pub code_challenge: Option<String>,
    /// Last authentication of the session when the code was issued.
    pub auth_time: i64,
    /// `amr`, space-separated.
    pub amr: String,
    /// `acr`.
    pub acr: String,
    /// Issue time.
    pub created_at: i64,
    /// Expiry (exclusive).
    pub expires_at: i64,
    /// When it was redeemed, if it was.
    pub used_at: Option<i64>,
}

/// What a code redemption comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// Every binding holds: issue the tokens (and mark the code used).
    Issue,
    /// The code was redeemed already: refuse, and revoke what the first use issued.
    Replayed,
}

/// The checks of a code redemption, in order: the code is the authenticated client's (else
/// nothing changes: another client cannot burn or revoke it), not used before (a second use
/// revokes the first's tokens), not expired, for the same redirect URI, and the PKCE
/// verifier hashes to the challenge (no verifier without a challenge either).
pub fn redeem(
    code: &StoredCode,
    client_id: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: i64,
) -> Result<Redemption, TokenRefusal> {
    let grant = |d| Err(refusal(TokenErrorCode::InvalidGrant, d));
    if code.client_id != client_id {
        return grant("the code was issued to another client");
    }
    if code.used_at.is_some() {
        return Ok(Redemption::Replayed);
    }
    if now >= code.expires_at {
        return grant("the code expired");
    }
    if redirect_uri != Some(code.redirect_uri.as_str()) {
        return grant("redirect_uri differs from the authorization request");
    }
    match (&code.code_challenge, verifier) {
        (None, None) => Ok(Redemption::Issue),
        (None, Some(_)) => grant("code_verifier without a code_challenge"),
        (Some(_), None) => grant("code_verifier is missing"),
        (Some(challenge), Some(verifier)) => {
            if is_pkce_value(verifier) && pkce_matches(challenge, verifier) {
                Ok(Redemption::Issue)
            } else {
                grant("code_verifier does not match the code_challenge")
            }
        }
    }
}

/// BASE64URL(SHA-256(verifier)) == challenge, in constant time (RFC 7636 §4.6).
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    let computed = tigr_core::wire::b64_encode(digest.as_ref());
    computed.len() == challenge.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            computed.as_bytes(),
            challenge.as_bytes(),
        ))
}

/// The grant: `authorization_code` only (refresh tokens are off).
pub fn check_grant_type(grant_type: Option<&str>) -> Result<(), TokenRefusal> {
    match grant_type {
        Some("authorization_code") => Ok(()),
        None => Err(refusal(
            TokenErrorCode::InvalidRequest,
            "grant_type is missing",
        )),
        Some(_) => Err(refusal(
            TokenErrorCode::UnsupportedGrantType,
            "only the authorization_code grant is supported",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oidc::sample_client;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn code(challenge: Option<&str>) -> StoredCode {
        StoredCode {
            client_id: "A".into(),
            account_id: "alice".into(),
            sid: "SID".into(),
            redirect_uri: "https://rp.example/cb".into(),
            scope: "openid".into(),
            nonce: Some("n".into()),
            code_challenge: challenge.map(str::to_owned),
            auth_time: 900,
            amr: "swk pin mfa".into(),
            acr: "tigr:phone-pin".into(),
            created_at: 1000,
            expires_at: 1060,
            used_at: None,
        }
    }

    const CB: Option<&str> = Some("https://rp.example/cb");

    #[test]
    fn pkce_follows_rfc_7636() {
        assert!(pkce_matches(CHALLENGE, VERIFIER));
        assert!(!pkce_matches(CHALLENGE, &VERIFIER.replace('d', "e")));
        assert!(!pkce_matches(CHALLENGE, ""));
    }

    #[test]
    fn a_code_is_redeemed_by_its_client_with_its_redirect_uri_and_verifier() {
        let c = code(Some(CHALLENGE));
        assert_eq!(
            redeem(&c, "A", CB, Some(VERIFIER), 1000),
            Ok(Redemption::Issue)
        );
        assert_eq!(
            redeem(&c, "A", CB, Some(VERIFIER), 1059),
            Ok(Redemption::Issue)
        );
        let refused = |r: Result<Redemption, TokenRefusal>| r.err().map(|e| e.error);
        assert_eq!(
            refused(redeem(&c, "A", CB, Some(VERIFIER), 1060)),
            Some(TokenErrorCode::InvalidGrant),
            "expired at 60 s"
        );
        assert_eq!(
            refused(redeem(&c, "B", CB, Some(VERIFIER), 1000)),
            Some(TokenErrorCode::InvalidGrant)
        );
        assert_eq!(
            refused(redeem(
                &c,
                "A",
                Some("https://rp.example/cb2"),
                Some(VERIFIER),
                1000
            )),
            Some(TokenErrorCode::InvalidGrant)
        );
        assert_eq!(
            refused(redeem(&c, "A", None, Some(VERIFIER), 1000)),
            Some(TokenErrorCode::InvalidGrant)
        );
        assert_eq!(
            refused(redeem(&c, "A", CB, None, 1000)),
            Some(TokenErrorCode::InvalidGrant)
        );
        let wrong = format!("{}x", &VERIFIER[..VERIFIER.len() - 1]);
        assert_eq!(
            refused(redeem(&c, "A", CB, Some(&wrong), 1000)),
            Some(TokenErrorCode::InvalidGrant)
        );
        let plain = code(None);
        assert_eq!(redeem(&plain, "A", CB, None, 1000), Ok(Redemption::Issue));
        assert_eq!(
            refused(redeem(&plain, "A", CB, Some(VERIFIER), 1000)),
            Some(TokenErrorCode::InvalidGrant)
        );
    }

    #[test]
    fn a_second_use_is_a_replay_for_its_client_only() {
        let mut c = code(None);
        c.used_at = Some(1001);
        assert_eq!(redeem(&c, "A", CB, None, 1002), Ok(Redemption::Replayed));
        // Even when expired by then, still the same client's replay.
        assert_eq!(redeem(&c, "A", CB, None, 5000), Ok(Redemption::Replayed));
        // Another client learns nothing and revokes nothing.
        assert!(redeem(&c, "B", CB, None, 1002).is_err());
    }

    #[test]
    fn exactly_one_authentication_method() {
        let basic = || Some(("A".to_owned(), "s".to_owned()));
        assert_eq!(
            credentials(basic(), None, None, None, None).map(|c| c.method()),
            Ok(AuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            credentials(None, Some("A"), Some("s"), None, None).map(|c| c.method()),
            Ok(AuthMethod::ClientSecretPost)
        );
        assert_eq!(
            credentials(None, None, None, Some(JWT_BEARER), Some("eyJ")).map(|c| c.method()),
            Ok(AuthMethod::PrivateKeyJwt)
        );
        assert_eq!(
            credentials(None, Some("A"), None, None, None).map(|c| c.method()),
            Ok(AuthMethod::None)
        );
        let error = |r: Result<Credentials, TokenRefusal>| r.err().map(|e| e.error);
        assert_eq!(
            error(credentials(basic(), Some("A"), Some("s"), None, None)),
            Some(TokenErrorCode::InvalidRequest)
        );
        assert_eq!(
            error(credentials(basic(), Some("B"), None, None, None)),
            Some(TokenErrorCode::InvalidRequest)
        );
        assert_eq!(
            error(credentials(None, None, None, None, None)),
            Some(TokenErrorCode::InvalidClient)
        );
        assert_eq!(
            error(credentials(
                None,
                None,
                None,
                Some("urn:other"),
                Some("eyJ")
            )),
            Some(TokenErrorCode::InvalidRequest)
        );
        assert_eq!(
            error(credentials(None, None, None, None, Some("eyJ"))),
            Some(TokenErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn the_registered_method_only() {
        let client = Client {
            auth_method: AuthMethod::PrivateKeyJwt,
            jwks: Some("{}".into()),
            ..sample_client("A")
        };
        assert!(check_method(&client, AuthMethod::PrivateKeyJwt).is_ok());
        for other in [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ] {
            assert_eq!(
                check_method(&client, other).err().map(|e| e.error),
                Some(TokenErrorCode::InvalidClient)
            );
        }
    }

    fn assertion(aud: &str, exp: i64) -> AssertionClaims {
        AssertionClaims {
            iss: "A".into(),
            sub: "A".into(),
            aud: Audience::One(aud.into()),
            exp,
            iat: Some(1000),
            nbf: None,
            jti: "j1".into(),
        }
    }

    #[test]
    fn client_assertions_are_for_us_short_and_from_the_client() {
        let auds = ["https://tigr.example/oidc/token", "https://tigr.example"];
        let now = 1000;
        assert!(check_assertion(&assertion(auds[0], now + 60), "A", &auds, now).is_ok());
        assert!(check_assertion(&assertion(auds[1], now + 60), "A", &auds, now).is_ok());
        let many = AssertionClaims {
            aud: Audience::Many(vec!["x".into(), auds[0].into()]),
            ..assertion("", now + 60)
        };
        assert!(check_assertion(&many, "A", &auds, now).is_ok());
        let refused = |claims: AssertionClaims| check_assertion(&claims, "A", &auds, now).is_err();
        assert!(refused(assertion("https://other.example/token", now + 60)));
        assert!(refused(assertion(auds[0], now)), "expired");
        assert!(
            refused(assertion(auds[0], now + MAX_ASSERTION_LIFETIME + 1)),
            "too long"
        );
        assert!(refused(AssertionClaims {
            iss: "B".into(),
            ..assertion(auds[0], now + 60)
        }));
        assert!(refused(AssertionClaims {
            sub: "B".into(),
            ..assertion(auds[0], now + 60)
        }));
        assert!(refused(AssertionClaims {
            iat: Some(now + ASSERTION_SKEW + 1),
            ..assertion(auds[0], now + 60)
        }));
        assert!(refused(AssertionClaims {
            jti: String::new(),
            ..assertion(auds[0], now + 60)
        }));
    }

    #[test]
    fn only_the_code_grant() {
        assert!(check_grant_type(Some("authorization_code")).is_ok());
        assert_eq!(
            check_grant_type(Some("refresh_token"))
                .err()
                .map(|e| e.error),
            Some(TokenErrorCode::UnsupportedGrantType)
        );
        assert_eq!(
            check_grant_type(None).err().map(|e| e.error),
            Some(TokenErrorCode::InvalidRequest)
        );
    }
}
