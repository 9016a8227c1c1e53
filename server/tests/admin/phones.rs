//! Phones and invitations: revocation ends logins at once, disabled accounts neither log in
//! nor enroll, invitations with their own lifetime can be listed, followed and cancelled,
//! one phone per account.

use std::sync::Arc;

use tigr_core::clock::FixedClock;
use tigr_server::admin::{AdminError, InvitationStatus, NewAccount, PhoneStatus, Role};

use crate::browser::Tab;
use crate::common::{TestServer, wrong_code};
use crate::support::{code_of, enroll_with, lookup, operator, service};

#[tokio::test]
async fn a_revoked_phone_can_no_longer_log_in() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;

    let revoked = admin
        .revoke_phone(&operator(), "alice", Some("téléphone volé"))
        .await
        .expect("revoked");
    assert_eq!(revoked.id, phone.device_id);
    assert!(
        matches!(&revoked.status, PhoneStatus::Revoked { reason, .. } if reason == "revoked_by_admin")
    );

    // Online approval: 403 device_revoked, with the right signature, not counted.
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "device_revoked");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("révoqué")
    );
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/deny", c.id),
            &phone.deny(s.origin(), &c),
            None,
        )
        .await;
    assert_eq!(status, 403);
    // Offline code: refused like a wrong code of any Tigr ID (counted on the offline
    // channel of the ID typed, as for an unknown one), never on the phone channel.
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_response");
    assert_eq!(body["attempts_left"], 4, "{body}");
    assert_eq!(s.state(&c).await, "pending");
    assert_eq!(
        admin.account("alice").await.expect("alice").failed_attempts,
        0
    );

    // The admin sees it; revoking again is refused.
    let phones = admin.phones("alice").await.expect("phones");
    assert_eq!(phones.len(), 1);
    assert!(!phones[0].is_active());
    assert!(admin.active_phone("alice").await.expect("query").is_none());
    assert!(matches!(
        admin.revoke_phone(&operator(), "alice", None).await,
        Err(AdminError::NoActivePhone(_))
    ));

    let db = s.db().await;
    let row: (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT actor, device_id, detail FROM audit WHERE event = 'device_revoked'")
            .fetch_one(&db)
            .await
            .expect("one revocation audited");
    assert_eq!(row.0, "cli:tester");
    assert_eq!(row.1.as_deref(), Some(phone.device_id.as_str()));
    assert_eq!(
        row.2.as_deref(),
        Some("reason=revoked_by_admin note=\"téléphone volé\"")
    );

    // A new phone can be enrolled afterwards.
    let code = code_of(
        &admin
            .create_invitation(&operator(), "alice", None)
            .await
            .expect("invitation"),
    );
    let new = enroll_with(&s, "alice", &code).await.expect("new phone");
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &new.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_disabled_account_can_neither_log_in_nor_enroll() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let phone = s.enroll("alice").await;
    let pending = admin
        .create_invitation(&operator(), "alice", None)
        .await
        .expect("invitation");
    let c = s.challenge().await;

    admin
        .disable_account(&operator(), "alice", Some("congé"))
        .await
        .expect("disabled");

    // Signed approval: like an unknown account (404), even with the right signature.
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "unknown_account");
    // Offline: the right code is refused like a wrong code of any Tigr ID (counted on the
    // offline channel of the ID typed, as for an unknown one), never on the phone channel.
    let (status, body) = s
        .offline(&c, "alice", &phone.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_response");
    assert_eq!(body["attempts_left"], 4, "{body}");
    let (status, body) = s
        .offline(
            &c,
            "alice",
            &wrong_code(&phone.offline_code(s.origin(), &c)),
        )
        .await;
    assert_eq!(
        (status, &body["attempts_left"]),
        (401, &serde_json::json!(3))
    );
    assert_eq!(
        admin.account("alice").await.expect("alice").failed_attempts,
        0
    );
    assert_eq!(s.state(&c).await, "pending");

    // Enrollment: the pending invitation was cancelled with the account; new ones refused.
    let (status, body) = lookup(&s, &code_of(&pending)).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"], "enrollment_expired");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("annulé")
    );
    assert_eq!(
        enroll_with(&s, "alice", &code_of(&pending))
            .await
            .err()
            .map(|e| e.0),
        Some(410)
    );
    assert!(matches!(
        admin.create_invitation(&operator(), "alice", None).await,
        Err(AdminError::AccountDisabled(_))
    ));
    assert!(matches!(
        admin.enroll(&operator(), "alice", None, None).await,
        Err(AdminError::AccountDisabled(_))
    ));
    assert!(
        tigr_server::create_enrollment(s.config(), "alice", None)
            .await
            .is_err(),
        "`tigr-server enroll` refuses it too"
    );

    // Enabled again: the same phone logs in; the old invitation stays cancelled.
    admin
        .enable_account(&operator(), "alice")
        .await
        .expect("enabled");
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(lookup(&s, &code_of(&pending)).await.0, 410);
}

