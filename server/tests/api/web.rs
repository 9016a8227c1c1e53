//! The web pages over real HTTP: browser binding of the page's challenges, events, sessions
//! (cookies, timeouts, logout), CSRF, safe return URLs, security headers, languages.
//! The same flows in a real browser are in `tests/tests/browser_login.rs`.

use std::sync::Arc;

use tigr_core::clock::FixedClock;

use crate::browser::{Tab, attr};
use crate::common::{TestServer, logs, wrong_code};

#[tokio::test]
async fn the_login_page_binds_its_qr_to_the_browser_and_sends_security_headers() {
    let s = TestServer::start().await;
    let mut tab = Tab::new(&s);
    let reply = tab.get("/login").await;
    assert_eq!(reply.status, 200);
    let cookies = reply.set_cookies();
    let login_cookie = cookies
        .iter()
        .find(|c| c.starts_with("tigr_login="))
        .expect("login cookie");
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Lax"));
    assert!(!login_cookie.contains("Secure"), "http loopback: no Secure");
    let csp = reply.header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(reply.header("x-frame-options"), "DENY");
    assert_eq!(reply.header("referrer-policy"), "same-origin");
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
    assert_eq!(reply.header("content-language"), "fr");
    assert!(
        reply
            .body
            .contains("Scannez le QR code avec l&#x27;application Tigr avant")
    );
    assert!(reply.body.contains("<svg aria-hidden=\"true\""));
    assert!(reply.body.contains("aria-live=\"polite\""));

    // The same browser keeps its cookie; the context shows the real browser.
    let page = tab.login_page("").await;
    let (status, context) = s
        .post(
            &format!("/login/challenges/{}/context", page.challenge.id),
            &serde_json::json!({ "nonce": page.challenge.nonce }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["browser_ip"], "127.0.0.1");
    assert_eq!(context["browser_summary"], "Chrome 131 · Linux");
    // The QR's text alternative never holds the nonce.
    let button = &page.html[page.html.find("id=\"qr-button\"").expect("QR button")..];
    let label = attr(button, "aria-label");
    assert!(label.contains("application Tigr"), "{label}");
    assert!(!label.contains(&page.challenge.nonce));

    for (file, kind) in [
        ("tigr.css", "text/css"),
        ("login.js", "text/javascript"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = tab.get(&format!("/static/{file}")).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").starts_with(kind), "{file}");
    }
    assert_eq!(tab.get("/static/nope.js").await.status, 404);
}

#[tokio::test]
async fn another_client_that_knows_the_challenge_id_learns_nothing_and_cannot_log_in() {
    let s = TestServer::start().await;
    let phone = s.enroll("alice").await;
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let mut stranger = Tab::new(&s);
    let strangers_page = stranger.login_page("").await; // a valid login cookie of its own
    let mut anonymous = Tab::new(&s);
    let id = page.challenge.id.clone();

    for client in [&mut stranger, &mut anonymous] {
        assert_eq!(client.get(&format!("/login/events/{id}")).await.status, 403);
        let status = client.get(&format!("/login/status/{id}")).await;
        assert_eq!(status.status, 403);
        assert_eq!(status.json()["error"], "browser_mismatch");
    }
    // Unknown ids look the same as other browsers' ones.
    assert_eq!(
        stranger
            .get("/login/events/AAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status,
        403
    );

    // Approved by the phone: only the browser that showed the QR gets a session.
    let (status, _) = s
        .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    assert_eq!(status, 200);
    let attempt = stranger
        .post(
            "/login/complete",
            &[("challenge_id", &id)],
            Some(&strangers_page.csrf),
        )
        .await;
    assert_eq!(attempt.status, 403, "{}", attempt.body);
    assert_eq!(attempt.json()["error"], "browser_mismatch");
    assert!(attempt.set_cookies().iter().all(|c| !c.contains("session")));
    let code = phone.offline_code(s.origin(), &page.challenge);
    let offline = stranger
        .post(
            "/login/offline",
            &[("challenge_id", &id), ("tigr_id", "alice"), ("otp", &code)],
            Some(&strangers_page.csrf),
        )
        .await;
    assert_eq!(offline.status, 403);
    assert_eq!(stranger.get("/session").await.status, 303);

    let done = tab.complete(&page, "").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["account"], "alice");
    assert_eq!(done.json()["redirect"], "/session");
    let cookies = done.set_cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("tigr_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    assert!(session.contains("Max-Age=43200"));
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("tigr_login=;") && c.contains("Max-Age=0")),
        "the login binding is dropped after use"
    );
    // One challenge, one session.
    tab.cookies
        .insert("tigr_login".into(), page.challenge.token.clone());
    let again = tab.complete(&page, "").await;
    assert_eq!(again.status, 409, "{}", again.body);
    let session_page = tab.get("/session").await;
    assert_eq!(session_page.status, 200);
    assert!(session_page.body.contains("Connecté en tant que"));
    assert!(session_page.body.contains("alice"));
}

#[tokio::test]
async fn completion_needs_an_approval_csrf_token_and_same_origin() {
    let s = TestServer::start().await;
    let phone = s.enroll("bob").await;
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let early = tab.complete(&page, "").await;
    assert_eq!(early.status, 409);
    assert_eq!(early.json()["error"], "not_approved");
    s.respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;

    let no_token = tab
        .post(
            "/login/complete",
            &[("challenge_id", &page.challenge.id)],
            None,
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert_eq!(no_token.json()["error"], "csrf");
    let forged = tab
        .post(
            "/login/complete",
            &[("challenge_id", &page.challenge.id)],
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
    assert_eq!(forged.status, 403);
    let cross_site = tab
        .send(
            tab.http
                .post(format!("{}/login/complete", tab.base))
                .header("origin", "https://evil.example")
                .header("accept", "application/json")
                .header("x-csrf-token", &page.csrf)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("challenge_id={}", page.challenge.id)),
        )
        .await;
    assert_eq!(cross_site.status, 403);
    let fetch_cross_site = tab
        .send(
            tab.http
                .post(format!("{}/login/complete", tab.base))
                .header("sec-fetch-site", "cross-site")
                .header("x-csrf-token", &page.csrf)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("challenge_id={}", page.challenge.id)),
        )
        .await;
    assert_eq!(fetch_cross_site.status, 403);
    assert!(
        fetch_cross_site.body.contains("Page expirée"),
        "HTML page for forms"
    );
    // An Origin that matches the Host header it came with is still another site: only the
    // configured public origin (http://127.0.0.1:port) is this one.
    let port = s.server.addr.port();
    let other_host = tab
        .send(
            tab.http
                .post(format!("{}/login/complete", tab.base))
                .header("host", format!("localhost:{port}"))
                .header("origin", format!("http://localhost:{port}"))
                .header("accept", "application/json")
                .header("x-csrf-token", &page.csrf)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("challenge_id={}", page.challenge.id)),
        )
        .await;
    assert_eq!(other_host.status, 403, "{}", other_host.body);
    assert_eq!(other_host.json()["error"], "csrf");
    // Nothing was consumed: the right request still works.
    assert_eq!(tab.complete(&page, "").await.status, 200);
}

