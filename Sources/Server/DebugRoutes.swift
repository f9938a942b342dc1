import AuthorTools
import Hummingbird
import JSONCore
import LoginEngine

/// `/debug/<token>/…` (only under `authsim serve --debug`): the web console's script debugger.
/// Every route needs the debugger's random token in its path (a wrong one is a plain 404) and a
/// Management API token with `simulate:logins`, like the simulation API.
///
/// - `GET  /debug/<token>/scripts`: the scripts a login can stop in (file, name, kind, source).
/// - `POST /debug/<token>/sessions` `{"request": {simulation request}, "breakpoints": ["rules/x.js:12", …]}`:
///   starts a login under the debugger (201, its state); one at a time, a new one ends the last.
/// - `GET  /debug/<token>/sessions/<id>?after=<seq>`: its state (`running`, `paused` with the
///   call stack and the top frame's scopes, `finished` with the simulation result, `failed`),
///   waiting up to 20 s for one newer than `after`.
/// - `POST /debug/<token>/sessions/<id>/commands` `{"action": …}`: resume, step, evaluate, …
/// - `DELETE /debug/<token>/sessions/<id>`: lets the login run to its end (204).
struct DebugRoutes: RouteGroup {
    let debugger: LoginDebugger
    let simulation: SimulationRoutes

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("debug/:token/scripts") { request, context -> Response in
            if let denied = guardRequest(request, context) { return denied }
            return HTTPJSON.response(["scripts": .array(debugger.scripts())])
        }
        router.post("debug/:token/sessions") { request, context -> Response in
            if let denied = guardRequest(request, context) { return denied }
            let body: JSONValue
            switch await simulation.authorizedBody(request) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            let texts = body["breakpoints"]?.arrayValue ?? []
            let breakpoints = texts.compactMap { $0.stringValue.flatMap(Breakpoint.init) }
            guard breakpoints.count == texts.count, breakpoints.count <= 200 else {
                return HTTPJSON.error(.badRequest, "breakpoints: at most 200, each \"FILE:LINE\" (rules/add-roles.js:12)", errorCode: "invalid_body")
            }
            let problems = breakpoints.compactMap { $0.problem(in: debugger.pipeline.tenant) }
            guard problems.isEmpty else { return HTTPJSON.error(.badRequest, "breakpoints: " + problems.joined(separator: "; "), errorCode: "invalid_body") }
            do {
                let simulationRequest = try SimulationRequest(json: body["request"] ?? [:])
                let session = try await debugger.begin(simulationRequest, breakpoints: breakpoints)
                return HTTPJSON.response(await session.state(), status: .created)
            } catch let error as PipelineError {
                return SimulationRoutes.failure(error)
            } catch {
                return HTTPJSON.error(.internalServerError, "could not start the debugger: \(error)", errorCode: "debugger_error")
            }
        }
        router.get("debug/:token/sessions/:id") { request, context -> Response in
            if let denied = guardRequest(request, context) { return denied }
            guard let session = session(context) else { return Self.noSession }
            let after = request.uri.queryParameters["after"].flatMap { Int(String($0)) }
            return HTTPJSON.response(await session.state(after: after))
        }
        router.post("debug/:token/sessions/:id/commands") { request, context -> Response in
            if let denied = guardRequest(request, context) { return denied }
            guard let session = session(context) else { return Self.noSession }
            switch await HTTPJSON.body(request, limit: 128 * 1024) {
            case .success(let body):
                do throws(DebugCommandError) {
                    return HTTPJSON.response(try await session.command(body))
                } catch {
                    return HTTPJSON.error(HTTPResponse.Status(code: error.status), error.description, errorCode: error.status == 409 ? "not_paused" : "invalid_command")
                }
            case .failure(let e): return e.response
            }
        }
        router.delete("debug/:token/sessions/:id") { request, context -> Response in
            if let denied = guardRequest(request, context) { return denied }
            guard let session = session(context) else { return Self.noSession }
            await session.end()
            return Response(status: .noContent)
        }
    }

    static let noSession = HTTPJSON.error(.notFound, "No such debug session (a newer one ended it, or the daemon restarted)", errorCode: "inexistent_session")

    func session(_ context: AuthsimRequestContext) -> DebugSession? {
        context.parameters.get("id").flatMap { debugger.session($0) }
    }

    /// The 404 for a wrong token (as if there were no such route), the 401/403 without a
    /// management token with the scope; nil when the request may go on.
    func guardRequest(_ request: Request, _ context: AuthsimRequestContext) -> Response? {
        guard debugger.accepts(context.parameters.get("token") ?? "") else {
            return HTTPJSON.error(.notFound, "Not found", errorCode: "not_found")
        }
        return simulation.unauthorized(request)
    }
}
