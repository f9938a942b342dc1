import Foundation
import JSONCore

/// Which custom claims set by rules/actions reach a token (tokens-and-oidc.md).
public struct ClaimFilter: Sendable {
    public enum Token: String, Sendable {
        case idToken = "id_token"
        case accessToken = "access_token"

        /// "ID token", "access token": for messages.
        public var displayName: String { self == .idToken ? "ID token" : "access token" }
    }

    public struct Dropped: Sendable, Equatable {
        public var token: Token
        public var claim: String
        public var reason: String
        /// The rule or action that set it, when known.
        public var setBy: String?

        public var json: JSONValue {
            ["token": .string(token.rawValue), "claim": .string(claim), "reason": .string(reason), "setBy": setBy.map(JSONValue.string) ?? .null]
        }
    }

    /// Always refused, whatever the namespace settings.
    public static let restrictedClaims: Set<String> = [
        "acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time", "authorization_details", "azp",
        "c_hash", "client_id", "cnf", "cty", "dest", "entitlements", "events", "exp", "groups", "gty", "htm", "htu", "iat",
        "internalService", "iss", "jcard", "jku", "jti", "jwe", "jwk", "kid", "may_act", "mky", "nbf", "nonce",
        "object_id", "org_id", "org_name", "orig", "origid", "permissions", "roles", "rph", "s_hash", "sid",
        "sip_callid", "sip_cseq_num", "sip_date", "sip_from_tag", "sip_via_branch", "sub", "sub_jwk", "toe", "txn",
        "typ", "uuid", "vot", "vtm", "x5t#S256",
    ]

    /// On tokens a simulation minted (any user, no credentials): the daemon's `/userinfo` and
    /// Management API refuse them unless the tenant sets `authsim.accept_simulated_tokens`.
    public static let simulatedMarker = "urn:authsim:simulated"

    /// Custom claims may not exceed this many bytes (names + values) per token.
    public static let maximumCustomClaimBytes = 100 * 1024

    public var legacyNamespacedClaims: Bool
    public var managementAudience: String

    public init(legacyNamespacedClaims: Bool, managementAudience: String) {
        self.legacyNamespacedClaims = legacyNamespacedClaims
        self.managementAudience = managementAudience
    }

    /// A claim name is namespaced when it is a URL (http/https) or a URN.
    static func isNamespaced(_ claim: String) -> Bool {
        isNamespaced(lowered: lowercased(claim))
    }

    static func isNamespaced(lowered l: String) -> Bool {
        l.hasPrefix("http://") || l.hasPrefix("https://") || l.hasPrefix("urn:")
    }

    /// `claim.lowercased()`, without the allocation when the name is ASCII and already lower case
    /// (nearly every claim name).
    static func lowercased(_ claim: String) -> String {
        claim.utf8.contains(where: { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) }) ? claim.lowercased() : claim
    }

    /// The Auth0-owned namespaces no tenant may use.
    static func isAuth0Namespace(_ claim: String) -> Bool {
        isAuth0Namespace(lowered: lowercased(claim))
    }

    /// Read as bytes (every claim of every token passes here): a URL's delimiters and these
    /// hosts are ASCII. A name with other characters is also read as characters, as this filter
    /// read every name before (a delimiter followed by a combining mark is then another
    /// character, and what follows it part of the host): refused if either reading finds an
    /// Auth0 host.
    static func isAuth0Namespace(lowered l: String) -> Bool {
        let b = l.utf8
        if b.starts(with: "urn:auth0".utf8) { return true }
        if b.contains(where: { $0 >= 0x80 }) && isAuth0NamespaceByCharacters(lowered: l) { return true }
        let scheme: Int
        if b.starts(with: "https://".utf8) { scheme = 8 } else if b.starts(with: "http://".utf8) { scheme = 7 } else { return false }
        // authority = up to the first '/', '?' or '#'; host = after any userinfo, before any port.
        var authority = b.dropFirst(scheme).prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[authority.index(after: at)...] }
        let host = authority.prefix { $0 != UInt8(ascii: ":") }
        return auth0Hosts.contains { name in
            host.elementsEqual(name) || (host.count > name.count && host.dropLast(name.count).last == UInt8(ascii: ".") && host.suffix(name.count).elementsEqual(name))
        }
    }

    static let auth0Hosts: [[UInt8]] = ["auth0.com", "webtask.io", "webtask.run"].map { Array($0.utf8) }

    static func isAuth0NamespaceByCharacters(lowered l: String) -> Bool {
        if l.hasPrefix("urn:auth0") { return true }
        let rest: Substring
        if l.hasPrefix("https://") { rest = l.dropFirst(8) } else if l.hasPrefix("http://") { rest = l.dropFirst(7) } else { return false }
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host = authority.prefix { $0 != ":" }
        return ["auth0.com", "webtask.io", "webtask.run"].contains { host == $0 || host.hasSuffix("." + $0) }
    }

    /// Why `claim` would be dropped from `token` for `audience`, or nil when it is kept.
    public func dropReason(claim: String, token: Token, audience: String?) -> String? {
        if ClaimFilter.restrictedClaims.contains(claim) { return "'\(claim)' is a restricted claim that rules and actions cannot set" }
        let lowered = ClaimFilter.lowercased(claim)
        if ClaimFilter.isAuth0Namespace(lowered: lowered) { return "claims may not use the Auth0 namespaces (auth0.com, webtask.io, webtask.run, urn:auth0)" }
        if lowered.hasPrefix("urn:authsim") { return "the urn:authsim namespace is authsim's own (it marks simulated tokens)" }
        if ClaimFilter.isNamespaced(lowered: lowered) { return nil }
        if legacyNamespacedClaims { return "non-namespaced claims are dropped while the tenant has legacy_namespaced_claims enabled" }
        if token == .accessToken, audience == managementAudience {
            return "non-namespaced claims are not allowed on access tokens for the Management API"
        }
        return nil
    }

    /// Splits custom claims into kept and dropped; `sources` names who set each claim.
    public func filter(_ claims: [String: JSONValue], token: Token, audience: String?, sources: [String: String]) -> (kept: [String: JSONValue], dropped: [Dropped]) {
        var kept: [String: JSONValue] = [:]
        var dropped: [Dropped] = []
        for name in claims.keys.sorted() {
            let value = claims[name]!
            if let reason = dropReason(claim: name, token: token, audience: audience) {
                dropped.append(Dropped(token: token, claim: name, reason: reason, setBy: sources[name]))
            } else if case .null = value {
                // `undefined` in the script: no claim.
                continue
            } else {
                kept[name] = value
            }
        }
        return (kept, dropped)
    }

    /// Byte size of custom claims as they would be serialized.
    public static func size(of claims: [String: JSONValue]) -> Int {
        JSONValue.object(claims).serialized().utf8.count
    }
}
