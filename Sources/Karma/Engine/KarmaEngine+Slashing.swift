import Foundation
import Receipts

/// What the rules make of one offence against the current state (specs/karma.md §6).
public struct OffenceAssessment: Equatable, Sendable {
    /// The offence id: one slash per id (§6.7).
    public var offenceID: Digest32
    public var record: OffenceRecord
    /// Basis points of slashable stake to burn.
    public var bps: UInt64
    /// µK to burn: `floor(slashableStake · bps / 10000)`.
    public var amount: MicroKarma
}

extension KarmaEngine {
    /// Checks an offence's evidence against `state` at ledger time `now` and gives its id and
    /// the amount a ``Slash`` entry must state (the validator calls this to build the entry).
    ///
    /// - Throws: the same errors ``apply(_:to:)`` would throw for a slash with this evidence,
    ///   including ``KarmaError/offenceAlreadySlashed(offence:)``.
    public func assess(
        node: XOnlyPublicKey, offence: Offence, timestampMs now: UInt64, in state: KarmaState
    ) throws(KarmaError) -> OffenceAssessment {
        let a = state.account(node)
        var id = CanonicalWriter()
        id.u8(offence.kind.rawValue)
        id.publicKey(node)
        let bps: UInt64
        var job: Digest32?
        switch offence {
        case .equivocation(let first, let second):
            try checkReceipt(first, node: node, "first receipt")
            try checkReceipt(second, node: node, "second receipt")
            let (x, y) = (first.receipt, second.receipt)
            guard x.jobID == y.jobID else {
                throw .invalidEvidence("the two receipts are for different jobs")
            }
            guard x.layerStart == y.layerStart, x.layerEnd == y.layerEnd else {
                throw .invalidEvidence("the two receipts are for different layer ranges")
            }
            guard x.outputCommitment != y.outputCommitment else {
                throw .invalidEvidence("the two receipts commit to the same output")
            }
            id.digest(x.jobID)
            id.u32(x.layerStart)
            id.u32(x.layerEnd)
            bps = parameters.equivocationSlashBps
            job = x.jobID
        case .wrongOutput(let receipt, let reexecuted):
            try checkReceipt(receipt, node: node, "receipt")
            guard receipt.receipt.outputCommitment != reexecuted else {
                throw .invalidEvidence("the receipt's output equals the re-execution output")
            }
            id.digest(receipt.receipt.jobID)
            id.u32(receipt.receipt.layerStart)
            id.u32(receipt.receipt.layerEnd)
            bps = parameters.wrongOutputSlashBps
            job = receipt.receipt.jobID
        case .invalidProof(let receipt, let proofHash, let reason):
            try checkReceipt(receipt, node: node, "receipt")
            guard receipt.receipt.proofRef == proofHash else {
                throw .invalidEvidence("the receipt's proofRef is not the proof hash \(proofHash.hex)")
            }
            let n = reason.utf8.count
            guard n >= 1, UInt64(n) <= parameters.maxReasonBytes else {
                throw .invalidField(
                    "offence.reason", reason: "\(n) bytes; must be 1...\(parameters.maxReasonBytes)")
            }
            id.digest(receipt.receipt.jobID)
            id.u32(receipt.receipt.layerStart)
            id.u32(receipt.receipt.layerEnd)
            bps = parameters.invalidProofSlashBps
            job = receipt.receipt.jobID
        case .downtime(let through):
            if let until = a.jailedUntilMs { throw .nodeJailed(node: node.hex, untilMs: until) }
            guard a.bonded > 0 else {
                throw .invalidEvidence("downtime applies to bonded nodes; \(node.hex) has none")
            }
            guard let next = a.nextLivenessWindow else { throw .noLivenessRecord(node: node.hex) }
            id.u64(through)
            // A repeated downtime slash is reported as such, not as "too few windows".
            let early = TaggedHash.hash(tag: Self.offenceTag, id.bytes)
            guard state.offences[early] == nil else { throw .offenceAlreadySlashed(offence: early) }
            let closes = try closingTime(ofWindow: through)
            guard closes <= now else {
                throw .windowNotClosed(window: through, closesAtMs: closes, nowMs: now)
            }
            let missed = through >= next ? through - next + 1 : 0
            guard missed >= parameters.downtimeMissedWindows else {
                throw .notEnoughMissedWindows(
                    node: node.hex, missed: missed, want: parameters.downtimeMissedWindows)
            }
            bps = parameters.downtimeSlashBps
        case .correlation(let jobID):
            let members = state.jobs[jobID] ?? [:]
            guard let paid = members[node], members.count >= 2 else {
                throw .noCorrelation(job: jobID, slashedMembers: members[node] == nil ? 0 : members.count)
            }
            let k = UInt64(members.count)
            let target = min(
                parameters.correlationMaxBps,
                try CheckedMath.mul(parameters.correlationBpsPerPeer, k - 1, "correlation bps"))
            guard target > paid else {
                throw .correlationAlreadyApplied(job: jobID, node: node.hex, bps: paid)
            }
            id.digest(jobID)
            id.u64(k)
            bps = target - paid
            job = jobID
        }
        let offenceID = TaggedHash.hash(tag: Self.offenceTag, id.bytes)
        guard state.offences[offenceID] == nil else { throw .offenceAlreadySlashed(offence: offenceID) }
        let stake = try slashableStake(of: a, now: now)
        let amount = try CheckedMath.mulDiv(stake, bps, 10_000, "slash amount")
        return OffenceAssessment(
            offenceID: offenceID, record: OffenceRecord(node: node, kind: offence.kind, jobID: job), bps: bps,
            amount: amount)
    }

