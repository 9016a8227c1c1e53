//! The reference deployment of docs/deployment.md, as shipped in deploy/: the nginx site
//! (`nginx -t`, then the login page, its event stream and a login's long poll through a
//! real nginx on loopback, with the client's forged X-Forwarded-For replaced), the systemd
//! units (`systemd-analyze verify` and the offline security check), and the configuration
//! file they use.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tigr_server::Config;

// The real server and virtual phone of the API suite, reused as is.
#[allow(dead_code)]
#[path = "api/common.rs"]
mod common;

#[path = "processes/nginx.rs"]
mod nginx;
#[path = "processes/shipped.rs"]
mod shipped;
use shipped::{free_port, shipped, shipped_site};

use common::{Challenge, TestServer};

/// An address a client forges: it must never reach Tigr's records.
const FORGED: &str = "203.0.113.9";

/// The `name=value` of every cookie a reply sets, as a `Cookie` header.
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of `attribute="…"` in an HTML page.
fn attribute(html: &str, attribute: &str) -> String {
    let start = html
        .find(&format!("{attribute}=\""))
        .unwrap_or_else(|| panic!("no {attribute} in the page"))
        + attribute.len()
        + 2;
    html[start..]
        .split('"')
        .next()
        .expect("attribute value")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nginx_site_serves_the_login_page_its_live_channel_and_logins() {
    let port = free_port();
    let origin = format!("https://127.0.0.1:{port}");
    let s = TestServer::start_with(|c| {
        c.public_url = Some(tigr_core::payload::Origin::parse(&origin).expect("origin"));
        c.trust_proxy = true;
    })
    .await;
    let mut nginx = shipped_site(port, |site| {
        shipped::replaced(
            site,
            "server 127.0.0.1:8080;",
            &format!("server {};", s.server.addr),
        )
    });
    let (ok, report) = nginx.test();
    assert!(ok && report.contains("test is successful"), "{report}");
    nginx.start().await;
    let phone = s.enroll("alice").await;
    let http = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(nginx.cert_pem.as_bytes()).expect("certificate"),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let url = |path: &str| format!("{}{path}", nginx.origin());

    let health = http.get(url("/healthz")).send().await.expect("health");
    assert_eq!(health.status(), 200);
    let metrics = http.get(url("/metrics")).send().await.expect("metrics");
    assert_eq!(metrics.status(), 404, "metrics are not forwarded");

    // The login page, then its server-sent events, through nginx.
    let page = http
        .get(url("/login"))
        .header("x-forwarded-for", FORGED)
        .send()
        .await
        .expect("login page");
    assert_eq!(page.status(), 200);
    let cookie = cookies(&page);
    let html = page.text().await.expect("page");
    let challenge = attribute(&html, "data-challenge");
    let mut events = http
        .get(url(&format!("/login/events/{challenge}")))
        .header("cookie", &cookie)
        .header("x-forwarded-for", FORGED)
        .send()
        .await
        .expect("event stream");
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream")
    );
    let mut seen = String::new();
    while !seen.contains("\"state\":\"pending\"") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
            .await
            .expect("the first event passes nginx")
            .expect("readable")
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(events);

    // A login through nginx: the browser long-polls while the phone approves.
    let created = http
        .post(url("/api/v1/login/challenges"))
        .header("x-forwarded-for", FORGED)
        .json(&json!({}))
        .send()
        .await
        .expect("challenge");
    assert_eq!(created.status(), 201);
    let c = Challenge::from_created(&created.json::<Value>().await.expect("json"));
    let poll = tokio::spawn({
        let (http, url, token) = (
            http.clone(),
            url(&format!("/api/v1/login/challenges/{}/status?wait=30", c.id)),
            c.token.clone(),
        );
        async move {
            let reply = http
                .get(url)
                .header("x-tigr-browser-token", token)
                .send()
                .await
                .expect("long poll");
            assert_eq!(reply.status(), 200);
            reply.json::<Value>().await.expect("json")
        }
    });
    // Approve once the long poll waits (it answers at once when already decided, which
    // would prove nothing about nginx).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let approved = http
        .post(url(&format!("/api/v1/login/challenges/{}/response", c.id)))
        .header("x-forwarded-for", FORGED)
        .json(&phone.approve(&origin, &c))
        .send()
        .await
        .expect("approval");
    assert_eq!(approved.status(), 200);
    let state = poll.await.expect("long poll answered");
    assert_eq!(state["state"], "approved", "{state}");
    assert_eq!(state["account"], "alice");

    // The forged address reached no record; nginx's own did.
    let db = s.db().await;
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT ip FROM audit WHERE ip IS NOT NULL")
            .fetch_all(&db)
            .await
            .expect("audit");
    db.close().await;
    assert!(!addresses.is_empty());
    assert!(!addresses.iter().any(|a| a == FORGED), "{addresses:?}");
    drop(nginx);
    s.server.shutdown().await;
}