#[tokio::test]
async fn a_code_of_an_account_disabled_otherwise_is_refused_at_completion() {
    // Defence in depth: a code left usable (e.g. written by an older version) of a disabled
    // account enrolls nothing.
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let created = admin
        .enroll(&operator(), "bob", None, None)
        .await
        .expect("invite");
    let db = s.db().await;
    sqlx::query("UPDATE accounts SET disabled_at = 1 WHERE id = 'bob'")
        .execute(&db)
        .await
        .expect("disable behind the service's back");
    let (status, body) = lookup(&s, &code_of(&created)).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(
        enroll_with(&s, "bob", &code_of(&created))
            .await
            .err()
            .map(|e| e.0),
        Some(410)
    );
    let used: Option<i64> = sqlx::query_scalar("SELECT used_at FROM enrollments")
        .fetch_one(&db)
        .await
        .expect("row");
    assert_eq!(used, None, "the code was not consumed");
}

#[tokio::test]
async fn invitations_have_their_own_lifetime_and_can_be_listed_followed_and_cancelled() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.enrollment_ttl = 600;
    })
    .await;
    let admin = service(&s).await;
    let me = operator();
    for id in ["alice", "bob"] {
        admin
            .create_account(
                &me,
                NewAccount {
                    id: id.into(),
                    display_name: id.into(),
                    email: None,
                    role: Role::User,
                },
            )
            .await
            .expect("created");
    }
    let default = admin
        .create_invitation(&me, "alice", None)
        .await
        .expect("default ttl");
    assert_eq!(default.invitation.expires_at, 1_800_000_600);
    let short = admin
        .create_invitation(&me, "alice", Some(120))
        .await
        .expect("2 min");
    assert_eq!(short.invitation.expires_at, 1_800_000_120);
    let long = admin
        .create_invitation(&me, "bob", Some(7 * 86_400))
        .await
        .expect("7 days");
    assert_eq!(long.invitation.created_by.as_deref(), Some("cli:tester"));
    for bad in [Some(59), Some(31 * 86_400), Some(-5)] {
        assert!(matches!(
            admin.create_invitation(&me, "alice", bad).await,
            Err(AdminError::InvalidTtl { .. })
        ));
    }
    assert!(matches!(
        admin.create_invitation(&me, "nobody", None).await,
        Err(AdminError::UnknownAccount(_))
    ));

    let pending_ids = |list: Vec<tigr_server::admin::Invitation>| {
        let mut ids: Vec<String> = list.into_iter().map(|i| i.id).collect();
        ids.sort();
        ids
    };
    let mut all = vec![
        default.invitation.id.clone(),
        short.invitation.id.clone(),
        long.invitation.id.clone(),
    ];
    all.sort();
    assert_eq!(
        pending_ids(admin.pending_invitations(None).await.expect("list")),
        all
    );
    assert_eq!(
        admin.pending_invitations(Some("bob")).await.expect("list")[0].id,
        long.invitation.id
    );

    // "Enrollment completed?" for the admin page's live view.
    assert!(matches!(
        admin
            .invitation(&default.invitation.id)
            .await
            .expect("status")
            .status,
        InvitationStatus::Pending {
            expires_at: 1_800_000_600
        }
    ));
    let phone = enroll_with(&s, "alice", &code_of(&default))
        .await
        .expect("enrolled");
    match admin
        .invitation(&default.invitation.id)
        .await
        .expect("status")
        .status
    {
        InvitationStatus::Completed { at, device_id } => {
            assert_eq!(at, 1_800_000_000);
            assert_eq!(device_id.as_deref(), Some(phone.device_id.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        admin.cancel_invitation(&me, &default.invitation.id).await,
        Err(AdminError::InvitationNotPending {
            status: "completed",
            ..
        })
    ));

    // Expiry of the short one, by the clock.
    clock.advance(120);
    assert!(matches!(
        admin
            .invitation(&short.invitation.id)
            .await
            .expect("status")
            .status,
        InvitationStatus::Expired { at: 1_800_000_120 }
    ));
    assert_eq!(lookup(&s, &code_of(&short)).await.0, 410);
    assert_eq!(
        pending_ids(admin.pending_invitations(None).await.expect("list")),
        std::slice::from_ref(&long.invitation.id)
    );

    // Cancelling: the code stops working at once.
    let cancelled = admin
        .cancel_invitation(&me, &long.invitation.id.to_lowercase())
        .await
        .expect("cancelled (id case-insensitive)");
    assert!(matches!(
        cancelled.status,
        InvitationStatus::Cancelled { at: 1_800_000_120 }
    ));
    let (status, body) = lookup(&s, &code_of(&long)).await;
    assert_eq!(status, 410, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("annulé")
    );
    assert!(matches!(
        admin.cancel_invitation(&me, &long.invitation.id).await,
        Err(AdminError::InvitationNotPending {
            status: "cancelled",
            ..
        })
    ));
    assert!(matches!(
        admin.invitation("NOSUCHINVITATION").await,
        Err(AdminError::UnknownInvitation(_))
    ));
    assert!(
        admin
            .pending_invitations(None)
            .await
            .expect("list")
            .is_empty()
    );

    // Cancel all of an account's.
    for _ in 0..2 {
        admin
            .create_invitation(&me, "bob", None)
            .await
            .expect("invite");
    }
    assert_eq!(
        admin
            .cancel_invitations(&me, "bob")
            .await
            .expect("cancel")
            .len(),
        2
    );
    assert!(
        admin
            .cancel_invitations(&me, "bob")
            .await
            .expect("none left")
            .is_empty()
    );
    let details = admin.account_details("bob").await.expect("details");
    assert_eq!(details.invitations.len(), 3);
    assert!(
        details
            .invitations
            .iter()
            .all(|i| matches!(i.status, InvitationStatus::Cancelled { .. }))
    );
}

#[tokio::test]
async fn the_old_phone_is_revoked_only_once_the_new_one_is_enrolled() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let old = s.enroll("alice").await;
    let invitation = admin
        .create_invitation(&operator(), "alice", None)
        .await
        .expect("invitation");

    // Invitation issued, not used yet: the old phone still logs in.
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &old.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);
    assert_eq!(
        admin
            .active_phone("alice")
            .await
            .expect("query")
            .map(|p| p.id),
        Some(old.device_id.clone())
    );

    let new = enroll_with(&s, "alice", &code_of(&invitation))
        .await
        .expect("enrolled");
    let c = s.challenge().await;
    let (status, body) = s.respond(&c, &old.approve(s.origin(), &c)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("device_revoked"))
    );
    let (status, _) = s.respond(&c, &new.approve(s.origin(), &c)).await;
    assert_eq!(status, 200);

    let details = admin.account_details("alice").await.expect("details");
    assert_eq!(details.phone.as_ref().map(|p| &p.id), Some(&new.device_id));
    assert_eq!(details.phones.len(), 2);
    assert!(matches!(
        &details.phones[1].status,
        PhoneStatus::Revoked { reason, .. } if reason == "replaced"
    ));
}

