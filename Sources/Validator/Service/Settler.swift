import Foundation
import Karma
import Logging
import Receipts

/// Settles one job at a time (specs/service.md §4): freeze, establish the truth (verified proof or
/// re-execution), judge with `QuorumJudge`, record karma, mark final.
///
/// Crash-safe by construction: the job is frozen (`settling`) before anything is recorded, the
/// verdict is a deterministic function of the frozen receipts, and `KarmaLedger.record` is
/// idempotent, so a settlement interrupted at any point is simply run again.
struct Settler: Sendable {
    let repository: any JobRepository
    let executor: any ShardExecutor
    let proofs: any ProofChecker
    let karma: any KarmaLedger
    let validatorKey: XOnlyPublicKey
    let mode: ValidatorConfig.Settlement.Mode
    /// When a unanimous job is re-executed (specs/service.md §4.1).
    var policy: ValidatorConfig.Settlement.ReExecute = .always
    /// `audited`: the operator's audit probability (ppm); the rules' minimum applies when higher.
    var auditPPM: UInt32 = AuditRule.floorPPM
    /// `audited`: the validator's key for the verifiable draw (nil: every unanimous job is audited).
    var auditKey: VRFSecretKey?
    /// Jobs of one batch planned at once (re-executions and proof checks in flight together).
    var parallelism = 1
    /// Held from computing a batch's audit-draw minimums to appending its entries, by every lane
    /// that records job settlements and by the liveness sweep: a minimum is then computed on the
    /// state the draw is appended to (specs/karma.md §5.8), whichever lane appends first.
    let recordGate = AsyncGate()
    let metrics: ValidatorMetrics
    let logger: Logger
    let events: EventHub
    let nowMs: @Sendable () -> UInt64

    typealias Judge = QuorumJudge<XOnlyPublicKey, Digest32>

    /// How the truth was established.
    enum Truth {
        case reExecuted(ShardExecution)
        case proven(output: Digest32, by: XOnlyPublicKey, multiplyAccumulates: UInt64)
        /// Every assigned node reported this output and the policy accepts it without re-execution.
        case consensus(output: Digest32, multiplyAccumulates: UInt64)
        case unavailable(String)

        var output: Digest32? {
            switch self {
            case .reExecuted(let e): e.commitment
            case .proven(let output, _, _): output
            case .consensus(let output, _): output
            case .unavailable: nil
            }
        }
        var method: String {
            switch self {
            case .reExecuted: "re-execution"
            case .proven: "proof"
            case .consensus: "consensus"
            case .unavailable: "none"
            }
        }
    }

    /// One job's verdict before it is recorded.
    struct Plan {
        var id: Digest32
        var readyAt: ContinuousClock.Instant?
        var claims: [XOnlyPublicKey: Judge.Claim]
        var truth: Truth
        var judgement: Judge.Judgement
        var settlement: JobSettlement
        var notes: [String]
        /// Every assigned node with its first receipt's digest, in announcement order, when all of
        /// them reported one and the same output (the quorum an audit draw names).
        var unanimous: [AuditDraw.QuorumReceipt]?
        var draw: AuditDraw?
    }

    /// A job whose truth needs the compute pool (a re-execution or a proof check), handed by the
    /// settlement loop to the compute lane (specs/service.md §2.3). `draw` is set when an audit
    /// draw chose the job, with the VRF output it was decided by.
    struct Deferred: Sendable {
        var id: Digest32
        var readyAt: ContinuousClock.Instant?
        var draw: (draw: AuditDraw, beta: Digest32)?
    }

    /// The result of planning one job.
    enum Planned {
        case plan(Plan)
        /// The job needs the compute pool and the caller asked for no compute.
        case deferred
        /// The job is not stored.
        case missing
    }

    /// What a settlement call did: the settlements it made, and the jobs it left to the compute lane.
    struct Outcome {
        var settled: [Digest32: SettlementRecord] = [:]
        var deferred: [Deferred] = []
    }

