//! A real server on 127.0.0.1:0 with a temporary SQLite file (or a new PostgreSQL database
//! when `TIGR_TEST_POSTGRES` names a cluster), and a virtual phone that crafts
//! answers with `tigr_core::signing` and `tigr_core::offline` directly.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};
use tigr_core::offline::{OFFLINE_SUITE, offline_otp};
use tigr_core::payload::QrPayload;
use tigr_core::random::{SecureRandom, SystemRandom};
use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, message};
use tigr_core::wire::b64_encode;
use tigr_server::{Config, RunningServer, create_enrollment};

/// A running server and everything a test needs around it.
pub struct TestServer {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_with_dir(|config, _| adjust(config)).await
    }

    /// A server on an SQLite file, whatever the engine of the run: for the tests of what
    /// SQLite's files hold.
    pub async fn start_on_sqlite() -> Self {
        Self::start_with_dir(|config, dir| {
            config.database_url = format!("sqlite://{}", dir.join("tigr.db").display());
        })
        .await
    }

    /// Like [`TestServer::start_with`], with the server's temporary folder.
    pub async fn start_with_dir(adjust: impl FnOnce(&mut Config, &std::path::Path)) -> Self {
        init_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path());
        adjust(&mut config, dir.path());
        Self::start_in(dir, config).await
    }

    pub async fn start_in(dir: tempfile::TempDir, config: Config) -> Self {
        let server = RunningServer::start(config).await.expect("server starts");
        Self {
            server,
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server, keeping its files.
    pub async fn stop(self) -> (tempfile::TempDir, Config) {
        let config = self.server.config().clone();
        self.server.shutdown().await;
        (self.dir, config)
    }

    pub fn origin(&self) -> &str {
        &self.server.public_url
    }

    pub fn config(&self) -> &Config {
        self.server.config()
    }

    /// True when the server's database is PostgreSQL's (`TIGR_TEST_POSTGRES`).
    #[allow(dead_code)] // the admin suite's
    pub fn on_postgres(&self) -> bool {
        tigr_server::storage::is_postgres_url(&self.config().database_url)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("tigr.db")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// POST JSON to an API path, with an optional browser token and Accept-Language.
    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        self.post_lang(path, body, token, None).await
    }

    pub async fn post_lang(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        lang: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self.http.post(self.api(path)).json(body);
        if let Some(token) = token {
            request = request.header("x-tigr-browser-token", token);
        }
        if let Some(lang) = lang {
            request = request.header("accept-language", lang);
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(self.api(path));
        if let Some(token) = token {
            request = request.header("x-tigr-browser-token", token);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// A new login challenge, as a browser gets it.
    pub async fn challenge(&self) -> Challenge {
        let (status, body) = self.post("/login/challenges", &json!({}), None).await;
        assert_eq!(status, 201, "{body}");
        Challenge::from_created(&body)
    }

    /// The state of a challenge, as its browser sees it.
    pub async fn state(&self, c: &Challenge) -> String {
        let (status, body) = self
            .get(
                &format!("/login/challenges/{}/status", c.id),
                Some(&c.token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["state"].as_str().expect("state").to_owned()
    }

    /// Enrolls a new virtual phone for `account`.
    pub async fn enroll(&self, account: &str) -> Phone {
        let phone = Phone::new(account);
        let (status, body) = self.enroll_phone(&phone).await;
        assert_eq!(status, 201, "{body}");
        Phone {
            device_id: body["device_id"].as_str().expect("device id").to_owned(),
            ..phone
        }
    }

    /// Runs the enrollment of `phone` with a fresh code; returns the completion reply.
    pub async fn enroll_phone(&self, phone: &Phone) -> (u16, Value) {
        let code = self.invite(&phone.account).await;
        let (status, offer) = self
            .post("/enrollments/lookup", &json!({ "code": code }), None)
            .await;
        assert_eq!(status, 200, "{offer}");
        assert_eq!(offer["account"], phone.account.as_str());
        self.post("/enrollments/complete", &phone.registration(&code), None)
            .await
    }

    /// A fresh enrollment code for `account` (what `tigr-server enroll` prints).
    pub async fn invite(&self, account: &str) -> String {
        let invite = create_enrollment(self.config(), account, None)
            .await
            .expect("invite");
        match QrPayload::parse(&invite.qr_payload).expect("valid payload") {
            QrPayload::Enrollment(e) => {
                assert_eq!(e.origin.to_string(), self.origin());
                e.code
            }
            other => panic!("not an enrollment payload: {other:?}"),
        }
    }

    /// Sends the phone's approval of `c`.
    pub async fn respond(&self, c: &Challenge, answer: &Value) -> (u16, Value) {
        self.post(
            &format!("/login/challenges/{}/response", c.id),
            answer,
            None,
        )
        .await
    }

    /// Sends an offline Tigr ID + code from the challenge's browser.
    pub async fn offline(&self, c: &Challenge, tigr_id: &str, otp: &str) -> (u16, Value) {
        self.post(
            &format!("/login/challenges/{}/offline", c.id),
            &json!({ "tigr_id": tigr_id, "otp": otp }),
            Some(&c.token),
        )
        .await
    }

    /// The phone channel's counter of `account`.
    pub async fn failures(&self, account: &str) -> i64 {
        sqlx::query_scalar("SELECT failed_attempts FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(&self.db().await)
            .await
            .expect("account")
    }

    /// The server's database, seen from outside the server (either engine: write
    /// statements with `$N` placeholders, which both read).
    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.config().database_url)
            .await
            .expect("database opens")
    }

    /// Takes the database's write lock, as another instance or an administrator's command
    /// would, until the returned transaction ends: on PostgreSQL the instances' advisory
    /// lock, on SQLite the file's (a deferred transaction takes it at its first write).
    #[allow(dead_code)] // not every suite's
    pub async fn hold_write_lock(&self) -> sqlx::Transaction<'static, sqlx::Any> {
        let mut held = self.db().await.begin().await.expect("begin");
        if self.on_postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(tigr_server::storage::WRITE_LOCK)
                .execute(&mut *held)
                .await
                .expect("the instances' write lock");
        } else {
            sqlx::query("UPDATE accounts SET display_name = display_name WHERE id = ''")
                .execute(&mut *held)
                .await
                .expect("the write lock");
        }
        held
    }

    /// Waits (10 s at most) until the challenge's browser sees it in `state`.
    #[allow(dead_code)] // not every suite's
    pub async fn wait_for_state(&self, c: &Challenge, state: &str) {
        for _ in 0..500 {
            if self.state(c).await == state {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("{} never {state}: {}", c.id, self.state(c).await);
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A login challenge as its browser knows it.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: String,
    pub nonce: String,
    pub token: String,
    pub expires_at: i64,
}

impl Challenge {
    pub fn from_created(body: &Value) -> Self {
        let payload = body["qr_payload"].as_str().expect("payload");
        let QrPayload::Login(qr) = QrPayload::parse(payload).expect("valid payload") else {
            panic!("not a login payload: {payload}");
        };
        assert_eq!(body["challenge_id"], qr.challenge_id.as_str());
        assert_eq!(body["expires_at"], qr.expires_at);
        Self {
            id: qr.challenge_id,
            nonce: qr.nonce,
            token: body["browser_token"].as_str().expect("token").to_owned(),
            expires_at: qr.expires_at,
        }
    }
}

/// A virtual phone: its keys and offline secret.
pub struct Phone {
    pub account: String,
    pub device_id: String,
    pub approval: DeviceKey,
    pub identity: DeviceKey,
    pub secret: [u8; 32],
}

pub fn random_key() -> DeviceKey {
    let rng = SystemRandom::new();
    loop {
        let mut scalar = [0u8; 32];
        rng.fill(&mut scalar);
        if let Some(key) = DeviceKey::from_scalar(&scalar) {
            return key;
        }
    }
}

impl Phone {
    pub fn new(account: &str) -> Self {
        let mut secret = [0u8; 32];
        SystemRandom::new().fill(&mut secret);
        Self {
            account: account.to_owned(),
            device_id: String::new(),
            approval: random_key(),
            identity: random_key(),
            secret,
        }
    }

    pub fn registration(&self, code: &str) -> Value {
        json!({
            "code": code,
            "approval_key": b64_encode(&self.approval.public_key()),
            "identity_key": b64_encode(&self.identity.public_key()),
            "offline_secret": b64_encode(&self.secret),
            "ocra_suite": OFFLINE_SUITE,
            "device_name": "Pixel 8",
        })
    }

    fn signed(&self, key: &DeviceKey, decision: Decision, origin: &str, c: &Challenge) -> Value {
        let signature = key.sign(&message(
            decision,
            &ChallengeBinding {
                origin,
                challenge_id: &c.id,
                nonce: &c.nonce,
                account: &self.account,
                device_id: &self.device_id,
            },
        ));
        json!({
            "account": self.account,
            "device_id": self.device_id,
            "signature": b64_encode(&signature),
        })
    }

    /// The right approval (correct PIN).
    pub fn approve(&self, origin: &str, c: &Challenge) -> Value {
        self.signed(&self.approval, Decision::Approve, origin, c)
    }

    /// An approval made with a wrong PIN: a valid-looking signature by another key.
    pub fn approve_wrong_pin(&self, origin: &str, c: &Challenge) -> Value {
        self.signed(&random_key(), Decision::Approve, origin, c)
    }

    /// "This wasn't me".
    pub fn deny(&self, origin: &str, c: &Challenge) -> Value {
        self.signed(&self.identity, Decision::Deny, origin, c)
    }

    /// A denial signed with the wrong key.
    pub fn deny_wrong_key(&self, origin: &str, c: &Challenge) -> Value {
        self.signed(&self.approval, Decision::Deny, origin, c)
    }

    /// The offline code the app shows for `c`.
    pub fn offline_code(&self, origin: &str, c: &Challenge) -> String {
        offline_otp(OFFLINE_SUITE, &self.secret, origin, &c.id, &c.nonce).expect("otp")
    }
}

/// A wrong code of the right shape.
pub fn wrong_code(right: &str) -> String {
    right
        .chars()
        .map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10))
        .collect()
}

/// Everything the server logged during this test binary (all tests share it).
pub fn logs() -> String {
    let buffer = LOGS.get().expect("logs initialised").lock().expect("lock");
    String::from_utf8_lossy(&buffer).into_owned()
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line of every level into memory (to check that no secret is logged).
pub fn init_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(Arc::clone(&buffer));
        tracing_subscriber::fmt()
            .with_env_filter("trace,sqlx=trace,hyper=info,h2=info,reqwest=info")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    });
}
