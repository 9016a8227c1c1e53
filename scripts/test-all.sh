#!/usr/bin/env bash
# Runs every test suite of Tigr: Rust unit and end-to-end tests (real server, real SQLite file,
# real HTTP on loopback; the store's, API, admin, OpenID Connect and browser suites once more on
# a throwaway PostgreSQL cluster), browser tests in headless Chromium, the OpenID Connect suites with
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

echo "== The same suites on PostgreSQL: a throwaway cluster, a new database per test server"
cluster=$(mktemp -d "${TMPDIR:-/tmp}/tigr-pg.XXXXXX")
stop_cluster() { scripts/postgres-cluster.sh stop "$cluster" || true; rm -rf "$cluster"; }
trap stop_cluster EXIT
TIGR_TEST_POSTGRES=$(scripts/postgres-cluster.sh start "$cluster")
export TIGR_TEST_POSTGRES
cargo test --locked -p tigr-server --lib storage
cargo test --locked -p tigr-server --features test-support --test api --test admin --test oidc \
  --test cluster
cargo test --locked -p tigr-tests --test e2e --test otp --test browser_login --test browser_admin \
  --test browser_otp --test browser_card --test oidc_apache --test oidc_authlib
unset TIGR_TEST_POSTGRES
stop_cluster
trap - EXIT

echo "== Crash and race consistency, short runs (~25 s; the full runs: docs/security.md)"
TIGR_BUILD_PROFILE=dev scripts/consistency-test.sh crash --ci
TIGR_BUILD_PROFILE=dev scripts/consistency-test.sh race --ci

echo "== Rust: tigr-core without its device side (as the server builds it)"
cargo test -p tigr-core --no-default-features --locked

echo "== Fuzz corpora: every target's checks over its committed corpus (docs/security.md, Fuzzing)"
scripts/fuzz.sh replay

echo "== Kotlin SDK on the JVM (generated bindings, real server)"
TIGR_BUILD_PROFILE=dev android/jvm-tests/run.sh