/// The number of web sessions of `account` in the database.
async fn sessions_of(s: &TestServer, account: &str) -> i64 {
    let db = s.db().await;
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions WHERE account_id = $1")
        .bind(account)
        .fetch_one(&db)
        .await
        .expect("count");
    db.close().await;
    n
}

/// The detail of the latest `device_revoked` row of `account`.
async fn revocation_detail(s: &TestServer, account: &str) -> String {
    let db = s.db().await;
    let detail = sqlx::query_scalar(
        "SELECT detail FROM audit WHERE event = 'device_revoked' AND account_id = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(account)
    .fetch_one(&db)
    .await
    .expect("a revocation");
    db.close().await;
    detail
}

#[tokio::test]
async fn revoking_a_phone_ends_the_web_sessions_it_opened() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let alice = s.enroll("alice").await;
    let bob = s.enroll("bob").await;
    let mut alice_tab = Tab::new(&s);
    alice_tab.log_in(&s, &alice).await;
    let mut alice_other_tab = Tab::new(&s);
    alice_other_tab.log_in(&s, &alice).await;
    let mut bob_tab = Tab::new(&s);
    bob_tab.log_in(&s, &bob).await;
    // A login approved by the phone but not completed yet when the phone is revoked.
    let mut late_tab = Tab::new(&s);
    let late = late_tab.login_page("").await;
    let (status, _) = s
        .respond(&late.challenge, &alice.approve(s.origin(), &late.challenge))
        .await;
    assert_eq!(status, 200);
    assert_eq!(sessions_of(&s, "alice").await, 2);

    admin
        .revoke_phone(&operator(), "alice", Some("perdu"))
        .await
        .expect("revoked");
    assert_eq!(sessions_of(&s, "alice").await, 0);
    for tab in [&mut alice_tab, &mut alice_other_tab] {
        let after = tab.get("/session").await;
        assert_eq!(after.status, 303, "the session ended with the phone");
        assert!(after.header("location").starts_with("/login"));
    }
    // The approval made before the revocation opens nothing now.
    let done = late_tab.complete(&late, "").await;
    assert_eq!(done.status, 403, "{}", done.body);
    assert_eq!(done.json()["error"], "device_revoked");
    assert!(done.set_cookies().iter().all(|c| !c.contains("session")));
    assert_eq!(sessions_of(&s, "alice").await, 0);
    // Other accounts keep theirs.
    assert_eq!(bob_tab.get("/session").await.status, 200);
    assert_eq!(
        revocation_detail(&s, "alice").await,
        "reason=revoked_by_admin note=\"perdu\" sessions_ended=2"
    );
}

