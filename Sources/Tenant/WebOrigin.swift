import Foundation
import JSONCore

/// A web origin (`scheme://host[:port]`) as browsers send it in `Origin`, compared the way
/// browsers compare origins: scheme and host case-insensitively, the scheme's default port
/// implied, no path. Besides http and https, app schemes such as `capacitor://localhost` and
/// `ionic://localhost` (Auth0's Ionic guides list them as allowed origins) compare exactly. A pattern may put `*` in place of the first label of the host
/// (`https://*.example.com`, one subdomain level, as Auth0 allows in its origin lists).
public struct WebOrigin: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    /// Parses an origin or any URL (only its origin is kept); nil for `null`, opaque or
    /// malformed values.
    public init?(_ text: String) {
        guard text.count <= 2048, let c = URLComponents(string: text.trimmingCharacters(in: .whitespaces)),
            let scheme = c.scheme?.lowercased(), scheme.first?.isLetter == true,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }), scheme != "file",
            var host = c.host?.lowercased()
        else { return nil }
        let port = c.port ?? Self.defaultPort(scheme)
        guard (1...65535).contains(port) || (port == 0 && c.port == nil) else { return nil }
        if host.hasPrefix("[") {
            // An IPv6 literal: hex digits, colons and dots (an embedded IPv4 address) only.
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            // A name: labels of letters, digits and hyphens (`*` alone as a pattern's first
            // label), one trailing dot ignored, no empty label.
            if host.hasSuffix(".") { host.removeLast() }
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            guard !host.isEmpty, labels.allSatisfy({ !$0.isEmpty }),
                labels.enumerated().allSatisfy({ i, label in
                    (i == 0 && label == "*" && labels.count > 1) || label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
                })
            else { return nil }
        }
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// 443 for https, 80 for http, 0 (none) for app schemes.
    static func defaultPort(_ scheme: String) -> Int { scheme == "https" ? 443 : scheme == "http" ? 80 : 0 }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return scheme + "://" + h + (port == Self.defaultPort(scheme) ? "" : ":\(port)")
    }

    /// Whether `origin` is this origin, or matches it as a pattern with a wildcard label.
    public func matches(_ origin: WebOrigin) -> Bool {
        guard scheme == origin.scheme, port == origin.port else { return false }
        if host == origin.host { return true }
        guard host.hasPrefix("*.") else { return false }
        let suffix = host.dropFirst(1)  // ".example.com"
        guard origin.host.hasSuffix(suffix) else { return false }
        let label = origin.host.dropLast(suffix.count)
        return !label.isEmpty && !label.contains(".")
    }
}

extension Client {
    /// The origins whose browser JavaScript may call the Authentication API as a client (CORS):
    /// "Allowed Web Origins" (`web_origins`), "Allowed Origins (CORS)" (`allowed_origins`) and,
    /// as Auth0 does by default, the origins of the callback URLs. Parsed once, when the tenant
    /// loads (`Client.webOrigins`), not at each request.
    static func webOrigins(raw: [String: JSONValue], callbacks: [String]) -> [WebOrigin] {
        let listed = ["web_origins", "allowed_origins"].flatMap { (raw[$0]?.arrayValue ?? []).compactMap(\.stringValue) }
        return (listed + callbacks).compactMap(WebOrigin.init)
    }

    public func allowsOrigin(_ origin: WebOrigin) -> Bool {
        webOrigins.contains { $0.matches(origin) }
    }
}
