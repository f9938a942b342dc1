import Hummingbird
import JSONCore
import Pipeline

/// `GET /healthz`: liveness plus what is loaded.
struct HealthRoutes: Sendable {
    let pipeline: LoginPipeline

    func register(on router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ -> Response in
            HTTPJSON.response([
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

/// `GET /.well-known/jwks.json`: current and previous public keys.
struct WellKnownRoutes: Sendable {
    let pipeline: LoginPipeline

    func register(on router: Router<BasicRequestContext>) {
        router.get(".well-known/jwks.json") { _, _ -> Response in
            HTTPJSON.response(pipeline.issuer.keys.jwks)
        }
    }
}
