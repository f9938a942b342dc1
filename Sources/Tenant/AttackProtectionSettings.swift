import Foundation
import JSONCore

/// Auth0's attack protection, with its names and defaults: brute-force protection (failed
/// logins per identifier and IP) and suspicious-IP throttling (failed logins and sign-ups per
/// IP). Read from deploy-cli's `attack-protection/brute-force-protection.json` and
/// `attack-protection/suspicious-ip-throttling.json`, or from `tenant.json`'s
/// `attack_protection: {brute_force_protection, suspicious_ip_throttling}`, in the shape the
/// Management API's `/attack-protection/*` endpoints use.
public struct AttackProtectionSettings: Sendable, Equatable {
    public struct BruteForce: Sendable, Equatable {
        public var enabled = true
        /// `block` (refuse the identifier from that IP) and `user_notification` (an email, here
        /// a log line).
        public var shields: [String] = ["block", "user_notification"]
        /// IPs and CIDR ranges whose attempts are not counted.
        public var allowlist: [String] = []
        /// `count_per_identifier_and_ip` (default) or `count_per_identifier`.
        public var mode = "count_per_identifier_and_ip"
        /// Consecutive failures that block (Auth0: 1 to 100, default 10).
        public var maxAttempts = 10

        public var blocks: Bool { enabled && shields.contains("block") }
        public init() {}
    }

    public struct SuspiciousIPThrottling: Sendable, Equatable {
        /// One stage's bucket: `maxAttempts` at most, one attempt back every `rateMs`.
        public struct Stage: Sendable, Equatable {
            public var maxAttempts: Int
            public var rateMs: Double
        }

        public var enabled = true
        public var shields: [String] = ["admin_notification", "block"]
        public var allowlist: [String] = []
        /// Failed logins from one IP (any identifiers): 100, one back every 864,000 ms (14.4 min).
        public var preLogin = Stage(maxAttempts: 100, rateMs: 864_000)
        /// Sign-ups from one IP: 50, one back every 1,200 ms.
        public var preUserRegistration = Stage(maxAttempts: 50, rateMs: 1_200)
        /// Invalid subject tokens (`api.access.rejectInvalidSubjectToken`) of Custom Token Exchange.
        public var preCustomTokenExchange = Stage(maxAttempts: 10, rateMs: 600_000)

        public var blocks: Bool { enabled && shields.contains("block") }
        public init() {}
    }

    public var bruteForce = BruteForce()
    public var suspiciousIPThrottling = SuspiciousIPThrottling()

    public init() {}

    /// Reads one setting document (`file` names it in errors).
    static func bruteForce(_ v: JSONValue, file: String) throws(TenantError) -> BruteForce {
        guard let o = v.objectValue else { throw TenantError(file: file, message: "brute-force protection must be a JSON object") }
        var b = BruteForce()
        if let e = o["enabled"] { b.enabled = try bool(e, "enabled", file) }
        if let s = o["shields"] { b.shields = try strings(s, "shields", file, allowed: ["block", "user_notification"]) }
        if let a = o["allowlist"] { b.allowlist = try addresses(a, file) }
        if let m = o["mode"] {
            guard let mode = m.stringValue, ["count_per_identifier_and_ip", "count_per_identifier"].contains(mode) else {
                throw TenantError(file: file, message: "mode must be count_per_identifier_and_ip or count_per_identifier")
            }
            b.mode = mode
        }
        if let n = o["max_attempts"] {
            guard let c = n.intValue, (1...100).contains(c) else { throw TenantError(file: file, message: "max_attempts must be an integer from 1 to 100") }
            b.maxAttempts = c
        }
        return b
    }

    static func suspiciousIPThrottling(_ v: JSONValue, file: String) throws(TenantError) -> SuspiciousIPThrottling {
        guard let o = v.objectValue else { throw TenantError(file: file, message: "suspicious IP throttling must be a JSON object") }
        var t = SuspiciousIPThrottling()
        if let e = o["enabled"] { t.enabled = try bool(e, "enabled", file) }
        if let s = o["shields"] { t.shields = try strings(s, "shields", file, allowed: ["block", "admin_notification"]) }
        if let a = o["allowlist"] { t.allowlist = try addresses(a, file) }
        if let stage = o["stage"] {
            guard let s = stage.objectValue else { throw TenantError(file: file, message: "stage must be an object") }
            // Auth0's stages, each `{max_attempts, rate}`; `rates` is taken as an older spelling
            // of `rate`.
            for (name, value) in s {
                guard ["pre-login", "pre-user-registration", "pre-custom-token-exchange"].contains(name), let o = value.objectValue,
                    Set(o.keys).isSubset(of: ["max_attempts", "rate", "rates"])
                else {
                    throw TenantError(
                        file: file, message: "stage has pre-login, pre-user-registration and pre-custom-token-exchange, each an object of max_attempts and rate")
                }
            }
            typealias Stage = SuspiciousIPThrottling.Stage
            func read(_ name: String, into current: Stage, maxAttempts limit: Int) throws(TenantError) -> Stage {
                guard let v = s[name] else { return current }
                var out = current
                if let n = v["max_attempts"] {
                    guard let c = n.intValue, (1...limit).contains(c) else { throw TenantError(file: file, message: "stage.\(name).max_attempts must be an integer from 1 to \(limit)") }
                    out.maxAttempts = c
                }
                if let r = v["rate"] ?? v["rates"] {
                    guard let ms = r.doubleValue, ms >= 1, ms <= 86_400_000 else { throw TenantError(file: file, message: "stage.\(name).rate must be milliseconds from 1 to 86400000") }
                    out.rateMs = ms
                }
                return out
            }
            t.preLogin = try read("pre-login", into: t.preLogin, maxAttempts: 100_000)
            t.preUserRegistration = try read("pre-user-registration", into: t.preUserRegistration, maxAttempts: 100_000)
            t.preCustomTokenExchange = try read("pre-custom-token-exchange", into: t.preCustomTokenExchange, maxAttempts: 100_000)
        }
        return t
    }

