//! The admin web pages over real HTTP: who may see them (anonymous → login page,
//! non-administrator → 403), CSRF and origin checks of every post, each action audited
//! with the web actor (Tigr ID, IP address, browser), validation messages, the live status
//! of an invitation, the CSV export, shorter administrator sessions, both languages.
//! The same flows in a real browser are in `tests/tests/browser_admin.rs`.

use std::sync::Arc;
use std::time::Duration;

use tigr_core::clock::FixedClock;
use tigr_server::admin::{Actor, NewAccount, Role};

use crate::browser::{Reply, Tab, attr};
use crate::common::{Challenge, Phone, TestServer, logs};
use crate::support::{code_of, enroll_with, operator, service};

/// Every page an administrator can open (the account `bob` exists).
const PAGES: &[&str] = &[
    "/admin",
    "/admin/accounts",
    "/admin/accounts?q=bo&status=enabled&role=user&page=1",
    "/admin/new-account",
    "/admin/accounts/bob",
    "/admin/accounts/bob/edit",
    "/admin/accounts/bob/enroll",
    "/admin/blocked",
    "/admin/audit",
    "/admin/audit?account=bob&event=account_created&actor=cli&since=2020-01-01&until=2100-01-01",
];

/// Every post of the admin pages, with fields that would change something.
const POSTS: &[(&str, &[(&str, &str)])] = &[
    (
        "/admin/accounts",
        &[("id", "mallory"), ("display_name", "M"), ("role", "admin")],
    ),
    (
        "/admin/accounts/bob/edit",
        &[("display_name", "Bob"), ("role", "admin")],
    ),
    ("/admin/accounts/bob/disable", &[("reason", "x")]),
    ("/admin/accounts/bob/enable", &[]),
    ("/admin/accounts/bob/unblock", &[]),
    ("/admin/accounts/bob/password", &[]),
    ("/admin/accounts/bob/revoke", &[]),
    ("/admin/accounts/bob/enroll", &[("ttl", "900")]),
    ("/admin/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAA/cancel", &[]),
    ("/admin/audit/export", &[]),
    (
        "/admin/accounts/bob/cards",
        &[("kind", "national_id"), ("value", "810001234567")],
    ),
    (
        "/admin/accounts/bob/cards/unbind",
        &[("kind", "national_id"), ("value", "810001234567")],
    ),
];

/// A server with the administrator `root` (enrolled phone) and the user `bob` (enrolled
/// phone); returns the server, root's phone and bob's phone.
async fn setup(adjust: impl FnOnce(&mut tigr_server::Config)) -> (TestServer, Phone, Phone) {
    let s = TestServer::start_with(adjust).await;
    let svc = service(&s).await;
    svc.create_account(
        &operator(),
        NewAccount {
            id: "root".into(),
            display_name: "Équipe SI".into(),
            email: None,
            role: Role::Admin,
        },
    )
    .await
    .expect("admin");
    svc.create_account(
        &operator(),
        NewAccount {
            id: "bob".into(),
            display_name: "Bob Durand".into(),
            email: Some("bob.durand@chu.fr".into()),
            role: Role::User,
        },
    )
    .await
    .expect("user");
    svc.close().await;
    let root = s.enroll("root").await;
    let bob = s.enroll("bob").await;
    (s, root, bob)
}

/// A tab logged in with `phone`.
async fn logged_in(s: &TestServer, phone: &Phone) -> Tab {
    let mut tab = Tab::new(s);
    tab.log_in(s, phone).await;
    tab
}

/// The CSRF token of the forms of `page`.
fn csrf_of(page: &Reply) -> String {
    attr(&page.body, "name=\"csrf\" value")
}

/// Posts a form of the admin pages as the browser does (token of the page, same origin).
async fn submit(tab: &mut Tab, path: &str, fields: &[(&str, &str)]) -> Reply {
    let page = tab.get("/admin").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = csrf_of(&page);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let origin = tab.origin();
    tab.submit(path, &all, Some(&origin)).await
}

/// Posts `fields` to the account creation, from `origin`.
async fn post(tab: &mut Tab, fields: &[(String, String)], origin: Option<String>) -> Reply {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    tab.submit("/admin/accounts", &refs, origin.as_deref())
        .await
}

