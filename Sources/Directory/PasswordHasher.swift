import CCrypt

/// bcrypt through libxcrypt (`$2b$`), the hash Auth0 uses and exports.
///
/// Every function here computes on the calling thread; callers that can run concurrently
/// (logins, scripts, the Management API) do it through a `KDFPool`.
public enum PasswordHasher {
    public static let defaultCost = 10
    /// The cheapest cost bcrypt defines.
    public static let minimumCost = 4
    /// The most expensive cost authsim computes, for new hashes and for stored or given ones.
    /// Auth0 hashes at 10. Each step doubles the work: 14 is 16 times Auth0's (about a second
    /// of one core) and still accepts hashes from applications that raised their cost (12 is a
    /// common default), while 21 would hold a hashing thread for over a minute and 31 for days.
    public static let maximumCost = 14
    public static var costs: ClosedRange<Int> { minimumCost...maximumCost }

    /// A new bcrypt hash of `password` with a random salt.
    public static func hash(_ password: String, cost: Int = defaultCost) throws(PasswordHashError) -> String {
        guard let h = try hash(password, setting: try salt(cost: cost)) else { throw .failed("bcrypt hashing failed") }
        return h
    }

    /// bcrypt with a given salt setting (`$2b$10$` + 22 salt characters), as Node's
    /// `bcrypt.hash(password, salt)`; nil when the setting is not a bcrypt salt. Throws, without
    /// hashing, when the setting's cost is outside `costs`.
    public static func hash(_ password: String, setting: String) throws(PasswordHashError) -> String? {
        guard setting.utf8.count >= 29, let cost = cost(of: setting) else { return nil }
        guard costs.contains(cost) else { throw .bcryptCost(cost) }
        guard let h = crypt(password, with: String(setting.prefix(29))), isBcrypt(h) else { return nil }
        return h
    }

    /// A new random bcrypt salt setting of `cost`.
    public static func salt(cost: Int = defaultCost) throws(PasswordHashError) -> String {
        guard costs.contains(cost) else { throw .bcryptCost(cost) }
        var setting = [CChar](repeating: 0, count: 128)
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else { throw .failed("crypt_gensalt failed for bcrypt") }
        return String(decoding: setting.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches a bcrypt hash (`$2a$`, `$2b$`, `$2y$`), as scripts'
    /// `bcrypt.compare`: other formats never match. Throws, without hashing, when the hash's
    /// cost is outside `costs`.
    public static func compare(_ password: String, hash: String) throws(PasswordHashError) -> Bool {
        guard isBcrypt(hash), let cost = cost(of: hash) else { return false }
        guard costs.contains(cost) else { throw .bcryptCost(cost) }
        guard let computed = crypt(password, with: hash) else { return false }
        let a = Array(computed.utf8), b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// `compare` for callers that only need a yes: a hash refused for its cost does not match.
    public static func verify(_ password: String, hash: String) -> Bool {
        (try? compare(password, hash: hash)) ?? false
    }

    public static func isBcrypt(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == 0x24, b[1] == 0x32, [0x61, 0x62, 0x79].contains(b[2]), b[3] == 0x24,
            b[6] == 0x24
        else { return false }
        return true
    }

    /// The cost of a bcrypt hash or salt setting (`$2a$`, `$2b$`, `$2x$`, `$2y$`, then two
    /// digits and `$`); nil for anything else, which is then never given to libxcrypt, so no
    /// spelling of the cost can slip past `costs`.
    public static func cost(of setting: String) -> Int? {
        let b = Array(setting.utf8.prefix(7))
        guard b.count == 7, b[0] == 0x24, b[1] == 0x32, [0x61, 0x62, 0x78, 0x79].contains(b[2]), b[3] == 0x24, b[6] == 0x24,
            (0x30...0x39).contains(b[4]), (0x30...0x39).contains(b[5])
        else { return nil }
        return Int(b[4] - 0x30) * 10 + Int(b[5] - 0x30)
    }

    private static func crypt(_ phrase: String, with setting: String) -> String? {
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { data.deallocate() }
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        guard let out = crypt_rn(phrase, setting, data, Int32(size)) else { return nil }
        let s = String(cString: out)
        return s.hasPrefix("*") ? nil : s
    }
}
