//! `GET /metrics`: Prometheus counters that move with logins and enrollments, route templates
//! instead of paths, and the optional bearer token.

use std::time::Duration;

use crate::common::TestServer;

const TOKEN: &str = "scrape-token-0123456789abcdef";

/// A scrape: status, `Content-Type` and body.
async fn scrape(s: &TestServer, authorization: Option<&str>) -> (u16, String, String) {
    let mut request = s.http.get(s.url("/metrics"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let reply = request.send().await.expect("sent");
    let status = reply.status().as_u16();
    let content_type = reply
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, content_type, reply.text().await.expect("body"))
}

async fn metrics(s: &TestServer) -> String {
    let (status, content_type, body) = scrape(s, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    body
}

/// The value of the sample `series` (name and labels exactly as written), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

fn requests(route: &str, method: &str, status: u16) -> String {
    format!("tigr_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}")
}

fn audit(event: &str) -> String {
    format!("tigr_audit_events_total{{event=\"{event}\"}}")
}

/// How much each series moved between two scrapes (absent counts as 0).
fn delta(before: &str, after: &str, series: &str) -> f64 {
    value(after, series).unwrap_or(0.0) - value(before, series).unwrap_or(0.0)
}

#[tokio::test]
async fn counters_follow_logins_and_enrollments_without_ids_in_labels() {
    let s = TestServer::start().await;
    let start = metrics(&s).await;
    for event in ["approved", "enrolled", "response_failed", "denied"] {
        assert_eq!(
            value(&start, &audit(event)),
            Some(0.0),
            "{event} exists at 0"
        );
    }
    assert_eq!(value(&start, "tigr_live_channels"), Some(0.0));
    assert_eq!(
        value(
            &start,
            &format!(
                "tigr_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        Some(1.0)
    );
    assert!(value(&start, "process_start_time_seconds").is_some_and(|t| t > 1.6e9));

    let phone = s.enroll("alice").await;
    let before = metrics(&s).await;
    assert_eq!(delta(&start, &before, &audit("enrolled")), 1.0);
    assert_eq!(
        delta(
            &start,
            &before,
            &requests("/api/v1/enrollments/complete", "POST", 201)
        ),
        1.0
    );

    // Three challenges; the first gets a wrong PIN then the right one, the second a long
    // poll seen as a live channel, the third nothing.
    let challenges = [
        s.challenge().await,
        s.challenge().await,
        s.challenge().await,
    ];
    let first = &challenges[0];
    let (status, _) = s
        .respond(first, &phone.approve_wrong_pin(s.origin(), first))
        .await;
    assert_eq!(status, 401);
    let (status, body) = s.respond(first, &phone.approve(s.origin(), first)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.state(first).await, "approved");

    let second = challenges[1].clone();
    let poll = {
        let http = s.http.clone();
        let url = s.api(&format!("/login/challenges/{}/status?wait=20", second.id));
        tokio::spawn(async move {
            http.get(url)
                .header("x-tigr-browser-token", &second.token)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        })
    };
    let mut waiting = metrics(&s).await;
    for _ in 0..200 {
        if value(&waiting, "tigr_live_channels") == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        waiting = metrics(&s).await;
    }
    assert_eq!(
        value(&waiting, "tigr_live_channels"),
        Some(1.0),
        "{waiting}"
    );
    let (status, _) = s
        .post(
            &format!("/login/challenges/{}/deny", challenges[1].id),
            &phone.deny(s.origin(), &challenges[1]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(poll.await.expect("poll"), 200);

    // A concrete path matching no route, with a challenge id in it.
    let reply = s
        .http
        .get(s.url(&format!("/nowhere/{}", challenges[2].id)))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status().as_u16(), 404);

    let after = metrics(&s).await;
    let moved = |series: &str| delta(&before, &after, series);
    assert_eq!(
        moved(&requests("/api/v1/login/challenges", "POST", 201)),
        3.0
    );
    assert_eq!(
        moved(&requests(
            "/api/v1/login/challenges/{id}/response",
            "POST",
            401
        )),
        1.0
    );
    assert_eq!(
        moved(&requests(
            "/api/v1/login/challenges/{id}/response",
            "POST",
            200
        )),
        1.0
    );
    assert_eq!(
        moved(&requests(
            "/api/v1/login/challenges/{id}/status",
            "GET",
            200
        )),
        2.0,
        "one plain status, one long poll"
    );
    assert_eq!(moved(&requests("unmatched", "GET", 404)), 1.0);
    assert_eq!(moved(&audit("approved")), 1.0);
    assert_eq!(moved(&audit("response_failed")), 1.0);
    assert_eq!(moved(&audit("denied")), 1.0);
    assert_eq!(moved(&audit("enrolled")), 0.0);
    assert_eq!(value(&after, "tigr_live_channels"), Some(0.0));

    // The histogram counts the same requests, cumulatively.
    let histogram = "tigr_http_request_duration_seconds";
    let labels = "route=\"/api/v1/login/challenges\",method=\"POST\"";
    assert_eq!(
        value(&after, &format!("{histogram}_count{{{labels}}}")),
        value(&after, &requests("/api/v1/login/challenges", "POST", 201))
    );
    assert_eq!(
        value(
            &after,
            &format!("{histogram}_bucket{{{labels},le=\"+Inf\"}}")
        ),
        value(&after, &format!("{histogram}_count{{{labels}}}"))
    );
    let long_poll = "route=\"/api/v1/login/challenges/{id}/status\",method=\"GET\"";
    assert!(
        value(&after, &format!("{histogram}_sum{{{long_poll}}}")).is_some_and(|s| s > 0.0),
        "{after}"
    );

    // Audit counters agree with the audit trail itself.
    let db = s.db().await;
    for event in ["approved", "response_failed", "denied", "enrolled"] {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE event = $1")
            .bind(event)
            .fetch_one(&db)
            .await
            .expect("count");
        assert_eq!(value(&after, &audit(event)), Some(rows as f64), "{event}");
    }

    // Route templates only: no challenge id, browser token, device or account in labels.
    for c in &challenges {
        assert!(!after.contains(&c.id), "challenge id in metrics:\n{after}");
        assert!(!after.contains(&c.token), "browser token in metrics");
    }
    assert!(!after.contains(&phone.device_id));
    assert!(!after.contains("alice"));
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let s = TestServer::start_with(|c| c.metrics_token = Some(TOKEN.to_owned())).await;
    for authorization in [
        None,
        Some("Bearer wrong-token-0123456789abcdef".to_owned()),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_owned()),
    ] {
        let reply = s
            .http
            .get(s.url("/metrics"))
            .header("authorization", authorization.as_deref().unwrap_or(""))
            .send()
            .await
            .expect("sent");
        assert_eq!(reply.status().as_u16(), 401, "{authorization:?}");
        assert_eq!(
            reply.headers()["www-authenticate"],
            "Bearer realm=\"tigr-metrics\""
        );
        let body = reply.text().await.expect("body");
        assert!(!body.contains("tigr_"), "{body}");
    }
    let (status, _, _) = scrape(&s, None).await;
    assert_eq!(status, 401, "no header at all");

    let (status, content_type, body) = scrape(&s, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(
        value(&body, &requests("/metrics", "GET", 401)),
        Some(6.0),
        "refused scrapes are counted too:\n{body}"
    );
    // The token guards /metrics only.
    let reply = s.http.get(s.url("/healthz")).send().await.expect("sent");
    assert_eq!(reply.status().as_u16(), 200);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let s = TestServer::start_with(|c| c.metrics = false).await;
    let (status, _, body) = scrape(&s, None).await;
    assert_eq!(status, 404);
    assert!(!body.contains("tigr_"), "{body}");
}

#[tokio::test]
async fn beyond_loopback_the_server_refuses_to_start_without_a_token() {
    crate::common::init_logs();
    let open = |dir: &tempfile::TempDir| {
        let mut config = tigr_server::Config::for_tests(dir.path());
        config.listen = "0.0.0.0:0".parse().expect("address");
        config.public_url =
            Some(tigr_core::payload::Origin::parse("https://auth.example.fr").expect("origin"));
        config
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let error = tigr_server::RunningServer::start(open(&dir))
        .await
        .expect_err("metrics without a token on 0.0.0.0");
    let message = format!("{error:#}");
    assert!(message.contains("TIGR_METRICS_TOKEN"), "{message}");
    assert!(message.contains("TIGR_METRICS=false"), "{message}");
    assert!(
        !dir.path().join("tigr.db").exists(),
        "refused before anything is created"
    );

    // With a token it starts, and /metrics needs the token; without metrics it starts too.
    let mut with_token = open(&dir);
    with_token.metrics_token = Some(TOKEN.to_owned());
    let s = TestServer::start_in(dir, with_token).await;
    let local = format!("http://127.0.0.1:{}/metrics", s.server.addr.port());
    let reply = s.http.get(&local).send().await.expect("sent");
    assert_eq!(reply.status().as_u16(), 401);
    let reply = s
        .http
        .get(&local)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status().as_u16(), 200);
    s.stop().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut off = open(&dir);
    off.metrics = false;
    TestServer::start_in(dir, off).await.stop().await;
}

#[tokio::test]
async fn refusals_on_a_blocked_account_are_all_counted_and_rarely_logged() {
    let clock = std::sync::Arc::new(tigr_core::clock::FixedClock::at(1_800_000_000));
    let s = TestServer::start_with(|c| c.clock = clock.clone()).await;
    // An account name no other test of this binary uses: the logs are shared.
    let phone = s.enroll("zoe.replay").await;
    let lines = || {
        crate::common::logs()
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("zoe.replay"))
            .filter(|l| l.contains("blocked account refused"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for _ in 0..5 {
        let c = s.challenge().await;
        s.respond(&c, &phone.approve_wrong_pin(s.origin(), &c))
            .await;
    }
    // A replay loop: right and wrong approvals from the phone, all refused. (Offline codes
    // typed for a blocked phone are refused like any wrong code, on the offline channel,
    // so that they tell nothing about the account: docs/security.md, Account enumeration.)
    let before = metrics(&s).await;
    for i in 0..40 {
        let c = s.challenge().await;
        let answer = if i % 2 == 0 {
            phone.approve(s.origin(), &c)
        } else {
            phone.approve_wrong_pin(s.origin(), &c)
        };
        assert_eq!(s.respond(&c, &answer).await.0, 423);
    }
    let after = metrics(&s).await;
    assert_eq!(delta(&before, &after, &audit("refused_blocked")), 40.0);
    let logged = lines();
    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert!(logged[0].contains("refused_blocked"), "{}", logged[0]);

    // A minute later, one line with the number refused since.
    clock.advance(61);
    let c = s.challenge().await;
    let (status, _) = s.respond(&c, &phone.approve(s.origin(), &c)).await;
    assert_eq!(status, 423);
    let logged = lines();
    assert_eq!(logged.len(), 2, "{logged:#?}");
    assert!(logged[1].contains("refused=40"), "{}", logged[1]);
}
