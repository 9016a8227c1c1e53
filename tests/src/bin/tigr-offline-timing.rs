//! `tigr-offline-timing`: does the time of an offline-code reply tell an enrolled Tigr ID
//! from another one? (docs/security.md, "Account enumeration"; figures in
//! docs/benchmarks.md.)
//!
//! Starts a real server on loopback (temporary SQLite file) with one Tigr ID in each state
//! a browser must not be able to tell apart: enrolled, unknown, disabled, without a phone,
//! with a revoked phone, with a blocked phone channel. Then, round after round, posts one
//! wrong offline code for each ID, in a new random order each round, over one keep-alive
//! connection (as the login page's script does), and prints the distribution of reply
//! times per ID with the difference of its median from the enrolled ID's. Every reply is
//! checked to be the same 401 before it is counted. The offline form's pause threshold is
//! raised so that every attempt takes the counted path. At the end, the server's count of
//! replies that left later than their paced time (`tigr_offline_replies_late_total`).
//!
//! ```text
//! cargo run --release -p tigr-tests --bin tigr-offline-timing -- --rounds 3000
//! ```

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use hyper::{Method, StatusCode};
use tigr_core::offline::OFFLINE_SUITE;
use tigr_core::payload::QrPayload;
use tigr_core::random::{SecureRandom as _, SystemRandom};
use tigr_core::wire::b64_encode;
use tigr_server::admin::{Actor, AdminService, NewAccount, Role};
use tigr_server::{Config, RunningServer};
use tigr_tests::bench::http::{Conn, late_offline_replies};
use tigr_tests::bench::random_device_key;

#[derive(Debug, Parser)]
#[command(
    name = "tigr-offline-timing",
    about = "Offline-code reply times per kind of Tigr ID (enumeration by timing)"
)]
struct Cli {
    /// Measured rounds (one attempt per Tigr ID each).
    #[arg(long, default_value_t = 2000)]
    rounds: usize,
    /// Rounds run first and not measured.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
}

/// The Tigr IDs measured, the enrolled one first.
const KINDS: [(&str, &str); 6] = [
    ("enrolled", "enrolled"),
    ("unknown", "nobody"),
    ("disabled", "disabled"),
    ("without a phone", "phoneless"),
    ("revoked phone", "revoked"),
    ("blocked phone", "blocked"),
];

/// Attempts per challenge (a challenge lives 120 s; a new one is made before).
const ATTEMPTS_PER_CHALLENGE: usize = 300;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    let dir = tempfile::tempdir()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.server_threads)
        .enable_all()
        .build()?;
    let mut config = Config::for_tests(dir.path());
    config.offline_lockout_threshold = u32::MAX;
    let server = server_rt.block_on(RunningServer::start(config))?;
    let addr = server.addr;
    let server_config = server.config().clone();
    let host = addr.to_string();

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = client_rt.block_on(async {
        let mut conn = Conn::new(addr, &host)?;
        prepare(&server_rt, &server_config, &mut conn).await?;
        let mut warm = vec![Vec::new(); KINDS.len()];
        measure(&mut conn, cli.warmup, &mut warm).await?;
        let mut samples = vec![Vec::with_capacity(cli.rounds); KINDS.len()];
        measure(&mut conn, cli.rounds, &mut samples).await?;
        let late = late_offline_replies(&mut conn).await?;
        anyhow::Ok((samples, late))
    });
    server_rt.block_on(server.shutdown());
    let (samples, late) = result?;
    report(&samples, cli.server_threads);
    println!(
        "replies paced to {} ms after their request; late (work took longer): {late}",
        server_config.offline_reply_time.as_millis()
    );
    Ok(())
}

/// Enrolls, disables, revokes and blocks as [`KINDS`] says.
async fn prepare(
    server_rt: &tokio::runtime::Runtime,
    config: &Config,
    conn: &mut Conn,
) -> anyhow::Result<()> {
    let mut devices = Vec::new();
    for account in ["enrolled", "disabled", "revoked", "blocked"] {
        devices.push(enroll(server_rt, config, conn, account).await?);
    }
    // Five wrong signatures naming the phone block its channel.
    let blocked_device = &devices[3];
    for _ in 0..5 {
        let id = new_challenge(conn).await?.0;
        let mut signature = [0u8; 64];
        SystemRandom::new().fill(&mut signature);
        let answer = serde_json::json!({
            "account": "blocked",
            "device_id": blocked_device,
            "signature": b64_encode(&signature),
        });
        let path = format!("/api/v1/login/challenges/{id}/response");
        let reply = conn
            .call(
                Method::POST,
                &path,
                None,
                Some(serde_json::to_vec(&answer)?),
            )
            .await?;
        if reply.status != StatusCode::UNAUTHORIZED && reply.status != StatusCode::LOCKED {
            bail!("wrong signature: {}", reply.status);
        }
    }
    let config = config.clone();
    server_rt
        .spawn(async move {
            let admin = AdminService::open(&config).await?;
            let actor = Actor::cli("timing");
            admin.disable_account(&actor, "disabled", None).await?;
            admin.revoke_phone(&actor, "revoked", None).await?;
            admin
                .create_account(
                    &actor,
                    NewAccount {
                        id: "phoneless".into(),
                        display_name: "Without a phone".into(),
                        email: None,
                        role: Role::User,
                    },
                )
                .await?;
            admin.close().await;
            anyhow::Ok(())
        })
        .await??;
    Ok(())
}