/// Audit rows as (event, actor, account, ip, user_agent, detail), oldest first.
async fn audit_rows(s: &TestServer) -> Vec<(String, String, String, String, String, String)> {
    let db = s.db().await;
    let rows =
        sqlx::query_as::<
            _,
            (
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            ),
        >("SELECT event, actor, account_id, ip, user_agent, detail FROM audit ORDER BY id")
        .fetch_all(&db)
        .await
        .expect("audit");
    db.close().await;
    rows.into_iter()
        .map(|(e, a, acc, ip, ua, d)| {
            (
                e,
                a,
                acc.unwrap_or_default(),
                ip.unwrap_or_default(),
                ua.unwrap_or_default(),
                d.unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn anonymous_people_go_to_the_login_page_and_other_accounts_get_403() {
    let (s, _root, bob) = setup(|_| {}).await;
    let before = audit_rows(&s).await.len();

    let mut anonymous = Tab::new(&s);
    for page in PAGES {
        let reply = anonymous.get(page).await;
        assert_eq!(reply.status, 303, "{page}");
        let location = reply.header("location");
        let expected = format!(
            "/login?{}",
            serde_urlencoded::to_string([("return", *page)]).expect("query")
        );
        assert_eq!(location, expected, "{page}");
    }
    assert_eq!(
        anonymous.get("/admin").await.header("location"),
        "/login?return=%2Fadmin"
    );
    for (path, fields) in POSTS {
        let origin = anonymous.origin();
        let reply = anonymous.submit(path, fields, Some(&origin)).await;
        assert_eq!(reply.status, 303, "{path}");
        assert!(reply.header("location").starts_with("/login?return="));
    }

    // A signed-in user who is not an administrator: 403 everywhere, in French.
    let mut user = logged_in(&s, &bob).await;
    for page in PAGES {
        let reply = user.get(page).await;
        assert_eq!(reply.status, 403, "{page}");
        assert!(
            reply.body.contains("réservée aux administrateurs"),
            "{page}: {}",
            reply.body
        );
        assert!(!reply.body.contains("admin-nav"), "{page}: no admin menu");
    }
    // Even with the session's own valid CSRF token.
    let csrf = csrf_of(&user.get("/session").await);
    for (path, fields) in POSTS {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let origin = user.origin();
        let reply = user.submit(path, &all, Some(&origin)).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.body);
    }
    // No admin link in the user's pages.
    assert!(!user.get("/session").await.body.contains("href=\"/admin\""));

    // Nothing changed: only bob's login is new in the trail.
    let rows = audit_rows(&s).await;
    let new: Vec<&str> = rows[before..].iter().map(|r| r.0.as_str()).collect();
    assert_eq!(new, ["approved", "web_login"]);
    let svc = service(&s).await;
    assert!(svc.account("mallory").await.is_err());
    assert_eq!(svc.account("bob").await.expect("bob").role, "user");
    svc.close().await;
}

#[tokio::test]
async fn posts_need_the_csrf_token_and_the_same_origin() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let page = tab.get("/admin/new-account").await;
    assert_eq!(page.status, 200);
    let csrf = csrf_of(&page);
    let origin = tab.origin();
    let fields = |token: &str| {
        vec![
            ("csrf".to_owned(), token.to_owned()),
            ("id".to_owned(), "mallory".to_owned()),
            ("display_name".to_owned(), "Mallory".to_owned()),
            ("role".to_owned(), "admin".to_owned()),
        ]
    };

    // Missing token, wrong token, token of another session.
    let missing: Vec<_> = fields("")
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .collect();
    let reply = post(&mut tab, &missing, Some(origin.clone())).await;
    assert_eq!(reply.status, 403);
    assert!(reply.body.contains("Page expirée"), "{}", reply.body);
    let wrong = fields("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        post(&mut tab, &wrong, Some(origin.clone())).await.status,
        403
    );
    let mut other = logged_in(&s, &root).await;
    let others_token = csrf_of(&other.get("/admin").await);
    assert_ne!(others_token, csrf);
    let reply = post(&mut tab, &fields(&others_token), Some(origin.clone())).await;
    assert_eq!(reply.status, 403, "a token is bound to its session");

    // The right token from another site: refused (Origin, then Sec-Fetch-Site).
    let evil = Some("https://evil.example".to_owned());
    assert_eq!(post(&mut tab, &fields(&csrf), evil).await.status, 403);
    assert_eq!(
        post(&mut tab, &fields(&csrf), Some("null".into()))
            .await
            .status,
        403
    );
    let request = tab
        .http
        .post(format!("{}/admin/accounts", tab.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(serde_urlencoded::to_string(fields(&csrf)).expect("form"));
    assert_eq!(tab.send(request).await.status, 403);

    let svc = service(&s).await;
    assert!(svc.account("mallory").await.is_err(), "nothing was created");

    // The same post from the page itself works.
    let reply = post(&mut tab, &fields(&csrf), Some(origin)).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        reply.header("location"),
        "/admin/accounts/mallory?done=created"
    );
    assert_eq!(svc.account("mallory").await.expect("created").role, "admin");
    svc.close().await;
}

#[tokio::test]
async fn every_admin_action_is_audited_with_the_web_actor() {
    let (s, root, bob) = setup(|c| c.lockout_threshold = 2).await;
    let mut tab = logged_in(&s, &root).await;
    let start = audit_rows(&s).await.len();

    // Create, edit.
    let r = submit(
        &mut tab,
        "/admin/accounts",
        &[
            ("id", "e.martin"),
            ("display_name", "Émilie Martin"),
            ("email", "emilie.martin@chu.fr"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/e.martin/edit",
        &[
            ("display_name", "Dr Émilie Martin"),
            ("email", ""),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/admin/accounts/e.martin?done=edited");
    let page = tab.get("/admin/accounts/e.martin?done=edited").await;
    assert!(page.body.contains("Compte modifié."));
    assert!(page.body.contains("Dr Émilie Martin"));

    // Invite (the page shows the QR once), cancel.
    let r = submit(
        &mut tab,
        "/admin/accounts/e.martin/enroll",
        &[("ttl", "3600")],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body.contains("<svg aria-hidden=\"true\""));
    assert!(!r.body.contains("style="), "no inline style (CSP)");
    assert!(r.body.contains("aria-live=\"polite\""));
    assert!(r.body.contains("Activer l'application Tigr"));
    assert!(r.body.contains("(1 h)"), "the chosen lifetime is shown");
    assert_eq!(r.header("cache-control"), "no-store");
    let invitation = attr(&r.body, "data-invitation");
    let r = submit(
        &mut tab,
        &format!("/admin/invitations/{invitation}/cancel"),
        &[],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        "/admin/accounts/e.martin?done=cancelled"
    );

    // Revoke bob's phone: its approvals are refused from then on.
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/revoke",
        &[("reason", "téléphone volé")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let c: Challenge = s.challenge().await;
    let (status, body) = s.respond(&c, &bob.approve(s.origin(), &c)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "device_revoked");

    // Block e.martin's new phone with wrong answers, unblock from the page.
    let svc = service(&s).await;
    let created = svc
        .create_invitation(&operator(), "e.martin", None)
        .await
        .expect("invite");
    let phone = enroll_with(&s, "e.martin", &code_of(&created))
        .await
        .expect("enrolled");
    for _ in 0..2 {
        let c = s.challenge().await;
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    let page = tab.get("/admin/accounts/e.martin").await;
    assert!(page.body.contains("Bloqué depuis "), "{}", page.body);
    assert!(page.body.contains(" (UTC+0"), "local time with its offset");
    assert!(tab.get("/admin/blocked").await.body.contains("e.martin"));
    let r = submit(
        &mut tab,
        "/admin/accounts/e.martin/unblock",
        &[("from", "blocked")],
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/admin/blocked");
    let c = s.challenge().await;
    let (status, body) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 200, "the right answer works again: {body}");

    // Disable, enable, export.
    let r = submit(
        &mut tab,
        "/admin/accounts/e.martin/disable",
        &[("reason", "départ le 28/02")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = submit(&mut tab, "/admin/accounts/e.martin/enable", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/audit/export",
        &[("account", "e.martin"), ("since", "2000-01-01")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        r.header("content-disposition")
            .starts_with("attachment; filename=\"tigr-audit-"),
        "{}",
        r.header("content-disposition")
    );
    assert!(
        r.body
            .starts_with("id,time_utc,unix_time,event,actor,account")
    );
    assert!(
        r.body.contains(",account_created,web:root,e.martin,"),
        "{}",
        r.body
    );
    assert!(!r.body.contains(",bob,"), "filtered on the account");

    // Each action: one row by web:root with the browser's address and summary.
    let rows = audit_rows(&s).await;
    let by_web: Vec<_> = rows[start..].iter().filter(|r| r.1 == "web:root").collect();
    let events: Vec<&str> = by_web.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        events,
        [
            "account_created",
            "account_updated",
            "enrollment_created",
            "enrollment_cancelled",
            "device_revoked",
            "account_unblocked",
            "account_disabled",
            "account_enabled",
            "audit_exported",
        ]
    );
    for (event, _, account, ip, user_agent, detail) in &by_web {
        assert_eq!(ip, "127.0.0.1", "{event}");
        assert_eq!(user_agent, "Chrome 131 · Linux", "{event}");
        if event != "audit_exported" {
            assert!(
                account == "e.martin" || account == "bob",
                "{event}: {account}"
            );
        }
        if event == "device_revoked" {
            assert!(detail.contains("téléphone volé"), "{detail}");
        }
        if event == "audit_exported" {
            assert!(detail.contains("account=e.martin"), "{detail}");
        }
    }
    svc.close().await;
}

#[tokio::test]
async fn forms_explain_refusals_and_keep_what_was_typed() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;

    let r = submit(
        &mut tab,
        "/admin/accounts",
        &[
            ("id", "Bad ID"),
            ("display_name", "Émile <b>"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Identifiant Tigr invalide"), "{}", r.body);
    assert!(r.body.contains("role=\"alert\""));
    assert!(r.body.contains("value=\"Bad ID\""), "typed values are kept");
    assert!(r.body.contains("Émile &lt;b&gt;"), "escaped");
    let id_field = &r.body[r.body.find("id=\"account-id\"").expect("field")..];
    assert!(id_field[..600].contains("aria-invalid=\"true\""));

    let r = submit(
        &mut tab,
        "/admin/accounts",
        &[
            ("id", "bob"),
            ("display_name", "Autre Bob"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 409, "duplicate Tigr IDs are refused");
    assert!(
        r.body.contains("Le compte « bob » existe déjà"),
        "{}",
        r.body
    );

    let r = submit(
        &mut tab,
        "/admin/accounts",
        &[
            ("id", "c.leroy"),
            ("display_name", "Claire"),
            ("email", "claire@"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Adresse e-mail invalide"));

    // English, as the page language says.
    tab.lang = Some("en");
    let r = submit(
        &mut tab,
        "/admin/accounts",
        &[("id", "bob"), ("display_name", "Bob"), ("role", "user")],
    )
    .await;
    assert_eq!(r.status, 409);
    assert!(
        r.body.contains("Account &quot;bob&quot; already exists"),
        "{}",
        r.body
    );
    tab.lang = None;

    // Actions that do not apply say why, on the account page.
    let r = submit(&mut tab, "/admin/accounts/bob/unblock", &[]).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("n&#x27;est pas bloqué"), "{}", r.body);
    let r = submit(&mut tab, "/admin/accounts/root/disable", &[]).await;
    assert_eq!(r.status, 409, "the last administrator stays");
    assert!(r.body.contains("dernier administrateur"), "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/edit",
        &[
            ("display_name", "Bob Durand"),
            ("email", "bob.durand@chu.fr"),
            ("role", "user"),
        ],
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Rien à modifier"));
    let r = submit(&mut tab, "/admin/accounts/bob/enroll", &[("ttl", "5")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Durée de validité invalide"));
    assert_eq!(tab.get("/admin/accounts/nobody").await.status, 404);
    assert_eq!(tab.get("/admin/audit?event=nope").await.status, 400);
    assert_eq!(tab.get("/admin/audit?since=yesterday").await.status, 400);
    assert_eq!(tab.get("/admin/accounts?page=0").await.status, 400);
}

#[tokio::test]
async fn every_admin_page_renders_in_french_and_english_with_the_security_headers() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let session = tab.get("/session").await;
    assert!(
        session.body.contains("href=\"/admin\""),
        "admin link in the layout"
    );
    for lang in [None, Some("en")] {
        tab.lang = lang;
        for page in PAGES {
            let r = tab.get(page).await;
            assert_eq!(r.status, 200, "{page}: {}", r.body);
            assert_eq!(
                r.header("content-language"),
                if lang.is_some() { "en" } else { "fr" }
            );
            let csp = r.header("content-security-policy");
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
                "{csp}"
            );
            assert_eq!(r.header("x-frame-options"), "DENY");
            assert_eq!(r.header("cache-control"), "no-store");
            assert!(!r.body.contains("style="), "{page}: no inline style (CSP)");
            assert!(
                !r.body.contains("<script>"),
                "{page}: no inline script (CSP)"
            );
            assert!(r.body.contains("aria-current=\"page\""), "{page}");
        }
        let dashboard = tab.get("/admin").await.body;
        let (accounts, admin_word) = if lang.is_some() {
            ("Audit trail", "Dashboard")
        } else {
            ("Journal d&#x27;audit", "Tableau de bord")
        };
        assert!(dashboard.contains(accounts) && dashboard.contains(admin_word));
    }
    tab.lang = None;
    let r = tab.get("/admin/accounts/bob").await;
    assert!(
        r.body.contains("Bob Durand") && r.body.contains("Pixel 8"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Enrôler un smartphone"));
    let list = tab.get("/admin/accounts?q=DURAND").await;
    assert!(list.body.contains("data-account=\"bob\""));
    assert!(!list.body.contains("data-account=\"root\""));
    let none = tab.get("/admin/accounts?status=blocked").await;
    assert!(none.body.contains("Aucun compte ne correspond."));
    for file in ["admin.css", "admin.js"] {
        assert_eq!(tab.get(&format!("/static/{file}")).await.status, 200);
    }
}

/// Reads the event stream into `seen` until it holds `needle` (10 s at most).
async fn read_until(stream: &mut reqwest::Response, seen: &mut String, needle: &str) {
    let read = async {
        while !seen.contains(needle) {
            let chunk = stream.chunk().await.expect("chunk").expect("more");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    if tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .is_err()
    {
        panic!("{needle} not in the stream: {seen}");
    }
}

#[tokio::test]
async fn the_invitation_status_is_live() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let svc = service(&s).await;
    let created = svc
        .create_invitation(&Actor::cli("tester"), "bob", Some(600))
        .await
        .expect("invite");
    let id = created.invitation.id.clone();

    let status = tab.get(&format!("/admin/invitations/{id}/status")).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()["status"], "pending");
    assert!(
        status.json()["text"]
            .as_str()
            .expect("text")
            .contains("En attente du téléphone")
    );

    // The event stream says "pending" at once, then "completed" with the phone when the
    // phone enrolls.
    let mut stream = tab
        .http
        .get(format!("{}/admin/invitations/{id}/events", tab.base))
        .header("cookie", tab.cookie_header())
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "\"status\":\"pending\"").await;
    let phone = enroll_with(&s, "bob", &code_of(&created))
        .await
        .expect("enrolled");
    read_until(&mut stream, &mut seen, "\"status\":\"completed\"").await;
    assert!(seen.contains("event: status"), "{seen}");
    assert!(seen.contains(&phone.device_id), "{seen}");
    assert!(seen.contains("Pixel 8"), "{seen}");

    let status = tab
        .get(&format!("/admin/invitations/{id}/status"))
        .await
        .json();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["device"]["id"], phone.device_id.as_str());
    assert_eq!(tab.get("/admin/invitations/NOPE/status").await.status, 404);

    // Others learn nothing.
    let mut anonymous = Tab::new(&s);
    assert_eq!(
        anonymous
            .get(&format!("/admin/invitations/{id}/events"))
            .await
            .status,
        303
    );
    svc.close().await;
}

#[tokio::test]
async fn administrator_sessions_end_sooner_than_other_sessions() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let (s, root, bob) = setup(|c| {
        c.clock = clock.clone();
        c.admin_session_idle = 600;
        c.admin_session_max = 1800;
    })
    .await;
    let mut admin = logged_in(&s, &root).await;
    let mut user = logged_in(&s, &bob).await;
    let page = admin.get("/admin").await;
    assert!(
        page.body.contains("fermée après 10 min sans activité"),
        "{}",
        page.body
    );

    // Idle: 11 minutes end the administrator's session, not the user's (30 min).
    clock.advance(660);
    let r = admin.get("/admin").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/login?return=%2Fadmin");
    assert_eq!(
        admin.get("/session").await.status,
        303,
        "the whole session ended"
    );
    assert_eq!(user.get("/session").await.status, 200);

    // Absolute: active every 8 minutes, still over 30 minutes after the login.
    let mut admin = logged_in(&s, &root).await;
    for _ in 0..3 {
        clock.advance(480);
        assert_eq!(admin.get("/admin").await.status, 200);
        assert_eq!(user.get("/session").await.status, 200);
    }
    clock.advance(400);
    assert_eq!(admin.get("/admin").await.status, 303);
    assert_eq!(user.get("/session").await.status, 200);
}

#[tokio::test]
async fn no_session_id_csrf_token_or_enrollment_code_in_the_logs() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let session_id = tab
        .cookies
        .get("tigr_session")
        .cloned()
        .expect("session cookie");
    let r = submit(&mut tab, "/admin/accounts/bob/enroll", &[]).await;
    assert_eq!(r.status, 201);
    let csrf = csrf_of(&r);
    // The code is in the QR only; the service gives it to the command line, not here.
    let svc = service(&s).await;
    let created = svc
        .create_invitation(&operator(), "bob", None)
        .await
        .expect("invite");
    let code = code_of(&created);
    let _ = submit(&mut tab, "/admin/audit/export", &[]).await;
    svc.close().await;
    let logs = logs();
    for secret in [&session_id, &csrf, &code] {
        assert!(!logs.contains(secret.as_str()), "a secret is logged");
    }
}

#[tokio::test]
async fn cards_are_bound_and_unbound_from_the_account_page_and_audited() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let page = tab.get("/admin/accounts/bob").await;
    assert!(page.body.contains("id=\"no-card\""), "{}", page.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/cards",
        &[("kind", "national_id"), ("value", " 810001234567 ")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/admin/accounts/bob?done=card_bound");
    let page = tab.get("/admin/accounts/bob?done=card_bound").await;
    assert!(page.body.contains("Carte associée au compte."));
    assert!(page.body.contains("data-card=\"810001234567\""));
    let fingerprint = "AB:".repeat(31) + "AB";
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/cards",
        &[("kind", "fingerprint"), ("value", &fingerprint)],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Refusals are explained on the page: malformed, and bound to another account.
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/cards",
        &[("kind", "national_id"), ("value", "81000123")],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("n’est ni un identifiant national"),
        "{}",
        r.body
    );
    let r = submit(
        &mut tab,
        "/admin/accounts/root/cards",
        &[("kind", "national_id"), ("value", "810001234567")],
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("déjà associée au compte « bob »"),
        "{}",
        r.body
    );
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/cards/unbind",
        &[("kind", "national_id"), ("value", "810001234567")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let svc = service(&s).await;
    let left: Vec<String> = svc
        .card_bindings("bob")
        .await
        .expect("bindings")
        .into_iter()
        .map(|b| b.value)
        .collect();
    assert_eq!(left, vec!["ab".repeat(32)]);
    let rows = audit_rows(&s).await;
    let cards: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.0.starts_with("card_"))
        .map(|r| (r.0.as_str(), r.1.as_str(), r.5.as_str()))
        .collect();
    let print = "ab".repeat(32);
    assert_eq!(
        cards,
        vec![
            ("card_bound", "web:root", "national_id=810001234567"),
            (
                "card_bound",
                "web:root",
                format!("fingerprint={print}").as_str()
            ),
            ("card_unbound", "web:root", "national_id=810001234567"),
        ]
    );
}

#[tokio::test]
async fn revoking_a_phone_from_the_page_ends_its_web_sessions() {
    let (s, root, bob) = setup(|_| {}).await;
    let mut admin = logged_in(&s, &root).await;
    let mut user = logged_in(&s, &bob).await;
    let r = submit(
        &mut admin,
        "/admin/accounts/bob/revoke",
        &[("reason", "téléphone volé")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = user.get("/session").await;
    assert_eq!(after.status, 303, "bob's session ended with his phone");
    assert_eq!(admin.get("/admin").await.status, 200);
    let rows = audit_rows(&s).await;
    let revoked = rows
        .iter()
        .rev()
        .find(|r| r.0 == "device_revoked")
        .expect("audited");
    assert_eq!(
        revoked.5,
        "reason=revoked_by_admin note=\"téléphone volé\" sessions_ended=1"
    );

    // An administrator who revokes their own phone is signed out too: the session came
    // from that phone.
    let r = submit(&mut admin, "/admin/accounts/root/revoke", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin.get("/admin").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/login?return=%2Fadmin");
}

/// The pages say which channel is blocked, until when: a pause of offline codes shows on
/// the blocked list, the dashboard and the account page, apart from the phone's block.
#[tokio::test]
async fn the_pages_say_which_channel_is_blocked_until_when() {
    let (s, root, bob) = setup(|_| {}).await;
    let c = s.challenge().await;
    for _ in 0..5 {
        s.offline(&c, "bob", "00000000").await;
    }
    let mut tab = logged_in(&s, &root).await;
    let blocked = tab.get("/admin/blocked").await;
    assert_eq!(blocked.status, 200);
    let row = &blocked.body[blocked
        .body
        .find("data-account=\"bob\"")
        .expect("bob listed")..];
    let row = &row[..row.find("</tr>").expect("row")];
    assert!(
        row.contains("data-lock=\"open\" data-offline=\"paused\""),
        "{row}"
    );
    assert!(row.contains("Suspendue depuis "), "{row}");
    assert!(
        row.contains("la connexion par QR code reste possible"),
        "{row}"
    );
    let dashboard = tab.get("/admin").await;
    assert!(
        dashboard.body.contains("Suspendue depuis "),
        "{}",
        dashboard.body
    );
    let page = tab.get("/admin/accounts/bob").await;
    assert!(
        page.body.contains("data-offline=\"paused\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-lock=\"open\""), "{}", page.body);
    assert!(
        page.body
            .contains("Saisie hors connexion suspendue jusqu&#x27;à "),
        "{}",
        page.body
    );
    // Unblock from the page: offline codes accepted again.
    let r = submit(&mut tab, "/admin/accounts/bob/unblock", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = tab.get("/admin/accounts/bob").await;
    assert!(page.body.contains("data-offline=\"open\""), "{}", page.body);
    let (status, body) = s
        .offline(&c, "bob", &bob.offline_code(s.origin(), &c))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_administrator_issues_a_password_link_and_never_sees_a_password() {
    let (s, root, _) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let page = tab.get("/admin/accounts/bob").await;
    assert!(
        page.body
            .contains("id=\"password-state\">Pas encore de mot de passe.")
    );
    let r = submit(&mut tab, "/admin/accounts/bob/password", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = attr(&r.body, "id=\"password-link\" type=\"text\" readonly value");
    let path = link
        .strip_prefix(s.origin())
        .expect("a link of this server")
        .to_owned();
    assert!(path.starts_with("/password/"), "{link}");

    // Bob chooses his password with the link, in his own browser.
    let mut bob = Tab::new(&s);
    let form = bob.get(&path).await;
    assert_eq!(form.status, 200);
    let origin = bob.origin();
    let chosen = "la mer est calme ce soir";
    let done = bob
        .submit(
            &path,
            &[
                ("csrf", &csrf_of(&form)),
                ("password", chosen),
                ("confirmation", chosen),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    let page = tab.get("/admin/accounts/bob").await;
    assert!(
        page.body.contains("Mot de passe choisi le"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(chosen));
    let reset = submit(&mut tab, "/admin/accounts/bob/password", &[]).await;
    assert!(
        reset.body.contains("Lien de réinitialisation"),
        "{}",
        reset.body
    );
    let rows = audit_rows(&s).await;
    let created: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == "password_invitation_created")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].1, "web:root");
    assert!(created[1].5.contains("reset=true"), "{:?}", created[1]);
    assert!(rows.iter().all(|r| !r.5.contains(chosen)));
}

#[tokio::test]
async fn tokens_are_managed_from_the_account_page_and_audited() {
    let (s, root, _bob) = setup(|_| {}).await;
    let mut tab = logged_in(&s, &root).await;
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    // A bad file on the import page: refused whole, with its line.
    let bad = format!("serial,secret,type,digits,period_or_counter\nTK-1,{secret},totp,7,30\n");
    let r = submit(&mut tab, "/admin/tokens", &[("content", &bad)]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("ligne 2 :"), "{}", r.body);
    let good = format!(
        "serial,secret,type,digits,period_or_counter\nTK-1,{secret},totp,6,30\nTK-2,{secret},hotp,6,0\n"
    );
    let r = submit(&mut tab, "/admin/tokens", &[("content", &good)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("2 jetons importés."), "{}", r.body);
    assert!(r.body.contains("data-token=\"TK-2\""), "{}", r.body);

    let page = tab.get("/admin/accounts/bob").await;
    assert!(page.body.contains("id=\"no-token\""), "{}", page.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens",
        &[("serial", "TK-2")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        "/admin/accounts/bob?done=token_assigned"
    );
    let page = tab.get("/admin/accounts/bob?done=token_assigned").await;
    assert!(page.body.contains("Jeton attribué au compte."));
    assert!(page.body.contains("data-token=\"TK-2\""));
    assert!(
        page.body.contains("id=\"resync-form\""),
        "an HOTP token can be resynchronised"
    );
    // Refusals on the page: a second token, a token that is not the account's.
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens",
        &[("serial", "TK-1")],
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/root/tokens/revoke",
        &[("serial", "TK-2")],
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens/resync",
        &[
            ("serial", "TK-2"),
            ("first", "000000"),
            ("second", "000000"),
        ],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("pas deux codes consécutifs"), "{}", r.body);
    // RFC 4226 Appendix D: counters 4 and 5 of this secret.
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens/resync",
        &[
            ("serial", "TK-2"),
            ("first", "338314"),
            ("second", "254676"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = submit(&mut tab, "/admin/accounts/bob/tokens/invite", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let link = attr(&r.body, "readonly value");
    assert!(
        link.starts_with(&format!("{}/token/", s.origin())),
        "{link}"
    );
    assert!(r.body.contains("« TK-2 » sera révoqué"), "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens/unassign",
        &[("serial", "TK-2")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens",
        &[("serial", "TK-1")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A TOTP token shows its clock drift (none learned yet) and is resynchronised too.
    let page = tab.get("/admin/accounts/bob?done=token_assigned").await;
    assert!(
        page.body.contains("TOTP SHA1 6 30s ±1, dérive +0 (+0 s)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"resync-form\""), "{}", page.body);
    let r = submit(
        &mut tab,
        "/admin/accounts/bob/tokens/revoke",
        &[("serial", "TK-1")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = tab.get("/admin/accounts/bob?done=token_revoked").await;
    assert!(page.body.contains("Jeton révoqué."));
    let rows = audit_rows(&s).await;
    let tokens: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r.0.starts_with("token"))
        .map(|r| (r.0.as_str(), r.1.as_str(), r.5.as_str()))
        .collect();
    assert_eq!(
        tokens,
        vec![
            ("tokens_imported", "web:root", "format=csv count=2"),
            ("token_assigned", "web:root", "serial=TK-2"),
            ("token_resynced", "web:root", "serial=TK-2 counter=6"),
            (
                "token_invitation_created",
                "web:root",
                tokens_invitation_detail(&rows).as_str()
            ),
            ("token_unassigned", "web:root", "serial=TK-2"),
            ("token_assigned", "web:root", "serial=TK-1"),
            ("token_revoked", "web:root", "serial=TK-1"),
        ]
    );
    // The server's own audit rows are counted in its metrics.
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics");
    assert!(
        metrics.contains("tigr_audit_events_total{event=\"token_assigned\"} 2"),
        "{metrics}"
    );
}

/// The detail of the token invitation row (its expiry and serial are the server's).
fn tokens_invitation_detail(rows: &[(String, String, String, String, String, String)]) -> String {
    rows.iter()
        .find(|r| r.0 == "token_invitation_created")
        .map(|r| r.5.clone())
        .filter(|d| {
            d.starts_with("expires_at=")
                && d.contains(" serial=app-")
                && d.ends_with(" cancelled=0")
        })
        .expect("a token_invitation_created row")
}