    /// Settles `id` unless it is already final. Returns the settlement when this call made it.
    ///
    /// - Parameter readyAt: when the job became ready to settle (for the latency metric).
    @discardableResult
    func settle(_ id: Digest32, readyAt: ContinuousClock.Instant?) async throws(ValidatorError)
        -> SettlementRecord?
    {
        guard try await repository.job(id) != nil else { throw .unknownJob(id.hex) }
        return try await settle(batch: [(id, readyAt)])[id]
    }

    /// Settles a batch of jobs completely, re-executions and proof checks included, with three
    /// durable writes in all (freeze, ledger append, finish) instead of three per job. Jobs
    /// already final are skipped; unknown ids are ignored.
    ///
    /// - Returns: the settlements this call made, by job id.
    func settle(batch: [(Digest32, ContinuousClock.Instant?)]) async throws(ValidatorError) -> [Digest32:
        SettlementRecord]
    {
        try await settle(batch.map { Deferred(id: $0.0, readyAt: $0.1) }, compute: true).settled
    }

    /// Settles a batch (see ``settle(batch:)``). With `compute` false, a job whose truth needs the
    /// compute pool — a re-execution, a proof check, or an audit its draw chose — is frozen but
    /// not settled: it is returned in ``Outcome/deferred`` (with its draw) for a call with
    /// `compute` true, so the jobs that need no kernel never wait behind those that do.
    func settle(_ batch: [Deferred], compute: Bool) async throws(ValidatorError) -> Outcome {
        let statuses = try await repository.freeze(batch.map(\.id))
        var frozen: [Deferred] = []
        for job in batch where statuses[job.id] == .settling && !frozen.contains(where: { $0.id == job.id }) {
            frozen.append(job)
        }
        var (plans, deferred) = try await planConcurrently(frozen, compute: compute)
        let drawn = Dictionary(frozen.compactMap { job in job.draw.map { (job.id, $0) } }) { a, _ in a }
        let recorded = try await recordGate.run { () async throws(ValidatorError) in
            if policy == .audited {
                let (kept, audited) = try await drawAudits(plans, drawn: drawn, compute: compute)
                plans = kept
                deferred += audited
            }
            return try await record(plans)
        }
        guard !plans.isEmpty else { return Outcome(deferred: deferred) }
        let results = try await finish(plans, recorded: recorded, batch: frozen)
        return Outcome(settled: results, deferred: deferred)
    }

    /// Appends the plans' karma entries in plan order (one durable write when the rules accept the
    /// whole batch; otherwise each job alone, a refused job noted on its settlement).
    private func record(_ plans: [Plan]) async throws(ValidatorError) -> (
        entries: [RecordedEntry], skipped: [SkippedEvent]
    ) {
        guard !plans.isEmpty else { return ([], []) }
        var recorded: [RecordedEntry] = []
        var skipped: [SkippedEvent] = []
        do {
            let outcome = try await karma.record(plans.map(\.settlement))
            recorded = outcome.entries
            skipped = outcome.skipped
        } catch .rejectedByKarma(let why) {
            // One job of the batch is inconsistent with the rules: record the others, and note
            // the refusal on that job (its settlement records no karma).
            logger.warning("karma rejected part of a settlement batch: \(why)")
            for plan in plans {
                do {
                    let outcome = try await karma.record([plan.settlement])
                    recorded += outcome.entries
                    skipped += outcome.skipped
                } catch .rejectedByKarma(let reason) {
                    logger.error(
                        "karma rejected a settlement",
                        metadata: ["job": "\(plan.id.hex)", "reason": "\(reason)"])
                    skipped.append(SkippedEvent(job: plan.id.hex, reason: "karma not recorded: \(reason)"))
                }
            }
        }
        return (recorded, skipped)
    }

