// swift-tools-version: 6.1
import PackageDescription

/// Every example is an executable target under `Examples/<name>/`.
let exampleNames = [
    "hello-process",
    "pool-async",
    "pool-results",
    "shared-array",
    "manager-dict",
    "distributed-pool",
    "crash-recovery",
]

/// The pkg-config name of libzmq where the build needs it to find the library.
#if os(Linux)
let zeroMQPkgConfig: String? = nil
#else
let zeroMQPkgConfig: String? = "libzmq"
#endif
/// Files beside an example's source that its README shows, not part of its target.
let exampleMedia = ["distributed-pool": ["dashboard.png"]]

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Troupe",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Troupe", targets: ["Troupe"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "TroupeWire", targets: ["TroupeWire"]),
        .library(name: "TroupeTesting", targets: ["TroupeTesting"]),
        .library(name: "TroupeDashboard", targets: ["TroupeDashboard"]),
        .library(name: "TroupeServiceLifecycle", targets: ["TroupeServiceLifecycle"]),
        .executable(name: "troupe", targets: ["TroupeCLI"]),
        .executable(name: "troupe-bench", targets: ["TroupeBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        // Already brought in by Hummingbird; named here because Troupe itself makes spans.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
    ],
    targets: [
        // C layers: libzmq's header, and the few system calls Swift cannot make directly.
        // On Linux <zmq.h> is in /usr/include and the module map links zmq: no pkg-config,
        // whose Debian file adds flags SwiftPM refuses (a warning on every build). Homebrew's
        // prefix is not searched by default: there, pkg-config finds it.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: zeroMQPkgConfig,
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(name: "CTroupeShims"),

        // Swift modules, arrows pointing one way: Troupe -> ZeroMQ, TroupeWire.
        // The platform's C library (Glibc, Musl or Darwin), imported in one place.
        .target(name: "TroupePlatform", swiftSettings: swiftSettings),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "TroupePlatform"], swiftSettings: swiftSettings),
        .target(name: "TroupeWire", swiftSettings: swiftSettings),
        .target(
            name: "Troupe",
            dependencies: [
                "TroupePlatform",
                "ZeroMQ",
                "TroupeWire",
                "CTroupeShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // A pool as a swift-service-lifecycle Service, only for who imports it.
        .target(
            name: "TroupeServiceLifecycle",
            dependencies: ["Troupe", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: swiftSettings
        ),
        // Troupe inside one process, for tests: in-memory transports and in-process workers.
        .target(
            name: "TroupeTesting",
            dependencies: ["TroupePlatform", "Troupe", "TroupeWire", "CTroupeShims", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The live dashboard and the Prometheus endpoint: Hummingbird, only for who imports it.
        .target(
            name: "TroupeDashboard",
            dependencies: [
                "TroupePlatform",
                "Troupe",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TroupeCLI",
            dependencies: [
                "TroupePlatform",
                "Troupe",
                "TroupeWire",
                "CTroupeShims",
                "TroupeDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/troupe",
            swiftSettings: swiftSettings
        ),

        // The benchmark program `make bench` runs beside the Python and libzmq peers.
        .executableTarget(
            name: "TroupeBenchmarks",
            dependencies: ["TroupePlatform", "Troupe"],
            path: "Benchmarks/TroupeBenchmarks",
            swiftSettings: swiftSettings
        ),

        // Test support: worker actors shared by the test bundle and the worker executable it
        // spawns (a test bundle cannot re-execute itself as a worker).
        .target(
            name: "TroupeTestSupport",
            dependencies: ["TroupePlatform", "Troupe", .product(name: "InMemoryTracing", package: "swift-distributed-tracing")],
            path: "Tests/TroupeTestSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TroupeTestWorker",
            dependencies: ["TroupePlatform", "Troupe", "TroupeTestSupport", .product(name: "InMemoryTracing", package: "swift-distributed-tracing")],
            path: "Tests/TroupeTestWorker",
            swiftSettings: swiftSettings
        ),
        // The Swift code of the DocC articles, one file per article, compiled by `swift build`
        // (it is not meant to be run); DocSnippetTests checks that every ```swift block of
        // every article is in its file.
        .executableTarget(
            name: "DocSnippets",
            dependencies: [
                "Troupe",
                "TroupeTesting",
                "TroupeDashboard",
                "TroupeServiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/DocSnippets",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DocSnippetTests", swiftSettings: swiftSettings),
        .testTarget(name: "ZeroMQTests", dependencies: ["TroupePlatform", "ZeroMQ"], swiftSettings: swiftSettings),
        .testTarget(name: "TroupeWireTests", dependencies: ["TroupeWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TroupeTests",
            dependencies: ["TroupePlatform", "Troupe", "TroupeTesting", "TroupeTestSupport", "TroupeTestWorker", "CTroupeShims", "ZeroMQ", "TroupeWire",
                           "TroupeServiceLifecycle", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: [
                "TroupePlatform",
                "Troupe",
                "TroupeDashboard",
                "TroupeTestSupport",
                "TroupeTestWorker",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TroupePlatform",
                .product(name: "Subprocess", package: "swift-subprocess"),
                "TroupeCLI",
                "TroupeTestSupport",
            ] + exampleNames.map { .target(name: $0) },
            swiftSettings: swiftSettings
        ),
    ] + exampleNames.map { name in
        .executableTarget(
            name: name,
            dependencies: ["Troupe"],
            path: "Examples/\(name)",
            exclude: ["README.md"] + (exampleMedia[name] ?? []),
            swiftSettings: swiftSettings
        )
    }
)
