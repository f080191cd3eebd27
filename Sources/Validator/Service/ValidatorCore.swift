import Crypto
import Foundation
import Karma
import Logging
import Receipts
import Synchronization

/// The validator's request logic, independent of HTTP: announce jobs, take receipts, settle, and
/// answer queries (specs/service.md §3–4). Controllers are thin wrappers around it.
public final class ValidatorCore: Sendable {
    public let repository: any JobRepository
    public let karma: any KarmaLedger
    public let executor: any ShardExecutor
    public let metrics: ValidatorMetrics
    public let validatorKey: XOnlyPublicKey
    /// Settlements and checkpoints as they happen, for `GET /v1/events`.
    public let events: EventHub
    let orchestrators: Set<XOnlyPublicKey>
    let settler: Settler
    let logger: Logger
    let nowMs: @Sendable () -> UInt64
    let mode: ValidatorConfig.Settlement.Mode
    /// This process's part in a cluster on PostgreSQL (specs/service.md §8); `nil` alone on SQLite.
    public let cluster: ClusterMembership?
    /// What this process is in its cluster; set by ``ClusterService``.
    private let roleState: Mutex<ClusterRole>

    /// Jobs waiting for the settlement loop, with the instant they became ready, and the ids of
    /// every job queued or being settled by either lane (a job is queued once until its
    /// settlement ends, so a sweep never hands a job in the compute lane to the loop again).
    private let queue = Mutex<(items: [(Digest32, ContinuousClock.Instant)], ids: Set<Digest32>)>(([], []))
    /// Wakes the settlement loop; finished to stop it.
    private let wake: AsyncStream<Void>
    private let wakeInput: AsyncStream<Void>.Continuation
    /// Jobs the settlement loop left to the compute lane (re-executions, proof checks, audits).
    private let computeQueue = Mutex<[Settler.Deferred]>([])
    private let computeWake: AsyncStream<Void>
    private let computeWakeInput: AsyncStream<Void>.Continuation
    /// Set by ``stopSettlementLoop()``: the compute lane ends after its batch in progress.
    private let stopping = Mutex(false)
    /// Sweeps so far (see `sweep()`).
    private let sweeps = Mutex(0)
    /// When the last checkpoint was signed by a sweep (`nowMs`), for the checkpoint interval.
    private let lastCheckpointMs = Mutex<UInt64?>(nil)
    /// How often sweeps sign a checkpoint of the grown log (specs/service.md §4.6).
    static let checkpointIntervalMs: UInt64 = 1_000
    static let completeScanEvery = 50
    /// Most jobs settled together (one freeze, one ledger append, one finish).
    static let maxSettlementBatch = 256

