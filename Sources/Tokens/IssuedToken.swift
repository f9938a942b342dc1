import JSONCore

/// A signed token with its decoded parts.
public struct IssuedToken: Sendable {
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

    /// Reads `json` back (an authorization code kept in the store carries its tokens).
    public init?(json: JSONValue) {
        guard let header = json["header"], let claims = json["claims"] else { return nil }
        self.init(jwt: json["jwt"]?.stringValue, opaque: json["opaque"]?.stringValue, header: header, claims: claims)
    }

    public init(jwt: String?, opaque: String? = nil, header: JSONValue, claims: JSONValue) {
        self.jwt = jwt
        self.opaque = opaque
        self.header = header
        self.claims = claims
    }
}
