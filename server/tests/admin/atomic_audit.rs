//! Every change and its audit row commit together (docs/security.md, "Audit trail"): when
//! the audit row of a change cannot be written, the change is rolled back and the request
//! fails; once audit rows can be written again, the same request succeeds. The test makes
//! the database refuse one event's rows with a trigger, as a full disk or an I/O error
//! would refuse that one write.

use tigr_server::admin::{AdminError, NewAccount, Role};

use crate::common::{Challenge, TestServer, wrong_code};
use crate::support::{code_of, enroll_with, events, lookup, operator, service};

/// Makes the database refuse audit rows of `event` until [`allow_audit`].
async fn refuse_audit(s: &TestServer, event: &str) {
    let db = s.db().await;
    let trigger = if s.on_postgres() {
        format!(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             'BEGIN IF NEW.event = ''{event}'' THEN RAISE EXCEPTION ''audit row refused''; \
             END IF; RETURN NEW; END'; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW \
             EXECUTE FUNCTION refuse_audit()"
        )
    } else {
        format!(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit WHEN NEW.event = '{event}' \
             BEGIN SELECT RAISE(ABORT, 'audit row refused'); END"
        )
    };
    sqlx::raw_sql(&trigger)
        .execute(&db)
        .await
        .expect("trigger created");
    db.close().await;
}

async fn allow_audit(s: &TestServer) {
    let db = s.db().await;
    let drop = if s.on_postgres() {
        "DROP TRIGGER refuse_audit ON audit; DROP FUNCTION refuse_audit()"
    } else {
        "DROP TRIGGER refuse_audit"
    };
    sqlx::raw_sql(drop)
        .execute(&db)
        .await
        .expect("trigger dropped");
    db.close().await;
}

/// How many audit rows of `event` the account has.
async fn count(s: &TestServer, account: &str, event: &str) -> usize {
    events(s, Some(account))
        .await
        .iter()
        .filter(|e| *e == event)
        .count()
}

/// A column of an account's row, as text (`NULL` for null).
async fn account_column(s: &TestServer, account: &str, column: &str) -> String {
    let db = s.db().await;
    let value: Option<String> = sqlx::query_scalar(&format!(
        "SELECT CAST({column} AS TEXT) FROM accounts WHERE id = $1"
    ))
    .bind(account)
    .fetch_one(&db)
    .await
    .expect("account row");
    db.close().await;
    value.unwrap_or_else(|| "NULL".to_owned())
}

/// The stored state of a challenge.
async fn stored_state(s: &TestServer, c: &Challenge) -> String {
    let db = s.db().await;
    let state: String = sqlx::query_scalar("SELECT state FROM challenges WHERE id = $1")
        .bind(&c.id)
        .fetch_one(&db)
        .await
        .expect("challenge row");
    db.close().await;
    state
}

fn account(id: &str) -> NewAccount {
    NewAccount {
        id: id.into(),
        display_name: id.into(),
        email: None,
        role: Role::User,
    }
}

#[tokio::test]
async fn an_approval_is_not_recorded_without_its_audit_row() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let approval = phone.approve(s.origin(), &c);
    refuse_audit(&s, "approved").await;
    let (status, body) = s.respond(&c, &approval).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(s.state(&c).await, "pending", "the browser sees no approval");
    assert_eq!(stored_state(&s, &c).await, "pending");
    assert_eq!(count(&s, "alice", "approved").await, 0);
    // The offline code of another challenge: the same.
    let offline = s.challenge().await;
    let (status, body) = s
        .offline(&offline, "alice", &phone.offline_code(s.origin(), &offline))
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(s.state(&offline).await, "pending");

    allow_audit(&s).await;
    let (status, body) = s.respond(&c, &approval).await;
    assert_eq!(status, 200, "the same approval goes through: {body}");
    assert_eq!(s.state(&c).await, "approved");
    assert_eq!(stored_state(&s, &c).await, "approved");
    assert_eq!(count(&s, "alice", "approved").await, 1);
}