    static func bool(_ v: JSONValue, _ name: String, _ file: String) throws(TenantError) -> Bool {
        guard let b = v.boolValue else { throw TenantError(file: file, message: "\(name) must be true or false") }
        return b
    }

    static func strings(_ v: JSONValue, _ name: String, _ file: String, allowed: Set<String>) throws(TenantError) -> [String] {
        guard let list = v.arrayValue?.compactMap(\.stringValue), list.count == v.arrayValue?.count, list.allSatisfy(allowed.contains) else {
            throw TenantError(file: file, message: "\(name) must be an array of \(allowed.sorted().joined(separator: ", "))")
        }
        return list
    }

    static func addresses(_ v: JSONValue, _ file: String, name: String = "allowlist") throws(TenantError) -> [String] {
        guard let list = v.arrayValue?.compactMap(\.stringValue), list.count == v.arrayValue?.count, list.allSatisfy({ IPRange($0) != nil }) else {
            throw TenantError(file: file, message: "\(name) must be an array of IP addresses or CIDR ranges")
        }
        return list
    }
}

/// An IPv4 or IPv6 address, or a CIDR range of them (`10.0.0.0/8`, `2001:db8::/32`).
public struct IPRange: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPRange.parse(String(parts[0])) else { return nil }
        bytes = address
        if parts.count == 2 {
            guard let p = Int(parts[1]), p >= 0, p <= address.count * 8 else { return nil }
            prefix = p
        } else {
            prefix = address.count * 8
        }
    }

    /// Whether `ip` (an address as text) is in this range.
    public func contains(_ ip: String) -> Bool {
        guard let other = IPRange.parse(ip), other.count == bytes.count else { return false }
        var left = prefix
        for i in 0..<bytes.count where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[i] & mask != other[i] & mask { return false }
            left -= bits
        }
        return true
    }

    /// The address's bytes (4 or 16), or nil when it is not an address.
    static func parse(_ s: String) -> [UInt8]? {
        if s.contains(":") { return parse6(s) }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parse6(_ s: String) -> [UInt8]? {
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ t: String) -> [UInt16]? {
            if t.isEmpty { return [] }
            var out: [UInt16] = []
            for g in t.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension AttackProtectionSettings.BruteForce {
    /// The Management API's (and deploy-cli's) document of these settings.
    public var json: JSONValue {
        [
            "enabled": .bool(enabled), "shields": .array(shields.map(JSONValue.string)), "allowlist": .array(allowlist.map(JSONValue.string)),
            "mode": .string(mode), "max_attempts": .number(Double(maxAttempts)),
        ]
    }

    /// The settings a document gives (every field optional over the defaults); `file` names it in errors.
    public static func parse(_ v: JSONValue, file: String) throws(TenantError) -> Self {
        try AttackProtectionSettings.bruteForce(v, file: file)
    }

    /// The fields the document may have.
    public static let fields: Set<String> = ["enabled", "shields", "allowlist", "mode", "max_attempts"]
}

extension AttackProtectionSettings.SuspiciousIPThrottling {
    public var json: JSONValue {
        func stage(_ s: Stage) -> JSONValue { ["max_attempts": .number(Double(s.maxAttempts)), "rate": .number(s.rateMs)] }
        return [
            "enabled": .bool(enabled), "shields": .array(shields.map(JSONValue.string)), "allowlist": .array(allowlist.map(JSONValue.string)),
            "stage": [
                "pre-login": stage(preLogin), "pre-user-registration": stage(preUserRegistration), "pre-custom-token-exchange": stage(preCustomTokenExchange),
            ],
        ]
    }

    public static func parse(_ v: JSONValue, file: String) throws(TenantError) -> Self {
        try AttackProtectionSettings.suspiciousIPThrottling(v, file: file)
    }

    public static let fields: Set<String> = ["enabled", "shields", "allowlist", "stage"]
}
