import AsyncHTTPClient
import Foundation
import JSONCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Which hosts scripts may call. Entries are host names (`api.example.com`), wildcard
/// subdomains (`*.example.com`) or `*` for any host; matching ignores case and port.
public struct OutboundPolicy: Sendable {
    public var allowedHosts: [String]

    public init(allowedHosts: [String]) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    public static let loopbackOnly = OutboundPolicy(allowedHosts: ["localhost", "127.0.0.1", "::1"])

    public func allows(host: String) -> Bool {
        // NUL and control characters: the resolver reads a name only up to a NUL, so
        // "127.0.0.2\0.example.com" must not pass as a subdomain of an allowed "*.example.com".
        guard !host.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return false }
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        for entry in allowedHosts {
            if entry == "*" || entry == h { return true }
            if entry.hasPrefix("*."), h.hasSuffix(entry.dropFirst(1)) { return true }
        }
        return false
    }
}

/// What an embedder's job environment offers the HTTP clients: the allow-list, and canned
/// responses (a test runner answers calls itself instead of reaching the network).
public protocol OutboundEnvironment: Sendable {
    var outboundPolicy: OutboundPolicy { get }
    /// When not nil, calls are answered from this list (by method and URL) and nothing reaches
    /// the network; a call with no canned answer fails with `ENOCANNEDRESPONSE`.
    var cannedResponses: [CannedResponse]? { get }
}

extension OutboundEnvironment {
    public var cannedResponses: [CannedResponse]? { nil }
}

/// A response a test gives for an outbound call (`method` `*` matches any method; a `url`
/// ending in `*` matches by prefix).
public struct CannedResponse: Sendable {
    public var method: String
    public var url: String
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public init(method: String, url: String, status: Int = 200, headers: [String: String] = [:], body: String = "") {
        self.method = method.uppercased()
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
    }

    func matches(method m: String, url u: String) -> Bool {
        (method == "*" || method == m.uppercased()) && (url.hasSuffix("*") ? u.hasPrefix(String(url.dropLast())) : u == url)
    }
}

