//! docs/security.md "Lockout".

use serde_json::json;

use crate::common::{TestServer, wrong_code};

#[tokio::test]
async fn five_failures_count_down_then_block() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let mut left = Vec::new();
    for _ in 0..4 {
        let (status, body) = s
            .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_response");
        left.push(body["attempts_left"].as_u64().expect("attempts_left"));
    }
    assert_eq!(left, [4, 3, 2, 1]);
    let (status, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(status, 423, "{body}");
    assert_eq!(body["error"], "account_blocked");
    assert_eq!(body["attempts_left"], 0);
    // A temporary block (15 min by default): the phone learns when it ends.
    let phone_until = body["blocked_until"].as_i64().expect("blocked_until");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Réessayez dans 15 min"),
        "{body}"
    );
    // The browser showing this QR learns that the login ended on a (15 min) block.
    let (status, body) = s
        .get(
            &format!("/login/challenges/{}/status", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "blocked", "{body}");
    let until = body["blocked_until"].as_i64().expect("blocked_until");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    assert!((now + 890..=now + 910).contains(&until), "{until} vs {now}");
    assert_eq!(
        phone_until, until,
        "the phone and the browser see the same end"
    );

    let db = s.db().await;
    let (failed, blocked): (i64, Option<i64>) =
        sqlx::query_as("SELECT failed_attempts, blocked_at FROM accounts WHERE id = 'alice'")
            .fetch_one(&db)
            .await
            .expect("row");
    assert_eq!(failed, 5);
    assert!(blocked.is_some());
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit WHERE account_id = 'alice' ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("audit");
    assert_eq!(
        events.iter().filter(|e| *e == "response_failed").count(),
        5,
        "{events:?}"
    );
    assert!(events.contains(&"account_blocked".to_owned()), "{events:?}");
}

#[tokio::test]
async fn correct_response_while_blocked_is_refused() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    // The right signature, on the same and on a new challenge: still refused, and the
    // login ends "blocked" (never approved).
    for c in [c.clone(), s.challenge().await] {
        let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
        assert_eq!(status, 423, "{body}");
        assert_eq!(body["error"], "account_blocked");
        assert_eq!(body["attempts_left"], 0);
        assert_eq!(s.state(&c).await, "blocked", "nothing approved");
    }
    // The right offline code too.
    let c = s.challenge().await;
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 423, "{body}");
    assert_eq!(body["attempts_left"], 0);
    assert_eq!(s.state(&c).await, "blocked");
}

#[tokio::test]
async fn new_challenge_does_not_reset_the_counter() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let first = s.challenge().await;
    for _ in 0..2 {
        s.respond(&first, &phone.approve_wrong_pin(s.origin(), &first))
            .await;
    }
    let second = s.challenge().await;
    let (status, body) = s
        .respond(&second, &phone.approve_wrong_pin(s.origin(), &second))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["attempts_left"], 2, "{body}");
}

#[tokio::test]
async fn success_resets_the_counter() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..4 {
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    // A failure does not consume the challenge: the user retypes the PIN.
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "state": "approved", "account": "alice" }));
    let next = s.challenge().await;
    let (status, body) = s
        .respond(&next, &phone.approve_wrong_pin(s.origin(), &next))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["attempts_left"], 4, "{body}");
}

#[tokio::test]
async fn offline_failures_share_the_counter_and_unknown_ids_count_nothing() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let right = phone.offline_code(s.origin(), &c);

    // Unknown Tigr ID: refused like a wrong code, without attempts_left, nothing counted.
    for id in ["bob", "Not An Id!", ""] {
        let (status, body) = s.offline(&c, id, &right).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_response");
        assert!(body.get("attempts_left").is_none(), "{body}");
    }
    let (status, body) = s.offline(&c, "alice", &wrong_code(&right)).await;
    assert_eq!(status, 401);
    assert_eq!(body["attempts_left"], 4, "{body}");
    // Signature failures and offline failures are one counter.
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 3, "{body}");
    for expected in [2, 1] {
        let (_, body) = s.offline(&c, "alice", "00000000").await;
        assert_eq!(body["attempts_left"], expected, "{body}");
    }
    let (status, body) = s.offline(&c, "alice", "12345678").await;
    assert_eq!(status, 423, "{body}");
    // Blocked: the right code is refused, and the login ended on the block.
    let (status, _) = s.offline(&c, "alice", &right).await;
    assert_eq!(status, 423);
    assert_eq!(s.state(&c).await, "blocked");
}

#[tokio::test]
async fn offline_code_typed_with_spaces_and_capitals_is_accepted() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let code = phone.offline_code(s.origin(), &c);
    let typed = format!("{} {}", &code[..4], &code[4..]);
    let (status, body) = s.offline(&c, " Alice ", &typed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "state": "approved", "account": "alice" }));
    assert_eq!(s.state(&c).await, "approved");
}

#[tokio::test]
async fn bad_denials_are_refused_but_not_counted() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..6 {
        let (status, body) = s
            .post(
                &format!("/login/challenges/{}/deny", c.id),
                &phone.deny_wrong_key(s.origin(), &c),
                None,
            )
            .await;
        assert_eq!(status, 401, "{body}");
        assert!(body.get("attempts_left").is_none());
    }
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4, "{body}");
}

#[tokio::test]
async fn threshold_is_configurable() {
    let s = TestServer::start_with(|c| c.lockout_threshold = 2).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 1);
    let (status, _) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(status, 423);
}
