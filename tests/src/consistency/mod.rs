//! Consistency of the server's database under crashes and races (docs/security.md, "Crash
//! consistency and races"), driven by `tigr-consistency`:
//!
//! * `crash`: `tigr-bench` runs against a `tigr-server` process that is killed with SIGKILL
//!   at random moments and restarted; after each restart the database is checked against
//!   what the clients were told ([`crash`], [`check`]);
//! * `race`: many clients send valid answers to the same challenges at once; each must be
//!   approved exactly once ([`race`]).

pub mod check;
pub mod crash;
pub mod process;
pub mod race;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// A seed from the clock, for runs that were not given one.
fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Seconds and nanoseconds, so that two runs in one second differ.
    now.as_secs() ^ u64::from(now.subsec_nanos()) << 32
}

/// `given`, or the program `name` next to the running one (cargo builds them together).
fn sibling_binary(given: Option<&Path>, name: &str) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .context("the running program has no folder")?
            .join(name),
    };
    if !path.is_file() {
        bail!(
            "{} not found: build it (cargo build -p tigr-server -p tigr-tests) or name it",
            path.display()
        );
    }
    Ok(path)
}
