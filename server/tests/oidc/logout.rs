//! Logout: RP-Initiated Logout 1.0 (hint, registered post-logout URIs only, confirmation
//! without a hint) and Back-Channel Logout 1.0 (logout tokens posted to a receiver of the
//! test, for every service the session signed in to, with retries).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use tigr_core::clock::FixedClock;

use crate::browser::Tab;
use crate::common::TestServer;
use crate::support::*;

/// The forms a receiver got, in order.
type Forms = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// A back-channel logout endpoint on 127.0.0.1: keeps every form it receives and answers
/// `status`.
struct Receiver {
    url: String,
    received: Forms,
}

impl Receiver {
    async fn start(status: StatusCode) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route(
                "/backchannel",
                post(
                    |State((seen, status)): State<(Forms, StatusCode)>, body: String| async move {
                        let form = serde_urlencoded::from_str(&body).unwrap_or_default();
                        seen.lock().expect("lock").push(form);
                        status
                    },
                ),
            )
            .with_state((Arc::clone(&received), status));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/backchannel",
            listener.local_addr().expect("addr")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, received }
    }

    fn count(&self) -> usize {
        self.received.lock().expect("lock").len()
    }

    /// Waits (at most 10 s) until `n` posts arrived; returns their logout tokens.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.count() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let received = self.received.lock().expect("lock");
        assert!(
            received.len() >= n,
            "{} of {n} logout tokens",
            received.len()
        );
        received
            .iter()
            .map(|form| {
                form.iter()
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v.clone())
                    .expect("logout_token")
            })
            .collect()
    }
}

/// Logs `phone`'s account in to `rp` in `tab`; returns the ID token and its claims.
async fn signed_in(
    s: &TestServer,
    tab: &mut Tab,
    rp: &Rp,
    phone: &crate::common::Phone,
) -> (String, Value) {
    let reply = tab.get(&authorize_path(rp, &[])).await;
    let redirect = if location(&reply).starts_with("/login?") {
        let page = login_page_at(tab, &location(&reply)).await;
        approve_and_return(s, tab, &page, phone).await
    } else {
        location(&reply)
    };
    let tokens = redeem(s, rp, &code_of(s, rp, &redirect)).await.json();
    let id_token = tokens["id_token"].as_str().expect("id token").to_owned();
    let (_, claims) = verify_jws(&id_token, &jwks(s).await);
    (id_token, claims)
}

async fn session_alive(tab: &mut Tab) -> bool {
    tab.get("/session").await.status == 200
}

#[tokio::test]
async fn a_valid_hint_of_this_session_logs_out_at_once_back_to_a_registered_uri_only() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let (id_token, _) = signed_in(&s, &mut tab, &rp, &phone).await;

    // An unregistered return address: refused on a page, nothing changed (no open redirect).
    for open in [
        "https://evil.example/",
        "https://rp.example/bye/../evil",
        "https://rp.example/bye?x=1",
    ] {
        let query = serde_urlencoded::to_string([
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", open),
        ])
        .expect("query");
        let reply = tab.get(&format!("/oidc/logout?{query}")).await;
        assert_eq!(reply.status, 400, "{open}");
        assert_eq!(reply.header("location"), "");
        assert!(session_alive(&mut tab).await, "{open}: still logged in");
    }
    // Without a hint or client_id there is no client to check the address against.
    let query =
        serde_urlencoded::to_string([("post_logout_redirect_uri", "https://rp.example/bye")])
            .expect("query");
    assert_eq!(tab.get(&format!("/oidc/logout?{query}")).await.status, 400);
    // A forged hint.
    let mut forged = id_token.clone();
    forged.push('x');
    let query = serde_urlencoded::to_string([("id_token_hint", forged.as_str())]).expect("q");
    let reply = tab.get(&format!("/oidc/logout?{query}")).await;
    assert_eq!(reply.status, 400);
    assert!(session_alive(&mut tab).await);

    let query = serde_urlencoded::to_string([
        ("id_token_hint", id_token.as_str()),
        ("post_logout_redirect_uri", "https://rp.example/bye"),
        ("state", "bye-1"),
    ])
    .expect("query");
    let reply = tab.get(&format!("/oidc/logout?{query}")).await;
    assert_eq!(location(&reply), "https://rp.example/bye?state=bye-1");
    assert_frame_protected(&reply, "logout redirect");
    assert!(!session_alive(&mut tab).await, "logged out");
    let logouts = audit_rows(&s, "web_logout").await;
    assert_eq!(logouts.len(), 1);
}

