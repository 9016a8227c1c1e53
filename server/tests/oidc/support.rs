//! Helpers of the OpenID Connect suite against the test server: registering clients, driving
//! an authorization in a browser-like tab with the virtual phone, the token endpoint, the
//! published keys; with the relying party's own side (`relying_party.rs`).

use base64::Engine as _;
use serde_json::Value;
use tigr_server::admin::{Actor, AdminService, ClientRegistration, RegisteredClient};

use crate::browser::{LoginPage, Reply, Tab, attr};
use crate::common::{Phone, TestServer};

pub use crate::relying_party::*;

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
        &code_grant(rp, code),
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

/// The published keys.
pub async fn jwks(s: &TestServer) -> Value {
    let mut tab = Tab::new(s);
    let reply = tab.get("/oidc/jwks").await;
    assert_eq!(reply.status, 200);
    reply.json()
}

/// Rows of the audit trail with `event`: (account, actor, detail).
pub async fn audit_rows(
    s: &TestServer,
    event: &str,
) -> Vec<(Option<String>, String, Option<String>)> {
    let db = s.db().await;
    let rows =
        sqlx::query_as("SELECT account_id, actor, detail FROM audit WHERE event = $1 ORDER BY id")
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
