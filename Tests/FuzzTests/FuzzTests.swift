import Foundation
import Fuzzing
import Tenant
import Testing

/// The fuzz targets, run briefly (a fixed number of inputs from a fixed seed, so a failure
/// repeats) in `make test`; `make fuzz` runs them under libFuzzer for longer.
@Suite struct FuzzTests {
    static let runs: [FuzzTarget: Int] = [.query: 40_000, .merge: 40_000, .jwt: 20_000, .tenant: 3_000, .address: 40_000, .protection: 20_000, .request: 40_000, .wasm: 40_000]

    @Test(arguments: FuzzTarget.allCases)
    func propertiesHoldForEveryInput(_ target: FuzzTarget) {
        var fuzzer = MutationFuzzer(target: target, seed: 20261122)
        let report = fuzzer.run(runs: Self.runs[target] ?? 1000, stopAtFirstFailure: false)
        print("fuzz \(target.rawValue): \(report.runs) inputs, \(report.accepted) accepted, \(report.refused) refused, corpus \(report.corpus)")
        #expect(report.failures.isEmpty, "\(report.failures.prefix(3).map(\.description))")
        #expect(report.runs == (Self.runs[target] ?? 1000) + FuzzSeeds.seeds(target).count)
        // Both sides of each parser are reached: some inputs load, some are refused.
        #expect(report.accepted > 0 && report.refused > 0)
    }

    /// The host boundary: every host function scripts reach, with hostile values, in real logins
    /// on a real pipeline. The first 90 logins go through every function with every value.
    @Test func hostFunctionsSurviveHostileValues() async throws {
        let runs = 120
        let report = try await HostFuzz.run(runs: runs, seed: 20261203)
        print("fuzz host: \(report.runs) logins, \(report.calls) host calls, \(report.completed) completed, \(report.limited) stopped by a script limit")
        #expect(report.failures.isEmpty, "\(report.failures.prefix(3))")
        #expect(report.runs == runs && report.calls == runs * 16)
        #expect(report.completed > runs / 2, "most logins run every call to its end (\(report.completed) of \(runs))")
    }

    /// The checks themselves catch what they are meant to: a broken input is reported, with
    /// the input, not swallowed.
    @Test func aViolatedPropertyIsReportedWithItsInput() throws {
        // The merge target's round trip holds for the JSON parser; a patch that is not an
        // object is refused by MetadataMerge (never applied).
        #expect(try FuzzTarget.merge.run(Array("{\"a\":1}\n[1]".utf8)) == .accepted)
        #expect(try FuzzTarget.jwt.run(Array("a.b".utf8)) == .refused)
        let failure = FuzzFailure(target: .jwt, input: [1, 2, 3], message: "m")
        #expect(failure.description.contains("AQID"))
    }

    /// Found while writing the tenant target: an action's `code` could name a file outside the
    /// tenant directory (`../../x.js`), which the loader then read.
    @Test func actionCodeOutsideTheTenantIsRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("authsim-escape-\(UUID().uuidString)").path
        let tenant = root + "/tenant"
        try FileManager.default.createDirectory(atPath: tenant + "/actions", withIntermediateDirectories: true)
        try "exports.onExecutePostLogin = async () => {};".write(toFile: root + "/outside.js", atomically: true, encoding: .utf8)
        try #"{"name": "a", "code": "../../outside.js"}"#.write(toFile: tenant + "/actions/a.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try TenantLoader.load(directory: tenant)
        } throws: { error in
            (error as? TenantError)?.message == "the action's code file ../../outside.js is outside the tenant directory"
        }
    }
}
