import Crypto
import Directory
import Foundation
import JSONCore
import Tenant

/// Builds and signs ID and access tokens (tokens-and-oidc.md).
public struct TokenIssuer: Sendable {
    public let settings: TenantSettings
    public let keys: SigningKeys
    public let filter: ClaimFilter

    public init(settings: TenantSettings, keys: SigningKeys) {
        self.settings = settings
        self.keys = keys
        self.filter = ClaimFilter(legacyNamespacedClaims: settings.legacyNamespacedClaims, managementAudience: settings.managementAudience)
    }

    static let oidcScopes: Set<String> = ["openid", "profile", "email", "phone", "address", "offline_access"]

    public struct Request {
        public var user: UserProfile
        public var client: Client
        public var audience: String?
        public var resourceServer: ResourceServer?
        public var scopes: [String]
        /// `context.accessToken.scope` when a rule set it: replaces the granted scopes.
        public var scopeOverride: [String]?
        public var customIdClaims: [String: JSONValue]
        public var customAccessClaims: [String: JSONValue]
        public var sources: (id: [String: String], access: [String: String])
        public var nonce: String?
        public var sessionID: String
        public var authTime: Double
        public var permissions: [String]?
        public var now: Double
        /// Skip signatures (benchmarks of the rules alone).
        public var sign: Bool = true
        /// The flow's trace id, put in both tokens as `jti`.
        public var jti: String?
        /// A login without credentials (the simulation API, `authsim simulate`/`test`): both
        /// tokens carry `ClaimFilter.simulatedMarker`.
        public var simulated: Bool
        /// `amr` of the ID token (`["mfa"]` after a second factor).
        public var amr: [String]?
        /// The organization of the login: `org_id` (and `org_name` when the tenant allows names)
        /// in both tokens, never overridden by a script's claims.
        public var organization: (id: String, name: String?)?

        public init(
            user: UserProfile, client: Client, audience: String?, resourceServer: ResourceServer?, scopes: [String],
            scopeOverride: [String]?, customIdClaims: [String: JSONValue], customAccessClaims: [String: JSONValue],
            sources: (id: [String: String], access: [String: String]), nonce: String?, sessionID: String, authTime: Double,
            permissions: [String]?, now: Double, sign: Bool = true, jti: String?, simulated: Bool = false, amr: [String]? = nil,
            organization: (id: String, name: String?)? = nil
        ) {
            self.organization = organization
            self.simulated = simulated
            self.amr = amr
            self.user = user
            self.client = client
            self.audience = audience
            self.resourceServer = resourceServer
            self.scopes = scopes
            self.scopeOverride = scopeOverride
            self.customIdClaims = customIdClaims
            self.customAccessClaims = customAccessClaims
            self.sources = sources
            self.nonce = nonce
            self.sessionID = sessionID
            self.authTime = authTime
            self.permissions = permissions
            self.now = now
            self.sign = sign
            self.jti = jti
        }
    }

    public struct Issued {
        public var idToken: IssuedToken
        public var accessToken: IssuedToken
        public var scope: String
        public var dropped: [ClaimFilter.Dropped]
    }

    /// A client-credentials access token (no user, no rules); `customClaims` come from
    /// credentials-exchange actions and are filtered like any access token's custom claims.
    public func issueClientCredentials(
        client: Client, audience: String, scope: [String], lifetime: Int, now: Double, customClaims: [String: JSONValue] = [:],
        sources: [String: String] = [:], organization: (id: String, name: String?)? = nil
    ) throws -> (token: String, dropped: [ClaimFilter.Dropped]) {
        let iat = now.rounded(.down)
        var claims: [String: JSONValue] = [
            "iss": .string(settings.effectiveIssuer), "sub": .string(client.clientId + "@clients"), "aud": .string(audience),
            "iat": .number(iat), "exp": .number(iat + Double(lifetime)), "scope": .string(scope.joined(separator: " ")),
            "gty": "client-credentials", "azp": .string(client.clientId), "jti": .string(randomHexID()),
        ]
        if let organization {
            claims["org_id"] = .string(organization.id)
            claims["org_name"] = organization.name.map(JSONValue.string)
        }
        let (kept, dropped) = filter.filter(customClaims, token: .accessToken, audience: audience, sources: sources)
        for (k, v) in kept where claims[k] == nil { claims[k] = v }
        return (try JWT.signRS256(claims: .object(claims), key: keys.current, type: "at+jwt"), dropped)
    }

