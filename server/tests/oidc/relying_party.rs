//! The client side of OpenID Connect that every suite needing a relying party shares (the
//! OpenID Connect suite, the OTP and card login suites): the authorization request of a
//! registered client, URL queries, and an ID token verifier independent of the server's
//! (RustCrypto's p256 instead of ring, JSON by hand). Nothing here knows the test server.

use std::collections::HashMap;

use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use serde_json::{Value, json};

/// A verifier and its S256 challenge (RFC 7636 Appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// `BASE64URL(SHA256(VERIFIER))`.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A registered client, as the service owning it knows it.
#[derive(Debug, Clone)]
pub struct Rp {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

/// The query of an authorization request of `rp` (code flow, `openid profile email`,
/// state, nonce, PKCE), with `extra` pairs added or replacing those.
pub fn authorize_path(rp: &Rp, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &rp.id),
        ("redirect_uri", &rp.redirect_uri),
        ("scope", "openid profile email"),
        ("state", "st-123"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    format!(
        "/oidc/authorize?{}",
        serde_urlencoded::to_string(&pairs).expect("query")
    )
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .expect("query")
        .into_iter()
        .collect()
}

/// The fields of the code grant of `rp` with the right verifier (client authentication
/// aside).
pub fn code_grant<'a>(rp: &'a Rp, code: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &rp.redirect_uri),
        ("code_verifier", VERIFIER),
    ]
}

fn b64(part: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url")
}

/// Verifies an ES256 JWS of this server with p256 against the published keys; returns
/// (header, claims). Panics when the signature does not verify.
pub fn verify_jws(token: &str, jwks: &Value) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS");
    let header: Value = serde_json::from_slice(&b64(parts[0])).expect("header");
    let claims: Value = serde_json::from_slice(&b64(parts[1])).expect("claims");
    assert_eq!(header["alg"], "ES256");
    let kid = header["kid"].as_str().expect("kid");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} is published"));
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    let x = b64(jwk["x"].as_str().expect("x"));
    let y = b64(jwk["y"].as_str().expect("y"));
    let mut sec1 = vec![4u8];
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("public key");
    let signature = p256::ecdsa::Signature::from_slice(&b64(parts[2])).expect("r || s");
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies");
    (header, claims)
}

/// A client key pair for `private_key_jwt`, and its public JWK Set.
pub fn client_key(kid: &str) -> (p256::ecdsa::SigningKey, String) {
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("key");
    let point = key.verifying_key().to_encoded_point(false);
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let jwks = json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": encode(point.x().expect("x")), "y": encode(point.y().expect("y")),
    }]});
    (key, jwks.to_string())
}

/// A client assertion (RFC 7523) signed by `key` with `claims`.
pub fn assertion(key: &p256::ecdsa::SigningKey, kid: &str, claims: &Value) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = encode(
        json!({ "alg": "ES256", "typ": "JWT", "kid": kid })
            .to_string()
            .as_bytes(),
    );
    let payload = encode(claims.to_string().as_bytes());
    let message = format!("{header}.{payload}");
    let signature: p256::ecdsa::Signature = key.sign(message.as_bytes());
    format!("{message}.{}", encode(&signature.to_bytes()))
}
