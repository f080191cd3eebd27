import Foundation
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
    let metrics: ValidatorMetrics
    let logger: Logger
    let nowMs: @Sendable () -> UInt64

    typealias Judge = QuorumJudge<XOnlyPublicKey, Digest32>

    /// How the truth was established.
    enum Truth {
        case reExecuted(ShardExecution)
        case proven(output: Digest32, by: XOnlyPublicKey, multiplyAccumulates: UInt64)
        case unavailable(String)

        var output: Digest32? {
            switch self {
            case .reExecuted(let e): e.commitment
            case .proven(let output, _, _): output
            case .unavailable: nil
            }
        }
        var method: String {
            switch self {
            case .reExecuted: "re-execution"
            case .proven: "proof"
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
        var events: [KarmaEvent]
        var notes: [String]
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

    /// Settles a batch of jobs with three durable writes in all (freeze, ledger append, finish)
    /// instead of three per job. Jobs already final are skipped; unknown ids are ignored.
    ///
    /// - Returns: the settlements this call made, by job id.
    func settle(batch: [(Digest32, ContinuousClock.Instant?)]) async throws(ValidatorError) -> [Digest32:
        SettlementRecord]
    {
        let statuses = try await repository.freeze(batch.map(\.0))
        var plans: [Plan] = []
        for (id, readyAt) in batch where statuses[id] == .settling {
            if plans.contains(where: { $0.id == id }) { continue }
            if let plan = try await plan(id, readyAt: readyAt) { plans.append(plan) }
        }
        guard !plans.isEmpty else { return [:] }

        var recorded: [RecordedEntry] = []
        var skipped: [SkippedEvent] = []
        do {
            let outcome = try await karma.record(plans.flatMap(\.events))
            recorded = outcome.entries
            skipped = outcome.skipped
        } catch .rejectedByKarma(let why) {
            // Record what the rules accept, job by job and then event by event (record is
            // idempotent), and note the rest.
            logger.warning("karma rejected part of a settlement batch: \(why)")
            for plan in plans {
                do {
                    let outcome = try await karma.record(plan.events)
                    recorded += outcome.entries
                    skipped += outcome.skipped
                } catch .rejectedByKarma {
                    for event in plan.events {
                        do {
                            let outcome = try await karma.record([event])
                            recorded += outcome.entries
                            skipped += outcome.skipped
                        } catch .rejectedByKarma(let reason) {
                            skipped.append(
                                SkippedEvent(
                                    job: plan.id.hex,
                                    reason:
                                        "\(event.kind) for \(event.subject.hex.prefix(12)) rejected: \(reason)"
                                ))
                        }
                    }
                }
            }
        }

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
                    let index = entries.first { $0.type.hasPrefix("slash") && $0.node == node.hex }?.index
                    offences.append(.init(node: node.hex, offence: offence.rawValue, ledgerIndex: index))
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
                correlated: plan.judgement.correlated, outcomes: outcomes, offences: offences,
                entries: entries,
                settledAtMs: nowMs(), latencyMicros: latency.map { UInt64(max(0, $0 / .microseconds(1))) })
            let final: JobStatus = plan.judgement.isClean && plan.truth.output != nil ? .settled : .disputed
            updates.append((plan.id, final, record))
            results[plan.id] = record
        }
        try await repository.finish(updates)
        for (id, final, record) in updates {
            let latency = batch.first { $0.0 == id }?.1.map { ContinuousClock.now - $0 }
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

    /// Establishes the truth for one frozen job and judges it (no writes).
    private func plan(_ id: Digest32, readyAt: ContinuousClock.Instant?) async throws(ValidatorError) -> Plan?
    {
        guard let job = try await repository.job(id) else { return nil }
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
                        let macs =
                            (try? executor.multiplyAccumulates(
                                modelID: a.modelID, layers: a.layers, input: input)) ?? 0
                        truth = .proven(
                            output: stored.signed.receipt.outputCommitment, by: node,
                            multiplyAccumulates: macs)
                    }
                case .invalid(let reason):
                    claim.invalidProof = true
                    claims[node] = claim
                    proofNotes.append("\(node.hex.prefix(12)): \(reason)")
                }
            }
        }
        if truth == nil {
            if let input {
                if executor.canExecute(modelID: a.modelID, layers: a.layers) {
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
        let events = Self.events(
            for: judgement, job: a, announcedAtMs: job.createdMs, byNode: byNode, truth: established,
            validator: validatorKey, notes: proofNotes)

        return Plan(
            id: id, readyAt: readyAt, claims: claims, truth: established, judgement: judgement,
            events: events,
            notes: proofNotes)
    }

    private static func reason(_ truth: Truth) -> String {
        if case .unavailable(let why) = truth { return why }
        return ""
    }

    static func name(_ outcome: Judge.Outcome) -> String {
        switch outcome {
        case .agreed: "agreed"
        case .wrongOutput: "wrong-output"
        case .equivocated: "equivocation"
        case .invalidProof: "invalid-proof"
        case .absent: "absent"
        case .unjudged: "unjudged"
        }
    }

    static func offence(_ outcome: Judge.Outcome) -> Offence? {
        switch outcome {
        case .wrongOutput: .wrongOutput
        case .equivocated: .equivocation
        case .invalidProof: .invalidProof
        case .agreed, .absent, .unjudged: nil
        }
    }

    /// The karma events for a judgement, in a fixed order: per assigned node (announcement order)
    /// its inference and redundancy credit, slash or SLA miss; then the validator's own credit.
    ///
    /// A node's latency is measured by the validator, never taken from the receipt: from when the
    /// validator stored the job's announcement (`announcedAtMs`) to when it received the node's
    /// first receipt (0 when the receipt came first) (specs/service.md §4.5).
    static func events(
        for judgement: Judge.Judgement, job a: JobAnnouncement, announcedAtMs: UInt64,
        byNode: [XOnlyPublicKey: [StoredReceipt]],
        truth: Truth, validator: XOnlyPublicKey, notes: [String]
    ) -> [KarmaEvent] {
        var events: [KarmaEvent] = []
        let macs: UInt64 =
            switch truth {
            case .reExecuted(let e): e.multiplyAccumulates
            case .proven(_, _, let m): m
            case .unavailable: 0
            }
        let quorum = judgement.agreeing.count >= 2
        let slashed = UInt32(judgement.offenders.count)
        for (node, outcome) in judgement.outcomes {
            let receipts = byNode[node] ?? []
            switch outcome {
            case .agreed:
                guard let stored = receipts.first, let agreed = truth.output else { continue }
                events.append(
                    .inference(
                        InferenceCredit(
                            node: node, job: a.jobID, receiptDigest: stored.digest, layers: a.layers,
                            multiplyAccumulates: macs,
                            latencyMs: stored.receivedMs >= announcedAtMs
                                ? stored.receivedMs - announcedAtMs : 0,
                            slaMs: a.slaMs)))
                if quorum {
                    events.append(
                        .redundancy(
                            node: node, job: a.jobID, layers: a.layers, multiplyAccumulates: macs,
                            agreedOutput: agreed))
                }
            case .wrongOutput, .equivocated, .invalidProof:
                guard let offence = offence(outcome) else { continue }
                let evidenceReceipts: [SignedReceipt]
                if case .equivocated = outcome {
                    // The first two receipts with different outputs prove equivocation.
                    var seen: [Digest32: SignedReceipt] = [:]
                    var picked: [SignedReceipt] = []
                    for stored in receipts
                    where seen[stored.signed.receipt.outputCommitment] == nil && picked.count < 2 {
                        seen[stored.signed.receipt.outputCommitment] = stored.signed
                        picked.append(stored.signed)
                    }
                    evidenceReceipts = picked
                } else {
                    evidenceReceipts = receipts.prefix(1).map(\.signed)
                }
                let evidence = OffenceEvidence(
                    receipts: evidenceReceipts,
                    truth: offence == .equivocation ? nil : truth.output,
                    method: offence == .equivocation ? nil : truth.method,
                    proofHash: offence == .invalidProof
                        ? receipts.first?.proof.map { Digest32.sha256($0) } : nil,
                    note: offence == .invalidProof
                        ? notes.first(where: { $0.hasPrefix(node.hex.prefix(12)) }) : nil)
                events.append(
                    .slash(
                        node: node, job: a.jobID, offence: offence, correlated: max(1, slashed),
                        evidence: evidence))
            case .absent:
                events.append(.slaMiss(node: node, job: a.jobID, deadlineMs: a.deadlineMs))
            case .unjudged:
                break
            }
        }
        if truth.output != nil {
            var byProof = false
            if case .proven = truth { byProof = true }
            events.append(
                .validation(validator: validator, job: a.jobID, byProof: byProof, multiplyAccumulates: macs))
        }
        return events
    }
}
