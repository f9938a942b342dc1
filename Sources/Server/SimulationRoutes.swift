import Hummingbird
import JSONCore
import Pipeline

/// `POST /api/authsim/simulate`: the same simulation request and result as
/// `authsim simulate --request FILE --json`, for a Management API token with `simulate:logins`.
struct SimulationRoutes: Sendable {
    static let scope = "simulate:logins"
    let pipeline: LoginPipeline
    let maximumBodySize: Int

    func register(on router: Router<BasicRequestContext>) {
        router.post("api/authsim/simulate") { request, _ -> Response in
            do {
                _ = try pipeline.managementTokenVerifier.verify(authorizationHeader: request.headers[.authorization], requiredScope: Self.scope)
            } catch let failure as AccessTokenVerifier.Failure {
                return HTTPJSON.error(HTTPResponse.Status(code: failure.status), failure.message, errorCode: failure.errorCode)
            }
            let body: JSONValue
            switch await HTTPJSON.body(request, limit: maximumBodySize) {
            case .success(let b): body = b
            case .failure(let e): return e.response
            }
            do {
                let simulation = try SimulationRequest(json: body)
                return HTTPJSON.response(try await pipeline.simulate(simulation).json)
            } catch let error as PipelineError {
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
    }
}