#[tokio::test]
async fn logout_ends_the_session_server_side() {
    let s = TestServer::start().await;
    let phone = s.enroll("carol").await;
    let mut tab = Tab::new(&s);
    let session_page = tab.log_in(&s, &phone).await;
    let csrf = attr(&session_page.body, "name=\"csrf\" value");
    let old_cookie = tab.cookies.get("tigr_session").cloned().expect("session");

    // Without the token, logout is refused and the session stays.
    let refused = tab.post("/logout", &[], None).await;
    assert_eq!(refused.status, 403);
    assert_eq!(tab.get("/session").await.status, 200);

    let out = tab.post("/logout", &[("csrf", &csrf)], None).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), "/login?bye=1");
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("tigr_session=;") && c.contains("Max-Age=0"))
    );
    // The old cookie no longer opens anything, even if the browser kept it.
    tab.cookies
        .insert("tigr_session".into(), old_cookie.clone());
    let after = tab.get("/session").await;
    assert_eq!(after.status, 303);
    assert!(after.header("location").starts_with("/login?return="));
    let bye = tab.get("/login?bye=1").await;
    assert!(bye.body.contains("Vous êtes déconnecté"));
    let db = s.db().await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM web_sessions")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(rows, 0);
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit WHERE account_id = 'carol' ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("audit");
    assert!(events.ends_with(&["approved".into(), "web_login".into(), "web_logout".into()]));
    // No secret of the pages in the logs.
    let logs = logs();
    assert!(!logs.contains(&old_cookie));
    assert!(!logs.contains(&csrf));
}

