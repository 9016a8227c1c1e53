//! `tigr-otp-bench`: the cost of the OTP mode (figures in docs/benchmarks.md).
//!
//! 1. argon2id with the server's parameters (`tigr_server::passwords`): time of one hash
//!    and of one verification, one at a time, then verifications a second on every core.
//! 2. OTP form logins over HTTP against a real server on loopback: each virtual user
//!    (its own connection, cookie and CSRF token) posts Tigr ID + right password + a code,
//!    in a closed loop. The code is wrong, so that no e-mail relay is needed and the OTP
//!    channel's threshold (raised here) never pauses: the server does exactly the work of
//!    a successful login (account and record reads, one argon2id verification, the code
//!    comparison, one write transaction with its audit row) except opening the session.
//!
//! ```text
//! cargo run --release -p tigr-tests --bin tigr-otp-bench -- --hashes 50 --users 4 --seconds 10
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tigr_core::random::SystemRandom;
use tigr_server::admin::{Actor, AdminService, NewAccount, Role};
use tigr_server::passwords::{LANES, MEMORY_KIB, PASSES, PasswordHasher};
use tigr_server::{Config, RunningServer};
use tokio::net::TcpStream;

#[derive(Debug, Parser)]
#[command(
    name = "tigr-otp-bench",
    about = "Cost of argon2id and of OTP form logins"
)]
struct Cli {
    /// argon2id hashes and verifications timed one at a time.
    #[arg(long, default_value_t = 50)]
    hashes: usize,
    /// Virtual users posting the OTP form at once.
    #[arg(long, default_value_t = 4)]
    users: usize,
    /// Seconds of OTP form posts measured (after 2 s of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

const PASSWORD: &str = "tranquille chevreuil du matin";

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.hashes == 0 || cli.users == 0 || cli.seconds == 0 {
        bail!("--hashes, --users and --seconds must be at least 1");
    }
    argon2_figures(cli.hashes);

    let dir = tempfile::tempdir()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.server_threads)
        .enable_all()
        .build()?;
    let mut config = Config::for_tests(dir.path());
    config.otp.lockout_threshold = 100;
    config.otp.lockout_duration = 1;
    let server = server_rt.block_on(RunningServer::start(config))?;
    let addr = server.addr;
    let server_config = server.config().clone();
    let links = server_rt.block_on(prepare(&server_config, cli.users))?;
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = client_rt.block_on(async {
        let mut users = Vec::new();
        for (i, link) in links.iter().enumerate() {
            let mut user = Browser::new(addr);
            user.set_password(link).await?;
            user.csrf = user.otp_form().await?;
            users.push((format!("bench{i}"), user));
        }
        run(users, cli.seconds).await
    });
    server_rt.block_on(server.shutdown());
    let (latencies, elapsed) = result?;
    report(&latencies, elapsed, cli.users, cli.server_threads);
    Ok(())
}

/// Times argon2id hashes and verifications, then verifications on every core.
fn argon2_figures(n: usize) {
    let random = SystemRandom::new();
    let hasher = PasswordHasher::new(&random);
    let mut hashes = Vec::with_capacity(n);
    let mut hash_times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        hashes.push(hasher.hash(PASSWORD.as_bytes(), &random));
        hash_times.push(start.elapsed());
    }
    let mut verify_times = Vec::with_capacity(n);
    for phc in &hashes {
        let start = Instant::now();
        assert!(hasher.verify(PASSWORD.as_bytes(), Some(phc)));
        verify_times.push(start.elapsed());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hasher = Arc::new(hasher);
    let phc = Arc::new(hashes[0].clone());
    let start = Instant::now();
    let per_thread = n.max(cores);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hasher, phc) = (Arc::clone(&hasher), Arc::clone(&phc));
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    assert!(hasher.verify(PASSWORD.as_bytes(), Some(&phc)));
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    let rate = (cores * per_thread) as f64 / start.elapsed().as_secs_f64();
    println!("argon2id m={MEMORY_KIB} KiB, t={PASSES}, p={LANES}:");
    println!("  hash    {} (n={n})", summary(&mut hash_times));
    println!("  verify  {} (n={n})", summary(&mut verify_times));
    println!("  verify  {rate:.1}/s on {cores} threads at once");
}

/// `p50 … p99 … max` in milliseconds.
fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

