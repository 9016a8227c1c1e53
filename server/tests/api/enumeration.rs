//! docs/security.md "Account enumeration": nothing a browser sees of the offline form tells
//! an enrolled Tigr ID from an unknown, disabled or phone-less one, or one whose phone was
//! revoked or is blocked — the same statuses, bodies, attempts left and pause, through the
//! JSON API, the page's script and the plain HTML form, over real HTTP; and every reply
//! leaves no sooner than the paced reply time, so that the work behind it does not show.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tigr_core::clock::FixedClock;
use tigr_server::admin::{Actor, AdminService, NewAccount, Role};
use tigr_server::config::DEFAULT_OFFLINE_REPLY_TIME;

use crate::browser::Tab;
use crate::common::{Challenge, TestServer};

const T0: i64 = 1_800_000_000;

/// A wrong code (no code is right for most of the IDs below).
const WRONG: &str = "00000000";

/// Attempts per Tigr ID: the 5th pauses, the 6th and 7th meet the pause.
const ATTEMPTS: usize = 7;

/// A server at a fixed time (every reply's times are equal), with one Tigr ID in each
/// state; returns the server and the IDs, enrolled first.
async fn server_with_every_kind_of_id() -> (TestServer, Vec<&'static str>) {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let admin = AdminService::open(s.config()).await.expect("admin");
    let actor = Actor::cli("tester");
    s.enroll("enrolled").await;
    s.enroll("disabled").await;
    admin
        .disable_account(&actor, "disabled", None)
        .await
        .expect("disable");
    admin
        .create_account(
            &actor,
            NewAccount {
                id: "phoneless".into(),
                display_name: "Sans téléphone".into(),
                email: None,
                role: Role::User,
            },
        )
        .await
        .expect("account without a phone");
    s.enroll("revoked").await;
    admin
        .revoke_phone(&actor, "revoked", None)
        .await
        .expect("revoke");
    let blocked = s.enroll("blocked").await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.respond(&c, &blocked.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    admin.close().await;
    let ids = vec![
        "enrolled",
        "unknown",
        "disabled",
        "phoneless",
        "revoked",
        "blocked",
    ];
    (s, ids)
}

/// The replies to [`ATTEMPTS`] wrong codes for `id` through the JSON API.
async fn api_replies(s: &TestServer, id: &str) -> Vec<(u16, Value)> {
    let c = s.challenge().await;
    let mut replies = Vec::new();
    for _ in 0..ATTEMPTS {
        replies.push(s.offline(&c, id, WRONG).await);
    }
    replies
}

/// The replies to [`ATTEMPTS`] wrong codes for `id` through the login page: the script's
/// JSON (`json`) or the plain form's HTML, with what differs between two pages whatever
/// the ID (challenge, tokens, QR, the ID echoed back) replaced by placeholders.
async fn page_replies(s: &TestServer, id: &str, json: bool) -> Vec<(u16, String, String)> {
    let mut tab = Tab::new(s);
    let page = tab.login_page("?mode=offline").await;
    let mut replies = Vec::new();
    for _ in 0..ATTEMPTS {
        let fields = [
            ("challenge_id", page.challenge.id.as_str()),
            ("tigr_id", id),
            ("otp", WRONG),
            ("csrf", page.csrf.as_str()),
        ];
        let reply = if json {
            tab.post("/login/offline", &fields, Some(&page.csrf)).await
        } else {
            tab.submit("/login/offline", &fields, Some(&tab.origin()))
                .await
        };
        let body = reply
            .body
            .replace(&page.challenge.id, "CHALLENGE")
            .replace(&page.challenge.nonce, "NONCE")
            .replace(&page.csrf, "CSRF")
            .replace(&format!("value=\"{id}\""), "value=\"ID\"");
        let body = match (body.find("<svg"), body.find("</svg>")) {
            (Some(start), Some(end)) => format!("{}QR{}", &body[..start], &body[end..]),
            _ => body,
        };
        let mut headers: Vec<String> = reply
            .headers
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "date" | "content-length"))
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("?")))
            .collect();
        headers.sort();
        replies.push((reply.status, headers.join("\n"), body));
    }
    replies
}

