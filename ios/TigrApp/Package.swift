// swift-tools-version: 5.9
//
// All of the Tigr iOS app's code, as a Swift package. The Xcode app target (ios/project.yml,
// generated with XcodeGen) is only the bundle: @main, Info.plist, entitlements, icons.
//
// Before building, ios/build-sdk.sh must have produced:
//   Frameworks/TigrSDKFFI.xcframework   the Rust library (static, device + simulator) with the
//                                       TigrSDKFFI clang module (header + module map)
//   Sources/TigrSDK/TigrSDK.swift       the uniffi-generated Swift bindings (module TigrSDK)
// Neither is committed (see ios/.gitignore).
import PackageDescription

let package = Package(
    name: "TigrApp",
    defaultLocalization: "fr",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "TigrAppFeature", targets: ["TigrAppFeature"]),
    ],
    targets: [
        .binaryTarget(
            name: "TigrSDKFFI",
            path: "Frameworks/TigrSDKFFI.xcframework"
        ),
        .target(
            name: "TigrSDK",
            dependencies: ["TigrSDKFFI"],
            path: "Sources/TigrSDK"
        ),
        .target(
            name: "TigrAppFeature",
            dependencies: ["TigrSDK"],
            path: "Sources/TigrAppFeature",
            resources: [.process("Resources")]
        ),
    ]
)
