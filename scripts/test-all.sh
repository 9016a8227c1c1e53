#!/usr/bin/env bash
# Runs every test suite of Tigr: Rust unit and end-to-end tests (real server, real SQLite file,
# real HTTP on loopback), browser tests in headless Chromium, the OpenID Connect suites with
# real clients (Apache httpd + mod_auth_openidc in front of Chromium, Python's Authlib), short
# runs of the crash and race tests, the fuzz corpora, and the Kotlin SDK suite on the JVM.
# Builds once (debug profile) and reuses the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

echo "== Rust: build"
cargo build --workspace --all-targets --locked

echo "== Rust: tests (browser and OpenID Connect real-client suites included)"
cargo test --workspace --locked

echo "== Crash and race consistency, short runs (~25 s; the full runs: docs/security.md)"
TIGR_BUILD_PROFILE=dev scripts/consistency-test.sh crash --ci
TIGR_BUILD_PROFILE=dev scripts/consistency-test.sh race --ci

echo "== Rust: tigr-core without its device side (as the server builds it)"
cargo test -p tigr-core --no-default-features --locked

echo "== Fuzz corpora: every target's checks over its committed corpus (docs/security.md, Fuzzing)"
scripts/fuzz.sh replay

echo "== Kotlin SDK on the JVM (generated bindings, real server)"
TIGR_BUILD_PROFILE=dev android/jvm-tests/run.sh
