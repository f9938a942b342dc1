import Hummingbird
import JSONCore
import LoginEngine
import NIOCore

/// `GET /healthz`: liveness plus what is loaded.
struct HealthRoutes: RouteGroup {
    let pipeline: LoginPipeline

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("healthz") { _, _ -> Response in
            if let problem = pipeline.store.storageProblem() {
                return HTTPJSON.response(["status": "unhealthy", "problem": .string(problem.description), "tenant": .string(pipeline.tenant.name)], status: .serviceUnavailable)
            }
            return HTTPJSON.response([
                "status": "ok", "tenant": .string(pipeline.tenant.name), "revision": .string(pipeline.tenant.revision),
                "rules": .number(Double(pipeline.rulesRunner.rules.count)),
                "workers": .number(Double(pipeline.runtime.configuration.workers)),
                "queueDepth": .number(Double(pipeline.runtime.queueDepth)),
                // Workers written off because a script kept them past its deadline (replaced).
                "lostWorkers": .number(Double(pipeline.runtime.lostWorkers)),
            ])
        }
    }
}

/// `GET /api/authsim/openapi.yaml`: the OpenAPI 3 description of the Management API subset and
/// the simulation API (what the schemathesis fuzz in `make test` runs against). No token needed.
struct OpenAPIRoutes: RouteGroup {
    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("api/authsim/openapi.yaml") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
        }
    }
}

/// `GET /.well-known/jwks.json`: current and previous public keys.
struct WellKnownRoutes: RouteGroup {
    let pipeline: LoginPipeline

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get(".well-known/jwks.json") { _, _ -> Response in
            HTTPJSON.response(pipeline.issuer.keys.jwks)
        }
    }
}
