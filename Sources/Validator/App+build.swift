import Foundation
import Hummingbird
import Karma
import Logging
import NIOCore
import Receipts
import ServiceLifecycle

/// Everything the service is wired from; `ValidatorDependencies.open(config:)` builds the
/// production set, tests substitute their own.
public struct ValidatorDependencies: Sendable {
    public var repository: any JobRepository
    public var karma: any KarmaLedger
    public var executor: any ShardExecutor
    public var proofs: any ProofChecker
    public var validatorKey: SchnorrSigningKey
    /// This process's part in a cluster on PostgreSQL (specs/service.md §8); `nil` alone.
    public var cluster: ClusterMembership?

    public init(
        repository: any JobRepository, karma: any KarmaLedger, executor: any ShardExecutor,
        proofs: any ProofChecker,
        validatorKey: SchnorrSigningKey, cluster: ClusterMembership? = nil
    ) {
        self.cluster = cluster
        self.repository = repository
        self.karma = karma
        self.executor = executor
        self.proofs = proofs
        self.validatorKey = validatorKey
    }
}

/// Builds the router: every controller's endpoints behind the request metrics, the body memory
/// budget and the JSON error middleware (outermost first).
public func buildRouter(core: ValidatorCore, limits: ValidatorConfig.Limits) -> Router<
    ValidatorRequestContext
> {
    let router = Router(context: ValidatorRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: core.metrics))
    router.add(
        middleware: BodyBudgetMiddleware(
            budget: BodyBudget(capacity: limits.maxBodyMemoryInFlight, metrics: core.metrics)))
    router.add(middleware: JSONErrorMiddleware(metrics: core.metrics))
    router.add(middleware: RequestShapeMiddleware())
    router.addRoutes(JobsController(core: core, limits: limits).endpoints)
    router.addRoutes(NodesController(core: core, limits: limits).endpoints)
    router.addRoutes(LogController(core: core).endpoints)
    router.addRoutes(OpsController(core: core).endpoints)
    router.addRoutes(ExplorerController(core: core).endpoints)
    router.addRoutes(ConsoleController().endpoints)
    return router
}

/// Builds the validator core from its dependencies and configuration.
public func buildCore(
    config: ValidatorConfig, dependencies: ValidatorDependencies,
    metrics: ValidatorMetrics = ValidatorMetrics(),
    logger: Logger, nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
) throws(ValidatorConfig.Problem) -> ValidatorCore {
    if let checker = dependencies.proofs as? CircuitProofChecker {
        for entry in checker.registry.entries.values.sorted(by: { $0.circuit.name < $1.circuit.name }) {
            logger.info(
                "circuit registered",
                metadata: ["name": "\(entry.circuit.name)", "id": "\(entry.id.hex)", "layers": "[0, 1)"])
        }
        for reason in checker.registry.skipped { logger.warning("circuit not registered: \(reason)") }
    }
    let auditKey: VRFSecretKey
    do { auditKey = try VRFSecretKey(dependencies.validatorKey) } catch {
        throw ValidatorConfig.Problem("the identity key cannot make audit draws: \(error)")
    }
    return ValidatorCore(
        repository: dependencies.repository, karma: dependencies.karma, executor: dependencies.executor,
        proofs: dependencies.proofs, validatorKey: dependencies.validatorKey.publicKey,
        orchestrators: try config.orchestratorKeys(), mode: config.settlement.mode, metrics: metrics,
        logger: logger,
        events: EventHub(
            capacity: config.connections.eventStreamCap,
            maxStreamDuration: .milliseconds(Int64(config.connections.eventStreamMaxMs))),
        settlementParallelism: config.settlement.computeThreads, reExecute: config.settlement.reExecute,
        auditPPM: UInt32(clamping: config.settlement.auditPPM), auditKey: auditKey,
        cluster: dependencies.cluster,
        nowMs: nowMs)
}

/// Builds the HTTP application with the settlement service attached (specs/service.md §2; in a
/// cluster, the ``ClusterService`` that runs it while this process leads, §8), its
/// connections under a `ConnectionGovernor` sized to the process's descriptor limit.
///
/// - Parameter onServerRunning: called with the bound port once the server listens (port 0 in
///   the config picks a free one).
public func buildApplication(
    core: ValidatorCore, config: ValidatorConfig, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let governor = ConnectionGovernor(
        policy: config.connections.policy, descriptorLimit: ConnectionGovernor.currentDescriptorLimit(),
        metrics: core.metrics)
    logger.info(
        "connection cap",
        metadata: [
            "capacity": "\(governor.capacity)", "configured": "\(config.connections.maxConnections)",
        ])
    var app = Application(
        router: buildRouter(core: core, limits: config.limits),
        server: .governedHTTP1(governor: governor),
        configuration: .init(
            address: .hostname(config.listen.host, port: config.listen.port), serverName: "mesh-validator",
            backlog: 1024),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
    let sweepInterval = Duration.milliseconds(config.settlement.sweepIntervalMs)
    if let cluster = core.cluster {
        app.addServices(
            ClusterService(core: core, membership: cluster, sweepInterval: sweepInterval, logger: logger))
    } else {
        app.addServices(SettlementService(core: core, sweepInterval: sweepInterval))
    }
    return app
}
