import Receipts

/// How every paid job of a ledger was settled, as an auditor establishes it from the entries alone
/// (specs/karma.md §5.8, "What an auditor checks").
///
/// A job is *paid* when it has an `inference` accrual. Its settlement is *accounted for* when the
/// ledger also holds, for the same job, one of:
/// - a `validation` entry (method re-execution or proof): the validator established the output;
/// - a `wrongOutput` or `invalidProof` slash whose receipt names the job: the same, recorded as
///   evidence (a validator that is not eligible for validation karma leaves no `validation` entry);
/// - an `auditDraw` entry: the job was accepted by a unanimous quorum after a verifiable draw.
///
/// A paid job with none of these was accepted without re-execution, proof or the draw the
/// `audited` policy requires (an `on-dispute` validator, or one skipping draws). A draw that says
/// `audited` with no re-execution recorded for its job is reported too. The karma rules check each
/// draw as it applies (VRF proof, minimum probability, outcome); this type checks what no single
/// entry can: that nothing is missing.
///
/// Fed one entry at a time by ``KarmaReplayer`` when enabled; memory grows with the number of jobs
/// (three 32-byte keys per job at most).
public struct SettlementCoverage: Sendable, Equatable {
    /// Paid jobs, each with the ledger index of its first inference accrual.
    public private(set) var paid: [Digest32: UInt64] = [:]
    /// Jobs with a `validation` entry, by method.
    public private(set) var reexecuted: Set<Digest32> = []
    public private(set) var proved: Set<Digest32> = []
    /// Jobs named by a `wrongOutput` or `invalidProof` slash.
    public private(set) var judgedByEvidence: Set<Digest32> = []
    /// Jobs with an audit draw, and whether the draw audited.
    public private(set) var draws: [Digest32: Bool] = [:]
    /// The sum of the draws' probabilities in ppm (the expected number of audits is this / 10^6).
    public private(set) var drawnPPM: UInt64 = 0

    public init() {}

    /// Takes note of the entry at ledger `index`.
    public mutating func observe(_ entry: KarmaEntry, at index: UInt64) {
        switch entry.body {
        case .inference(let a):
            if paid[a.jobID] == nil { paid[a.jobID] = index }
        case .validation(let v):
            switch v.method {
            case .reexecution: reexecuted.insert(v.jobID)
            case .proof: proved.insert(v.jobID)
            }
        case .slash(let s):
            switch s.offence {
            case .wrongOutput(let receipt, _), .invalidProof(let receipt, _, _):
                judgedByEvidence.insert(receipt.receipt.jobID)
            default: break
            }
        case .auditDraw(let d):
            draws[d.jobID] = d.audited
            drawnPPM += UInt64(d.probabilityPPM)
        default: break
        }
    }

    /// A job the auditor cannot account for, with the ledger index of its first inference accrual.
    public struct Finding: Sendable, Equatable {
        public var jobID: Digest32
        public var firstInferenceIndex: UInt64

        public init(jobID: Digest32, firstInferenceIndex: UInt64) {
            self.jobID = jobID
            self.firstInferenceIndex = firstInferenceIndex
        }
    }

    /// What the entries show, by how each paid job was settled.
    public struct Report: Sendable, Equatable {
        /// Jobs with an inference accrual.
        public var paidJobs: Int
        /// Paid jobs with a re-execution `validation` entry.
        public var reexecuted: Int
        /// Paid jobs with a proof `validation` entry (and no re-execution).
        public var proved: Int
        /// Paid jobs with no `validation` entry, named by a `wrongOutput` or `invalidProof` slash.
        public var judgedByEvidence: Int
        /// Paid jobs accepted by consensus after a draw that did not audit.
        public var acceptedAfterDraw: Int
        /// Draws that audited, and the number expected from the draws' probabilities (×10^6).
        public var drawsAudited: Int
        public var draws: Int
        public var expectedAuditsPPM: UInt64
        /// Paid jobs with no validation entry, no re-execution evidence and no draw, in ledger order.
        public var unaccounted: [Finding]
        /// Jobs whose draw audited and for which no re-execution or proof is recorded, in ledger order.
        public var auditedWithoutReexecution: [Finding]

        /// `true` when every paid job is accounted for.
        public var isComplete: Bool { unaccounted.isEmpty && auditedWithoutReexecution.isEmpty }
    }

    /// The findings so far.
    public var report: Report {
        var r = Report(
            paidJobs: paid.count, reexecuted: 0, proved: 0, judgedByEvidence: 0, acceptedAfterDraw: 0,
            drawsAudited: draws.values.filter { $0 }.count, draws: draws.count, expectedAuditsPPM: drawnPPM,
            unaccounted: [], auditedWithoutReexecution: [])
        for (job, index) in paid {
            if reexecuted.contains(job) {
                r.reexecuted += 1
            } else if proved.contains(job) {
                r.proved += 1
            } else if judgedByEvidence.contains(job) {
                r.judgedByEvidence += 1
            } else if let audited = draws[job] {
                if audited {
                    r.auditedWithoutReexecution.append(Finding(jobID: job, firstInferenceIndex: index))
                } else {
                    r.acceptedAfterDraw += 1
                }
            } else {
                r.unaccounted.append(Finding(jobID: job, firstInferenceIndex: index))
            }
        }
        r.unaccounted.sort { $0.firstInferenceIndex < $1.firstInferenceIndex }
        r.auditedWithoutReexecution.sort { $0.firstInferenceIndex < $1.firstInferenceIndex }
        return r
    }
}
