import CArgon2
import Crypto
import Foundation
import JSONCore
import _CryptoExtras

/// Password hashes brought in by a bulk import in Auth0's `custom_password_hash` shape:
/// `bcrypt`, `argon2` (PHC string), `pbkdf2` (PHC string `$pbkdf2-<digest>$i=…,l=…$salt$hash`),
/// `md5`, `sha1`, `sha256`, `sha512` (optionally salted, prefix or suffix) and `hmac`. They are
/// kept as given and checked at the user's next login, which then stores a bcrypt hash instead.
///
/// The slow algorithms are bounded (Auth0 documents no limits; these are authsim's): a bcrypt
/// cost above `PasswordHasher.maximumCost`, or argon2 and pbkdf2 parameters above the maxima
/// below, are refused at import with a per-user error, and a hash above them that reached a
/// store some other way is refused at login without being computed.
public enum ImportedPasswordHash {
    /// Stored password hashes that are not bcrypt start with this, then the JSON given.
    static let prefix = "authsim-import:"
    static let algorithms: Set<String> = ["bcrypt", "argon2", "pbkdf2", "md5", "sha1", "sha256", "sha512", "hmac"]

    /// argon2 memory, in KiB (the PHC `m`): 256 MiB. Covers the common presets (OWASP's 19 to
    /// 46 MiB, PHP's 64 MiB, Django's 100 MiB, libsodium's "moderate" 256 MiB) and refuses the
    /// gigabyte ones (RFC 9106's first choice of 2 GiB, libsodium's "sensitive" 1 GiB): each
    /// hashing thread of the `KDFPool` can hold this much at once.
    public static let argon2MaximumMemoryKiB = 262_144
    /// argon2 passes over that memory (the PHC `t`): the presets above use 1 to 4.
    public static let argon2MaximumIterations = 10
    /// argon2 lanes (the PHC `p`); libargon2 starts a thread per lane, outside the pool.
    public static let argon2MaximumParallelism = 8
    /// pbkdf2 iterations (the PHC `i`): Django's 2025 default is 1,000,000 (sha256), OWASP
    /// asks for 600,000 (sha256) and 210,000 (sha512).
    public static let pbkdf2MaximumIterations = 1_000_000
    /// pbkdf2 output bytes (the PHC `l`, or the hash's length): every extra digest-sized block
    /// repeats all the iterations, and a password hash never needs more than one SHA-512.
    public static let pbkdf2MaximumKeyLength = 64

