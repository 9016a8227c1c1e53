//! Rate limits per client address: 429 `rate_limited` with `Retry-After`, nothing changed,
//! and the limit lifts with time.

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::FixedClock;
use tigr_server::ratelimit::{Limit, RateLimits};

use crate::common::TestServer;

#[tokio::test]
async fn offline_guesses_from_one_address_are_slowed_down_and_count_nothing() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    // 8 a minute: bursts of 2, then one every 7.5 s.
    let s = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.rate_limits = RateLimits {
            offline: Limit::per_minute(8),
            ..RateLimits::OFF
        };
    })
    .await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for left in [4, 3] {
        let (status, body) = s.offline(&c, "alice", "00000000").await;
        assert_eq!((status, body["attempts_left"].as_u64()), (401, Some(left)));
    }
    // The third guess at once is refused before anything is checked or counted.
    let response = reqwest::Client::new()
        .post(s.api(&format!("/login/challenges/{}/offline", c.id)))
        .header("x-tigr-browser-token", &c.token)
        .json(&json!({"tigr_id": "alice", "otp": "00000000"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=8).contains(&wait), "{wait}");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Trop de"),
        "{body}"
    );
    // Even the right code waits: nothing was counted meanwhile.
    let right = phone.offline_code(s.origin(), &c);
    let (status, _) = s.offline(&c, "alice", &right).await;
    assert_eq!(status, 429);
    assert_eq!(s.state(&c).await, "pending");

    // Once the wait is over, the next guess is counted as the third failure.
    clock.advance(wait as i64);
    let (status, body) = s.offline(&c, "alice", "00000000").await;
    assert_eq!((status, body["attempts_left"].as_u64()), (401, Some(2)));
    clock.advance(8);
    let (status, body) = s.offline(&c, "alice", &right).await;
    assert_eq!(status, 200, "{body}");

    // Other kinds of request were never limited.
    for _ in 0..20 {
        s.challenge().await;
    }
}

#[tokio::test]
async fn challenge_creation_is_limited_per_address_in_english_too() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.rate_limits = RateLimits {
            challenges: Limit::per_minute(4),
            ..RateLimits::OFF
        };
    })
    .await;
    s.challenge().await;
    let (status, body) = s
        .post_lang("/login/challenges", &json!({}), None, Some("en"))
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Too many"),
        "{body}"
    );
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM challenges")
        .fetch_one(&s.db().await)
        .await
        .expect("count");
    assert_eq!(count, 1, "the refused request created nothing");
    clock.advance(15);
    s.challenge().await;
}

