import Directory
import Foundation
import JSONCore
import Tenant

/// Social and enterprise connections with a simulated upstream IdP: the connection file lists
/// its IdP users (`options.simulated_users`, raw IdP profiles), or a simulation passes one. The
/// raw profile is mapped to the normalized profile as Auth0 does for that strategy and kept in
/// `identities[].profileData`; root attributes follow `set_user_root_attributes`.
extension LoginPipeline {
    /// The mapped profile of one IdP user: its identity id and the root attributes.
    public struct IdPUser: Sendable {
        public var provider: String
        /// The identity's `user_id` (the part after `provider|`).
        public var id: String
        public var attributes: [String: JSONValue]
        public var raw: [String: JSONValue]
        public var userId: String { provider + "|" + id }
    }

    static let samlClaims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"

    /// Auth0's per-strategy mapping of an IdP profile.
    public static func mapIdPProfile(_ raw: JSONValue, connection: Connection) throws(PipelineError) -> IdPUser {
        guard case .object(let o) = raw else { throw .invalidRequest("an IdP profile must be an object") }
        func s(_ keys: String...) -> String? {
            for k in keys {
                if let v = o[k]?.stringValue, !v.isEmpty { return v }
                if let n = o[k]?.doubleValue { return JSONValue.format(number: n) }
            }
            return nil
        }
        var a: [String: JSONValue] = [:]
        func put(_ key: String, _ value: String?) { if let value { a[key] = .string(value) } }
        let id: String?
        switch connection.strategy {
        case "github":
            id = s("id")
            put("nickname", s("login"))
            put("name", s("name", "login"))
            put("picture", s("avatar_url"))
            put("email", s("email"))
            a["email_verified"] = .bool(o["email_verified"]?.boolValue ?? false)
        case "facebook":
            id = s("id")
            put("name", s("name"))
            put("given_name", s("first_name"))
            put("family_name", s("last_name"))
            put("email", s("email"))
            put("picture", o["picture"]?["data"]?["url"]?.stringValue ?? s("picture"))
            a["email_verified"] = .bool(o["email"] != nil)
        case "samlp", "adfs", "pingfederate":
            id = s("nameID", "nameid", samlClaims + "nameidentifier", "user_id", "id")
            put("email", s("email", samlClaims + "emailaddress", samlClaims + "upn"))
            put("name", s("name", samlClaims + "name"))
            put("given_name", s("given_name", samlClaims + "givenname"))
            put("family_name", s("family_name", samlClaims + "surname"))
            a["email_verified"] = .bool(o["email_verified"]?.boolValue ?? false)
        case "waad":
            id = s("oid", "sub")
            put("email", s("email", "upn"))
            put("name", s("name"))
            put("given_name", s("given_name"))
            put("family_name", s("family_name"))
            a["email_verified"] = .bool(o["email_verified"]?.boolValue ?? true)
        default:  // google-oauth2, oidc, okta, linkedin, windowslive, … (OIDC claims)
            id = s("sub", "user_id", "id")
            for k in ["email", "name", "given_name", "family_name", "nickname", "picture", "locale"] { put(k, s(k)) }
            a["email_verified"] = .bool(o["email_verified"]?.boolValue ?? false)
        }
        guard let id else { throw .invalidRequest("the \(connection.strategy) profile has no id (\(connection.strategy == "github" ? "id" : "sub / id"))") }
        if case .string(let e)? = a["email"] { a["email"] = .string(e.lowercased()) }
        // SAML user ids carry the connection: samlp|<connection>|<nameID>.
        let identity = ["samlp", "adfs", "pingfederate"].contains(connection.strategy) ? connection.name + "|" + id : id
        return IdPUser(provider: connection.strategy, id: identity, attributes: a, raw: o)
    }

    /// `set_user_root_attributes`: `on_each_login` (default), `on_first_login` or `never_on_login`.
    public static func rootAttributeSync(_ connection: Connection) -> String {
        let v = connection.options["set_user_root_attributes"]?.stringValue ?? "on_each_login"
        return ["on_each_login", "on_first_login", "never_on_login"].contains(v) ? v : "on_each_login"
    }