    /// Marks the recorded plans final (one durable write), and publishes their settlements.
    private func finish(
        _ plans: [Plan], recorded: (entries: [RecordedEntry], skipped: [SkippedEvent]), batch: [Deferred]
    ) async throws(ValidatorError) -> [Digest32: SettlementRecord] {
        let (recorded, skipped) = recorded
        var results: [Digest32: SettlementRecord] = [:]
        var updates: [(Digest32, JobStatus, SettlementRecord)] = []
        for plan in plans {
            let jobHex = plan.id.hex
            let entries = recorded.filter { $0.job == jobHex }
            var offences: [SettlementRecord.OffenceRecord] = []
            var outcomes: [SettlementRecord.NodeOutcome] = []
            for (node, outcome) in plan.judgement.outcomes {
                let claimed = plan.claims[node]?.outputs.map(\.hex) ?? []
                outcomes.append(.init(node: node.hex, outcome: Self.name(outcome), claimed: claimed))
                if let offence = Self.offence(outcome) {
                    let index = entries.first { $0.offence == offence.description && $0.node == node.hex }?
                        .index
                    offences.append(.init(node: node.hex, offence: offence.description, ledgerIndex: index))
                }
            }
            let latency = plan.readyAt.map { ContinuousClock.now - $0 }
            let notes =
                plan.notes + skipped.filter { $0.job == jobHex }.map(\.reason)
                + (plan.truth.output == nil ? [Self.reason(plan.truth)] : [])
            let record = SettlementRecord(
                truth: plan.truth.output?.hex, method: plan.truth.method,
                note: notes.isEmpty ? nil : notes.joined(separator: "; "),
                majority: plan.judgement.majority?.hex, majorityOverruled: plan.judgement.majorityOverruled,
                correlated: entries.contains { $0.offence == OffenceKind.correlation.description },
                outcomes: outcomes, offences: offences,
                entries: entries,
                settledAtMs: nowMs(), latencyMicros: latency.map { UInt64(max(0, $0 / .microseconds(1))) },
                audit: plan.draw.map {
                    .init(probabilityPPM: $0.probabilityPPM, audited: $0.audited, proof: $0.proof.hex)
                })
            let final: JobStatus = plan.judgement.isClean && plan.truth.output != nil ? .settled : .disputed
            updates.append((plan.id, final, record))
            results[plan.id] = record
        }
        try await repository.finish(updates)
        for (id, final, record) in updates {
            events.publish(Self.event(id: id, status: final, record: record))
            let latency = batch.first { $0.id == id }?.readyAt.map { ContinuousClock.now - $0 }
            metrics.settled(status: final, offences: record.offences.map(\.offence), latency: latency)
            logger.debug(
                "settled job",
                metadata: [
                    "job": "\(id.hex)", "status": "\(final.rawValue)", "method": "\(record.method)",
                    "offences": "\(record.offences.count)",
                ])
        }
        return results
    }

    /// Plans `jobs` with at most `parallelism` in flight (each plan's re-execution or proof check
    /// runs on the compute pool), and returns the plans in the order of `jobs`, so the ledger
    /// append that follows stays in that order whatever order the plans finish in; with `compute`
    /// false, the jobs that need the compute pool are returned as deferred instead. A job chosen
    /// by an audit draw is planned by re-execution.
    ///
    /// - Throws: the first job's error in `jobs` order (the others' plans are discarded; nothing
    ///   has been written, and the frozen jobs are retried by the next sweep).
    private func planConcurrently(_ jobs: [Deferred], compute: Bool) async throws(ValidatorError)
        -> (plans: [Plan], deferred: [Deferred])
    {
        let planOne: @Sendable (Deferred) async throws(ValidatorError) -> Planned = { job in
            try await self.plan(
                job.id, readyAt: job.readyAt, consensus: self.policy != .always && job.draw == nil,
                compute: compute)
        }
        var results = [Result<Planned, ValidatorError>?](repeating: nil, count: jobs.count)
        if parallelism <= 1 || jobs.count <= 1 || !compute {
            for (i, job) in jobs.enumerated() {
                do throws(ValidatorError) { results[i] = .success(try await planOne(job)) } catch {
                    results[i] = .failure(error)
                    break
                }
            }
        } else {
            await withTaskGroup(of: (Int, Result<Planned, ValidatorError>).self) { group in
                var next = 0
                func launch() {
                    let i = next
                    next += 1
                    group.addTask {
                        do throws(ValidatorError) { return (i, .success(try await planOne(jobs[i]))) } catch {
                            return (i, .failure(error))
                        }
                    }
                }
                while next < min(parallelism, jobs.count) { launch() }
                while let (i, result) = await group.next() {
                    results[i] = result
                    if next < jobs.count { launch() }
                }
            }
        }
        var plans: [Plan] = []
        var deferred: [Deferred] = []
        for (job, result) in zip(jobs, results) {
            switch result {
            case .success(.plan(let plan))?: plans.append(plan)
            case .success(.deferred)?: deferred.append(job)
            case .success(.missing)?: continue
            case .failure(let error)?: throw error
            case nil: throw .internalFailure("a settlement plan did not finish")
            }
        }
        return (plans, deferred)
    }

