//! `tigr-bench`: many virtual browsers and phones performing complete login flows against a
//! real Tigr server over HTTP on loopback, with latency histograms, CPU time and memory.
//!
//! A flow is what a user does: the browser creates a challenge and opens its live channel
//! (long-poll `GET .../status?wait=N`, or the event stream with `--live sse`); the phone reads
//! the QR (nonce), fetches the context and posts its signed approval; the flow ends when the
//! browser's live channel reports `approved`. Mixed in: offline flows (the browser posts the
//! Tigr ID and the OCRA code computed from the phone's secret) and wrong-PIN flows (a
//! signature by the wrong key, answered 401, then the right one; each virtual user owns one
//! dedicated account for these, so the lockout counter never reaches the threshold) and
//! enrollments (a new phone completes an invitation created at setup).
//!
//! For crash tests, `--answer-log` writes down every success a client was told of before its
//! next request, and `--survive-restarts` re-sends a request whose connection failed once the
//! server is back, as a real client would retry.
//!
//! The server is started in-process on `127.0.0.1:0` (own runtime, threads named
//! `tigr-srv*`, generator threads `bench-gen*`, so CPU time is split per side from
//! `/proc/self/task`), or is an external process (`--url`, `--database-url`), whose CPU time
//! and peak RSS are read from `/proc/<pid>`.

pub mod answer_log;
pub mod http;
pub mod oidc;
pub mod procfs;
pub mod stats;

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use hyper::header::{ACCEPT, AUTHORIZATION, COOKIE, HeaderName, ORIGIN};

/// The page scripts' CSRF header.
const CSRF: HeaderName = HeaderName::from_static("x-csrf-token");
use hyper::{Method, StatusCode};
use tigr_core::offline::{OFFLINE_SUITE, offline_otp};
use tigr_core::payload::{LoginQr, Origin, QrPayload};
use tigr_core::random::{SecureRandom as _, SeededRandom};
use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, message};
use tigr_core::wire::{
    BROWSER_TOKEN_HEADER, ChallengeState, ChallengeStatus, ContextRequest, CreatedChallenge,
    EnrollmentCompleteRequest, EnrollmentResult, OfflineAnswer, SignedAnswer, b64_encode,
};
use tigr_server::admin::{Actor, AdminService};
use tigr_server::config::DEFAULT_OFFLINE_REPLY_TIME;
use tigr_server::{Config, RunningServer};
use tokio::signal::unix::{SignalKind, signal};

use self::answer_log::{AnswerLog, Success, Via};
use self::http::{Body, Conn, Reply, late_offline_replies, read_sse_until_final};
use self::oidc::CookieJar;
use self::stats::{Endpoint, FlowKind, Stats, micros, percentiles_ms};

/// A device key drawn from `rng` (a few draws at most: nearly every 32 bytes are a valid
/// P-256 scalar).
pub fn random_device_key(rng: &dyn tigr_core::random::SecureRandom) -> anyhow::Result<DeviceKey> {
    for _ in 0..16 {
        let mut scalar = [0u8; 32];
        rng.fill(&mut scalar);
        if let Some(key) = DeviceKey::from_scalar(&scalar) {
            return Ok(key);
        }
    }
    bail!("no valid P-256 scalar drawn")
}

/// Command line of `tigr-bench`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "tigr-bench",
    about = "Load generator: complete Tigr login flows over HTTP on loopback",
    after_help = "External server: start it with the same database the bench enrolls into, e.g.\n  \
        TIGR_LISTEN=127.0.0.1:8080 TIGR_DATABASE_URL=sqlite:///tmp/tb/tigr.db \\\n  \
        TIGR_MASTER_KEY_FILE=/tmp/tb/master.key TIGR_RATE_LIMIT_CHALLENGES=0 \\\n  \
        TIGR_RATE_LIMIT_ANSWERS=0 TIGR_RATE_LIMIT_OFFLINE=0 TIGR_RATE_LIMIT_ENROLLMENTS=0 \\\n  \
        target/release/tigr-server &\n  \
        tigr-bench --url http://127.0.0.1:8080 --database-url sqlite:///tmp/tb/tigr.db"
)]
pub struct Args {
    /// Target an external server (http://127.0.0.1:PORT). Without it, a server is started
    /// in-process on 127.0.0.1:0 over a temporary directory.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// External mode: the server's SQLite database, where enrollment codes are created as
    /// `tigr-server enroll` does.
    #[arg(long, value_name = "SQLITE_URL", requires = "url")]
    pub database_url: Option<String>,
    /// External mode: the server's process id (default: the process listening on the port).
    #[arg(long, value_name = "PID", requires = "url")]
    pub server_pid: Option<u32>,
    /// External mode: a server whose `/metrics` counts late offline replies (default: the
    /// `--url` one). Behind a load balancer, give each instance (repeat the option): their
    /// counts are summed; through the balancer, the two reads could reach two instances.
    #[arg(long, value_name = "URL", requires = "url")]
    pub metrics_url: Vec<String>,
    /// Virtual users, each running one flow after the other (browser page + live channel +
    /// phone: three connections each).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Flow mix, as weights.
    #[arg(long, default_value = "online=90,offline=5,wrongpin=5", value_parser = Mix::parse)]
    pub mix: Mix,
    /// Enrolled accounts shared by online and offline flows (each virtual user also gets its
    /// own wrong-PIN account).
    #[arg(long, default_value_t = 200)]
    pub accounts: usize,
    /// Start at most this many flows per second (paced, open loop as far as `--concurrency`
    /// allows); without it, every user starts its next flow at once (closed loop, saturation).
    #[arg(long, value_name = "FLOWS_PER_S")]
    pub rate: Option<f64>,
    /// How the browser learns the outcome.
    #[arg(long, value_enum, default_value_t = LiveMode::LongPoll)]
    pub live: LiveMode,
    /// Path of the event stream for `--live sse` (`{id}` is replaced by the challenge id).
    #[arg(long, default_value = "/login/events/{id}")]
    pub sse_path: String,
    /// `wait` of the long poll, in seconds.
    #[arg(long, default_value_t = 25)]
    pub wait: u32,
    /// Phone-side signing: `ring` (cheaper for the generator; identical bytes on the wire) or
    /// `p256` (the phone app's code, `tigr_core::signing::DeviceKey`).
    #[arg(long, value_enum, default_value_t = SignerKind::Ring)]
    pub signer: SignerKind,
    /// In-process mode: worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    pub server_threads: usize,
    /// Worker threads of the generator's runtime.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Seed of keys, account choice and flow mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Invitations created at setup for `enroll` flows (new accounts `bench-n00000`, ...); an
    /// `enroll` flow drawn when none is left runs as an online flow.
    #[arg(long, default_value_t = 0)]
    pub invitations: usize,
    /// Write every success a client was told of (approval answered 200, enrollment answered
    /// 201, setup included) to this file, one line each, before that client's next request.
    #[arg(long, value_name = "PATH")]
    pub answer_log: Option<PathBuf>,
    /// The server may die and come back (crash tests): a request whose connection fails is
    /// re-sent once the server answers again (for up to 60 s), and a re-sent approval or
    /// enrollment answered "already used" was committed before the crash, its reply lost.
    #[arg(long)]
    pub survive_restarts: bool,
}

/// The browser's live channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LiveMode {
    /// `GET .../status?wait=N` with the browser token header.
    LongPoll,
    /// Server-sent events (`--sse-path`).
    Sse,
}

/// How virtual phones sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignerKind {
    /// `ring::signature::EcdsaKeyPair`.
    Ring,
    /// `tigr_core::signing::DeviceKey` (p256 crate, as in the app).
    P256,
}

/// Weights of the flow kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; FlowKind::ALL.len()],
}

