import Directory
import Foundation
import HTTPTypes
import Hummingbird
import LoginEngine
import Tenant

/// Answers only requests addressed to a name the daemon serves. A web page the developer
/// visits can point its own DNS name at 127.0.0.1 (DNS rebinding) and then read the daemon's
/// answers as same-origin; its requests still carry that name in `Host`, so they are refused
/// here (421) before any route runs. A request without `Host` gets 400, as HTTP/1.1 requires.
///
/// Served names: loopback names (`localhost`, `*.localhost`, `127.0.0.1`, `::1`), the host of
/// the issuer and the tenant's domain (read at each request, so a reloaded tenant's issuer
/// counts), and `extra` (`serve --allowed-host`; `*` turns the check off).
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext
    let pipeline: LoginPipeline
    let extra: Set<String>

    init(pipeline: LoginPipeline, extra: [String]) {
        self.pipeline = pipeline
        self.extra = Set(extra.map { Self.hostname($0) })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if extra.contains("*") { return try await next(request, context) }
        // Every Host given must name this daemon.
        let given = Self.hosts(of: request)
        guard !given.isEmpty, !given.contains(where: \.isEmpty) else {
            return HTTPJSON.error(.badRequest, "The request has no Host header", errorCode: "invalid_host")
        }
        for authority in given {
            let name = Self.hostname(authority)
            guard Self.isLoopback(name) || extra.contains(name) || servedNames().contains(name) else {
                return HTTPJSON.error(
                    .misdirectedRequest,
                    "Host '\(String(authority.prefix(200)))' is not served here: this daemon answers to its issuer's host, loopback names and the names given with `authsim serve --allowed-host`",
                    errorCode: "invalid_host")
            }
        }
        return try await next(request, context)
    }

    static let hostField = HTTPField.Name("Host")!

    /// The names a request is addressed to: HTTP/1's first Host header is the request's
    /// authority; any further one stays a field.
    static func hosts(of request: Request) -> [String] {
        (request.head.authority.map { [$0] } ?? []) + request.headers[values: hostField]
    }

    /// The issuer's host and the tenant's domain, as the live tenant has them.
    func servedNames() -> Set<String> {
        let settings = pipeline.tenant.settings
        var names: Set<String> = [Self.hostname(settings.domain)]
        if let host = URLComponents(string: settings.effectiveIssuer)?.host { names.insert(Self.hostname(host)) }
        return names
    }

    /// The host part of a `Host` value or a name, lower-cased, without port, brackets or a
    /// trailing dot: `[::1]:8080` → `::1`, `LocalHost.:80` → `localhost`.
    /// A value that is neither (a bracketed IPv6 literal, or a name with a numeric port) is
    /// returned whole, lower-cased: it names nothing served.
    static func hostname(_ authority: String) -> String {
        var s = Substring(authority.lowercased())
        if s.hasPrefix("[") {
            if let close = s.firstIndex(of: "]") {
                let inner = s[s.index(after: s.startIndex)..<close], rest = s[s.index(after: close)...]
                let literal = inner.filter { $0 == ":" }.count >= 2 && !inner.hasSuffix(".") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
                let port = rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isASCIIDigitCharacter))
                if literal && port { return String(inner) }
            }
            return String(s)
        }
        while s.hasSuffix(".") { s = s.dropLast() }
        if let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon, s[s.index(after: colon)...].allSatisfy(\.isASCIIDigitCharacter) {
            s = s[..<colon]
        }
        while s.hasSuffix(".") { s = s.dropLast() }
        return String(s)
    }

    /// Names that resolve only to this machine (RFC 6761 `localhost`), and its loopback addresses.
    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Every HTML page the daemon serves refuses to be framed by another site (the login and
/// sign-up forms could otherwise be overlaid by a page that clicks through them).
struct FramingMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            // The one framable page is web_message's response, which names its app's origin.
            let csp = response.headers[.contentSecurityPolicy]
            if csp == nil || csp!.contains("frame-ancestors 'none'") { response.headers[.init("X-Frame-Options")!] = "DENY" }
            if csp == nil { response.headers[.contentSecurityPolicy] = "frame-ancestors 'none'" }
        }
        return response
    }
}

