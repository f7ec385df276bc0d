// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "RollGate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rollgate", targets: ["rollgate"]),
        .library(name: "Mongo", targets: ["Mongo"]),
        .library(name: "Seed", targets: ["Seed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries: module maps only.
        .systemLibrary(
            name: "CMongoc",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),

        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),

        // BSON values in pure Swift: what the rule model and the driver share, without linking libmongoc.
        .target(name: "BSONCore"),

        // The only module that calls libmongoc/libbson; converts BSONCore's values to and from bson_t and re-exports them.
        .target(
            name: "Mongo",
            dependencies: [
                "BSONCore",
                "CMongoc",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The versioned result model: findings, step results, runs. Every report is a view of it.
        .target(name: "Findings"),

        // The step catalog: rule model and the strict YAML loader for checks/.
        .target(name: "Catalog", dependencies: ["BSONCore", "Findings", .product(name: "Yams", package: "Yams"),
                                                .product(name: "Crypto", package: "swift-crypto")]),

        // Probes that turn rules into findings: schema, index, latency/explain, links, integrity, format, HTTP.
        .target(name: "Audit", dependencies: ["Catalog", "Mongo", "Findings"]),

        // Planner (dry run and impact), executor, re-apply, backups, history, lock and compliance evidence.
        .target(name: "Rollback", dependencies: ["Audit", "Catalog", "Mongo", "Findings", .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "Crypto", package: "swift-crypto")]),

        // JUnit XML (libxml2), Markdown and JSON: pure functions of a RunResult.
        .target(name: "Reports", dependencies: ["Findings", "CLibXML2"]),

        // `rollgate doctor`: what a server offers of what RollGate needs.
        .target(name: "Doctor", dependencies: ["Mongo", "Catalog", "Findings"]),

        // Deterministic generator of the EarlyBird collections.
        .target(name: "Seed", dependencies: ["Mongo", "Findings"]),

        // The command-line tool: thin commands over the library modules.
        .executableTarget(
            name: "rollgate",
            dependencies: [
                "Mongo", "Seed", "Doctor", "Catalog", "Audit", "Rollback", "Findings", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "MongoTests", dependencies: ["Mongo", "TestSupport"]),
        .testTarget(name: "SeedTests", dependencies: ["Seed", "Mongo", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Findings", "CLibXML2", "TestSupport"],
                    resources: [.copy("Expected")]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "Mongo", "Seed", "TestSupport"],
                    resources: [.copy("BrokenRules")]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Catalog", "Findings", "Mongo", "Seed", "Reports",
                                                       "TestSupport"]),
        .testTarget(name: "RollbackTests", dependencies: ["Rollback", "Catalog", "Findings", "Mongo", "Seed",
                                                          "TestSupport"]),
        .testTarget(name: "DoctorTests", dependencies: ["Doctor", "Catalog", "Findings", "Mongo", "TestSupport"]),
        .testTarget(name: "RollGateCLITests", dependencies: ["rollgate", "Catalog", "Mongo", "Rollback", "Seed", "Reports", "TestSupport"]),

        // Shared by the test targets: where the test server is, fresh database names, seeded randomness.
        .target(name: "TestSupport", dependencies: ["Mongo", "Seed"], path: "Tests/TestSupport"),
    ]
)