impl Mix {
    /// Parses `online=90,offline=5,wrongpin=5,enroll=1` (missing kinds weigh 0).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut weights = [0u32; FlowKind::ALL.len()];
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected kind=weight"))?;
            let kind = FlowKind::ALL
                .iter()
                .position(|k| k.name() == name.trim())
                .ok_or_else(|| {
                    format!("{name:?}: kinds are online, offline, wrongpin, enroll, oidc")
                })?;
            weights[kind] = weight
                .trim()
                .parse()
                .map_err(|_| format!("{weight:?}: not a whole number"))?;
        }
        if weights.iter().all(|w| *w == 0) {
            return Err("the mix has no flow".into());
        }
        Ok(Self { weights })
    }

    /// True when `kind` weighs more than 0.
    fn has(&self, kind: FlowKind) -> bool {
        FlowKind::ALL
            .iter()
            .zip(self.weights)
            .any(|(k, w)| *k == kind && w > 0)
    }

    fn pick(&self, draw: u64) -> FlowKind {
        let total: u64 = self.weights.iter().map(|w| u64::from(*w)).sum();
        let mut point = draw % total;
        for (kind, weight) in FlowKind::ALL.iter().zip(self.weights) {
            if point < u64::from(weight) {
                return *kind;
            }
            point -= u64::from(weight);
        }
        FlowKind::Online
    }

    fn weight(&self, kind: FlowKind) -> u32 {
        FlowKind::ALL
            .iter()
            .zip(self.weights)
            .find_map(|(k, w)| (*k == kind).then_some(w))
            .unwrap_or(0)
    }
}

impl std::fmt::Display for Mix {
    /// The kinds that weigh something.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = FlowKind::ALL
            .iter()
            .zip(self.weights)
            .filter(|(_, w)| *w > 0)
            .map(|(k, w)| format!("{}={w}", k.name()))
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// xorshift64*: cheap deterministic draws for account choice and the mix.
#[derive(Debug)]
pub(crate) struct Draws(u64);

impl Draws {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A phone's approval key.
pub(crate) enum Signer {
    Ring(ring::signature::EcdsaKeyPair, ring::rand::SystemRandom),
    P256(DeviceKey),
}

impl Signer {
    fn new(kind: SignerKind, scalar: &[u8; 32]) -> Option<(Self, Vec<u8>)> {
        let key = DeviceKey::from_scalar(scalar)?;
        let public_key = key.public_key();
        let signer = match kind {
            SignerKind::P256 => Self::P256(key),
            SignerKind::Ring => {
                let rng = ring::rand::SystemRandom::new();
                let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    scalar,
                    &public_key,
                    &rng,
                )
                .ok()?;
                Self::Ring(pair, rng)
            }
        };
        Some((signer, public_key))
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Ring(pair, rng) => pair
                .sign(rng, msg)
                .expect("ring signs with a valid key")
                .as_ref()
                .to_vec(),
            Self::P256(key) => key.sign(msg).to_vec(),
        }
    }
}

/// An enrolled virtual phone.
pub(crate) struct Phone {
    pub(crate) account: String,
    pub(crate) device_id: String,
    pub(crate) approval: Signer,
    pub(crate) offline_secret: [u8; 32],
}

/// A new phone's keys and offline secret, as the app generates them at enrollment.
struct PhoneKeys {
    approval: Signer,
    approval_key: Vec<u8>,
    identity_key: Vec<u8>,
    offline_secret: [u8; 32],
}

impl PhoneKeys {
    fn generate(signer: SignerKind, seeds: &SeededRandom) -> Self {
        let (approval, approval_key) = loop {
            let mut scalar = [0u8; 32];
            seeds.fill(&mut scalar);
            if let Some(pair) = Signer::new(signer, &scalar) {
                break pair;
            }
        };
        let identity_key = loop {
            let mut scalar = [0u8; 32];
            seeds.fill(&mut scalar);
            if let Some(key) = DeviceKey::from_scalar(&scalar) {
                break key.public_key();
            }
        };
        let mut offline_secret = [0u8; 32];
        seeds.fill(&mut offline_secret);
        Self {
            approval,
            approval_key,
            identity_key,
            offline_secret,
        }
    }

    /// The body of `POST /enrollments/complete` with invitation `code`.
    fn completion(&self, code: &str) -> Vec<u8> {
        serde_json::to_vec(&EnrollmentCompleteRequest {
            code: code.to_owned(),
            approval_key: b64_encode(&self.approval_key),
            identity_key: b64_encode(&self.identity_key),
            offline_secret: b64_encode(&self.offline_secret),
            ocra_suite: OFFLINE_SUITE.to_owned(),
            device_name: "tigr-bench".to_owned(),
        })
        .expect("serializable")
    }

    /// What the answer log says of the phone enrolled with these keys.
    fn enrolled(&self, result: &EnrollmentResult) -> Success {
        Success::Enrolled {
            account: result.account.clone(),
            device_id: result.device_id.clone(),
            approval_key: b64_encode(&self.approval_key),
        }
    }
}

/// An invitation created at setup: the account and the code of its enrollment QR.
pub(crate) struct Invitation {
    account: String,
    code: String,
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// Starts flows at a fixed rate.
struct Pacer {
    start: Instant,
    interval_ns: f64,
    next: AtomicU64,
}

impl Pacer {
    /// Waits for this flow's slot; true when it starts more than 1 ms late.
    async fn wait(&self) -> bool {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let at = self.start + Duration::from_nanos((k as f64 * self.interval_ns) as u64);
        let now = Instant::now();
        if now > at + Duration::from_millis(1) {
            return true;
        }
        tokio::time::sleep_until(at.into()).await;
        false
    }
}

/// What every virtual user shares.
struct Shared {
    addr: SocketAddr,
    host: String,
    accounts: Vec<Phone>,
    wrong_pin_accounts: Vec<Phone>,
    /// The key of "a wrong PIN": unmasks to a valid scalar that is not the approval key.
    wrong_key: Signer,
    /// Invitations for `enroll` flows, taken in turn.
    invitations: Vec<Invitation>,
    next_invitation: AtomicUsize,
    /// Keys of the phones of `enroll` flows.
    seeds: SeededRandom,
    answer_log: Option<Arc<AnswerLog>>,
    args: Args,
    phase: AtomicU8,
    pacer: Option<Pacer>,
    /// The server's origin as browsers see it (`http://127.0.0.1:PORT`).
    origin: String,
    /// The client registered for OIDC flows (when the mix has some).
    provider: Option<oidc::Provider>,
    /// Randomness of the services' `state`, `nonce` and PKCE verifiers.
    rng: ring::rand::SystemRandom,
}

impl Shared {
    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Relaxed)
    }

    /// The path and query of `url` if it is on the server (or already a path).
    fn path_of(&self, url: &str) -> Option<String> {
        if url.starts_with('/') {
            return Some(url.to_owned());
        }
        url.strip_prefix(&self.origin)
            .filter(|rest| rest.starts_with('/'))
            .map(str::to_owned)
    }
}

/// The three connections of a virtual user.
struct Conns {
    /// The login page's requests (create, offline).
    page: Conn,
    /// The page's live channel.
    live: Conn,
    /// The phone.
    phone: Conn,
}

/// Records into a user's stats only during the measurement window (unexpected outcomes are
/// counted in every phase).
struct Rec<'a> {
    stats: &'a mut Stats,
    shared: &'a Shared,
}

