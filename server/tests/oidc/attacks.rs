//! Bad input and attacks on the OpenID Connect endpoints, each refused the way
//! docs/security.md says: redirect URIs, PKCE, codes, client authentication, malformed and
//! oversized parameters, browser binding, clickjacking.

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::FixedClock;

use crate::browser::Tab;
use crate::common::TestServer;
use crate::support::*;

#[tokio::test]
async fn unregistered_or_altered_redirect_uris_are_refused_on_a_page_and_nothing_is_sent() {
    let s = TestServer::start().await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    for (uri, why) in [
        ("https://evil.example/cb", "other host"),
        ("https://rp.example/cb/", "trailing slash"),
        (
            "https://rp.example/cb?next=https://evil.example",
            "extra query",
        ),
        ("https://rp.example/CB", "case"),
        ("https://rp.example.evil.example/cb", "suffix host"),
        ("", "missing"),
    ] {
        let reply = tab
            .get(&authorize_path(&rp, &[("redirect_uri", uri)]))
            .await;
        assert_eq!(reply.status, 400, "{why}");
        assert_eq!(reply.header("location"), "", "{why}: never redirected");
        assert!(reply.body.contains("Demande de connexion refusée"), "{why}");
        assert!(
            reply.body.contains("Rien n&#x27;a été envoyé au service"),
            "{why}"
        );
        assert_frame_protected(&reply, why);
    }
    let reply = tab
        .get(&authorize_path(
            &rp,
            &[("client_id", "NOSUCHCLIENTXXXXXXXXXXXXXX")],
        ))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("n&#x27;est pas enregistré"));
    tab.lang = Some("en");
    let reply = tab
        .get(&authorize_path(
            &rp,
            &[("redirect_uri", "https://evil.example/cb")],
        ))
        .await;
    assert!(
        reply
            .body
            .contains("not the one registered for this service"),
        "{}",
        reply.body
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_pending").await, 0);
}

#[tokio::test]
async fn errors_after_the_redirect_uri_is_trusted_go_back_with_state_and_iss() {
    let s = TestServer::start().await;
    let rp = register(&s, |r| r.scopes = Some("openid profile".into())).await;
    let mut tab = Tab::new(&s);
    for (mut extra, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "profile")], "invalid_scope"),
        (vec![("scope", "openid email")], "invalid_scope"),
        (
            vec![("request", "eyJhbGciOiJub25lIn0.e30.")],
            "request_not_supported",
        ),
        (
            vec![("request_uri", "https://rp.example/req")],
            "request_uri_not_supported",
        ),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("prompt", "none login")], "invalid_request"),
        (vec![("max_age", "-1")], "invalid_request"),
        (vec![("response_mode", "fragment")], "invalid_request"),
    ] {
        if !extra.iter().any(|(k, _)| *k == "scope") {
            extra.push(("scope", "openid profile"));
        }
        let reply = tab.get(&authorize_path(&rp, &extra)).await;
        let redirect = location(&reply);
        assert!(redirect.starts_with("https://rp.example/cb?"), "{redirect}");
        let query = query_of(&redirect);
        assert_eq!(query["error"], error, "{extra:?}");
        assert_eq!(query["state"], "st-123");
        assert_eq!(query["iss"], s.origin(), "mix-up defence (RFC 9207)");
        assert!(!query["error_description"].is_empty());
    }
    // A state too long to echo: invalid_request, without it.
    let long = "s".repeat(600);
    let reply = tab
        .get(&authorize_path(
            &rp,
            &[("state", &long), ("scope", "openid")],
        ))
        .await;
    let query = query_of(&location(&reply));
    assert_eq!(query["error"], "invalid_request");
    assert!(!query.contains_key("state"));
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_pending").await, 0);
}

#[tokio::test]
async fn oversized_repeated_or_malformed_parameters_get_a_clear_page_and_change_nothing() {
    let s = TestServer::start().await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let huge = "x".repeat(3000);
    let path = authorize_path(&rp, &[("nonce", &huge)]);
    let reply = tab.get(&path).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("trop longue (paramètre « nonce »)"),
        "{}",
        reply.body
    );
    let twice = format!("{}&scope=openid", authorize_path(&rp, &[]));
    let reply = tab.get(&twice).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("« scope » est donné plusieurs fois"));
    let control = authorize_path(&rp, &[("state", "a\u{1}b")]);
    let reply = tab.get(&control).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("caractères interdits"));
    let many: String = (0..50).map(|i| format!("&p{i}=v")).collect();
    let reply = tab
        .get(&format!("{}{many}", authorize_path(&rp, &[])))
        .await;
    assert_eq!(reply.status, 400);
    let reply = tab.get("/oidc/authorize?%ZZ=1").await;
    assert_eq!(reply.status, 400);
    // A body over the limit.
    let request = tab
        .http
        .post(s.url("/oidc/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("client_id={}", "x".repeat(20_000)));
    assert_eq!(tab.send(request).await.status, 413);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_pending").await, 0);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_codes").await, 0);

    // The token endpoint: form only, one value per parameter.
    let reply = token_request(&s, None, &[("grant_type", "authorization_code")]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid_client");
    let mut raw = Tab::new(&s);
    let request = raw
        .http
        .post(s.url("/oidc/token"))
        .header("content-type", "application/json")
        .body("{}");
    let reply = raw.send(request).await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let request = raw
        .http
        .post(s.url("/oidc/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "client_id={0}&client_id={0}&grant_type=authorization_code",
            rp.id
        ));
    let reply = raw.send(request).await;
    assert_eq!(reply.json()["error"], "invalid_request");
    assert_eq!(reply.json()["error_description"], "a parameter is repeated");
}

