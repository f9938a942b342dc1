import AuthorTools
import Foundation
import JSONCore
import Testing
import Tokens

@testable import LoginEngine

/// Numbers that arrive as input (claims, stored results) are read with range checks: `NaN`,
/// `Infinity`, `1e300` and negative durations get an answer, never an integer trap.
@Suite struct NumericInputTests {
    @Test func clampedIntegersNeverTrap() {
        #expect(Int(clamping: Double.nan) == 0)
        #expect(Int(clamping: Double.infinity) == .max)
        #expect(Int(clamping: -Double.infinity) == .min)
        #expect(Int(clamping: 1e300) == .max)
        #expect(Int(clamping: -1e300) == .min)
        #expect(Int(clamping: 3.9) == 3)
        #expect(Int(clamping: -3.9) == -3)
        #expect(Int(clamping: 9.223372036854775807e18) == .max)
    }

    @Test func timestampsOutsideYears0000To9999AreNamedNotTrappedOn() {
        #expect(Timestamp.format(1e300) == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.format(-1e300) == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp.format(.nan) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.formatIfRepresentable(1e300) == nil)
        #expect(Timestamp.formatIfRepresentable(.infinity) == nil)
        #expect(Timestamp.formatIfRepresentable(0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.formatIfRepresentable(1_767_225_600) == "2026-01-01T00:00:00.000Z")
    }

    /// What `authsim token decode` prints for a token with absurd times (it aborted on `exp: 1e300`).
    @Test func aTokenWithAbsurdTimesIsDecodedAndExplained() async throws {
        func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }
        for claims in [#"{"sub": "x", "exp": 1e300, "iat": -1e300, "nbf": 1.7e308, "auth_time": 1e19}"#, #"{"sub": "x", "exp": -9.3e18}"#] {
            let jwt = segment(#"{"alg": "RS256", "typ": "JWT"}"#) + "." + segment(claims) + "." + segment("sig")
            let inspection = try await TokenInspection.inspect(jwt, jwks: nil, traces: nil)
            let report = inspection.report()
            #expect(report.contains("not a time of years 0000–9999"), "\(report)")
            #expect(report.contains("not a date of years 0000–9999"))
            #expect(inspection.json["expired"] != nil)
        }
    }

    @Test func aStoredResultWithAbsurdDurationsIsReported() async throws {
        let p = try await makePipeline(TenantFixture(rules: [("one", "function (u, c, cb) { cb(null, u, c); }"), ("two", "function (u, c, cb) { cb(null, u, c); }")]))
        var result = try await simulate(p)
        #expect(result.trace.count == 2)
        let cases: [[Double]] = [[-5, 1e300], [.nan, -.infinity], [0, 0], [1e308, 1e308]]
        for durations in cases {
            for i in result.trace.indices {
                guard case .object(var o) = result.trace[i] else { continue }
                o["durationMs"] = .number(durations[i])
                result.trace[i] = .object(o)
            }
            result.durationMs = durations[0]
            let report = result.report()
            #expect(report.contains("1. one"), "\(durations)")
            #expect(report.contains("2. two"))
        }
    }
}