impl Rec<'_> {
    fn on(&self) -> bool {
        self.shared.phase() == MEASURE
    }

    fn record(&mut self, endpoint: Endpoint, latency: Duration) {
        if self.on() {
            self.stats.record(endpoint, latency);
        }
    }

    fn unexpected(&mut self, endpoint: Endpoint, what: &str) {
        self.stats
            .unexpected(format!("{}: {what}", endpoint.label()));
    }

    /// One request with `headers` whose status must pass `want`; records its latency and
    /// returns the whole reply (headers included).
    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &mut self,
        conn: &mut Conn,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Body>,
        want: impl Fn(StatusCode) -> bool,
    ) -> Result<Reply, ()> {
        let sent = Instant::now();
        match conn.call_with(method, path, headers, body).await {
            Ok(reply) if want(reply.status) => {
                self.record(endpoint, sent.elapsed());
                Ok(reply)
            }
            Ok(reply) => {
                let what = format!("{} {}", reply.status.as_u16(), error_code(&reply.body));
                self.unexpected(endpoint, &what);
                Err(())
            }
            Err(error) => {
                self.unexpected(endpoint, &transport(&error));
                Err(())
            }
        }
    }

    /// One request that must answer `want`; records its latency.
    #[allow(clippy::too_many_arguments)]
    async fn expect(
        &mut self,
        conn: &mut Conn,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        want: StatusCode,
    ) -> Result<Bytes, ()> {
        match self
            .decide(conn, endpoint, method, path, token, body, want, None)
            .await?
        {
            Decided::Done(body) => Ok(body),
            Decided::ReplyLost => Err(()),
        }
    }

    /// One request that must answer `want`; records its latency. With
    /// `--survive-restarts`, a request whose connection fails is re-sent once the server
    /// answers again; a re-sent request answered 409 with the error code `used` (an approval
    /// or an enrollment) was committed the first time, before the server died.
    #[allow(clippy::too_many_arguments)]
    async fn decide(
        &mut self,
        conn: &mut Conn,
        endpoint: Endpoint,
        method: Method,
        path: &str,
        token: Option<&str>,
        mut body: Option<Vec<u8>>,
        want: StatusCode,
        used: Option<&str>,
    ) -> Result<Decided, ()> {
        let survive = self.shared.args.survive_restarts;
        let sent = Instant::now();
        let mut resent = false;
        let reply = loop {
            let this_body = if survive { body.clone() } else { body.take() };
            match conn.call(method.clone(), path, token, this_body).await {
                Ok(reply) => break reply,
                Err(_) if survive && sent.elapsed() < RESTART_WAIT => {
                    if !resent {
                        self.stats.interrupted += 1;
                        resent = true;
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(error) => {
                    self.unexpected(endpoint, &transport(&error));
                    return Err(());
                }
            }
        };
        if reply.status == want {
            // A re-sent request's latency includes the server's downtime.
            if !resent {
                self.record(endpoint, sent.elapsed());
            }
            return Ok(Decided::Done(reply.body));
        }
        let code = error_code(&reply.body);
        if resent && reply.status == StatusCode::CONFLICT && used == Some(code.as_str()) {
            self.stats.lost_replies += 1;
            return Ok(Decided::ReplyLost);
        }
        self.unexpected(endpoint, &format!("{} {code}", reply.status.as_u16()));
        Err(())
    }

    /// An answer that must be approved (200), logged as `success`. Re-sent after the server
    /// died, it may find its challenge approved already (its first reply lost).
    async fn approve(
        &mut self,
        conn: &mut Conn,
        endpoint: Endpoint,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        success: &Success,
    ) -> Result<(), ()> {
        let decided = self
            .decide(
                conn,
                endpoint,
                Method::POST,
                path,
                token,
                Some(body),
                StatusCode::OK,
                Some(CHALLENGE_USED),
            )
            .await?;
        match decided {
            Decided::Done(_) => self.log(endpoint, success),
            Decided::ReplyLost => Ok(()),
        }
    }

    /// Writes a success to the answer log (when there is one) before the next request.
    fn log(&mut self, endpoint: Endpoint, success: &Success) -> Result<(), ()> {
        let Some(log) = &self.shared.answer_log else {
            return Ok(());
        };
        log.record(success).map_err(|error| {
            self.unexpected(endpoint, &format!("{error:#}"));
        })
    }
}

/// How long a request is re-sent while the server is down (`--survive-restarts`).
const RESTART_WAIT: Duration = Duration::from_secs(60);
/// Pause between two attempts to reach a server that is down.
const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// Longest a browser's live channel waits for a decision.
const LIVE_LIMIT: Duration = Duration::from_secs(60);

/// What a deciding request got.
enum Decided {
    /// The expected status, with its body.
    Done(Bytes),
    /// Re-sent after the server died, and answered "already used": the first one was
    /// committed, its reply lost.
    ReplyLost,
}

/// The `error` code of a JSON error body: the API's (protocol §3.1) or OAuth's (RFC 6749 §5.2).
pub(crate) fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn transport(error: &anyhow::Error) -> String {
    let mut text = format!("transport: {error:#}");
    text.truncate(90);
    text
}

fn is_final(state: ChallengeState) -> bool {
    matches!(
        state,
        ChallengeState::Approved | ChallengeState::Denied | ChallengeState::Expired
    )
}

/// How the browser's live channel ended.
struct LiveOutcome {
    result: Result<ChallengeState, String>,
    done: Instant,
    held: Duration,
}

/// Why a live channel ended without a final state.
enum LiveError {
    /// The connection failed (with `--survive-restarts`, the channel is opened again).
    Transport(String),
    /// The server answered something else than a state.
    Reply(String),
}

/// The browser's live channel: returns when it reports a final state. The long poll asks
/// `status_path`, the event stream `--sse-path`, both with `headers` (the browser token, or
/// the page's cookie).
async fn watch_live(
    conn: &mut Conn,
    shared: &Shared,
    id: &str,
    status_path: &str,
    headers: &[(HeaderName, &str)],
) -> LiveOutcome {
    let start = Instant::now();
    let result = loop {
        let attempt = match shared.args.live {
            LiveMode::LongPoll => long_poll(conn, shared, status_path, headers, start).await,
            LiveMode::Sse => event_stream(conn, shared, id, headers).await,
        };
        match attempt {
            Ok(state) => break Ok(state),
            Err(LiveError::Transport(_))
                if shared.args.survive_restarts && start.elapsed() < LIVE_LIMIT =>
            {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(LiveError::Transport(what) | LiveError::Reply(what)) => break Err(what),
        }
    };
    let done = Instant::now();
    LiveOutcome {
        result,
        done,
        held: done - start,
    }
}

async fn long_poll(
    conn: &mut Conn,
    shared: &Shared,
    status_path: &str,
    headers: &[(HeaderName, &str)],
    start: Instant,
) -> Result<ChallengeState, LiveError> {
    let path = format!("{status_path}?wait={}", shared.args.wait);
    loop {
        let reply = conn
            .call_with(Method::GET, &path, headers, None)
            .await
            .map_err(|e| LiveError::Transport(transport(&e)))?;
        if reply.status != StatusCode::OK {
            return Err(LiveError::Reply(format!(
                "{} {}",
                reply.status.as_u16(),
                error_code(&reply.body)
            )));
        }
        let status: ChallengeStatus = serde_json::from_slice(&reply.body)
            .map_err(|e| LiveError::Reply(format!("bad JSON: {e}")))?;
        if is_final(status.state) {
            return Ok(status.state);
        }
        if start.elapsed() > LIVE_LIMIT {
            return Err(LiveError::Reply(format!(
                "still {:?} after {} s",
                status.state,
                LIVE_LIMIT.as_secs()
            )));
        }
    }
}

async fn event_stream(
    conn: &mut Conn,
    shared: &Shared,
    id: &str,
    headers: &[(HeaderName, &str)],
) -> Result<ChallengeState, LiveError> {
    let path = shared.args.sse_path.replace("{id}", id);
    let outcome = async {
        let mut response = conn
            .send_with(Method::GET, &path, headers, None)
            .await
            .map_err(|e| LiveError::Transport(transport(&e)))?;
        if response.status() != StatusCode::OK {
            return Err(LiveError::Reply(format!("{}", response.status().as_u16())));
        }
        let state = read_sse_until_final(response.body_mut())
            .await
            .map_err(|e| LiveError::Transport(transport(&e)))?;
        serde_json::from_value::<ChallengeState>(serde_json::Value::String(state))
            .map_err(|e| LiveError::Reply(format!("bad state: {e}")))
    }
    .await;
    // An EventSource lives as long as its page: the stream is dropped, so is the connection.
    conn.reset();
    outcome
}

/// The error code of a challenge already decided (docs/protocol.md §3.1).
const CHALLENGE_USED: &str = "challenge_used";
/// The error code of an invitation already used.
const ENROLLMENT_USED: &str = "enrollment_used";

/// What the phone (or the offline form) did: when the deciding request was sent.
struct Acted {
    decided_at: Instant,
}

/// The phone's side of an online login: it reads the QR, fetches the context, and posts its
/// signed approval (after a wrong-PIN signature, answered 401, when `wrong_pin`).
async fn approve_on_phone(
    rec: &mut Rec<'_>,
    conn: &mut Conn,
    shared: &Shared,
    phone: &Phone,
    qr: &LoginQr,
    wrong_pin: bool,
) -> Result<Acted, ()> {
    let origin = qr.origin.to_string();
    let id = qr.challenge_id.as_str();
    let base = format!("/api/v1/login/challenges/{id}");
    let sign = |signer: &Signer| {
        let binding = ChallengeBinding {
            origin: &origin,
            challenge_id: id,
            nonce: &qr.nonce,
            account: &phone.account,
            device_id: &phone.device_id,
        };
        let signature = signer.sign(&message(Decision::Approve, &binding));
        serde_json::to_vec(&SignedAnswer {
            account: phone.account.clone(),
            device_id: phone.device_id.clone(),
            signature: b64_encode(&signature),
        })
        .expect("serializable")
    };
    let context = serde_json::to_vec(&ContextRequest {
        nonce: qr.nonce.clone(),
    })
    .expect("serializable");
    rec.expect(
        conn,
        Endpoint::Context,
        Method::POST,
        &format!("{base}/context"),
        None,
        Some(context),
        StatusCode::OK,
    )
    .await?;
    let response_path = format!("{base}/response");
    if wrong_pin {
        let wrong = sign(&shared.wrong_key);
        rec.expect(
            conn,
            Endpoint::ResponseWrongPin,
            Method::POST,
            &response_path,
            None,
            Some(wrong),
            StatusCode::UNAUTHORIZED,
        )
        .await?;
        if rec.on() {
            rec.stats.expected_refusals += 1;
        }
    }
    let answer = sign(&phone.approval);
    let decided_at = Instant::now();
    let success = Success::Approved {
        challenge_id: id.to_owned(),
        account: phone.account.clone(),
        device_id: phone.device_id.clone(),
        via: Via::Signature,
    };
    rec.approve(
        conn,
        Endpoint::Response,
        &response_path,
        None,
        answer,
        &success,
    )
    .await?;
    Ok(Acted { decided_at })
}

/// Runs the deciding `actions` while the browser's `live` channel waits; the live outcome is
/// `None` when the actions failed before it ended (the live request is then abandoned).
async fn decide_while_watching(
    live: impl Future<Output = LiveOutcome>,
    actions: impl Future<Output = Result<Acted, ()>>,
) -> (Result<Acted, ()>, Option<LiveOutcome>) {
    let mut live = pin!(live);
    let mut actions = pin!(actions);
    let mut live_out = None;
    let acted = loop {
        tokio::select! {
            acted = &mut actions => break acted,
            outcome = &mut live, if live_out.is_none() => live_out = Some(outcome),
        }
    };
    let live_out = match (&acted, live_out) {
        (_, Some(outcome)) => Some(outcome),
        (Ok(_), None) => Some(live.await),
        (Err(()), None) => None,
    };
    (acted, live_out)
}

/// Records how the live channel ended: `Ok` when it saw the approval.
fn approved_seen(
    rec: &mut Rec<'_>,
    acted: Result<Acted, ()>,
    live_out: LiveOutcome,
    offline: bool,
) -> Result<(), ()> {
    let acted = acted?;
    match live_out.result {
        Ok(ChallengeState::Approved) => {
            rec.record(Endpoint::LiveHeld, live_out.held);
            if rec.on() {
                let latency = micros(live_out.done.saturating_duration_since(acted.decided_at));
                let notify = if offline {
                    &mut rec.stats.notify_offline
                } else {
                    &mut rec.stats.notify
                };
                notify.saturating_record(latency);
            }
            Ok(())
        }
        Ok(other) => {
            rec.unexpected(Endpoint::LiveHeld, &format!("ended {other:?}"));
            Err(())
        }
        Err(what) => {
            rec.unexpected(Endpoint::LiveHeld, &what);
            Err(())
        }
    }
}

/// One complete login flow; `Ok` when the browser saw it approved.
async fn flow(
    conns: &mut Conns,
    shared: &Shared,
    kind: FlowKind,
    phone: &Phone,
    stats: &mut Stats,
) -> Result<(), ()> {
    let mut rec = Rec { stats, shared };
    let body = rec
        .expect(
            &mut conns.page,
            Endpoint::Create,
            Method::POST,
            "/api/v1/login/challenges",
            None,
            Some(b"{}".to_vec()),
            StatusCode::CREATED,
        )
        .await?;
    let Ok(created) = serde_json::from_slice::<CreatedChallenge>(&body) else {
        rec.unexpected(Endpoint::Create, "bad JSON");
        return Err(());
    };
    let Ok(QrPayload::Login(qr)) = QrPayload::parse(&created.qr_payload) else {
        rec.unexpected(Endpoint::Create, "qr_payload is not a login QR");
        return Err(());
    };
    let id = created.challenge_id.as_str();
    let token = created.browser_token.as_str();

    let approved = |via| Success::Approved {
        challenge_id: id.to_owned(),
        account: phone.account.clone(),
        device_id: phone.device_id.clone(),
        via,
    };
    let Conns {
        page,
        live,
        phone: phone_conn,
    } = conns;
    let live_path = format!("/api/v1/login/challenges/{id}/status");
    let token_header = [(HeaderName::from_static(BROWSER_TOKEN_HEADER), token)];
    let (acted, live_out) = decide_while_watching(
        watch_live(live, shared, id, &live_path, &token_header),
        async {
            let rec = &mut rec;
            if kind == FlowKind::Offline {
                // The phone is offline: it shows the code, the user types it into the page.
                let origin = qr.origin.to_string();
                let otp = offline_otp(OFFLINE_SUITE, &phone.offline_secret, &origin, id, &qr.nonce)
                    .expect("the offline suite is valid");
                let answer = serde_json::to_vec(&OfflineAnswer {
                    tigr_id: phone.account.clone(),
                    otp,
                })
                .expect("serializable");
                let decided_at = Instant::now();
                let success = approved(Via::OfflineCode);
                rec.approve(
                    page,
                    Endpoint::Offline,
                    &format!("/api/v1/login/challenges/{id}/offline"),
                    Some(token),
                    answer,
                    &success,
                )
                .await?;
                return Ok(Acted { decided_at });
            }
            approve_on_phone(
                rec,
                phone_conn,
                shared,
                phone,
                &qr,
                kind == FlowKind::WrongPin,
            )
            .await
        },
    )
    .await;
    let Some(live_out) = live_out else {
        live.reset();
        return Err(());
    };
    approved_seen(&mut rec, acted, live_out, kind == FlowKind::Offline)
}

/// One OpenID Connect login (see [`oidc`]): `Ok` when the service verified the ID token.
async fn oidc_flow(
    conns: &mut Conns,
    shared: &Shared,
    phone: &Phone,
    stats: &mut Stats,
) -> Result<(), ()> {
    let provider = shared
        .provider
        .as_ref()
        .expect("a client is registered when the mix has OIDC flows");
    let mut rec = Rec { stats, shared };
    let mut jar = CookieJar::default();
    let request = oidc::Request::new(&shared.rng);
    let Conns {
        page: browser,
        live,
        phone: phone_conn,
    } = conns;

    // The service sends a fresh browser to Tigr, which sends it to its login page.
    let reply = rec
        .exchange(
            browser,
            Endpoint::Authorize,
            Method::GET,
            &request.authorize_path(provider),
            &[],
            None,
            |s| s.is_redirection(),
        )
        .await?;
    jar.store(&reply);
    let Some(login_path) = oidc::location(&reply).and_then(|l| shared.path_of(&l)) else {
        rec.unexpected(Endpoint::Authorize, "no redirect to the login page");
        return Err(());
    };
    let cookie = jar.header();
    let reply = rec
        .exchange(
            browser,
            Endpoint::LoginPage,
            Method::GET,
            &login_path,
            &[(COOKIE, &cookie)],
            None,
            |s| s == StatusCode::OK,
        )
        .await?;
    jar.store(&reply);
    let login_page = std::str::from_utf8(&reply.body)
        .ok()
        .and_then(oidc::LoginPage::parse);
    let Some(login_page) = login_page else {
        rec.unexpected(Endpoint::LoginPage, "no QR login in the page");
        return Err(());
    };
    let Ok(QrPayload::Login(qr)) = QrPayload::parse(&login_page.payload) else {
        rec.unexpected(Endpoint::LoginPage, "the page's payload is not a login QR");
        return Err(());
    };

    // The page's long poll waits while the phone approves.
    let cookie = jar.header();
    let live_path = format!("/login/status/{}", login_page.challenge_id);
    let cookie_header = [(COOKIE, cookie.as_str())];
    let (acted, live_out) = decide_while_watching(
        watch_live(
            live,
            shared,
            &login_page.challenge_id,
            &live_path,
            &cookie_header,
        ),
        approve_on_phone(&mut rec, phone_conn, shared, phone, &qr, false),
    )
    .await;
    let Some(live_out) = live_out else {
        live.reset();
        return Err(());
    };
    approved_seen(&mut rec, acted, live_out, false)?;

    // The page's script completes the login, then goes where it is told: back through the
    // authorization, which now redirects to the service with a code.
    let reply = rec
        .exchange(
            browser,
            Endpoint::Complete,
            Method::POST,
            "/login/complete",
            &[
                (COOKIE, &cookie),
                (CSRF, &login_page.csrf),
                (ACCEPT, "application/json"),
                (ORIGIN, &shared.origin),
            ],
            Some(login_page.completion()),
            |s| s == StatusCode::OK,
        )
        .await?;
    jar.store(&reply);
    let redirect = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["redirect"].as_str().map(str::to_owned));
    let Some(mut next) = redirect.and_then(|r| shared.path_of(&r)) else {
        rec.unexpected(Endpoint::Complete, "no redirect");
        return Err(());
    };
    let mut callback = None;
    for _ in 0..3 {
        let cookie = jar.header();
        let reply = rec
            .exchange(
                browser,
                Endpoint::AuthorizeCode,
                Method::GET,
                &next,
                &[(COOKIE, &cookie)],
                None,
                |s| s.is_redirection(),
            )
            .await?;
        jar.store(&reply);
        let Some(to) = oidc::location(&reply) else {
            break;
        };
        if to.starts_with(&provider.redirect_uri) {
            callback = Some(to);
            break;
        }
        match shared.path_of(&to) {
            Some(path) => next = path,
            None => break,
        }
    }
    let code = match callback.map(|c| request.code_of(&c, provider)) {
        Some(Ok(code)) => code,
        Some(Err(what)) => {
            rec.unexpected(Endpoint::AuthorizeCode, &what);
            return Err(());
        }
        None => {
            rec.unexpected(Endpoint::AuthorizeCode, "no redirect to the service");
            return Err(());
        }
    };

    // The service exchanges the code and verifies the ID token.
    let reply = rec
        .exchange(
            phone_conn,
            Endpoint::Token,
            Method::POST,
            &provider.token_path,
            &[(AUTHORIZATION, &provider.basic)],
            Some(request.token_form(&code, provider)),
            |s| s == StatusCode::OK,
        )
        .await?;
    let id_token = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["id_token"].as_str().map(str::to_owned));
    let Some(id_token) = id_token else {
        rec.unexpected(Endpoint::Token, "no id_token");
        return Err(());
    };
    if let Err(what) = provider.verify_id_token(&id_token, &request.nonce, oidc::unix_now()) {
        rec.unexpected(Endpoint::Token, &format!("ID token refused: {what}"));
        return Err(());
    }
    Ok(())
}

