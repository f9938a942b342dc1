import Directory
import JSONCore
import LoginEngine
import Tokens

/// A JWT decoded, its signature checked against a JWKS, and — when the token came from this
/// daemon — explained from the trace stored under its `jti`: which script set each custom claim.
/// `authsim token decode` and the console's token inspector both print this.
public struct TokenInspection: Sendable {
    public var header: JSONValue
    public var claims: JSONValue
    /// Nil when there was no JWKS to check against.
    public var signature: Result<String, JWT.VerifyError>?
    /// Where the keys came from (a file, a URL, the store, "this daemon's JWKS").
    public var keySource: String?
    /// `idToken` or `accessToken`, judged from the claims.
    public var kind: String
    /// The stored simulation result (as JSON) of the login that issued the token.
    public var storedTrace: JSONValue?

    /// Which script set each custom claim, from the stored trace (empty without one).
    public var setBy: [String: String] {
        (storedTrace?["claimSources"]?[kind]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    public var signatureValid: Bool {
        if case .success? = signature { return true }
        return false
    }

    /// One line on the signature: valid with its key, invalid and why, or not checked.
    public var verification: String {
        switch signature {
        case .success(let kid)?: return "valid (RS256, kid \(kid), from \(keySource ?? "?"))"
        case .failure(let e)?: return "INVALID: \(e) (keys from \(keySource ?? "?"))"
        case nil: return "not checked (no JWKS)"
        }
    }

    /// Decodes `jwt` (throwing `JWT.DecodeError` when it is not a JWT), verifies it against
    /// `jwks` when given and looks its `jti` up in `store`'s traces when given.
    public static func inspect(_ jwt: String, jwks: (document: JSONValue, source: String)?, traces store: (any ActivityStore)?) async throws -> TokenInspection {
        let decoded = try JWT.decode(jwt.trimmingCharacters(in: .whitespacesAndNewlines))
        // An access token has `scope`/`azp` (or the at+jwt type); an ID token does not.
        let isAccess = decoded.header["typ"]?.stringValue == "at+jwt" || (decoded.claims["azp"] != nil && decoded.claims["scope"] != nil)
        var trace: JSONValue?
        if let store, let jti = decoded.claims["jti"]?.stringValue, let text = try? await store.trace(id: jti) {
            trace = try? JSONValue.parse(text)
        }
        return TokenInspection(
            header: decoded.header, claims: decoded.claims, signature: jwks.map { JWT.verifyRS256(decoded, jwks: $0.document) },
            keySource: jwks?.source, kind: isAccess ? "accessToken" : "idToken", storedTrace: trace)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "header": header, "claims": claims, "kind": .string(kind), "signatureValid": .bool(signatureValid),
            "verification": .string(verification), "setBy": .object(setBy.mapValues(JSONValue.string)),
            "trace": storedTrace ?? .null,
        ]
        if let exp = claims["exp"]?.doubleValue { o["expired"] = .bool(exp < Timestamp.now()) }
        return .object(o)
    }

    /// The text the CLI prints.
    public func report() -> String {
        var lines = ["Header"]
        lines += ClaimsFormatter.lines(header)
        lines.append("Claims")
        lines += ClaimsFormatter.lines(claims, setBy: setBy)
        if storedTrace != nil { lines.append("(set by: from the stored trace \(claims["jti"]?.stringValue ?? ""))") }
        if let exp = claims["exp"]?.doubleValue {
            if let date = Timestamp.formatIfRepresentable(exp) {
                lines.append(exp < Timestamp.now() ? "Expired at \(date)" : "Expires at \(date)")
            } else {
                lines.append("exp \(JSONValue.format(number: exp)) is not a time of years 0000–9999")
            }
        }
        lines.append("Signature: \(verification)")
        return lines.joined(separator: "\n")
    }
}

extension LoginPipeline {
    /// Inspects a token against this daemon's own JWKS and stored traces.
    public func inspectToken(_ jwt: String) async throws -> TokenInspection {
        try await TokenInspection.inspect(jwt, jwks: (issuer.keys.jwks, "this daemon's JWKS"), traces: store)
    }
}
