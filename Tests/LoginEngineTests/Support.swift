import Directory
import Foundation
import JSONCore
import ScriptRuntime
import Tenant

@testable import LoginEngine
import Tokens

/// Shared across tests: one runtime (its workers must survive everything the tests throw at
/// them) and one signing key (RSA generation is slow in debug builds).
enum Shared {
    static let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 2, heapBudget: 64 << 20))
    static let keys: Task<SigningKeys, Error> = Task {
        let store = try SQLiteUserStore(path: temporaryPath("keys.sqlite"))
        return try await SigningKeys.load(from: store)
    }
}

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// The repository root, which is also the sample tenant.
let sampleTenantDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    fatalError("repository root not found")
}()

/// A throwaway tenant directory built from rule sources (in the given order).
struct TenantFixture {
    var rules: [(name: String, source: String)] = []
    var disabled: Set<String> = []
    var tenantJSON: String = #"{"authsim": {"domain": "test.authsim.local", "flow_timeout_seconds": 10}, "default_audience": "https://api.test"}"#
    var extraFiles: [String: String] = [:]

    func write() throws -> String {
        let dir = URL(fileURLWithPath: temporaryPath("tenant"))
        let fm = FileManager.default
        for sub in ["rules", "clients", "resource-servers", "rules-configs"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try tenantJSON.write(to: dir.appendingPathComponent("tenant.json"), atomically: true, encoding: .utf8)
        try #"{"name": "Test App", "client_id": "testclient", "client_secret": "s3cret", "client_metadata": {"k": "v"}}"#
            .write(to: dir.appendingPathComponent("clients/test.json"), atomically: true, encoding: .utf8)
        try #"{"name": "Test API", "identifier": "https://api.test", "scopes": [{"value": "read:things"}]}"#
            .write(to: dir.appendingPathComponent("resource-servers/api.json"), atomically: true, encoding: .utf8)
        try #"{"key": "GREETING", "value": "hello"}"#.write(to: dir.appendingPathComponent("rules-configs/greeting.json"), atomically: true, encoding: .utf8)
        for (i, rule) in rules.enumerated() {
            try rule.source.write(to: dir.appendingPathComponent("rules/\(rule.name).js"), atomically: true, encoding: .utf8)
            let meta = #"{"name": "\#(rule.name)", "order": \#(i + 1), "enabled": \#(!disabled.contains(rule.name))}"#
            try meta.write(to: dir.appendingPathComponent("rules/\(rule.name).json"), atomically: true, encoding: .utf8)
        }
        for (path, content) in extraFiles {
            let url = dir.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        return dir.path
    }
}

/// A pipeline over a fixture with a fresh store holding the given users (on the shared runtime,
/// unless the test needs one of its own).
/// `keys`: the signing keys (the suite's shared ones unless given; a test that counts what a key
/// set remembers needs its own, since tests run in parallel).
func makePipeline(_ fixture: TenantFixture, users: [UserProfile] = [TestUsers.ann()], runtime: ScriptRuntime = Shared.runtime, keys: SigningKeys? = nil) async throws -> LoginPipeline {
    try await makePipeline(directory: try fixture.write(), users: users, runtime: runtime, keys: keys)
}

func makePipeline(directory: String, users: [UserProfile] = [], runtime: ScriptRuntime = Shared.runtime, keys: SigningKeys? = nil) async throws -> LoginPipeline {
    let tenant = try TenantLoader.load(directory: directory)
    let store = try SQLiteUserStore(path: temporaryPath("store.sqlite"))
    try await LoginPipeline.seed(store: store, tenant: tenant)
    for u in users { try await store.insert(u) }
    let signing: SigningKeys
    if let keys { signing = keys } else { signing = try await Shared.keys.value }
    return LoginPipeline(tenant: tenant, store: store, runtime: runtime, keys: signing)
}

enum TestUsers {
    static func ann(verified: Bool = true, blocked: Bool = false) -> UserProfile {
        var u = UserProfile(userId: "auth0|ann0000000000000000000001", connection: "Username-Password-Authentication", email: "ann@test.local")
        u.emailVerified = verified
        u.blocked = blocked
        u.name = "Ann Test"
        u.appMetadata = ["roles": ["admin"], "plan": "pro"]
        u.userMetadata = ["lang": "en", "prefs": ["theme": "dark", "size": 2]]
        u.applyDefaults()
        return u
    }
}

func simulate(_ p: LoginPipeline, user: String = "ann@test.local", _ configure: (inout SimulationRequest) -> Void = { _ in }) async throws -> SimulationResult {
    var r = SimulationRequest(user: .stored(user))
    configure(&r)
    return try await p.simulate(r)
}

extension SimulationResult {
    var idClaims: [String: JSONValue] { idToken?.claims.objectValue ?? [:] }
    var accessClaims: [String: JSONValue] { accessToken?.claims.objectValue ?? [:] }
    func traceEntry(_ name: String) -> JSONValue? { trace.first { $0["name"]?.stringValue == name } }
}
