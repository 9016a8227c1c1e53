//! docs/security.md "Lockout" and "Lockout channels".

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::{Clock as _, FixedClock};
use tigr_server::admin::{Actor, AdminService};

use crate::common::{Challenge, Phone, TestServer, wrong_code};

const T0: i64 = 1_800_000_000;

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

/// A server where alice's phone channel is blocked (five wrong PINs on `c`).
async fn blocked_alice() -> (TestServer, Phone, Challenge) {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    (s, phone, c)
}

#[tokio::test]
async fn correct_response_while_blocked_is_refused() {
    let (s, phone, c) = blocked_alice().await;
    // The right signature, on the same and on a new challenge: still refused, and the
    // login ends "blocked" (never approved).
    for c in [c.clone(), s.challenge().await] {
        let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
        assert_eq!(status, 423, "{body}");
        assert_eq!(body["error"], "account_blocked");
        assert_eq!(body["attempts_left"], 0);
        assert_eq!(s.state(&c).await, "blocked", "nothing approved");
    }
    // The right offline code is refused too: while the phone channel is blocked, the
    // offline form accepts no code for the account and answers as it does for any Tigr ID
    // whose codes it does not accept (a wrong code, counted on the offline channel), so
    // that it never tells a blocked account from another. The login is not approved, and
    // its QR stays open.
    let c = s.challenge().await;
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_response");
    assert_eq!(body["attempts_left"], 4);
    assert_eq!(s.state(&c).await, "pending", "not approved");
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

/// Wrong offline codes, which anyone can type from any browser, pause offline codes for the
/// Tigr ID, for longer each time, and never touch the phone channel: the phone's QR login
/// works all along, however many pauses; a QR success does not shorten the next pause.
#[tokio::test]
async fn offline_failures_pause_only_offline_codes_never_the_qr_login() {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let phone = s.enroll("alice").await;
    let mut lengths = Vec::new();
    for round in 0..9 {
        let now = clock.now_unix();
        // An attacker's browser, without the phone.
        let c = s.challenge().await;
        let right = phone.offline_code(s.origin(), &c);
        for left in [4, 3, 2, 1] {
            let (status, body) = s.offline(&c, "alice", &wrong_code(&right)).await;
            assert_eq!(
                (status, &body["attempts_left"]),
                (401, &json!(left)),
                "{body}"
            );
        }
        let (status, body) = s.offline(&c, "alice", &wrong_code(&right)).await;
        assert_eq!(status, 423, "round {round}: {body}");
        assert_eq!(body["error"], "offline_paused");
        assert_eq!(body["attempts_left"], 0);
        let until = body["blocked_until"].as_i64().expect("blocked_until");
        lengths.push(until - now);
        // Even the right code is refused while paused; the challenge stays open.
        let (status, body) = s.offline(&c, "alice", &right).await;
        assert_eq!(
            (status, &body["blocked_until"]),
            (423, &json!(until)),
            "{body}"
        );
        assert_eq!(s.state(&c).await, "pending");
        // The phone's QR login works.
        let qr = s.challenge().await;
        let (status, body) = s.respond(&qr, &phone.approve(s.origin(), &qr)).await;
        assert_eq!(status, 200, "round {round}: {body}");
        clock.advance(until - now);
    }
    assert_eq!(
        lengths,
        [
            900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400
        ]
    );
    // The phone channel counted none of it.
    let c = s.challenge().await;
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4, "{body}");
    let db = s.db().await;
    let count = |event: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit WHERE event = $1")
                .bind(event)
                .fetch_one(&db)
                .await
                .expect("audit")
        }
    };
    assert_eq!(count("offline_paused").await, 9);
    assert_eq!(count("refused_offline_paused").await, 9);
    assert_eq!(count("account_blocked").await, 0);
    let (failed, blocked): (i64, Option<i64>) =
        sqlx::query_as("SELECT failed_attempts, blocked_at FROM accounts WHERE id = 'alice'")
            .fetch_one(&db)
            .await
            .expect("row");
    assert_eq!((failed, blocked), (1, None));
}

