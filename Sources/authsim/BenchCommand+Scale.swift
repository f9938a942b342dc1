import Directory
import Foundation
import JSONCore
import LoginEngine
import ManagementAPI
import PostgresStore
import ScriptRuntime
import Synchronization

/// The figures of one bench run, for the closing table and `--json FILE`.
final class FigureTable: Sendable {
    private let rows = Mutex<[(name: String, value: Double, unit: String)]>([])

    func add(_ name: String, _ value: Double, _ unit: String) {
        rows.withLock { $0.append((name, value, unit)) }
    }

    var all: [(name: String, value: Double, unit: String)] { rows.withLock { $0 } }

    var json: JSONValue {
        .array(all.map { ["name": .string($0.name), "value": .number(($0.value * 1000).rounded() / 1000), "unit": .string($0.unit)] })
    }
}

let benchFigures = FigureTable()

extension Bench {
    /// The same rules run by Node's `vm` module, one fresh context per rule per login.
    func nodeComparison(profile: JSONValue, authsimRate: Double, scratch: String) {
        let runner = nodeRunner ?? "bench/node-vm-rules.js"
        guard FileManager.default.fileExists(atPath: runner) else {
            print("  Node vm comparison: \(runner) not found (run from the repository root or pass --node-runner)")
            return
        }
        let profileFile = scratch + "/node-profile.json"
        guard FileManager.default.createFile(atPath: profileFile, contents: Data(profile.serialized().utf8)) else {
            print("  Node vm comparison: cannot write \(profileFile)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["node", runner, tenant, profileFile, String(seconds)]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch {
            print("  Node vm comparison: node could not start (\(error))")
            return
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let r = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let nodeRate = r["executionsPerSecond"]?.doubleValue else {
            print("  Node vm comparison: the runner failed (exit \(p.terminationStatus))")
            return
        }
        print("  Node \(r["node"]?.stringValue ?? "") vm, fresh context per rule: \(fmt(nodeRate)) executions/s  → authsim (1 worker) is \(fmt(authsimRate / nodeRate))× faster")
        benchFigures.add("node vm: executions/s (fresh context per rule per login)", nodeRate, "/s")
        benchFigures.add("authsim / node vm ratio (1 worker)", authsimRate / nodeRate, "×")
    }

    /// Resident memory at rest, before and after many simulations (inline user, no signing).
    /// "At rest": the runtime idle for two seconds (it hands free allocator pages back to the
    /// system after a second of quiet). The baseline is taken after a warm-up at the same
    /// concurrency as the load, so that every worker's JIT tiers and heap have been filled once.
    func memoryFigures(request: SimulationRequest, scratch: String) async throws {
        guard memorySimulations > 0 else { return }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: cores))
        defer { runtime.shutdown() }
        let p = try await LoginPipeline.open(tenantDirectory: tenant, storePath: scratch + "/memory.sqlite", runtime: runtime)
        func load(_ total: Int) async throws {
            let tasks = cores * 2
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks { group.addTask { for _ in 0..<(total / tasks) { _ = try await p.simulate(request, signTokens: false) } } }
                try await group.waitForAll()
            }
        }
        func atRest() async -> Double {
            try? await Task.sleep(for: .seconds(2))
            return ScriptRuntime.residentMiB()
        }
        let started = await atRest()
        try await load(20_000)
        let warm = await atRest()
        // Four quarters, read under load at the end of each: growth that stops is warm-up.
        var readings: [Double] = []
        let start = Date()
        for _ in 0..<4 {
            try await load(memorySimulations / 4)
            readings.append(ScriptRuntime.residentMiB())
        }
        let rate = Double(memorySimulations) / Date().timeIntervalSince(start)
        let after = await atRest()
        print("")
        print("Resident memory (\(cores) workers, \(cores * 2) concurrent simulations): \(fmt(started)) MiB at rest after start, \(fmt(warm)) MiB at rest after a 20,000-simulation warm-up;")
        print("  under load after each quarter of \(memorySimulations) simulations: \(readings.map { fmt($0) }.joined(separator: " → ")) MiB (\(fmt(rate)) simulations/s);")
        print("  at rest after them: \(fmt(after)) MiB (\(fmt((after / warm - 1) * 100)) % against the warmed-up rest)")
        benchFigures.add("resident memory at rest after start", started, "MiB")
        benchFigures.add("resident memory at rest after warm-up", warm, "MiB")
        benchFigures.add("resident memory under load after \(memorySimulations) simulations", readings.last ?? 0, "MiB")
        benchFigures.add("resident memory at rest after \(memorySimulations) simulations", after, "MiB")
        benchFigures.add("resident memory growth at rest", (after / warm - 1) * 100, "%")
    }

    /// Management API PATCH/s and search latency with `count` users, on one store.
    func scaleFigures(store: any DataStore, label: String, count: Int) async throws {
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1))
        defer { runtime.shutdown() }
        let pipeline = try await LoginPipeline.open(tenantDirectory: tenant, store: store, runtime: runtime)
        let management = ManagementService(pipeline: pipeline)
        // Users auth0|bench0 … auth0|bench<count-1> (the store is new: only the tenant's seed users are there).
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    var i = t
                    while i < count {
                        var u = UserProfile(userId: "auth0|bench\(i)", connection: "Username-Password-Authentication", email: "user\(i)@bench.test")
                        u.appMetadata = ["plan": i % 10 == 0 ? "pro" : "free"]
                        u.applyDefaults()
                        try await store.insert(u)
                        i += 16
                    }
                }
            }
            try await group.waitForAll()
        }
        let inserted = Double(count) / max(Date().timeIntervalSince(start), 0.001)
        let total = try await store.count()
        let patches = try await throughput(concurrency: 8, seconds: min(seconds, 3)) {
            let id = "auth0|bench\(Int.random(in: 0..<count))"
            _ = try await management.patchUser(id, ["user_metadata": ["n": .number(Double(Int.random(in: 0..<1000)))]])
        }
        func latency(_ q: String) async throws -> Double {
            var times: [Double] = []
            for _ in 0..<5 {
                let t0 = Date()
                _ = try await management.listUsers(["q": q, "search_engine": "v3", "per_page": "50"])
                times.append(Date().timeIntervalSince(t0) * 1000)
            }
            return times.sorted()[2]
        }
        let exact = try await latency(#"email:"user\#(count / 2)@bench.test""#)
        let plan = try await latency(#"app_metadata.plan:"pro""#)
        print("")
        print("\(label), \(total) users:")
        print("  inserts:                          \(fmt(inserted)) users/s (16 in flight)")
        print("  Management API PATCH (metadata):  \(fmt(patches)) /s (8 in flight)")
        print("  search by exact email:            \(fmt(exact)) ms (median of 5)")
        print("  search app_metadata.plan:\"pro\":   \(fmt(plan)) ms (median of 5, first page of 50)")
        benchFigures.add("\(label): PATCH /users/{id} metadata, \(total) users", patches, "/s")
        benchFigures.add("\(label): search by email, \(total) users", exact, "ms")
        benchFigures.add("\(label): search app_metadata.plan, \(total) users", plan, "ms")
    }
}
