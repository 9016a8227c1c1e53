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
