import Foundation
import Receipts

/// What a validator established about one settled job: the input from which the karma rules
/// derive every credit, slash, jail and correlation penalty of the job (specs/karma.md §5, §6).
///
/// The validator decides only facts — who returned what, what the truth is, how long each node
/// took by the validator's clock, how many multiply-accumulates the shard is. What those facts are
/// worth is decided here, by ``KarmaEngine/plan(settlements:at:on:)``.
public struct JobSettlement: Equatable, Sendable {
    /// One assigned node's part in the job.
    public enum Verdict: Equatable, Sendable {
        /// The node's only output equals the truth.
        /// - Parameters:
        ///   - receiptDigest: the digest of the node's signed receipt (named by the accrual).
        ///   - latencyMs: the validator's measure: from storing the announcement to receiving the
        ///     receipt.
        case agreed(receiptDigest: Digest32, latencyMs: UInt64)
        /// The node committed an offence, proven by the evidence it carries.
        case offence(Offence)
        /// No receipt arrived, or the truth could not be established: neither credited nor slashed.
        case none
    }

    public var jobID: Digest32
    public var layerStart: UInt32
    public var layerEnd: UInt32
    /// The shard's size in multiply-accumulates, as the validator computed it.
    public var macs: UInt64
    public var slaMs: UInt64
    /// The output the verdict settled on (`nil` when no truth was established).
    public var truth: Digest32?
    /// The validator that settled the job, and how (`nil`: no truth, no validation credit).
    public var validator: XOnlyPublicKey
    public var method: ValidationMethod?
    /// The assigned nodes in announcement order, each with its verdict.
    public var nodes: [(node: XOnlyPublicKey, verdict: Verdict)]
    /// The audit draw of a unanimous job settled under the `audited` policy (§5.8), recorded
    /// before the job's other entries.
    public var auditDraw: AuditDraw?

    public init(
        jobID: Digest32, layerStart: UInt32, layerEnd: UInt32, macs: UInt64, slaMs: UInt64, truth: Digest32?,
        validator: XOnlyPublicKey, method: ValidationMethod?,
        nodes: [(node: XOnlyPublicKey, verdict: Verdict)], auditDraw: AuditDraw? = nil
    ) {
        self.jobID = jobID
        self.layerStart = layerStart
        self.layerEnd = layerEnd
        self.macs = macs
        self.slaMs = slaMs
        self.truth = truth
        self.validator = validator
        self.method = method
        self.nodes = nodes
        self.auditDraw = auditDraw
    }

    public static func == (a: JobSettlement, b: JobSettlement) -> Bool {
        a.jobID == b.jobID && a.layerStart == b.layerStart && a.layerEnd == b.layerEnd && a.macs == b.macs
            && a.slaMs == b.slaMs && a.truth == b.truth && a.validator == b.validator && a.method == b.method
            && a.nodes.count == b.nodes.count
            && zip(a.nodes, b.nodes).allSatisfy { $0.node == $1.node && $0.verdict == $1.verdict }
            && a.auditDraw == b.auditDraw
    }
}

/// Entries the rules derived and applied, in ledger order, with the state after all of them.
public struct KarmaPlan: Sendable {
    /// One planned entry and the account of its node before and after it.
    public struct Step: Sendable {
        public var entry: KarmaEntry
        /// The job the entry belongs to (settlement plans).
        public var jobID: Digest32?
        public var before: Account
        public var after: Account

        public init(entry: KarmaEntry, jobID: Digest32? = nil, before: Account, after: Account) {
            self.entry = entry
            self.jobID = jobID
            self.before = before
            self.after = after
        }
    }

    /// An entry the rules did not take, and why. Not an error: a jailed node earns nothing, a
    /// window with too few heartbeats is not up, an entry already in the ledger is not written twice.
    public struct Left: Sendable {
        public var entry: KarmaEntry
        public var jobID: Digest32?
        public var reason: KarmaError
        /// `true` when the ledger already holds this work or offence (a settlement run again).
        public var alreadyApplied: Bool

        public init(entry: KarmaEntry, jobID: Digest32? = nil, reason: KarmaError, alreadyApplied: Bool) {
            self.entry = entry
            self.jobID = jobID
            self.reason = reason
            self.alreadyApplied = alreadyApplied
        }
    }

