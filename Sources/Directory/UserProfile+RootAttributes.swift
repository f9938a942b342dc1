import JSONCore

/// A root attribute of the wrong type or form (`email` without `@`, `blocked: "yes"`).
public struct UserAttributeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension UserProfile {
    /// Sets the root attributes present in `o` (a Management API body, a sign-up's fields), with
    /// the type checks Auth0 makes; `null` clears a string attribute. Metadata is not touched.
    public mutating func applyRootAttributes(_ o: [String: JSONValue]) throws(UserAttributeError) {
        func string(_ k: String) throws(UserAttributeError) -> String?? {
            guard let v = o[k] else { return .none }
            if v.isNull { return .some(nil) }
            guard case .string(let s) = v else { throw UserAttributeError("Expected type string for \(k) but found \(v.typeName)") }
            return .some(s)
        }
        func bool(_ k: String) throws(UserAttributeError) -> Bool? {
            guard let v = o[k] else { return nil }
            guard case .bool(let b) = v else { throw UserAttributeError("Expected type boolean for \(k) but found \(v.typeName)") }
            return b
        }
        if let v = try string("email") {
            guard let e = v, e.contains("@") else { throw UserAttributeError("email must be an email address") }
            self.email = e.lowercased()
        }
        if let v = try string("username") { self.username = v }
        if let v = try string("phone_number") { self.phoneNumber = v }
        if let v = try string("name") { self.name = v }
        if let v = try string("nickname") { self.nickname = v }
        if let v = try string("given_name") { self.givenName = v }
        if let v = try string("family_name") { self.familyName = v }
        if let v = try string("picture") { self.picture = v }
        if let v = try bool("email_verified") { self.emailVerified = v }
        if let v = try bool("phone_verified") { self.phoneVerified = v }
        if let v = try bool("blocked") { self.blocked = v }
        _ = try bool("verify_email")
        _ = try bool("verify_phone_number")
    }
}
