import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The grants (`Grants/`), userinfo and revocation (tokens-and-oidc.md); the token endpoint itself
/// (client authentication, dispatch by grant) is `AuthorizationService.token`. Routes only
/// decode requests into `OAuthRequest` and encode the results.
public struct OAuthService: Sendable {
    public let pipeline: LoginPipeline
    public let rateLimiter: RateLimiter

    public init(pipeline: LoginPipeline, rateLimiter: RateLimiter = RateLimiter()) {
        self.pipeline = pipeline
        self.rateLimiter = rateLimiter
    }

    /// The rate-limit decision for the client a token request names (nil: no limit applies),
    /// counted after client authentication: a request that proves it is a confidential client
    /// counts against the client; one that does not (a wrong or missing secret, or a public
    /// client, which anyone can name) counts against the client from its IP address only.
    public func rateLimit(_ r: OAuthRequest) -> RateLimiter.Decision? {
        guard let id = r.basicCredentials?.id ?? r["client_id"], let client = tenant.clients.first(where: { $0.clientId == id }) else { return nil }
        let proven = !client.isPublic && (try? authenticateClient(r, secretRequired: true)) != nil
        return rateLimiter.check(client, caller: proven ? nil : "ip:" + (r.ip ?? "127.0.0.1"))
    }

    static let passwordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"
    static let passwordlessGrant = "http://auth0.com/oauth/grant-type/passwordless/otp"
    public static let supportedGrants = [
        "authorization_code", "password", passwordRealmGrant, passwordlessGrant, "client_credentials", "refresh_token", tokenExchangeGrant,
        mfaOTPGrant, mfaOOBGrant, AuthorizationService.deviceGrant,
    ]

    var tenant: Tenant { pipeline.tenant }
}