    /// The `audited` policy's draws, in batch order (specs/service.md §4.1, specs/karma.md §5.8):
    /// for each job planned by consensus, the probability is the operator's or the rules' minimum
    /// for the quorum — in the karma state, raised to the offender rate for a node slashed by an
    /// earlier job of this batch — and the validator's VRF over the job and its receipts decides.
    /// An audited job is planned again by re-execution when `compute`, else returned as deferred
    /// with its draw. A job drawn earlier (`drawn`, already re-executed) keeps its draw, its
    /// probability raised to the minimum now when that is higher: a draw that audited at p audits
    /// at every p′ ≥ p, so the outcome stands. The draw goes into the job's entries.
    ///
    /// Called holding ``recordGate``, so the minimums are those of the state the entries are
    /// appended to.
    private func drawAudits(
        _ plans: [Plan], drawn: [Digest32: (draw: AuditDraw, beta: Digest32)], compute: Bool
    ) async throws(ValidatorError) -> (plans: [Plan], deferred: [Deferred]) {
        var offenders = Set<XOnlyPublicKey>()
        var out: [Plan] = []
        var deferred: [Deferred] = []
        for var plan in plans {
            if let earlier = drawn[plan.id] {
                let ppm = try await probability(for: earlier.draw.receipts.map(\.node), offenders: offenders)
                var draw = earlier.draw
                if ppm > draw.probabilityPPM {
                    draw.probabilityPPM = ppm
                    draw.audited = AuditDraw.isAudited(beta: earlier.beta, probabilityPPM: ppm)
                }
                plan.draw = draw
                plan.settlement.auditDraw = draw
                plan.notes.append("audited: drawn at \(draw.probabilityPPM) ppm, re-executed")
            } else if case .consensus = plan.truth, let quorum = plan.unanimous {
                let (draw, beta) = try await auditDraw(plan.id, quorum: quorum, offenders: offenders)
                let ppm = draw.probabilityPPM
                if draw.audited {
                    guard compute else {
                        deferred.append(Deferred(id: plan.id, readyAt: plan.readyAt, draw: (draw, beta)))
                        continue
                    }
                    guard
                        case .plan(let audited) = try await self.plan(
                            plan.id, readyAt: plan.readyAt, consensus: false, compute: true)
                    else { continue }
                    plan = audited
                    plan.notes.append("audited: drawn at \(ppm) ppm, re-executed")
                } else {
                    plan.notes.append("accepted by consensus: audit not drawn at \(ppm) ppm")
                }
                plan.draw = draw
                plan.settlement.auditDraw = draw
            }
            for (node, outcome) in plan.judgement.outcomes where Self.offence(outcome) != nil {
                offenders.insert(node)
            }
            out.append(plan)
        }
        return (out, deferred)
    }

