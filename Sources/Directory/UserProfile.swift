import JSONCore

/// One identity of a user at a connection (`identities[]` in Auth0 profiles).
public struct Identity: Sendable, Equatable {
    public var provider: String
    public var connection: String
    public var userId: String
    public var isSocial: Bool
    public var profileData: [String: JSONValue]?

    public init(provider: String, connection: String, userId: String, isSocial: Bool, profileData: [String: JSONValue]? = nil) {
        self.provider = provider
        self.connection = connection
        self.userId = userId
        self.isSocial = isSocial
        self.profileData = profileData
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "provider": .string(provider), "connection": .string(connection), "user_id": .string(userId),
            "isSocial": .bool(isSocial),
        ]
        if let profileData, !profileData.isEmpty { o["profileData"] = .object(profileData) }
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard let provider = json["provider"]?.stringValue, let connection = json["connection"]?.stringValue else { return nil }
        let uid = json["user_id"]?.stringValue ?? json["user_id"]?.intValue.map(String.init) ?? ""
        self.init(
            provider: provider, connection: connection, userId: uid, isSocial: json["isSocial"]?.boolValue ?? false,
            profileData: json["profileData"]?.objectValue)
    }
}

/// The normalized Auth0 user profile. Times are seconds since 1970 (ISO-8601 in JSON).
public struct UserProfile: Sendable, Equatable {
    public var userId: String
    public var email: String?
    public var emailVerified: Bool
    public var username: String?
    public var phoneNumber: String?
    public var phoneVerified: Bool?
    public var name: String?
    public var nickname: String?
    public var givenName: String?
    public var familyName: String?
    public var picture: String?
    public var locale: String?
    public var createdAt: Double
    public var updatedAt: Double
    public var lastLogin: Double?
    public var lastIP: String?
    public var loginsCount: Int
    public var lastPasswordReset: Double?
    public var blocked: Bool
    public var multifactor: [String]
    public var identities: [Identity]
    public var appMetadata: [String: JSONValue]
    public var userMetadata: [String: JSONValue]
    /// Root attributes from an upstream IdP that are not part of the fixed set (e.g. `groups`).
    public var extra: [String: JSONValue]
    /// bcrypt hash for database users; never exposed to scripts or the API.
    public var passwordHash: String?

    public init(userId: String, connection: String, provider: String = "auth0", isSocial: Bool = false, email: String? = nil, now: Double = Timestamp.now()) {
        self.userId = userId
        self.email = email
        self.emailVerified = false
        self.createdAt = now
        self.updatedAt = now
        self.loginsCount = 0
        self.blocked = false
        self.multifactor = []
        let local = userId.split(separator: "|", maxSplits: 1).last.map(String.init) ?? userId
        self.identities = [Identity(provider: provider, connection: connection, userId: local, isSocial: isSocial)]
        self.appMetadata = [:]
        self.userMetadata = [:]
        self.extra = [:]
    }

    /// The connection of the primary identity.
    public var connection: String { identities.first?.connection ?? "" }

    /// Profile fields Auth0 fills in when the IdP gives none.
    public mutating func applyDefaults() {
        if nickname == nil, let email, let at = email.firstIndex(of: "@") { nickname = String(email[..<at]) }
        if name == nil { name = email ?? username ?? phoneNumber }
        if picture == nil {
            let initials = (nickname ?? name ?? "u").prefix(2).lowercased()
            picture = "https://cdn.auth0.com/avatars/\(initials).png"
        }
    }

    /// The profile as Auth0's APIs and scripts see it. `app_metadata`/`user_metadata` are
    /// included even when empty (scripts get `undefined` for empty app_metadata: see
    /// `scriptUser`).
    public var json: JSONValue {
        var o: [String: JSONValue] = extra
        o.reserveCapacity(extra.count + 24)  // the fields below, without growing the table as they go in
        o["user_id"] = .string(userId)
        o["email_verified"] = .bool(emailVerified)
        o["created_at"] = .string(Timestamp.format(createdAt))
        o["updated_at"] = .string(Timestamp.format(updatedAt))
        o["logins_count"] = .number(Double(loginsCount))
        o["blocked"] = .bool(blocked)
        o["identities"] = .array(identities.map(\.json))
        o["app_metadata"] = .object(appMetadata)
        o["user_metadata"] = .object(userMetadata)
        func put(_ k: String, _ v: String?) { if let v { o[k] = .string(v) } }
        put("email", email)
        put("username", username)
        put("phone_number", phoneNumber)
        if let phoneVerified { o["phone_verified"] = .bool(phoneVerified) }
        put("name", name)
        put("nickname", nickname)
        put("given_name", givenName)
        put("family_name", familyName)
        put("picture", picture)
        put("locale", locale)
        put("last_ip", lastIP)
        if let lastLogin { o["last_login"] = .string(Timestamp.format(lastLogin)) }
        if let lastPasswordReset { o["last_password_reset"] = .string(Timestamp.format(lastPasswordReset)) }
        if !multifactor.isEmpty { o["multifactor"] = .array(multifactor.map { .string($0) }) }
        return .object(o)
    }

