// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "authsim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "authsim", targets: ["authsim"]),
        .executable(name: "authsim-fuzz", targets: ["authsim-fuzz"]),
        .library(name: "LoginEngine", targets: ["LoginEngine"]),
        .library(name: "ScriptRuntime", targets: ["ScriptRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // System libraries
        .systemLibrary(
            name: "CJavaScriptCore",
            pkgConfig: "javascriptcoregtk-4.1",
            providers: [.apt(["libjavascriptcoregtk-4.1-dev"])]
        ),
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CCrypt",
            pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),

        // Foundation layers
        .target(name: "JSONCore"),
        .target(
            name: "ScriptRuntime", dependencies: ["CJavaScriptCore", "JSONCore"],
            // The runtime's own JavaScript, embedded in the binary.
            resources: [.embedInCode("JS/prelude.js"), .embedInCode("JS/webassembly.js")]
        ),
        .target(
            name: "Directory",
            dependencies: [
                "JSONCore", "CCrypt", "CArgon2",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "Tenant", dependencies: ["JSONCore", .product(name: "Yams", package: "Yams")]),
        // The shared store for several daemons (`--store postgres://…`).
        .target(
            name: "PostgresStore",
            dependencies: [
                "Directory", "JSONCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "NodeCompat",
            dependencies: [
                "ScriptRuntime", "JSONCore", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Node's built-ins and the bundled packages, as JavaScript files embedded in the binary.
            resources: [
                .embedInCode("JS/core.js"),
                .embedInCode("JS/errors.js"),
                .embedInCode("JS/buffer.js"),
                .embedInCode("JS/events.js"),
                .embedInCode("JS/util.js"),
                .embedInCode("JS/querystring.js"),
                .embedInCode("JS/punycode.js"),
                .embedInCode("JS/url.js"),
                .embedInCode("JS/cipher.js"),
                .embedInCode("JS/crypto.js"),
                .embedInCode("JS/assert.js"),
                .embedInCode("JS/uuid.js"),
                .embedInCode("JS/jsonwebtoken.js"),
                .embedInCode("JS/http_client.js"),
                .embedInCode("JS/request.js"),
                .embedInCode("JS/axios.js"),
                .embedInCode("JS/node_fetch.js"),
                .embedInCode("JS/stream.js"),
                .embedInCode("JS/string_decoder.js"),
                .embedInCode("JS/net.js"),
                .embedInCode("JS/tls.js"),
                .embedInCode("JS/dns.js"),
                .embedInCode("JS/path.js"),
                .embedInCode("JS/zlib.js"),
                .embedInCode("JS/http.js"),
                .embedInCode("JS/web.js"),
                .embedInCode("JS/drivers.js"),
            ]
        ),
        // Tokens: JWTs, signing keys, the claim filter and the issuer, opaque token values.
        .target(
            name: "Tokens",
            dependencies: [
                "Directory", "Tenant", "JSONCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LoginEngine",
            dependencies: [
                "Tokens", "ScriptRuntime", "NodeCompat", "Directory", "Tenant", "JSONCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The flow drivers, JavaScript files embedded in the binary.
            resources: [.embedInCode("JS/rules_flow.js"), .embedInCode("JS/actions_flow.js"), .embedInCode("JS/custom_database.js"), .embedInCode("JS/auth0_module.js"),
                .embedInCode("JS/hooks.js"),
            ]
        ),
        // The OIDC provider: /authorize and its pages, SSO sessions, codes and PKCE, the token
        // endpoint's grants, userinfo, revocation, logout.
        .target(
            name: "OIDCProvider",
            dependencies: ["LoginEngine", "Tokens", "Directory", "Tenant", "JSONCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The Management API (`/api/v2`): users, roles, rules, actions, clients, logs, jobs, tickets;
        // management tokens and console sessions.
        .target(name: "ManagementAPI", dependencies: ["LoginEngine", "Tokens", "Directory", "Tenant", "JSONCore"]),
        // Author tools over the engine: the script test runner, token inspection, the Rules → Actions
        // comparison, readable reports.
        .target(name: "AuthorTools", dependencies: ["LoginEngine", "Tokens", "NodeCompat", "ScriptRuntime", "Directory", "Tenant", "JSONCore"]),
        .target(
            name: "Server",
            dependencies: [
                "LoginEngine", "OIDCProvider", "ManagementAPI", "AuthorTools", "Tokens", "Tenant", "Directory", "JSONCore", "ScriptRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web console: plain files, embedded in the binary (no build step, no CDN).
            resources: [.embedInCode("Console/index.html"), .embedInCode("Console/console.js"), .embedInCode("Console/console.css"), .embedInCode("Console/debugger.js"), .embedInCode("OpenAPI/openapi.yaml")]
        ),
        // The in-process test harness: the application on a tenant, driven through its router.
        .target(
            name: "AuthsimTesting",
            dependencies: [
                "Server", "LoginEngine", "ManagementAPI", "ScriptRuntime", "JSONCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "authsim",
            dependencies: [
                "LoginEngine", "ManagementAPI", "AuthorTools", "Server", "Tokens", "NodeCompat", "ScriptRuntime", "PostgresStore", "JSONCore", "Directory", "Tenant",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Tests
        // The fuzz targets (user query, metadata merge, JWT, tenant loader) and their drivers:
        // a mutation driver for `make test`, libFuzzer under `make fuzz` (see the Makefile).
        .target(
            name: "Fuzzing",
            dependencies: ["Directory", "Tenant", "LoginEngine", "Tokens", "JSONCore", "ScriptRuntime", "Server", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(name: "authsim-fuzz", dependencies: ["Fuzzing"]),

        .testTarget(name: "ScriptRuntimeTests", dependencies: ["ScriptRuntime"]),
        .testTarget(name: "FuzzTests", dependencies: ["Fuzzing", "Tenant"]),
        .testTarget(name: "DirectoryTests", dependencies: ["Directory", "JSONCore"]),
        .testTarget(name: "StoreTests", dependencies: ["Directory", "PostgresStore", "JSONCore", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(
            name: "NodeCompatTests",
            dependencies: [
                "NodeCompat", "ScriptRuntime", "JSONCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "LoginEngineTests",
            dependencies: [
                "LoginEngine", "ManagementAPI", "AuthorTools", "Tokens", "ScriptRuntime", "Directory", "Tenant", "JSONCore",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // Read by path (Auth0's templates, run by AuthsimTests against real databases).
            exclude: ["Fixtures"]),
        .testTarget(name: "AuthsimTests", dependencies: ["AuthsimTesting", "Server", "Directory", "Tenant", .product(name: "Prometheus", package: "swift-prometheus"), "ScriptRuntime", "JSONCore", "LoginEngine", "AuthorTools", "Tokens", .product(name: "Crypto", package: "swift-crypto")]),
    ]
)