    /// - Parameters:
    ///   - reExecute, auditPPM, auditKey: the settlement policy for unanimous jobs and, for
    ///     `audited`, the operator's probability and the key of the verifiable draw (§4.1).
    ///   - settlementParallelism: jobs of a settlement batch planned at once (the compute pool
    ///     bounds the kernel runs among them; specs/service.md §2.3).
    ///   - nowMs: wall clock in Unix milliseconds (injectable for tests of deadlines).
    public init(
        repository: any JobRepository, karma: any KarmaLedger, executor: any ShardExecutor,
        proofs: any ProofChecker, validatorKey: XOnlyPublicKey, orchestrators: Set<XOnlyPublicKey>,
        mode: ValidatorConfig.Settlement.Mode, metrics: ValidatorMetrics, logger: Logger,
        events: EventHub = EventHub(), settlementParallelism: Int = 1,
        reExecute: ValidatorConfig.Settlement.ReExecute = .always, auditPPM: UInt32 = AuditRule.floorPPM,
        auditKey: VRFSecretKey? = nil, cluster: ClusterMembership? = nil,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) {
        self.cluster = cluster
        roleState = Mutex(
            cluster == nil ? .single : cluster?.initialToken != nil ? .leader : .follower(leader: nil))
        self.events = events
        self.repository = repository
        self.karma = karma
        self.executor = executor
        self.metrics = metrics
        self.validatorKey = validatorKey
        self.orchestrators = orchestrators
        self.logger = logger
        self.nowMs = nowMs
        self.mode = mode
        settler = Settler(
            repository: repository, executor: executor, proofs: proofs, karma: karma,
            validatorKey: validatorKey,
            mode: mode, policy: reExecute, auditPPM: auditPPM, auditKey: auditKey,
            parallelism: max(1, settlementParallelism), metrics: metrics, logger: logger, events: events,
            nowMs: nowMs)
        (wake, wakeInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (computeWake, computeWakeInput) = AsyncStream.makeStream(
            of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// What this process is in its cluster (`single` without one).
    public var role: ClusterRole { roleState.withLock { $0 } }

    func setRole(_ role: ClusterRole) { roleState.withLock { $0 = role } }

    /// Throws `.notLeader` unless this process may write the log (it leads, or is alone).
    private func requireLeader() throws(ValidatorError) {
        if case .follower(let leader) = role { throw .notLeader(leader: leader) }
    }

    /// Unix time in milliseconds from the system clock.
    @Sendable public static func systemNowMs() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    // MARK: Jobs

    /// Verifies and stores a job announcement (idempotent for the identical announcement).
    public func announce(_ submission: JobSubmission) async throws(ValidatorError) -> JobAck {
        let signed = submission.signed
        let a = signed.announcement
        guard orchestrators.contains(a.orchestrator) else { throw .unknownOrchestrator(a.orchestrator.hex) }
        guard signed.isValid else { throw .invalidSignature("job announcement \(a.jobID.hex)") }
        guard executor.canExecute(modelID: a.modelID, layers: a.layers) else {
            throw .unknownModel("\(a.modelID.hex) layers [\(a.layerStart), \(a.layerEnd))")
        }
        if let input = submission.input {
            let got = try executor.commitment(ofTensor: input)
            guard got == a.inputCommitment else {
                throw .commitmentMismatch(what: "the input tensor", got: got.hex, want: a.inputCommitment.hex)
            }
        }
        let created = try await repository.insertJob(signed, input: submission.input, nowMs: nowMs())
        if created { metrics.jobAnnounced() }
        return JobAck(
            status: created ? "created" : "duplicate", jobId: a.jobID.hex, announcementDigest: a.digest.hex)
    }

    /// The public view of a job.
    public func view(of id: Digest32) async throws(ValidatorError) -> JobView {
        guard let job = try await repository.job(id) else { throw .unknownJob(id.hex) }
        let receipts = try await repository.receipts(of: id)
        let a = job.announcement
        return JobView(
            jobId: a.jobID.hex, status: job.status, modelId: a.modelID.hex,
            layers: [a.layerStart, a.layerEnd],
            inputCommitment: a.inputCommitment.hex, nodes: a.nodes.map(\.hex),
            orchestrator: a.orchestrator.hex,
            deadlineMs: a.deadlineMs, slaMs: a.slaMs, hasInput: job.hasInput,
            receipts: receipts.map {
                .init(
                    node: $0.signed.receipt.node.hex,
                    outputCommitment: $0.signed.receipt.outputCommitment.hex,
                    receiptDigest: $0.digest.hex, receivedAtMs: $0.receivedMs, hasProof: $0.proof != nil)
            },
            settlement: job.settlement)
    }

    // MARK: Receipts

    /// Verifies a receipt against its job and stores it durably before returning
    /// (specs/service.md §4.3). Triggers settlement when every assigned node has reported.
    public func submit(_ submission: ReceiptSubmission) async throws(ValidatorError) -> ReceiptAck {
        let signed = submission.signed
        let r = signed.receipt
        guard let job = try await repository.announcement(r.jobID) else { throw .unknownJob(r.jobID.hex) }
        let a = job.announcement
        guard a.nodes.contains(r.node) else { throw .nodeNotAssigned(node: r.node.hex, job: r.jobID.hex) }
        guard r.modelID == a.modelID else {
            throw .receiptMismatch(field: "modelId", got: r.modelID.hex, want: a.modelID.hex)
        }
        guard r.layerStart == a.layerStart, r.layerEnd == a.layerEnd else {
            throw .receiptMismatch(
                field: "layers", got: "[\(r.layerStart), \(r.layerEnd))",
                want: "[\(a.layerStart), \(a.layerEnd))")
        }
        guard r.inputCommitment == a.inputCommitment else {
            throw .receiptMismatch(
                field: "inputCommitment", got: r.inputCommitment.hex, want: a.inputCommitment.hex)
        }
        guard case .valid = signed.verify() else { throw .invalidSignature("receipt for job \(r.jobID.hex)") }
        let outputCommitment = try executor.commitment(ofTensor: submission.output)
        guard outputCommitment == r.outputCommitment else {
            throw .commitmentMismatch(
                what: "the output tensor", got: outputCommitment.hex, want: r.outputCommitment.hex)
        }
        if let input = submission.input {
            let got = try executor.commitment(ofTensor: input)
            guard got == a.inputCommitment else {
                throw .commitmentMismatch(what: "the input tensor", got: got.hex, want: a.inputCommitment.hex)
            }
        }
        // Rule 6: an attached proof needs proofRef = SHA-256(proof); a null proofRef is not equal.
        if let proof = submission.proof {
            let got = Digest32.sha256(proof)
            guard got == r.proofRef else {
                throw .proofRefMismatch(got: got.hex, want: r.proofRef?.hex ?? "null")
            }
        }
        let digest = r.digest
        let result = try await repository.store(
            ReceiptToStore(
                signed: signed, digest: digest, output: submission.output, input: submission.input,
                proof: submission.proof, receivedMs: nowMs()))
        metrics.receipt(result.disposition)
        if result.nodesReported >= a.nodes.count, result.disposition != .duplicate {
            enqueue(r.jobID)
        }
        return ReceiptAck(
            status: result.disposition, jobId: r.jobID.hex, receiptDigest: digest.hex,
            nodesReported: result.nodesReported, quorum: a.nodes.count)
    }

    /// Takes every submission of a batch as `submit` would, concurrently (their durable writes
    /// share group commits), and returns one result per item, in order. An item that failed to
    /// parse keeps its error.
    public func submit(batch: [Result<ReceiptSubmission, ValidatorError>]) async -> [Result<
        ReceiptAck, ValidatorError
    >] {
        await withTaskGroup(of: (Int, Result<ReceiptAck, ValidatorError>).self) { group in
            for (i, item) in batch.enumerated() {
                group.addTask { (i, await self.outcome(of: item)) }
            }
            var results = [Result<ReceiptAck, ValidatorError>](
                repeating: .failure(.internalFailure("batch item without a result")), count: batch.count)
            for await (i, result) in group { results[i] = result }
            return results
        }
    }

    /// `submit` of one batch item, as a result.
    private func outcome(of item: Result<ReceiptSubmission, ValidatorError>) async -> Result<
        ReceiptAck, ValidatorError
    > {
        switch item {
        case .failure(let error): return .failure(error)
        case .success(let submission):
            do { return .success(try await submit(submission)) } catch { return .failure(error) }
        }
    }

    // MARK: Settlement

    /// Queues a job for the settlement loop (once while it waits).
    func enqueue(_ id: Digest32, readyAt: ContinuousClock.Instant = .now) {
        // A follower settles nothing: the leader's sweep finds the job (its row is marked ready).
        if case .follower = role { return }
        let fresh = queue.withLock { q in
            guard q.ids.insert(id).inserted else { return false }
            q.items.append((id, readyAt))
            return true
        }
        if fresh { wakeInput.yield() }
    }

    /// Queues every job that needs settling now (deadline passed, all reported, or interrupted).
    /// Also judges closed heartbeat windows (uptime accruals, downtime slashes). Every
    /// `completeScanEvery`-th sweep (the first included) also looks for pending jobs whose nodes
    /// have all reported, in case one was not queued when its last receipt arrived.
    public func sweep() async {
        let scanComplete = sweeps.withLock { n in
            defer { n += 1 }
            return n % Self.completeScanEvery == 0
        }
        do {
            for id in try await repository.jobsToSettle(nowMs: nowMs(), includeComplete: scanComplete) {
                enqueue(id)
            }
        } catch {
            // Shutdown cancels a sweep in flight; the next start sweeps again.
            if Task.isCancelled { return }
            logger.error("deadline sweep failed: \(error)")
        }
        do {
            // Under the record gate: a downtime slash changes the audit minimum of the node's quorums.
            let entries = try await settler.recordGate.run { () async throws(ValidatorError) in
                try await karma.sweepLiveness()
            }
            for e in entries {
                logger.info(
                    "liveness", metadata: ["entry": "\(e.index)", "type": "\(e.type)", "node": "\(e.node)"])
            }
        } catch {
            logger.error("liveness sweep failed: \(error)")
        }
        await signCheckpointIfDue()
    }

    /// Signs a checkpoint of the log (with its karma-state line) when
    /// ``checkpointIntervalMs`` has passed since the last, or always when `force`: so every
    /// entry is covered by a signed checkpoint within about a second, and at shutdown. Signing
    /// at an unchanged size returns the previous note.
    public func signCheckpointIfDue(force: Bool = false) async {
        let now = nowMs()
        let due = lastCheckpointMs.withLock { last in
            guard force || last.map({ now >= $0 + Self.checkpointIntervalMs }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            let note = try await karma.checkpoint()
            publishCheckpoint(note)
        } catch {
            logger.error("signing a checkpoint failed: \(error)")
        }
    }

    /// The largest checkpoint size announced on `events`.
    private let announcedCheckpointSize = Mutex<UInt64?>(nil)

    /// Announces a checkpoint on `events` (`checkpoint` with its tree size) when it is larger than
    /// the last one announced.
    private func publishCheckpoint(_ note: String) {
        let lines = note.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2, let size = UInt64(lines[1]) else { return }
        let fresh = announcedCheckpointSize.withLock { last in
            guard last.map({ size > $0 }) ?? true else { return false }
            last = size
            return true
        }
        if fresh { events.publish(.init(name: "checkpoint", data: "{\"size\":\(size)}")) }
    }

    /// Settles one job immediately (serially with the loop only if the caller ensures it).
    @discardableResult
    public func settle(_ id: Digest32) async throws(ValidatorError) -> SettlementRecord? {
        try await settler.settle(id, readyAt: nil)
    }

    /// The settlement loop: settles queued jobs in batches until `stopSettlementLoop()` is called;
    /// the batch in progress completes first.
    /// The settlement loop (specs/service.md §2.3): settles queued jobs in batches without the
    /// compute pool — unanimous jobs accepted by consensus or after an audit draw that did not
    /// choose them, jobs without a truth — and hands every job that needs the kernel or a proof
    /// check to the compute lane (``runComputeLane()``), so those never hold the others back.
    func runSettlementLoop() async {
        for await _ in wake {
            while true {
                let batch = queue.withLock { q -> [(Digest32, ContinuousClock.Instant)] in
                    let taken = Array(q.items.prefix(Self.maxSettlementBatch))
                    q.items.removeFirst(taken.count)
                    return taken
                }
                if batch.isEmpty { break }
                var handed = Set<Digest32>()
                do {
                    let outcome = try await settler.settle(
                        batch.map { Settler.Deferred(id: $0.0, readyAt: $0.1) }, compute: false)
                    if !outcome.deferred.isEmpty {
                        handed = Set(outcome.deferred.map(\.id))
                        computeQueue.withLock { $0 += outcome.deferred }
                        computeWakeInput.yield()
                    }
                } catch {
                    // Left `settling` or `pending`: the next sweep retries them.
                    logger.error("settling \(batch.count) job(s) failed (will retry): \(error)")
                }
                release(batch.map(\.0).filter { !handed.contains($0) })
            }
        }
    }

    /// The compute lane: settles the jobs the loop deferred, `settlement.computeThreads` at a
    /// time (their re-executions and proof checks on the compute pool), each group appended to the
    /// ledger in queue order as soon as it is planned.
    func runComputeLane() async {
        for await _ in computeWake {
            while !stopping.withLock({ $0 }) {
                let batch = computeQueue.withLock { q -> [Settler.Deferred] in
                    let taken = Array(q.prefix(max(1, settler.parallelism)))
                    q.removeFirst(taken.count)
                    return taken
                }
                if batch.isEmpty { break }
                do {
                    _ = try await settler.settle(batch, compute: true)
                } catch {
                    logger.error("settling \(batch.count) job(s) failed (will retry): \(error)")
                }
                release(batch.map(\.id))
            }
        }
    }

    /// Forgets jobs whose settlement ended (or failed, for a sweep to queue again).
    private func release(_ ids: [Digest32]) {
        guard !ids.isEmpty else { return }
        queue.withLock { q in
            for id in ids { q.ids.remove(id) }
        }
    }

    /// Ends the settlement loop and the compute lane after the batches in progress, and every
    /// event stream. Jobs still queued stay `settling` or `pending`: the next start queues them.
    func stopSettlementLoop() {
        stopping.withLock { $0 = true }
        wakeInput.finish()
        computeWakeInput.finish()
        events.close()
    }

    // MARK: Node requests and queries

    public func nodeRequest(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError)
        -> NodeRequestAck
    {
        try requireLeader()
        let entries = try await karma.submit(kind, body: body)
        metrics.nodeRequest(kind)
        return NodeRequestAck(kind: kind, entries: entries)
    }

    public func status() async throws(ValidatorError) -> StatusView {
        let counts = try await repository.statusCounts()
        return StatusView(
            validator: validatorKey.hex, ledgerSize: try await karma.size(),
            jobs: Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) }),
            settlementMode: mode.rawValue, role: role.name, checkpointKey: try await karma.checkpointKey(),
            karmaStateHash: try await karma.stateHash()?.hex)
    }
}

extension Digest32 {
    /// SHA-256 of `data` as a `Digest32`.
    static func sha256(_ data: some DataProtocol) -> Digest32 {
        // A SHA-256 digest is always 32 bytes.
        (try? Digest32(bytes: Data(SHA256.hash(data: Data(data))))) ?? .zero
    }
}