/// Two counters: wrong PINs on the phone and wrong offline codes are counted apart, and a
/// success resets its own channel only.
#[tokio::test]
async fn each_channel_counts_its_own_failures_and_a_success_resets_its_own() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    for left in [4, 3] {
        let (_, body) = s
            .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
        assert_eq!(body["attempts_left"], left, "{body}");
    }
    for left in [4, 3, 2] {
        let (_, body) = s.offline(&c, "alice", "00000000").await;
        assert_eq!(body["attempts_left"], left, "{body}");
    }
    // A QR success resets the phone channel, not the offline one.
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
    let c = s.challenge().await;
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4, "phone channel reset: {body}");
    let (_, body) = s.offline(&c, "alice", "00000000").await;
    assert_eq!(body["attempts_left"], 1, "offline channel kept: {body}");
    // A right offline code resets the offline channel, not the phone one.
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 200, "{body}");
    let c = s.challenge().await;
    let (_, body) = s.offline(&c, "alice", "00000000").await;
    assert_eq!(body["attempts_left"], 4, "offline channel reset: {body}");
    let (_, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 3, "phone channel kept: {body}");
}

/// While the phone channel is blocked the offline form accepts no code for the account;
/// an administrator's unblock clears both channels.
#[tokio::test]
async fn an_unblock_clears_both_channels() {
    let (s, phone, _) = blocked_alice().await;
    let c = s.challenge().await;
    let right = phone.offline_code(s.origin(), &c);
    for (otp, left) in [(right.clone(), 4), (wrong_code(&right), 3)] {
        let (status, body) = s.offline(&c, "alice", &otp).await;
        assert_eq!(
            (status, &body["attempts_left"]),
            (401, &json!(left)),
            "{body}"
        );
    }
    let admin = AdminService::open(s.config()).await.expect("admin");
    admin
        .unblock(&Actor::cli("tester"), "alice")
        .await
        .expect("unblock");
    let (status, body) = s.offline(&c, "alice", &wrong_code(&right)).await;
    assert_eq!(
        (status, &body["attempts_left"]),
        (401, &json!(4)),
        "offline counter cleared: {body}"
    );
    let (status, body) = s.offline(&c, "alice", &right).await;
    assert_eq!(status, 200, "{body}");
    let events: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit WHERE event = 'account_unblocked'")
            .fetch_all(&s.db().await)
            .await
            .expect("audit");
    assert_eq!(events.len(), 1);
    assert!(
        events[0].contains("was=temporary") && events[0].contains("offline=open failures=2"),
        "{events:?}"
    );
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

/// A wrong answer from a phone revoked while the server checked it is not counted: the
/// transaction that counts it re-reads the phone. The test holds the database's write lock
/// (as another instance or an administrator's command would) until the answer waits for
/// it, then revokes the phone and lets go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_from_a_phone_revoked_meanwhile_is_not_counted() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let mut held = s.hold_write_lock().await;
    let answered = std::sync::atomic::AtomicBool::new(false);
    let answer = async {
        let reply = s
            .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
        answered.store(true, std::sync::atomic::Ordering::SeqCst);
        reply
    };
    let revoke = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        // Read, signature checked, now waiting for the write lock to count the failure.
        assert!(
            !answered.load(std::sync::atomic::Ordering::SeqCst),
            "the answer waits for the write lock"
        );
        sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2")
            .bind(1_i64)
            .bind(&phone.device_id)
            .execute(&mut *held)
            .await
            .expect("revoke");
        held.commit().await.expect("commit");
    };
    let ((status, body), ()) = tokio::join!(answer, revoke);
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "device_revoked");
    assert_eq!(s.failures("alice").await, 0, "nothing counted");
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
