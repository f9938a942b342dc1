import Foundation
import JSONCore
import ScriptRuntime
import Synchronization

/// The tenant's own HTTP APIs (Management API, `/oauth/token`, `/userinfo`, `/dbconnections`,
/// `/passwordless`) as scripts reach them through `require('auth0')`: the daemon's routes, in
/// process, whatever domain a script names. The embedder (the daemon, the CLI, the test harness)
/// attaches it to the pipeline (`LoginPipeline.attach(api:)`).
public protocol TenantAPI: Sendable {
    func send(_ request: TenantAPIRequest) async -> TenantAPIResponse
}

public struct TenantAPIRequest: Sendable {
    public var method: String
    /// Path and query (`/api/v2/users?q=…`).
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
}

public struct TenantAPIResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How deep in script-started API calls a flow runs: a flow started by a script's call (a
/// client-credentials grant running credentials-exchange actions, a password grant running
/// rules) is one level down; a script there may call again, one more level, no further.
enum ScriptAPIDepth {
    @TaskLocal static var value = 0
    static let limit = 2
}

extension LoginPipeline {
    /// Makes `api` the one `require('auth0')` reaches from this pipeline's scripts.
    public func attach(api: any TenantAPI) { tenantAPI.withLock { $0 = api } }

    /// Host function `auth0.api`: `{method, path (with its query), body, token, managementAudience}` →
    /// `{status, body}` (the body as JSON when it is, else text). `managementAudience` puts the
    /// tenant's own Management API audience in the body (a script's client-credentials grant
    /// names the real tenant's, which is authsim's here).
    @Sendable static func callTenantAPI(_ json: String, _ environment: JobEnvironment) async throws -> String {
        guard let flow = environment as? FlowEnvironment, let api = flow.tenantAPI else {
            throw FlowError("server_error", "require('auth0') calls the tenant's own APIs, which nothing serves in this run")
        }
        guard flow.apiDepth < ScriptAPIDepth.limit else {
            throw FlowError(
                "server_error", "a script called the tenant's API from a flow that a script's API call started, \(ScriptAPIDepth.limit) levels deep: refused (a loop of logins?)")
        }
        let args = try JSONValue.parse(json)
        guard let method = args["method"]?.stringValue, ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(method),
            let path = args["path"]?.stringValue, path.hasPrefix("/")
        else { throw FlowError("invalid_request", "auth0: a request needs a method and a path") }
        // No `.`/`..` segment (encoded or not) may move the path to another route.
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard !route.split(separator: "/").contains(where: { ["." , ".."].contains(String($0).removingPercentEncoding ?? String($0)) }) else {
            throw FlowError("invalid_request", "auth0: \(route) has a '.' or '..' segment")
        }
        guard ["/api/v2/", "/oauth/token", "/userinfo", "/dbconnections/", "/passwordless/"].contains(where: { route.hasPrefix($0) }) else {
            throw FlowError("invalid_request", "auth0: \(route) is not one of the tenant's APIs")
        }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token = args["token"]?.stringValue, !token.isEmpty { headers.append(("Authorization", "Bearer " + token)) }
        var body: [UInt8]?
        if var b = args["body"], !b.isNull {
            if args["managementAudience"]?.boolValue == true, case .object(var o) = b {
                o["audience"] = .string(flow.managementAudience)
                b = .object(o)
            }
            body = Array(b.serialized().utf8)
            headers.append(("Content-Type", "application/json"))
        }
        let request = TenantAPIRequest(method: method, path: path, headers: headers, body: body)
        let response = await ScriptAPIDepth.$value.withValue(flow.apiDepth + 1) { await api.send(request) }
        let text = String(decoding: response.body, as: UTF8.self)
        let parsed = (try? JSONValue.parse(text)) ?? .string(text)
        return JSONValue.object(["status": .number(Double(response.status)), "body": parsed]).serialized()
    }
}