#[tokio::test]
async fn the_json_api_answers_every_tigr_id_alike() {
    let (s, ids) = server_with_every_kind_of_id().await;
    let enrolled = api_replies(&s, ids[0]).await;
    // The sequence itself: counted, then paused (until the same time for all).
    let statuses: Vec<u16> = enrolled.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 423, 423, 423]);
    let left: Vec<&Value> = enrolled.iter().map(|(_, b)| &b["attempts_left"]).collect();
    assert_eq!(
        left,
        [
            &json!(4),
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(0),
            &json!(0),
            &json!(0)
        ]
    );
    assert_eq!(enrolled[4].1["error"], "offline_paused");
    assert_eq!(enrolled[6].1["blocked_until"], T0 + 900);
    for id in &ids[1..] {
        assert_eq!(
            api_replies(&s, id).await,
            enrolled,
            "{id} differs from an enrolled ID"
        );
    }
}

#[tokio::test]
async fn the_login_page_answers_every_tigr_id_alike_to_its_script_and_to_a_plain_form() {
    for json in [true, false] {
        // A new server each time: the first pass paused every ID.
        let (s, ids) = server_with_every_kind_of_id().await;
        let enrolled = page_replies(&s, ids[0], json).await;
        let statuses: Vec<u16> = enrolled.iter().map(|(status, ..)| *status).collect();
        assert_eq!(
            statuses,
            [401, 401, 401, 401, 423, 423, 423],
            "json: {json}"
        );
        let paused = &enrolled[ATTEMPTS - 1].2;
        assert!(
            paused.contains("Saisie hors connexion suspendue pour ce compte jusqu"),
            "{paused}"
        );
        if !json {
            assert!(
                paused.contains("<form class=\"offline-form\""),
                "the page again"
            );
        }
        for id in &ids[1..] {
            let replies = page_replies(&s, id, json).await;
            for (n, (theirs, ours)) in replies.iter().zip(&enrolled).enumerate() {
                assert_eq!(theirs, ours, "{id}, attempt {}, json: {json}", n + 1);
            }
        }
    }
}

/// The reply time is paced (login/pacing.rs, whose tests check the exact times in a paused
/// clock): through real HTTP, no offline reply — wrong codes counted then met by the pause,
/// for each kind of Tigr ID, and a right code — comes back sooner than the default reply
/// time.
#[tokio::test]
async fn no_offline_reply_comes_back_before_the_paced_reply_time() {
    let (s, ids) = server_with_every_kind_of_id().await;
    let timed = async |c: &Challenge, id: &str, code: &str| {
        let start = Instant::now();
        let (status, _) = s.offline(c, id, code).await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= DEFAULT_OFFLINE_REPLY_TIME,
            "{id}: {status} after {elapsed:?}, sooner than {DEFAULT_OFFLINE_REPLY_TIME:?}"
        );
        status
    };
    for id in ids {
        let c = s.challenge().await;
        let mut statuses = Vec::new();
        for _ in 0..ATTEMPTS {
            statuses.push(timed(&c, id, WRONG).await);
        }
        assert_eq!(statuses, [401, 401, 401, 401, 423, 423, 423], "{id}");
    }
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let right = phone.offline_code(s.origin(), &c);
    assert_eq!(timed(&c, "alice", &right).await, 200);
}

/// `TIGR_OFFLINE_REPLY_TIME` sets the reply time (for a database slower than the default
/// allows for): with 150 ms, an unknown ID's refusal and a right code both come back no
/// sooner than that.
#[tokio::test]
async fn a_configured_reply_time_holds_every_offline_reply() {
    let reply_time = Duration::from_millis(150);
    let s = TestServer::start_with(|c| c.offline_reply_time = reply_time).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let right = phone.offline_code(s.origin(), &c);
    for (id, code, expected) in [("nobody", WRONG, 401), ("alice", right.as_str(), 200)] {
        let start = Instant::now();
        let (status, body) = s.offline(&c, id, code).await;
        let elapsed = start.elapsed();
        assert_eq!(status, expected, "{id}: {body}");
        assert!(
            elapsed >= reply_time,
            "{id}: {status} after {elapsed:?}, sooner than {reply_time:?}"
        );
    }
}