#[tokio::test]
async fn a_new_phone_ends_the_web_sessions_of_the_one_it_replaces() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let old = s.enroll("alice").await;
    let mut tab = Tab::new(&s);
    tab.log_in(&s, &old).await;
    let mut late_tab = Tab::new(&s);
    let late = late_tab.login_page("").await;
    let (status, _) = s
        .respond(&late.challenge, &old.approve(s.origin(), &late.challenge))
        .await;
    assert_eq!(status, 200);
    let invitation = admin
        .create_invitation(&operator(), "alice", None)
        .await
        .expect("invitation");
    // An invitation changes nothing until a phone uses it.
    assert_eq!(tab.get("/session").await.status, 200);

    let new = enroll_with(&s, "alice", &code_of(&invitation))
        .await
        .expect("enrolled");
    assert_eq!(tab.get("/session").await.status, 303);
    let done = late_tab.complete(&late, "").await;
    assert_eq!(done.status, 403, "{}", done.body);
    assert_eq!(done.json()["error"], "device_revoked");
    assert_eq!(sessions_of(&s, "alice").await, 0);
    assert_eq!(
        revocation_detail(&s, "alice").await,
        format!("reason=replaced by={} sessions_ended=1", new.device_id)
    );
    // The new phone logs in as usual.
    let mut fresh = Tab::new(&s);
    fresh.log_in(&s, &new).await;
    assert_eq!(sessions_of(&s, "alice").await, 1);
}
