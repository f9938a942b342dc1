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
                    guard let url = URL(string: jwks) else { throw CommandFailure("bad JWKS URL \(jwks)") }
                    let status: UInt
                    do { (status, text) = try await Self.fetch(url) } catch { throw CommandFailure("cannot fetch \(jwks): \(error)") }
                    guard status < 300 else { throw CommandFailure("cannot fetch \(jwks): HTTP \(status)") }
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

extension Token.Decode {
    /// The status and body at `url`, through the proxy the environment names (`https_proxy` or
    /// `http_proxy`, unless `no_proxy` lists the host), as curl reads them.
    static func fetch(_ url: URL) async throws -> (status: UInt, body: String) {
        var configuration = HTTPClient.Configuration()
        configuration.proxy = proxy(for: url, environment: ProcessInfo.processInfo.environment)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
            try await client.shutdown()
            return (response.status.code, body)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func proxy(for url: URL, environment: [String: String]) -> HTTPClient.Configuration.Proxy? {
        func value(_ name: String) -> String? { (environment[name] ?? environment[name.uppercased()]).flatMap { $0.isEmpty ? nil : $0 } }
        guard let host = url.host?.lowercased() else { return nil }
        for entry in (value("no_proxy") ?? "").split(separator: ",") {
            let name = entry.trimmingCharacters(in: .whitespaces).lowercased()
            let domain = name.hasPrefix(".") ? String(name.dropFirst()) : name
            if name == "*" || (!domain.isEmpty && (host == domain || host.hasSuffix("." + domain))) { return nil }
        }
        guard let setting = value(url.scheme == "https" ? "https_proxy" : "http_proxy"),
            let proxy = URL(string: setting.contains("://") ? setting : "http://" + setting), let proxyHost = proxy.host
        else { return nil }
        if let user = proxy.user {
            return .server(host: proxyHost, port: proxy.port ?? 80, authorization: .basic(username: user.removingPercentEncoding ?? user, password: (proxy.password ?? "").removingPercentEncoding ?? ""))
        }
        return .server(host: proxyHost, port: proxy.port ?? 80)
    }
}
