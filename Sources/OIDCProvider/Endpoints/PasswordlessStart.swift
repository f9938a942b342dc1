import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `POST /passwordless/start`: a one-time code by email or SMS (printed to the daemon log).
extension OAuthService {
    /// `POST /passwordless/start`: the client authenticates as at the token endpoint.
    public func passwordlessStart(_ r: OAuthRequest) async -> Result<JSONValue, OAuthError> {
        do throws(OAuthError) {
            let client = try authenticateClient(r)
            do {
                return .success(try await pipeline.passwordlessStart(
                    clientId: client.clientId, connection: r["connection"] ?? "", email: r["email"], phoneNumber: r["phone_number"], send: r["send"],
                    ip: r.ip, userAgent: r.userAgent))
            } catch {
                throw OAuthError(error.status, error.error, error.description)
            }
        } catch {
            return .failure(error)
        }
    }
}