    /// A slash entry for `offence` with the amount the rules give (a convenience over ``assess``).
    public func slashEntry(
        node: XOnlyPublicKey, offence: Offence, timestampMs: UInt64, in state: KarmaState
    ) throws(KarmaError) -> KarmaEntry {
        let x = try assess(node: node, offence: offence, timestampMs: timestampMs, in: state)
        return KarmaEntry(
            timestampMs: timestampMs, body: .slash(Slash(node: node, offence: offence, amount: x.amount)))
    }

    /// The jail period an offence kind carries (0 = the kind does not jail) (§6.7).
    public func jailPeriodMs(for kind: OffenceKind) -> UInt64 {
        switch kind {
        case .equivocation: parameters.equivocationJailMs
        case .wrongOutput: parameters.wrongOutputJailMs
        case .invalidProof: parameters.invalidProofJailMs
        case .downtime: parameters.downtimeJailMs
        case .correlation: 0
        }
    }

    private func checkReceipt(_ s: SignedReceipt, node: XOnlyPublicKey, _ what: String) throws(KarmaError) {
        do { try s.receipt.validate() } catch { throw .invalidEvidence("\(what): \(error)") }
        guard s.receipt.node == node else {
            throw .invalidEvidence("\(what) is by \(s.receipt.node.hex), not the slashed node \(node.hex)")
        }
        if case .invalid(let reason) = s.verify() { throw .invalidSignature("\(what): \(reason)") }
    }

    func applySlash(_ x: Slash, now: UInt64, _ s: inout KarmaState) throws(KarmaError) {
        let assessment = try assess(node: x.node, offence: x.offence, timestampMs: now, in: s)
        guard x.amount == assessment.amount else {
            throw .slashAmountMismatch(got: x.amount, want: assessment.amount)
        }
        var a = s.account(x.node)
        // Burn from bonded stake first, then from unmatured unbonding entries in list order (§6.1).
        var left = assessment.amount
        let fromBonded = min(left, a.bonded)
        a.bonded -= fromBonded
        left -= fromBonded
        var kept: [UnbondingEntry] = []
        for var e in a.unbonding {
            if e.maturesAtMs > now, left > 0 {
                let take = min(left, e.amount)
                e.amount -= take
                left -= take
            }
            if e.amount > 0 { kept.append(e) }
        }
        a.unbonding = kept
        // Then from escrow, then from the balance: earned karma is at risk too (§6.1).
        let fromEscrow = min(left, a.escrow)
        a.escrow -= fromEscrow
        left -= fromEscrow
        let fromBalance = min(left, a.balance)
        a.balance -= fromBalance
        left -= fromBalance
        guard left == 0 else { throw .invalidState("slash exceeds slashable stake (internal inconsistency)") }
        // Everything that can fail is computed before the state changes.
        let slashed = try CheckedMath.add(s.slashed, assessment.amount, "total slashed")
        if case .downtime(let through) = x.offence {
            a.nextLivenessWindow = try CheckedMath.add(through, 1, "window index")
        }
        switch x.offence {
        case .correlation(let job):
            s.jobs[job, default: [:]][x.node] = (s.jobs[job]?[x.node] ?? 0) + assessment.bps
        case .equivocation, .wrongOutput, .invalidProof:
            if let job = assessment.record.jobID, s.jobs[job]?[x.node] == nil {
                s.jobs[job, default: [:]][x.node] = 0
            }
        case .downtime:
            break
        }
        s.slashed = slashed
        s.recordOffence(assessment.offenceID, assessment.record)
        s.accounts[x.node] = a
    }

    func applyJail(_ j: Jail, now: UInt64, _ s: inout KarmaState) throws(KarmaError) {
        guard let record = s.offences[j.offenceID], record.node == j.node else {
            throw .unknownOffence(offence: j.offenceID)
        }
        let period = jailPeriodMs(for: record.kind)
        guard period > 0 else { throw .offenceNotJailable(offence: j.offenceID) }
        var w = CanonicalWriter()
        w.u8(10)
        w.digest(j.offenceID)
        let key = TaggedHash.hash(tag: Self.claimTag, w.bytes)
        guard !s.claims.contains(key) else { throw .duplicateClaim(kind: "jail", claim: key) }
        let until = try CheckedMath.add(now, period, "jail end")
        s.claims.insert(key)
        var a = s.account(j.node)
        a.jailedUntilMs = max(a.jailedUntilMs ?? 0, until)
        s.accounts[j.node] = a
    }
}
