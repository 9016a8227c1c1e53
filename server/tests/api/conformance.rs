//! docs/protocol.md as a client written from it alone would read it: each answer of the
//! spec to a question such a client had to guess, pinned over real HTTP. Also the order of
//! checks of §3.5 beyond the lockout (expired before used; disabled, revoked and blocked in
//! every combination).

use std::sync::Arc;

use serde_json::{Value, json};
use tigr_core::clock::FixedClock;
use tigr_core::payload::{PayloadError, QrPayload};
use tigr_core::wire::b64_encode;
use tigr_server::Config;
use tigr_server::admin::{Actor, AdminService};

use crate::common::{Challenge, Phone, TestServer};

const T0: i64 = 1_800_000_000;

fn admin_actor() -> Actor {
    Actor::cli("tester")
}

/// The status of `c` as its browser reads it.
async fn status(s: &TestServer, c: &Challenge) -> Value {
    let (code, body) = s
        .get(
            &format!("/login/challenges/{}/status", c.id),
            Some(&c.token),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn deny(s: &TestServer, c: &Challenge, answer: &Value) -> (u16, Value) {
    s.post(&format!("/login/challenges/{}/deny", c.id), answer, None)
        .await
}

async fn context(s: &TestServer, c: &Challenge) -> (u16, Value) {
    s.post(
        &format!("/login/challenges/{}/context", c.id),
        &json!({ "nonce": c.nonce }),
        None,
    )
    .await
}

/// The phone channel's counter of `account`.
/// §3.3: `account` only in `approved`; `blocked_until` only in `blocked` (temporary).
#[tokio::test]
async fn the_status_carries_the_account_only_once_approved() {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let keys = |body: &Value| {
        let mut keys: Vec<String> = body.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        keys
    };
    let pending = s.challenge().await;
    assert_eq!(keys(&status(&s, &pending).await), ["expires_at", "state"]);
    let scanned = s.challenge().await;
    context(&s, &scanned).await;
    s.wait_for_state(&scanned, "scanned").await;
    let body = status(&s, &scanned).await;
    assert_eq!(
        (body["state"].as_str(), keys(&body)),
        (
            Some("scanned"),
            vec!["expires_at".to_owned(), "state".to_owned()]
        )
    );
    let approved = s.challenge().await;
    s.respond(&approved, &alice.approve(s.origin(), &approved))
        .await;
    assert_eq!(
        status(&s, &approved).await,
        json!({ "state": "approved", "account": "alice", "expires_at": approved.expires_at })
    );
    let denied = s.challenge().await;
    let (code, _) = deny(&s, &denied, &alice.deny(s.origin(), &denied)).await;
    assert_eq!(code, 200);
    assert_eq!(
        status(&s, &denied).await,
        json!({ "state": "denied", "expires_at": denied.expires_at })
    );
    let blocked = s.challenge().await;
    for _ in 0..5 {
        s.respond(&blocked, &bob.approve_wrong_pin(s.origin(), &blocked))
            .await;
    }
    assert_eq!(
        status(&s, &blocked).await,
        json!({ "state": "blocked", "expires_at": blocked.expires_at, "blocked_until": T0 + 900 }),
        "no account: the browser showing a QR is anyone's"
    );
    clock.advance(121);
    assert_eq!(
        status(&s, &pending).await,
        json!({ "state": "expired", "expires_at": pending.expires_at })
    );
}

/// §3.1: the HTTP layer's own refusals carry the error body with `invalid_request`.
#[tokio::test]
async fn oversized_bodies_unknown_routes_and_wrong_methods_are_invalid_requests() {
    let s = TestServer::start().await;
    let c = s.challenge().await;
    let big = json!({ "nonce": "A".repeat(17 * 1024) });
    let (code, body) = s
        .post(&format!("/login/challenges/{}/context", c.id), &big, None)
        .await;
    assert_eq!(
        (code, body["error"].as_str()),
        (413, Some("invalid_request")),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("16")),
        "{body}"
    );
    let (code, body) = s.get("/login/nothing-here", None).await;
    assert_eq!(
        (code, body["error"].as_str()),
        (404, Some("invalid_request")),
        "{body}"
    );
    let (code, body) = s
        .get(&format!("/login/challenges/{}/response", c.id), None)
        .await;
    assert_eq!(
        (code, body["error"].as_str()),
        (405, Some("invalid_request")),
        "{body}"
    );
    assert!(body.get("attempts_left").is_none() && body.get("blocked_until").is_none());
}

/// §3.4: a wrong denial signature is 401 `invalid_response` without `attempts_left`, and
/// counts nothing; a blocked account may still deny (the identity key needs no PIN, and a
/// denial only ever refuses a login).
#[tokio::test]
async fn denials_are_never_counted_and_a_blocked_account_may_still_deny() {
    let s = TestServer::start().await;
    let alice = s.enroll("alice").await;
    let c = s.challenge().await;
    let (code, body) = deny(&s, &c, &alice.deny_wrong_key(s.origin(), &c)).await;
    assert_eq!(code, 401, "{body}");
    assert_eq!(body["error"], "invalid_response");
    assert!(body.get("attempts_left").is_none(), "{body}");
    assert_eq!(s.failures("alice").await, 0);
    for _ in 0..5 {
        s.respond(&c, &alice.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    let other = s.challenge().await;
    let (code, body) = deny(&s, &other, &alice.deny(s.origin(), &other)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, json!({ "state": "denied", "account": "alice" }));
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit WHERE challenge_id = $1 ORDER BY id")
            .bind(&other.id)
            .fetch_all(&s.db().await)
            .await
            .expect("audit");
    assert_eq!(events, ["denied"]);
}

/// §3.5: a malformed signature (not 64 bytes of base64url) is 400 and counts nothing; an
/// offline code up to 32 characters that is not the right one, whatever its form, is 401
/// and counts; a longer one is 400 and counts nothing.
#[tokio::test]
async fn malformed_signatures_are_400_uncounted_and_malformed_codes_401_counted() {
    let s = TestServer::start().await;
    let alice = s.enroll("alice").await;
    let c = s.challenge().await;
    for signature in ["not base64!", &b64_encode(&[1u8; 63]), ""] {
        let answer =
            json!({ "account": "alice", "device_id": alice.device_id, "signature": signature });
        let (code, body) = s.respond(&c, &answer).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
        assert!(body.get("attempts_left").is_none());
    }
    let (_, body) = s
        .respond(&c, &alice.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4, "nothing counted before: {body}");
    for (otp, left) in [("12ab", 4), ("", 3), ("1234 5678 9", 2)] {
        let (code, body) = s.offline(&c, "alice", otp).await;
        assert_eq!(
            (code, &body["attempts_left"]),
            (401, &json!(left)),
            "{otp:?}: {body}"
        );
    }
    let (code, body) = s.offline(&c, "alice", &"1".repeat(33)).await;
    assert_eq!(
        (code, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (_, body) = s.offline(&c, "alice", "00000000").await;
    assert_eq!(
        body["attempts_left"], 1,
        "the 33 characters counted nothing: {body}"
    );
}

/// §3.5: a device id the account never had (or another account's) is 404 `unknown_account`
/// and counts nothing; only the account's revoked or replaced phone gets 403.
#[tokio::test]
async fn an_unknown_device_id_of_a_real_account_is_404_and_not_counted() {
    let s = TestServer::start().await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let c = s.challenge().await;
    for device_id in ["GEZDGNBVGY3TQOJQGEZDGNBVGY", bob.device_id.as_str()] {
        let stranger = Phone {
            device_id: device_id.to_owned(),
            ..Phone::new("alice")
        };
        let (code, body) = s.respond(&c, &stranger.approve(s.origin(), &c)).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (404, Some("unknown_account")),
            "{body}"
        );
        let (code, body) = deny(&s, &c, &stranger.deny(s.origin(), &c)).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (404, Some("unknown_account")),
            "{body}"
        );
    }
    assert_eq!(s.failures("alice").await, 0);
    let (_, body) = s
        .respond(&c, &alice.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(body["attempts_left"], 4);
}

/// §3.3: `wait` is a number of seconds; over 30 it is taken as 30 (the server's cap, see
/// `login::challenges`' test of it), never refused; anything else is 400.
#[tokio::test]
async fn wait_over_30_is_accepted_and_other_values_refused() {
    let s = TestServer::start().await;
    let alice = s.enroll("alice").await;
    for wait in ["31", "1000000"] {
        let c = s.challenge().await;
        let path = format!("/login/challenges/{}/status?wait={wait}", c.id);
        let poll = s.get(&path, Some(&c.token));
        let approve = async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            s.respond(&c, &alice.approve(s.origin(), &c)).await
        };
        let ((code, body), (approved, _)) = tokio::join!(poll, approve);
        assert_eq!((code, approved), (200, 200), "wait={wait}: {body}");
        assert_eq!(body["state"], "approved", "returned on the decision");
    }
    let c = s.challenge().await;
    for wait in ["-1", "abc", "1.5", "99999999999999999999999"] {
        let (code, body) = s
            .get(
                &format!("/login/challenges/{}/status?wait={wait}", c.id),
                Some(&c.token),
            )
            .await;
        assert_eq!(
            (code, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{wait}"
        );
    }
}

/// §1, §2, §3.4: the QR, `server_host` and `browser_summary` as the spec writes them: the
/// canonical origin (lower-case host, no default port, no trailing slash) even when the
/// configuration spells it otherwise; the host as shown; the browser as "Name major ·
/// System", or "unknown browser" in the phone's language.
#[tokio::test]
async fn the_qr_and_the_context_have_the_forms_of_the_spec() {
    let written = Config::from_sources(None, &|name| {
        (name == "TIGR_PUBLIC_URL").then(|| "https://auth.example.fr:443/".to_owned())
    })
    .expect("config")
    .public_url;
    let s = TestServer::start_with(|c| c.public_url = written).await;
    let (code, created) = s.post("/login/challenges", &json!({}), None).await;
    assert_eq!(code, 201);
    let payload = created["qr_payload"].as_str().expect("payload");
    assert!(
        payload.starts_with("https://auth.example.fr/t/1/L/"),
        "{payload}"
    );
    let parsed = QrPayload::parse(payload).expect("valid");
    assert_eq!(
        parsed.to_string(),
        payload,
        "canonical: parsing writes it back as is"
    );
    // A phone reads the origin only as servers write it: the same code with its origin
    // spelt otherwise is refused, except an explicit default port, read as absent.
    let body = &payload["https://auth.example.fr".len()..];
    let with_port = QrPayload::parse(&format!("https://auth.example.fr:443{body}"))
        .expect("explicit default port");
    assert_eq!(with_port.to_string(), payload);
    for (odd, expected) in [
        (
            format!("https://Auth.Example.FR{body}"),
            PayloadError::BadOrigin("bad host name"),
        ),
        (
            format!("https://auth.example.fr/{body}"),
            PayloadError::BadOrigin("bad host name"),
        ),
        (
            format!("{payload}/"),
            PayloadError::BadField("login code layout"),
        ),
        (payload.replace("/t/1/", "/t/01/"), PayloadError::NotTigr),
        (payload.replace("/t/1/", "/t/0/"), PayloadError::NotTigr),
        (
            payload.replace("/t/1/", "/t/2/"),
            PayloadError::UnsupportedVersion("2".into()),
        ),
    ] {
        assert_eq!(QrPayload::parse(&odd), Err(expected), "{odd}");
    }
    let c = Challenge::from_created(&created);
    let (code, context) = context(&s, &c).await;
    assert_eq!(code, 200, "{context}");
    assert_eq!(context["server_host"], "auth.example.fr");
    assert_eq!(context["browser_summary"], "Navigateur inconnu");
    // A browser that says who it is, and a phone that reads English.
    let created = s
        .http
        .post(s.api("/login/challenges"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/131.0.0.0 Safari/537.36",
        )
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    let c = Challenge::from_created(&created.json::<Value>().await.expect("json"));
    let (_, context) = s
        .post_lang(
            &format!("/login/challenges/{}/context", c.id),
            &json!({ "nonce": c.nonce }),
            None,
            Some("en"),
        )
        .await;
    assert_eq!(context["browser_summary"], "Chrome 131 · Linux");
    let anonymous = s.challenge().await;
    let (_, context) = s
        .post_lang(
            &format!("/login/challenges/{}/context", anonymous.id),
            &json!({ "nonce": anonymous.nonce }),
            None,
            Some("en"),
        )
        .await;
    assert_eq!(context["browser_summary"], "Unknown browser");
}

/// §3.5: expired (410) is checked before decided (409), and before the account: an answer
/// after the expiry is late whatever became of the challenge and whoever answers.
#[tokio::test]
async fn expired_is_checked_before_used_and_before_the_account() {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let alice = s.enroll("alice").await;
    let approved = s.challenge().await;
    let (code, _) = s
        .respond(&approved, &alice.approve(s.origin(), &approved))
        .await;
    assert_eq!(code, 200);
    let denied = s.challenge().await;
    let (code, _) = deny(&s, &denied, &alice.deny(s.origin(), &denied)).await;
    assert_eq!(code, 200);
    // Before the expiry: decided, 409.
    let (code, body) = s
        .respond(&approved, &alice.approve(s.origin(), &approved))
        .await;
    assert_eq!(
        (code, body["error"].as_str()),
        (409, Some("challenge_used"))
    );
    clock.advance(120);
    for c in [&approved, &denied] {
        let (code, body) = s.respond(c, &alice.approve(s.origin(), c)).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (410, Some("challenge_expired")),
            "{body}"
        );
        let (code, _) = deny(&s, c, &alice.deny(s.origin(), c)).await;
        assert_eq!(code, 410);
        let (code, _) = context(&s, c).await;
        assert_eq!(code, 410);
        let (code, _) = s
            .offline(c, "alice", &alice.offline_code(s.origin(), c))
            .await;
        assert_eq!(code, 410);
        // Whoever answers: an unknown account too.
        let (code, _) = s
            .respond(c, &Phone::new("nobody").approve(s.origin(), c))
            .await;
        assert_eq!(code, 410);
    }
    // The browser still learns the decision.
    assert_eq!(status(&s, &approved).await["state"], "approved");
    assert_eq!(status(&s, &denied).await["state"], "denied");
}

/// §3.5: the account (404) before its phone (403) before the lockout (423): disabled,
/// revoked and blocked in every combination, the right answer each time, nothing counted
/// and nothing ended. Each phone logs in once first, so the server holds it as usable in
/// memory (`storage/devices.rs`) when another store — as the command line would, from
/// another process — disables or revokes behind its back.
#[tokio::test]
async fn disabled_revoked_and_blocked_in_every_combination() {
    let s = TestServer::start().await;
    let admin = AdminService::open(s.config()).await.expect("admin");
    // (account, disabled, revoked, blocked, expected status, expected error)
    let cases: [(&str, bool, bool, bool, u16, &str); 7] = [
        ("d", true, false, false, 404, "unknown_account"),
        ("r", false, true, false, 403, "device_revoked"),
        ("b", false, false, true, 423, "account_blocked"),
        ("dr", true, true, false, 404, "unknown_account"),
        ("db", true, false, true, 404, "unknown_account"),
        ("rb", false, true, true, 403, "device_revoked"),
        ("drb", true, true, true, 404, "unknown_account"),
    ];
    for (account, disabled, revoked, blocked, status, error) in cases {
        let phone = s.enroll(account).await;
        let first = s.challenge().await;
        let (code, body) = s.respond(&first, &phone.approve(s.origin(), &first)).await;
        assert_eq!(code, 200, "{account}: {body}");
        if blocked {
            let c = s.challenge().await;
            for _ in 0..5 {
                s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
                    .await;
            }
        }
        if revoked {
            admin
                .revoke_phone(&admin_actor(), account, None)
                .await
                .expect("revoke");
        }
        if disabled {
            admin
                .disable_account(&admin_actor(), account, None)
                .await
                .expect("disable");
        }
        let counted = s.failures(account).await;
        let c = s.challenge().await;
        let (code, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (status, Some(error)),
            "{account}: {body}"
        );
        let (code, _) = s
            .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
        assert_eq!(code, status, "{account}: a wrong answer gets the same");
        assert_eq!(
            s.failures(account).await,
            counted,
            "{account}: nothing counted"
        );
        let ended = s.state(&c).await;
        // Only a blocked account's answer ends the challenge (`blocked`); the others
        // leave it open.
        let expected = if status == 423 { "blocked" } else { "pending" };
        assert_eq!(ended, expected, "{account}");
    }
}