#[tokio::test]
async fn another_site_cannot_log_anyone_out_without_confirmation() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    signed_in(&s, &mut tab, &rp, &phone).await;

    // A plain link or form from elsewhere: a confirmation page, still logged in.
    let reply = tab.get("/oidc/logout").await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("Se déconnecter de Tigr ?"));
    assert!(session_alive(&mut tab).await);
    let reply = tab
        .submit(
            "/oidc/logout",
            &[("client_id", &rp.id)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(
        reply.status, 200,
        "a cross-site post is only asked to confirm"
    );
    assert!(
        reply
            .body
            .contains("« Dossier patient » demande votre déconnexion")
    );
    assert!(session_alive(&mut tab).await);
    // A forged confirmation (no CSRF token, or from another site): refused.
    let reply = tab
        .submit("/oidc/logout", &[("confirm", "1")], Some(&tab.origin()))
        .await;
    assert_eq!(reply.status, 403);
    let csrf = crate::browser::attr(&tab.get("/oidc/logout").await.body, "name=\"csrf\" value");
    let reply = tab
        .submit(
            "/oidc/logout",
            &[("confirm", "1"), ("csrf", &csrf)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(reply.status, 403);
    assert!(session_alive(&mut tab).await);
    // The person confirms: logged out, back to the registered address.
    let reply = tab
        .submit(
            "/oidc/logout",
            &[
                ("confirm", "1"),
                ("csrf", &csrf),
                ("client_id", &rp.id),
                ("post_logout_redirect_uri", "https://rp.example/bye"),
            ],
            Some(&tab.origin()),
        )
        .await;
    assert_eq!(location(&reply), "https://rp.example/bye");
    assert!(!session_alive(&mut tab).await);
    // Without a session there is nothing to confirm.
    let reply = tab.get("/oidc/logout").await;
    assert!(reply.body.contains("Vous êtes déconnecté"));
}

#[tokio::test]
async fn a_hint_of_another_session_asks_for_confirmation() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut first = Tab::new(&s);
    let (old_token, _) = signed_in(&s, &mut first, &rp, &phone).await;
    let mut second = Tab::new(&s);
    signed_in(&s, &mut second, &rp, &phone).await;
    let query = serde_urlencoded::to_string([("id_token_hint", old_token.as_str())]).expect("q");
    let reply = second.get(&format!("/oidc/logout?{query}")).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("confirm-logout"));
    assert!(session_alive(&mut second).await);
}

#[tokio::test]
async fn logging_out_of_tigr_tells_every_service_of_the_session_by_back_channel() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let dpi = register(&s, |r| {
        r.backchannel_logout_uri = Some(receiver.url.clone())
    })
    .await;
    let lab = register(&s, |r| {
        r.name = "Laboratoire".into();
        r.subject_type = Some("public".into());
        r.backchannel_logout_uri = Some(receiver.url.clone());
    })
    .await;
    let quiet = register(&s, |r| r.name = "Sans back-channel".into()).await;
    let mut tab = Tab::new(&s);
    let (_, dpi_claims) = signed_in(&s, &mut tab, &dpi, &phone).await;
    let (_, lab_claims) = signed_in(&s, &mut tab, &lab, &phone).await;
    signed_in(&s, &mut tab, &quiet, &phone).await;
    let access = redeem(
        &s,
        &dpi,
        &code_of(
            &s,
            &dpi,
            &location(&tab.get(&authorize_path(&dpi, &[])).await),
        ),
    )
    .await
    .json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(userinfo(&s, &access).await.0, 200);

    // Tigr's own logout button.
    let csrf = crate::browser::attr(&tab.get("/session").await.body, "name=\"csrf\" value");
    let reply = tab
        .submit("/logout", &[("csrf", &csrf)], Some(&tab.origin()))
        .await;
    assert_eq!(location(&reply), "/login?bye=1");
    let tokens = receiver.wait_for(2).await;
    let keys = jwks(&s).await;
    let mut audiences = Vec::new();
    for token in &tokens {
        let (header, claims) = verify_jws(token, &keys);
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(claims["iss"], s.origin());
        assert_eq!(claims["sid"], dpi_claims["sid"]);
        assert_eq!(
            claims["events"],
            json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
        );
        assert!(claims.get("nonce").is_none());
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
        let iat = claims["iat"].as_i64().expect("iat");
        assert_eq!(claims["exp"].as_i64(), Some(iat + 120));
        let aud = claims["aud"].as_str().expect("aud").to_owned();
        let expected_sub = if aud == dpi.id {
            &dpi_claims["sub"]
        } else {
            &lab_claims["sub"]
        };
        assert_eq!(&claims["sub"], expected_sub);
        audiences.push(aud);
    }
    audiences.sort();
    let mut expected = vec![dpi.id.clone(), lab.id.clone()];
    expected.sort();
    assert_eq!(
        audiences, expected,
        "each service with a back-channel URI, once"
    );
    assert_eq!(userinfo(&s, &access).await.0, 401, "access tokens revoked");
    for _ in 0..100 {
        if audit_rows(&s, "oidc_logout_delivered").await.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(audit_rows(&s, "oidc_logout_delivered").await.len(), 2);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_logout_queue").await, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 2, "delivered once each");
}

#[tokio::test]
async fn an_administrator_disabling_the_account_tells_its_services() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let rp = register(&s, |r| {
        r.backchannel_logout_uri = Some(receiver.url.clone())
    })
    .await;
    let mut tab = Tab::new(&s);
    let (_, claims) = signed_in(&s, &mut tab, &rp, &phone).await;
    admin(&s)
        .await
        .disable_account(
            &tigr_server::admin::Actor::cli("tester"),
            "alice",
            Some("left"),
        )
        .await
        .expect("disabled");
    let tokens = receiver.wait_for(1).await;
    let (_, logout) = verify_jws(&tokens[0], &jwks(&s).await);
    assert_eq!(logout["sid"], claims["sid"]);
    assert!(!session_alive(&mut tab).await);
}

