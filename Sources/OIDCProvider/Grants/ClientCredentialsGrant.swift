import Crypto
import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// The `client_credentials` grant, with the credentials-exchange hook and actions.
extension OAuthService {
    /// The grant with its tenant log event: `seccft` when it succeeds, `feccft` when it fails.
    func clientCredentialsLogged(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        do {
            let body = try await clientCredentials(r, client: client)
            await pipeline.log(TenantLogEvent(
                type: "seccft", description: "Client Credentials for Access Token", clientId: client.clientId, clientName: client.name, ip: r.ip,
                userAgent: r.userAgent, details: ["audience": .string(r["audience"] ?? tenant.settings.defaultAudience ?? "")]))
            return body
        } catch {
            await pipeline.log(TenantLogEvent(
                type: "feccft", description: error.description, clientId: client.clientId, clientName: client.name, ip: r.ip, userAgent: r.userAgent))
            throw error
        }
    }

    func clientCredentials(_ r: OAuthRequest, client: Client) async throws(OAuthError) -> JSONValue {
        guard let audience = r["audience"] ?? tenant.settings.defaultAudience else {
            throw OAuthError(403, "access_denied", "No audience parameter was provided, and no default audience has been configured")
        }
        guard let grant = tenant.clientGrant(clientId: client.clientId, audience: audience) else {
            throw OAuthError(403, "access_denied", "Client has not been granted scopes: \(audience)")
        }
        var scope = grant.scope
        if let asked = r["scope"] {
            let wanted = asked.split(separator: " ").map(String.init)
            if let missing = wanted.first(where: { !grant.scope.contains($0) }) {
                throw OAuthError(403, "access_denied", "Client has not been granted scope: \(missing)")
            }
            scope = wanted
        }
        // Machine-to-machine access in an organization: the grant's `organization_usage`, and an
        // organization that admits the grant (`allow_any_organization`, or its `client_grants`).
        var organization: Organization?
        if let ref = r["organization"] {
            guard grant.organizationUsage != "deny" else {
                throw OAuthError(400, "invalid_request", "Organization is not allowed for the client grant of \(client.name) and \(audience)")
            }
            guard let org = tenant.organization(ref), org.id == ref || tenant.organizationNamesInTokens else {
                throw OAuthError(400, "invalid_request", "the specified organization is not found")
            }
            guard org.admits(grant, client: client) else {
                throw OAuthError(403, "access_denied", "The client grant of \(client.name) for \(audience) is not associated with the organization \(org.name)")
            }
            organization = org
        } else if grant.organizationUsage == "require" {
            throw OAuthError(400, "invalid_request", "parameter organization must be provided: the client grant requires one")
        }
        let lifetime = tenant.isManagementAudience(audience)
            ? Int(tenant.settings.managementTokenLifetime) : (tenant.resourceServer(identifier: audience)?.tokenLifetime ?? 86400)
        // credentials-exchange hook and actions: custom claims (and the hook's scope), or a denial.
        let exchange: RulesRunner.TriggerOutcome
        do {
            exchange = try await pipeline.credentialsExchange(client: client, audience: audience, scopes: scope, ip: r.ip, userAgent: r.userAgent)
        } catch {
            throw OAuthError(500, "server_error", error.description)
        }
        if let denied = exchange.denied {
            throw OAuthError(exchange.deniedStatus ?? 403, denied.error == "access_denied" || denied.error.isEmpty ? "access_denied" : denied.error, denied.description)
        }
        // A credentials-exchange hook that sets `scope` gives the token exactly that scope.
        if let hookScope = exchange.scope { scope = hookScope }
        do {
            let (token, dropped) = try pipeline.issuer.issueClientCredentials(
                client: client, audience: audience, scope: scope, lifetime: lifetime, now: Timestamp.now(), customClaims: exchange.accessTokenClaims, sources: exchange.claimSources,
                organization: organization.map { ($0.id, tenant.organizationNamesInTokens ? $0.name : nil) })
            for d in dropped {
                pipeline.logger.warning("dropped claim", metadata: ["claim": .string(d.claim), "action": .string(d.setBy ?? "?"), "reason": .string(d.reason)])
            }
            pipeline.logger.info("client credentials token", metadata: ["client": .string(client.name), "audience": .string(audience)])
            return ["access_token": .string(token), "token_type": "Bearer", "expires_in": .number(Double(lifetime)), "scope": .string(scope.joined(separator: " "))]
        } catch {
            throw OAuthError(500, "server_error", "signing failed: \(error)")
        }
    }
}
