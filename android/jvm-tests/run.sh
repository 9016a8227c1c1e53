#!/usr/bin/env bash
# JVM build and tests of the Tigr mobile SDK's Kotlin bindings and of the Android app's
# platform-neutral module (android/ui), from a fresh clone:
#
#   android/jvm-tests/run.sh
#
# 1. builds libtigr_mobile.so and tigr-server in release mode (TIGR_BUILD_PROFILE=dev: debug);
# 2. generates the Kotlin (and Swift) bindings with mobile-bindings/generate.sh;
# 3. runs `mvn -B -q test` here: compiles the generated Kotlin and android/ui (ViewModels and
#    Compose screens, with the Compose compiler plugin, against Compose desktop), then runs the
#    JUnit 5 suites (SDK, ViewModel flows and Compose UI tests against real tigr-server
#    processes on loopback through JNA, screenshots of every screen compared with the goldens
#    in src/test/goldens) and android/ui's own JUnit 4 tests. Maven downloads its plugins and
#    dependencies from Maven Central on the first run.
#
# TIGR_UPDATE_GOLDENS=1 rewrites the goldens from this run's screenshots (after a deliberate
# visual change; review the PNGs before committing them).
#
# Exits non-zero on any failure and prints Surefire's totals ("Tests run: N, Failures: 0, ...").
# Needs: Rust (cargo), Java 17+, Maven 3.8+.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

# TIGR_BUILD_PROFILE=dev reuses the debug build (scripts/test-all.sh builds once, in debug).
profile="${TIGR_BUILD_PROFILE:-release}"
case "$profile" in
    dev) profile_dir=debug ;;
    *) profile_dir="$profile" ;;
esac

cd "$root"
cargo build --profile "$profile" -p tigr-mobile -p tigr-server
TIGR_BUILD_PROFILE="$profile" mobile-bindings/generate.sh

cd "$here"
rm -rf target/surefire-reports target/screenshots
status=0
started=$SECONDS
# No Kotlin compiler daemon: it would outlive this script (and the CI run that called it).
mvn -B -q -Dstyle.color=never -Dkotlin.compiler.daemon=false test -Dcargo.target.dir="$target" -Dcargo.profile.dir="$profile_dir" \
    -Dtigr.updateGoldens="${TIGR_UPDATE_GOLDENS:-0}" || status=$?
echo
echo "Maven build and tests: $((SECONDS - started)) s"

# Surefire's own summary is hidden by -q: add up its XML reports.
shopt -s nullglob
reports=(target/surefire-reports/TEST-*.xml)
total() {
    cat "${reports[@]}" | grep -o '<testsuite [^>]*>' | grep -o " $1=\"[0-9]*\"" \
        | grep -o '[0-9]*' | awk '{ n += $1 } END { print n + 0 }'
}
echo   # Maven may leave an unterminated colour-reset sequence on the last line
if (( ${#reports[@]} > 0 )); then
    echo "Tests run: $(total tests), Failures: $(total failures), Errors: $(total errors), Skipped: $(total skipped)"
else
    echo "Tests run: 0 (no Surefire report: the build failed before the tests)"
    (( status != 0 )) || status=1
fi
exit "$status"
