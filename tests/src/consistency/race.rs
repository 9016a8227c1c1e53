//! The race test: many clients send valid answers — signed approvals and offline codes, from
//! several enrolled phones — to the same challenges at the same moment, over real HTTP to a
//! `tigr-server` process. Each challenge must be approved exactly once (one 200), every other
//! answer refused with 409 `challenge_used` (docs/protocol.md §3.5), and the database must
//! agree: each challenge approved for the winner, with one audit row of the winner's phone
//! and way of answering, and no failure counted anywhere.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use hyper::{Method, StatusCode};
use tigr_core::offline::{OFFLINE_SUITE, offline_otp};
use tigr_core::payload::QrPayload;
use tigr_core::random::SeededRandom;
use tigr_core::signing::{ChallengeBinding, Decision, message};
use tigr_core::wire::{ContextRequest, CreatedChallenge, OfflineAnswer, SignedAnswer, b64_encode};

use super::check::check_database;
use super::process::ServerProcess;
use super::{clock_seed, sibling_binary};
use crate::bench::answer_log::{Success, Via};
use crate::bench::http::Conn;
use crate::bench::{Draws, Phone, SignerKind, enroll_all, error_code, external_config};

/// Command line of `tigr-consistency race`.
#[derive(Debug, Clone, clap::Args)]
pub struct RaceArgs {
    /// Challenges raced for.
    #[arg(long, default_value_t = 1000)]
    pub challenges: usize,
    /// Valid answers sent to each challenge.
    #[arg(long, default_value_t = 100)]
    pub answers: usize,
    /// Enrolled phones; each answer comes from one of them, drawn at random.
    #[arg(long, default_value_t = 20)]
    pub phones: usize,
    /// Share of offline codes among the answers, in percent (the others are signed
    /// approvals).
    #[arg(long, default_value_t = 25)]
    pub offline_percent: u64,
    /// Clients sending at the same time, one connection each.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Challenges per round: their answers are sent together, those of one challenge one
    /// after the other in the queue, so that `--concurrency` of them are in flight at once.
    #[arg(long, default_value_t = 10)]
    pub round: usize,
    /// Seed of the draws (phone, kind of answer) and of the phones' keys (default: from
    /// the clock; printed either way).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The `tigr-server` binary (default: the one next to this program).
    #[arg(long, value_name = "PATH")]
    pub server: Option<PathBuf>,
    /// Keep the folder with the database and the server's log (its path is printed).
    #[arg(long)]
    pub keep: bool,
}

/// A challenge as its browser and the phones see it.
pub(super) struct Raced {
    pub(super) id: String,
    pub(super) browser_token: String,
    pub(super) origin: String,
    pub(super) nonce: String,
}

/// One answer to send.
pub(super) struct Job {
    /// Index of the challenge in its round.
    challenge: usize,
    phone: usize,
    via: Via,
    pub(super) path: String,
    pub(super) browser_token: Option<String>,
    pub(super) body: Vec<u8>,
}

/// What one answer got: the status and the error code (empty for a success).
type Outcome = (StatusCode, String);

/// Runs the race test and prints its figures; true when every rule held.
pub async fn run(args: RaceArgs) -> anyhow::Result<bool> {
    if args.challenges == 0 || args.answers < 2 || args.phones == 0 || args.concurrency == 0 {
        bail!("a race needs challenges, at least 2 answers each, phones and clients");
    }
    let seed = args.seed.unwrap_or_else(clock_seed);
    println!("race test: seed {seed} (run again with --seed {seed})");
    let server_binary = sibling_binary(args.server.as_deref(), "tigr-server")?;
    let dir = tempfile::Builder::new().prefix("tigr-race-").tempdir()?;
    if args.keep {
        println!("race test: files in {}", dir.path().display());
    }
    let mut server = ServerProcess::start(&server_binary, dir.path()).await?;
    let result = race(&args, seed, &mut server).await;
    server.stop().await?;
    let ok = match result {
        Ok(tally) => {
            let log = tally.winners_log();
            let found =
                check_database(&server.database_url(), Some(&server.sealer()?), &log).await?;
            tally.print(&args, &found)
        }
        Err(error) => return Err(error),
    };
    if args.keep {
        let _ = dir.keep();
    }
    Ok(ok)
}