    /// `json[key]` without building the whole profile (every token issued reads a few standard
    /// claims from it): the same values, a field that is set winning over an `extra` attribute
    /// of its name.
    public subscript(profileKey key: String) -> JSONValue? {
        func string(_ v: String?) -> JSONValue? { v.map(JSONValue.string) ?? extra[key] }
        switch key {
        case "user_id": return .string(userId)
        case "email_verified": return .bool(emailVerified)
        case "created_at": return .string(Timestamp.format(createdAt))
        case "updated_at": return .string(Timestamp.format(updatedAt))
        case "logins_count": return .number(Double(loginsCount))
        case "blocked": return .bool(blocked)
        case "identities": return .array(identities.map(\.json))
        case "app_metadata": return .object(appMetadata)
        case "user_metadata": return .object(userMetadata)
        case "email": return string(email)
        case "username": return string(username)
        case "phone_number": return string(phoneNumber)
        case "phone_verified": return phoneVerified.map(JSONValue.bool) ?? extra[key]
        case "name": return string(name)
        case "nickname": return string(nickname)
        case "given_name": return string(givenName)
        case "family_name": return string(familyName)
        case "picture": return string(picture)
        case "locale": return string(locale)
        case "last_ip": return string(lastIP)
        case "last_login": return lastLogin.map { .string(Timestamp.format($0)) } ?? extra[key]
        case "last_password_reset": return lastPasswordReset.map { .string(Timestamp.format($0)) } ?? extra[key]
        case "multifactor": return multifactor.isEmpty ? extra[key] : .array(multifactor.map { .string($0) })
        default: return extra[key]
        }
    }

    static let fixedKeys: Set<String> = [
        "user_id", "email", "email_verified", "username", "phone_number", "phone_verified", "name", "nickname",
        "given_name", "family_name", "picture", "locale", "created_at", "updated_at", "last_login", "last_ip",
        "logins_count", "last_password_reset", "blocked", "multifactor", "identities", "app_metadata",
        "user_metadata", "password_hash",
    ]

    /// Reads a profile written by `json` (or an inline profile from a simulation request).
    public init(json: JSONValue, defaultConnection: String = "Username-Password-Authentication") throws(DirectoryError) {
        guard case .object(let o) = json else { throw .invalidProfile("a user profile must be a JSON object") }
        let id = o["user_id"]?.stringValue ?? o["user_id"]?.intValue.map(String.init)
        guard let id, !id.isEmpty else { throw .invalidProfile("a user profile needs a user_id") }
        let now = Timestamp.now()
        var identities = (o["identities"]?.arrayValue ?? []).compactMap(Identity.init(json:))
        if identities.isEmpty {
            let parts = id.split(separator: "|", maxSplits: 1).map(String.init)
            let provider = parts.count == 2 ? parts[0] : "auth0"
            let isSocial = provider != "auth0" && provider != "email" && provider != "sms"
            identities = [Identity(provider: provider, connection: provider == "auth0" ? defaultConnection : provider, userId: parts.last ?? id, isSocial: isSocial)]
        }
        self.userId = id
        self.email = o["email"]?.stringValue
        self.emailVerified = o["email_verified"]?.boolValue ?? false
        self.username = o["username"]?.stringValue
        self.phoneNumber = o["phone_number"]?.stringValue
        self.phoneVerified = o["phone_verified"]?.boolValue
        self.name = o["name"]?.stringValue
        self.nickname = o["nickname"]?.stringValue
        self.givenName = o["given_name"]?.stringValue
        self.familyName = o["family_name"]?.stringValue
        self.picture = o["picture"]?.stringValue
        self.locale = o["locale"]?.stringValue
        self.createdAt = o["created_at"]?.stringValue.flatMap(Timestamp.parse) ?? now
        self.updatedAt = o["updated_at"]?.stringValue.flatMap(Timestamp.parse) ?? now
        self.lastLogin = o["last_login"]?.stringValue.flatMap(Timestamp.parse)
        self.lastIP = o["last_ip"]?.stringValue
        self.loginsCount = o["logins_count"]?.intValue ?? 0
        self.lastPasswordReset = o["last_password_reset"]?.stringValue.flatMap(Timestamp.parse)
        self.blocked = o["blocked"]?.boolValue ?? false
        self.multifactor = (o["multifactor"]?.arrayValue ?? []).compactMap(\.stringValue)
        self.identities = identities
        self.appMetadata = o["app_metadata"]?.objectValue ?? [:]
        self.userMetadata = o["user_metadata"]?.objectValue ?? [:]
        self.passwordHash = o["password_hash"]?.stringValue
        self.extra = o.filter { !UserProfile.fixedKeys.contains($0.key) }
    }

    /// JSON kept in the store: the API profile plus the password hash.
    public var storedJSON: JSONValue {
        guard case .object(var o) = json else { return json }
        if let passwordHash { o["password_hash"] = .string(passwordHash) }
        return .object(o)
    }

    /// Auth0 refuses profiles larger than this.
    public static let maximumSize = 1 << 20
}

public enum DirectoryError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidProfile(String)
    case invalidMetadata(String)
    case userExists(String)
    case notFound(String)
    case profileTooLarge(Int)
    case storage(String)

    public var description: String {
        switch self {
        case .invalidProfile(let m): return m
        case .invalidMetadata(let m): return m
        case .userExists(let m): return "The user already exists (\(m))"
        case .notFound(let id): return "The user does not exist (\(id))"
        case .profileTooLarge(let n): return "The user profile is too large (\(n) bytes; the limit is 1 MB)"
        case .storage(let m): return "Store error: \(m)"
        }
    }
}
