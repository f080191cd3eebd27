import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// Entry points for running the service: `serve` (the operator's long-running process, stopped by
/// SIGTERM/SIGINT) and `RunningValidator` (an in-process server the demo and tests start and stop).
public enum ValidatorServer {
    /// Process-wide bootstraps can happen once; `serve` does them.
    private static let bootstrapped = Mutex(false)

    /// Bootstraps swift-log (stderr, `level`) and swift-metrics (Prometheus, `registry`) for the
    /// process. Later calls do nothing.
    public static func bootstrapProcess(level: Logger.Level, registry: PrometheusCollectorRegistry) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Runs the validator described by the configuration file at `configPath` until SIGTERM or
    /// SIGINT, then shuts down gracefully: the listener closes, in-flight requests (and their
    /// durable appends) finish, the settlement in progress completes.
    ///
    /// - Parameter ready: called with the bound port once the server listens.
    public static func serve(
        config: ValidatorConfig, dependencies: ValidatorDependencies, ready: @escaping @Sendable (Int) -> Void
    ) async throws {
        try config.check()
        let level = try config.level()
        ConnectionGovernor.raiseDescriptorLimit()
        let metrics = ValidatorMetrics()
        bootstrapProcess(level: level, registry: metrics.registry)
        var base = Logger(label: "mesh-validator")
        base.logLevel = level
        let logger = base
        let core = try buildCore(config: config, dependencies: dependencies, metrics: metrics, logger: logger)
        let checkpointKey = try await core.karma.checkpointKey()
        logger.notice("checkpoint key", metadata: ["vkey": "\(checkpointKey)"])
        let app = buildApplication(core: core, config: config, logger: logger) { port in
            logger.notice("listening", metadata: ["host": "\(config.listen.host)", "port": "\(port)"])
            ready(port)
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("stopped cleanly")
    }
}

/// A validator running inside this process on its own task, for the demo, tests and benchmarks.
public final class RunningValidator: Sendable {
    /// The bound TCP port.
    public let port: Int
    public let core: ValidatorCore
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, core: ValidatorCore, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.core = core
        self.group = group
        self.task = task
    }

    /// Starts the server with a standard-error logger at `logLevel` (trace … critical).
    public static func start(
        config: ValidatorConfig, dependencies: ValidatorDependencies, logLevel: String
    ) async throws -> RunningValidator {
        var logger = Logger(label: "mesh-validator") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        return try await start(config: config, dependencies: dependencies, logger: logger)
    }

    /// Starts the server and returns once it listens.
    public static func start(
        config: ValidatorConfig, dependencies: ValidatorDependencies, logger: Logger,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) async throws -> RunningValidator {
        let core = try buildCore(config: config, dependencies: dependencies, logger: logger, nowMs: nowMs)
        let (ports, portInput) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(core: core, config: config, logger: logger) { port in
            portInput.yield(port)
            portInput.finish()
        }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { portInput.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw ValidatorError.unavailable("the server stopped before listening")
        }
        return RunningValidator(port: port, core: core, group: group, task: task)
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests and the settlement in
    /// progress, then return.
    public func shutdown() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Waits until the server stops by itself, rethrowing why (in a cluster, ``LeadershipLost``).
    public func stopped() async throws { try await task.value }
}
