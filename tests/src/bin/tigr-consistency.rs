//! `tigr-consistency`: the crash test (SIGKILLs of a loaded server, the database checked after
//! each restart) and the race test (many valid answers to the same challenges, one success
//! each). See docs/security.md, "Crash consistency and races", and `tigr-consistency --help`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tigr_tests::consistency::{crash, race};

/// Consistency of the Tigr server's database under crashes and races.
#[derive(Debug, Parser)]
#[command(name = "tigr-consistency")]
struct Cli {
    #[command(subcommand)]
    command: Test,
}

#[derive(Debug, Subcommand)]
enum Test {
    /// Kill the server (SIGKILL) at random moments under load, restart it, and check the
    /// database against what the clients were told after each restart.
    Crash(crash::CrashArgs),
    /// Send many valid answers to the same challenges at once: exactly one success each.
    Race(race::RaceArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tigr-consistency: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Test::Crash(args) => crash::run(args).await,
            Test::Race(args) => race::run(args).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("tigr-consistency: rules broken (see above)");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("tigr-consistency: {error:#}");
            ExitCode::from(2)
        }
    }
}
