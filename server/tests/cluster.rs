//! A cluster as deployed (docs/deployment.md, "Several instances on PostgreSQL"): one
//! PostgreSQL database, three `tigr-server` processes, nginx from Debian in front of them
//! with the shipped site and cluster upstream (deploy/nginx/: TLS, round robin, the next
//! instance when one does not answer), all on loopback.
//!
//! Virtual users run complete logins through nginx (the browser's requests and the phone's
//! land on different instances); one instance is killed with SIGKILL in the middle of the
//! load and started again. Clients retry a request that got no reply. Then: every approval a
//! client was told of is in the database, no challenge is approved twice, an approval whose
//! reply was lost is there too (its retry is refused as already used), and the restarted
//! instance serves logins again. Needs `TIGR_TEST_POSTGRES` (scripts/test-all.sh sets it);
//! on the SQLite run it says it is skipped.

#[allow(dead_code)]
#[path = "api/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "processes/nginx.rs"]
mod nginx;
#[path = "processes/shipped.rs"]
mod shipped;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tigr_core::payload::QrPayload;
use tigr_server::{Config, create_enrollment};

use common::{Challenge, Phone};
use shipped::{free_port, replaced, shipped, shipped_site};

/// Virtual users.
const USERS: usize = 8;
/// Tries of one request before the client gives up.
const TRIES: usize = 40;

/// One `tigr-server` process of the cluster.
struct Instance {
    port: u16,
    child: Option<Child>,
    log: PathBuf,
}

