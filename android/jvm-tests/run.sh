#!/usr/bin/env bash
# JVM proof of the Tigr mobile SDK's Kotlin bindings, from a fresh clone:
#
#   android/jvm-tests/run.sh
#
# 1. builds libtigr_mobile.so and tigr-server in release mode (TIGR_BUILD_PROFILE=dev: debug);
# 2. generates the Kotlin (and Swift) bindings with mobile-bindings/generate.sh;
# 3. copies the Android app's sources that use no Android API (every .kt file of
#    android/app/src/main that imports nothing from android.*, Compose, CameraX, Navigation,
#    Activity or AndroidX Core: the ViewModels, the SDK client, formatting helpers) into
#    target/app-sources;
# 4. runs `mvn -B -q test` here: the generated Kotlin, those app sources, the JUnit 5 suites and
#    the app's own JUnit 4 ViewModel tests, loading the library through JNA and starting real
#    tigr-server processes on loopback. Maven downloads its plugins and dependencies from Maven
#    Central on the first run.
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
rm -rf target/surefire-reports target/app-sources
app_main="$here/../app/src/main/kotlin"
android_api='^import (android\.|androidx\.(compose|camera|navigation|activity|core)\.)'
while IFS= read -r -d '' source; do
    if ! grep -Eq "$android_api" "$source"; then
        mkdir -p "target/app-sources/$(dirname "${source#"$app_main"/}")"
        cp "$source" "target/app-sources/${source#"$app_main"/}"
    fi
done < <(find "$app_main" -name '*.kt' -print0)
echo "App sources compiled on the JVM: $(find target/app-sources -name '*.kt' | wc -l)"
status=0
mvn -B -q -Dstyle.color=never test -Dcargo.target.dir="$target" -Dcargo.profile.dir="$profile_dir" || status=$?

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
