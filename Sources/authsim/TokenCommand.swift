import ArgumentParser
import AsyncHTTPClient
import AuthorTools
import Directory
import Foundation
import JSONCore
import LoginEngine
import NIOCore
import Tokens


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
            let keys = try await loadJWKS()
            let path = store ?? TenantOptions.defaultStorePath
            // When the token came from this store's daemon, its stored trace says which script set each claim.
            let traces = FileManager.default.fileExists(atPath: path) ? try? SQLiteUserStore(path: path) : nil
            let inspection: TokenInspection
            do { inspection = try await TokenInspection.inspect(jwt, jwks: keys, traces: traces) } catch { throw CommandFailure(error) }
            printJSON(json ? inspection.json.serialized(pretty: true) : inspection.report())
        }

        func loadJWKS() async throws -> (document: JSONValue, source: String)? {
            if let jwks {
                let text: String
                if jwks.hasPrefix("http://") || jwks.hasPrefix("https://") {
                    guard URL(string: jwks) != nil else { throw CommandFailure("bad JWKS URL \(jwks)") }
                    do {
                        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: jwks), timeout: .seconds(30))
                        guard response.status.code < 300 else { throw CommandFailure("HTTP \(response.status.code)") }
                        text = String(buffer: try await response.body.collect(upTo: 16 << 20))
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
