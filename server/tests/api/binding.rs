//! docs/security.md "Browser binding", nonce and origin binding, context before the PIN, and
//! the browser's view (status, long poll, QR images).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{Challenge, TestServer, read};

#[tokio::test]
async fn wrong_nonce_is_an_unknown_challenge() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let other = s.challenge().await;
    for nonce in [other.nonce.as_str(), "", "x"] {
        let (status, body) = s
            .post(
                &format!("/login/challenges/{}/context", c.id),
                &json!({ "nonce": nonce }),
                None,
            )
            .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"], "unknown_challenge");
    }
    assert_eq!(
        s.state(&c).await,
        "pending",
        "a wrong nonce changes nothing"
    );
    let (status, _) = s
        .post(
            "/login/challenges/AAAAAAAAAAAAAAAAAAAAAAAAAA/context",
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 200);
    s.wait_for_state(&c, "scanned").await;
}

#[tokio::test]
async fn only_the_browser_that_created_a_challenge_can_read_or_complete_it() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let other = s.challenge().await;
    let status_path = format!("/login/challenges/{}/status", c.id);
    for token in [None, Some(other.token.as_str()), Some(""), Some("garbage")] {
        let (status, body) = s.get(&status_path, token).await;
        assert_eq!(status, 403, "{token:?}: {body}");
        assert_eq!(body["error"], "browser_mismatch");
        for image in ["qr.svg", "qr.png"] {
            let (status, _) = s
                .get(&format!("/login/challenges/{}/{image}", c.id), token)
                .await;
            assert_eq!(status, 403);
        }
    }
    // The right offline code from another browser does nothing.
    let code = phone.offline_code(s.origin(), &c);
    let body = json!({ "tigr_id": "alice", "otp": code });
    let path = format!("/login/challenges/{}/offline", c.id);
    for token in [None, Some(other.token.as_str())] {
        let (status, reply) = s.post(&path, &body, token).await;
        assert_eq!(status, 403, "{reply}");
        assert_eq!(reply["error"], "browser_mismatch");
    }
    assert_eq!(s.state(&c).await, "pending");
    // The phone's approval completes the challenge only for its own browser.
    assert_eq!(s.respond(&c, &phone.approve(s.origin(), &c)).await.0, 200);
    assert_eq!(s.get(&status_path, Some(&other.token)).await.0, 403);
    assert_eq!(s.state(&c).await, "approved");
    assert_eq!(s.state(&other).await, "pending");
}

#[tokio::test]
async fn signatures_made_for_another_origin_or_challenge_are_refused() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    // A QR relayed from a phishing site: the phone signs the origin it read.
    let (status, body) = s
        .respond(&c, &phone.approve("https://evil.example", &c))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["attempts_left"], 4);
    let (status, _) = s
        .offline(&c, "alice", &phone.offline_code("https://evil.example", &c))
        .await;
    assert_eq!(status, 401);
    // A signature for one challenge does not approve another.
    let other = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &other)).await;
    assert_eq!(status, 401);
    // A denial signature is not an approval.
    let (status, _) = s.respond(&c, &phone.deny(s.origin(), &c)).await;
    assert_eq!(status, 401);
    assert_eq!(s.state(&c).await, "pending");
}

#[tokio::test]
async fn the_phone_sees_the_context_before_the_pin() {
    let s = TestServer::start_with(|c| c.service_name = "ESEA Nouvelle-Aquitaine".into()).await;
    let reply = s
        .http
        .post(s.api("/login/challenges"))
        .header(
            "user-agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        )
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    let (status, created) = read(reply).await;
    assert_eq!(status, 201);
    let c = Challenge::from_created(&created);
    let (status, context) = s
        .post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["challenge_id"], c.id.as_str());
    assert_eq!(context["service_name"], "ESEA Nouvelle-Aquitaine");
    assert_eq!(
        context["server_host"],
        format!("127.0.0.1:{}", s.server.addr.port())
    );
    assert_eq!(context["browser_ip"], "127.0.0.1");
    assert_eq!(context["browser_summary"], "Firefox 133 · Windows");
    assert_eq!(context["expires_at"], c.expires_at);
    assert_eq!(
        context["created_at"].as_i64().expect("created_at") + 120,
        c.expires_at
    );
    // Unknown browser, in the phone's language.
    let c = s.challenge().await;
    let path = format!("/login/challenges/{}/context", c.id);
    let (_, fr) = s.post(&path, &json!({ "nonce": c.nonce }), None).await;
    assert_eq!(fr["browser_summary"], "Navigateur inconnu");
    let (_, en) = s
        .post_lang(&path, &json!({ "nonce": c.nonce }), None, Some("en"))
        .await;
    assert_eq!(en["browser_summary"], "Unknown browser");
}

