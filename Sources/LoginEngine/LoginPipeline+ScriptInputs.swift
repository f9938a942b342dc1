import Directory
import JSONCore
import Synchronization
import Tenant
import Tokens

/// What the rules of a login are given: `user`, `context` and the `auth0` globals, all from the
/// login's context (its tenant revision).
extension LoginPipeline {
    /// The `user` object rules see: `app_metadata` undefined when empty, its keys also on the root.
    func scriptUser(_ user: UserProfile) -> JSONValue {
        guard case .object(var o) = user.json else { return user.json }
        if user.appMetadata.isEmpty {
            o.removeValue(forKey: "app_metadata")
        } else {
            for (k, v) in user.appMetadata { o[k] = v }
        }
        return .object(o)
    }

    /// The rules' `context` for this login.
    func scriptContext(_ login: LoginContext) -> JSONValue {
        let (user, client, connection, request, tenant) = (login.user, login.client, login.connection, login.request, login.tenant)
        let (protocolName, ip, roles, sessionID) = (login.protocolName, login.ip, login.roles, login.sessionID)
        var req: [String: JSONValue] = [
            "ip": .string(ip), "userAgent": .string(request.userAgent ?? "authsim/1.0"),
            "hostname": .string(request.hostname ?? tenant.settings.domain), "query": .object(request.query),
            "geoip": request.geoip ?? tenant.geoip[ip] ?? tenant.geoip["default"] ?? [:],
        ]
        if LoginPipeline.nonInteractiveProtocols.contains(protocolName) || protocolName == "oauth2-resource-owner" {
            req["body"] = .object(request.body ?? [:])
        }
        var options: [String: JSONValue] = [:]
        for k in ["tenant_domain", "domain_aliases", "requires_username", "import_mode"] { if let v = connection.options[k] { options[k] = v } }
        let method: JSONValue = connection.isDatabase ? "pwd" : ["email", "sms"].contains(connection.strategy) ? .string(connection.strategy) : "federated"
        var ctx: [String: JSONValue] = [
            "tenant": .string(tenant.name),
            "clientID": .string(client.clientId), "clientName": .string(client.name),
            "clientMetadata": .object(client.clientMetadata.mapValues(JSONValue.string)),
            "connection": .string(connection.name), "connectionID": .string(connection.id),
            "connectionStrategy": .string(connection.strategy), "connectionOptions": .object(options),
            "connectionMetadata": .object(connection.metadata.mapValues(JSONValue.string)),
            "protocol": .string(protocolName), "request": .object(req),
            "stats": ["loginsCount": .number(Double(user.loginsCount))],
            "sso": ["with_auth0": false, "with_dbconn": false, "current_clients": []],
            "sessionID": .string(sessionID),
            "idToken": [:], "accessToken": [:],
            "authentication": [
                "methods": .array(login.authenticationMethods(first: method.stringValue ?? "pwd").map { ["name": .string($0.name), "timestamp": .number(($0.at * 1000).rounded())] })
            ],
            "authorization": ["roles": .array(roles.map(JSONValue.string))],
            "locale": .string(request.query["ui_locales"]?.stringValue ?? "en"),
        ]
        if protocolName == "samlp" || protocolName == "wsfed" { ctx["samlConfiguration"] = Self.samlConfiguration(client: client, protocolName: protocolName) }
        if let org = login.organization { ctx["organization"] = org.scriptJSON }
        for (k, v) in request.context { ctx[k] = v }
        return .object(ctx)
    }

    /// `context.samlConfiguration` of a samlp/wsfed login: Auth0's defaults, with the client's
    /// `addons.samlp` (or `addons.wsfed`) settings over them. Without a SAMLRequest the
    /// recipient and destination are the client's first callback URL, and the audience the
    /// addon's or, failing that, the recipient.
    static func samlConfiguration(client: Client, protocolName: String) -> JSONValue {
        let claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
        let callback: JSONValue = client.callbacks.first.map(JSONValue.string) ?? .null
        var c: [String: JSONValue] = [
            "audience": callback, "recipient": callback, "destination": callback,
            "mappings": [
                "user_id": .string(claims + "nameidentifier"), "email": .string(claims + "emailaddress"), "name": .string(claims + "name"),
                "given_name": .string(claims + "givenname"), "family_name": .string(claims + "surname"), "upn": .string(claims + "upn"),
                "groups": "http://schemas.xmlsoap.org/claims/Group",
            ],
            "createUpnClaim": true, "passthroughClaimsWithNoMapping": true, "mapUnknownClaimsAsIs": false, "mapIdentities": true,
            "signatureAlgorithm": "rsa-sha256", "digestAlgorithm": "sha256", "lifetimeInSeconds": 3600, "signResponse": false,
            "typedAttributes": true, "includeAttributeNameFormat": true,
            "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            "nameIdentifierProbes": [.string(claims + "nameidentifier"), .string(claims + "emailaddress"), .string(claims + "name")],
            "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
            "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            "logout": ["slo_enabled": true],
        ]
        if case .object(let addon)? = client.raw["addons"]?[protocolName == "wsfed" ? "wsfed" : "samlp"] {
            for (k, v) in addon { c[k] = v }
            if addon["audience"] == nil, let recipient = addon["recipient"] { c["audience"] = recipient }
            if addon["destination"] == nil, let recipient = addon["recipient"] { c["destination"] = recipient }
        }
        return .object(c)
    }

    /// `auth0` for rules: a Management API token (scopes read:users update:users, the tenant's
    /// management token lifetime) signed once and reused until half its lifetime is left, plus
    /// the domain and API base URL.
    /// The `azp` of the rules' `auth0.accessToken` (not a client of the tenant: its scopes stand).
    public static let rulesClient = "authsim-rules"

    func auth0GlobalsJSON(_ rev: Revision) -> String {
        let now = Timestamp.now()
        let tenant = rev.tenant
        let lifetime = tenant.settings.managementTokenLifetime
        let key = tenant.revision + "/" + rev.issuer.keys.current.kid
        return auth0Globals.withLock { cached in
            if let c = cached, c.key == key, c.expires - now > lifetime / 2 { return c.json }
            let iat = now.rounded(.down)
            let claims: JSONValue = [
                "iss": .string(tenant.settings.effectiveIssuer), "sub": .string(Self.rulesClient + "@clients"),
                "aud": .string(tenant.settings.managementAudience), "iat": .number(iat), "exp": .number(iat + lifetime),
                "scope": "read:users update:users", "gty": "client-credentials", "azp": .string(Self.rulesClient),
            ]
            let token = (try? JWT.signRS256(claims: claims, key: rev.issuer.keys.current)) ?? ""
            let json = JSONValue.object([
                "accessToken": .string(token), "domain": .string(tenant.settings.domain),
                "baseUrl": .string(tenant.settings.effectiveIssuer + "api/v2"),
            ]).serialized()
            cached = (key, json, iat + lifetime)
            return json
        }
    }
}
