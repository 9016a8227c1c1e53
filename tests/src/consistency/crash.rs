//! The crash test: `tigr-bench` runs complete logins, offline codes, wrong PINs and
//! enrollments against a `tigr-server` process, which is killed with SIGKILL at random
//! moments and restarted each time; after each restart the database is checked against
//! everything the clients were told (`check.rs`), and once more after a clean stop.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rustix::process::{Pid, Signal, kill_process};

use super::check::{Findings, check_database};
use super::process::ServerProcess;
use super::{clock_seed, sibling_binary};
use crate::bench::Draws;
use crate::bench::answer_log;

/// Command line of `tigr-consistency crash`.
#[derive(Debug, Clone, clap::Args)]
pub struct CrashArgs {
    /// How many times the server is killed (SIGKILL) during the load.
    #[arg(long, default_value_t = 20)]
    pub kills: u32,
    /// Seed of the moments of the kills (default: from the clock; printed either way).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Shortest load before a kill, in seconds (each wait is drawn uniformly).
    #[arg(long, default_value_t = 2.0)]
    pub min_wait: f64,
    /// Longest load before a kill, in seconds.
    #[arg(long, default_value_t = 8.0)]
    pub max_wait: f64,
    /// Load after the last restart, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub tail: f64,
    /// Virtual users of `tigr-bench`.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Accounts of the login flows.
    #[arg(long, default_value_t = 100)]
    pub accounts: usize,
    /// Invitations for enrollment flows.
    #[arg(long, default_value_t = 1500)]
    pub invitations: usize,
    /// Flow mix of `tigr-bench`.
    #[arg(long, default_value = "online=80,offline=8,wrongpin=8,enroll=4")]
    pub mix: String,
    /// The `tigr-server` binary (default: the one next to this program).
    #[arg(long, value_name = "PATH")]
    pub server: Option<PathBuf>,
    /// The `tigr-bench` binary (default: the one next to this program).
    #[arg(long, value_name = "PATH")]
    pub bench: Option<PathBuf>,
    /// Keep the folder with the database and the logs (its path is printed).
    #[arg(long)]
    pub keep: bool,
}

/// The load generator's process; interrupted (or killed) when dropped.
struct Bench {
    child: Option<Child>,
}

