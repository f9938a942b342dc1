import ArgumentParser
import Directory
import Foundation
import JSONCore
import Pipeline

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect tokens.", subcommands: [Decode.self])

    struct Decode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a JWT: header, claims with readable times, and signature verification.",
            discussion: "Without --jwks the signature is checked against the keys in the store (the daemon's JWKS).")

        @Argument(help: "The JWT.")
        var jwt: String

        @Option(name: .long, help: "A JWKS file or http(s) URL to verify against.")
        var jwks: String?

        @Option(name: .long, help: "The SQLite store whose keys verify the token (when --jwks is not given).")
        var store: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            let decoded: JWT.Decoded
            do { decoded = try JWT.decode(jwt) } catch { throw CommandFailure(error) }
            let keys = try await loadJWKS()
            let sources = await explain(decoded)
            let verification: String
            var verified = false
            switch keys.map({ JWT.verifyRS256(decoded, jwks: $0.document) }) {
            case .success(let kid)?:
                verification = "valid (RS256, kid \(kid), from \(keys!.source))"
                verified = true
            case .failure(let e)?:
                verification = "INVALID: \(e) (keys from \(keys!.source))"
            case nil:
                verification = "not checked (no JWKS: pass --jwks or --store)"
            }
            if json {
                var o: [String: JSONValue] = ["header": decoded.header, "claims": decoded.claims, "signatureValid": .bool(verified), "verification": .string(verification)]
                if let sources { o["setBy"] = .object(sources.mapValues(JSONValue.string)) }
                printJSON(JSONValue.object(o).serialized(pretty: true))
                return
            }
            var lines = ["Header"]
            lines += ClaimsFormatter.lines(decoded.header)
            lines.append("Claims")
            lines += ClaimsFormatter.lines(decoded.claims, setBy: sources ?? [:])
            if sources != nil { lines.append("(set by: from the stored trace \(decoded.claims["jti"]?.stringValue ?? ""))") }
            if let exp = decoded.claims["exp"]?.doubleValue {
                lines.append(exp < Timestamp.now() ? "Expired at \(Timestamp.format(exp))" : "Expires at \(Timestamp.format(exp))")
            }
            lines.append("Signature: \(verification)")
            printJSON(lines.joined(separator: "\n"))
        }

        /// When the token came from this store's daemon, which rule set each custom claim.
        func explain(_ token: JWT.Decoded) async -> [String: String]? {
            let path = store ?? TenantOptions.defaultStorePath
            guard let jti = token.claims["jti"]?.stringValue, FileManager.default.fileExists(atPath: path),
                let s = try? SQLiteUserStore(path: path), let text = try? await s.trace(id: jti),
                let trace = try? JSONValue.parse(text)
            else { return nil }
            // An access token has `scope`/`azp`; an ID token does not.
            let kind = token.claims["azp"] != nil && token.claims["scope"] != nil ? "accessToken" : "idToken"
            return (trace["claimSources"]?[kind]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }

        func loadJWKS() async throws -> (document: JSONValue, source: String)? {
            if let jwks {
                let text: String
                if jwks.hasPrefix("http://") || jwks.hasPrefix("https://") {
                    guard let url = URL(string: jwks) else { throw CommandFailure("bad JWKS URL \(jwks)") }
                    do {
                        let (data, _) = try await URLSession.shared.data(from: url)
                        text = String(decoding: data, as: UTF8.self)
                    } catch { throw CommandFailure("cannot fetch \(jwks): \(error)") }
                } else {
                    guard let data = FileManager.default.contents(atPath: jwks) else { throw CommandFailure("cannot read \(jwks)") }
                    text = String(decoding: data, as: UTF8.self)
                }
                do { return (try JSONValue.parse(text), jwks) } catch { throw CommandFailure("\(jwks): invalid JSON: \(error)") }
            }
            let path = store ?? TenantOptions.defaultStorePath
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            do {
                let s = try SQLiteUserStore(path: path)
                return (try await SigningKeys.load(from: s).jwks, path)
            } catch { throw CommandFailure(error) }
        }
    }
}