impl Instance {
    fn start(port: u16, dir: &Path, database_url: &str, public_url: &str, name: &str) -> Self {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_tigr-server"))
            .current_dir(dir)
            .env_clear()
            .env("TIGR_LISTEN", format!("127.0.0.1:{port}"))
            .env("TIGR_PUBLIC_URL", public_url)
            .env("TIGR_DATABASE_URL", database_url)
            .env("TIGR_MASTER_KEY_FILE", dir.join("master.key"))
            .env("TIGR_LOG", "warn")
            .env("TIGR_RATE_LIMIT_CHALLENGES", "0")
            .env("TIGR_RATE_LIMIT_ANSWERS", "0")
            .env("TIGR_RATE_LIMIT_OFFLINE", "0")
            .env("TIGR_RATE_LIMIT_ENROLLMENTS", "0")
            .env("TIGR_MAX_LIVE_PER_CLIENT", "0")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("tigr-server runs");
        Self {
            port,
            child: Some(child),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_healthy(&self, http: &reqwest::Client) {
        for _ in 0..400 {
            if let Ok(reply) = http.get(self.url("/healthz")).send().await
                && reply.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "instance on {} does not answer: {}",
            self.port,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// SIGKILL: no shutdown, no flush, connections cut.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a client was told of one approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    /// 200 on the first reply received.
    Approved,
    /// A retry refused as already used after an attempt that got no reply: that attempt
    /// was committed.
    ApprovedReplyLost,
}

/// Sends a request until it gets a reply from an instance (nginx answers 502 while none
/// does); `(status, body, retried)`.
async fn with_retries(
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<(u16, Value, bool), String> {
    let mut retried = false;
    for _ in 0..TRIES {
        match make().send().await {
            Ok(reply) if ![502, 503, 504].contains(&reply.status().as_u16()) => {
                let status = reply.status().as_u16();
                let text = reply.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                return Ok((status, body, retried));
            }
            _ => {
                retried = true;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Err("no instance answered".to_owned())
}

/// One complete login through `origin`: the challenge (browser), the approval (phone), the
/// browser's reading of the result.
async fn login(
    http: &reqwest::Client,
    origin: &str,
    phone: &Phone,
) -> Result<(String, Told), String> {
    let (status, body, _) = with_retries(|| {
        http.post(format!("{origin}/api/v1/login/challenges"))
            .json(&json!({}))
    })
    .await?;
    if status != 201 {
        return Err(format!("challenge: {status} {body}"));
    }
    let c = Challenge::from_created(&body);
    let answer = phone.approve(origin, &c);
    let (status, body, retried) = with_retries(|| {
        http.post(format!(
            "{origin}/api/v1/login/challenges/{}/response",
            c.id
        ))
        .json(&answer)
    })
    .await?;
    let told = match (status, retried) {
        (200, _) => Told::Approved,
        (409, true) => Told::ApprovedReplyLost,
        _ => return Err(format!("approval of {}: {status} {body}", c.id)),
    };
    let (status, body, _) = with_retries(|| {
        http.get(format!("{origin}/api/v1/login/challenges/{}/status", c.id))
            .header("x-tigr-browser-token", &c.token)
    })
    .await?;
    if status != 200 || body["state"] != "approved" {
        return Err(format!("the browser reads {status} {body} for {}", c.id));
    }
    Ok((c.id, told))
}

/// Enrolls a new phone for `account` with an invitation of `config`, completed at `url`.
async fn enroll(http: &reqwest::Client, config: &Config, url: &str, account: &str) -> Phone {
    let invite = create_enrollment(config, account, None)
        .await
        .expect("invitation");
    let QrPayload::Enrollment(e) = QrPayload::parse(&invite.qr_payload).expect("payload") else {
        panic!("not an enrollment payload");
    };
    let phone = Phone::new(account);
    let reply = http
        .post(url)
        .json(&phone.registration(&e.code))
        .send()
        .await
        .expect("enrollment");
    assert_eq!(reply.status(), 201);
    let body: Value = reply.json().await.expect("json");
    Phone {
        device_id: body["device_id"].as_str().expect("device id").to_owned(),
        ..phone
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_nginx_lose_no_login_when_one_is_killed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(database_url) = tigr_server::storage::test_database(dir.path()) else {
        eprintln!("skipped: a cluster needs PostgreSQL (TIGR_TEST_POSTGRES)");
        return;
    };
    let ports = [free_port(), free_port(), free_port()];
    let lb_port = free_port();
    // The shipped site, its upstream block replaced by the shipped cluster's, whose three
    // instances are this machine's ports.
    let mut nginx = shipped_site(lb_port, |site| {
        let cluster = std::fs::read_to_string(shipped("nginx/tigr-upstream-cluster.conf"))
            .expect("upstream file");
        let mut cluster = cluster;
        for (i, port) in ports.iter().enumerate() {
            cluster = replaced(
                &cluster,
                &format!("10.0.0.1{}:8080", i + 1),
                &format!("127.0.0.1:{port}"),
            );
        }
        let start = site.find("upstream tigr {").expect("upstream block");
        let end = start + site[start..].find("\n}\n").expect("its end") + 3;
        format!("{}{cluster}{}", &site[..start], &site[end..])
    });
    let (ok, report) = nginx.test();
    assert!(ok, "{report}");
    nginx.start().await;
    let origin = nginx.origin();
    let http = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(nginx.cert_pem.as_bytes()).expect("certificate"),
        )
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    // The first instance makes the master key; the others read it.
    let mut instances = vec![Instance::start(
        ports[0],
        dir.path(),
        &database_url,
        &origin,
        "a",
    )];
    instances[0].wait_healthy(&http).await;
    for (port, name) in [(ports[1], "b"), (ports[2], "c")] {
        instances.push(Instance::start(
            port,
            dir.path(),
            &database_url,
            &origin,
            name,
        ));
    }
    for instance in &instances {
        instance.wait_healthy(&http).await;
    }

    // One phone per user, enrolled through nginx.
    let mut config = Config::for_tests(dir.path());
    config.database_url = database_url.clone();
    config.public_url = Some(tigr_core::payload::Origin::parse(&origin).expect("origin"));
    let mut phones = Vec::new();
    for user in 0..USERS {
        let url = format!("{origin}/api/v1/enrollments/complete");
        phones.push(enroll(&http, &config, &url, &format!("user{user}")).await);
    }

    // The load, with instance B killed after 2 s and started again 2 s later.
    let told: Arc<Mutex<HashMap<String, Told>>> = Arc::default();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let until = Instant::now() + Duration::from_secs(8);
    let users: Vec<_> = phones
        .into_iter()
        .map(|phone| {
            let (http, origin, told, errors) = (
                http.clone(),
                origin.clone(),
                Arc::clone(&told),
                Arc::clone(&errors),
            );
            tokio::spawn(async move {
                while Instant::now() < until {
                    match login(&http, &origin, &phone).await {
                        Ok((id, outcome)) => {
                            told.lock().expect("told").insert(id, outcome);
                        }
                        Err(error) => errors.lock().expect("errors").push(error),
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_kill = told.lock().expect("told").len();
    instances[1].kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    instances[1] = Instance::start(ports[1], dir.path(), &database_url, &origin, "b2");
    instances[1].wait_healthy(&http).await;
    let restarted_at = told.lock().expect("told").len();
    for user in users {
        user.await.expect("user");
    }

    let told = told.lock().expect("told").clone();
    let errors = errors.lock().expect("errors").clone();
    assert!(
        errors.is_empty(),
        "{} failed logins: {errors:?}",
        errors.len()
    );
    assert!(before_kill > 0 && restarted_at > before_kill && told.len() > restarted_at);

    // The database: each login told approved is approved there, once.
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&database_url)
        .await
        .expect("database");
    let approved: Vec<(String, i64)> = sqlx::query_as(
        "SELECT challenge_id, COUNT(*) FROM audit WHERE event = 'approved' \
         GROUP BY challenge_id",
    )
    .fetch_all(&db)
    .await
    .expect("audit");
    let approved: HashMap<String, i64> = approved.into_iter().collect();
    assert!(
        approved.values().all(|n| *n == 1),
        "a challenge approved twice"
    );
    for id in told.keys() {
        assert_eq!(approved.get(id), Some(&1), "approval of {id} lost");
        let state: String = sqlx::query_scalar("SELECT state FROM challenges WHERE id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("challenge");
        assert_eq!(state, "approved", "{id}");
    }
    let lost_replies = told
        .values()
        .filter(|t| **t == Told::ApprovedReplyLost)
        .count();
    eprintln!(
        "cluster: {} logins ({before_kill} before the kill, {lost_replies} approvals whose \
         reply was lost and whose retry found them done), {} approvals in the database",
        told.len(),
        approved.len()
    );

    // The restarted instance serves logins of its own: browser and phone on it directly.
    let url = instances[1].url("/api/v1/enrollments/complete");
    let phone = enroll(&http, &config, &url, "late").await;
    let reply = http
        .post(instances[1].url("/api/v1/login/challenges"))
        .json(&json!({}))
        .send()
        .await
        .expect("challenge");
    assert_eq!(reply.status(), 201);
    let c = Challenge::from_created(&reply.json().await.expect("json"));
    // The browser waits on the restarted instance; the phone answers on another one.
    let poll = http
        .get(instances[1].url(&format!("/api/v1/login/challenges/{}/status?wait=25", c.id)))
        .header("x-tigr-browser-token", &c.token)
        .send();
    let answer = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        http.post(instances[2].url(&format!("/api/v1/login/challenges/{}/response", c.id)))
            .json(&phone.approve(&origin, &c))
            .send()
            .await
            .expect("approval")
            .status()
    };
    let started = Instant::now();
    let (poll, approved) = tokio::join!(poll, answer);
    assert_eq!(approved, 200);
    let body: Value = poll.expect("long poll").json().await.expect("json");
    assert_eq!(body["state"], "approved", "{body}");
    assert!(started.elapsed() < Duration::from_secs(15), "woken at once");
}
