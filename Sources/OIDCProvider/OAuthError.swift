import JSONCore

/// An OAuth 2.0 error response: `{"error", "error_description"}` with its HTTP status.
public struct OAuthError: Error, Sendable, Equatable {
    public var status: Int
    public var error: String
    public var description: String
    /// More fields of the body (`mfa_token` of `mfa_required`).
    public var extra: [String: JSONValue] = [:]

    public init(_ status: Int, _ error: String, _ description: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.error = error
        self.description = description
        self.extra = extra
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["error": .string(error), "error_description": .string(description)]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}
