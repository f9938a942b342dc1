import Hummingbird
import LoginEngine
import Metrics
import Prometheus
import ScriptRuntime
import Synchronization

/// `GET /metrics`: Prometheus text format. The registry is the one `MetricsSystem` was
/// bootstrapped with (see `AuthsimServer.bootstrapMetrics`).
struct MetricsRoutes: RouteGroup {
    let registry: PrometheusCollectorRegistry
    let pipeline: LoginPipeline
    /// The pipeline's script statistics (the sum over its runtimes, `LoginPipeline.scriptStatistics`)
    /// at the last scrape: each scrape adds what their workers did since.
    let reported = Reported()

    final class Reported: Sendable {
        let statistics = Mutex(RuntimeStatistics())
    }

    func register(on router: some RouterMethods<AuthsimRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            Gauge(label: "authsim_worker_queue_depth").record(pipeline.runtime.queueDepth)
            reportScriptStatistics()
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    /// The script runtimes' job count and worker time as counters. Read under the lock, so that
    /// concurrent scrapes add each stretch once.
    func reportScriptStatistics() {
        let (jobs, worker, putBack) = reported.statistics.withLock { last in
            let now = pipeline.scriptStatistics
            defer { last = now }
            return (max(0, now.jobs - last.jobs), max(0, now.workerSeconds - last.workerSeconds), max(0, now.putBackSeconds - last.putBackSeconds))
        }
        Counter(label: "authsim_script_jobs_total").increment(by: jobs)
        FloatingPointCounter(label: "authsim_script_worker_seconds_total").increment(by: worker)
        FloatingPointCounter(label: "authsim_script_putback_seconds_total").increment(by: putBack)
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
