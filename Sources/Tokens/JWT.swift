import Crypto
import _CryptoExtras
import Foundation
import JSONCore

/// Compact JWS tokens (RS256 and HS256), built from and decoded into `JSONValue`s.
public enum JWT {
    public static func signRS256(claims: JSONValue, key: SigningKeys.Key, type: String = "JWT") throws -> String {
        let header: JSONValue = ["alg": "RS256", "typ": .string(type), "kid": .string(key.kid)]
        let input = Base64URL.encode(Data(header.serialized().utf8)) + "." + Base64URL.encode(Data(claims.serialized().utf8))
        let sig = try key.privateKey.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(sig.rawRepresentation)
    }

    public static func signHS256(claims: JSONValue, secret: String) -> String {
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let input = Base64URL.encode(Data(header.serialized().utf8)) + "." + Base64URL.encode(Data(claims.serialized().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + Base64URL.encode(Data(mac))
    }

    public struct Decoded: Sendable {
        public var header: JSONValue
        public var claims: JSONValue
        public var signingInput: String
        public var signature: Data
    }

    public enum DecodeError: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self { case .malformed(let m): return "Malformed JWT: \(m)" }
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// Splits and decodes a token without checking its signature.
    public static func decode(_ token: String) throws -> Decoded {
        let trimmed = token.utf8.first.map(isSpace) == true || token.utf8.last.map(isSpace) == true ? token.trimmingCharacters(in: .whitespacesAndNewlines) : token
        let parts = trimmed.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Substring.init)
        guard parts.count == 3 else { throw DecodeError.malformed("expected 3 dot-separated parts, found \(parts.count)") }
        guard let h = Base64URL.decode(String(parts[0])), let header = try? JSONValue.parse(String(decoding: h, as: UTF8.self)) else {
            throw DecodeError.malformed("the header is not base64url-encoded JSON")
        }
        guard let c = Base64URL.decode(String(parts[1])), let claims = try? JSONValue.parse(String(decoding: c, as: UTF8.self)) else {
            throw DecodeError.malformed("the payload is not base64url-encoded JSON")
        }
        guard let sig = Base64URL.decode(String(parts[2])) else { throw DecodeError.malformed("the signature is not base64url") }
        return Decoded(header: header, claims: claims, signingInput: parts[0] + "." + parts[1], signature: sig)
    }

    /// Verifies an RS256 signature against a JWKS document; returns the kid that verified.
    public static func verifyRS256(_ token: Decoded, jwks: JSONValue) -> Result<String, VerifyError> {
        verifyRS256(token) { kid in
            (jwks["keys"]?.arrayValue ?? []).filter { kid == nil || $0["kid"]?.stringValue == kid }.compactMap { jwk in
                guard let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode), let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode),
                    let key = try? _RSA.Signing.PublicKey(n: n, e: e)
                else { return nil }
                return (jwk["kid"]?.stringValue ?? "", key)
            }
        }
    }

    /// The same against the daemon's own keys, without going through their JWKS form (every
    /// Management API and userinfo request verifies a token).
    public static func verifyRS256(_ token: Decoded, keys: SigningKeys) -> Result<String, VerifyError> {
        verifyRS256(token) { kid in
            let all = [keys.current] + (keys.previous.map { [$0] } ?? [])
            return all.filter { kid == nil || $0.kid == kid }.map { ($0.kid, $0.publicKey) }
        }
    }

    /// `candidates`: the keys (kid, public key) a token with this `kid` (nil: none) may be signed by.
    static func verifyRS256(_ token: Decoded, candidates: (String?) -> [(String, _RSA.Signing.PublicKey)]) -> Result<String, VerifyError> {
        guard token.header["alg"]?.stringValue == "RS256" else {
            return .failure(.unsupportedAlgorithm(token.header["alg"]?.stringValue ?? "none"))
        }
        let kid = token.header["kid"]?.stringValue
        let keys = candidates(kid)
        guard !keys.isEmpty else { return .failure(.unknownKey(kid ?? "(no kid)")) }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: token.signature)
        let input = Data(token.signingInput.utf8)
        for (kid, key) in keys where key.isValidSignature(signature, for: input, padding: .insecurePKCS1v1_5) {
            return .success(kid)
        }
        return .failure(.badSignature)
    }

    public enum VerifyError: Error, CustomStringConvertible, Equatable {
        case unsupportedAlgorithm(String)
        case unknownKey(String)
        case badSignature
        public var description: String {
            switch self {
            case .unsupportedAlgorithm(let a): return "cannot verify alg \(a) against a JWKS (RS256 only)"
            case .unknownKey(let k): return "no key with kid \(k) in the JWKS"
            case .badSignature: return "signature does not verify"
            }
        }
    }
}
