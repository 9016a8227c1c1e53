//! The audit trail as administrators read it: filters, pages, CSV export, web actors, and
//! rows that can never be changed.

use std::sync::Arc;

use tigr_core::clock::FixedClock;
use tigr_server::admin::{Actor, AdminError, AuditFilter, NewAccount, PageRequest, Role};

use crate::common::TestServer;
use crate::support::{operator, service};

const T0: i64 = 1_800_000_000;

fn account(id: &str, name: &str) -> NewAccount {
    NewAccount {
        id: id.into(),
        display_name: name.into(),
        email: None,
        role: Role::User,
    }
}

#[tokio::test]
async fn the_audit_trail_is_searchable_by_account_event_actor_and_time_with_pages() {
    let clock = Arc::new(FixedClock::at(T0));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    let admin = service(&s).await;
    let cli = operator();
    let web = Actor::web("root", "192.0.2.7", "Firefox 128 sur Linux");
    admin
        .create_account(&cli, account("alice", "Alice"))
        .await
        .expect("alice");
    clock.advance(100);
    admin
        .create_account(&web, account("bob", "Bob"))
        .await
        .expect("bob");
    clock.advance(100);
    admin
        .disable_account(&web, "alice", None)
        .await
        .expect("disabled");
    clock.advance(100);
    let phone = s.enroll("bob").await;
    let c = s.challenge().await;
    s.respond(&c, &phone.approve(s.origin(), &c)).await;

    let ids = |page: &tigr_server::admin::Page<tigr_server::storage::AuditRecord>| {
        page.items
            .iter()
            .map(|r| r.event.clone())
            .collect::<Vec<_>>()
    };
    let everything = admin
        .audit(&AuditFilter::default(), PageRequest::new(1, 3))
        .await
        .expect("audit");
    assert_eq!(everything.total, 6, "{everything:?}");
    assert_eq!(everything.pages(), 2);
    assert_eq!(
        ids(&everything),
        ["approved", "enrolled", "enrollment_created"],
        "newest first"
    );

    let of_alice = admin
        .audit(
            &AuditFilter {
                account: Some("alice".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(ids(&of_alice), ["account_disabled", "account_created"]);

    let by_web = admin
        .audit(
            &AuditFilter {
                actor: Some("web".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(ids(&by_web), ["account_disabled", "account_created"]);
    let row = &by_web.items[0];
    assert_eq!(row.actor, "web:root");
    assert_eq!(row.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(row.user_agent.as_deref(), Some("Firefox 128 sur Linux"));
    assert_eq!(row.at, T0 + 200);
    let exact = admin
        .audit(
            &AuditFilter {
                actor: Some("cli:tester".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(ids(&exact), ["account_created"]);
    assert_eq!(exact.items[0].account_id.as_deref(), Some("alice"));
    assert!(
        exact.items[0].ip.is_none(),
        "no address on the command line"
    );

    let created = admin
        .audit(
            &AuditFilter {
                event: Some("account_created".into()),
                since: Some(T0 + 50),
                until: Some(T0 + 150),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit");
    assert_eq!(created.total, 1);
    assert_eq!(created.items[0].account_id.as_deref(), Some("bob"));

    // Following: rows after a given one, oldest first; the latest N, oldest first.
    let after = admin
        .audit_after(&AuditFilter::default(), everything.items[2].id, 10)
        .await
        .expect("after");
    assert_eq!(
        after.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
        ["enrolled", "approved"]
    );
    let latest = admin
        .audit_latest(&AuditFilter::default(), 2)
        .await
        .expect("latest");
    assert_eq!(
        latest.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
        ["enrolled", "approved"]
    );

    // Bad filters are refused, not silently empty.
    for bad in [
        AuditFilter {
            event: Some("no_such_event".into()),
            ..AuditFilter::default()
        },
        AuditFilter {
            account: Some("Not An Id".into()),
            ..AuditFilter::default()
        },
        AuditFilter {
            actor: Some("cli root".into()),
            ..AuditFilter::default()
        },
        AuditFilter {
            since: Some(T0 + 10),
            until: Some(T0),
            ..AuditFilter::default()
        },
    ] {
        assert!(matches!(
            admin.audit(&bad, PageRequest::default()).await,
            Err(AdminError::InvalidFilter(_))
        ));
    }
}

#[tokio::test]
async fn the_csv_export_follows_rfc_4180_and_neutralizes_formulas() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let me = operator();
    admin
        .create_account(&me, account("mallory", "=HYPERLINK(\"http://evil\",\"x\")"))
        .await
        .expect("created");
    admin
        .create_account(&me, account("carol", "Carol, \"Caro\"\nLine 2"))
        .await
        .expect_err("control characters refused in names");
    admin
        .create_account(&me, account("carol", "Carol, \"Caro\""))
        .await
        .expect("created");
    admin
        .disable_account(&me, "carol", Some("+33 6 00 00 00 00 a appelé"))
        .await
        .expect("disabled");

    let mut out = Vec::new();
    let count = admin
        .export_audit_csv(&me, &AuditFilter::default(), &mut out)
        .await
        .expect("export");
    assert_eq!(count, 3);
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines.len(),
        5,
        "header, 3 rows, empty after the last CRLF: {text}"
    );
    assert_eq!(
        lines[0],
        "id,time_utc,unix_time,event,actor,account,device,challenge,ip,user_agent,detail"
    );
    assert_eq!(lines[4], "");
    assert!(
        lines[1].ends_with(
            ",account_created,cli:tester,mallory,,,,,\
             \"role=user display_name=\"\"=HYPERLINK(\\\"\"http://evil\\\"\",\\\"\"x\\\"\")\"\"\""
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(
            ",account_created,cli:tester,carol,,,,,\
             \"role=user display_name=\"\"Carol, \\\"\"Caro\\\"\"\"\"\""
        ),
        "{}",
        lines[2]
    );
    // The reason starts the detail with `reason=`, so it is not a formula; a cell that
    // starts with a sign is prefixed.
    assert!(
        lines[3].ends_with(",\"reason=\"\"+33 6 00 00 00 00 a appelé\"\"\""),
        "{}",
        lines[3]
    );

    // A filter, and the export itself recorded (after the rows it exported).
    let mut out = Vec::new();
    let only = admin
        .export_audit_csv(
            &me,
            &AuditFilter {
                account: Some("carol".into()),
                ..AuditFilter::default()
            },
            &mut out,
        )
        .await
        .expect("export");
    assert_eq!(only, 2);
    let latest = admin
        .audit_latest(&AuditFilter::default(), 1)
        .await
        .expect("latest");
    assert_eq!(latest[0].event, "audit_exported");
    assert_eq!(latest[0].actor, "cli:tester");
    assert_eq!(latest[0].detail.as_deref(), Some("rows=2 account=carol"));
    assert_eq!(latest[0].account_id, None);
}

#[tokio::test]
async fn formula_cells_are_prefixed_in_the_export() {
    // An actor name (from the web: a Tigr ID cannot start with a sign, but a browser summary
    // or an IP column could be anything written by a future version).
    let s = TestServer::start().await;
    let admin = service(&s).await;
    let web = Actor::web("root", "-1+1", "=cmd|' /C calc'!A0");
    admin
        .create_account(&web, account("dave", "Dave"))
        .await
        .expect("created");
    let mut out = Vec::new();
    admin
        .export_audit_csv(&web, &AuditFilter::default(), &mut out)
        .await
        .expect("export");
    let text = String::from_utf8(out).expect("utf-8");
    let row = text.split("\r\n").nth(1).expect("row");
    assert!(row.contains(",dave,,,'-1+1,'=cmd|' /C calc'!A0,"), "{row}");
}

#[tokio::test]
async fn audit_rows_can_never_be_edited_or_deleted() {
    let s = TestServer::start().await;
    let admin = service(&s).await;
    admin
        .create_account(&operator(), account("alice", "Alice"))
        .await
        .expect("created");
    admin
        .disable_account(&operator(), "alice", Some("test"))
        .await
        .expect("disabled");
    let db = s.db().await;
    for sql in [
        "UPDATE audit SET actor = 'someone-else'",
        "UPDATE audit SET detail = NULL WHERE event = 'account_disabled'",
        "DELETE FROM audit WHERE actor LIKE 'cli:%'",
        "DELETE FROM audit",
    ] {
        let error = sqlx::query(sql).execute(&db).await.expect_err(sql);
        assert!(error.to_string().contains("append-only"), "{sql}: {error}");
    }
    let actors: Vec<String> = sqlx::query_scalar("SELECT actor FROM audit ORDER BY id")
        .fetch_all(&db)
        .await
        .expect("audit");
    assert_eq!(actors, ["cli:tester", "cli:tester"]);
}
