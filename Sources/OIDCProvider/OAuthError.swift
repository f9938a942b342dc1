import JSONCore

/// An OAuth 2.0 error response: `{"error", "error_description"}` with its HTTP status.
public struct OAuthError: Error, Sendable, Equatable {
    public var status: Int
    public var error: String
    public var description: String

    public init(_ status: Int, _ error: String, _ description: String) {
        self.status = status
        self.error = error
        self.description = description
    }

    public var json: JSONValue { ["error": .string(error), "error_description": .string(description)] }
}