#[tokio::test]
async fn a_failing_receiver_is_tried_three_times_then_given_up_and_audited() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = {
        let clock = Arc::clone(&clock);
        TestServer::start_with(move |c| c.clock = clock).await
    };
    let phone = person(&s, "alice").await;
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let rp = register(&s, |r| {
        r.backchannel_logout_uri = Some(receiver.url.clone())
    })
    .await;
    let mut tab = Tab::new(&s);
    signed_in(&s, &mut tab, &rp, &phone).await;
    let csrf = crate::browser::attr(&tab.get("/session").await.body, "name=\"csrf\" value");
    tab.submit("/logout", &[("csrf", &csrf)], Some(&tab.origin()))
        .await;
    receiver.wait_for(1).await;
    // Not before its time (the clock of the server does not move)...
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.count(), 1);
    // ...then after 2 s and 10 s more.
    clock.advance(2);
    receiver.wait_for(2).await;
    clock.advance(10);
    receiver.wait_for(3).await;
    for _ in 0..100 {
        if !audit_rows(&s, "oidc_logout_failed").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = audit_rows(&s, "oidc_logout_failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0].2.as_deref().unwrap_or("").contains("status 500"));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_logout_queue").await, 0);
    clock.advance(100);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.count(), 3, "given up");
}