#[tokio::test]
async fn return_urls_go_only_to_configured_services() {
    let s = TestServer::start_with(|c| {
        c.return_origins = tigr_server::domain::return_url::ReturnPrefix::parse_list(
            "https://dpi.example.fr http://127.0.0.1:9/app/",
        )
        .expect("valid");
    })
    .await;
    let phone = s.enroll("dave").await;
    let mut tab = Tab::new(&s);
    for (asked, expected) in [
        (
            "https://dpi.example.fr/patient/42",
            "https://dpi.example.fr/patient/42",
        ),
        (
            "http://127.0.0.1:9/app/x?y=1",
            "http://127.0.0.1:9/app/x?y=1",
        ),
        ("/session", "/session"),
        ("https://evil.example/", "/session"),
        ("//evil.example/", "/session"),
        ("https://dpi.example.fr@evil.example/", "/session"),
        ("http://127.0.0.1:9/admin", "/session"),
        ("javascript:alert(1)", "/session"),
    ] {
        let query = format!(
            "?{}",
            serde_urlencoded::to_string([("return", asked)]).expect("query")
        );
        let page = tab.login_page(&query).await;
        let shown = attr(&page.html, "data-return");
        assert_eq!(
            shown.is_empty(),
            expected == "/session" && asked != "/session",
            "{asked}"
        );
        s.respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
            .await;
        // The page sends back what it was given; the server checks again.
        let done = tab.complete(&page, asked).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.json()["redirect"], expected, "{asked}");
        // Already logged in: /login goes straight on, to a safe place only.
        let direct = tab.get(&format!("/login{query}")).await;
        assert_eq!(direct.status, 303);
        assert_eq!(direct.header("location"), expected, "{asked}");
        tab.cookies.clear();
    }
}

/// True when a browser that follows `location` stays on this server or goes to a configured
/// service (`allowed`: origin and path prefix), whatever it does with the text.
fn stays_within(location: &str, allowed: &[(&str, &str)]) -> bool {
    if location.starts_with('/') {
        return !location.starts_with("//") && !location.contains('\\');
    }
    let Ok(url) = url::Url::parse(location) else {
        return false;
    };
    allowed.iter().any(|(origin, prefix)| {
        url::Url::parse(origin).is_ok_and(|o| o.origin() == url.origin())
            && url.path().starts_with(prefix)
            && url.username().is_empty()
    })
}