    /// The audit probability for a quorum: the operator's, or the rules' minimum in the karma state
    /// when higher, or the offender rate when a node of the quorum is in `offenders`.
    /// The job's audit draw: the one the log already holds for it (the job was settled before, and
    /// its entries appended, when the process crashed or lost the lease before storing the
    /// settlement: the draw is a fact, and drawing again against today's state — which holds the
    /// job's own credits — could give another probability, and another verdict), else a new one
    /// at ``probability(for:offenders:)``.
    private func auditDraw(
        _ job: Digest32, quorum: [AuditDraw.QuorumReceipt], offenders: Set<XOnlyPublicKey>
    ) async throws(ValidatorError) -> (draw: AuditDraw, beta: Digest32) {
        let alpha = AuditDraw.alpha(jobID: job, receipts: quorum)
        if let recorded = await karma.recordedAuditDraw(job: job), recorded.receipts == quorum {
            // The rules checked its proof when it was appended.
            guard let beta = recorded.validator.vrfVerify(alpha, proof: recorded.proof) else {
                throw .internalFailure("the audit draw the log holds for job \(job.hex) does not verify")
            }
            return (recorded, beta)
        }
        let ppm = try await probability(for: quorum.map(\.node), offenders: offenders)
        guard let auditKey else { throw .internalFailure("the audited policy needs the validator's key") }
        let proof: VRFProof
        let beta: Digest32
        do { (proof, beta) = try auditKey.prove(alpha) } catch {
            throw .internalFailure("the audit draw could not be made: \(error)")
        }
        let draw = AuditDraw(
            validator: validatorKey, jobID: job, receipts: quorum, probabilityPPM: ppm, proof: proof,
            audited: AuditDraw.isAudited(beta: beta, probabilityPPM: ppm))
        return (draw, beta)
    }

    private func probability(for nodes: [XOnlyPublicKey], offenders: Set<XOnlyPublicKey>)
        async throws(ValidatorError) -> UInt32
    {
        var minimum = await karma.auditMinimumPPM(nodes: nodes)
        if nodes.contains(where: offenders.contains) { minimum = max(minimum, AuditRule.offenderPPM) }
        return max(auditPPM, minimum)
    }

    /// Every assigned node with its first receipt, when all reported exactly one output, the same.
    static func unanimous(
        _ nodes: [XOnlyPublicKey], claims: [XOnlyPublicKey: Judge.Claim],
        byNode: [XOnlyPublicKey: [StoredReceipt]]
    ) -> (output: Digest32, quorum: [AuditDraw.QuorumReceipt])? {
        var output: Digest32?
        var quorum: [AuditDraw.QuorumReceipt] = []
        for node in nodes {
            guard let claim = claims[node], claim.outputs.count == 1, !claim.invalidProof,
                let first = byNode[node]?.first
            else { return nil }
            if let output, output != claim.outputs[0] { return nil }
            output = claim.outputs[0]
            quorum.append(AuditDraw.QuorumReceipt(node: node, receiptDigest: first.digest))
        }
        guard let output, !quorum.isEmpty else { return nil }
        return (output, quorum)
    }