/// Enrolls a phone with random keys for `account` (created by the invitation); returns its
/// device id.
async fn enroll(
    server_rt: &tokio::runtime::Runtime,
    config: &Config,
    conn: &mut Conn,
    account: &str,
) -> anyhow::Result<String> {
    let config = config.clone();
    let name = account.to_owned();
    let invite = server_rt
        .spawn(async move { tigr_server::create_enrollment(&config, &name, None).await })
        .await??;
    let QrPayload::Enrollment(qr) = QrPayload::parse(&invite.qr_payload)? else {
        bail!("not an enrollment payload");
    };
    let rng = SystemRandom::new();
    let mut secret = [0u8; 32];
    rng.fill(&mut secret);
    let body = serde_json::json!({
        "code": qr.code,
        "approval_key": b64_encode(&random_device_key(&rng)?.public_key()),
        "identity_key": b64_encode(&random_device_key(&rng)?.public_key()),
        "offline_secret": b64_encode(&secret),
        "ocra_suite": OFFLINE_SUITE,
        "device_name": "timing",
    });
    let reply = conn
        .call(
            Method::POST,
            "/api/v1/enrollments/complete",
            None,
            Some(serde_json::to_vec(&body)?),
        )
        .await?;
    if reply.status != StatusCode::CREATED {
        bail!("enrollment of {account}: {}", reply.status);
    }
    let result: serde_json::Value = serde_json::from_slice(&reply.body)?;
    Ok(result["device_id"]
        .as_str()
        .context("device_id in the enrollment reply")?
        .to_owned())
}

/// A new login challenge: its id and browser token.
async fn new_challenge(conn: &mut Conn) -> anyhow::Result<(String, String)> {
    let reply = conn
        .call(
            Method::POST,
            "/api/v1/login/challenges",
            None,
            Some(b"{}".to_vec()),
        )
        .await?;
    if reply.status != StatusCode::CREATED {
        bail!("challenge creation: {}", reply.status);
    }
    let created: serde_json::Value = serde_json::from_slice(&reply.body)?;
    Ok((
        created["challenge_id"].as_str().context("id")?.to_owned(),
        created["browser_token"]
            .as_str()
            .context("token")?
            .to_owned(),
    ))
}

/// `rounds` rounds of one wrong code per Tigr ID, in a random order each round; the time
/// of each reply goes to `samples[kind]`.
async fn measure(
    conn: &mut Conn,
    rounds: usize,
    samples: &mut [Vec<Duration>],
) -> anyhow::Result<()> {
    let rng = SystemRandom::new();
    let mut challenge = new_challenge(conn).await?;
    let mut order: Vec<usize> = (0..KINDS.len()).collect();
    let mut expected: Option<(StatusCode, serde_json::Value)> = None;
    for round in 0..rounds {
        if round > 0 && round % (ATTEMPTS_PER_CHALLENGE / KINDS.len()) == 0 {
            challenge = new_challenge(conn).await?;
        }
        // Fisher–Yates with the CSPRNG (the order must not follow a pattern).
        for i in (1..order.len()).rev() {
            let mut byte = [0u8; 1];
            rng.fill(&mut byte);
            order.swap(i, usize::from(byte[0]) % (i + 1));
        }
        for &kind in &order {
            let body = serde_json::json!({ "tigr_id": KINDS[kind].1, "otp": "00000000" });
            let path = format!("/api/v1/login/challenges/{}/offline", challenge.0);
            let body = serde_json::to_vec(&body)?;
            let start = Instant::now();
            let reply = conn
                .call(Method::POST, &path, Some(&challenge.1), Some(body))
                .await?;
            let elapsed = start.elapsed();
            let mut json: serde_json::Value = serde_json::from_slice(&reply.body)?;
            // attempts_left goes down per ID; everything else must be the same for all.
            if let Some(object) = json.as_object_mut() {
                object.remove("attempts_left");
                object.remove("message");
            }
            match &expected {
                None => expected = Some((reply.status, json)),
                Some(same) if same.0 == reply.status && same.1 == json => {}
                Some(same) => bail!(
                    "{} got {} {json}, others {} {}",
                    KINDS[kind].0,
                    reply.status,
                    same.0,
                    same.1
                ),
            }
            samples[kind].push(elapsed);
        }
    }
    Ok(())
}

fn report(samples: &[Vec<Duration>], server_threads: usize) {
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let stats = |values: &[Duration]| {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let pct = |p: f64| {
            let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            micros(sorted[i.clamp(1, sorted.len()) - 1])
        };
        (pct(10.0), pct(50.0), pct(90.0))
    };
    println!(
        "wrong offline code → 401, {} attempts per Tigr ID in random order, one keep-alive \
         connection, server on {server_threads} worker threads, loopback",
        samples[0].len()
    );
    let (_, enrolled_median, _) = stats(&samples[0]);
    println!(
        "  {:<16} {:>9} {:>9} {:>9} {:>12} {:>14}",
        "Tigr ID", "p10 µs", "median µs", "p90 µs", "Δ median µs", "slower than enrolled"
    );
    for (kind, values) in samples.iter().enumerate() {
        let (p10, median, p90) = stats(values);
        // How often this ID's reply took longer than the enrolled ID's in the same round
        // (0.5: no difference).
        let slower = values
            .iter()
            .zip(&samples[0])
            .filter(|(theirs, enrolled)| theirs > enrolled)
            .count() as f64
            / values.len() as f64;
        println!(
            "  {:<16} {p10:>9.0} {median:>9.0} {p90:>9.0} {:>+12.1} {:>13.1} %",
            KINDS[kind].0,
            median - enrolled_median,
            slower * 100.0
        );
    }
}
