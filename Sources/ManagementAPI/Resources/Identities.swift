import Directory
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// Account linking: `POST /api/v2/users/{id}/identities` moves a secondary user's identity into
/// the primary user (its profile kept as the identity's `profileData`) and removes the
/// secondary user; `DELETE /api/v2/users/{id}/identities/{provider}/{user_id}` splits it off
/// again as a user of its own. A login through a linked social identity is the primary user's.
extension ManagementService {
    /// Root attributes a linked identity keeps as `profileData`.
    static let linkedAttributes = ["email", "email_verified", "name", "nickname", "given_name", "family_name", "picture", "username", "phone_number", "locale"]

    /// `{provider, user_id}` (or `{link_with: <the secondary user's ID token>}`) → the primary's identities.
    public func linkIdentity(_ primaryId: String, _ body: JSONValue) async throws(ManagementError) -> JSONValue {
        guard case .object(let o) = body else { throw .invalidBody("the body must be a JSON object") }
        let secondaryId: String
        if let token = o["link_with"]?.stringValue {
            // An unexpired RS256 ID token of this tenant for one of its clients.
            guard let decoded = try? JWT.decode(token), case .success = JWT.verifyRS256(decoded, keys: pipeline.issuer.keys),
                decoded.header["typ"]?.stringValue != "at+jwt", decoded.claims["iss"]?.stringValue == tenant.settings.effectiveIssuer,
                let aud = decoded.claims["aud"]?.stringValue, tenant.clients.contains(where: { $0.clientId == aud }),
                let exp = decoded.claims["exp"]?.doubleValue, exp > Timestamp.now(), let sub = decoded.claims["sub"]?.stringValue
            else { throw ManagementError(400, "link_with must be an unexpired RS256 ID token this tenant issued to one of its clients", "invalid_body") }
            secondaryId = sub
        } else {
            guard let provider = o["provider"]?.stringValue, let uid = o["user_id"]?.stringValue ?? o["user_id"]?.intValue.map(String.init) else {
                throw .invalidBody("Missing required properties: provider and user_id (or link_with)")
            }
            secondaryId = provider + "|" + uid
        }
        guard secondaryId != primaryId else { throw ManagementError(400, "Main identity and the secondary identity are the same", "invalid_body") }
        let primary = try await existing(primaryId)
        let secondary: UserProfile
        do {
            guard let s = try await store.user(id: secondaryId) else { throw ManagementError(400, "The secondary user \(secondaryId) does not exist", "invalid_body") }
            secondary = s
        } catch let e as ManagementError { throw e } catch { throw ManagementError(500, "\(error)", "internal_error") }
        guard secondary.identities.count == 1, let identity = secondary.identities.first else {
            throw ManagementError(400, "The secondary user has linked identities of its own: unlink them first", "invalid_body")
        }
        guard primary.identities.count == 1 || !primary.identities.contains(where: { $0.provider == identity.provider && $0.userId == identity.userId }) else {
            throw ManagementError(409, "The identity is already linked", "identity_conflict")
        }
        let profile = secondary.json.objectValue ?? [:]
        var data = identity.profileData ?? [:]
        for k in Self.linkedAttributes { if let v = profile[k] { data[k] = v } }
        let linked = Identity(provider: identity.provider, connection: identity.connection, userId: identity.userId, isSocial: identity.isSocial, profileData: data)
        do {
            let updated = try await store.update(id: primaryId) { u in u.identities.append(linked) }
            _ = try await store.delete(id: secondaryId)
            return .array(updated.identities.map(\.json))
        } catch {
            throw ManagementError(500, "\(error)", "internal_error")
        }
    }

    /// Unlinks a secondary identity; it becomes a user again (from its `profileData`).
    public func unlinkIdentity(_ primaryId: String, provider: String, userId: String) async throws(ManagementError) -> JSONValue {
        let primary = try await existing(primaryId)
        guard let index = primary.identities.firstIndex(where: { $0.provider == provider && $0.userId == userId }) else {
            throw ManagementError(404, "The user has no \(provider) identity \(userId)", "inexistent_identity")
        }
        guard index > 0 else { throw ManagementError(400, "The main identity cannot be unlinked", "invalid_body") }
        let identity = primary.identities[index]
        var o = (identity.profileData ?? [:]).filter { Self.linkedAttributes.contains($0.key) }
        o["user_id"] = .string(identity.provider + "|" + identity.userId)
        o["identities"] = [Identity(provider: identity.provider, connection: identity.connection, userId: identity.userId, isSocial: identity.isSocial).json]
        do {
            var restored = try UserProfile(json: .object(o), defaultConnection: identity.connection)
            restored.applyDefaults()
            // The user first, so that a refusal (the id or email is taken again) changes nothing.
            try await store.insert(restored)
            let updated = try await store.update(id: primaryId) { u in u.identities.removeAll { $0.provider == provider && $0.userId == userId } }
            return .array(updated.identities.map(\.json))
        } catch DirectoryError.userExists(let what) {
            throw ManagementError(409, "The identity cannot become a user of its own again: \(what) exists", "identity_conflict")
        } catch {
            throw ManagementError(500, "\(error)", "internal_error")
        }
    }
}
