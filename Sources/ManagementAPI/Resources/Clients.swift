import Directory
import Foundation
import JSONCore
import LoginEngine
import Tenant
import Tokens

/// `/api/v2/clients` (read-only: clients come from the tenant).
extension ManagementService {
    func clientJSON(_ c: Client) -> JSONValue {
        [
            "client_id": .string(c.clientId), "name": .string(c.name), "app_type": .string(c.appType),
            "callbacks": .array(c.callbacks.map(JSONValue.string)), "allowed_logout_urls": .array(c.allowedLogoutURLs.map(JSONValue.string)),
            "grant_types": .array(c.allowedGrantTypes.map(JSONValue.string)), "client_metadata": .object(c.clientMetadata.mapValues(JSONValue.string)),
            "jwt_configuration": ["lifetime_in_seconds": .number(Double(c.idTokenLifetime)), "alg": .string(c.idTokenAlgorithm)],
            "token_endpoint_auth_method": .string(c.tokenEndpointAuthMethod), "is_first_party": .bool(c.isFirstParty),
        ]
    }

    public func listClients() -> JSONValue { .array(tenant.clients.map(clientJSON)) }

    public func getClient(_ id: String) throws(ManagementError) -> JSONValue {
        guard let c = tenant.clients.first(where: { $0.clientId == id }) else { throw ManagementError(404, "The client does not exist", "inexistent_client") }
        return clientJSON(c)
    }
}
