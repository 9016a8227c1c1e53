//! Temporary blocks, their escalation to permanent ones, and unblocking, over HTTP with a
//! fixed clock.

use std::sync::Arc;

use tigr_core::clock::FixedClock;
use tigr_server::Config;
use tigr_server::admin::{AdminError, PageRequest};
use tigr_server::domain::lockout::{BlockReason, LockStatus};
use tigr_server::domain::offline_pause::OfflineStatus;

use crate::common::{Challenge, Phone, TestServer};
use crate::support::{operator, service};

const T0: i64 = 1_800_000_000;

/// A server with a fixed clock, 2 failures per block, and the given block rules.
async fn server(duration: i64, window: i64, permanent_after: u32) -> (TestServer, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c: &mut Config| {
        c.clock = clock.clone();
        c.lockout_threshold = 2;
        c.lockout_duration = duration;
        c.lockout_escalation_window = window;
        c.lockout_permanent_after = permanent_after;
    })
    .await;
    (s, clock)
}

/// Two wrong PINs: the second blocks. Returns the blocking reply.
async fn block(s: &TestServer, phone: &Phone, c: &Challenge) -> serde_json::Value {
    let (status, body) = s.respond(c, &phone.approve_wrong_pin(s.origin(), c)).await;
    assert_eq!(
        (status, body["attempts_left"].as_u64()),
        (401, Some(1)),
        "{body}"
    );
    let (status, body) = s.respond(c, &phone.approve_wrong_pin(s.origin(), c)).await;
    assert_eq!(status, 423, "{body}");
    assert_eq!(body["error"], "account_blocked");
    assert_eq!(body["attempts_left"], 0);
    body
}

#[tokio::test]
async fn a_temporary_block_lifts_by_itself() {
    let (s, clock) = server(60, 0, 0).await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let body = block(&s, &phone, &c).await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Réessayez dans 1 min"),
        "{body}"
    );
    assert_eq!(body["blocked_until"], T0 + 60, "{body}");
    assert_eq!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Temporary {
            since: T0,
            until: T0 + 60,
            reason: BlockReason::TooManyFailures
        }
    );

    // Until the end: even the right answer is refused, the phone's (423) and an offline
    // code on another login (the offline form accepts no code for an account whose phone
    // channel is blocked, and answers as for any Tigr ID whose codes it does not accept).
    clock.advance(59);
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 423);
    let other = s.challenge().await;
    let (status, body) = s
        .offline(&other, "alice", &phone.offline_code(s.origin(), &other))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_response");
    assert_eq!(s.state(&other).await, "pending", "not approved");

    // Then the block lifts, with a fresh counter.
    clock.advance(1);
    assert_eq!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Open { failures: 0 }
    );
    let c = s.challenge().await;
    let (status, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(
        (status, body["attempts_left"].as_u64()),
        (401, Some(1)),
        "{body}"
    );
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_block_soon_after_the_previous_one_is_permanent() {
    let (s, clock) = server(60, 3600, 0).await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    clock.advance(600);
    // Lifted; a success in between does not forget the window.
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
    let c = s.challenge().await;
    let body = block(&s, &phone, &c).await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("Contactez votre administrateur pour le débloquer"),
        "{body}"
    );
    assert!(body.get("blocked_until").is_none(), "permanent: {body}");
    assert_eq!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Permanent {
            since: T0 + 600,
            reason: BlockReason::RepeatedBlocks
        }
    );
    // A day later: still blocked.
    clock.advance(86_400);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 423);

    // The admin sees why and when, and unblocks.
    let blocked = admin
        .blocked_accounts(PageRequest::default())
        .await
        .expect("list");
    assert_eq!(blocked.items.len(), 1);
    assert_eq!(blocked.items[0].account.id, "alice");
    assert!(matches!(
        blocked.items[0].lock,
        LockStatus::Permanent { .. }
    ));
    admin
        .unblock(&operator(), "alice")
        .await
        .expect("unblocked");
    // The login refused while blocked is over; a new QR logs in.
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 409);
    let c = s.challenge().await;
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        admin
            .blocked_accounts(PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );

    // The unblock forgot the history: the next block is a first, temporary one.
    let c = s.challenge().await;
    let body = block(&s, &phone, &c).await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("temporairement")
    );

    let db = s.db().await;
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit WHERE event = 'account_blocked' ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("audit");
    assert_eq!(details.len(), 3);
    assert!(
        details[0].contains(&format!("until={} reason=too_many_failures", T0 + 60)),
        "{details:?}"
    );
    assert!(
        details[1].contains("permanent reason=repeated_blocks"),
        "{details:?}"
    );
    let unblock: (String, Option<String>) =
        sqlx::query_as("SELECT actor, detail FROM audit WHERE event = 'account_unblocked'")
            .fetch_one(&db)
            .await
            .expect("audited");
    assert_eq!(unblock.0, "cli:tester");
    assert!(unblock.1.expect("detail").starts_with("was=permanent"));
}

