import JSONCore
import Tenant
import Tokens

/// An OAuth-style error (`error`, `error_description`).
public struct FlowError: Sendable, Equatable, Error {
    public var error: String
    public var description: String
    /// Set when the engine itself refused (not a script), for callers that answer it their own way.
    public var kind: Kind?

    /// Refusals the engine makes before any script runs.
    public enum Kind: Sendable, Equatable {
        case userBlocked
    }

    public init(_ error: String, _ description: String, kind: Kind? = nil) {
        self.error = error
        self.description = description
        self.kind = kind
    }

    /// A blocked user (`blocked: true`): Auth0 answers `unauthorized` in browser flows and
    /// `invalid_grant` at the token endpoint.
    public static let userBlocked = FlowError("unauthorized", "user is blocked", kind: .userBlocked)

    public var json: JSONValue { ["error": .string(error), "error_description": .string(description)] }
}

/// The result of one login flow, as printed by the CLI and returned by the simulation API.
public struct SimulationResult: Sendable {
    public enum Outcome: String, Sendable {
        case allowed, denied, redirect, error
    }

    public var outcome: Outcome
    public var error: FlowError?
    public var user: JSONValue
    public var idToken: IssuedToken?
    public var accessToken: IssuedToken?
    public var multifactor: JSONValue?
    /// A second factor the login still needs: an action paused for it (outcome `redirect`), or
    /// the scripts asked for it at the end (outcome `allowed`, tokens held until it is passed).
    public var mfa: MFARequirement?
    /// The organization the login was in (its id), as checked before the scripts ran.
    public var organization: String?
    /// A login that must pick its organization after the credentials (`post_login_prompt`): the
    /// user's organizations that enable the login's connection. The login has not counted yet.
    public var organizationChoice: [Organization]?
    /// What the scripts asked of the login's session (`api.session.*`).
    public var sessionChanges: LifetimeChanges?
    /// What the scripts asked of the refresh token being exchanged (`api.refreshToken.*`).
    public var refreshTokenChanges: LifetimeChanges?
    public var redirect: JSONValue?
    public var persistedAppMetadata: [String: JSONValue]
    public var persistedUserMetadata: [String: JSONValue]
    /// Whether metadata writes went to the store (false for inline profiles).
    public var metadataStored: Bool
    public var droppedClaims: [ClaimFilter.Dropped]
    /// One entry per rule that ran (see rules.md, "What the trace must show").
    public var trace: [JSONValue]
    public var warnings: [String]
    public var client: String
    public var connection: String
    public var protocolName: String
    public var durationMs: Double
    /// Id of the stored trace; issued tokens carry it as `jti`.
    public var traceId: String
    /// Which rule set each custom claim that reached the tokens.
    public var claimSources: (idToken: [String: String], accessToken: [String: String]) = ([:], [:])
    /// For a redirect: where `/continue` resumes the flow (not part of the JSON result).
    public var resume: JSONValue? = nil
    /// `json.serialized()` as the flow ended (it is also the stored trace): the simulation API
    /// answers with it instead of building and writing the document again. Set only by the
    /// flow, as its last step; nil when the trace had to be cut.
    package var serializedJSON: String? = nil

    public var json: JSONValue {
        [
            "outcome": .string(outcome.rawValue),
            "error": error?.json ?? .null,
            "user": user,
            "idToken": idToken?.json ?? .null,
            "accessToken": accessToken?.json ?? .null,
            "multifactor": multifactor ?? .null,
            "mfaRequired": mfa?.json ?? .null,
            "organization": organization.map(JSONValue.string) ?? .null,
            "redirect": redirect ?? .null,
            "persisted": [
                "app_metadata": .object(persistedAppMetadata), "user_metadata": .object(persistedUserMetadata),
                "stored": .bool(metadataStored),
            ],
            "droppedClaims": .array(droppedClaims.map(\.json)),
            "trace": .array(trace),
            // A samlp/wsfed login's response (the trace's last step): attributes, name identifier, audience.
            "saml": trace.last { $0["kind"] == "saml" }?["response"] ?? .null,
            "warnings": .array(warnings.map(JSONValue.string)),
            "client": .string(client),
            "connection": .string(connection),
            "protocol": .string(protocolName),
            "durationMs": .number((durationMs * 1000).rounded() / 1000),
            "traceId": .string(traceId),
            "claimSources": [
                "idToken": .object(claimSources.idToken.mapValues(JSONValue.string)),
                "accessToken": .object(claimSources.accessToken.mapValues(JSONValue.string)),
            ],
        ]
    }
}