#[tokio::test]
async fn pkce_is_required_from_public_clients_and_the_verifier_must_match() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let app = register(&s, |r| {
        r.public = true;
        r.redirect_uris = vec!["fr.chu.agenda:/oidc".into()];
    })
    .await;
    let mut tab = Tab::new(&s);
    let reply = tab
        .get(&authorize_path(
            &app,
            &[("code_challenge", ""), ("code_challenge_method", "")],
        ))
        .await;
    let query = query_of(&location(&reply));
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("PKCE"));

    let code = code_of(
        &s,
        &app,
        &authorize_with_login(&s, &mut tab, &app, &phone, &[]).await,
    );
    let grant = |verifier: Option<&'static str>| {
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", app.redirect_uri.as_str()),
            ("client_id", app.id.as_str()),
        ];
        if let Some(v) = verifier {
            fields.push(("code_verifier", v));
        }
        fields
    };
    for verifier in [None, Some("wrong-verifier-wrong-verifier-wrong-verifier-x")] {
        let reply = token_request(&s, None, &grant(verifier)).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json()["error"], "invalid_grant");
    }
    // A public client has no secret to use.
    let reply = token_request(&s, Some((&app.id, "guess")), &grant(Some(VERIFIER))).await;
    assert_eq!(reply.json()["error"], "invalid_client");
    // Failed attempts did not burn the code.
    let reply = token_request(&s, None, &grant(Some(VERIFIER))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn a_code_replayed_is_refused_and_revokes_what_its_first_use_issued() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let first = redeem(&s, &rp, &code).await;
    assert_eq!(first.status, 200);
    let access = first.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(userinfo(&s, &access).await.0, 200);
    let second = redeem(&s, &rp, &code).await;
    assert_eq!(second.status, 400);
    assert_eq!(second.json()["error"], "invalid_grant");
    let (status, _) = userinfo(&s, &access).await;
    assert_eq!(status, 401, "the first use's access token is revoked");
    let rows = audit_rows(&s, "oidc_code_replayed").await;
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0]
            .2
            .as_deref()
            .unwrap_or("")
            .contains("revoked_tokens=1")
    );
}

#[tokio::test]
async fn a_code_of_another_client_is_refused_and_stays_usable_by_its_own() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let other = register(&s, |r| r.name = "Autre".into()).await;
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let stolen = token_request(
        &s,
        Some((&other.id, other.secret.as_deref().expect("secret"))),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &rp.redirect_uri),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(stolen.status, 400);
    assert_eq!(stolen.json()["error"], "invalid_grant");
    // Another redirect URI than the request's: refused too.
    let moved = token_request(
        &s,
        Some((&rp.id, rp.secret.as_deref().expect("secret"))),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example/cb2"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(moved.json()["error"], "invalid_grant");
    assert_eq!(redeem(&s, &rp, &code).await.status, 200);
    assert!(audit_rows(&s, "oidc_code_replayed").await.is_empty());
}

#[tokio::test]
async fn a_code_lives_60_seconds() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = {
        let clock = Arc::clone(&clock);
        TestServer::start_with(move |c| c.clock = clock).await
    };
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let late = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let in_time = code_of(
        &s,
        &rp,
        &location(&tab.get(&authorize_path(&rp, &[])).await),
    );
    clock.advance(59);
    assert_eq!(redeem(&s, &rp, &in_time).await.status, 200);
    clock.advance(1);
    let reply = redeem(&s, &rp, &late).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"], "invalid_grant");
    assert_eq!(reply.json()["error_description"], "the code expired");
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_audited_and_never_logged() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let post = register(&s, |r| r.auth_method = Some("client_secret_post".into())).await;
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let wrong = "WRONG-SECRET-0123456789-abcdefghijklmnopqrst";
    let reply = token_request(&s, Some((&rp.id, wrong)), &fields).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid_client");
    assert_eq!(reply.header("www-authenticate"), "Basic realm=\"tigr\"");
    // The right secret in the body of a Basic client: not its method.
    let mut in_body = fields.to_vec();
    in_body.extend([
        ("client_id", rp.id.as_str()),
        ("client_secret", rp.secret.as_deref().expect("secret")),
    ]);
    assert_eq!(token_request(&s, None, &in_body).await.status, 401);
    // Another client's secret.
    let reply = token_request(
        &s,
        Some((&rp.id, post.secret.as_deref().expect("s"))),
        &fields,
    )
    .await;
    assert_eq!(reply.status, 401);
    let failures = audit_rows(&s, "oidc_client_auth_failed").await;
    assert_eq!(failures.len(), 3);
    assert!(
        failures[0]
            .2
            .as_deref()
            .unwrap_or("")
            .contains("why=secret")
    );
    assert!(
        failures[1]
            .2
            .as_deref()
            .unwrap_or("")
            .contains("why=method")
    );
    assert!(!crate::common::logs().contains(wrong));
    // Nothing burnt: the right credentials still redeem the code.
    assert_eq!(redeem(&s, &rp, &code).await.status, 200);
}

