//! Accounts through the service: create, edit, disable, enable, search, roles, bootstrap.

use tigr_server::admin::{
    AccountChanges, AccountFilter, Actor, AdminError, InvitationStatus, NewAccount, PageRequest,
    Role, StatusFilter,
};
use tigr_server::i18n::Lang;

use crate::common::TestServer;
use crate::support::{audit_count, code_of, enroll_with, events, operator, service};

fn new(id: &str, name: &str, email: Option<&str>, role: Role) -> NewAccount {
    NewAccount {
        id: id.into(),
        display_name: name.into(),
        email: email.map(Into::into),
        role,
    }
}

#[tokio::test]
async fn create_edit_disable_enable_are_audited_with_the_actor() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    let account = admin
        .create_account(
            &me,
            new(
                "e.martin",
                "  Émilie Martin ",
                Some("E.Martin@CHU-Bordeaux.fr"),
                Role::User,
            ),
        )
        .await
        .expect("created");
    assert_eq!(account.display_name, "Émilie Martin");
    assert_eq!(account.email.as_deref(), Some("E.Martin@chu-bordeaux.fr"));
    assert_eq!(account.role, "user");

    let edited = admin
        .edit_account(
            &me,
            "e.martin",
            AccountChanges {
                display_name: Some("Dr Émilie Martin".into()),
                email: Some(String::new()),
                role: Some(Role::Admin),
            },
        )
        .await
        .expect("edited");
    assert_eq!(
        (
            edited.display_name.as_str(),
            edited.email.as_deref(),
            edited.role.as_str()
        ),
        ("Dr Émilie Martin", None, "admin")
    );
    assert!(admin.is_admin("e.martin").await.expect("query"));

    // A second admin so that the first may be disabled.
    admin
        .create_account(&me, new("root", "Root", None, Role::Admin))
        .await
        .expect("created");
    let disabled = admin
        .disable_account(&me, "e.martin", Some("départ"))
        .await
        .expect("disabled");
    assert!(disabled.disabled_at.is_some());
    assert_eq!(disabled.disabled_reason.as_deref(), Some("départ"));
    assert!(
        !admin.is_admin("e.martin").await.expect("query"),
        "a disabled admin is no admin"
    );
    assert!(matches!(
        admin.disable_account(&me, "e.martin", None).await,
        Err(AdminError::AlreadyDisabled(_))
    ));
    let enabled = admin
        .enable_account(&me, "e.martin")
        .await
        .expect("enabled");
    assert!(enabled.is_enabled());
    assert!(matches!(
        admin.enable_account(&me, "e.martin").await,
        Err(AdminError::NotDisabled(_))
    ));

    let db = s.db().await;
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT event, actor, detail FROM audit WHERE account_id = 'e.martin' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .expect("audit");
    let summary: Vec<(&str, &str)> = rows
        .iter()
        .map(|(e, a, _)| (e.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("account_created", "cli:tester"),
            ("account_updated", "cli:tester"),
            ("account_disabled", "cli:tester"),
            ("account_enabled", "cli:tester"),
        ]
    );
    let updated = rows[1].2.as_deref().expect("detail");
    assert!(
        updated.contains("role=user->admin")
            && updated.contains("email=E.Martin@chu-bordeaux.fr->-"),
        "{updated}"
    );
    assert_eq!(rows[2].2.as_deref(), Some("reason=\"départ\""));
}

#[tokio::test]
async fn duplicate_ids_are_refused_with_a_clear_message_and_change_nothing() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    admin
        .create_account(&operator(), new("alice", "Alice", None, Role::User))
        .await
        .expect("created");
    let before = audit_count(&s).await;
    let error = admin
        .create_account(
            &operator(),
            new("alice", "Another Alice", None, Role::Admin),
        )
        .await
        .expect_err("duplicate");
    assert!(matches!(&error, AdminError::DuplicateAccount(id) if id == "alice"));
    assert_eq!(
        error.message(Lang::Fr),
        "Le compte « alice » existe déjà : choisissez un autre identifiant Tigr, ou modifiez \
         le compte existant."
    );
    assert!(
        error
            .message(Lang::En)
            .starts_with("Account \"alice\" already exists")
    );
    assert_eq!(audit_count(&s).await, before, "nothing audited");
    let alice = admin.account("alice").await.expect("exists");
    assert_eq!(
        (alice.display_name.as_str(), alice.role.as_str()),
        ("Alice", "user")
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    admin
        .create_account(&me, new("alice", "Alice", None, Role::User))
        .await
        .expect("created");
    let before = audit_count(&s).await;
    let cases = [
        new("Alice", "A", None, Role::User),
        new("-x", "A", None, Role::User),
        new("bob", " ", None, Role::User),
        new("bob", "a\u{7}b", None, Role::User),
        new("bob", "Bob", Some("bob@"), Role::User),
        new("bob", "Bob", Some("bob at chu.fr"), Role::User),
    ];
    for case in cases {
        let error = admin
            .create_account(&me, case.clone())
            .await
            .expect_err("refused");
        assert!(error.is_client_error(), "{case:?}: {error}");
    }
    assert!(matches!(
        Role::parse("superuser"),
        Err(AdminError::InvalidRole(_))
    ));
    assert!(matches!(
        admin
            .edit_account(&me, "alice", AccountChanges::default())
            .await,
        Err(AdminError::NothingToChange)
    ));
    assert!(matches!(
        admin
            .edit_account(
                &me,
                "alice",
                AccountChanges {
                    display_name: Some("Alice".into()),
                    ..AccountChanges::default()
                }
            )
            .await,
        Err(AdminError::NothingToChange)
    ));
    assert!(matches!(
        admin
            .edit_account(
                &me,
                "alice",
                AccountChanges {
                    display_name: Some("Alice M.".into()),
                    email: Some("not-an-email".into()),
                    role: None,
                }
            )
            .await,
        Err(AdminError::InvalidEmail(_))
    ));
    assert!(matches!(
        admin
            .edit_account(&me, "nobody", AccountChanges::default())
            .await,
        Err(AdminError::UnknownAccount(_))
    ));
    assert!(matches!(
        admin
            .disable_account(&me, "alice", Some(&"x".repeat(201)))
            .await,
        Err(AdminError::InvalidReason)
    ));
    assert_eq!(audit_count(&s).await, before, "nothing audited");
    assert_eq!(
        admin.account("alice").await.expect("alice").display_name,
        "Alice"
    );
    assert!(admin.account("bob").await.is_err());
}