    /// Validates a `custom_password_hash` object and returns what to store as the password hash.
    public static func stored(from custom: JSONValue) throws(DirectoryError) -> String {
        guard case .object(let o) = custom else { throw .invalidProfile("'custom_password_hash' must be an object") }
        guard let algorithm = o["algorithm"]?.stringValue else { throw .invalidProfile("custom_password_hash.algorithm is required") }
        guard algorithms.contains(algorithm) else {
            throw .invalidProfile("custom_password_hash.algorithm '\(algorithm)' is not supported (\(algorithms.sorted().joined(separator: ", ")))")
        }
        guard let value = o["hash"]?["value"]?.stringValue, !value.isEmpty else { throw .invalidProfile("custom_password_hash.hash.value is required") }
        switch algorithm {
        case "bcrypt":
            guard PasswordHasher.isBcrypt(value), let cost = PasswordHasher.cost(of: value) else { throw .invalidProfile("custom_password_hash: not a bcrypt hash") }
            guard PasswordHasher.costs.contains(cost) else { throw .invalidProfile("custom_password_hash: \(PasswordHashError.bcryptCost(cost))") }
            return value
        case "argon2":
            guard let parameters = Argon2String(value) else {
                throw .invalidProfile("custom_password_hash: an argon2 hash must be a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
            }
            do { try parameters.checkLimits() } catch { throw .invalidProfile("custom_password_hash: \(error)") }
        case "pbkdf2":
            guard let parameters = PBKDF2String(value) else {
                throw .invalidProfile("custom_password_hash: a pbkdf2 hash must be a PHC string ($pbkdf2-sha256$i=<iterations>,l=<length>$<salt>$<hash>)")
            }
            do { try parameters.checkLimits() } catch { throw .invalidProfile("custom_password_hash: \(error)") }
        case "hmac":
            guard o["hash"]?["key"]?["value"]?.stringValue != nil, digest(o["hash"]?["digest"]?.stringValue ?? "") != nil else {
                throw .invalidProfile("custom_password_hash: hmac needs hash.digest (md5, sha1, sha256, sha512) and hash.key.value")
            }
            fallthrough
        default:
            let encoding = o["hash"]?["encoding"]?.stringValue ?? "hex"
            guard decode(value, encoding) != nil else { throw .invalidProfile("custom_password_hash.hash.value is not valid \(encoding)") }
            if let salt = o["salt"] {
                guard let v = salt["value"]?.stringValue, decode(v, salt["encoding"]?.stringValue ?? "utf8") != nil else {
                    throw .invalidProfile("custom_password_hash.salt needs a value in its encoding")
                }
                guard ["prefix", "suffix", nil].contains(salt["position"]?.stringValue) else { throw .invalidProfile("custom_password_hash.salt.position must be prefix or suffix") }
            }
        }
        return prefix + custom.serialized()
    }

    /// Whether a stored hash is an imported (non-bcrypt) one.
    public static func isImported(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// Checks `password` against an imported hash. Throws, without computing anything, when
    /// the hash's parameters are above the limits (a store written by something other than
    /// `stored(from:)`: an older authsim, a hand edit); a hash it cannot read never matches.
    public static func verify(_ password: String, stored: String) throws(PasswordHashError) -> Bool {
        guard isImported(stored), let custom = try? JSONValue.parse(String(stored.dropFirst(prefix.count))),
            let algorithm = custom["algorithm"]?.stringValue, let value = custom["hash"]?["value"]?.stringValue
        else { return false }
        let pwd = passwordBytes(password, custom["password"]?["encoding"]?.stringValue ?? "utf8")
        switch algorithm {
        case "argon2":
            // libargon2 reads the parameters itself: a string this parser does not read the
            // same way is never handed to it.
            guard let parameters = Argon2String(value) else { return false }
            try parameters.checkLimits()
            return pwd.withUnsafeBytes { argon2_verify(value, $0.baseAddress, pwd.count, parameters.type) } == ARGON2_OK.rawValue
        case "pbkdf2":
            guard let p = PBKDF2String(value) else { return false }
            try p.checkLimits()
            guard let key = try? KDF.Insecure.PBKDF2.deriveKey(from: pwd, salt: p.salt, using: p.digest, outputByteCount: p.hash.count, unsafeUncheckedRounds: p.iterations)
            else { return false }
            return key.withUnsafeBytes { equal(Array($0), p.hash) }
        default:
            guard let expected = decode(value, custom["hash"]?["encoding"]?.stringValue ?? "hex") else { return false }
            var input = pwd
            if let salt = custom["salt"], let v = salt["value"]?.stringValue, let bytes = decode(v, salt["encoding"]?.stringValue ?? "utf8") {
                input = salt["position"]?.stringValue == "suffix" ? pwd + bytes : bytes + pwd
            }
            let computed: [UInt8]
            switch algorithm {
            case "md5": computed = Array(Insecure.MD5.hash(data: input))
            case "sha1": computed = Array(Insecure.SHA1.hash(data: input))
            case "sha256": computed = Array(SHA256.hash(data: input))
            case "sha512": computed = Array(SHA512.hash(data: input))
            case "hmac":
                guard let key = custom["hash"]?["key"], let kv = key["value"]?.stringValue, let keyBytes = decode(kv, key["encoding"]?.stringValue ?? "utf8"),
                    let mac = digest(custom["hash"]?["digest"]?.stringValue ?? "")
                else { return false }
                computed = mac(keyBytes, input)
            default: return false
            }
            return equal(computed, expected)
        }
    }

    /// Constant-time comparison.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func digest(_ name: String) -> (([UInt8], [UInt8]) -> [UInt8])? {
        func mac<H: HashFunction>(_: H.Type) -> ([UInt8], [UInt8]) -> [UInt8] {
            { key, data in Array(HMAC<H>.authenticationCode(for: data, using: SymmetricKey(data: key))) }
        }
        switch name {
        case "md5": return mac(Insecure.MD5.self)
        case "sha1": return mac(Insecure.SHA1.self)
        case "sha256": return mac(SHA256.self)
        case "sha512": return mac(SHA512.self)
        default: return nil
        }
    }

    static func passwordBytes(_ password: String, _ encoding: String) -> [UInt8] {
        switch encoding {
        case "utf16le", "ucs2": return password.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        case "latin1", "binary", "ascii": return password.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        default: return Array(password.utf8)
        }
    }

    static func decode(_ text: String, _ encoding: String) -> [UInt8]? {
        switch encoding {
        case "hex":
            let chars = Array(text.utf8)
            guard chars.count % 2 == 0 else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(chars.count / 2)
            var i = 0
            while i < chars.count {
                guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
                out.append(b)
                i += 2
            }
            return out
        case "base64": return base64(text)
        case "utf8": return Array(text.utf8)
        default: return nil
        }
    }

    /// Standard or URL-safe base64, padding optional (PHC strings omit it).
    static func base64(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }

    /// `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>` (PHC; `v=` may be missing in hashes made
    /// by argon2 1.0): the variant and the cost parameters, which must all be present.
    struct Argon2String {
        var type: argon2_type
        var memoryKiB: Int
        var iterations: Int
        var parallelism: Int

        init?(_ text: String) {
            let parts = text.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5 || parts.count == 6, parts[0].isEmpty else { return nil }
            switch parts[1] {
            case "argon2id": type = Argon2_id
            case "argon2i": type = Argon2_i
            case "argon2d": type = Argon2_d
            default: return nil
            }
            if parts.count == 6 { guard parts[2].hasPrefix("v=") else { return nil } }
            // Exactly `m=…,t=…,p=…` in that order, as libargon2 reads it, so both see the same numbers.
            var values: [Int] = []
            for (param, key) in zip(parts[parts.count - 3].split(separator: ",", omittingEmptySubsequences: false), ["m", "t", "p"]) {
                let kv = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                // Digits only: `Int("+5")` would accept a sign libargon2 does not.
                guard kv.count == 2, kv[0] == key, !kv[1].isEmpty, kv[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(kv[1]) else { return nil }
                values.append(n)
            }
            guard values.count == 3, parts[parts.count - 3].split(separator: ",", omittingEmptySubsequences: false).count == 3 else { return nil }
            memoryKiB = values[0]
            iterations = values[1]
            parallelism = values[2]
        }

        func checkLimits() throws(PasswordHashError) {
            if memoryKiB > ImportedPasswordHash.argon2MaximumMemoryKiB {
                throw .parameters(
                    "argon2 memory m=\(memoryKiB) KiB is above authsim's limit of \(ImportedPasswordHash.argon2MaximumMemoryKiB) KiB (256 MiB): refused without hashing")
            }
            if iterations > ImportedPasswordHash.argon2MaximumIterations {
                throw .parameters("argon2 iterations t=\(iterations) are above authsim's limit of \(ImportedPasswordHash.argon2MaximumIterations): refused without hashing")
            }
            if parallelism > ImportedPasswordHash.argon2MaximumParallelism {
                throw .parameters("argon2 parallelism p=\(parallelism) is above authsim's limit of \(ImportedPasswordHash.argon2MaximumParallelism): refused without hashing")
            }
        }
    }

    /// `$pbkdf2-sha256$i=10000,l=32$<salt>$<hash>` (PHC), salt and hash in unpadded base64.
    struct PBKDF2String {
        var digest: KDF.Insecure.PBKDF2.HashFunction
        var iterations: Int
        /// The `l=` parameter when given; the derived key is always `hash.count` bytes.
        var length: Int?
        var salt: [UInt8]
        var hash: [UInt8]

        init?(_ text: String) {
            let parts = text.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].isEmpty, parts[1].hasPrefix("pbkdf2") else { return nil }
            switch parts[1] {
            case "pbkdf2", "pbkdf2-sha1": digest = .insecureSHA1
            case "pbkdf2-sha256": digest = .sha256
            case "pbkdf2-sha512": digest = .sha512
            case "pbkdf2-md5": digest = .insecureMD5
            default: return nil
            }
            var iterations: Int?
            var length: Int?
            for param in parts[2].split(separator: ",") {
                let kv = param.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == "i" { iterations = Int(kv[1]) }
                if kv.count == 2, kv[0] == "l" { length = Int(kv[1]) }
            }
            guard let iterations, iterations > 0, length.map({ $0 > 0 }) ?? true, let salt = ImportedPasswordHash.base64(String(parts[3])),
                let hash = ImportedPasswordHash.base64(String(parts[4])), !hash.isEmpty
            else { return nil }
            self.iterations = iterations
            self.length = length
            self.salt = salt
            self.hash = hash
        }

        func checkLimits() throws(PasswordHashError) {
            if iterations > ImportedPasswordHash.pbkdf2MaximumIterations {
                throw .parameters("pbkdf2 iterations i=\(iterations) are above authsim's limit of \(ImportedPasswordHash.pbkdf2MaximumIterations): refused without hashing")
            }
            let bytes = max(length ?? 0, hash.count)
            if bytes > ImportedPasswordHash.pbkdf2MaximumKeyLength {
                throw .parameters("pbkdf2 key length \(bytes) bytes is above authsim's limit of \(ImportedPasswordHash.pbkdf2MaximumKeyLength): refused without hashing")
            }
        }
    }
}

extension PasswordHasher {
    /// Checks a password against a stored hash: bcrypt, or an imported hash (which should then
    /// be replaced by bcrypt: `rehash`). Throws, without computing anything, when the stored
    /// hash's cost or parameters are above authsim's limits.
    public static func check(_ password: String, hash: String) throws(PasswordHashError) -> (valid: Bool, rehash: Bool) {
        if ImportedPasswordHash.isImported(hash) { return (try ImportedPasswordHash.verify(password, stored: hash), true) }
        return (try compare(password, hash: hash), false)
    }
}
