import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The service's metrics (swift-metrics), created against an explicit factory so several
/// validators can run in one process (tests); `serve` also bootstraps the global `MetricsSystem`
/// with the same Prometheus registry. Request metrics come from `RequestMetricsMiddleware`, the
/// connection table's from `ConnectionGovernor`; specs/service.md §7 lists every metric.
public struct ValidatorMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let jobsAnnounced: CoreMetrics.Counter
    private let settlementLatency: Metrics.Timer
    private let reExecutionTime: Metrics.Timer
    private let proofCheckTime: Metrics.Timer
    private let connectionsOpen: CoreMetrics.Gauge
    private let bodyBytesInFlight: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let seconds: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.defaultDurationHistogramBuckets = seconds
        self.factory = factory
        jobsAnnounced = CoreMetrics.Counter(label: "mesh_jobs_announced_total", factory: factory)
        settlementLatency = Metrics.Timer(label: "mesh_settlement_latency_seconds", factory: factory)
        reExecutionTime = Metrics.Timer(label: "mesh_reexecution_seconds", factory: factory)
        proofCheckTime = Metrics.Timer(label: "mesh_proof_check_seconds", factory: factory)
        connectionsOpen = CoreMetrics.Gauge(label: "mesh_http_connections_open", factory: factory)
        bodyBytesInFlight = CoreMetrics.Gauge(label: "mesh_http_body_bytes_in_flight", factory: factory)
    }

    func jobAnnounced() { jobsAnnounced.increment() }

    func receipt(_ disposition: ReceiptDisposition) {
        CoreMetrics.Counter(
            label: "mesh_receipts_total", dimensions: [("disposition", disposition.rawValue)],
            factory: factory
        )
        .increment()
    }

    func rejected(_ error: ValidatorError, endpoint: String) {
        CoreMetrics.Counter(
            label: "mesh_requests_rejected_total",
            dimensions: [("endpoint", endpoint), ("code", error.code)],
            factory: factory
        ).increment()
    }

    func nodeRequest(_ kind: NodeRequestKind) {
        CoreMetrics.Counter(
            label: "mesh_node_requests_total", dimensions: [("kind", kind.rawValue)], factory: factory
        ).increment()
    }

    func settled(status: JobStatus, offences: [String], latency: Duration?) {
        CoreMetrics.Counter(
            label: "mesh_settlements_total", dimensions: [("status", status.rawValue)], factory: factory
        )
        .increment()
        for offence in offences {
            CoreMetrics.Counter(
                label: "mesh_offences_total", dimensions: [("offence", offence)], factory: factory
            ).increment()
        }
        if let latency { settlementLatency.recordNanoseconds(Self.nanos(latency)) }
    }

    func reExecution(_ d: Duration) { reExecutionTime.recordNanoseconds(Self.nanos(d)) }

    func proofCheck(_ d: Duration, valid: Bool) {
        proofCheckTime.recordNanoseconds(Self.nanos(d))
        CoreMetrics.Counter(
            label: "mesh_proof_checks_total", dimensions: [("valid", valid ? "true" : "false")],
            factory: factory
        )
        .increment()
    }

    /// One answered request: `route` is the matched route template (`unmatched` for none).
    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        CoreMetrics.Counter(label: "mesh_http_requests_total", dimensions: dimensions, factory: factory)
            .increment()
        Metrics.Timer(
            label: "mesh_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
            factory: factory
        ).recordNanoseconds(Self.nanos(duration))
    }

    func connectionClosed(_ reason: ConnectionGovernor.Closure) {
        CoreMetrics.Counter(
            label: "mesh_http_connections_closed_total", dimensions: [("reason", reason.rawValue)],
            factory: factory
        ).increment()
    }

    /// This process took the log's lease (specs/service.md §8): `mesh_cluster_leader` is 1 from
    /// now on (a process that loses the lease exits).
    func tookLease() {
        CoreMetrics.Counter(label: "mesh_cluster_takeovers_total", factory: factory).increment()
        CoreMetrics.Gauge(label: "mesh_cluster_leader", factory: factory).record(1)
    }

    /// A cluster process following the log: `mesh_cluster_leader` 0, and how many entries the
    /// last catch-up replayed.
    func following(replayed: UInt64) {
        CoreMetrics.Gauge(label: "mesh_cluster_leader", factory: factory).record(0)
        CoreMetrics.Counter(label: "mesh_cluster_followed_entries_total", factory: factory).increment(
            by: Int64(clamping: replayed))
    }

    func openConnections(_ count: Int) { connectionsOpen.record(count) }

    func bodyBytes(inFlight bytes: Int) { bodyBytesInFlight.record(bytes) }

    private static func nanos(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}