    public var steps: [Step] = []
    public var left: [Left] = []
    /// The state after every step: exactly what replaying the steps' entries gives.
    public var state: KarmaState

    public var entries: [KarmaEntry] { steps.map(\.entry) }

    /// An empty plan starting from `state`.
    public init(state: KarmaState) { self.state = state }
}

extension KarmaEngine {
    /// Derives the entries of settled jobs and applies them in order to `state` (specs/karma.md §5.1
    /// – §5.3, §5.7, §6): per job, for each assigned node in order its inference credit (and the
    /// redundancy bonus when two or more nodes agreed) or its slash and, for jailable offences of a
    /// node not yet jailed, its jail; then one correlation penalty for every slashed member of a job
    /// with two or more slashed members that has not paid the current rate; then the validator's
    /// credit.
    ///
    /// Slash amounts are assessed against the state left by the entries before them, so the plan
    /// replays to ``KarmaPlan/state`` exactly.
    ///
    /// - Returns: the plan; credits the rules refuse for a node's status (jailed, not an eligible
    ///   validator) and work or offences the state already holds are in ``KarmaPlan/left``.
    /// - Throws: any other refusal: the settlement is inconsistent with the rules (bad evidence,
    ///   overflow), and nothing is planned.
    public func plan(settlements: [JobSettlement], at t: UInt64, on state: KarmaState) throws(KarmaError)
        -> KarmaPlan
    {
        var plan = KarmaPlan(state: state)
        for job in settlements {
            if let draw = job.auditDraw {
                try stage(KarmaEntry(timestampMs: t, body: .auditDraw(draw)), job: job.jobID, into: &plan)
            }
            let agreed = job.nodes.filter {
                if case .agreed = $0.verdict { return true }
                return false
            }.count
            for (node, verdict) in job.nodes {
                switch verdict {
                case .agreed(let digest, let latency):
                    try stage(
                        KarmaEntry(
                            timestampMs: t,
                            body: .inference(
                                InferenceAccrual(
                                    node: node, jobID: job.jobID, receiptDigest: digest,
                                    layerStart: job.layerStart, layerEnd: job.layerEnd, macs: job.macs,
                                    latencyMs: latency, slaMs: job.slaMs))), job: job.jobID, into: &plan)
                    if agreed >= 2, let truth = job.truth {
                        try stage(
                            KarmaEntry(
                                timestampMs: t,
                                body: .redundancy(
                                    RedundancyBonus(
                                        node: node, jobID: job.jobID, layerStart: job.layerStart,
                                        layerEnd: job.layerEnd, macs: job.macs, agreedOutput: truth))),
                            job: job.jobID, into: &plan)
                    }
                case .offence(let offence):
                    try stageSlash(node: node, offence: offence, at: t, job: job.jobID, into: &plan)
                case .none:
                    break
                }
            }
            // Correlation (§6.6): decided by the rules from the job's slashed members, once.
            let members = (plan.state.jobs[job.jobID] ?? [:]).keys.sorted(by: KarmaState.keyOrder)
            if members.count >= 2 {
                for node in members {
                    try stageSlash(
                        node: node, offence: .correlation(jobID: job.jobID), at: t, job: job.jobID,
                        into: &plan)
                }
            }
            if let method = job.method {
                try stage(
                    KarmaEntry(
                        timestampMs: t,
                        body: .validation(
                            ValidationAccrual(
                                validator: job.validator, jobID: job.jobID, method: method, macs: job.macs))),
                    job: job.jobID, into: &plan)
            }
        }
        return plan
    }

