//! Enrollment: one phone per account, single-use expiring codes, validation.

use std::sync::Arc;

use serde_json::json;
use tigr_core::clock::FixedClock;

use crate::common::{Phone, TestServer, random_key};

#[tokio::test]
async fn enrolling_a_new_phone_revokes_the_old_one() {
    let s = TestServer::start().await;
    let old = s.enroll("alice").await;
    let new = s.enroll("alice").await;
    assert_ne!(old.device_id, new.device_id);

    let c = s.challenge().await;
    for _ in 0..6 {
        let (status, body) = s.respond(&c, &old.approve(s.origin(), &c)).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"], "device_revoked");
    }
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/deny", c.id),
            &old.deny(s.origin(), &c),
            None,
        )
        .await;
    assert_eq!(status, 403);
    // The old phone's offline code no longer works either (the new secret is used).
    let (status, body) = s
        .offline(&c, "alice", &old.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["attempts_left"], 4,
        "revoked-device refusals were not counted"
    );
    let (status, _) = s.respond(&c, &new.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);

    let db = s.db().await;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, revoked_reason FROM devices WHERE account_id = 'alice' ORDER BY enrolled_at, revoked_at IS NULL",
    )
    .fetch_all(&db)
    .await
    .expect("devices");
    assert_eq!(
        rows,
        [
            (old.device_id.clone(), Some("replaced".to_owned())),
            (new.device_id.clone(), None)
        ]
    );
    let revoked: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit WHERE event = 'device_revoked' AND device_id = $1",
    )
    .bind(&old.device_id)
    .fetch_one(&db)
    .await
    .expect("count");
    assert_eq!(revoked, 1);
}

#[tokio::test]
async fn an_enrollment_code_works_once() {
    let s = TestServer::start().await;
    let code = s.invite("alice").await;
    let first = Phone::new("alice");
    let second = Phone::new("alice");
    let (one, two) = (first.registration(&code), second.registration(&code));
    let (a, b) = tokio::join!(
        s.post("/enrollments/complete", &one, None),
        s.post("/enrollments/complete", &two, None),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let (status, body) = s
        .post("/enrollments/complete", &first.registration(&code), None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "enrollment_used");
    let (status, body) = s
        .post("/enrollments/lookup", &json!({ "code": code }), None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "enrollment_used");
    let db = s.db().await;
    let devices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(devices, 1);
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM enrollments")
        .fetch_all(&db)
        .await
        .expect("codes");
    assert!(
        stored.iter().all(|h| h.len() == 32 && h != code.as_bytes()),
        "only hashes are stored"
    );
}

#[tokio::test]
async fn an_enrollment_code_expires() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let code = s.invite("alice").await;
    let (status, offer) = s
        .post("/enrollments/lookup", &json!({ "code": code }), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(offer["expires_at"], 1_800_000_900);
    assert_eq!(offer["display_name"], "alice");
    assert_eq!(offer["service_name"], "Tigr");
    assert_eq!(offer["ocra_suite"], tigr_core::offline::OFFLINE_SUITE);
    clock.advance(900);
    let (status, body) = s
        .post("/enrollments/lookup", &json!({ "code": code }), None)
        .await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "enrollment_expired");
    let (status, _) = s
        .post(
            "/enrollments/complete",
            &Phone::new("alice").registration(&code),
            None,
        )
        .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn enrollment_requests_are_validated() {
    let s = TestServer::start().await;
    let (status, body) = s
        .post(
            "/enrollments/lookup",
            &json!({ "code": "AAAAAAAAAAAAAAAAAAAAAAAAAA" }),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "unknown_enrollment");
    let code = s.invite("alice").await;
    let phone = Phone::new("alice");
    let same_key = random_key().public_key();
    let cases = [
        ("approval_key", json!("AAAA")),
        (
            "identity_key",
            json!(tigr_core::wire::b64_encode(&[4u8; 65])),
        ),
        (
            "offline_secret",
            json!(tigr_core::wire::b64_encode(&[1u8; 16])),
        ),
        ("ocra_suite", json!("OCRA-1:HOTP-SHA1-6:QN08")),
        ("device_name", json!("x".repeat(65))),
    ];
    for (field, value) in cases {
        let mut body = phone.registration(&code);
        body[field] = value;
        let (status, reply) = s.post("/enrollments/complete", &body, None).await;
        assert_eq!(status, 400, "{field}: {reply}");
        assert_eq!(reply["error"], "invalid_request");
    }
    let mut body = phone.registration(&code);
    body["approval_key"] = json!(tigr_core::wire::b64_encode(&same_key));
    body["identity_key"] = json!(tigr_core::wire::b64_encode(&same_key));
    assert_eq!(s.post("/enrollments/complete", &body, None).await.0, 400);
    // Invalid requests did not burn the code.
    let (status, _) = s
        .post("/enrollments/complete", &phone.registration(&code), None)
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn unknown_accounts_and_devices_are_not_found() {
    let s = TestServer::start().await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let c = s.challenge().await;
    // Bob's device claimed for alice.
    let mut answer = alice.approve(s.origin(), &c);
    answer["device_id"] = json!(bob.device_id);
    let (status, body) = s.respond(&c, &answer).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "unknown_account");
    let mut answer = alice.approve(s.origin(), &c);
    answer["account"] = json!("carol");
    assert_eq!(s.respond(&c, &answer).await.0, 404);
    // Neither counted.
    let (_, body) = s
        .respond(&c, &alice.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4);
}
