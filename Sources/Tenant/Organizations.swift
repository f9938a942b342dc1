import Foundation
import JSONCore

/// An Auth0 Organization (deploy-cli `organizations/<name>.json`, or the YAML's `organizations`):
/// its name, display name, branding and metadata, and the connections its members log in with.
/// Members, their roles and invitations are not tenant configuration (deploy-cli does not export
/// them): they live in the store (see `OrganizationDirectory` in the login engine).
public struct Organization: Sendable, Equatable {
    public static func == (a: Organization, b: Organization) -> Bool {
        a.id == b.id && a.name == b.name && a.displayName == b.displayName && a.branding == b.branding && a.metadata == b.metadata
            && a.connections == b.connections && a.file == b.file && a.raw == b.raw
            && a.clientGrants.map { $0.client + " " + $0.audience } == b.clientGrants.map { $0.client + " " + $0.audience }
    }

    /// `org_` and 16 characters: the file's `id` when it has one (the Management API writes it, so
    /// a rename keeps it), else derived from the name.
    public var id: String
    /// Lower-case letters, digits, `-` and `_`, 1–50 characters (Auth0's rule).
    public var name: String
    public var displayName: String
    public var branding: JSONValue?
    /// Up to 25 string values (Auth0's limit).
    public var metadata: [String: String]
    public var connections: [EnabledConnection]
    /// The client grants (client id or name, audience) whose client-credentials tokens may be in
    /// this organization (`client_grants`).
    public var clientGrants: [(client: String, audience: String)] = []
    /// The file it was read from (`organizations/<stem>.json`).
    public var file: String
    /// The document as read, fields authsim does not use included (written back as they are).
    public var raw: [String: JSONValue]

    public struct EnabledConnection: Sendable, Equatable {
        /// The connection's name (deploy-cli names connections; the Management API takes ids).
        public var name: String
        /// A user who logs in through this connection becomes a member at that login.
        public var assignMembershipOnLogin: Bool
        public var showAsButton: Bool
        /// Users may sign up through this connection in the organization's login (database
        /// connections, with `assign_membership_on_login`; off by default, as in Auth0).
        public var isSignupEnabled: Bool

        public init(name: String, assignMembershipOnLogin: Bool = false, showAsButton: Bool = true, isSignupEnabled: Bool = false) {
            self.name = name
            self.assignMembershipOnLogin = assignMembershipOnLogin
            self.showAsButton = showAsButton
            self.isSignupEnabled = isSignupEnabled
        }

        public var json: [String: JSONValue] {
            ["name": .string(name), "assign_membership_on_login": .bool(assignMembershipOnLogin), "show_as_button": .bool(showAsButton),
             "is_signup_enabled": .bool(isSignupEnabled)]
        }
    }

    public init(id: String? = nil, name: String, displayName: String? = nil, branding: JSONValue? = nil, metadata: [String: String] = [:],
                connections: [EnabledConnection] = [], file: String? = nil, raw: [String: JSONValue] = [:]) {
        self.id = id ?? Self.derivedID(name)
        self.name = name
        self.displayName = displayName ?? name
        self.branding = branding
        self.metadata = metadata
        self.connections = connections
        self.file = file ?? "organizations/\(name).json"
        self.raw = raw
    }

    public static func derivedID(_ name: String) -> String { stableID(prefix: "org_", name, length: 16) }