impl Bench {
    /// Stops the load with SIGINT (the bench then prints its report) and waits for it.
    async fn stop(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let mut child = self.child.take().context("the bench is not running")?;
        kill_process(Pid::from_child(&child), Signal::INT)?;
        let asked = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if asked.elapsed() > Duration::from_secs(180) {
                child.kill()?;
                child.wait()?;
                bail!("tigr-bench did not stop within 180 s of SIGINT");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn exited(&mut self) -> anyhow::Result<Option<std::process::ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => Ok(child.try_wait()?),
            None => Ok(None),
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the crash test and prints its figures; true when no rule was broken.
pub async fn run(args: CrashArgs) -> anyhow::Result<bool> {
    if !(0.0..=args.max_wait).contains(&args.min_wait) {
        bail!("--min-wait must be between 0 and --max-wait");
    }
    let seed = args.seed.unwrap_or_else(clock_seed);
    println!("crash test: seed {seed} (run again with --seed {seed})");
    let server_binary = sibling_binary(args.server.as_deref(), "tigr-server")?;
    let bench_binary = sibling_binary(args.bench.as_deref(), "tigr-bench")?;
    let dir = tempfile::Builder::new().prefix("tigr-crash-").tempdir()?;
    let dir_path = dir.path().to_owned();
    if args.keep {
        println!("crash test: files in {}", dir_path.display());
    }
    let result = crash(&args, seed, &server_binary, &bench_binary, &dir_path).await;
    if args.keep {
        let _ = dir.keep();
    }
    result
}

async fn crash(
    args: &CrashArgs,
    seed: u64,
    server_binary: &Path,
    bench_binary: &Path,
    dir: &Path,
) -> anyhow::Result<bool> {
    let mut server = ServerProcess::start(server_binary, dir).await?;
    let sealer = server.sealer()?;
    let log_path = dir.join("answers.log");
    let report_path = dir.join("bench-report.txt");
    // Ended by SIGINT; the duration only bounds a run whose driver died.
    let bound = f64::from(args.kills) * (args.max_wait + 120.0) + args.tail + 600.0;
    let child = Command::new(bench_binary)
        .arg("--url")
        .arg(server.url())
        .arg("--database-url")
        .arg(server.database_url())
        .args(["--survive-restarts", "--warmup", "0"])
        .arg("--duration")
        .arg(format!("{bound:.0}"))
        .arg("--concurrency")
        .arg(args.concurrency.to_string())
        .arg("--accounts")
        .arg(args.accounts.to_string())
        .arg("--invitations")
        .arg(args.invitations.to_string())
        .arg("--mix")
        .arg(&args.mix)
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--answer-log")
        .arg(&log_path)
        .stdin(Stdio::null())
        .stdout(File::create(&report_path)?)
        .spawn()
        .with_context(|| format!("cannot start {}", bench_binary.display()))?;
    let mut bench = Bench { child: Some(child) };
    wait_for_load(&log_path, &mut bench).await?;
    let load_start = Instant::now();

    let mut draws = Draws::new(seed);
    let mut anomalies = 0;
    let mut slowest_restart = Duration::ZERO;
    println!(
        "{:>5} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "kill", "at s", "restart", "200s", "approved", "no reply", "enrolled", "anomalies"
    );
    for kill in 1..=args.kills {
        let unit = (draws.next() >> 11) as f64 / (1u64 << 53) as f64;
        let wait = args.min_wait + unit * (args.max_wait - args.min_wait);
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        if let Some(status) = bench.exited()? {
            bail!(
                "tigr-bench ended early ({status}); see {}",
                report_path.display()
            );
        }
        server.kill()?;
        let at = load_start.elapsed();
        let restart = server.restart().await?;
        slowest_restart = slowest_restart.max(restart);
        // The log first: every line in it was answered after its commit, so the database,
        // read next, must hold it.
        let log = answer_log::read(&log_path)?;
        let found = check_database(&server.database_url(), Some(&sealer), &log).await?;
        println!(
            "{:>5} {:>8.1} {:>6.0}ms {:>9} {:>9} {:>9} {:>8} {:>9}",
            format!("{kill}/{}", args.kills),
            at.as_secs_f64(),
            restart.as_secs_f64() * 1e3,
            found.approvals_logged,
            found.approved,
            found.approved_without_reply,
            found.invitations_used,
            found.anomaly_count
        );
        anomalies += found.anomaly_count;
        print_anomalies(&found);
    }
    tokio::time::sleep(Duration::from_secs_f64(args.tail)).await;
    let bench_status = bench.stop().await?;
    server.stop().await?;
    let log = answer_log::read(&log_path)?;
    let last = check_database(&server.database_url(), Some(&sealer), &log).await?;
    anomalies += last.anomaly_count;
    print_anomalies(&last);

    let report = std::fs::read_to_string(&report_path)?;
    println!();
    print!("{report}");
    println!();
    let flows = completed_flows(&report).map_or("?".to_owned(), |n| n.to_string());
    println!("== crash test ==");
    println!("seed        {seed}");
    println!(
        "kills       {} (SIGKILL after {:.1} to {:.1} s of load each; slowest restart {:.0} ms); load {:.0} s",
        args.kills,
        args.min_wait,
        args.max_wait,
        slowest_restart.as_secs_f64() * 1e3,
        load_start.elapsed().as_secs_f64()
    );
    println!("flows       {flows} completed (tigr-bench, above)");
    println!(
        "checked     {} approvals answered 200 and {} enrollments answered 201, against {} challenges ({} approved) and {} invitations ({} used) in the database, {} audit rows",
        last.approvals_logged,
        last.enrollments_logged,
        last.challenges,
        last.approved,
        last.invitations_used + last.invitations_unused,
        last.invitations_used,
        last.audit_rows
    );
    println!(
        "no reply    {} approvals and {} enrollments committed whose reply never arrived (allowed)",
        last.approved_without_reply, last.enrolled_without_reply
    );
    println!(
        "lockout     {} accounts with a failure counted (each matching its audit trail)",
        last.accounts_with_failures
    );
    println!("ANOMALIES   {anomalies} over {} checks", args.kills + 1);
    let bench_ok = bench_status.success();
    if !bench_ok {
        println!("tigr-bench   {bench_status}: unexpected outcomes (see its report above)");
    }
    Ok(anomalies == 0 && bench_ok)
}

/// Waits until the bench has enrolled its phones and a first login went through.
async fn wait_for_load(log_path: &Path, bench: &mut Bench) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if log_path.exists()
            && answer_log::read(log_path)?
                .iter()
                .any(|s| matches!(s, answer_log::Success::Approved { .. }))
        {
            return Ok(());
        }
        if let Some(status) = bench.exited()? {
            bail!("tigr-bench ended during its setup ({status})");
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("no login went through within 300 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn print_anomalies(found: &Findings) {
    for anomaly in &found.anomalies {
        println!("  ANOMALY {anomaly}");
    }
    if found.anomaly_count > found.anomalies.len() {
        println!(
            "  ... and {} more",
            found.anomaly_count - found.anomalies.len()
        );
    }
}

/// The number of flows in the bench report's `THROUGHPUT ... (N flows: ...)` line.
fn completed_flows(report: &str) -> Option<u64> {
    let line = report.lines().find(|l| l.starts_with("THROUGHPUT"))?;
    let after = line.split_once('(')?.1;
    after.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_read_from_the_report() {
        let report = "== tigr-bench ==\nTHROUGHPUT  812 complete flows/s (40613 flows: online 1)\n";
        assert_eq!(completed_flows(report), Some(40613));
        assert_eq!(completed_flows("nothing"), None);
    }
}
