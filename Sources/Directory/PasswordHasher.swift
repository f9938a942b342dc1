import CCrypt

/// bcrypt through libxcrypt (`$2b$`), the hash Auth0 uses and exports.
public enum PasswordHasher {
    public static let defaultCost = 10

    /// A new bcrypt hash of `password` with a random salt.
    public static func hash(_ password: String, cost: Int = defaultCost) throws(DirectoryError) -> String {
        guard let h = hash(password, setting: try salt(cost: cost)) else { throw .storage("bcrypt hashing failed") }
        return h
    }

    /// bcrypt with a given salt setting (`$2b$10$` + 22 salt characters), as Node's
    /// `bcrypt.hash(password, salt)`; nil when the setting is not a bcrypt salt.
    public static func hash(_ password: String, setting: String) -> String? {
        guard setting.hasPrefix("$2"), setting.utf8.count >= 29, let h = crypt(password, with: String(setting.prefix(29))), isBcrypt(h) else { return nil }
        return h
    }

    /// A new random bcrypt salt setting of `cost`.
    public static func salt(cost: Int = defaultCost) throws(DirectoryError) -> String {
        var setting = [CChar](repeating: 0, count: 128)
        guard (4...31).contains(cost) else { throw .storage("bcrypt rounds must be 4 to 31 (got \(cost))") }
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else { throw .storage("crypt_gensalt failed for bcrypt") }
        return String(decoding: setting.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). Other formats never match.
    public static func verify(_ password: String, hash: String) -> Bool {
        guard isBcrypt(hash), let computed = crypt(password, with: hash) else { return false }
        let a = Array(computed.utf8), b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    public static func isBcrypt(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == 0x24, b[1] == 0x32, [0x61, 0x62, 0x79].contains(b[2]), b[3] == 0x24,
            b[6] == 0x24
        else { return false }
        return true
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