/// What the clients got.
struct Tally {
    /// Per challenge: its id and the winners (phone, via); exactly one expected.
    winners: Vec<(String, Vec<(usize, Via)>)>,
    /// Refusals by way of answering and reply.
    refusals: BTreeMap<(&'static str, String), u64>,
    phones: Vec<(String, String)>,
    answers: u64,
    sending: Duration,
    started: Instant,
}

async fn race(args: &RaceArgs, seed: u64, server: &mut ServerProcess) -> anyhow::Result<Tally> {
    let started = Instant::now();
    let addr = server.addr();
    let host = addr.to_string();
    let config = external_config(&server.url(), &server.database_url())?;
    let names: Vec<String> = (0..args.phones).map(|i| format!("race-{i:03}")).collect();
    let seeds = Arc::new(SeededRandom::new(seed));
    let phones =
        Arc::new(enroll_all(&config, addr, &host, &names, SignerKind::Ring, &seeds, None).await?);
    let mut browser = Conn::new(addr, &host)?;
    let mut clients: Vec<Conn> = (0..args.concurrency)
        .map(|_| Conn::new(addr, &host))
        .collect::<anyhow::Result<_>>()?;
    let mut draws = Draws::new(seed);
    let mut tally = Tally {
        winners: Vec::with_capacity(args.challenges),
        refusals: BTreeMap::new(),
        phones: phones
            .iter()
            .map(|p| (p.account.clone(), p.device_id.clone()))
            .collect(),
        answers: 0,
        sending: Duration::ZERO,
        started,
    };
    let mut left = args.challenges;
    while left > 0 {
        let size = left.min(args.round.max(1));
        left -= size;
        let mut round = Vec::with_capacity(size);
        for _ in 0..size {
            round.push(open_challenge(&mut browser).await?);
        }
        let mut jobs = Vec::with_capacity(size * args.answers);
        for (index, challenge) in round.iter().enumerate() {
            for _ in 0..args.answers {
                let phone = (draws.next() % phones.len() as u64) as usize;
                let via = if draws.next() % 100 < args.offline_percent {
                    Via::OfflineCode
                } else {
                    Via::Signature
                };
                jobs.push(answer(index, challenge, phone, &phones[phone], via)?);
            }
        }
        let jobs = Arc::new(jobs);
        let sent = Instant::now();
        let (outcomes, returned) = send_all(Arc::clone(&jobs), clients).await?;
        tally.sending += sent.elapsed();
        clients = returned;
        tally.answers += jobs.len() as u64;
        let mut winners: Vec<Vec<(usize, Via)>> = vec![Vec::new(); size];
        for (job, (status, code)) in jobs.iter().zip(outcomes) {
            if status == StatusCode::OK {
                winners[job.challenge].push((job.phone, job.via));
            } else {
                let reply = format!("{} {code}", status.as_u16());
                *tally.refusals.entry((job.via.as_str(), reply)).or_insert(0) += 1;
            }
        }
        tally
            .winners
            .extend(round.into_iter().map(|c| c.id).zip(winners));
    }
    Ok(tally)
}

/// A new challenge, as a browser creates it, scanned as a phone does.
pub(super) async fn open_challenge(browser: &mut Conn) -> anyhow::Result<Raced> {
    let reply = browser
        .call(
            Method::POST,
            "/api/v1/login/challenges",
            None,
            Some(b"{}".to_vec()),
        )
        .await?;
    if reply.status != StatusCode::CREATED {
        bail!("challenge creation answered {}", reply.status);
    }
    let created: CreatedChallenge = serde_json::from_slice(&reply.body)?;
    let Ok(QrPayload::Login(qr)) = QrPayload::parse(&created.qr_payload) else {
        bail!("not a login QR: {}", created.qr_payload);
    };
    let context = serde_json::to_vec(&ContextRequest {
        nonce: qr.nonce.clone(),
    })?;
    let path = format!("/api/v1/login/challenges/{}/context", created.challenge_id);
    let reply = browser
        .call(Method::POST, &path, None, Some(context))
        .await?;
    if reply.status != StatusCode::OK {
        bail!("context answered {}", reply.status);
    }
    Ok(Raced {
        id: created.challenge_id,
        browser_token: created.browser_token,
        origin: qr.origin.to_string(),
        nonce: qr.nonce,
    })
}

/// A valid answer of `phone` to `challenge`: its signed approval, or its offline code typed
/// in the challenge's browser.
pub(super) fn answer(
    index: usize,
    challenge: &Raced,
    at: usize,
    phone: &Phone,
    via: Via,
) -> anyhow::Result<Job> {
    let base = format!("/api/v1/login/challenges/{}", challenge.id);
    let (path, browser_token, body) = match via {
        Via::Signature => {
            let binding = ChallengeBinding {
                origin: &challenge.origin,
                challenge_id: &challenge.id,
                nonce: &challenge.nonce,
                account: &phone.account,
                device_id: &phone.device_id,
            };
            let signature = phone.approval.sign(&message(Decision::Approve, &binding));
            let body = serde_json::to_vec(&SignedAnswer {
                account: phone.account.clone(),
                device_id: phone.device_id.clone(),
                signature: b64_encode(&signature),
            })?;
            (format!("{base}/response"), None, body)
        }
        Via::OfflineCode => {
            let otp = offline_otp(
                OFFLINE_SUITE,
                &phone.offline_secret,
                &challenge.origin,
                &challenge.id,
                &challenge.nonce,
            )
            .context("offline code")?;
            let body = serde_json::to_vec(&OfflineAnswer {
                tigr_id: phone.account.clone(),
                otp,
            })?;
            (
                format!("{base}/offline"),
                Some(challenge.browser_token.clone()),
                body,
            )
        }
    };
    Ok(Job {
        challenge: index,
        phone: at,
        via,
        path,
        browser_token,
        body,
    })
}

/// Sends every job, each client taking the next one as soon as it is free; the outcomes in
/// the order of the jobs, and the clients back.
async fn send_all(
    jobs: Arc<Vec<Job>>,
    clients: Vec<Conn>,
) -> anyhow::Result<(Vec<Outcome>, Vec<Conn>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(clients.len());
    for mut conn in clients {
        let (jobs, next) = (Arc::clone(&jobs), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    return Ok::<_, anyhow::Error>((done, conn));
                };
                let reply = conn
                    .call(
                        Method::POST,
                        &job.path,
                        job.browser_token.as_deref(),
                        Some(job.body.clone()),
                    )
                    .await?;
                let code = if reply.status == StatusCode::OK {
                    String::new()
                } else {
                    error_code(&reply.body)
                };
                done.push((i, (reply.status, code)));
            }
        }));
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (done, conn) = task.await??;
        for (i, outcome) in done {
            outcomes[i] = Some(outcome);
        }
        clients.push(conn);
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.context("an answer got no reply"))
        .collect::<anyhow::Result<_>>()?;
    Ok((outcomes, clients))
}