#[tokio::test]
async fn private_key_jwt_clients_sign_short_single_use_assertions_for_this_server() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let (key, jwks) = client_key("k1");
    let rp = register(&s, |r| {
        r.auth_method = Some("private_key_jwt".into());
        r.jwks = Some(jwks.clone());
    })
    .await;
    assert!(rp.secret.is_none());
    let mut tab = Tab::new(&s);
    let code = code_of(
        &s,
        &rp,
        &authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await,
    );
    let now = s.config().clock.now_unix();
    let token_endpoint = format!("{}/oidc/token", s.origin());
    let claims = |aud: &str, exp: i64, jti: &str| json!({ "iss": rp.id, "sub": rp.id, "aud": aud, "exp": exp, "iat": now, "jti": jti });
    let grant = |assertion: String| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", rp.redirect_uri.clone()),
            ("code_verifier", VERIFIER.to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", assertion),
        ]
    };
    let server = &s;
    let send = |fields: Vec<(&'static str, String)>| async move {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        token_request(server, None, &fields).await
    };
    let (other_key, _) = {
        let other = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).expect("key");
        (other, ())
    };
    for (assertion, why) in [
        (
            assertion(
                &key,
                "k1",
                &claims("https://other.example/token", now + 60, "a"),
            ),
            "audience",
        ),
        (
            assertion(&key, "k1", &claims(&token_endpoint, now - 1, "b")),
            "expired",
        ),
        (
            assertion(&key, "k1", &claims(&token_endpoint, now + 3600, "c")),
            "too long",
        ),
        (
            assertion(&other_key, "k1", &claims(&token_endpoint, now + 60, "d")),
            "other key",
        ),
    ] {
        let reply = send(grant(assertion)).await;
        assert_eq!(reply.status, 401, "{why}");
        assert_eq!(reply.json()["error"], "invalid_client", "{why}");
    }
    let good = assertion(&key, "k1", &claims(&token_endpoint, now + 60, "once"));
    let reply = send(grant(good.clone())).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // The same assertion again (its jti): refused before the code is even looked at.
    let reply = send(grant(good)).await;
    assert_eq!(reply.status, 401);
    // The issuer as audience is accepted too (RFC 7523); the code is used by now.
    let reply = send(grant(assertion(
        &key,
        "k1",
        &claims(s.origin(), now + 60, "e"),
    )))
    .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_kept_request_belongs_to_the_browser_that_made_it() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut victim = Tab::new(&s);
    let mut attacker = Tab::new(&s);
    let login = location(&attacker.get(&authorize_path(&rp, &[])).await);
    // The attacker sends the victim the login page of its own request.
    let reply = victim.get(&login).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("un autre navigateur"));
    // Even logged in, the victim cannot resume it (no code for the attacker's request).
    let page = victim.login_page("").await;
    s.respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    assert_eq!(victim.complete(&page, "").await.status, 200);
    let id = login.rsplit('=').next().expect("id");
    let reply = victim
        .get(&format!("/oidc/authorize/resume?request={id}"))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("location"), "");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM oidc_codes").await, 0);
}

#[tokio::test]
async fn every_oidc_page_refuses_to_be_framed() {
    let s = TestServer::start().await;
    let phone = person(&s, "alice").await;
    let rp = register(&s, |_| {}).await;
    let mut tab = Tab::new(&s);
    let reply = tab.get(&authorize_path(&rp, &[])).await;
    assert_frame_protected(&reply, "authorize (to the login page)");
    let login = location(&reply);
    let page = tab.get(&login).await;
    assert_frame_protected(&page, "login page of a request");
    assert!(
        page.header("content-security-policy")
            .contains("form-action 'self' https://rp.example"),
        "{}",
        page.header("content-security-policy")
    );
    let refused = tab
        .get(&authorize_path(
            &rp,
            &[("redirect_uri", "https://evil.example")],
        ))
        .await;
    assert_frame_protected(&refused, "refusal page");
    let redirect = authorize_with_login(&s, &mut tab, &rp, &phone, &[]).await;
    code_of(&s, &rp, &redirect);
    let resume = tab.get("/oidc/authorize/resume?request=NOPE").await;
    assert_frame_protected(&resume, "resume");
    let confirm = tab.get("/oidc/logout").await;
    assert_eq!(confirm.status, 200);
    assert_frame_protected(&confirm, "logout confirmation");
    let done = Tab::new(&s).get("/oidc/logout").await;
    assert_frame_protected(&done, "logged out page");
}
