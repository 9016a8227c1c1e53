//! `tigr-bench`: load generator for the Tigr server (complete login flows over HTTP on
//! loopback). See `docs/benchmarks.md` and `tigr-bench --help`.

use std::process::ExitCode;

use clap::Parser as _;
use tigr_tests::bench::{Args, run};

/// The server binary's allocator (server/src/main.rs): in-process, the server measured here
/// allocates as the deployed one does; the generator shares it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("tigr-bench: {errors} unexpected outcomes");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("tigr-bench: {error:#}");
            ExitCode::from(2)
        }
    }
}