#[tokio::test]
async fn search_and_list_are_paginated_and_filtered() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    for (id, name, email, role) in [
        ("a.martin", "Anne Martin", Some("anne@chu.fr"), Role::User),
        ("b.martin", "Bruno Martin", None, Role::User),
        (
            "c.durand",
            "Claire Durand",
            Some("claire.martinez@chu.fr"),
            Role::User,
        ),
        ("d.petit", "David Petit", None, Role::Admin),
        ("e.roux", "Élise Roux", None, Role::User),
        ("f_100", "Fanny 100%", None, Role::User),
    ] {
        admin
            .create_account(&me, new(id, name, email, role))
            .await
            .expect("created");
    }
    let ids = |page: &tigr_server::admin::Page<tigr_server::admin::AccountSummary>| {
        page.items
            .iter()
            .map(|s| s.account.id.clone())
            .collect::<Vec<_>>()
    };
    let all = admin
        .list_accounts(&AccountFilter::default(), PageRequest::new(1, 4))
        .await
        .expect("list");
    assert_eq!((all.total, all.pages()), (6, 2));
    assert_eq!(ids(&all), ["a.martin", "b.martin", "c.durand", "d.petit"]);
    let second = admin
        .list_accounts(&AccountFilter::default(), PageRequest::new(2, 4))
        .await
        .expect("list");
    assert_eq!(ids(&second), ["e.roux", "f_100"]);
    assert_eq!(second.first_index(), 5);

    // Search in id, name and e-mail, case-insensitively.
    let search = |text: &str| AccountFilter {
        text: Some(text.into()),
        ..AccountFilter::default()
    };
    let martin = admin
        .list_accounts(&search("MARTIN"), PageRequest::default())
        .await
        .expect("search");
    assert_eq!(ids(&martin), ["a.martin", "b.martin", "c.durand"]);
    // LIKE wildcards are literal.
    let percent = admin
        .list_accounts(&search("%"), PageRequest::default())
        .await
        .expect("search");
    assert_eq!(ids(&percent), ["f_100"]);
    let underscore = admin
        .list_accounts(&search("_"), PageRequest::default())
        .await
        .expect("search");
    assert_eq!(ids(&underscore), ["f_100"]);

    // Filters by status and role.
    admin
        .disable_account(&me, "b.martin", None)
        .await
        .expect("disabled");
    let phone_code = code_of(
        &admin
            .create_invitation(&me, "a.martin", None)
            .await
            .expect("invitation"),
    );
    enroll_with(&s, "a.martin", &phone_code)
        .await
        .expect("enrolled");
    let by = |status| AccountFilter {
        status,
        ..AccountFilter::default()
    };
    let disabled = admin
        .list_accounts(&by(StatusFilter::Disabled), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(ids(&disabled), ["b.martin"]);
    let enabled = admin
        .list_accounts(&by(StatusFilter::Enabled), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(enabled.total, 5);
    let no_phone = admin
        .list_accounts(&by(StatusFilter::WithoutPhone), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(no_phone.total, 5);
    assert!(!ids(&no_phone).contains(&"a.martin".to_owned()));
    let with_phone = admin
        .list_accounts(&search("anne"), PageRequest::default())
        .await
        .expect("list");
    let phone = with_phone.items[0].phone.as_ref().expect("phone listed");
    assert_eq!(phone.name, "Pixel 8");
    let admins = admin
        .list_accounts(
            &AccountFilter {
                role: Some(Role::Admin),
                ..AccountFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(ids(&admins), ["d.petit"]);
    let none = admin
        .list_accounts(&by(StatusFilter::Blocked), PageRequest::default())
        .await
        .expect("list");
    assert!(none.items.is_empty());
    assert_eq!(none.pages(), 1);

    for bad in [
        PageRequest::new(0, 10),
        PageRequest::new(1, 0),
        PageRequest::new(1, 5000),
    ] {
        assert!(
            admin
                .list_accounts(&AccountFilter::default(), bad)
                .await
                .is_err()
        );
    }
    assert!(matches!(
        StatusFilter::parse("sleeping"),
        Err(AdminError::InvalidFilter("status"))
    ));
}

#[tokio::test]
async fn the_last_admin_cannot_be_disabled_or_demoted() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    admin
        .create_account(&me, new("root", "Root", None, Role::Admin))
        .await
        .expect("created");
    assert!(matches!(
        admin.disable_account(&me, "root", None).await,
        Err(AdminError::LastAdmin(_))
    ));
    assert!(matches!(
        admin
            .edit_account(
                &me,
                "root",
                AccountChanges {
                    role: Some(Role::User),
                    ..AccountChanges::default()
                }
            )
            .await,
        Err(AdminError::LastAdmin(_))
    ));
    admin
        .create_account(&me, new("second", "Second", None, Role::Admin))
        .await
        .expect("created");
    admin
        .edit_account(
            &me,
            "root",
            AccountChanges {
                role: Some(Role::User),
                ..AccountChanges::default()
            },
        )
        .await
        .expect("demoted now that another admin exists");
}

#[tokio::test]
async fn roles_is_admin_and_require_admin() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    admin
        .create_account(&me, new("root", "Root", None, Role::Admin))
        .await
        .expect("created");
    admin
        .create_account(&me, new("alice", "Alice", None, Role::User))
        .await
        .expect("created");
    assert!(admin.is_admin("root").await.expect("query"));
    assert!(!admin.is_admin("alice").await.expect("query"));
    assert!(!admin.is_admin("nobody").await.expect("query"));
    assert!(!admin.is_admin("NOT VALID").await.expect("query"));
    assert_eq!(admin.require_admin("root").await.expect("admin").id, "root");
    for id in ["alice", "nobody", "Bad Id"] {
        assert!(
            matches!(admin.require_admin(id).await, Err(AdminError::NotAdmin(_))),
            "{id}"
        );
    }
}

#[tokio::test]
async fn bootstrap_creates_the_first_admin_with_a_short_single_use_invitation() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    let now = admin.now();
    let first = admin
        .bootstrap(&me, "root", Some("Équipe système"), false)
        .await
        .expect("bootstrap");
    assert_eq!(first.invitation.expires_at, now + 900, "15 minutes");
    assert!(admin.is_admin("root").await.expect("query"));
    assert_eq!(
        admin.account("root").await.expect("root").display_name,
        "Équipe système"
    );

    // No phone yet: bootstrapping again is allowed and cancels the previous setup code.
    let second = admin
        .bootstrap(&me, "root", None, false)
        .await
        .expect("again, no admin phone yet");
    assert!(matches!(
        admin
            .invitation(&first.invitation.id)
            .await
            .expect("first")
            .status,
        InvitationStatus::Cancelled { .. }
    ));
    let (status, body) = s
        .post(
            "/enrollments/lookup",
            &serde_json::json!({ "code": code_of(&first) }),
            None,
        )
        .await;
    assert_eq!(status, 410, "{body}");
    let phone = enroll_with(&s, "root", &code_of(&second))
        .await
        .expect("enrolled");
    // Single use.
    assert_eq!(
        enroll_with(&s, "root", &code_of(&second))
            .await
            .err()
            .map(|e| e.0),
        Some(409)
    );
    assert!(matches!(
        admin.invitation(&second.invitation.id).await.expect("second").status,
        InvitationStatus::Completed { device_id: Some(ref d), .. } if *d == phone.device_id
    ));

    // An admin with a phone exists now: refused without --force, nothing changed.
    let before = audit_count(&s).await;
    assert!(matches!(
        admin.bootstrap(&me, "rescue", None, false).await,
        Err(AdminError::AdminExists)
    ));
    assert_eq!(audit_count(&s).await, before);
    assert!(admin.account("rescue").await.is_err());
    admin
        .bootstrap(&Actor::cli("night-shift"), "rescue", None, true)
        .await
        .expect("forced");
    let db = s.db().await;
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT account_id, actor, detail FROM audit WHERE event = 'admin_bootstrap' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .expect("audit");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].0, "rescue");
    assert_eq!(rows[2].1, "cli:night-shift");
    assert!(
        rows[2]
            .2
            .as_deref()
            .is_some_and(|d| d.contains("forced=true")),
        "{rows:?}"
    );
    assert!(
        rows[0]
            .2
            .as_deref()
            .is_some_and(|d| d.contains("forced=false"))
    );
    assert_eq!(
        events(&s, Some("rescue")).await,
        ["account_created", "enrollment_created", "admin_bootstrap"]
    );
}