#[tokio::test]
async fn the_nth_block_without_a_success_is_permanent() {
    let (s, clock) = server(60, 0, 2).await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    clock.advance(2 * 86_400);
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    assert!(matches!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Permanent {
            reason: BlockReason::RepeatedBlocks,
            ..
        }
    ));
    clock.advance(30 * 86_400);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 423);
}

#[tokio::test]
async fn a_success_between_blocks_resets_the_count() {
    let (s, clock) = server(60, 0, 2).await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    clock.advance(60);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    assert!(matches!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Temporary { .. }
    ));
}

#[tokio::test]
async fn duration_zero_means_every_block_is_permanent() {
    let (s, clock) = server(0, 0, 0).await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    block(&s, &phone, &c).await;
    clock.advance(365 * 86_400);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 423);
    assert_eq!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Permanent {
            since: T0,
            reason: BlockReason::TooManyFailures
        }
    );
}

#[tokio::test]
async fn blocked_accounts_are_listed_with_why_and_when_and_unblock_resets_the_counter() {
    let (s, clock) = server(900, 0, 0).await;
    let admin = service(&s).await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let c = s.challenge().await;
    block(&s, &alice, &c).await;
    // Bob: one failure, not blocked. (Alice's block ended her login: for Bob it is over.)
    let (status, _) = s.respond(&c, &bob.approve_wrong_pin(s.origin(), &c)).await;
    assert_eq!(status, 409);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &bob.approve_wrong_pin(s.origin(), &c)).await;
    assert_eq!(status, 401);

    let blocked = admin
        .blocked_accounts(PageRequest::default())
        .await
        .expect("list");
    assert_eq!(blocked.total, 1);
    assert_eq!(
        blocked.items[0].lock,
        LockStatus::Temporary {
            since: T0,
            until: T0 + 900,
            reason: BlockReason::TooManyFailures
        }
    );
    let details = admin.account_details("alice").await.expect("details");
    assert_eq!(details.account.blocked_at, Some(T0));
    assert_eq!(
        details.account.blocked_reason.as_deref(),
        Some("too_many_failures")
    );

    // Unblock resets bob's counter too (nothing blocked, but a failure counted).
    admin
        .unblock(&operator(), "bob")
        .await
        .expect("counter reset");
    let (_, body) = s.respond(&c, &bob.approve_wrong_pin(s.origin(), &c)).await;
    assert_eq!(body["attempts_left"], 1, "full count again: {body}");
    admin
        .unblock(&operator(), "alice")
        .await
        .expect("unblocked");
    let (status, _) = s.respond(&c, &alice.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
    // Nothing left to reset: refused.
    assert!(matches!(
        admin.unblock(&operator(), "alice").await,
        Err(AdminError::NotBlocked(_))
    ));
    assert!(matches!(
        admin.unblock(&operator(), "nobody").await,
        Err(AdminError::UnknownAccount(_))
    ));

    // A temporary block that ended is no longer listed.
    let c = s.challenge().await;
    block(&s, &alice, &c).await;
    clock.advance(900);
    assert!(
        admin
            .blocked_accounts(PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

/// Offline codes paused for a Tigr ID: listed with the blocked accounts, per channel and
/// until when; the pause lifts by itself, or an unblock clears it; a Tigr ID typed before
/// its account existed is found from the next attempt on.
#[tokio::test]
async fn paused_offline_codes_are_listed_per_channel_until_when_and_unblock_clears_them() {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c: &mut Config| {
        c.clock = clock.clone();
        c.offline_lockout_threshold = 2;
        c.offline_lockout_duration = 600;
    })
    .await;
    let admin = service(&s).await;
    let alice = s.enroll("alice").await;
    let c = s.challenge().await;
    for _ in 0..2 {
        s.offline(&c, "alice", "00000000").await;
    }
    assert_eq!(
        admin.offline_status("alice").await.expect("status"),
        OfflineStatus::Paused {
            since: T0,
            until: T0 + 600,
            pauses: 1
        }
    );
    assert_eq!(
        admin.lock_status("alice").await.expect("status"),
        LockStatus::Open { failures: 0 },
        "the phone channel is untouched"
    );
    let blocked = admin
        .blocked_accounts(PageRequest::default())
        .await
        .expect("list");
    assert_eq!(blocked.total, 1);
    assert_eq!(blocked.items[0].account.id, "alice");
    assert_eq!(blocked.items[0].lock, LockStatus::Open { failures: 0 });
    assert_eq!(
        blocked.items[0].offline,
        OfflineStatus::Paused {
            since: T0,
            until: T0 + 600,
            pauses: 1
        }
    );
    let details = admin.account_details("alice").await.expect("details");
    assert_eq!(details.offline, blocked.items[0].offline);

    // Lifts by itself, its history kept: the next pause lasts twice as long.
    clock.advance(600);
    assert_eq!(
        admin.offline_status("alice").await.expect("status"),
        OfflineStatus::Open { failures: 0 }
    );
    assert!(
        admin
            .blocked_accounts(PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let c = s.challenge().await;
    for _ in 0..2 {
        s.offline(&c, "alice", "00000000").await;
    }
    assert!(matches!(
        admin.offline_status("alice").await.expect("status"),
        OfflineStatus::Paused { until, pauses: 2, .. } if until == T0 + 600 + 1200
    ));

    // The unblock clears it: the right code works at once, and the next pause is a first.
    admin.unblock(&operator(), "alice").await.expect("unblock");
    assert_eq!(
        admin.offline_status("alice").await.expect("status"),
        OfflineStatus::Open { failures: 0 }
    );
    let (status, body) = s
        .offline(&c, "alice", &alice.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 200, "{body}");

    // A Tigr ID paused before its account existed: linked at the next attempt.
    let c = s.challenge().await;
    for _ in 0..2 {
        s.offline(&c, "carol", "00000000").await;
    }
    admin
        .create_account(
            &operator(),
            tigr_server::admin::NewAccount {
                id: "carol".into(),
                display_name: "Carol".into(),
                email: None,
                role: tigr_server::admin::Role::User,
            },
        )
        .await
        .expect("carol");
    assert_eq!(
        admin.offline_status("carol").await.expect("status"),
        OfflineStatus::Open { failures: 0 },
        "not linked yet"
    );
    let (status, body) = s.offline(&c, "carol", "00000000").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (423, Some("offline_paused"))
    );
    assert!(matches!(
        admin.offline_status("carol").await.expect("status"),
        OfflineStatus::Paused { pauses: 1, .. }
    ));
    admin.unblock(&operator(), "carol").await.expect("unblock");
    assert_eq!(
        admin.offline_status("carol").await.expect("status"),
        OfflineStatus::Open { failures: 0 }
    );
}
