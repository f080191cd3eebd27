// swift-tools-version:6.2
import PackageDescription

/// Mesh Validator: signed receipts, a deterministic integer inference kernel, sumcheck/GKR
/// proofs, a karma state machine and an append-only Merkle ledger, wired into one service.
///
/// Modules point one way: C shims → pure cores (Receipts, Ledger, Kernel, Proofs, Karma)
/// → Validator (I/O and service wiring) → the `mesh-validator` executable.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "mesh-validator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mesh-validator", targets: ["mesh-validator"]),
        .executable(name: "mesh-bench", targets: ["mesh-bench"]),
        .executable(name: "mesh-fuzz", targets: ["mesh-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: System-library shims (each imported by exactly one Swift module)
        .systemLibrary(
            name: "CSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "CGMP", providers: [.apt(["libgmp-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // SIMD micro-kernels (AVX-512 VNNI / AVX2) with runtime dispatch.
        .target(name: "CKernelSIMD", cSettings: [.unsafeFlags(["-O3"])]),
        // Benchmark reference only: a plain C Montgomery multiplication beside GMP's (mesh-bench groth16).
        .target(name: "CMontgomeryReference", cSettings: [.unsafeFlags(["-O3"])]),

        // MARK: Pure cores
        .target(
            name: "Receipts",
            dependencies: ["CSecp256k1", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "Ledger",
            dependencies: [
                "Receipts",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "Kernel",
            dependencies: [
                "COpenBLAS", "CKernelSIMD", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "Models",
            dependencies: ["Kernel", "Receipts", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "Proofs",
            dependencies: ["Kernel", "Groth16", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // BN254 on libgmp, Groth16 setup, proving and snarkjs verification (specs/groth16.md). Optimized in debug
        // builds too: unoptimized pairings make the mutation tests ~10× slower.
        .target(
            name: "Groth16",
            dependencies: ["CGMP", "Receipts", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict + [.unsafeFlags(["-O"])]),
        .target(
            name: "Karma",
            dependencies: ["Receipts", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // MARK: Service wiring and executables
        .target(
            name: "Validator",
            dependencies: [
                "Receipts", "Ledger", "Kernel", "Models", "Proofs", "Groth16", "Karma",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web console's files, compiled into the binary (specs/console.md).
            resources: [.embedInCode("Console/Assets")],
            swiftSettings: strict),
        .executableTarget(
            name: "mesh-validator",
            dependencies: [
                "Receipts", "Ledger", "Kernel", "Models", "Proofs", "Groth16", "Karma", "Validator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "mesh-bench",
            dependencies: [
                "Receipts", "Ledger", "Kernel", "Models", "Proofs", "Groth16", "Karma", "Validator",
                "CSecp256k1",
                "COpenBLAS",
                "CMontgomeryReference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),

        // MARK: Fuzzing (README "Fuzzing"): one harness function per parser; `mesh-fuzz` replays
        // files, or runs libFuzzer when built by scripts/fuzz.sh (-sanitize=fuzzer -DMESH_FUZZ).
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzHarness",
            dependencies: ["Receipts", "Ledger", "Kernel", "Models", "Proofs", "Groth16", "Karma"],
            swiftSettings: strict),
        .executableTarget(
            name: "mesh-fuzz", dependencies: ["FuzzHarness", "CLibFuzzer"], swiftSettings: strict),
        .testTarget(
            name: "FuzzHarnessTests", dependencies: ["FuzzHarness", "TestSupport"], swiftSettings: strict),

        // MARK: Tests (folders mirror Sources/)
        .target(
            name: "TestSupport",
            dependencies: ["Ledger", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "ReceiptsTests", dependencies: ["Receipts", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "Receipts", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "KernelTests",
            dependencies: ["Kernel", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "Kernel", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ProofsTests", dependencies: ["Proofs", "Kernel", "Models", "Groth16", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "Groth16Tests", dependencies: ["Groth16", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KarmaTests", dependencies: ["Karma", "Receipts", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ValidatorTests",
            dependencies: [
                "Validator", "Receipts", "Karma", "Kernel", "Ledger", "Proofs", "Groth16", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "CLITests", dependencies: ["TestSupport", "Kernel", "Proofs", "Groth16"],
            swiftSettings: strict),
    ]
)