    /// Establishes the truth for one frozen job and judges it (no writes).
    ///
    /// - Parameters:
    ///   - consensus: whether a unanimous quorum may be accepted without re-execution (the policy
    ///     is not `always`; an audit plans with `false`).
    ///   - compute: whether the job may use the compute pool; when it would need it and this is
    ///     `false`, the result is `.deferred` (nothing was run).
    private func plan(_ id: Digest32, readyAt: ContinuousClock.Instant?, consensus: Bool, compute: Bool)
        async throws(ValidatorError)
        -> Planned
    {
        guard let job = try await repository.job(id) else { return .missing }
        let a = job.announcement
        let receipts = try await repository.receipts(of: id)
        // Claims per assigned node, distinct outputs in arrival order.
        var claims: [XOnlyPublicKey: Judge.Claim] = [:]
        var byNode: [XOnlyPublicKey: [StoredReceipt]] = [:]
        for stored in receipts where a.nodes.contains(stored.signed.receipt.node) {
            let node = stored.signed.receipt.node
            byNode[node, default: []].append(stored)
            var claim = claims[node] ?? Judge.Claim(outputs: [])
            if !claim.outputs.contains(stored.signed.receipt.outputCommitment) {
                claim.outputs.append(stored.signed.receipt.outputCommitment)
            }
            claims[node] = claim
        }

        let input = try await repository.input(of: id)
        var proofNotes: [String] = []
        var truth: Truth?
        if mode == .verifyProofs, let input, proofs.hasCircuit(modelID: a.modelID, layers: a.layers) {
            guard compute else { return .deferred }
            for node in a.nodes {
                guard var claim = claims[node], claim.outputs.count == 1, let stored = byNode[node]?.first,
                    let proof = stored.proof
                else { continue }
                guard let output = try await repository.tensor(stored.signed.receipt.outputCommitment) else {
                    continue
                }
                let started = ContinuousClock.now
                let check = await proofs.verify(
                    proof: proof, modelID: a.modelID, layers: a.layers, input: input, output: output)
                metrics.proofCheck(ContinuousClock.now - started, valid: check == .valid)
                switch check {
                case .valid:
                    if truth == nil {
                        // The shard's size is the validator's own count, never a node's claim.
                        do {
                            let macs = try executor.multiplyAccumulates(
                                modelID: a.modelID, layers: a.layers, input: input)
                            truth = .proven(
                                output: stored.signed.receipt.outputCommitment, by: node,
                                multiplyAccumulates: macs)
                        } catch {
                            proofNotes.append("the proof verified but the shard's size is unknown: \(error)")
                        }
                    }
                case .invalid(let reason):
                    claim.invalidProof = true
                    claims[node] = claim
                    proofNotes.append("\(node.hex.prefix(12)): \(reason)")
                }
            }
        }
        let agreement = Self.unanimous(a.nodes, claims: claims, byNode: byNode)
        if truth == nil, consensus, let agreement {
            // The shard's size is the validator's own count, never a node's claim; when it cannot be
            // counted the job takes the safe path below (re-execution).
            if let input,
                let macs = try? executor.multiplyAccumulates(
                    modelID: a.modelID, layers: a.layers, input: input)
            {
                truth = .consensus(output: agreement.output, multiplyAccumulates: macs)
            }
        }
        if truth == nil {
            if let input {
                if executor.canExecute(modelID: a.modelID, layers: a.layers) {
                    guard compute else { return .deferred }
                    let started = ContinuousClock.now
                    do {
                        let execution = try await executor.execute(
                            modelID: a.modelID, layers: a.layers, input: input)
                        metrics.reExecution(ContinuousClock.now - started)
                        truth = .reExecuted(execution)
                    } catch {
                        truth = .unavailable("re-execution failed: \(error)")
                    }
                } else {
                    truth = .unavailable(
                        "this validator does not hold model \(a.modelID.hex) layers \(a.layers)")
                }
            } else {
                truth = .unavailable("no input tensor was supplied for the job")
            }
        }
        let established = truth ?? .unavailable("no truth")
        let judgement = Judge.judge(assigned: a.nodes, claims: claims, truth: established.output)
        let settlement = Self.settlement(
            for: judgement, job: a, announcedAtMs: job.createdMs, byNode: byNode, truth: established,
            validator: validatorKey, notes: proofNotes)

        return .plan(
            Plan(
                id: id, readyAt: readyAt, claims: claims, truth: established, judgement: judgement,
                settlement: settlement, notes: proofNotes, unanimous: agreement?.quorum))
    }

    private static func reason(_ truth: Truth) -> String {
        if case .unavailable(let why) = truth { return why }
        return ""
    }

    /// The outcome's name in the job view: `agreed`, `absent`, `unjudged`, or the offence kind
    /// of specs/karma.md §6 (`wrongOutput`, `equivocation`, `invalidProof`).
    static func name(_ outcome: Judge.Outcome) -> String {
        if let offence = offence(outcome) { return offence.description }
        switch outcome {
        case .agreed: return "agreed"
        case .absent: return "absent"
        default: return "unjudged"
        }
    }

    static func offence(_ outcome: Judge.Outcome) -> OffenceKind? {
        switch outcome {
        case .wrongOutput: .wrongOutput
        case .equivocated: .equivocation
        case .invalidProof: .invalidProof
        case .agreed, .absent, .unjudged: nil
        }
    }