#[test]
fn the_systemd_units_verify_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let units = [
        "tigr-server.service",
        "tigr-backup.service",
        "tigr-backup.timer",
    ];
    for unit in units {
        // The binary the units start must exist for `verify`: this build's.
        let text = std::fs::read_to_string(shipped(&format!("systemd/{unit}"))).expect("unit");
        let text = text.replace(
            "/usr/local/bin/tigr-server",
            env!("CARGO_BIN_EXE_tigr-server"),
        );
        std::fs::write(dir.path().join(unit), text).expect("write");
    }
    let analyze = |args: &[&str]| {
        let output = Command::new("systemd-analyze")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("systemd-analyze (Debian package systemd; scripts/install-deps.sh)");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    // `verify` exits 0 on unknown keys and bad values but names them: none may be named.
    let (ok, report) = analyze(&[
        "verify",
        "./tigr-server.service",
        "./tigr-backup.service",
        "./tigr-backup.timer",
    ]);
    assert!(ok && report.trim().is_empty(), "{report}");
    // The sandbox: systemd's own exposure score, at most 2.0 of 10 ("OK") for each service.
    for unit in &units[..2] {
        let (ok, report) = analyze(&[
            "security",
            "--offline=true",
            "--threshold=20",
            &format!("./{unit}"),
        ]);
        assert!(ok, "{unit}: {report}");
    }
}

#[test]
fn the_shipped_configuration_keeps_tigr_behind_the_proxy_and_the_key_apart() {
    let config = Config::load(Some(&shipped("tigr/tigr.toml"))).expect("valid configuration");
    assert!(config.listen.ip().is_loopback(), "only nginx reaches Tigr");
    assert!(config.trust_proxy);
    let origin = config.public_origin().expect("public URL");
    assert!(origin.is_secure(), "{origin}");
    let units = std::fs::read_to_string(shipped("systemd/tigr-server.service")).expect("unit");
    assert!(units.contains("StateDirectory=tigr\n"));
    assert_eq!(config.database_url, "sqlite:///var/lib/tigr/tigr.db");
    let tigr_server::config::MasterKeySource::File(key) = &config.master_key else {
        panic!("a key file");
    };
    assert!(
        !key.starts_with("/var/lib/tigr") && !key.starts_with("/var/backups"),
        "the master key is kept apart from the database and its backups: {}",
        key.display()
    );
    // The backup job writes only to the backups' folder and cannot read that key.
    let backup = std::fs::read_to_string(shipped("systemd/tigr-backup.service")).expect("unit");
    assert!(backup.contains("ReadWritePaths=/var/backups/tigr\n"));
    assert!(
        backup.contains(&format!("InaccessiblePaths=-{}\n", key.display())),
        "{backup}"
    );
}

#[test]
fn the_shipped_cluster_configuration_uses_postgres_over_verified_tls_and_keeps_secrets_out() {
    let path = shipped("tigr/tigr-cluster.toml");
    let config = Config::load(Some(&path)).expect("valid configuration");
    assert!(config.trust_proxy);
    assert!(config.public_origin().expect("public URL").is_secure());
    assert!(tigr_server::storage::is_postgres_url(&config.database_url));
    assert!(
        config.database_url.contains("sslmode=verify-full"),
        "{}",
        config.database_url
    );
    let text = std::fs::read_to_string(&path).expect("file");
    let url = url::Url::parse(&config.database_url).expect("URL");
    assert_eq!(
        url.password(),
        None,
        "the password lives in the secrets file"
    );
    assert!(
        !text.contains("metrics_token"),
        "the token lives in the secrets file"
    );
    // The cluster's instances are the upstream's.
    let upstream =
        std::fs::read_to_string(shipped("nginx/tigr-upstream-cluster.conf")).expect("upstream");
    assert!(
        upstream.contains(&format!("server {} ", config.listen)),
        "{upstream}"
    );
}
