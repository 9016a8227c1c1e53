//! The authorization code flow over real HTTP: discovery, login through the QR page with the
//! client's name on the page and the phone, tokens checked by an independent verifier,
//! userinfo, single sign-on to a second client, prompt and max_age, offline codes.

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::FixedClock;

use crate::browser::{Tab, attr};
use crate::common::TestServer;
use crate::support::*;

#[tokio::test]
async fn discovery_and_keys_describe_the_provider() {
    let s = TestServer::start().await;
    let mut tab = Tab::new(&s);
    let reply = tab.get("/.well-known/openid-configuration").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    let issuer = s.origin();
    assert_eq!(doc["issuer"], issuer);
    for (field, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["backchannel_logout_session_supported"], true);
    assert!(reply.header("cache-control").contains("max-age"));

    // Scripts of services may read it (CORS).
    let request = tab
        .http
        .get(s.url("/oidc/jwks"))
        .header("origin", "https://rp.example");
    let keys = tab.send(request).await;
    assert_eq!(keys.header("access-control-allow-origin"), "*");
    let keys = keys.json();
    let published = keys["keys"].as_array().expect("keys");
    assert_eq!(published.len(), 1, "one key from the first start");
    assert_eq!(published[0]["alg"], "ES256");
    assert!(published[0].get("d").is_none());
    // The key is kept (sealed) across restarts.
    let (dir, config) = s.stop().await;
    let s = TestServer::start_in(dir, config).await;
    assert_eq!(jwks(&s).await, keys);
    let sealed: Vec<u8> = {
        let db = s.db().await;
        let row = sqlx::query_scalar("SELECT private_sealed FROM oidc_signing_keys")
            .fetch_one(&db)
            .await
            .expect("key row");
        db.close().await;
        row
    };
    assert!(
        sealed.len() > 12 + 100 + 16,
        "PKCS#8 sealed with AES-256-GCM"
    );
    assert!(
        !sealed
            .windows(7)
            .any(|w| w == b"\x30\x81\x87\x02\x01\x00\x30"),
        "no PKCS#8 header in clear"
    );
}

#[tokio::test]
async fn a_service_logs_its_user_in_and_a_second_service_gets_single_sign_on() {
    let s = TestServer::start().await;
    let phone = person(&s, "dr.martin").await;
    let dpi = register(&s, |r| r.name = "Dossier patient".into()).await;
    let lab = register(&s, |r| {
        r.name = "Laboratoire".into();
        r.redirect_uris = vec!["https://lab.example/cb".into()];
        r.auth_method = Some("client_secret_post".into());
        r.subject_type = Some("public".into());
        r.scopes = Some("openid profile".into());
    })
    .await;
    let mut tab = Tab::new(&s);

    // The service sends the browser to the authorization endpoint: the login page follows,
    // named after the service; the phone shows the service too.
    let reply = tab.get(&authorize_path(&dpi, &[])).await;
    assert_frame_protected(&reply, "authorize redirect");
    let login = location(&reply);
    let page = login_page_at(&mut tab, &login).await;
    assert!(
        page.html
            .contains("Connexion à <span class=\"service-name\">Dossier patient</span>")
    );
    let (status, context) = s
        .post(
            &format!("/login/challenges/{}/context", page.challenge.id),
            &json!({ "nonce": page.challenge.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["service_name"], "Dossier patient");
    let redirect = approve_and_return(&s, &mut tab, &page, &phone).await;
    let query = query_of(&redirect);
    assert_eq!(query["state"], "st-123");
    let code = code_of(&s, &dpi, &redirect);

    let reply = redeem(&s, &dpi, &code).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("pragma"), "no-cache");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert_eq!(tokens["scope"], "openid profile email");
    let keys = jwks(&s).await;
    let (header, claims) = verify_jws(tokens["id_token"].as_str().expect("id token"), &keys);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], s.origin());
    assert_eq!(claims["aud"], dpi.id.as_str());
    assert_eq!(claims["azp"], dpi.id.as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj", "nonce echoed");
    let sub = claims["sub"].as_str().expect("sub");
    assert_ne!(sub, "dr.martin", "pairwise by default");
    assert_eq!(claims["preferred_username"], "dr.martin");
    assert_eq!(claims["name"], "Claire Martin");
    assert_eq!(claims["email"], "dr.martin@chu.example");
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims["amr"], json!(["swk", "pin", "mfa"]));
    assert_eq!(claims["acr"], "tigr:phone-pin");
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(claims["exp"].as_i64(), Some(iat + 300));
    assert!(claims["auth_time"].as_i64().expect("auth_time") <= iat);
    let access = tokens["access_token"].as_str().expect("access token");
    assert_eq!(
        claims["at_hash"].as_str(),
        Some(tigr_server::jose::left_half_hash(access).as_str())
    );
    let sid = claims["sid"].as_str().expect("sid").to_owned();

    let (status, info) = userinfo(&s, access).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], sub);
    assert_eq!(info["preferred_username"], "dr.martin");
    assert_eq!(info["email"], "dr.martin@chu.example");

    // Second service, same browser: no new QR, a code at once.
    let challenges = count(&s, "SELECT COUNT(*) FROM challenges").await;
    let reply = tab
        .get(&authorize_path(&lab, &[("scope", "openid profile")]))
        .await;
    let redirect = location(&reply);
    let code = code_of(&s, &lab, &redirect);
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM challenges").await,
        challenges
    );
    let reply = token_request(
        &s,
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &lab.redirect_uri),
            ("code_verifier", VERIFIER),
            ("client_id", &lab.id),
            ("client_secret", lab.secret.as_deref().expect("secret")),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let tokens = reply.json();
    assert_eq!(tokens["scope"], "openid profile");
    let (_, lab_claims) = verify_jws(tokens["id_token"].as_str().expect("id"), &keys);
    assert_eq!(lab_claims["sub"], "dr.martin", "public subject");
    assert_eq!(lab_claims["sid"], sid.as_str(), "one session");
    assert!(lab_claims.get("email").is_none());
    assert_eq!(lab_claims["auth_time"], claims["auth_time"]);

    // Audited and counted.
    let issued = audit_rows(&s, "oidc_tokens_issued").await;
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].0.as_deref(), Some("dr.martin"));
    assert_eq!(issued[0].1, format!("client:{}", dpi.id));
    assert_eq!(audit_rows(&s, "oidc_authorized").await.len(), 2);
    let metrics = tab.get("/metrics").await.body;
    assert!(
        metrics.contains("tigr_audit_events_total{event=\"oidc_tokens_issued\"} 2"),
        "{metrics}"
    );
    for secret in [access, &code, dpi.secret.as_deref().expect("s")] {
        assert!(!crate::common::logs().contains(secret), "never logged");
    }
    // Codes and access tokens are stored as hashes only.
    let db = s.db().await;
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM oidc_access_tokens")
        .fetch_all(&db)
        .await
        .expect("rows");
    db.close().await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 32 && h != access.as_bytes())
    );
}

