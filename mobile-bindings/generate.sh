#!/usr/bin/env bash
# Generates the Kotlin and Swift bindings of the Tigr mobile SDK (tigr-mobile).
#
#   mobile-bindings/generate.sh            # from anywhere in the repository
#
# 1. builds the host library in release mode (target/release/libtigr_mobile.so, or .dylib on
#    macOS): uniffi reads the exported API from the metadata embedded in it;
# 2. runs the repository's own uniffi-bindgen (crate tigr-uniffi-bindgen, pinned to the same
#    uniffi version as tigr-mobile; slow to build the first time) with mobile-bindings/uniffi.toml;
# 3. writes target/bindings/kotlin/fr/tigr/sdk/tigr_mobile.kt and target/bindings/swift/
#    (TigrSDK Swift source, TigrSDKFFI.h header and TigrSDKFFI.modulemap).
#
# The generated code is not committed: run this after every change of the Rust API. The Android
# and iOS libraries themselves are cross-compiled separately (see mobile-bindings/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
# TIGR_BUILD_PROFILE=dev reuses the debug build (the test suite builds once, in debug).
profile="${TIGR_BUILD_PROFILE:-release}"
case "$profile" in
    dev) profile_dir=debug ;;
    *) profile_dir="$profile" ;;
esac

case "$(uname -s)" in
    Darwin) lib="$target/$profile_dir/libtigr_mobile.dylib" ;;
    *) lib="$target/$profile_dir/libtigr_mobile.so" ;;
esac

cargo build --profile "$profile" -p tigr-mobile

for language in kotlin swift; do
    out="$target/bindings/$language"
    rm -rf "$out"
    mkdir -p "$out"
    cargo run --quiet --profile "$profile" -p tigr-uniffi-bindgen --bin uniffi-bindgen -- \
        generate --library "$lib" --language "$language" \
        --config mobile-bindings/uniffi.toml --no-format --out-dir "$out"
done

echo "Kotlin bindings: $target/bindings/kotlin"
echo "Swift bindings:  $target/bindings/swift"
