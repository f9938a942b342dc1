import JSONCore

/// A Management API error in Auth0's shape.
public struct ManagementError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public var errorCode: String

    public init(_ status: Int, _ message: String, _ errorCode: String) {
        self.status = status
        self.message = message
        self.errorCode = errorCode
    }

    package static func invalidBody(_ message: String) -> ManagementError { ManagementError(400, "Payload validation error: \(message)", "invalid_body") }
    package static let userNotFound = ManagementError(404, "The user does not exist.", "inexistent_user")
}