#[tokio::test]
async fn prompt_none_answers_login_required_without_a_session_and_a_code_with_one() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let reply = tab.get(&authorize_path(&rp, &[("prompt", "none")])).await;
    let redirect = location(&reply);
    assert!(redirect.starts_with(&rp.redirect_uri));
    let query = query_of(&redirect);
    assert_eq!(query["error"], "login_required");
    assert_eq!(query["state"], "st-123");
    assert_eq!(query["iss"], s.origin());
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_pending").await, 0);

    authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await;
    let reply = tab.get(&authorize_path(&rp, &[("prompt", "none")])).await;
    code_of(&s, &rp, &location(&reply));
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_new_scan_in_the_same_session() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = {
        let clock = Arc::clone(&clock);
        TestServer::start_with(move |c| c.clock = clock).await
    };
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let first = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let first = redeem(&s, &rp, &first).await.json();
    let keys = jwks(&s).await;
    let (_, first) = verify_jws(first["id_token"].as_str().expect("id"), &keys);

    // prompt=login: the login page again, even with a session; going back without a new
    // login leads to the login page again, not to a code.
    clock.advance(100);
    let reply = tab.get(&authorize_path(&rp, &[("prompt", "login")])).await;
    let login = location(&reply);
    let page = login_page_at(&mut tab, &login).await;
    let id = login.rsplit('=').next().expect("id").to_owned();
    let early = tab
        .get(&format!("/oidc/authorize/resume?request={id}"))
        .await;
    assert_eq!(location(&early), login);
    let redirect = approve_and_return(&s, &mut tab, &page, &phone).await;
    let again = redeem(&s, &rp, &code_of(&s, &rp, &redirect)).await.json();
    let (_, again) = verify_jws(again["id_token"].as_str().expect("id"), &keys);
    assert_eq!(
        again["sid"], first["sid"],
        "re-authentication keeps the session"
    );
    assert_eq!(
        again["auth_time"].as_i64(),
        Some(first["auth_time"].as_i64().expect("t") + 100)
    );
    let sessions = count(&s, "SELECT COUNT(*) FROM web_sessions").await;
    assert_eq!(sessions, 1);

    // max_age: a login older than that asks for a new scan; a recent one does not.
    clock.advance(301);
    let reply = tab.get(&authorize_path(&rp, &[("max_age", "300")])).await;
    assert!(location(&reply).starts_with("/login?authorize="));
    let reply = tab.get(&authorize_path(&rp, &[("max_age", "400")])).await;
    code_of(&s, &rp, &location(&reply));
    // prompt=none with a stale login: login_required.
    let reply = tab
        .get(&authorize_path(
            &rp,
            &[("max_age", "300"), ("prompt", "none")],
        ))
        .await;
    assert_eq!(query_of(&location(&reply))["error"], "login_required");
}

#[tokio::test]
async fn an_offline_code_login_says_so_in_amr_and_acr() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |r| r.scopes = Some("openid".into())).await;
    let mut tab = Tab::new(&s);
    let login = location(&tab.get(&authorize_path(&rp, &[("scope", "openid")])).await);
    let page = login_page_at(&mut tab, &login).await;
    let code = phone.offline_code(s.origin(), &page.challenge);
    let done = tab
        .post(
            "/login/offline",
            &[
                ("challenge_id", page.challenge.id.as_str()),
                ("tigr_id", "alice"),
                ("otp", code.as_str()),
                ("return", &attr(&page.html, "data-return")),
                ("authorize", &attr(&page.html, "data-authorize")),
            ],
            Some(&page.csrf),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let back = done.json()["redirect"]
        .as_str()
        .expect("redirect")
        .to_owned();
    let redirect = location(&tab.get(&back).await);
    let tokens = redeem(&s, &rp, &code_of(&s, &rp, &redirect)).await.json();
    let (_, claims) = verify_jws(tokens["id_token"].as_str().expect("id"), &jwks(&s).await);
    assert_eq!(claims["amr"], json!(["otp", "pin", "mfa"]));
    assert_eq!(claims["acr"], "tigr:offline-pin");
    assert!(
        claims.get("preferred_username").is_none(),
        "scope openid only"
    );
}