#[tokio::test]
async fn a_logged_in_browser_is_never_sent_off_the_allowed_places() {
    let s = TestServer::start_with(|c| {
        c.return_origins = tigr_server::domain::return_url::ReturnPrefix::parse_list(
            "https://dpi.example.fr https://portail.example.fr/app/",
        )
        .expect("valid");
    })
    .await;
    let phone = s.enroll("paula").await;
    let mut tab = Tab::new(&s);
    tab.log_in(&s, &phone).await;
    let own = s.origin().to_owned();
    let allowed = [
        ("https://dpi.example.fr", "/"),
        ("https://portail.example.fr", "/app"),
    ];
    let cases: Vec<(String, &str)> = vec![
        (format!("{own}//evil.example/phish"), "/session"),
        (format!("{own}///evil.example"), "/session"),
        (format!("{own}/%2F%2Fevil.example"), "/session"),
        (format!("{own}/session?x=1"), "/session?x=1"),
        ("///evil.example".into(), "/session"),
        ("//evil.example/".into(), "/session"),
        ("/\\evil.example".into(), "/session"),
        ("\\\\evil.example".into(), "/session"),
        ("%2F%2Fevil.example".into(), "/session"),
        ("/%2F%2Fevil.example".into(), "/session"),
        ("/%252F%252Fevil.example".into(), "/session"),
        ("/\t/evil.example".into(), "/session"),
        ("/\n/evil.example".into(), "/session"),
        ("/ok%0d%0aSet-Cookie:%20x=1".into(), "/session"),
        ("https://dpi.example.fr@evil.example/".into(), "/session"),
        ("https://evil.example#@dpi.example.fr/".into(), "/session"),
        ("https://dpі.example.fr/".into(), "/session"),
        (
            "https://portail.example.fr/app/..;/admin".into(),
            "/session",
        ),
        (
            "https://portail.example.fr/app/%2e%2e/admin".into(),
            "/session",
        ),
        ("https://portail.example.fr/application".into(), "/session"),
        ("javascript:alert(1)".into(), "/session"),
        ("data:text/html,hi".into(), "/session"),
        ("http://dpi.example.fr/".into(), "/session"),
        (
            "HTTPS://DPI.EXAMPLE.FR:443/patient/42".into(),
            "https://dpi.example.fr/patient/42",
        ),
        (
            "https://portail.example.fr/app/x?y=1".into(),
            "https://portail.example.fr/app/x?y=1",
        ),
        ("/admin/accounts?q=a".into(), "/admin/accounts?q=a"),
    ];
    for (asked, expected) in &cases {
        let query = serde_urlencoded::to_string([("return", asked.as_str())]).expect("query");
        let reply = tab.get(&format!("/login?{query}")).await;
        assert_eq!(reply.status, 303, "{asked:?}");
        let location = reply.header("location");
        assert_eq!(location, *expected, "{asked:?}");
        assert!(stays_within(location, &allowed), "{asked:?} -> {location}");
    }
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    let clock = Arc::new(FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|c| {
        c.clock = clock.clone();
        c.session_idle = 600;
        c.session_max = 1800;
    })
    .await;
    let phone = s.enroll("erin").await;

    // Idle: 599 s is fine, then 601 s without a request ends it.
    let mut tab = Tab::new(&s);
    tab.log_in(&s, &phone).await;
    clock.advance(599);
    assert_eq!(tab.get("/session").await.status, 200);
    clock.advance(601);
    assert_eq!(tab.get("/session").await.status, 303);

    // Absolute: active every 500 s, still ends 1800 s after the login.
    let mut tab = Tab::new(&s);
    tab.log_in(&s, &phone).await;
    for _ in 0..3 {
        clock.advance(500);
        assert_eq!(tab.get("/session").await.status, 200);
    }
    clock.advance(300);
    let ended = tab.get("/session").await;
    assert_eq!(ended.status, 303);
    assert!(
        ended
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("tigr_session=;")),
        "the dead cookie is cleared"
    );
}

#[tokio::test]
async fn events_stream_the_states_to_the_page() {
    let s = TestServer::start().await;
    let phone = s.enroll("fanny").await;
    let mut tab = Tab::new(&s);
    let page = tab.login_page("").await;
    let mut events = tab
        .http
        .get(s.url(&format!("/login/events/{}", page.challenge.id)))
        .header("cookie", tab.cookie_header())
        .send()
        .await
        .expect("stream");
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    let mut read_until = async |needle: &str, seen: &mut String| {
        while !seen.contains(needle) {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), events.chunk())
                .await
                .expect("event in time")
                .expect("readable")
                .expect("stream open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    read_until("\"state\":\"pending\"", &mut seen).await;
    s.post(
        &format!("/login/challenges/{}/context", page.challenge.id),
        &serde_json::json!({ "nonce": page.challenge.nonce }),
        None,
    )
    .await;
    read_until("\"state\":\"scanned\"", &mut seen).await;
    s.respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    read_until("\"state\":\"approved\"", &mut seen).await;
    assert!(seen.contains("event: state"));
    // The long-poll fallback says the same.
    let status = tab
        .get(&format!("/login/status/{}?wait=5", page.challenge.id))
        .await;
    assert_eq!(status.json()["state"], "approved");
}

