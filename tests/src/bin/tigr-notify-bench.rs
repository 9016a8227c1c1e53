//! `tigr-notify-bench`: how fast a browser learns that the phone approved (docs/benchmarks.md: p99 of
//! phone approval → browser notified < 50 ms).
//!
//! Starts a real server on loopback (temporary SQLite file), enrolls a phone through the API
//! with keys made by `tigr_core::signing::DeviceKey`, then for each of N logins: creates a
//! challenge (JSON API), opens the page's event stream (`GET /login/events/{id}`, the
//! server-sent events the login page listens to) over a plain TCP connection, and approves
//! with a signed response. The latency is the time from writing the approval request to
//! reading the `approved` event on the stream. Signatures are made beforehand, so only the
//! server's work (verify, transaction, hub wake-up, re-read, event) is measured.
//!
//! ```text
//! cargo run --release -p tigr-tests --bin tigr-notify-bench -- --logins 500 --open 100
//! ```
//! `--open` streams are held open at once (the approvals of a batch run one after the other
//! while the other streams of the batch wait). Server and load share this machine's cores.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::payload::QrPayload;
use tigr_core::random::{SecureRandom as _, SystemRandom};
use tigr_core::signing::{ChallengeBinding, Decision, DeviceKey, message};
use tigr_core::wire::b64_encode;
use tigr_server::{Config, RunningServer};
use tigr_tests::bench::random_device_key;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(
    name = "tigr-notify-bench",
    about = "Approval → browser notification latency"
)]
struct Cli {
    /// Logins to measure.
    #[arg(long, default_value_t = 500)]
    logins: usize,
    /// Event streams held open at once.
    #[arg(long, default_value_t = 100)]
    open: usize,
    /// Logins run first and not measured.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.logins == 0 || cli.open == 0 {
        bail!("--logins and --open must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.server_threads)
        .enable_all()
        .build()?;
    let config = Config::for_tests(dir.path());
    let server = server_rt.block_on(RunningServer::start(config))?;
    let addr = server.addr;
    let origin = server.public_url.clone();
    let server_config = server.config().clone();

    // The load runs on one thread of its own, as a browser and a phone would.
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = client_rt.block_on(async {
        let phone = enroll(&server_rt, &server_config, addr).await?;
        let mut api = Conn::open(addr).await?;
        let mut warm = Vec::new();
        run(
            &mut api, addr, &origin, &phone, cli.warmup, cli.open, &mut warm,
        )
        .await?;
        let mut samples = Vec::with_capacity(cli.logins);
        run(
            &mut api,
            addr,
            &origin,
            &phone,
            cli.logins,
            cli.open,
            &mut samples,
        )
        .await?;
        anyhow::Ok(samples)
    });
    server_rt.block_on(server.shutdown());
    let samples = result?;
    report(&samples, cli.open, cli.server_threads);
    Ok(())
}

/// A phone enrolled through the API.
struct BenchPhone {
    account: String,
    device_id: String,
    key: DeviceKey,
}

async fn enroll(
    server_rt: &tokio::runtime::Runtime,
    config: &Config,
    addr: SocketAddr,
) -> anyhow::Result<BenchPhone> {
    let account = "bench".to_owned();
    let config = config.clone();
    let invite_account = account.clone();
    let invite = server_rt
        .spawn(async move { tigr_server::create_enrollment(&config, &invite_account, None).await })
        .await??;
    let code = match QrPayload::parse(&invite.qr_payload)? {
        QrPayload::Enrollment(e) => e.code,
        QrPayload::Login(_) => bail!("not an enrollment payload"),
    };
    let rng = SystemRandom::new();
    let key = random_device_key(&rng)?;
    let identity = random_device_key(&rng)?;
    let mut secret = [0u8; 32];
    rng.fill(&mut secret);
    let body = serde_json::json!({
        "code": code,
        "approval_key": b64_encode(&key.public_key()),
        "identity_key": b64_encode(&identity.public_key()),
        "offline_secret": b64_encode(&secret),
        "ocra_suite": OFFLINE_SUITE,
        "device_name": "notify bench",
    });
    let mut conn = Conn::open(addr).await?;
    let (status, reply) = conn
        .request("POST", "/api/v1/enrollments/complete", &[], Some(&body))
        .await?;
    if status != 201 {
        bail!("enrollment failed: {status} {reply}");
    }
    Ok(BenchPhone {
        account,
        device_id: reply["device_id"]
            .as_str()
            .context("device_id in the enrollment reply")?
            .to_owned(),
        key,
    })
}

/// One login waiting for its approval.
struct Pending {
    id: String,
    answer: serde_json::Value,
    stream: EventStream,
}

async fn run(
    api: &mut Conn,
    addr: SocketAddr,
    origin: &str,
    phone: &BenchPhone,
    logins: usize,
    open: usize,
    samples: &mut Vec<Duration>,
) -> anyhow::Result<()> {
    let mut done = 0;
    while done < logins {
        let batch = open.min(logins - done);
        // Open `batch` streams, each past its first event (`pending`).
        let mut pending = Vec::with_capacity(batch);
        for _ in 0..batch {
            let (status, created) = api
                .request(
                    "POST",
                    "/api/v1/login/challenges",
                    &[],
                    Some(&serde_json::json!({})),
                )
                .await?;
            if status != 201 {
                bail!("challenge creation failed: {status} {created}");
            }
            let id = created["challenge_id"].as_str().context("id")?.to_owned();
            let token = created["browser_token"].as_str().context("token")?;
            let nonce = match QrPayload::parse(created["qr_payload"].as_str().context("qr")?)? {
                QrPayload::Login(l) => l.nonce,
                QrPayload::Enrollment(_) => bail!("not a login payload"),
            };
            let mut stream = EventStream::open(addr, &id, token).await?;
            stream.wait_for("\"state\":\"pending\"").await?;
            let signature = phone.key.sign(&message(
                Decision::Approve,
                &ChallengeBinding {
                    origin,
                    challenge_id: &id,
                    nonce: &nonce,
                    account: &phone.account,
                    device_id: &phone.device_id,
                },
            ));
            let answer = serde_json::json!({
                "account": phone.account,
                "device_id": phone.device_id,
                "signature": b64_encode(&signature),
            });
            pending.push(Pending { id, answer, stream });
        }
        for mut login in pending {
            let path = format!("/api/v1/login/challenges/{}/response", login.id);
            let start = Instant::now();
            let (approval, event) = tokio::join!(
                api.request("POST", &path, &[], Some(&login.answer)),
                login.stream.wait_for("\"state\":\"approved\""),
            );
            let (status, reply) = approval?;
            event?;
            let elapsed = login.stream.seen_at.map_or(start.elapsed(), |t| t - start);
            if status != 200 {
                bail!("approval refused: {status} {reply}");
            }
            samples.push(elapsed);
        }
        done += batch;
    }
    Ok(())
}

fn report(samples: &[Duration], open: usize, server_threads: usize) {
    let mut sorted: Vec<Duration> = samples.to_vec();
    sorted.sort_unstable();
    let pct = |p: f64| {
        let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[i.clamp(1, sorted.len()) - 1]
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = sorted.iter().map(|d| ms(*d)).sum::<f64>() / sorted.len() as f64;
    println!(
        "approval → browser event (SSE), {} logins, {open} streams open at once, server on {server_threads} worker threads, loopback",
        sorted.len()
    );
    println!(
        "  min {:.2} ms  median {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  mean {:.2} ms",
        ms(sorted[0]),
        ms(pct(50.0)),
        ms(pct(90.0)),
        ms(pct(99.0)),
        ms(sorted[sorted.len() - 1]),
        mean
    );
    let target = Duration::from_millis(50);
    println!(
        "  target p99 < 50 ms: {}",
        if pct(99.0) < target { "met" } else { "NOT met" }
    );
}

/// A keep-alive HTTP/1.1 connection for JSON requests.
struct Conn {
    addr: SocketAddr,
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            addr,
            stream,
            buffer: Vec::new(),
        })
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        self.stream.write_all(head.as_bytes()).await?;
        // Read the head, then Content-Length bytes.
        let head_end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("status line")?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .context("replies of the API carry Content-Length")?;
        while self.buffer.len() < head_end + length {
            self.fill().await?;
        }
        let body: Vec<u8> = self
            .buffer
            .drain(..head_end + length)
            .skip(head_end)
            .collect();
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        Ok((status, json))
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed by the server");
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// The page's event stream, read raw (chunked transfer encoding; an event is never split
/// across chunks, so searching the bytes read is enough).
struct EventStream {
    stream: TcpStream,
    buffer: Vec<u8>,
    seen_at: Option<Instant>,
}

impl EventStream {
    async fn open(addr: SocketAddr, id: &str, token: &str) -> anyhow::Result<Self> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "GET /login/events/{id} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
             x-tigr-browser-token: {token}\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        Ok(Self {
            stream,
            buffer: Vec::new(),
            seen_at: None,
        })
    }

    /// Reads until `needle` arrives (10 s at most); records when.
    async fn wait_for(&mut self, needle: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = find(&self.buffer, needle.as_bytes()) {
                self.seen_at = Some(Instant::now());
                self.buffer.drain(..i + needle.len());
                return Ok(());
            }
            if self.buffer.starts_with(b"HTTP/1.1 4") {
                bail!("event stream refused");
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .context("no event within 10 s")??;
            if n == 0 {
                bail!("event stream closed before {needle}");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
