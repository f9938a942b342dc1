import Tenant

/// A token-endpoint request, whatever its encoding (form or JSON).
public struct OAuthRequest: Sendable {
    public var parameters: [String: String]
    /// `Authorization: Basic` credentials (client_secret_basic).
    public var basicCredentials: (id: String, secret: String)?
    public var ip: String?
    public var userAgent: String?
    /// The origin of the page that sent a cross-origin request (browser JavaScript): the
    /// client must allow it (`Client.webOrigins`).
    public var origin: WebOrigin?

    public init(parameters: [String: String], basicCredentials: (id: String, secret: String)? = nil, ip: String? = nil, userAgent: String? = nil) {
        self.parameters = parameters
        self.basicCredentials = basicCredentials
        self.ip = ip
        self.userAgent = userAgent
    }

    public subscript(_ name: String) -> String? {
        guard let v = parameters[name], !v.isEmpty else { return nil }
        return v
    }
}
