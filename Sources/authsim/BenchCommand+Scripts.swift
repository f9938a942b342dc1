import Foundation
import JSONCore
import NodeCompat
import ScriptRuntime

/// The bench's jobs may call the in-process daemon on loopback.
struct BenchEnvironment: OutboundEnvironment {
    let outboundPolicy = OutboundPolicy.loopbackOnly
}

extension Bench {
    /// What the Node environment costs: a fresh context with and without it, a warm job using
    /// built-in modules, and an outbound HTTP call from a script to the in-process daemon.
    func scriptEnvironmentFigures(base: String) async throws {
        let node = NodeModules(configuration: NodeModules.Configuration())
        let entry = ScriptFile(name: "bench.js", source: """
            rt.entries.plain = function () { return 'ok'; };
            rt.entries.modules = function () {
              var crypto = rt.require('crypto'), url = rt.require('url');
              var u = new url.URL('https://example.com/a?b=' + Math.random());
              return crypto.createHash('sha256').update(u.href).digest('hex') + Buffer.from(u.search).toString('base64');
            };
            rt.entries.outbound = async function (base) { var r = await rt.require('axios').get(base + '/healthz'); return String(r.status); };
            rt.entries.restored = function () { return JSON.stringify(rt.snapshotSize()); };
            """, kind: .runtime)
        // Fresh contexts: one worker keeping a single context, so each new program id builds one.
        let runtime = ScriptRuntime(configuration: RuntimeConfiguration(workers: 1, contextsPerWorker: 1))
        defer { runtime.shutdown() }
        func coldContexts(_ files: [ScriptFile], functions: NodeModules?) async throws -> Double {
            let n = 40
            let start = Date()
            for i in 0..<n {
                let program = ScriptProgram(
                    id: "bench-cold-\(i)-\(UUID().uuidString)", files: files, syncFunctions: functions?.syncFunctions ?? [:],
                    asyncFunctions: functions?.asyncFunctions ?? [:])
                _ = try await runtime.run(ScriptJob(program: program, entry: "plain", input: ""))
            }
            return Date().timeIntervalSince(start) * 1000 / Double(n)
        }
        let bare = try await coldContexts([entry], functions: nil)
        let withNode = try await coldContexts(node.files + [entry], functions: node)

        let program = ScriptProgram(id: "bench-node", files: node.files + [entry], syncFunctions: node.syncFunctions, asyncFunctions: node.asyncFunctions)
        func rate(_ fn: String, input: String, concurrency: Int) async throws -> Double {
            for _ in 0..<200 { _ = try await runtime.run(ScriptJob(program: program, entry: fn, input: input, environment: BenchEnvironment())) }
            return try await throughput(concurrency: concurrency, seconds: min(seconds, 3)) {
                _ = try await runtime.run(ScriptJob(program: program, entry: fn, input: input, environment: BenchEnvironment()))
            }
        }
        let modules = try await rate("modules", input: "", concurrency: 2)
        let restored = try JSONValue.parse(try await runtime.run(ScriptJob(program: program, entry: "restored", input: "")).output)
        let outbound = try await rate("outbound", input: base, concurrency: 8)
        print("")
        print("Script environment (1 worker):")
        print("  fresh context, bare:                 \(fmt(bare)) ms")
        print("  fresh context with the Node globals: \(fmt(withNode)) ms  (modules compile lazily on first require)")
        print("  job using crypto, URL and Buffer:    \(fmt(modules)) jobs/s  (\(fmt(1e6 / modules)) µs each)")
        print("  put back after every job (with those modules loaded): \(restored["objects"]?.intValue ?? 0) objects, \(restored["keys"]?.intValue ?? 0) properties")
        print("  axios GET to the daemon, 8 in flight: \(fmt(outbound)) calls/s  (\(fmt(1e6 / outbound)) µs each)")
    }
}

/// A runtime's worker time per job between two readings of its statistics, in µs.
struct JobCost {
    var jobs: Int
    var worker: Double
    var putBack: Double

    init(_ before: RuntimeStatistics, _ after: RuntimeStatistics) {
        jobs = after.jobs - before.jobs
        let n = Double(max(jobs, 1))
        worker = (after.workerSeconds - before.workerSeconds) / n * 1e6
        putBack = (after.putBackSeconds - before.putBackSeconds) / n * 1e6
    }
}
