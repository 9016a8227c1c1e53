//! `tigr-bench`: load generator for the Tigr server (complete login flows over HTTP on
//! loopback). See `docs/benchmarks.md` and `tigr-bench --help`.

use std::process::ExitCode;

use clap::Parser as _;
use tigr_tests::bench::{Args, run};

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
