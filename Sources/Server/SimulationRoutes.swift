import AuthorTools
import Foundation
import Hummingbird
import JSONCore
import LoginEngine
import ManagementAPI
import Tokens

/// `POST /api/authsim/simulate`: the same simulation request and result as
/// `authsim simulate --request FILE --json`, for a Management API token with `simulate:logins`.
struct SimulationRoutes: RouteGroup {
    static let scope = "simulate:logins"
    let pipeline: LoginPipeline
    let maximumBodySize: Int
    /// Debug mode: `"coverage": true` in a simulation request needs it.
    var debugger: LoginDebugger? = nil

    /// The error response when the request lacks a token with the scope, else nil.
    func unauthorized(_ request: Request, scope: String = Self.scope) -> Response? {
        do {
            // As the Management API checks it: a client's token with the scope (a user's token never).
            _ = try ManagementService(pipeline: pipeline).authorize(request.headers[.authorization], anyOf: [scope])
            return nil
        } catch {
            return HTTPJSON.error(HTTPResponse.Status(code: error.status), error.message, errorCode: error.errorCode)
        }
    }

    /// The JSON body of a request whose token has the scope; the failure is the response to send.
    func authorizedBody(_ request: Request) async -> Result<JSONValue, HTTPJSON.ErrorResponse> {
        if let denied = unauthorized(request) { return .failure(HTTPJSON.ErrorResponse(response: denied)) }
        return await HTTPJSON.body(request, limit: maximumBodySize)
    }

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("api/authsim/traces/:id") { request, context -> Response in
            if let denied = unauthorized(request) { return denied }
            let id = context.parameters.get("id") ?? ""
            do {
                guard let text = try await pipeline.store.trace(id: id) else {
                    return HTTPJSON.error(.notFound, "No trace with id \(id)", errorCode: "inexistent_trace")
                }
                return HTTPJSON.response(try JSONValue.parse(text))
            } catch {
                return HTTPJSON.error(.internalServerError, String(describing: error), errorCode: "store_error")
            }
        }
        // The console's token inspector: {"token": JWT} → decoded, verified against this
        // daemon's JWKS, and explained from its stored trace when it came from here.
        router.post("api/authsim/tokens/inspect") { request, _ -> Response in
            let body: JSONValue
            switch await authorizedBody(request) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            guard let token = body["token"]?.stringValue else {
                return HTTPJSON.error(.badRequest, "expected {\"token\": \"<JWT>\"}", errorCode: "invalid_body")
            }
            do {
                return HTTPJSON.response(try await pipeline.inspectToken(token).json)
            } catch {
                return HTTPJSON.error(.badRequest, "Not a JWT: \(error)", errorCode: "invalid_token")
            }
        }
        // "Try" for custom-database scripts: {"args": [...]} → {error, result, trace}.
        // The scripts may write the legacy database: this needs update:users besides the simulation scope.
        router.post("api/authsim/connections/:connection/scripts/:script") { request, context -> Response in
            if let denied = unauthorized(request, scope: "update:users") { return denied }
            let body: JSONValue
            switch await authorizedBody(request) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            guard let args = body["args"]?.arrayValue else {
                return HTTPJSON.error(.badRequest, "expected {\"args\": [the script's arguments before its callback]}", errorCode: "invalid_body")
            }
            let connection = context.parameters.get("connection").flatMap { $0.removingPercentEncoding } ?? ""
            do {
                return HTTPJSON.response(try await pipeline.tryConnectionScript(connection: connection, script: context.parameters.get("script") ?? "", args: args).json)
            } catch let error as PipelineError {
                return Self.failure(error)
            }
        }
        // The code /passwordless/start sent (there is no mail or SMS here): ?email= or ?phone_number=, optional connection.
        router.get("api/authsim/passwordless/code") { request, _ -> Response in
            if let denied = unauthorized(request) { return denied }
            let q = request.uri.queryParameters
            guard let identifier = (q["email"] ?? q["phone_number"]).map(String.init) else {
                return HTTPJSON.error(.badRequest, "give ?email= or ?phone_number=", errorCode: "invalid_query_string")
            }
            let passwordlessConnections = pipeline.tenant.connections.filter { ["email", "sms"].contains($0.strategy) }.map(\.name)
            let candidates = q["connection"].map { [String($0)] } ?? passwordlessConnections
            guard let code = await pipeline.passwordless.current(connections: candidates, identifier: identifier) else {
                return HTTPJSON.error(.notFound, "No current passwordless code for \(identifier)", errorCode: "inexistent_code")
            }
            return HTTPJSON.response([
                "code": .string(code.code), "connection": .string(code.connection), "identifier": .string(code.identifier),
                "client_id": .string(code.clientId), "expires_at": .string(Timestamp.format(code.expires)),
            ])
        }
        // The latest second-factor code sent by email or SMS to a user (there is no mail or SMS here).
        router.get("api/authsim/mfa/code") { request, _ -> Response in
            if let denied = unauthorized(request) { return denied }
            guard let userId = request.uri.queryParameters["user_id"].map(String.init) else {
                return HTTPJSON.error(.badRequest, "give ?user_id=", errorCode: "invalid_query_string")
            }
            guard let code = (try? await pipeline.pendingOOBCodes(userId: userId))?.last else {
                return HTTPJSON.error(.notFound, "No second-factor code is pending for \(userId)", errorCode: "inexistent_code")
            }
            return HTTPJSON.response([
                "code": .string(code.code), "channel": .string(code.channel), "to": .string(code.to), "authenticator_id": .string(code.authenticatorId),
                "expires_at": .string(Timestamp.format(code.expires)),
            ])
        }
        router.post("api/authsim/simulate") { request, _ -> Response in
            let body: JSONValue
            switch await authorizedBody(request) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            // "coverage": true (debug mode) adds which lines of each tenant script the login ran.
            var fields = body.objectValue ?? [:]
            let coverage = fields.removeValue(forKey: "coverage")
            if let coverage, coverage.boolValue == nil {
                return HTTPJSON.error(.badRequest, "coverage: expected true or false", errorCode: "invalid_body")
            }
            do {
                let simulation = try SimulationRequest(json: body.objectValue == nil ? body : .object(fields))
                if coverage?.boolValue == true {
                    guard let debugger else {
                        return HTTPJSON.error(.badRequest, "coverage needs debug mode: start the daemon with authsim serve --debug", errorCode: "debug_mode_off")
                    }
                    let (result, lines) = try await debugger.simulateWithCoverage(simulation)
                    var json = result.json.objectValue ?? [:]
                    json["coverage"] = .array(lines.map(\.json))
                    return HTTPJSON.response(.object(json))
                }
                let result = try await pipeline.simulate(simulation)
                return result.serializedJSON.map { HTTPJSON.response(serialized: $0) } ?? HTTPJSON.response(result.json)
            } catch let error as PipelineError {
                return Self.failure(error)
            } catch let error as DebuggerBusy {
                return HTTPJSON.error(.conflict, error.description, errorCode: "debugger_busy")
            } catch {
                return HTTPJSON.error(.internalServerError, "coverage could not be recorded: \(error)", errorCode: "debugger_error")
            }
        }
        // The Rules → Actions comparison: {"rules": [names], "actions": [names], "request": {simulation request}}.
        router.post("api/authsim/compare") { request, _ -> Response in
            let body: JSONValue
            switch await authorizedBody(request) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            guard let rules = body["rules"]?.arrayValue?.compactMap(\.stringValue), let actions = body["actions"]?.arrayValue?.compactMap(\.stringValue),
                let inner = body["request"]
            else {
                return HTTPJSON.error(.badRequest, "expected {\"rules\": [names], \"actions\": [names], \"request\": {simulation request}}", errorCode: "invalid_body")
            }
            do {
                let simulation = try SimulationRequest(json: inner)
                return HTTPJSON.response(try await pipeline.compare(simulation, rules: rules, actions: actions).json)
            } catch let error as PipelineError {
                return Self.failure(error)
            }
        }
    }

    static func failure(_ error: PipelineError) -> Response {
        switch error {
        case .invalidRequest, .userNotFound, .unknownClient, .unknownConnection:
            return HTTPJSON.error(.badRequest, error.description, errorCode: "invalid_body")
        case .script(let file, let line, let message):
            return HTTPJSON.error(.unprocessableContent, "\(file)\(line.map { ":\($0)" } ?? ""): \(message)", errorCode: "script_error")
        case .store(let message):
            return HTTPJSON.error(.internalServerError, message, errorCode: "store_error")
        }
    }
}
