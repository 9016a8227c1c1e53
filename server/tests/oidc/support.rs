//! Helpers of the OpenID Connect suite: registering clients, driving an authorization in a
//! browser-like tab with the virtual phone, the token endpoint, and an ID token verifier
//! independent of the server's (RustCrypto's p256 instead of ring, JSON by hand).

use std::collections::HashMap;

use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use serde_json::{Value, json};
use tigr_server::admin::{Actor, AdminService, ClientRegistration, RegisteredClient};

use crate::browser::{LoginPage, Reply, Tab, attr};
use crate::common::{Phone, TestServer};

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

pub async fn admin(s: &TestServer) -> AdminService {
    AdminService::open(s.config()).await.expect("service opens")
}

/// Registers a client (`adjust` changes the defaults: confidential, secret in Basic,
/// pairwise, scopes openid profile email, redirect `https://rp.example/cb`).
pub async fn register(s: &TestServer, adjust: impl FnOnce(&mut ClientRegistration)) -> Rp {
    let mut registration = ClientRegistration {
        name: "Dossier patient".into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
        ..ClientRegistration::default()
    };
    adjust(&mut registration);
    let RegisteredClient { client, secret } = admin(s)
        .await
        .register_client(&Actor::cli("tester"), &registration)
        .await
        .expect("registered");
    Rp {
        id: client.id,
        secret,
        redirect_uri: client.redirect_uris[0].clone(),
    }
}

/// An account with a name and an e-mail address, and its enrolled phone.
pub async fn person(s: &TestServer, id: &str) -> Phone {
    admin(s)
        .await
        .create_account(
            &Actor::cli("tester"),
            tigr_server::admin::NewAccount {
                id: id.into(),
                display_name: "Claire Martin".into(),
                email: Some(format!("{id}@chu.example")),
                role: tigr_server::admin::Role::User,
            },
        )
        .await
        .expect("account");
    s.enroll(id).await
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

/// The `Location` of a redirect.
pub fn location(reply: &Reply) -> String {
    assert!(
        (300..400).contains(&reply.status),
        "not a redirect: {} {}",
        reply.status,
        reply.body
    );
    reply.header("location").to_owned()
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .expect("query")
        .into_iter()
        .collect()
}

/// The login page a redirect to `/login?authorize=...` leads to.
pub async fn login_page_at(tab: &mut Tab, path: &str) -> LoginPage {
    assert!(path.starts_with("/login?authorize="), "{path}");
    tab.login_page(&path["/login".len()..]).await
}

/// The phone approves the page's QR; the page completes; the browser follows its way back
/// to the authorization: returns the last `Location` (the client's redirect URI).
pub async fn approve_and_return(
    s: &TestServer,
    tab: &mut Tab,
    page: &LoginPage,
    phone: &Phone,
) -> String {
    let (status, body) = s
        .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = tab.complete(page, &attr(&page.html, "data-return")).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let redirect = done.json()["redirect"]
        .as_str()
        .expect("redirect")
        .to_owned();
    assert!(
        redirect.starts_with("/oidc/authorize/resume?request="),
        "{redirect}"
    );
    location(&tab.get(&redirect).await)
}

/// A whole authorization with a login: authorize, login page, approval, way back. Returns
/// the redirect to the client.
pub async fn authorize_with_login(
    s: &TestServer,
    tab: &mut Tab,
    rp: &Rp,
    phone: &Phone,
    extra: &[(&str, &str)],
) -> String {
    let reply = tab.get(&authorize_path(rp, extra)).await;
    let login = location(&reply);
    let page = login_page_at(tab, &login).await;
    approve_and_return(s, tab, &page, phone).await
}

/// The code of a successful redirect to `rp`, after checking `state` and `iss`.
pub fn code_of(s: &TestServer, rp: &Rp, redirect: &str) -> String {
    assert!(redirect.starts_with(&rp.redirect_uri), "{redirect}");
    let query = query_of(redirect);
    assert_eq!(
        query.get("iss").map(String::as_str),
        Some(s.origin()),
        "RFC 9207 iss"
    );
    assert!(!query.contains_key("error"), "{redirect}");
    query.get("code").expect("code").clone()
}

/// `POST /oidc/token` with `fields`, and Basic credentials when given.
pub async fn token_request(
    s: &TestServer,
    basic: Option<(&str, &str)>,
    fields: &[(&str, &str)],
) -> Reply {
    let mut tab = Tab::new(s);
    let mut request = tab
        .http
        .post(s.url("/oidc/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).expect("form"));
    if let Some((id, secret)) = basic {
        let encode =
            |v: &str| serde_urlencoded::to_string([("v", v)]).expect("enc")[2..].to_owned();
        let value = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(id),
            encode(secret)
        ));
        request = request.header("authorization", format!("Basic {value}"));
    }
    tab.send(request).await
}

/// The code grant of `rp` with its secret in the Basic header and the right verifier.
pub async fn redeem(s: &TestServer, rp: &Rp, code: &str) -> Reply {
    token_request(
        s,
        Some((&rp.id, rp.secret.as_deref().expect("secret"))),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &rp.redirect_uri),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// `GET /oidc/userinfo` with a Bearer token: (status, body).
pub async fn userinfo(s: &TestServer, token: &str) -> (u16, Value) {
    let mut tab = Tab::new(s);
    let request = tab
        .http
        .get(s.url("/oidc/userinfo"))
        .header("authorization", format!("Bearer {token}"));
    let reply = tab.send(request).await;
    (reply.status, reply.json())
}

fn b64(part: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url")
}

/// The published keys.
pub async fn jwks(s: &TestServer) -> Value {
    let mut tab = Tab::new(s);
    let reply = tab.get("/oidc/jwks").await;
    assert_eq!(reply.status, 200);
    reply.json()
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

/// Rows of the audit trail with `event`: (account, actor, detail).
pub async fn audit_rows(
    s: &TestServer,
    event: &str,
) -> Vec<(Option<String>, String, Option<String>)> {
    let db = s.db().await;
    let rows =
        sqlx::query_as("SELECT account_id, actor, detail FROM audit WHERE event = ? ORDER BY id")
            .bind(event)
            .fetch_all(&db)
            .await
            .expect("audit");
    db.close().await;
    rows
}

/// One count of the database.
pub async fn count(s: &TestServer, sql: &str) -> i64 {
    let db = s.db().await;
    let n = sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&db)
        .await
        .expect("count");
    db.close().await;
    n
}

/// The security headers every OpenID Connect page carries (clickjacking).
pub fn assert_frame_protected(reply: &Reply, what: &str) {
    assert_eq!(reply.header("x-frame-options"), "DENY", "{what}");
    assert!(
        reply
            .header("content-security-policy")
            .contains("frame-ancestors 'none'"),
        "{what}"
    );
    assert_eq!(reply.header("x-content-type-options"), "nosniff", "{what}");
}
