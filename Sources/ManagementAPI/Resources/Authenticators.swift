import Directory
import Foundation
import JSONCore
import LoginEngine

/// A user's second factors: `/api/v2/users/{id}/authentication-methods`, `…/enrollments` and
/// `DELETE …/multifactor/{provider}` (the MFA reset).
extension ManagementService {
    /// Auth0's authentication-method object (`totp` for a TOTP app).
    static func authenticationMethod(_ a: MFAAuthenticator) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(a.id), "type": .string(a.type == "otp" ? "totp" : a.factor), "confirmed": .bool(a.confirmed),
            "created_at": .string(Timestamp.format(a.createdAt)),
        ]
        if let t = a.lastAuthAt { o["last_auth_at"] = .string(Timestamp.format(t)) }
        if let name = a.name { o[a.oobChannel == "sms" ? "phone_number" : "email"] = .string(name) }
        return .object(o)
    }

    public func authenticationMethods(_ userId: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(userId)
        return .array(try await engine { try await pipeline.authenticators(userId: userId) }.map(Self.authenticationMethod))
    }

    /// Auth0's (Guardian) enrollment objects: the confirmed ones.
    public func enrollments(_ userId: String) async throws(ManagementError) -> JSONValue {
        _ = try await existing(userId)
        let list = try await engine { try await pipeline.authenticators(userId: userId) }.filter(\.confirmed)
        return .array(
            list.map { a in
                var o: [String: JSONValue] = [
                    "id": .string(a.id), "status": .string(a.confirmed ? "confirmed" : "pending"), "type": .string(a.type == "otp" ? "authenticator" : a.oobChannel == "sms" ? "sms" : "email"),
                    "enrolled_at": .string(Timestamp.format(a.createdAt)),
                ]
                if let t = a.lastAuthAt { o["last_auth"] = .string(Timestamp.format(t)) }
                if a.oobChannel == "sms", let phone = a.name { o["phone_number"] = .string(phone) }
                return .object(o)
            })
    }

    /// Removes one method (`methodId`), or all of them; 404 for a method the user does not have.
    public func deleteAuthenticationMethods(_ userId: String, methodId: String?) async throws(ManagementError) {
        _ = try await existing(userId)
        let removed = try await engine { try await pipeline.removeAuthenticators(userId: userId, id: methodId) }
        if methodId != nil, removed == 0 { throw ManagementError(404, "The authentication method does not exist.", "inexistent_authentication_method") }
    }

    /// `DELETE /users/{id}/multifactor/{provider}`: the user's enrolment is reset (they enrol
    /// again at their next challenge).
    public func resetMultifactor(_ userId: String, provider: String) async throws(ManagementError) {
        guard ["google-authenticator", "duo"].contains(provider) else {
            throw ManagementError(400, "Path validation error: provider must be one of google-authenticator, duo", "invalid_uri")
        }
        try await deleteAuthenticationMethods(userId, methodId: nil)
    }
}