#[tokio::test]
async fn the_login_page_explains_the_wait_in_the_page() {
    let s = TestServer::start_with(|c| {
        c.rate_limits = RateLimits {
            challenges: Limit::per_minute(4),
            ..RateLimits::OFF
        };
    })
    .await;
    let http = reqwest::Client::new();
    let first = http.get(s.url("/login")).send().await.expect("sent");
    assert_eq!(first.status().as_u16(), 200);
    let second = http.get(s.url("/login")).send().await.expect("sent");
    assert_eq!(second.status().as_u16(), 429);
    assert!(second.headers().contains_key("retry-after"));
    assert!(
        second.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let page = second.text().await.expect("page");
    assert!(
        page.contains("Trop de demandes depuis cette adresse"),
        "{page}"
    );
    assert!(
        page.contains("Revenir à la connexion"),
        "a way back: {page}"
    );
}

/// Makes one request of a given route, afresh at each call.
type MakeRequest<'a> = Box<dyn Fn() -> reqwest::RequestBuilder + 'a>;

/// `builder`'s request, sent as if from `address` (through the trusted proxy).
async fn from(address: &str, builder: reqwest::RequestBuilder) -> reqwest::Response {
    builder
        .header("x-forwarded-for", address)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn every_route_that_creates_or_answers_has_its_limit() {
    use crate::browser::Tab;
    use crate::common::Phone;

    let clock = Arc::new(FixedClock::at(1_800_000_000));
    // 8 a minute of each kind: bursts of two (an enrollment is a lookup and a completion),
    // then 7.5 s to wait, and the clock stands still.
    let s = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.trust_proxy = true;
        c.rate_limits = RateLimits {
            challenges: Limit::per_minute(8),
            answers: Limit::per_minute(8),
            offline: Limit::per_minute(8),
            enrollments: Limit::per_minute(8),
        };
    })
    .await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| http.post(s.api(path)).json(&body);
    let code = s.invite("bob").await;
    let bob = Phone::new("bob");
    // Each kind of request from its own address: the burst passes the limit (whatever the
    // answers), the next one at once is refused.
    let routes: Vec<(&str, MakeRequest<'_>)> = vec![
        (
            "context",
            Box::new(|| {
                post(
                    &format!("/login/challenges/{}/context", c.id),
                    json!({ "nonce": c.nonce }),
                )
            }),
        ),
        (
            "response",
            Box::new(|| {
                post(
                    &format!("/login/challenges/{}/response", c.id),
                    phone.approve_wrong_pin(s.origin(), &c),
                )
            }),
        ),
        (
            "deny",
            Box::new(|| {
                post(
                    &format!("/login/challenges/{}/deny", c.id),
                    phone.deny_wrong_key(s.origin(), &c),
                )
            }),
        ),
        (
            "enrollment lookup",
            Box::new(|| post("/enrollments/lookup", json!({ "code": code }))),
        ),
        (
            "enrollment completion",
            Box::new(|| {
                post(
                    "/enrollments/complete",
                    bob.registration("AAAAAAAAAAAAAAAAAAAAAAAAAA"),
                )
            }),
        ),
        (
            "offline code (API)",
            Box::new(|| {
                post(
                    &format!("/login/challenges/{}/offline", c.id),
                    json!({ "tigr_id": "alice", "otp": "00000000" }),
                )
                .header("x-tigr-browser-token", &c.token)
            }),
        ),
    ];
    for (i, (route, request)) in routes.iter().enumerate() {
        let address = format!("192.0.2.{}", 10 + i);
        for n in 1..=2 {
            let passed = from(&address, request()).await;
            assert_ne!(passed.status().as_u16(), 429, "{route}: request {n}");
        }
        let third = from(&address, request()).await;
        assert_eq!(third.status().as_u16(), 429, "{route}: third at once");
        assert!(third.headers().contains_key("retry-after"), "{route}");
        let body: serde_json::Value = third.json().await.expect("JSON");
        assert_eq!(body["error"], "rate_limited", "{route}: {body}");
    }

    // The login page's renewal and offline form: the page comes from one address, its
    // posts from others.
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let page_post = |tab: &Tab, path: &str, fields: &[(&str, &str)]| {
        tab.http
            .post(s.url(path))
            .header("origin", tab.origin())
            .header("accept", "application/json")
            .header("x-csrf-token", &page.csrf)
            .header("cookie", tab.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).expect("form"))
    };
    for (route, path, fields) in [
        ("renewal", "/login/renew", vec![]),
        (
            "offline form",
            "/login/offline",
            vec![
                ("challenge_id", page.challenge.id.as_str()),
                ("tigr_id", "alice"),
                ("otp", "00000000"),
            ],
        ),
    ] {
        let address = format!("198.51.100.{}", path.len());
        for n in 1..=2 {
            let passed = from(&address, page_post(&tab, path, &fields)).await;
            assert_ne!(passed.status().as_u16(), 429, "{route}: request {n}");
            assert_ne!(passed.status().as_u16(), 403, "{route}: a valid post");
        }
        let third = from(&address, page_post(&tab, path, &fields)).await;
        assert_eq!(third.status().as_u16(), 429, "{route}: third at once");
        assert!(third.headers().contains_key("retry-after"), "{route}");
    }
}
