import Foundation
import JSONCore
import Testing

@testable import NodeCompat

/// Hostile numbers at the crypto host functions: each gives an error the script can catch,
/// never a trap in a Swift integer conversion (which would take the whole daemon down) and
/// never a computation without bound.
@Suite(.timeLimit(.minutes(1))) struct HostCryptoLimitsTests {
    @Test func pbkdf2SyncRefusesHostileIterationsAndKeyLengthsWithAJavaScriptError() async throws {
        let out = try await runNode(
            """
            const crypto = require('crypto');
            const out = {};
            const cases = { nan: [NaN, 32], infinity: [Infinity, 32], huge: [1e300, 32], negative: [-1, 32], zero: [0, 32], twoTo63: [2 ** 63, 32],
              overLimit: [1000001, 32], fraction: [1.5, 32], keyNaN: [1, NaN], keyHuge: [1, 1e300], keyNegative: [1, -1], keyOverLimit: [1, 1025] };
            for (const name of Object.keys(cases)) {
              try { crypto.pbkdf2Sync('pw', 'salt', cases[name][0], cases[name][1], 'sha256'); out[name] = 'no error'; }
              catch (e) { out[name] = String(e && e.message); }
            }
            out.callback = await new Promise(function (resolve) {
              crypto.pbkdf2('pw', 'salt', NaN, 32, 'sha256', function (err) { resolve(err ? err.message : 'no error'); });
            });
            out.valid = crypto.pbkdf2Sync('password', 'salt', 1, 20, 'sha1').toString('hex');
            return out;
            """)
        for name in ["nan", "infinity", "huge", "negative", "zero", "twoTo63", "overLimit", "fraction", "callback"] {
            #expect(out[name]?.stringValue?.contains(#"The value of "iterations" is out of range. It must be >= 1 && <= 1000000"#) == true, "\(name): \(out[name] ?? .null)")
        }
        for name in ["keyNaN", "keyHuge", "keyNegative", "keyOverLimit"] {
            #expect(out[name]?.stringValue?.contains(#"The value of "keylen" is out of range. It must be >= 0 && <= 1024"#) == true, "\(name): \(out[name] ?? .null)")
        }
        // RFC 6070's first vector: the limits leave real use alone.
        #expect(out["valid"] == "0c60c80f961f0e71f3a9b524af6012062fe037a6")
    }

    @Test func hostFunctionsGivenHostileJSONNumbersThrow() throws {
        let salt = Data("salt".utf8).base64EncodedString()
        func pbkdf2(iterations: String) -> String {
            #"{"password": "\#(salt)", "salt": "\#(salt)", "iterations": \#(iterations), "keylen": 32, "digest": "sha256"}"#
        }
        for iterations in ["null", "1e300", "-1", "9223372036854775808", "-9.3e18", "0.5"] {
            #expect(throws: CryptoFailure.self, "iterations \(iterations)") { try HostCrypto.pbkdf2(pbkdf2(iterations: iterations), nil) }
        }
        // Beyond a Double, the JSON parser itself refuses the number.
        #expect(throws: (any Error).self) { try HostCrypto.pbkdf2(pbkdf2(iterations: "1e400"), nil) }
        // A remaining time the script made up cannot turn off the deadline check or trap.
        for remaining in ["1e300", "-1e300", "null"] {
            let json = #"{"password": "\#(salt)", "salt": "\#(salt)", "iterations": 1, "keylen": 32, "digest": "sha256", "remainingMs": \#(remaining)}"#
            #expect(try HostCrypto.pbkdf2(json, nil).count > 2, "remainingMs \(remaining)")
        }
        for size in ["null", "1e300", "-1", "9223372036854775808", "65537", "1.5"] {
            #expect(throws: CryptoFailure.self, "size \(size)") { try HostCrypto.random(#"{"size": \#(size)}"#, nil) }
        }
        #expect(try HostCrypto.random(#"{"size": 16}"#, nil).count == 26)  // 16 bytes: 24 base64 characters, quoted
    }
}