#[tokio::test]
async fn offline_form_counts_attempts_then_pauses_offline_codes_while_the_qr_still_works() {
    let s = TestServer::start_with(|c| c.offline_lockout_threshold = 3).await;
    let phone = s.enroll("gael").await;
    let mut tab = Tab::new(&s);
    let page = tab.login_page("?mode=offline").await;
    assert!(page.html.contains("Identifiant Tigr"));
    assert!(page.html.contains("Mot de passe à usage unique"));
    let right = phone.offline_code(s.origin(), &page.challenge);
    let wrong = wrong_code(&right);
    let fields = |otp: &str| {
        vec![
            ("challenge_id".to_owned(), page.challenge.id.clone()),
            ("tigr_id".to_owned(), "gael".to_owned()),
            ("otp".to_owned(), otp.to_owned()),
            ("csrf".to_owned(), page.csrf.clone()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_urlencoded::to_string(pairs).expect("form")
    };
    // A plain form (no JavaScript).
    let plain_form = |tab: &Tab, otp: &str| {
        tab.http
            .post(format!("{}/login/offline", tab.base))
            .header("origin", tab.base.trim_end_matches('/'))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(post(fields(otp)))
    };

    // The script's JSON.
    let first = tab
        .post(
            "/login/offline",
            &[
                ("challenge_id", &page.challenge.id),
                ("tigr_id", "gael"),
                ("otp", &wrong),
            ],
            Some(&page.csrf),
        )
        .await;
    assert_eq!(first.status, 401);
    assert_eq!(first.json()["attempts_left"], 2);
    assert!(
        first.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("Il reste 2 essais avant la suspension de la saisie hors connexion"),
        "{}",
        first.body
    );

    // A plain form: the page again, with the message.
    let plain = tab.send(plain_form(&tab, &wrong)).await;
    assert_eq!(plain.status, 401);
    assert!(plain.body.contains("Il reste 1 essai "), "{}", plain.body);
    assert!(plain.body.contains("value=\"gael\""));

    let last = tab
        .post(
            "/login/offline",
            &[
                ("challenge_id", &page.challenge.id),
                ("tigr_id", "gael"),
                ("otp", &wrong),
            ],
            Some(&page.csrf),
        )
        .await;
    assert_eq!(last.status, 423, "{}", last.body);
    assert_eq!(last.json()["error"], "offline_paused");
    assert_eq!(last.json()["attempts_left"], 0);
    let until = last.json()["blocked_until"]
        .as_i64()
        .expect("blocked_until");
    let message = last.json()["message"].as_str().unwrap_or("").to_owned();
    assert!(
        message.starts_with("Saisie hors connexion suspendue pour ce compte jusqu'à "),
        "{message}"
    );
    assert!(message.contains("QR code"), "{message}");
    // Even the right code is refused now, by the script's JSON and by the plain form.
    let right_but_paused = tab
        .post(
            "/login/offline",
            &[
                ("challenge_id", &page.challenge.id),
                ("tigr_id", "gael"),
                ("otp", &right),
            ],
            Some(&page.csrf),
        )
        .await;
    assert_eq!(right_but_paused.status, 423);
    assert_eq!(right_but_paused.json()["blocked_until"], until);
    let plain = tab.send(plain_form(&tab, &right)).await;
    assert_eq!(plain.status, 423);
    assert!(
        plain
            .body
            .contains("Saisie hors connexion suspendue pour ce compte jusqu"),
        "{}",
        plain.body
    );
    assert_eq!(tab.get("/session").await.status, 303);

    // The QR of the same page still works: the phone approves, the page logs in.
    let (status, body) = s
        .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
        .await;
    assert_eq!(status, 200, "{body}");
    let done = tab.complete(&page, "").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(tab.get("/session").await.status, 200);
}

#[tokio::test]
async fn offline_form_opens_a_session_without_javascript_too() {
    let s = TestServer::start().await;
    let phone = s.enroll("hugo").await;
    let mut tab = Tab::new(&s);
    let page = tab
        .login_page("?mode=offline&return=%2Fsession%3Fx%3D1")
        .await;
    let code = phone.offline_code(s.origin(), &page.challenge);
    let body = serde_urlencoded::to_string([
        ("challenge_id", page.challenge.id.as_str()),
        ("tigr_id", " Hugo "),
        ("otp", &format!("{} {}", &code[..4], &code[4..])),
        ("csrf", &page.csrf),
        ("return", "/session?x=1"),
    ])
    .expect("form");
    let reply = tab
        .send(
            tab.http
                .post(format!("{}/login/offline", tab.base))
                .header("origin", tab.base.trim_end_matches('/'))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), "/session?x=1");
    let session = tab.get("/session").await;
    assert!(session.body.contains("hors ligne"), "{}", session.body);
}

#[tokio::test]
async fn english_by_accept_language_and_by_the_switch() {
    let s = TestServer::start().await;
    let mut tab = Tab::new(&s);
    tab.lang = Some("en-US,en;q=0.9");
    let page = tab.get("/login").await;
    assert_eq!(page.header("content-language"), "en");
    assert!(
        page.body
            .contains("Scan the QR code with the Tigr app before the time runs out")
    );
    assert!(page.body.contains(">Français</a>"));
    let switched = tab.get("/login?lang=fr").await;
    assert!(switched.body.contains("Scannez le QR code"));
    assert!(
        switched
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("tigr_lang=fr;"))
    );
    // The cookie wins over Accept-Language from now on.
    let later = tab.get("/login").await;
    assert_eq!(later.header("content-language"), "fr");
    assert!(later.body.contains("href=\"&#x2f;login?lang=en\""));
}