/// The one HTTP client behind `request`, `axios`, `node-fetch` and `fetch`. Runs on the
/// async-http-client event loops, off the script worker; redirects are followed here so that
/// every hop is checked against the allow-list.
enum OutboundHTTP {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10))))

    static let maxBody = 10 << 20

    struct Failure: Error {
        var code: String
        var message: String
    }

    /// `{method, url, headers: [[name, value]], body: base64|null, timeoutMs, followRedirects, maxRedirects}`
    /// → `{status, statusText, headers: [[name, value]], body: base64, url, redirects}` or `{error: {code, message}}`.
    @Sendable static func send(_ json: String, _ environment: (any Sendable)?) async throws -> String {
        // Without a job environment that states a policy, nothing is allowed.
        let env = environment as? any OutboundEnvironment
        let policy = env?.outboundPolicy ?? OutboundPolicy(allowedHosts: [])
        if let canned = env?.cannedResponses {
            let args = (try? JSONValue.parse(json)) ?? .null
            let method = (args["method"]?.stringValue ?? "GET").uppercased()
            let url = args["url"]?.stringValue ?? ""
            guard let r = canned.first(where: { $0.matches(method: method, url: url) }) else {
                return JSONValue.object(["error": ["code": "ENOCANNEDRESPONSE", "message": .string("No canned response for \(method) \(url) in this test")]]).serialized()
            }
            return JSONValue.object([
                "status": .number(Double(r.status)), "statusText": .string(HTTPResponseStatus(statusCode: r.status).reasonPhrase),
                "headers": .array(r.headers.sorted { $0.key < $1.key }.map { [.string($0.key.lowercased()), .string($0.value)] }),
                "body": .string(Data(r.body.utf8).base64EncodedString()), "url": .string(url), "redirects": 0,
            ]).serialized()
        }
        do {
            return try await perform(JSONValue.parse(json), policy: policy)
        } catch let f as Failure {
            return JSONValue.object(["error": ["code": .string(f.code), "message": .string(f.message)]]).serialized()
        }
    }

    static func perform(_ args: JSONValue, policy: OutboundPolicy) async throws(Failure) -> String {
        var method = (args["method"]?.stringValue ?? "GET").uppercased()
        var urlString = args["url"]?.stringValue ?? ""
        var headers = (args["headers"]?.arrayValue ?? []).compactMap { pair -> (String, String)? in
            guard let n = pair.arrayValue?.first?.stringValue, let v = pair.arrayValue?.dropFirst().first?.stringValue else { return nil }
            return (n, v)
        }
        var body: Data? = args["body"]?.stringValue.flatMap { Data(base64Encoded: $0) }
        let follow = args["followRedirects"]?.boolValue ?? true
        let maxRedirects = min(max(args["maxRedirects"]?.intValue ?? 10, 0), 20)
        // A script's number: NaN, Infinity or 1e300 must not reach Int64(_:); a call never
        // outlives the longest flow deadline anyway.
        let timeoutMs = args["timeoutMs"]?.doubleValue ?? 20_000
        let clamped = timeoutMs.isNaN ? 1 : min(max(timeoutMs, 1), 600_000)
        let deadline = NIODeadline.now() + .milliseconds(Int64(clamped))
        var redirects = 0

        while true {
            guard let url = URL(string: urlString), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty
            else { throw Failure(code: "ERR_INVALID_URL", message: "Invalid URL: \(urlString)") }
            guard policy.allows(host: host) else {
                throw Failure(
                    code: "EHOSTNOTALLOWED",
                    message: "Outbound HTTP to host '\(host)' is not allowed: add it to authsim.allowed_outbound_hosts in tenant.json (allowed now: \(policy.allowedHosts.joined(separator: ", ")))")
            }
            var request = HTTPClientRequest(url: urlString)
            request.method = HTTPMethod(rawValue: method)
            for (n, v) in headers { request.headers.add(name: n, value: v) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: HTTPClientResponse
            let collected: ByteBuffer
            let port = url.port ?? (scheme == "https" ? 443 : 80)
            // The client's connection pool retries a refused connection until its connect
            // timeout (10 s for a local service that is down); one plain connect first reports
            // it at once. Skipped for a host and port that answered recently.
            try await Reachability.check(host: host, port: port, deadline: deadline)
            do {
                let timeout = deadline - .now()
                guard timeout > .zero else { throw HTTPClientError.deadlineExceeded }
                response = try await client.execute(request, deadline: deadline)
                collected = try await response.body.collect(upTo: maxBody)
            } catch {
                throw failure(error, url: urlString, host: host, port: url.port ?? (scheme == "https" ? 443 : 80))
            }
            let status = Int(response.status.code)
            if follow, [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "location"),
                let next = URL(string: location, relativeTo: url)?.absoluteURL.absoluteString
            {
                redirects += 1
                if redirects > maxRedirects {
                    throw Failure(code: "ERR_TOO_MANY_REDIRECTS", message: "Maximum number of redirects (\(maxRedirects)) exceeded at \(urlString)")
                }
                if status == 303 || ((status == 301 || status == 302) && method == "POST") {
                    method = method == "HEAD" ? "HEAD" : "GET"
                    body = nil
                    headers.removeAll { ["content-type", "content-length"].contains($0.0.lowercased()) }
                }
                // Credentials do not follow a redirect to another host or from https to http.
                if let nextURL = URL(string: next) {
                    let sameOrigin = nextURL.host?.lowercased() == host.lowercased() && nextURL.port == url.port && nextURL.scheme?.lowercased() == scheme
                    if !sameOrigin {
                        headers.removeAll { ["authorization", "cookie", "proxy-authorization"].contains($0.0.lowercased()) }
                    }
                }
                urlString = next
                continue
            }
            return JSONValue.object([
                "status": .number(Double(status)),
                "statusText": .string(response.status.reasonPhrase),
                "headers": .array(response.headers.map { [.string($0.name.lowercased()), .string($0.value)] }),
                "body": .string(Data(collected.readableBytesView).base64EncodedString()),
                "url": .string(urlString),
                "redirects": .number(Double(redirects)),
            ]).serialized()
        }
    }

    static func failure(_ error: any Error, url: String, host: String, port: Int) -> Failure {
        if error is NIOTooManyBytesError {
            return Failure(code: "ERR_BODY_TOO_LARGE", message: "Response from \(url) is larger than \(maxBody >> 20) MiB")
        }
        if let e = error as? HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout].contains(e) {
                return Failure(code: "ETIMEDOUT", message: "Request to \(url) timed out")
            }
            if e == .cancelled { return Failure(code: "ECONNABORTED", message: "Request to \(url) was cancelled") }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return Failure(code: "ECONNREFUSED", message: "connect ECONNREFUSED \(host):\(port)")
        }
        if text.lowercased().contains("resolve") || text.contains("NXDOMAIN") || text.contains("lookup") {
            return Failure(code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND \(host)")
        }
        if error is CancellationError {
            return Failure(code: "ECONNABORTED", message: "Request to \(url) was cancelled")
        }
        return Failure(code: "ECONNRESET", message: "Request to \(url) failed: \(text)")
    }
}

/// Whether a host's port accepts connections, remembered for a while per host and port.
enum Reachability {
    static let memory: Double = 30
    static let recent = Mutex<[String: Double]>([:])

    static func check(host: String, port: Int, deadline: NIODeadline) async throws(OutboundHTTP.Failure) {
        let key = host.lowercased() + ":" + String(port)
        let now = Date().timeIntervalSince1970
        if let seen = recent.withLock({ $0[key] }), now - seen < memory { return }
        let remaining = deadline - .now()
        guard remaining > .zero else { throw OutboundHTTP.Failure(code: "ETIMEDOUT", message: "connect ETIMEDOUT \(host):\(port)") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(min(remaining, .seconds(10)))
                .connect(host: bare, port: port).get()
            channel.close(promise: nil)
            recent.withLock { r in
                if r.count > 1024 { r.removeAll() }
                r[key] = now
            }
        } catch {
            let f = NetSockets.describe(error, host: bare, port: port)
            throw OutboundHTTP.Failure(code: f.code, message: f.message)
        }
    }
}

extension OutboundPolicy {
    /// A form POST the daemon itself sends (back-channel logout tokens): the same client and
    /// allow-list as the scripts' calls, no redirects followed, at most 10 s. The answer's status,
    /// or nil when there was none (refused, unreachable, not allowed).
    public func postForm(_ url: String, body: String) async -> Int? {
        let args: JSONValue = [
            "method": "POST", "url": .string(url), "headers": [["content-type", "application/x-www-form-urlencoded"]],
            "body": .string(Data(body.utf8).base64EncodedString()), "timeoutMs": 10_000, "followRedirects": false,
        ]
        guard let text = try? await OutboundHTTP.perform(args, policy: self), let out = try? JSONValue.parse(text) else { return nil }
        return out["status"]?.intValue
    }
}