/// Behind a reverse proxy listed in `tenant.json` `authsim.trusted_proxies` (addresses or CIDR
/// ranges; none by default), the client's address is the right-most `X-Forwarded-For` entry
/// that is not itself a trusted proxy. From any other peer the header is ignored, so a client
/// cannot choose the IP that rules, attack protection and the logs see.
struct ForwardedForMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext
    let pipeline: LoginPipeline
    static let field = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let trusted = pipeline.tenant.settings.trustedProxies
        guard !trusted.isEmpty, let peer = context.remoteAddress?.ipAddress, Self.isTrusted(peer, trusted) else {
            return try await next(request, context)
        }
        var context = context
        context.forwardedClientIP = Self.client(forwardedFor: request.headers[values: Self.field], trusted: trusted)
        return try await next(request, context)
    }

    static func isTrusted(_ ip: String, _ trusted: [String]) -> Bool {
        trusted.contains { IPRange($0)?.contains(ip) ?? false }
    }

    /// The right-most address of the header's list that is not a trusted proxy; nil when the
    /// list has none (the peer's own address is used then).
    static func client(forwardedFor values: [String], trusted: [String]) -> String? {
        let hops = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard IPRange(hop) != nil, !hop.contains("/") else { return nil }
            if !isTrusted(hop, trusted) { return hop }
        }
        return nil
    }
}

/// While the store cannot keep writes (its file removed, replaced or made read-only, the disk
/// full), requests that could write get 503 `store_unavailable` with the reason, and a request
/// during which a write failed so is answered 503 whatever its handler made of it: nothing is
/// acknowledged that the store did not keep. `/healthz` reports the problem (503); the
/// discovery documents, keys, metrics and the OpenAPI document stay served.
struct StoreHealthMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext
    let pipeline: LoginPipeline

    static let exempt: [String] = ["/healthz", "/metrics", "/.well-known/", "/api/authsim/openapi.yaml", "/console"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.exempt.contains(where: { path == $0 || path.hasPrefix($0) }) { return try await next(request, context) }
        let store = pipeline.store
        // A full disk may have room again (only a write finds out); a removed, replaced or
        // read-only file does not come back.
        if let lasting = store.storageProblem(), lasting.lasting { return Self.unavailable(lasting) }
        let failuresBefore = store.failedWrites().count
        let response = try await next(request, context)
        if let lasting = store.storageProblem(), lasting.lasting { return Self.unavailable(lasting) }
        let after = store.failedWrites()
        if after.count > failuresBefore, let failure = after.last { return Self.unavailable(failure) }
        return response
    }

    static func unavailable(_ problem: StorageProblem) -> Response {
        var response = HTTPJSON.error(.serviceUnavailable, "The store cannot keep writes: \(problem)", errorCode: "store_unavailable")
        response.headers[.retryAfter] = "30"
        return response
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// Logs each request's method and path (as Hummingbird's `LogRequestsMiddleware` does, at
/// info), with a debug route's token left out (`/debug/…/sessions`): in debug mode the token is
/// the secret part of the URL, and logs travel further than the terminal that printed it.
struct LogRequestsRedactingMiddleware: RouterMiddleware {
    typealias Context = AuthsimRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.info("Request", metadata: ["hb.request.method": .string(request.method.rawValue), "hb.request.path": .string(Self.redacted(request.uri.path))])
        return try await next(request, context)
    }

    static func redacted(_ path: String) -> String {
        guard path.hasPrefix("/debug/") else { return path }
        let rest = path.dropFirst("/debug/".count)
        return "/debug/…" + (rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "")
    }
}
