//! `tigr-server`: run the server (default), administer accounts and phones (`admin ...`),
//! create an enrollment QR code (`enroll`, alias of `admin enroll`), back up the database
//! (`backup`) or migrate it (`migrate`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tigr_server::cli::{AdminCommand, EnrollArgs, OidcCommand};
use tigr_server::{Config, RunningServer};
use tracing_subscriber::EnvFilter;

/// See server/Cargo.toml (`mimalloc`) and docs/benchmarks.md for the measurement.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tigr strong-authentication server (QR code + phone app).
#[derive(Debug, Parser)]
#[command(name = "tigr-server", version)]
struct Cli {
    /// Configuration file (TOML). Environment variables TIGR_* override it.
    #[arg(long, global = true, value_name = "PATH", env = "TIGR_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM (the default).
    Serve,
    /// Create a single-use enrollment code for an account (created if missing) and show its
    /// QR code (same as `admin enroll`).
    Enroll(EnrollArgs),
    /// Administer accounts, phones, invitations, blocks and the audit trail.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Administer the OpenID Connect provider: the services (clients) and the signing key.
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
    /// Copy the live database to FILE (consistent while the server runs; FILE must not
    /// exist; mode 0600), check the copy, and say where the master key is: it is not in the
    /// backup and must be backed up separately.
    Backup {
        /// The backup file to create.
        file: PathBuf,
    },
    /// Apply the pending database migrations and exit (run it before starting an upgraded
    /// server); prints the schema version before and after.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Commands print their own results: their log lines stay quiet unless asked for.
    init_tracing(match cli.command {
        None | Some(Command::Serve) => "info",
        Some(_) => "warn",
    });
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tigr-server: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tigr_server::runtime::builder(config.worker_nice).build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tigr-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    // On this thread: the store's connection threads keep its priority (runtime.rs).
    runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config))
}

async fn run(command: Command, config: Config) -> ExitCode {
    let result = match command {
        Command::Serve => serve(config).await,
        Command::Enroll(args) => return tigr_server::cli::run_enroll(&config, args).await,
        Command::Admin { command } => return tigr_server::cli::run_admin(&config, command).await,
        Command::Oidc { command } => return tigr_server::cli::run_oidc(&config, command).await,
        Command::Backup { file } => return tigr_server::cli::run_backup(&config, &file).await,
        Command::Migrate => return tigr_server::cli::run_migrate(&config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tigr-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `TIGR_LOG` (default `default`: `info` for the server, `warn`
/// for commands); JSON lines when `TIGR_LOG_FORMAT=json`.
fn init_tracing(default: &str) {
    let filter = EnvFilter::try_from_env("TIGR_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if std::env::var("TIGR_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let server = RunningServer::start(config).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