async fn run_user(shared: Arc<Shared>, index: usize) -> Stats {
    let mut stats = Stats::default();
    let mut draws = Draws::new(shared.args.seed ^ (index as u64 + 1) << 20);
    let conn = || Conn::new(shared.addr, &shared.host).expect("valid Host header");
    let mut conns = Conns {
        page: conn(),
        live: conn(),
        phone: conn(),
    };
    while shared.phase() != STOP {
        if let Some(pacer) = &shared.pacer
            && pacer.wait().await
            && shared.phase() == MEASURE
        {
            stats.late_starts += 1;
        }
        if shared.phase() == STOP {
            break;
        }
        let mut kind = shared.args.mix.pick(draws.next());
        let invitation = match kind {
            FlowKind::Enroll => shared
                .invitations
                .get(shared.next_invitation.fetch_add(1, Ordering::Relaxed)),
            _ => None,
        };
        if kind == FlowKind::Enroll && invitation.is_none() {
            kind = FlowKind::Online;
        }
        let started = Instant::now();
        let outcome = match (kind, invitation) {
            (FlowKind::Enroll, Some(invitation)) => {
                enroll_flow(&mut conns.phone, &shared, invitation, &mut stats).await
            }
            _ => {
                let phone = match kind {
                    FlowKind::WrongPin => &shared.wrong_pin_accounts[index],
                    _ => &shared.accounts[(draws.next() % shared.accounts.len() as u64) as usize],
                };
                match kind {
                    FlowKind::Oidc => oidc_flow(&mut conns, &shared, phone, &mut stats).await,
                    _ => flow(&mut conns, &shared, kind, phone, &mut stats).await,
                }
            }
        };
        match outcome {
            Ok(()) if shared.phase() == MEASURE => stats.flow_done(kind, started.elapsed()),
            Ok(()) => {}
            // Do not spin on a failing server.
            Err(()) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    stats
}

/// A new phone completes an invitation, as the app does after its user chose a PIN.
async fn enroll_flow(
    conn: &mut Conn,
    shared: &Shared,
    invitation: &Invitation,
    stats: &mut Stats,
) -> Result<(), ()> {
    let keys = PhoneKeys::generate(shared.args.signer, &shared.seeds);
    let mut rec = Rec { stats, shared };
    let decided = rec
        .decide(
            conn,
            Endpoint::Enroll,
            Method::POST,
            "/api/v1/enrollments/complete",
            None,
            Some(keys.completion(&invitation.code)),
            StatusCode::CREATED,
            Some(ENROLLMENT_USED),
        )
        .await?;
    let Decided::Done(body) = decided else {
        return Ok(());
    };
    match serde_json::from_slice::<EnrollmentResult>(&body) {
        Ok(result) if result.account == invitation.account => {
            rec.log(Endpoint::Enroll, &keys.enrolled(&result))
        }
        _ => {
            rec.unexpected(Endpoint::Enroll, "not the invited account's enrollment");
            Err(())
        }
    }
}

/// Creates an invitation for each account, as `tigr-server enroll` does (one connection to
/// the database for all of them).
async fn invite_all(config: &Config, names: &[String]) -> anyhow::Result<Vec<Invitation>> {
    let admin = AdminService::open(config)
        .await
        .with_context(|| format!("cannot open the database {}", config.database_url))?;
    let actor = Actor::cli_from_env();
    let mut invitations = Vec::with_capacity(names.len());
    for name in names {
        let created = match admin.enroll(&actor, name, None, None).await {
            Ok(created) => created,
            Err(error) => {
                admin.close().await;
                bail!("invitation of {name}: {error}");
            }
        };
        let Ok(QrPayload::Enrollment(qr)) = QrPayload::parse(&created.qr_payload) else {
            admin.close().await;
            bail!("not an enrollment QR: {}", created.qr_payload);
        };
        invitations.push(Invitation {
            account: name.clone(),
            code: qr.code,
        });
    }
    admin.close().await;
    Ok(invitations)
}

/// Enrolls one virtual phone with `invitation`, as the app does.
async fn enroll_phone(
    conn: &mut Conn,
    invitation: &Invitation,
    signer: SignerKind,
    seeds: &SeededRandom,
    log: Option<&AnswerLog>,
) -> anyhow::Result<Phone> {
    let keys = PhoneKeys::generate(signer, seeds);
    let reply = conn
        .call(
            Method::POST,
            "/api/v1/enrollments/complete",
            None,
            Some(keys.completion(&invitation.code)),
        )
        .await?;
    if reply.status != StatusCode::CREATED {
        bail!(
            "enrollment of {}: {} {}",
            invitation.account,
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
    let result: EnrollmentResult = serde_json::from_slice(&reply.body)?;
    if let Some(log) = log {
        log.record(&keys.enrolled(&result))?;
    }
    Ok(Phone {
        account: result.account,
        device_id: result.device_id,
        approval: keys.approval,
        offline_secret: keys.offline_secret,
    })
}

/// Enrolls a phone for each account (created if missing): invitations created in the
/// database as the admin command line does, completed over HTTP as the app does, eight at a
/// time. Phones in the order of `names`.
pub(crate) async fn enroll_all(
    config: &Config,
    addr: SocketAddr,
    host: &str,
    names: &[String],
    signer: SignerKind,
    seeds: &Arc<SeededRandom>,
    log: Option<&Arc<AnswerLog>>,
) -> anyhow::Result<Vec<Phone>> {
    let invitations = Arc::new(invite_all(config, names).await?);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (invitations, next, seeds) = (
            Arc::clone(&invitations),
            Arc::clone(&next),
            Arc::clone(seeds),
        );
        let log = log.map(Arc::clone);
        let mut conn = Conn::new(addr, host)?;
        tasks.spawn(async move {
            let mut phones = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(invitation) = invitations.get(i) else {
                    return Ok::<_, anyhow::Error>(phones);
                };
                let phone =
                    enroll_phone(&mut conn, invitation, signer, &seeds, log.as_deref()).await?;
                phones.push((i, phone));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, phone)| phone).collect())
}

/// CPU counters at one instant.
struct Snapshot {
    at: Instant,
    own_total: f64,
    own_groups: BTreeMap<&'static str, f64>,
    server: Option<f64>,
    machine: Option<(f64, f64)>,
}

fn snapshot(server_pid: Option<u32>) -> Snapshot {
    let own = std::process::id();
    Snapshot {
        at: Instant::now(),
        own_total: procfs::process_cpu(own).unwrap_or(0.0),
        own_groups: procfs::threads_cpu_by_group(own),
        server: server_pid.and_then(procfs::process_cpu),
        machine: procfs::machine_cpu(),
    }
}

/// A server started by the bench, on its own runtime, over a temporary directory.
struct InProcess {
    runtime: tokio::runtime::Runtime,
    server: RunningServer,
    _dir: tempfile::TempDir,
}

/// Where the server runs.
enum Target {
    InProcess(Box<InProcess>),
    External { pid: Option<u32> },
}

/// The address and `Host` of `url`, given with the command-line `option` (for its messages).
fn loopback_addr(option: &str, url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let origin = Origin::parse(url.trim_end_matches('/'))
        .map_err(|e| anyhow::anyhow!("{option} {url}: {e}"))?;
    let host = origin.display_host();
    if origin.is_secure() || !origin.is_loopback() {
        bail!("{option} must be plain http on loopback (127.0.0.1, [::1], localhost)");
    }
    let with_port = if host
        .rsplit(':')
        .next()
        .is_some_and(|p| p.parse::<u16>().is_ok())
        && !host.ends_with(']')
    {
        host.clone()
    } else {
        format!("{host}:80")
    };
    let addr = with_port
        .to_socket_addrs()?
        .find(|a| a.ip().is_loopback())
        .with_context(|| format!("{option} does not resolve to a loopback address"))?;
    Ok((addr, host))
}

/// The configuration the bench uses against an external server: its public origin (`url`)
/// and its database, where invitations are created.
pub(crate) fn external_config(url: &str, database_url: &str) -> anyhow::Result<Config> {
    // Creating invitations reads only the database and the origin, never the master key
    // file this names.
    let mut config = Config::for_tests(&std::env::temp_dir());
    config.database_url = database_url.to_owned();
    config.public_url = Some(
        Origin::parse(url.trim_end_matches('/'))
            .map_err(|e| anyhow::anyhow!("--url {url}: {e}"))?,
    );
    Ok(config)
}

/// Runs the benchmark and prints the report; the result is the number of unexpected
/// outcomes (0 for a clean run).
pub fn run(args: Args) -> anyhow::Result<u64> {
    if args.concurrency == 0 || args.accounts == 0 {
        bail!("--concurrency and --accounts must be at least 1");
    }
    if args.mix.weight(FlowKind::Enroll) > 0 && args.invitations == 0 {
        bail!("enroll flows need invitations (--invitations N)");
    }
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name("bench-gen")
        .enable_all()
        .build()?;

    // The server.
    let (target, config, addr, host, origin) = match &args.url {
        None => {
            let dir = tempfile::tempdir()?;
            let config = Config::for_tests(dir.path());
            // As the server binary builds it, the store opened from this thread.
            let runtime = tigr_server::runtime::builder(config.worker_nice)
                .worker_threads(args.server_threads.max(1))
                .thread_name("tigr-srv")
                .build()?;
            let server = runtime.block_on(RunningServer::start(config.clone()))?;
            let config = server.config().clone();
            let addr = server.addr;
            let host = addr.to_string();
            let origin = server.public_url.trim_end_matches('/').to_owned();
            (
                Target::InProcess(Box::new(InProcess {
                    runtime,
                    server,
                    _dir: dir,
                })),
                config,
                addr,
                host,
                origin,
            )
        }
        Some(url) => {
            let (addr, host) = loopback_addr("--url", url)?;
            let database_url = args
                .database_url
                .as_deref()
                .context("--url needs --database-url (the server's database) to enroll")?;
            let config = external_config(url, database_url)?;
            let pid = args
                .server_pid
                .or_else(|| procfs::listener_pid(addr.port()));
            let origin = url.trim_end_matches('/').to_owned();
            (Target::External { pid }, config, addr, host, origin)
        }
    };
    // Checked before the setup's enrollments, so that a mistyped address costs nothing.
    let metrics = if args.metrics_url.is_empty() {
        vec![(addr, host.clone())]
    } else {
        args.metrics_url
            .iter()
            .map(|url| loopback_addr("--metrics-url", url))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let server_pid = match &target {
        Target::InProcess(_) => None,
        Target::External { pid } => *pid,
    };

    // Setup: is the server there? Then enroll the phones.
    client.block_on(async {
        let mut conn = Conn::new(addr, &host)?;
        let reply = conn.call(Method::GET, "/healthz", None, None).await;
        match reply {
            Ok(reply) if reply.status.is_success() => Ok(()),
            Ok(reply) => bail!("{addr}/healthz answered {}", reply.status),
            Err(error) => bail!("no Tigr server on {addr}: {error:#}"),
        }
    })?;
    let setup_start = Instant::now();
    let answer_log = args
        .answer_log
        .as_deref()
        .map(AnswerLog::create)
        .transpose()?
        .map(Arc::new);
    let names: Vec<String> = (0..args.accounts)
        .map(|i| format!("bench-{i:05}"))
        .chain((0..args.concurrency).map(|i| format!("bench-w{i:05}")))
        .collect();
    let seeds = Arc::new(SeededRandom::new(args.seed));
    let mut phones = client.block_on(enroll_all(
        &config,
        addr,
        &host,
        &names,
        args.signer,
        &seeds,
        answer_log.as_ref(),
    ))?;
    let wrong_pin_accounts = phones.split_off(args.accounts);
    let wrong_key = Signer::new(args.signer, &[0x5a; 32])
        .context("wrong-PIN key")?
        .0;
    let new_accounts: Vec<String> = (0..args.invitations)
        .map(|i| format!("bench-n{i:05}"))
        .collect();
    let invitations = client.block_on(invite_all(&config, &new_accounts))?;
    let provider = if args.mix.has(FlowKind::Oidc) {
        Some(client.block_on(oidc::Provider::register(&config, addr, &host, &origin))?)
    } else {
        None
    };
    eprintln!(
        "tigr-bench: enrolled {} phones and invited {} in {:.1} s; load for {} s + {} s",
        phones.len() + wrong_pin_accounts.len(),
        invitations.len(),
        setup_start.elapsed().as_secs_f64(),
        args.warmup,
        args.duration
    );

    let shared = Arc::new(Shared {
        addr,
        host,
        accounts: phones,
        wrong_pin_accounts,
        wrong_key,
        invitations,
        next_invitation: AtomicUsize::new(0),
        // Another stream than the setup's, so that new phones get other keys.
        seeds: SeededRandom::new(args.seed ^ 0x656e_726f_6c6c),
        answer_log,
        pacer: args.rate.map(|rate| Pacer {
            start: Instant::now(),
            interval_ns: 1e9 / rate.max(0.001),
            next: AtomicU64::new(0),
        }),
        args: args.clone(),
        phase: AtomicU8::new(WARMUP),
        origin,
        provider,
        rng: ring::rand::SystemRandom::new(),
    });

    // Load, until the time is up or SIGINT (Ctrl-C) ends it early.
    let (stats, before, after, late_offline) = client.block_on(async {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let users: Vec<_> = (0..args.concurrency)
            .map(|i| tokio::spawn(run_user(Arc::clone(&shared), i)))
            .collect();
        let mut interrupted = tokio::select! {
            () = tokio::time::sleep(Duration::from_secs_f64(args.warmup)) => false,
            _ = interrupt.recv() => true,
        };
        // Only a mix with offline codes has late offline replies to count.
        let count_late = args.mix.has(FlowKind::Offline);
        let late_before = if count_late {
            late_offline_replies_at(&metrics).await
        } else {
            None
        };
        let before = snapshot(server_pid);
        shared.phase.store(MEASURE, Ordering::Relaxed);
        if !interrupted {
            interrupted = tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(args.duration)) => false,
                _ = interrupt.recv() => true,
            };
        }
        if interrupted {
            eprintln!("tigr-bench: interrupted, stopping the virtual users");
        }
        shared.phase.store(STOP, Ordering::Relaxed);
        let after = snapshot(server_pid);
        let mut stats = Stats::default();
        for user in users {
            match tokio::time::timeout(Duration::from_secs(90), user).await {
                Ok(Ok(user_stats)) => stats.merge(&user_stats),
                _ => stats.unexpected("virtual user did not finish".into()),
            }
        }
        let late_offline = match late_before {
            Some(before) => late_offline_replies_at(&metrics)
                .await
                .map(|after| after.saturating_sub(before)),
            None => None,
        };
        Ok::<_, anyhow::Error>((stats, before, after, late_offline))
    })?;

    let mut report = Report {
        args: &args,
        stats: &stats,
        before: &before,
        after: &after,
        target: &target,
        server_pid,
        late_offline,
    }
    .to_string();
    if let Target::InProcess(in_process) = target {
        let InProcess {
            runtime, server, ..
        } = *in_process;
        runtime.block_on(server.shutdown());
    }
    report.push('\n');
    print!("{report}");
    Ok(stats.error_count())
}

struct Report<'a> {
    args: &'a Args,
    stats: &'a Stats,
    before: &'a Snapshot,
    after: &'a Snapshot,
    target: &'a Target,
    server_pid: Option<u32>,
    /// Offline-code replies that left later than their paced time while measuring, as
    /// counted by the server answering `/metrics` (none when it could not be read).
    late_offline: Option<u64>,
}

/// [`late_offline_replies`] of the `servers` (address and `Host`), summed, each on a
/// connection of its own; `None` (with a warning) when a server's `/metrics` cannot be read
/// (turned off, or behind a token).
async fn late_offline_replies_at(servers: &[(SocketAddr, String)]) -> Option<u64> {
    let count = async {
        let mut total = 0;
        for (addr, host) in servers {
            total += late_offline_replies(&mut Conn::new(*addr, host)?).await?;
        }
        anyhow::Ok(total)
    };
    match count.await {
        Ok(count) => Some(count),
        Err(error) => {
            eprintln!("tigr-bench: late offline replies not counted: {error:#}");
            None
        }
    }
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (args, stats) = (self.args, self.stats);
        let window = (self.after.at - self.before.at).as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let flows: u64 = FlowKind::ALL.iter().map(|k| stats.flows_of(*k)).sum();
        let rate = flows as f64 / window;
        let server = match self.target {
            Target::InProcess(_) => format!(
                "in-process server ({} worker threads), generator {} thread(s) in the same process",
                args.server_threads, args.client_threads
            ),
            Target::External { pid } => format!(
                "external server {} (pid {}), generator {} thread(s)",
                args.url.as_deref().unwrap_or_default(),
                pid.map_or("unknown".into(), |p| p.to_string()),
                args.client_threads
            ),
        };
        writeln!(f, "== tigr-bench ==")?;
        writeln!(f, "target      {server}")?;
        writeln!(
            f,
            "load        {} virtual users, {}, mix {}, live channel {}, signer {:?}, {} accounts (+{} wrong-PIN)",
            args.concurrency,
            args.rate.map_or("closed loop".to_owned(), |r| format!(
                "paced at {r} flows/s"
            )),
            args.mix,
            match args.live {
                LiveMode::LongPoll => format!("long-poll wait={}", args.wait),
                LiveMode::Sse => format!("SSE {}", args.sse_path),
            },
            args.signer,
            args.accounts,
            args.concurrency
        )?;
        writeln!(
            f,
            "window      {window:.1} s measured after {:.1} s warm-up; {cores} cores",
            args.warmup
        )?;
        let kinds: Vec<String> = FlowKind::ALL
            .iter()
            .filter(|k| args.mix.weight(**k) > 0 || stats.flows_of(**k) > 0)
            .map(|k| format!("{} {}", k.name(), stats.flows_of(*k)))
            .collect();
        writeln!(
            f,
            "THROUGHPUT  {rate:.0} complete flows/s ({flows} flows: {})",
            kinds.join(", ")
        )?;
        if args.rate.is_some() {
            writeln!(
                f,
                "late starts {} (flows started > 1 ms after their slot)",
                stats.late_starts
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:<44} {:>9} {:>8} {:>8} {:>8} {:>8}",
            "latency (ms)", "count", "p50", "p95", "p99", "max"
        )?;
        for endpoint in Endpoint::ALL {
            // Endpoints of flows not in the mix have no rows.
            if stats.endpoint(endpoint).is_empty() {
                continue;
            }
            writeln!(
                f,
                "{:<44} {}",
                endpoint.label(),
                percentiles_ms(stats.endpoint(endpoint))
            )?;
        }
        writeln!(
            f,
            "{:<44} {}",
            "ALL REQUESTS (live channel excluded)",
            percentiles_ms(&stats.requests)
        )?;
        writeln!(
            f,
            "{:<44} {}",
            "NOTIFY phone approval -> browser approved",
            percentiles_ms(&stats.notify)
        )?;
        writeln!(
            f,
            "{:<44} {}",
            "notify offline code -> live channel",
            percentiles_ms(&stats.notify_offline)
        )?;
        writeln!(
            f,
            "{:<44} {}",
            "whole flow (to browser approved; OIDC: to ID token verified)",
            percentiles_ms(&stats.flow)
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "expected refusals  {} (401 of wrong-PIN attempts, each followed by a success)",
            stats.expected_refusals
        )?;
        if args.mix.has(FlowKind::Offline) {
            writeln!(
                f,
                "late offline replies  {} of {} offline flows (work longer than the reply time, {}; tigr_offline_replies_late_total of {}{})",
                self.late_offline
                    .map_or("unknown".to_owned(), |n| n.to_string()),
                stats.flows_of(FlowKind::Offline),
                match &self.target {
                    Target::InProcess(in_process) => format!(
                        "{} ms",
                        in_process.server.config().offline_reply_time.as_millis()
                    ),
                    // Another process's setting is not known here.
                    Target::External { .. } => format!(
                        "{} ms unless the server's TIGR_OFFLINE_REPLY_TIME says otherwise",
                        DEFAULT_OFFLINE_REPLY_TIME.as_millis()
                    ),
                },
                match args.metrics_url.len() {
                    0 => "the server answering /metrics".to_owned(),
                    1 => args.metrics_url[0].clone(),
                    n => format!("{n} servers, summed"),
                },
                if args.survive_restarts {
                    ", which counts from its last start"
                } else {
                    ""
                }
            )?;
        }
        if args.survive_restarts {
            writeln!(
                f,
                "restarts    {} requests re-sent after their connection failed; {} approvals and enrollments committed whose reply was lost (re-sent, answered \"already used\")",
                stats.interrupted, stats.lost_replies
            )?;
        }
        if let Some(path) = &args.answer_log {
            writeln!(f, "answer log  {}", path.display())?;
        }
        writeln!(f, "ERRORS      {} unexpected outcomes", stats.error_count())?;
        for (what, n) in &stats.unexpected {
            writeln!(f, "  {n:>8}  {what}")?;
        }
        writeln!(f)?;

        // CPU.
        let per_s = |seconds: f64| seconds / window;
        let per_flow_us = |seconds: f64| {
            if flows == 0 {
                0.0
            } else {
                seconds * 1e6 / flows as f64
            }
        };
        let own = std::process::id();
        let own_cpu = self.after.own_total - self.before.own_total;
        let group = |name: &str| {
            self.after.own_groups.get(name).copied().unwrap_or(0.0)
                - self.before.own_groups.get(name).copied().unwrap_or(0.0)
        };
        match self.target {
            Target::InProcess(_) => {
                writeln!(
                    f,
                    "CPU         process (server + generator) {:.2} cores = {:.0} us/flow; by thread: server {:.2} cores ({:.0} us/flow), generator {:.2} cores ({:.0} us/flow), other {:.2}",
                    per_s(own_cpu),
                    per_flow_us(own_cpu),
                    per_s(group("server")),
                    per_flow_us(group("server")),
                    per_s(group("generator")),
                    per_flow_us(group("generator")),
                    per_s(group("other")),
                )?;
                writeln!(
                    f,
                    "RSS         peak {} MiB (process: server + generator)",
                    procfs::peak_rss_kib(own).unwrap_or(0) / 1024
                )?;
            }
            Target::External { .. } => {
                match (self.before.server, self.after.server) {
                    (Some(a), Some(b)) => writeln!(
                        f,
                        "CPU         server {:.2} cores = {:.0} us/flow; generator {:.2} cores = {:.0} us/flow",
                        per_s(b - a),
                        per_flow_us(b - a),
                        per_s(own_cpu),
                        per_flow_us(own_cpu)
                    )?,
                    _ => writeln!(
                        f,
                        "CPU         server unknown (pass --server-pid); generator {:.2} cores = {:.0} us/flow",
                        per_s(own_cpu),
                        per_flow_us(own_cpu)
                    )?,
                }
                let rss = self.server_pid.and_then(procfs::peak_rss_kib);
                writeln!(
                    f,
                    "RSS         server peak {} MiB; generator peak {} MiB",
                    rss.map_or("?".into(), |k| (k / 1024).to_string()),
                    procfs::peak_rss_kib(own).unwrap_or(0) / 1024
                )?;
            }
        }
        if let (Some((b0, t0)), Some((b1, t1))) = (self.before.machine, self.after.machine) {
            let busy = if t1 > t0 { (b1 - b0) / (t1 - t0) } else { 0.0 };
            writeln!(
                f,
                "machine     {:.0}% busy over all {cores} cores during the window (every process, other builds included)",
                busy * 100.0
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parsing_and_picking() {
        let mix = Mix::parse("online=90,offline=5,wrongpin=5").expect("mix");
        assert_eq!(mix.to_string(), "online=90,offline=5,wrongpin=5");
        assert_eq!(mix.pick(0), FlowKind::Online);
        assert_eq!(mix.pick(92), FlowKind::Offline);
        assert_eq!(mix.pick(199), FlowKind::WrongPin);
        assert_eq!(
            Mix::parse("wrongpin=1").expect("mix").pick(7),
            FlowKind::WrongPin
        );
        let with_enrollments = Mix::parse("online=3,enroll=1").expect("mix");
        assert_eq!(with_enrollments.to_string(), "online=3,enroll=1");
        assert_eq!(with_enrollments.pick(3), FlowKind::Enroll);
        assert_eq!(with_enrollments.weight(FlowKind::WrongPin), 0);
        assert!(Mix::parse("online=0").is_err());
        let oidc = Mix::parse("oidc=100").expect("mix");
        assert_eq!(oidc.to_string(), "oidc=100");
        assert!(oidc.has(FlowKind::Oidc) && !oidc.has(FlowKind::Online));
        assert_eq!(oidc.pick(12_345), FlowKind::Oidc);
        assert!(!mix.has(FlowKind::Oidc));
        assert!(Mix::parse("bogus=3").is_err());
    }

    #[test]
    fn loopback_only() {
        let (addr, host) = loopback_addr("--url", "http://127.0.0.1:8080").expect("loopback");
        assert_eq!(addr.port(), 8080);
        assert_eq!(host, "127.0.0.1:8080");
        assert!(loopback_addr("--url", "https://auth.example.fr").is_err());
    }
}