    /// The same ID token with `amr: ["mfa"]`, signed again with the current key: a login whose
    /// tokens were issued before its second factor was passed.
    public func withMFA(_ token: IssuedToken, client: Client) throws -> IssuedToken {
        try withClaims(token, ["amr": ["mfa"]], client: client)
    }

    /// `c_hash` / `at_hash`: the base64url of the left half of the SHA-256 of a code or token.
    public static func halfHash(_ value: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(value.utf8)).prefix(16)))
    }

    /// The same token with more claims, signed again as it was (the current key, or the
    /// client's secret for HS256).
    public func withClaims(_ token: IssuedToken, _ added: [String: JSONValue], client: Client) throws -> IssuedToken {
        guard case .object(var claims) = token.claims, token.jwt != nil else { return token }
        for (k, v) in added { claims[k] = v }
        let jwt: String
        if token.header["alg"]?.stringValue == "HS256", let secret = client.clientSecret {
            jwt = JWT.signHS256(claims: .object(claims), secret: secret)
        } else {
            jwt = try JWT.signRS256(claims: .object(claims), key: keys.current)
        }
        return IssuedToken(jwt: jwt, header: (try? JWT.decode(jwt).header) ?? token.header, claims: .object(claims))
    }

    /// The requested scopes a login is granted: OIDC scopes, plus the API's own scopes.
    public static func grantedScopes(_ requested: [String], resourceServer: ResourceServer?) -> [String] {
        requested.filter { oidcScopes.contains($0) || (resourceServer?.scopes.contains($0) ?? false) }
    }

    public func issue(_ r: Request) throws(TokenIssueError) -> Issued {
        let now = r.now.rounded(.down)
        let iss = settings.effectiveIssuer
        var dropped: [ClaimFilter.Dropped] = []

        // ID token
        var id: [String: JSONValue] = [
            "iss": .string(iss), "sub": .string(r.user.userId), "aud": .string(r.client.clientId),
            "iat": .number(now), "exp": .number(now + Double(r.client.idTokenLifetime)),
            "auth_time": .number(r.authTime.rounded(.down)), "sid": .string(r.sessionID),
        ]
        if let nonce = r.nonce { id["nonce"] = .string(nonce) }
        if let amr = r.amr { id["amr"] = .array(amr.map(JSONValue.string)) }
        if let jti = r.jti { id["jti"] = .string(jti) }
        let scopeSet = Set(r.scopes)
        let user = r.user
        if scopeSet.contains("profile") {
            for k in ["name", "nickname", "given_name", "family_name", "picture", "updated_at", "locale"] {
                if let v = user[profileKey: k] { id[k] = v }
            }
        }
        if scopeSet.contains("email") {
            for k in ["email", "email_verified"] { if let v = user[profileKey: k] { id[k] = v } }
        }
        if scopeSet.contains("phone") {
            if let v = user[profileKey: "phone_number"] { id["phone_number"] = v }
            if let v = user[profileKey: "phone_verified"] { id["phone_number_verified"] = v }
        }
        let (idCustom, idDropped) = filter.filter(r.customIdClaims, token: .idToken, audience: r.client.clientId, sources: r.sources.id)
        dropped += idDropped
        let idSize = ClaimFilter.size(of: idCustom)
        if idSize > ClaimFilter.maximumCustomClaimBytes {
            throw .customClaimsTooLarge(token: .idToken, bytes: idSize)
        }
        id.merge(idCustom) { _, custom in custom }
        if let org = r.organization {
            id["org_id"] = .string(org.id)
            id["org_name"] = org.name.map(JSONValue.string)
        }
        if r.simulated { id[ClaimFilter.simulatedMarker] = true }

        // Access token
        let granted = r.scopeOverride ?? TokenIssuer.grantedScopes(r.scopes, resourceServer: r.resourceServer)
        let scope = granted.joined(separator: " ")
        let (atCustom, atDropped) = filter.filter(r.customAccessClaims.filter { $0.key != "scope" }, token: .accessToken, audience: r.audience, sources: r.sources.access)
        dropped += atDropped
        let atSize = ClaimFilter.size(of: atCustom)
        if atSize > ClaimFilter.maximumCustomClaimBytes {
            throw .customClaimsTooLarge(token: .accessToken, bytes: atSize)
        }

        let idToken: IssuedToken
        do {
            let claims = JSONValue.object(id)
            if r.client.idTokenAlgorithm == "HS256", let secret = r.client.clientSecret {
                idToken = IssuedToken(jwt: r.sign ? JWT.signHS256(claims: claims, secret: secret) : nil, header: ["alg": "HS256", "typ": "JWT"], claims: claims)
            } else {
                idToken = IssuedToken(jwt: r.sign ? try JWT.signRS256(claims: claims, key: keys.current) : nil, header: ["alg": "RS256", "typ": "JWT", "kid": .string(keys.current.kid)], claims: claims)
            }
        } catch {
            throw .signingFailed(token: .idToken, reason: String(describing: error))
        }

        let accessToken: IssuedToken
        if let audience = r.audience {
            var at: [String: JSONValue] = [
                "iss": .string(iss), "sub": .string(r.user.userId),
                "aud": scopeSet.contains("openid") ? .array([.string(audience), .string(iss + "userinfo")]) : .string(audience),
                "iat": .number(now), "exp": .number(now + Double(r.resourceServer?.tokenLifetime ?? 86400)),
                "azp": .string(r.client.clientId), "scope": .string(scope),
            ]
            if let permissions = r.permissions { at["permissions"] = .array(permissions.map(JSONValue.string)) }
            if let jti = r.jti { at["jti"] = .string(jti) }
            if let org = r.organization {
                at["org_id"] = .string(org.id)
                at["org_name"] = org.name.map(JSONValue.string)
            }
            if r.simulated { at[ClaimFilter.simulatedMarker] = true }
            at.merge(atCustom) { standard, _ in standard }
            let claims = JSONValue.object(at)
            do {
                accessToken = IssuedToken(
                    jwt: r.sign ? try JWT.signRS256(claims: claims, key: keys.current, type: "at+jwt") : nil,
                    header: ["alg": "RS256", "typ": "at+jwt", "kid": .string(keys.current.kid)], claims: claims)
            } catch {
                throw .signingFailed(token: .accessToken, reason: String(describing: error))
            }
        } else {
            // No API audience: a token usable only at /userinfo (its only audience). Clients treat
            // it as opaque; it is a signed JWT so the daemon needs no token table to honour it.
            var at: [String: JSONValue] = [
                "iss": .string(iss), "sub": .string(r.user.userId), "aud": .string(iss + "userinfo"),
                "iat": .number(now), "exp": .number(now + 86400), "azp": .string(r.client.clientId), "scope": .string(scope),
            ]
            if let jti = r.jti { at["jti"] = .string(jti) }
            if r.simulated { at[ClaimFilter.simulatedMarker] = true }
            let claims = JSONValue.object(at)
            do {
                let token = r.sign ? try JWT.signRS256(claims: claims, key: keys.current, type: "at+jwt") : Base64URL.encode(Array(randomHexID().utf8))
                accessToken = IssuedToken(jwt: nil, opaque: token, header: .null, claims: .object(atCustom.merging(["scope": .string(scope)]) { a, _ in a }))
            } catch {
                throw .signingFailed(token: .accessToken, reason: String(describing: error))
            }
        }
        return Issued(idToken: idToken, accessToken: accessToken, scope: scope, dropped: dropped)
    }
}

/// Why a login's tokens could not be issued.
public enum TokenIssueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The custom claims a script set weigh more than Auth0's limit (`ClaimFilter.maximumCustomClaimBytes`).
    case customClaimsTooLarge(token: ClaimFilter.Token, bytes: Int)
    case signingFailed(token: ClaimFilter.Token, reason: String)

    /// The OAuth error code a client sees: the scripts' claims are the login's fault, a signing
    /// failure the server's.
    public var code: String {
        switch self {
        case .customClaimsTooLarge: "access_denied"
        case .signingFailed: "server_error"
        }
    }

    public var description: String {
        switch self {
        case .customClaimsTooLarge(let token, let bytes):
            "Custom claims of the \(token.displayName) are \(bytes) bytes; the limit is 100 KB"
        case .signingFailed(let token, let reason):
            "signing the \(token.displayName) failed: \(reason)"
        }
    }
}