#[tokio::test]
async fn a_denial_is_not_recorded_without_its_audit_row() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let c = s.challenge().await;
    let deny_path = format!("/login/challenges/{}/deny", c.id);
    let denial = phone.deny(s.origin(), &c);
    refuse_audit(&s, "denied").await;
    let (status, body) = s.post(&deny_path, &denial, None).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(s.state(&c).await, "pending", "the browser sees no denial");
    assert_eq!(stored_state(&s, &c).await, "pending");
    assert_eq!(count(&s, "alice", "denied").await, 0);
    allow_audit(&s).await;

    let (status, body) = s.post(&deny_path, &denial, None).await;
    assert_eq!(status, 200, "the same denial goes through: {body}");
    assert_eq!(s.state(&c).await, "denied");
    assert_eq!(stored_state(&s, &c).await, "denied");
    assert_eq!(count(&s, "alice", "denied").await, 1);
}

#[tokio::test]
async fn an_enrollment_is_not_recorded_without_its_audit_rows() {
    let s = TestServer::start().await;
    let old = s.enroll("bob").await;
    for event in ["enrolled", "device_revoked"] {
        let code = s.invite("bob").await;
        refuse_audit(&s, event).await;
        let Err((status, body)) = enroll_with(&s, "bob", &code).await else {
            panic!("{event}: enrolled without its audit row");
        };
        assert_eq!(status, 500, "{event}: {body}");
        allow_audit(&s).await;
        // Nothing changed: the code still works once, the old phone still logs in.
        assert_eq!(lookup(&s, &code).await.0, 200, "{event}: code not spent");
        let c = s.challenge().await;
        let (status, body) = s.respond(&c, &old.approve(s.origin(), &c)).await;
        assert_eq!(status, 200, "{event}: the old phone is not revoked: {body}");
    }
    assert_eq!(count(&s, "bob", "enrolled").await, 1);
    assert_eq!(count(&s, "bob", "device_revoked").await, 0);
    let code = s.invite("bob").await;
    let new = enroll_with(&s, "bob", &code).await.expect("enrolled");
    assert_eq!(count(&s, "bob", "enrolled").await, 2);
    assert_eq!(count(&s, "bob", "device_revoked").await, 1);
    let c = s.challenge().await;
    assert_eq!(s.respond(&c, &old.approve(s.origin(), &c)).await.0, 403);
    assert_eq!(s.respond(&c, &new.approve(s.origin(), &c)).await.0, 200);
}

#[tokio::test]
async fn a_revocation_is_not_recorded_without_its_audit_row() {
    let s = TestServer::start().await;
    let phone = s.enroll("carol").await;
    let admin = service(&s).await;
    refuse_audit(&s, "device_revoked").await;
    let refused = admin.revoke_phone(&operator(), "carol", Some("lost")).await;
    assert!(
        matches!(refused, Err(AdminError::Storage(_))),
        "{refused:?}"
    );
    assert!(
        admin.active_phone("carol").await.expect("phones").is_some(),
        "still active"
    );
    let c = s.challenge().await;
    assert_eq!(s.respond(&c, &phone.approve(s.origin(), &c)).await.0, 200);
    allow_audit(&s).await;
    admin
        .revoke_phone(&operator(), "carol", Some("lost"))
        .await
        .expect("revoked");
    let c = s.challenge().await;
    assert_eq!(s.respond(&c, &phone.approve(s.origin(), &c)).await.0, 403);
    assert_eq!(count(&s, "carol", "device_revoked").await, 1);
    admin.close().await;
}

