//! HTTP behaviour: JSON errors in French and English, limits, health, app-link pages, and no
//! secret in the logs.

use serde_json::json;

use crate::common::{TestServer, logs};

#[tokio::test]
async fn malformed_json_gets_a_clear_400_in_french_or_english() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let path = s.api(&format!("/login/challenges/{}/context", c.id));
    let send = |body: &'static str, lang: Option<&'static str>| {
        let mut request = s
            .http
            .post(&path)
            .header("content-type", "application/json")
            .body(body);
        if let Some(lang) = lang {
            request = request.header("accept-language", lang);
        }
        async move { crate::common::read(request.send().await.expect("sent")).await }
    };
    let (status, body) = send("{\"nonce\": ", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["message"],
        "Le corps de la requête n'est pas du JSON valide (ligne 1, colonne 10)."
    );
    let (status, body) = send("{\"nonce\": ", Some("en-GB,en;q=0.9,fr;q=0.5")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "The request body is not valid JSON (line 1, column 10)."
    );
    let (_, body) = send("{}", None).await;
    assert_eq!(body["message"], "Champ obligatoire manquant : « nonce ».");
    let (_, body) = send("{}", Some("en")).await;
    assert_eq!(body["message"], "Missing required field \"nonce\".");
    // A value of the wrong type is named, never echoed.
    let (status, body) = send("{\"nonce\": 98765432}", None).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().expect("message").contains("nonce"));
    assert!(!body.to_string().contains("98765432"), "{body}");
    // Not declared as JSON.
    let reply = s
        .http
        .post(&path)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("sent");
    let (status, body) = crate::common::read(reply).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Content-Type")
    );
    assert_eq!(s.state(&c).await, "pending", "bad input changed nothing");
}

#[tokio::test]
async fn other_errors_are_localized_too() {
    let s = TestServer::start().await;
    let (status, fr) = s
        .post_lang("/enrollments/lookup", &json!({ "code": "x" }), None, None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(fr["message"], "Code d'enrôlement inconnu.");
    let (_, en) = s
        .post_lang(
            "/enrollments/lookup",
            &json!({ "code": "x" }),
            None,
            Some("en"),
        )
        .await;
    assert_eq!(en["message"], "Unknown enrollment code.");
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let (_, fr) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert!(
        fr["message"]
            .as_str()
            .expect("message")
            .ends_with("Il reste 4 essais avant le blocage du compte."),
        "{fr}"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = TestServer::start().await;
    let big = json!({ "code": "A".repeat(20_000) });
    let (status, body) = s.post("/enrollments/lookup", &big, None).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn health_check_and_unknown_routes() {
    let s = TestServer::start().await;
    let reply = s.http.get(s.url("/healthz")).send().await.expect("sent");
    let (status, body) = crate::common::read(reply).await;
    assert_eq!((status, body), (200, json!({ "status": "ok" })));
    let (status, body) = s.get("/nothing/here", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = s.get("/login/challenges", None).await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn app_links_opened_in_a_browser_explain_the_app() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let link = format!("/t/1/L/{}/{}/{}", c.id, c.nonce, c.expires_at);
    for (lang, expected) in [
        (None, "Ouvrez ce lien avec l'application Tigr"),
        (Some("en-US,en;q=0.8"), "Open this link with the Tigr app"),
    ] {
        let mut request = s.http.get(s.url(&link));
        if let Some(lang) = lang {
            request = request.header("accept-language", lang);
        }
        let reply = request.send().await.expect("sent");
        assert_eq!(reply.status().as_u16(), 200);
        assert_eq!(reply.headers()["referrer-policy"], "no-referrer");
        let page = reply.text().await.expect("page");
        assert!(page.contains(expected), "{page}");
        assert!(!page.contains(&c.nonce), "the page never repeats the nonce");
    }
    let code = s.invite("alice").await;
    let reply = s
        .http
        .get(s.url(&format!("/t/1/E/{code}")))
        .send()
        .await
        .expect("sent");
    let page = reply.text().await.expect("page");
    assert!(page.contains("Ouvrez ce lien avec l'application Tigr"));
    assert!(!page.contains(&code));
}

#[tokio::test]
async fn no_secret_is_ever_logged() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let code = s.invite("alice").await;
    let c = s.challenge().await;
    let otp = phone.offline_code(s.origin(), &c);
    let approval = phone.approve(s.origin(), &c);
    let wrong = phone.approve_wrong_pin(s.origin(), &c);
    // Secrets in right and wrong places, good and bad requests.
    s.post(
        &format!("/login/challenges/{}/context", c.id),
        &json!({ "nonce": c.nonce }),
        None,
    )
    .await;
    s.post(
        &format!("/login/challenges/{}/context", c.id),
        &json!({ "nonce": 12 }),
        None,
    )
    .await;
    s.respond(&c, &wrong).await;
    s.offline(&c, &otp, &otp).await;
    s.offline(&c, "alice", &format!("{otp}{otp}{otp}{otp}{otp}"))
        .await;
    s.post("/enrollments/lookup", &json!({ "code": code }), None)
        .await;
    s.http
        .get(s.url(&format!("/t/1/L/{}/{}/{}", c.id, c.nonce, c.expires_at)))
        .send()
        .await
        .expect("sent");
    s.offline(&c, "alice", &otp).await;
    s.respond(&c, &approval).await;
    let logs = logs();
    assert!(
        logs.contains(&c.id),
        "sanity: this test's requests were logged"
    );
    let secrets = [
        c.nonce.clone(),
        c.token.clone(),
        otp,
        code,
        approval["signature"].as_str().expect("sig").to_owned(),
        wrong["signature"].as_str().expect("sig").to_owned(),
        tigr_core::wire::b64_encode(&phone.secret),
    ];
    for secret in secrets {
        assert!(!logs.contains(&secret), "secret {secret} found in the logs");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https_and_only_then() {
    let https = TestServer::start_with(|c| {
        c.public_url =
            Some(tigr_core::payload::Origin::parse("https://auth.example.fr").expect("origin"));
    })
    .await;
    let plain = TestServer::start().await;
    for path in ["/healthz", "/login", "/api/v1/nope", "/static/tigr.css"] {
        let reply = https.http.get(https.url(path)).send().await.expect("sent");
        assert_eq!(
            reply
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
        let reply = plain.http.get(plain.url(path)).send().await.expect("sent");
        assert!(
            reply.headers().get("strict-transport-security").is_none(),
            "{path} over a plain http public URL"
        );
    }
}