impl Tally {
    /// The successes as the answer log would have them, for the database check.
    fn winners_log(&self) -> Vec<Success> {
        self.winners
            .iter()
            .flat_map(|(id, winners)| {
                winners.iter().map(move |(phone, via)| Success::Approved {
                    challenge_id: id.clone(),
                    account: self.phones[*phone].0.clone(),
                    device_id: self.phones[*phone].1.clone(),
                    via: *via,
                })
            })
            .collect()
    }

    /// Prints the figures; true when each challenge had exactly one success, every other
    /// answer got 409 `challenge_used`, and the database agrees.
    fn print(&self, args: &RaceArgs, found: &super::check::Findings) -> bool {
        let mut by_successes: BTreeMap<usize, usize> = BTreeMap::new();
        let mut won_by: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, winners) in &self.winners {
            *by_successes.entry(winners.len()).or_insert(0) += 1;
            for (_, via) in winners {
                *won_by.entry(via.as_str()).or_insert(0) += 1;
            }
        }
        let sending = self.sending.as_secs_f64();
        println!("== race test ==");
        println!(
            "answers     {} valid answers to {} challenges ({} each, {} % offline codes, from {} phones), {} clients at once",
            self.answers,
            self.winners.len(),
            args.answers,
            args.offline_percent,
            args.phones,
            args.concurrency
        );
        println!(
            "time        {:.1} s in all; {sending:.1} s sending answers: {:.0} answers/s",
            self.started.elapsed().as_secs_f64(),
            self.answers as f64 / sending.max(1e-9)
        );
        let histogram: Vec<String> = by_successes
            .iter()
            .map(|(n, count)| format!("{count} challenges with {n}"))
            .collect();
        println!("successes   {}", histogram.join(", "));
        let won: Vec<String> = won_by.iter().map(|(via, n)| format!("{via} {n}")).collect();
        println!("won by      {}", won.join(", "));
        println!("refusals");
        let mut wrong_refusals = 0;
        for ((via, reply), n) in &self.refusals {
            let expected = reply == "409 challenge_used";
            if !expected {
                wrong_refusals += n;
            }
            println!(
                "  {n:>9}  {reply} to {via}{}",
                if expected { "" } else { "   UNEXPECTED" }
            );
        }
        println!(
            "database    {} challenges, {} approved, {} approved without a 200, {} accounts with a failure counted, {} audit rows; {} anomalies",
            found.challenges,
            found.approved,
            found.approved_without_reply,
            found.accounts_with_failures,
            found.audit_rows,
            found.anomaly_count
        );
        for anomaly in &found.anomalies {
            println!("  ANOMALY {anomaly}");
        }
        let one_each = by_successes.keys().eq([1].iter());
        let ok = one_each
            && wrong_refusals == 0
            && found.is_clean()
            && found.approved == self.winners.len()
            && found.approved_without_reply == 0
            && found.accounts_with_failures == 0;
        println!(
            "RESULT      {}",
            if ok {
                "every challenge approved exactly once"
            } else {
                "FAILED"
            }
        );
        ok
    }
}
