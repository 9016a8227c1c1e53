//! docs/security.md "Single use", and expiry.

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::FixedClock;

use crate::common::TestServer;

#[tokio::test]
async fn two_simultaneous_valid_responses_give_exactly_one_success() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    for round in 0..20 {
        let c = s.challenge().await;
        let answer = phone.approve(s.origin(), &c);
        let (a, b) = tokio::join!(s.respond(&c, &answer), s.respond(&c, &answer));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let loser = if a.0 == 409 { a.1 } else { b.1 };
        assert_eq!(loser["error"], "challenge_used");
    }
    let db = s.db().await;
    let approvals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE event = 'approved'")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(approvals, 20);
}

#[tokio::test]
async fn simultaneous_online_and_offline_answers_give_one_success() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    for round in 0..10 {
        let c = s.challenge().await;
        let answer = phone.approve(s.origin(), &c);
        let code = phone.offline_code(s.origin(), &c);
        let (a, b) = tokio::join!(s.respond(&c, &answer), s.offline(&c, "alice", &code));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
    }
}

#[tokio::test]
async fn replay_after_success_is_refused() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let answer = phone.approve(s.origin(), &c);
    assert_eq!(s.respond(&c, &answer).await.0, 200);
    let (status, body) = s.respond(&c, &answer).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "challenge_used");
    let (status, _) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 409);
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/deny", c.id),
            &phone.deny(s.origin(), &c),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 409);
    // The browser still sees the approval.
    let (_, body) = s
        .get(
            &format!("/login/challenges/{}/status", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(body["state"], "approved");
    assert_eq!(body["account"], "alice");
}

#[tokio::test]
async fn expired_challenges_are_refused() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|config| config.clock = clock.clone()).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    assert_eq!(c.expires_at, 1_800_000_120);
    clock.advance(119);
    // Still open one second before.
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 200);
    clock.advance(1);
    assert_eq!(s.state(&c).await, "expired");
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "challenge_expired");
    let (status, _) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 410);
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 410);
    // Refusing an expired challenge counts nothing.
    let fresh = s.challenge().await;
    let (_, body) = s
        .respond(&fresh, &phone.approve_wrong_pin(s.origin(), &fresh))
        .await;
    assert_eq!(body["attempts_left"], 4);
}

#[tokio::test]
async fn challenge_lifetime_is_configurable() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|config| {
        config.clock = clock.clone();
        config.challenge_ttl = 30;
    })
    .await;
    let c = s.challenge().await;
    assert_eq!(c.expires_at, 1_800_000_030);
    clock.advance(30);
    assert_eq!(s.state(&c).await, "expired");
}
