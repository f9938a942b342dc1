import JSONCore

public enum MetadataKind: String, Sendable, CaseIterable {
    case app = "app_metadata"
    case user = "user_metadata"
}

/// Auth0's first-level metadata merge (Management API `PATCH /users/{id}` and the rules'
/// `auth0.users.update*Metadata`): each top-level key replaces the stored one (nested objects
/// are replaced whole), `null` removes a key, and an empty object clears everything.
public enum MetadataMerge {
    /// Names `app_metadata` may not use at its top level.
    public static let reservedAppMetadataNames: Set<String> = [
        "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email", "globalClientID",
        "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount", "metadata",
        "multifactor_last_modified", "multifactor", "updated_at", "user_id",
    ]

    /// Checks a patch without applying it.
    public static func validate(_ patch: JSONValue, kind: MetadataKind) throws(DirectoryError) {
        guard case .object(let o) = patch else {
            throw .invalidMetadata("\(kind.rawValue) must be an object, not \(patch.typeName)")
        }
        if kind == .app {
            for key in o.keys where reservedAppMetadataNames.contains(key) {
                throw .invalidMetadata("app_metadata may not use the reserved name '\(key)'")
            }
        }
        try checkKeys(patch, path: kind.rawValue)
    }

    private static func checkKeys(_ value: JSONValue, path: String) throws(DirectoryError) {
        switch value {
        case .object(let o):
            for (k, v) in o {
                if k.contains(".") || k.contains("$") {
                    throw .invalidMetadata("Metadata keys may not contain '.' or '$' (\(path).\(k))")
                }
                try checkKeys(v, path: path + "." + k)
            }
        case .array(let a):
            for v in a { try checkKeys(v, path: path) }
        default: break
        }
    }

    /// Returns `current` with `patch` merged in.
    public static func apply(_ patch: JSONValue, to current: [String: JSONValue], kind: MetadataKind) throws(DirectoryError) -> [String: JSONValue] {
        try validate(patch, kind: kind)
        guard case .object(let o) = patch else { return current }
        if o.isEmpty { return [:] }
        var result = current
        for (k, v) in o {
            if v.isNull { result.removeValue(forKey: k) } else { result[k] = v }
        }
        return result
    }
}