/// The phone shows the context without waiting for the scan to be written: with the
/// database's write lock held elsewhere (another instance, an administrator's command), the
/// context is answered while the challenge is still `pending`; the browser sees it `scanned`
/// once the lock is let go, and the phone's approval goes through. (When the context waited
/// for the scan, it waited for the lock: on SQLite 5 s, then 500; on PostgreSQL for good.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_context_does_not_wait_for_the_scan_to_be_written() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let mut held = s.hold_write_lock().await;
    if s.on_postgres() {
        // The scan is one statement outside any transaction, which the instances' lock
        // does not hold back: its row's lock does.
        sqlx::query("SELECT id FROM challenges WHERE id = $1 FOR UPDATE")
            .bind(&c.id)
            .execute(&mut *held)
            .await
            .expect("the challenge's row");
    }
    let path = format!("/login/challenges/{}/context", c.id);
    // (The limit only ends a test that would hang; it measures nothing.)
    let (status, context) = tokio::time::timeout(
        Duration::from_secs(60),
        s.post(&path, &json!({ "nonce": c.nonce }), None),
    )
    .await
    .expect("the context is answered while the lock is held");
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["challenge_id"], c.id.as_str());
    assert_eq!(
        s.state(&c).await,
        "pending",
        "not written while the lock is held"
    );
    held.rollback().await.expect("let go");
    s.wait_for_state(&c, "scanned").await;
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.state(&c).await, "approved");
}

#[tokio::test]
async fn forwarded_address_is_used_only_behind_a_trusted_proxy() {
    for (trust, expected) in [(false, "127.0.0.1"), (true, "203.0.113.9")] {
        let s = TestServer::start_with(|c| c.trust_proxy = trust).await;
        let reply = s
            .http
            .post(s.api("/login/challenges"))
            .header("x-forwarded-for", "203.0.113.9")
            .json(&json!({}))
            .send()
            .await
            .expect("sent");
        let c = Challenge::from_created(&read(reply).await.1);
        let (_, context) = s
            .post(
                &format!("/login/challenges/{}/context", c.id),
                &json!({ "nonce": c.nonce }),
                None,
            )
            .await;
        assert_eq!(context["browser_ip"], expected);
    }
}

#[tokio::test]
async fn this_was_not_me_denies_and_is_audited() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let (status, body) = s
        .post(
            &format!("/login/challenges/{}/deny", c.id),
            &phone.deny(s.origin(), &c),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "state": "denied", "account": "alice" }));
    let (_, status) = s
        .get(
            &format!("/login/challenges/{}/status", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(status["state"], "denied");
    assert!(status.get("account").is_none(), "a denial logs nobody in");
    assert_eq!(s.respond(&c, &phone.approve(s.origin(), &c)).await.0, 409);
    let db = s.db().await;
    let denied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit WHERE event = 'denied' AND account_id = 'alice' \
         AND challenge_id = $1",
    )
    .bind(&c.id)
    .fetch_one(&db)
    .await
    .expect("count");
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_the_phone_approves() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let started = Instant::now();
    let poll_path = format!("/login/challenges/{}/status?wait=20", c.id);
    let poll = s.get(&poll_path, Some(&c.token));
    let phone_side = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Scanning alone does not end the wait.
        s.post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        s.respond(&c, &phone.approve(s.origin(), &c)).await
    };
    let ((status, body), (approved, _)) = tokio::join!(poll, phone_side);
    assert_eq!(approved, 200);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "approved");
    assert_eq!(body["account"], "alice");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn long_poll_times_out_with_the_current_state() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let started = Instant::now();
    let (status, body) = s
        .get(
            &format!("/login/challenges/{}/status?wait=1", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "pending");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let (status, body) = s
        .get(
            &format!("/login/challenges/{}/status?wait=soon", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn qr_images_carry_the_payload() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    for (image, content_type) in [("qr.svg", "image/svg+xml"), ("qr.png", "image/png")] {
        let reply = s
            .http
            .get(s.api(&format!("/login/challenges/{}/{image}", c.id)))
            .header("x-tigr-browser-token", &c.token)
            .send()
            .await
            .expect("sent");
        assert_eq!(reply.status().as_u16(), 200);
        assert_eq!(reply.headers()["content-type"], content_type);
        assert_eq!(reply.headers()["cache-control"], "no-store");
        let bytes = reply.bytes().await.expect("body");
        assert!(bytes.len() > 100);
    }
}

#[tokio::test]
async fn identifiers_are_fresh_128_bit_values() {
    let s = TestServer::start().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..25 {
        let c = s.challenge().await;
        for value in [&c.id, &c.nonce, &c.token] {
            assert!(tigr_core::ids::is_valid_id(value), "{value}");
            assert!(seen.insert(value.clone()), "repeated value {value}");
        }
    }
}

#[tokio::test]
async fn shutdown_releases_waiting_browsers_at_once() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let http = s.http.clone();
    let url = s.api(&format!("/login/challenges/{}/status?wait=30", c.id));
    let token = c.token.clone();
    let poll = tokio::spawn(async move {
        read(
            http.get(url)
                .header("x-tigr-browser-token", token)
                .send()
                .await
                .expect("sent"),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    s.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (status, body) = poll.await.expect("poll task");
    assert_eq!(status, 200);
    assert_eq!(body["state"], "pending");
}