    /// Derives the liveness entries due at ledger time `t` (specs/karma.md §5.5, §6.5): the uptime
    /// accrual of each closed window in `closedWindows` the rules accept, then a downtime slash and
    /// jail for every bonded, unjailed node whose missed stretch through the last closed window
    /// reached `downtimeMissedWindows` (nodes credited in this plan are not).
    ///
    /// - Throws: only when the state is inconsistent with the rules (overflow); a window the rules
    ///   do not pay is in ``KarmaPlan/left`` with the reason.
    ///
    /// - Parameter chargeDowntime: `false` to judge only the given windows (a window closed by the
    ///   node's next heartbeat); the periodic sweep passes `true`.
    public func livenessPlan(
        closedWindows: [UptimeAccrual], at t: UInt64, on state: KarmaState, chargeDowntime: Bool = true
    ) throws(KarmaError) -> KarmaPlan {
        var plan = KarmaPlan(state: state)
        var credited = Set<XOnlyPublicKey>()
        for accrual in closedWindows {
            let entry = KarmaEntry(timestampMs: t, body: .uptime(accrual))
            let before = plan.state.account(accrual.node)
            do {
                try apply(entry, to: &plan.state)
                plan.steps.append(
                    .init(entry: entry, before: before, after: plan.state.account(accrual.node)))
                credited.insert(accrual.node)
            } catch {
                switch error {
                case .overflow, .invalidState, .timestampRegressed: throw error
                default: plan.left.append(.init(entry: entry, reason: error, alreadyApplied: false))
                }
            }
        }
        let current = window(containing: t)
        guard chargeDowntime, current > 0 else { return plan }
        let through = current - 1
        for (node, account) in plan.state.accounts.sorted(by: { KarmaState.keyOrder($0.key, $1.key) }) {
            guard account.bonded > 0, !account.isJailed, !credited.contains(node),
                let next = account.nextLivenessWindow, through >= next,
                through - next + 1 >= parameters.downtimeMissedWindows
            else { continue }
            try stageSlash(
                node: node, offence: .downtime(throughWindow: through), at: t, job: nil, into: &plan)
        }
        return plan
    }

    /// Applies a credit to the plan's state; a status refusal or a claim already used leaves it.
    private func stage(_ entry: KarmaEntry, job: Digest32?, into plan: inout KarmaPlan) throws(KarmaError) {
        let before = plan.state.account(entry.node)
        do {
            try apply(entry, to: &plan.state)
        } catch {
            switch error {
            case .duplicateClaim:  // already in the ledger: a settlement run again
                plan.left.append(.init(entry: entry, jobID: job, reason: error, alreadyApplied: true))
            case .nodeJailed, .notEligibleValidator:  // the node's status earns it nothing now
                plan.left.append(.init(entry: entry, jobID: job, reason: error, alreadyApplied: false))
            default:
                throw error
            }
            return
        }
        plan.steps.append(
            .init(entry: entry, jobID: job, before: before, after: plan.state.account(entry.node)))
    }

    /// Assesses and applies a slash (and its jail when the offence jails and the node is free); an
    /// offence already slashed, or a correlation rate already paid, leaves it.
    private func stageSlash(
        node: XOnlyPublicKey, offence: Offence, at t: UInt64, job: Digest32?, into plan: inout KarmaPlan
    ) throws(KarmaError) {
        let assessment: OffenceAssessment
        do {
            assessment = try assess(node: node, offence: offence, timestampMs: t, in: plan.state)
        } catch {
            switch error {
            case .offenceAlreadySlashed, .correlationAlreadyApplied:  // already in the ledger
                let probe = KarmaEntry(
                    timestampMs: t, body: .slash(Slash(node: node, offence: offence, amount: 0)))
                plan.left.append(.init(entry: probe, jobID: job, reason: error, alreadyApplied: true))
                // The jail the first run wrote with it (if the node was free then) is the run's too.
                if case .offenceAlreadySlashed(let offenceID) = error, jailPeriodMs(for: offence.kind) > 0 {
                    let jail = KarmaEntry(timestampMs: t, body: .jail(Jail(node: node, offenceID: offenceID)))
                    plan.left.append(.init(entry: jail, jobID: job, reason: error, alreadyApplied: true))
                }
                return
            default:
                throw error
            }
        }
        let slash = KarmaEntry(
            timestampMs: t, body: .slash(Slash(node: node, offence: offence, amount: assessment.amount)))
        let before = plan.state.account(node)
        try apply(slash, to: &plan.state)
        plan.steps.append(.init(entry: slash, jobID: job, before: before, after: plan.state.account(node)))
        guard jailPeriodMs(for: offence.kind) > 0, !before.isJailed else { return }
        try stage(
            KarmaEntry(timestampMs: t, body: .jail(Jail(node: node, offenceID: assessment.offenceID))),
            job: job,
            into: &plan)
    }
}