/// Accounts `bench0`… with an e-mail address; returns their password invitation paths.
async fn prepare(config: &Config, users: usize) -> anyhow::Result<Vec<String>> {
    let admin = AdminService::open(config).await?;
    let actor = Actor::cli("bench");
    let origin = config.public_origin()?.to_string();
    let mut links = Vec::new();
    for i in 0..users {
        let id = format!("bench{i}");
        admin
            .create_account(
                &actor,
                NewAccount {
                    id: id.clone(),
                    display_name: id.clone(),
                    email: Some(format!("{id}@bench.test")),
                    role: Role::User,
                },
            )
            .await?;
        let invitation = admin.invite_password(&actor, &id).await?;
        links.push(
            invitation
                .link
                .strip_prefix(&origin)
                .context("link on this server")?
                .to_owned(),
        );
    }
    Ok(links)
}

/// One browser: a keep-alive connection, its cookies, the OTP form's CSRF token.
struct Browser {
    addr: SocketAddr,
    sender: Option<http1::SendRequest<Full<Bytes>>>,
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl Browser {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            sender: None,
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        form: Option<String>,
    ) -> anyhow::Result<(StatusCode, String)> {
        if self.sender.as_mut().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        let origin = format!("http://{}", self.addr);
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.to_string())
            .header(ORIGIN, origin)
            .header(COOKIE, cookie);
        if form.is_some() {
            request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request.body(Full::new(Bytes::from(form.unwrap_or_default())))?;
        let sender = self.sender.as_mut().context("connected")?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        for value in response.headers().get_all(SET_COOKIE) {
            let pair = value.to_str()?.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// The CSRF token of the page at `path`.
    async fn csrf_of(&mut self, path: &str) -> anyhow::Result<String> {
        let (status, body) = self.call(Method::GET, path, None).await?;
        if status != StatusCode::OK {
            bail!("GET {path}: {status}");
        }
        let start = body.find("name=\"csrf\" value=\"").context("CSRF field")?
            + "name=\"csrf\" value=\"".len();
        let end = start + body[start..].find('"').context("quote")?;
        Ok(body[start..end].to_owned())
    }

    async fn set_password(&mut self, path: &str) -> anyhow::Result<()> {
        let csrf = self.csrf_of(path).await?;
        let form = serde_urlencoded_pairs(&[
            ("csrf", &csrf),
            ("password", PASSWORD),
            ("confirmation", PASSWORD),
        ]);
        let (status, _) = self.call(Method::POST, path, Some(form)).await?;
        if status != StatusCode::OK {
            bail!("setting the password: {status}");
        }
        Ok(())
    }

    async fn otp_form(&mut self) -> anyhow::Result<String> {
        self.csrf_of("/login/otp").await
    }
}

/// `a=b&c=d`, percent-encoded.
fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every user posts the OTP form in a loop: 2 s of warm-up, then `seconds` measured.
async fn run(
    users: Vec<(String, Browser)>,
    seconds: u64,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let warm_until = Instant::now() + Duration::from_secs(2);
    let stop_at = warm_until + Duration::from_secs(seconds);
    let tasks: Vec<_> = users
        .into_iter()
        .map(|(id, mut user)| {
            tokio::spawn(async move {
                let mut times = Vec::new();
                let form = serde_urlencoded_pairs(&[
                    ("csrf", &user.csrf.clone()),
                    ("action", "login"),
                    ("tigr_id", &id),
                    ("password", PASSWORD),
                    ("otp", "000000"),
                ]);
                loop {
                    let start = Instant::now();
                    if start >= stop_at {
                        break;
                    }
                    let (status, _) = user
                        .call(Method::POST, "/login/otp", Some(form.clone()))
                        .await?;
                    if status != StatusCode::UNAUTHORIZED {
                        bail!("OTP form post: {status}, expected 401");
                    }
                    if start >= warm_until {
                        times.push(start.elapsed());
                    }
                }
                anyhow::Ok(times)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok((all, Duration::from_secs(seconds)))
}

fn report(latencies: &[Duration], elapsed: Duration, users: usize, threads: usize) {
    let mut times = latencies.to_vec();
    let rate = times.len() as f64 / elapsed.as_secs_f64();
    println!("OTP form logins ({users} virtual users, closed loop, server on {threads} threads):");
    println!(
        "  {} posts in {} s: {rate:.1}/s, {}",
        times.len(),
        elapsed.as_secs(),
        summary(&mut times)
    );
}
