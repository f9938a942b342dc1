import JSONCore

/// A signed token with its decoded parts.
public struct IssuedToken: Sendable, Codable {
    /// The compact JWT, or nil for an opaque token.
    public var jwt: String?
    public var opaque: String?
    public var header: JSONValue
    public var claims: JSONValue

    public var json: JSONValue {
        var o: [String: JSONValue] = ["header": header, "claims": claims]
        o["jwt"] = jwt.map(JSONValue.string) ?? .null
        if let opaque { o["opaque"] = .string(opaque) }
        return .object(o)
    }

    public init(jwt: String?, opaque: String? = nil, header: JSONValue, claims: JSONValue) {
        self.jwt = jwt
        self.opaque = opaque
        self.header = header
        self.claims = claims
    }
}