#[tokio::test]
async fn pages_for_logged_in_people_redirect_to_the_login_page() {
    let s = TestServer::start().await;
    let mut tab = Tab::new(&s);
    let home = tab.get("/").await;
    assert_eq!((home.status, home.header("location")), (303, "/login"));
    let session = tab.get("/session").await;
    assert_eq!(session.status, 303);
    assert_eq!(session.header("location"), "/login?return=%2Fsession");
    // A bogus session cookie is just not a session.
    tab.cookies.insert("tigr_session".into(), "forged".into());
    assert_eq!(tab.get("/session").await.status, 303);
}

#[tokio::test]
async fn cookies_are_secure_behind_an_https_public_url() {
    let s = TestServer::start_with(|c| {
        c.public_url =
            Some(tigr_core::payload::Origin::parse("https://auth.example.fr").expect("origin"));
    })
    .await;
    let mut tab = Tab::new(&s);
    let reply = tab.get("/login").await;
    assert_eq!(reply.status, 200);
    let cookie = reply
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-tigr_login="))
        .expect("__Host- cookie");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    // No desktop demonstration text outside loopback servers.
    assert!(!reply.body.contains("demo-payload"));
}

#[tokio::test]
async fn a_planted_login_cookie_is_replaced_by_a_fresh_one() {
    let s = TestServer::start().await;
    let other = TestServer::start().await;
    let phone = s.enroll("olga").await;
    // A value the server issued to another browser's tab is kept as is by that tab.
    let mut genuine = Tab::new(&s);
    let first = genuine.login_page("").await;
    let again = genuine.get("/login").await;
    assert!(
        again
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("tigr_login=")),
        "an issued cookie is kept"
    );
    let issued = first.challenge.token.clone();
    let id = issued.split('.').next().unwrap_or_default();
    let tag = issued.rsplit('.').next().unwrap_or_default();
    let foreign = Tab::new(&other).login_page("").await.challenge.token;
    let planted_values = [
        // Well-formed browser tokens the server never issued.
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_owned(),
        id.to_owned(),
        format!("ABCDEFGHIJKLMNOPQRSTUVWXYZ.{tag}"),
        format!("{id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        // Issued by another server (another key).
        foreign,
    ];
    for planted in planted_values {
        let mut victim = Tab::new(&s);
        victim.cookies.insert("tigr_login".into(), planted.clone());
        let page = victim.login_page("").await;
        assert_ne!(
            page.challenge.token, planted,
            "the planted value is replaced"
        );
        // The planter's copy of the cookie neither follows nor completes the victim's login.
        let mut planter = Tab::new(&s);
        planter.cookies.insert("tigr_login".into(), planted.clone());
        let status = planter
            .get(&format!("/login/status/{}", page.challenge.id))
            .await;
        assert_eq!(status.status, 403, "{planted}");
        let (code, _) = s
            .respond(&page.challenge, &phone.approve(s.origin(), &page.challenge))
            .await;
        assert_eq!(code, 200);
        let stolen = planter
            .post(
                "/login/complete",
                &[("challenge_id", &page.challenge.id)],
                Some(&page.csrf),
            )
            .await;
        assert_eq!(stolen.status, 403, "{planted}: {}", stolen.body);
        assert_eq!(planter.get("/session").await.status, 303);
        // The victim's own browser logs in.
        let done = victim.complete(&page, "").await;
        assert_eq!(done.status, 200, "{}", done.body);
    }
}
