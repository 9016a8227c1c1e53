#!/usr/bin/env bash
# Consistency of the server's database under crashes and races (docs/security.md, "Crash
# consistency and races"). Prints the seed and the figures; exits non-zero when a rule breaks.
#
#   scripts/consistency-test.sh crash        # tigr-bench runs logins, offline codes, wrong PINs
#                                            # and enrollments against a tigr-server process
#                                            # killed with SIGKILL 20 times at random moments and
#                                            # restarted; after each restart the database is
#                                            # checked against every success a client was told of
#   scripts/consistency-test.sh race         # 100,000 valid answers (signatures and offline
#                                            # codes) racing over 1,000 challenges: one success
#                                            # each, every other answer 409 challenge_used
#   scripts/consistency-test.sh crash --ci   # the short runs of scripts/test-all.sh: 3 kills;
#   scripts/consistency-test.sh race --ci    # 5,000 answers over 100 challenges
#   scripts/consistency-test.sh crash --seed 7   # any option of `tigr-consistency crash --help`
#
# Release build; TIGR_BUILD_PROFILE=dev uses the debug build (scripts/test-all.sh builds once,
# in debug).
set -euo pipefail
cd "$(dirname "$0")/.."

test="${1:-}"
shift || true
case "$test" in
    crash) ci=(--kills 3 --min-wait 1 --max-wait 3 --tail 1 --concurrency 8 --accounts 20
               --invitations 200) ;;
    race) ci=(--challenges 100 --answers 50 --concurrency 32) ;;
    *) echo "usage: $0 crash|race [--ci | options of tigr-consistency]" >&2; exit 2 ;;
esac
args=()
if [[ "${1:-}" == "--ci" ]]; then
    shift
    args=("${ci[@]}")
fi

profile="${TIGR_BUILD_PROFILE:-release}"
case "$profile" in
    dev) profile_dir=debug ;;
    *) profile_dir="$profile" ;;
esac
cargo build --profile "$profile" --locked -p tigr-server -p tigr-tests \
    --bin tigr-server --bin tigr-bench --bin tigr-consistency
exec "${CARGO_TARGET_DIR:-target}/$profile_dir/tigr-consistency" "$test" "${args[@]}" "$@"
