import JSONCore

/// An application's refresh-token policy, where Auth0 keeps it: the client's `refresh_token`
/// object. Missing fields take Auth0's defaults for a new application (non-rotating,
/// non-expiring; 30 days absolute and 15 days idle when expiring).
public struct RefreshTokenPolicy: Sendable, Equatable {
    public var rotating = false
    public var expiring = false
    /// Seconds a rotated token may still be exchanged (Auth0's "reuse interval").
    public var leeway: Double = 0
    /// Absolute lifetime in seconds; nil: infinite (`infinite_token_lifetime`).
    public var tokenLifetime: Double? = 2_592_000
    /// Idle lifetime in seconds; nil: infinite (`infinite_idle_token_lifetime`).
    public var idleTokenLifetime: Double? = 1_296_000

    public init() {}

    /// Auth0's limits: at most a year absolute (31,557,600 s), idle no longer than absolute,
    /// a leeway of at most a day.
    static let maximumLifetime: Double = 31_557_600

    /// The policy of a client document (`refresh_token`), or a located error.
    public static func read(_ raw: JSONValue?, file: String) throws(TenantError) -> RefreshTokenPolicy {
        var p = RefreshTokenPolicy()
        guard let raw, !raw.isNull else { return p }
        guard case .object(let o) = raw else { throw TenantError(file: file, message: "refresh_token must be an object") }
        func text(_ k: String, _ allowed: [String]) throws(TenantError) -> String? {
            guard let v = o[k], !v.isNull else { return nil }
            guard let s = v.stringValue, allowed.contains(s) else {
                throw TenantError(file: file, message: "refresh_token.\(k) must be one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))")
            }
            return s
        }
        func flag(_ k: String) throws(TenantError) -> Bool? {
            guard let v = o[k], !v.isNull else { return nil }
            guard let b = v.boolValue else { throw TenantError(file: file, message: "refresh_token.\(k) must be true or false") }
            return b
        }
        func seconds(_ k: String, min: Double) throws(TenantError) -> Double? {
            guard let v = o[k], !v.isNull else { return nil }
            guard let n = v.doubleValue, n.isFinite, n >= min, n <= maximumLifetime, n == n.rounded() else {
                throw TenantError(file: file, message: "refresh_token.\(k) must be a whole number of seconds between \(Int(min)) and \(Int(maximumLifetime))")
            }
            return n
        }
        p.rotating = try text("rotation_type", ["rotating", "non-rotating"]) == "rotating"
        p.expiring = try text("expiration_type", ["expiring", "non-expiring"]) == "expiring"
        if p.rotating, !p.expiring {
            throw TenantError(file: file, message: "refresh_token: rotation_type 'rotating' needs expiration_type 'expiring' (as Auth0 requires)")
        }
        if let l = try seconds("leeway", min: 0) {
            guard l <= 86400 else { throw TenantError(file: file, message: "refresh_token.leeway must be at most 86400 seconds") }
            p.leeway = l
        }
        if let t = try seconds("token_lifetime", min: 1) { p.tokenLifetime = t }
        if let t = try seconds("idle_token_lifetime", min: 1) { p.idleTokenLifetime = t }
        // Non-expiring tokens have no lifetimes; expiring ones only where the flags say so.
        let infinite = try flag("infinite_token_lifetime") == true
        let infiniteIdle = try flag("infinite_idle_token_lifetime") == true
        if !p.expiring || infinite { p.tokenLifetime = nil }
        if !p.expiring || infiniteIdle { p.idleTokenLifetime = nil }
        if let a = p.tokenLifetime, let i = p.idleTokenLifetime, i > a {
            throw TenantError(file: file, message: "refresh_token.idle_token_lifetime (\(Int(i)) s) must not exceed token_lifetime (\(Int(a)) s)")
        }
        return p
    }
}

/// The tenant's login-session lifetimes (`session_lifetime`, `idle_session_lifetime`, in hours
/// as Auth0's tenant settings give them).
public struct SessionLifetimes: Sendable, Equatable {
    /// Absolute lifetime in seconds (Auth0's default: 7 days).
    public var absolute: Double = 168 * 3600
    /// Inactivity timeout in seconds (Auth0's default: 3 days).
    public var idle: Double = 72 * 3600

    public init() {}

    /// Auth0's enterprise ceilings: 365 days absolute, 100 days idle.
    static func read(_ o: [String: JSONValue], file: String) throws(TenantError) -> SessionLifetimes {
        var s = SessionLifetimes()
        for (key, path, ceiling) in [("session_lifetime", \SessionLifetimes.absolute, 8760.0), ("idle_session_lifetime", \SessionLifetimes.idle, 2400.0)] {
            guard let v = o[key], !v.isNull else { continue }
            guard let hours = v.doubleValue, hours.isFinite, hours > 0, hours <= ceiling else {
                throw TenantError(file: file, message: "\(key) must be a number of hours above 0 and at most \(Int(ceiling))")
            }
            s[keyPath: path] = hours * 3600
        }
        return s
    }
}

extension Client {
    /// URLs that receive an OIDC back-channel logout token when a session this client took part
    /// in ends (`oidc_logout.backchannel_logout_urls`; the older `oidc_backchannel_logout`).
    public var backchannelLogoutURLs: [String] {
        let urls = raw["oidc_logout"]?["backchannel_logout_urls"] ?? raw["oidc_backchannel_logout"]?["backchannel_logout_urls"]
        return (urls?.arrayValue ?? []).compactMap(\.stringValue)
    }
}

extension ResourceServer {
    /// Whether refresh tokens may be issued for this API (`allow_offline_access`, off by default).
    public var allowsOfflineAccess: Bool { raw["allow_offline_access"]?.boolValue ?? false }
}
