import Hummingbird
import LoginEngine
import Metrics
import Prometheus

/// `GET /metrics`: Prometheus text format. The registry is the one `MetricsSystem` was
/// bootstrapped with (see `AuthsimServer.bootstrapMetrics`).
struct MetricsRoutes: RouteGroup {
    let registry: PrometheusCollectorRegistry
    let pipeline: LoginPipeline

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            Gauge(label: "authsim_worker_queue_depth").record(pipeline.runtime.queueDepth)
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}

extension AuthsimServer {
    /// Makes swift-metrics report into a Prometheus registry; call once per process.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Rules usually take microseconds to milliseconds; the flow limit is 20 s.
        factory.durationHistogramBuckets["authsim_rule_duration_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(20),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