    /// What the validator established about the job, for the karma rules
    /// (`KarmaEngine.plan(settlements:at:on:)`): per assigned node, in announcement order, its
    /// verdict with the evidence of an offence; the shard's MACs; the validator and its method.
    ///
    /// A node's latency is measured by the validator, never taken from the receipt: from when the
    /// validator stored the job's announcement (`announcedAtMs`) to when it received the node's
    /// first receipt (0 when the receipt came first) (specs/service.md §4.5).
    static func settlement(
        for judgement: Judge.Judgement, job a: JobAnnouncement, announcedAtMs: UInt64,
        byNode: [XOnlyPublicKey: [StoredReceipt]], truth: Truth, validator: XOnlyPublicKey, notes: [String]
    ) -> JobSettlement {
        let macs: UInt64 =
            switch truth {
            case .reExecuted(let e): e.multiplyAccumulates
            case .proven(_, _, let m): m
            case .consensus(_, let m): m
            case .unavailable: 0
            }
        var nodes: [(node: XOnlyPublicKey, verdict: JobSettlement.Verdict)] = []
        for (node, outcome) in judgement.outcomes {
            let receipts = byNode[node] ?? []
            let verdict: JobSettlement.Verdict
            switch outcome {
            case .agreed:
                if let stored = receipts.first {
                    verdict = .agreed(
                        receiptDigest: stored.digest,
                        latencyMs: stored.receivedMs >= announcedAtMs ? stored.receivedMs - announcedAtMs : 0)
                } else {
                    verdict = .none
                }
            case .equivocated:
                // The first two receipts with different outputs prove equivocation.
                var seen = Set<Digest32>()
                let pair = receipts.filter { seen.insert($0.signed.receipt.outputCommitment).inserted }
                    .prefix(2)
                verdict =
                    pair.count == 2
                    ? .offence(.equivocation(first: pair.first!.signed, second: pair.last!.signed)) : .none
            case .wrongOutput:
                if let stored = receipts.first, let truth = truth.output {
                    verdict = .offence(.wrongOutput(receipt: stored.signed, reexecutedOutput: truth))
                } else {
                    verdict = .none
                }
            case .invalidProof:
                if let stored = receipts.first, let proof = stored.proof {
                    let note = notes.first { $0.hasPrefix(node.hex.prefix(12)) } ?? "proof did not verify"
                    verdict = .offence(
                        .invalidProof(
                            receipt: stored.signed, proofHash: Digest32.sha256(proof),
                            reason: Self.proofReason(note)))
                } else {
                    verdict = .none
                }
            case .absent, .unjudged:
                verdict = .none
            }
            nodes.append((node, verdict))
        }
        var method: ValidationMethod?
        switch truth {
        case .reExecuted: method = .reexecution
        case .proven: method = .proof
        case .consensus, .unavailable: method = nil
        }
        return JobSettlement(
            jobID: a.jobID, layerStart: a.layers.lowerBound, layerEnd: a.layers.upperBound, macs: macs,
            slaMs: a.slaMs, truth: truth.output, validator: validator, method: method, nodes: nodes)
    }

    /// The verifier's reason cut to 200 UTF-8 bytes on a character boundary (the rules allow 256).
    /// The `settlement` event of `GET /v1/events`: `{"jobId", "status", "method", "offences",
    /// "settledAtMs"}` on one line.
    static func event(id: Digest32, status: JobStatus, record: SettlementRecord) -> EventHub.Event {
        struct Payload: Encodable {
            var jobId: String
            var status: String
            var method: String
            var offences: [String]
            var settledAtMs: UInt64
        }
        let payload = Payload(
            jobId: id.hex, status: status.rawValue, method: record.method,
            offences: record.offences.map(\.offence), settledAtMs: record.settledAtMs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Strings and integers always encode.
        let data = (try? encoder.encode(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return EventHub.Event(name: "settlement", data: data)
    }

    static func proofReason(_ note: String) -> String {
        var out = ""
        for c in note {
            guard out.utf8.count + String(c).utf8.count <= 200 else { break }
            out.append(c)
        }
        return out.isEmpty ? "proof did not verify" : out
    }
}
