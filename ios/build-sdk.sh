#!/usr/bin/env bash
# Builds the Tigr SDK for iOS and puts it where ios/TigrApp/Package.swift expects it.
#
#   ios/build-sdk.sh            # on a Mac with Xcode and rustup
#
# 1. mobile-bindings/generate.sh: host build + uniffi-bindgen -> target/bindings/swift/
#    (TigrSDK.swift, TigrSDKFFI.h, TigrSDKFFI.modulemap);
# 2. cargo builds libtigr_mobile.a for the device (aarch64-apple-ios) and the simulators
#    (aarch64-apple-ios-sim + x86_64-apple-ios, merged with lipo), profile release-mobile;
# 3. xcodebuild -create-xcframework -> ios/TigrApp/Frameworks/TigrSDKFFI.xcframework, whose
#    headers folder holds TigrSDKFFI.h and the module map (renamed module.modulemap);
# 4. copies TigrSDK.swift into ios/TigrApp/Sources/TigrSDK/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
profile="${TIGR_PROFILE:-release-mobile}"
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"

rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios >/dev/null

bash mobile-bindings/generate.sh

for triple in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
    cargo build -p tigr-mobile --profile "$profile" --target "$triple"
done

work="$root/ios/build"
rm -rf "$work"
mkdir -p "$work/headers" "$work/sim"
cp "$target/bindings/swift/TigrSDKFFI.h" "$work/headers/"
cp "$target/bindings/swift/TigrSDKFFI.modulemap" "$work/headers/module.modulemap"
lipo -create \
    "$target/aarch64-apple-ios-sim/$profile/libtigr_mobile.a" \
    "$target/x86_64-apple-ios/$profile/libtigr_mobile.a" \
    -output "$work/sim/libtigr_mobile.a"

out="$root/ios/TigrApp/Frameworks/TigrSDKFFI.xcframework"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
xcodebuild -create-xcframework \
    -library "$target/aarch64-apple-ios/$profile/libtigr_mobile.a" -headers "$work/headers" \
    -library "$work/sim/libtigr_mobile.a" -headers "$work/headers" \
    -output "$out"

cp "$target/bindings/swift/TigrSDK.swift" "$root/ios/TigrApp/Sources/TigrSDK/TigrSDK.swift"

echo "iOS SDK ready: $out"
ls -l "$target/aarch64-apple-ios/$profile/libtigr_mobile.a"