#[tokio::test]
async fn failures_and_blocks_are_not_counted_without_their_audit_rows() {
    let s = TestServer::start().await;
    let phone = s.enroll("dave").await;
    let c = s.challenge().await;
    // A failure without its row is not counted.
    refuse_audit(&s, "response_failed").await;
    let (status, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(account_column(&s, "dave", "failed_attempts").await, "0");
    allow_audit(&s).await;
    for left in (1..=4).rev() {
        let (status, body) = s
            .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["attempts_left"], left);
    }
    // The blocking failure without its row: neither counted nor blocking.
    refuse_audit(&s, "account_blocked").await;
    let (status, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(account_column(&s, "dave", "failed_attempts").await, "4");
    assert_eq!(account_column(&s, "dave", "blocked_at").await, "NULL");
    assert_eq!(count(&s, "dave", "response_failed").await, 4);
    allow_audit(&s).await;
    let (status, body) = s
        .respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
        .await;
    assert_eq!(status, 423, "the fifth failure blocks: {body}");
    assert_ne!(account_column(&s, "dave", "blocked_at").await, "NULL");
    assert_eq!(count(&s, "dave", "account_blocked").await, 1);
    // An offline guess counts on the offline channel: refused without its row, counted
    // with it (and never on the phone's counter).
    let s2 = TestServer::start().await;
    let phone = s2.enroll("erin").await;
    let c = s2.challenge().await;
    let otp = wrong_code(&phone.offline_code(s2.origin(), &c));
    refuse_audit(&s2, "response_failed").await;
    assert_eq!(s2.offline(&c, "erin", &otp).await.0, 500);
    assert_eq!(offline_failures(&s2, "erin").await, None);
    allow_audit(&s2).await;
    assert_eq!(s2.offline(&c, "erin", &otp).await.0, 401);
    assert_eq!(offline_failures(&s2, "erin").await, Some(1));
    assert_eq!(account_column(&s2, "erin", "failed_attempts").await, "0");
}

/// The offline channel's failure count of an account's Tigr ID, if it has a record.
async fn offline_failures(s: &TestServer, account: &str) -> Option<i64> {
    let db = s.db().await;
    let failures =
        sqlx::query_scalar("SELECT failures FROM offline_attempts WHERE account_id = $1")
            .bind(account)
            .fetch_optional(&db)
            .await
            .expect("offline_attempts");
    db.close().await;
    failures
}

#[tokio::test]
async fn administrators_actions_are_not_recorded_without_their_audit_rows() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let who = operator();

    refuse_audit(&s, "account_created").await;
    let refused = admin.create_account(&who, account("fanny")).await;
    assert!(
        matches!(refused, Err(AdminError::Storage(_))),
        "{refused:?}"
    );
    assert!(matches!(
        admin.account("fanny").await,
        Err(AdminError::UnknownAccount(_))
    ));
    allow_audit(&s).await;
    admin
        .create_account(&who, account("fanny"))
        .await
        .expect("created");

    refuse_audit(&s, "enrollment_created").await;
    let refused = admin.create_invitation(&who, "fanny", None).await;
    assert!(
        matches!(refused, Err(AdminError::Storage(_))),
        "{refused:?}"
    );
    assert!(
        admin
            .pending_invitations(Some("fanny"))
            .await
            .expect("invitations")
            .is_empty()
    );
    allow_audit(&s).await;
    let invitation = admin
        .create_invitation(&who, "fanny", None)
        .await
        .expect("invitation");
    let phone = enroll_with(&s, "fanny", &code_of(&invitation))
        .await
        .expect("enrolled");

    refuse_audit(&s, "account_disabled").await;
    let refused = admin.disable_account(&who, "fanny", None).await;
    assert!(
        matches!(refused, Err(AdminError::Storage(_))),
        "{refused:?}"
    );
    assert!(admin.account("fanny").await.expect("account").is_enabled());
    let c = s.challenge().await;
    assert_eq!(s.respond(&c, &phone.approve(s.origin(), &c)).await.0, 200);
    allow_audit(&s).await;

    // Blocked by five failures, then an unblock without its row changes nothing.
    let c = s.challenge().await;
    for _ in 0..5 {
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    assert_ne!(account_column(&s, "fanny", "blocked_at").await, "NULL");
    refuse_audit(&s, "account_unblocked").await;
    let refused = admin.unblock(&who, "fanny").await;
    assert!(
        matches!(refused, Err(AdminError::Storage(_))),
        "{refused:?}"
    );
    assert_ne!(account_column(&s, "fanny", "blocked_at").await, "NULL");
    assert_eq!(account_column(&s, "fanny", "failed_attempts").await, "5");
    allow_audit(&s).await;
    admin.unblock(&who, "fanny").await.expect("unblocked");
    assert_eq!(account_column(&s, "fanny", "blocked_at").await, "NULL");

    let created = events(&s, Some("fanny")).await;
    for event in ["account_created", "enrollment_created", "account_unblocked"] {
        assert_eq!(
            created.iter().filter(|e| *e == event).count(),
            1,
            "{event}: {created:?}"
        );
    }
    assert!(!created.iter().any(|e| e == "account_disabled"));
    admin.close().await;
}