    /// Auth0's rule for an organization's name: lower-case letters, digits, `-` and `_`, 1–50
    /// characters, starting and ending with a letter or digit.
    public static func nameProblem(_ name: String) -> String? {
        guard (1...50).contains(name.count) else { return "name must have 1 to 50 characters" }
        guard name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }) else {
            return "name may contain only lower-case letters, digits, '-' and '_'"
        }
        guard let f = name.first, let l = name.last, f.isLetter || f.isNumber, l.isLetter || l.isNumber else {
            return "name must start and end with a letter or a digit"
        }
        return nil
    }

    public func connection(_ name: String) -> EnabledConnection? { connections.first { $0.name == name } }

    /// Whether a client-credentials grant may issue tokens in this organization.
    public func admits(_ grant: ClientGrant, client: Client) -> Bool {
        grant.allowAnyOrganization
            || clientGrants.contains { ($0.client == client.clientId || $0.client == client.name) && $0.audience == grant.audience }
    }

    /// What `context.organization` and `event.organization` hold.
    public var scriptJSON: JSONValue {
        ["id": .string(id), "name": .string(name), "display_name": .string(displayName), "metadata": .object(metadata.mapValues(JSONValue.string))]
    }

    /// The file the organization is kept in (deploy-cli's fields, plus `id`).
    public var fileText: String {
        var o = raw
        o["id"] = .string(id)
        o["name"] = .string(name)
        o["display_name"] = .string(displayName)
        o["branding"] = branding
        o["metadata"] = metadata.isEmpty ? nil : .object(metadata.mapValues(JSONValue.string))
        o["connections"] = .array(connections.map { .object($0.json) })
        return JSONValue.object(o).serialized(pretty: true) + "\n"
    }

    /// Reads `organizations/*.json` from `files` (directory-layout path → text). An organization
    /// with an invalid or repeated name or id is reported and left out; a connection the tenant
    /// lacks is reported and dropped from it. Nothing here is fatal.
    static func load(from files: [String: String], connections: [Connection], notices: inout [TenantNotice]) -> [Organization] {
        var out: [Organization] = []
        for rel in files.keys.filter({ $0.hasPrefix("organizations/") && $0.hasSuffix(".json") && $0.split(separator: "/").count == 2 }).sorted() {
            guard let text = files[rel], case .object(let o)? = try? JSONValue.parse(text) else { continue }  // reported as invalid JSON already
            let stem = String(rel.dropFirst("organizations/".count).dropLast(".json".count))
            let name = o["name"]?.stringValue ?? stem
            if let problem = nameProblem(name) {
                notices.append(TenantNotice(file: rel, message: "organization '\(name)': \(problem): not used"))
                continue
            }
            var id = Self.derivedID(name)
            if let given = o["id"]?.stringValue {
                guard given.hasPrefix("org_"), (5...50).contains(given.count), given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    notices.append(TenantNotice(file: rel, message: "organization '\(name)': id '\(given)' is not an organization id (org_ and letters or digits): not used"))
                    continue
                }
                id = given
            }
            var metadata: [String: String] = [:]
            for (k, v) in o["metadata"]?.objectValue ?? [:] {
                if let s = v.stringValue { metadata[k] = s } else { notices.append(TenantNotice(file: rel, message: "organization '\(name)': metadata '\(k)' is not a string: left out")) }
            }
            var enabled: [EnabledConnection] = []
            for item in o["connections"]?.arrayValue ?? [] {
                let ref = item["name"]?.stringValue ?? item["connection_id"]?.stringValue ?? item["connection"]?["name"]?.stringValue ?? ""
                guard let c = connections.first(where: { $0.name == ref || $0.id == ref }) else {
                    notices.append(TenantNotice(file: rel, message: "organization '\(name)' enables connection '\(ref)', which the tenant does not have: left out"))
                    continue
                }
                guard !enabled.contains(where: { $0.name == c.name }) else { continue }
                enabled.append(EnabledConnection(
                    name: c.name, assignMembershipOnLogin: item["assign_membership_on_login"]?.boolValue ?? false,
                    showAsButton: item["show_as_button"]?.boolValue ?? true, isSignupEnabled: item["is_signup_enabled"]?.boolValue ?? false))
            }
            if out.contains(where: { $0.name == name || $0.id == id }) {
                notices.append(TenantNotice(file: rel, message: "a second organization named '\(name)' (or with id \(id)): not used"))
                continue
            }
            var org = Organization(
                id: id, name: name, displayName: o["display_name"]?.stringValue, branding: o["branding"], metadata: metadata, connections: enabled,
                file: rel, raw: o)
            org.clientGrants = (o["client_grants"]?.arrayValue ?? []).compactMap { g in
                guard let client = g["client_id"]?.stringValue, let audience = g["audience"]?.stringValue else { return nil }
                return (client, audience)
            }
            out.append(org)
        }
        return out
    }
}

extension Client {
    /// `organization_usage`: `deny` (the default: no organization logins), `allow` or `require`.
    public var organizationUsage: String { raw["organization_usage"]?.stringValue ?? "deny" }
    /// `organization_require_behavior` when organizations are required: `no_prompt` (the
    /// default, as in Auth0: the app must send `organization`), `pre_login_prompt` (the login asks
    /// for the organization's name first) or `post_login_prompt` (Auth0 lets the user pick one of
    /// theirs after the credentials; authsim asks before them too).
    public var organizationRequireBehavior: String { raw["organization_require_behavior"]?.stringValue ?? "no_prompt" }
}

extension Tenant {
    /// An organization by id, or by name.
    public func organization(_ idOrName: String) -> Organization? {
        organizations.first { $0.id == idOrName } ?? organizations.first { $0.name == idOrName }
    }

    /// Whether `org_name` goes into tokens and organizations may be named by name at
    /// `/authorize` and the token endpoint: the tenant setting
    /// `allow_organization_name_in_authentication_api` (`tenant.json`, also read under `flags`),
    /// off by default as in Auth0.
    public var organizationNamesInTokens: Bool {
        tenantDocument["allow_organization_name_in_authentication_api"]?.boolValue
            ?? tenantDocument["flags"]?["allow_organization_name_in_authentication_api"]?.boolValue ?? false
    }
}