    /// Root attributes an IdP login sets (sync never touches metadata).
    static let syncedAttributes = ["email", "email_verified", "name", "nickname", "given_name", "family_name", "picture", "locale"]

    /// Finds or creates the user of an IdP login and syncs it: new users get the IdP's
    /// attributes; known ones get them again when `set_user_root_attributes` is `on_each_login`
    /// (the default). A linked identity logs in as its primary user.
    func upsertIdPUser(_ idp: IdPUser, connection: Connection) async throws(PipelineError) -> UserProfile {
        let eachLogin = Self.rootAttributeSync(connection) == "on_each_login"
        let raw = idp.raw
        @Sendable func apply(_ attributes: [String: JSONValue], to u: inout UserProfile) throws {
            var o = u.json.objectValue ?? [:]
            for k in Self.syncedAttributes { o.removeValue(forKey: k) }
            for (k, v) in attributes { o[k] = v }
            var next = try UserProfile(json: .object(o), defaultConnection: connection.name)
            next.passwordHash = u.passwordHash
            next.applyDefaults()
            u = next
        }
        do {
            var existing = try await store.user(id: idp.userId)
            if existing == nil { existing = try await linkedPrimary(provider: idp.provider, id: idp.id) }
            if let existing {
                return try await store.update(id: existing.userId) { u in
                    if eachLogin && u.userId == idp.userId { try apply(idp.attributes, to: &u) }
                    if let i = u.identities.firstIndex(where: { $0.provider == idp.provider && $0.userId == idp.id }) {
                        // A linked identity keeps the mapped attributes too (unlinking rebuilds a user from them).
                        u.identities[i].profileData = i == 0 ? raw : raw.merging(idp.attributes) { _, mapped in mapped }
                    }
                }
            }
            var user = UserProfile(userId: idp.userId, connection: connection.name, provider: idp.provider, isSocial: connection.isSocial)
            // never_on_login: only the id and email come from the IdP, even at creation.
            try apply(Self.rootAttributeSync(connection) == "never_on_login" ? idp.attributes.filter { ["email", "email_verified"].contains($0.key) } : idp.attributes, to: &user)
            user.identities = [Identity(provider: idp.provider, connection: connection.name, userId: idp.id, isSocial: connection.isSocial, profileData: raw)]
            try await store.insert(user)
            return user
        } catch let e as PipelineError {
            throw e
        } catch {
            throw .store("could not store the \(connection.name) user: \(error)")
        }
    }

    /// The primary user an identity has been linked into, if any.
    func linkedPrimary(provider: String, id: String) async throws -> UserProfile? {
        let query = try UserQuery.parse("identities.user_id:\"\(id.replacingOccurrences(of: "\"", with: ""))\"")
        let (found, _) = try await store.search(query, sort: nil, offset: 0, limit: 10)
        return found.first { u in u.identities.dropFirst().contains { $0.provider == provider && $0.userId == id } }
    }

    /// A login through a social or enterprise connection with this raw IdP profile.
    public func idpLogin(connection name: String, profile raw: JSONValue, request base: SimulationRequest) async throws(PipelineError) -> SimulationResult {
        let started = monotonicSeconds()
        let rev = current
        let connection = try resolveConnection(name, in: rev.tenant)
        guard !connection.isDatabase, connection.strategy != "email", connection.strategy != "sms" else {
            throw .invalidRequest("\(name) is a \(connection.strategy) connection: an IdP profile is for social and enterprise connections")
        }
        let client = try resolveClient(base.client, in: rev.tenant)
        let user = try await upsertIdPUser(try Self.mapIdPProfile(raw, connection: connection), connection: connection)
        var request = base
        request.connection = connection.name
        return try await run(revision: rev, user: user, stored: true, client: client, connection: connection, request: request, started: started)
    }

    /// The simulated users a connection's IdP page offers.
    public func simulatedIdPUsers(_ connection: Connection) -> [JSONValue] {
        connection.options["simulated_users"]?.arrayValue ?? []
    }
}
