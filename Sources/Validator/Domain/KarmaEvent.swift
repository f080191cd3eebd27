import Foundation
import Receipts

/// An offence the validator can prove (specs/karma.md offences 1–3; downtime is found by the
/// karma rules from heartbeats).
public enum Offence: String, Sendable, Codable, CaseIterable {
    /// Two valid receipts by one node for one job with different outputs.
    case equivocation
    /// An output commitment that differs from the validator's re-execution (or verified proof).
    case wrongOutput = "wrong-output"
    /// An attached proof that does not verify.
    case invalidProof = "invalid-proof"
}

/// Evidence for a slash, re-checkable by anyone with the model and the job's input
/// (specs/service.md §4.4).
public struct OffenceEvidence: Sendable, Equatable {
    /// The offending node's signed receipts (one for wrong output and invalid proof, two with
    /// different outputs for equivocation).
    public var receipts: [SignedReceipt]
    /// The output commitment the validator established (`nil` for equivocation).
    public var truth: Digest32?
    /// How the truth was established: `re-execution` or `proof`.
    public var method: String?
    /// SHA-256 of the invalid proof (invalid-proof offences).
    public var proofHash: Digest32?
    /// A human-readable note (e.g. the proof verifier's reason).
    public var note: String?

    public init(
        receipts: [SignedReceipt], truth: Digest32?, method: String?, proofHash: Digest32?, note: String?
    ) {
        self.receipts = receipts
        self.truth = truth
        self.method = method
        self.proofHash = proofHash
        self.note = note
    }
}

/// What the service asks the karma rules to record. The `KarmaLedger` adapter turns each event
/// into the canonical ledger entry that specs/karma.md defines.
public enum KarmaEvent: Sendable, Equatable {
    /// A node ran a shard whose output matched the verdict.
    case inference(InferenceCredit)
    /// A node served a redundant slot of a quorum and agreed with the verdict `agreedOutput`.
    case redundancy(
        node: XOnlyPublicKey, job: Digest32, layers: Range<UInt32>, multiplyAccumulates: UInt64,
        agreedOutput: Digest32)
    /// The validator's own re-execution or proof check for a job (`byProof` when a verified
    /// proof replaced re-execution).
    case validation(validator: XOnlyPublicKey, job: Digest32, byProof: Bool, multiplyAccumulates: UInt64)
    /// A proven offence. `correlated` is the number of nodes of this job's quorum slashed for the
    /// job (≥ 2 triggers the correlation penalty).
    case slash(
        node: XOnlyPublicKey, job: Digest32, offence: Offence, correlated: UInt32, evidence: OffenceEvidence)
    /// An assigned node sent no receipt before the job's deadline.
    case slaMiss(node: XOnlyPublicKey, job: Digest32, deadlineMs: UInt64)

    /// Short name used in logs, metrics and the job view.
    public var kind: String {
        switch self {
        case .inference: "inference"
        case .redundancy: "redundancy"
        case .validation: "validation"
        case .slash: "slash"
        case .slaMiss: "sla-miss"
        }
    }

    /// The job this event is about.
    public var job: Digest32 {
        switch self {
        case .inference(let credit): credit.job
        case .redundancy(_, let job, _, _, _), .slash(_, let job, _, _, _), .slaMiss(_, let job, _),
            .validation(_, let job, _, _):
            job
        }
    }

    /// The node this event is about.
    public var subject: XOnlyPublicKey {
        switch self {
        case .inference(let credit): credit.node
        case .redundancy(let node, _, _, _, _), .slash(let node, _, _, _, _), .slaMiss(let node, _, _): node
        case .validation(let validator, _, _, _): validator
        }
    }
}

/// Inference credit for one node's agreeing receipt.
public struct InferenceCredit: Sendable, Equatable {
    public var node: XOnlyPublicKey
    public var job: Digest32
    /// The digest of the agreeing receipt (the ledger entry names it).
    public var receiptDigest: Digest32
    public var layers: Range<UInt32>
    public var multiplyAccumulates: UInt64
    /// Milliseconds from the validator storing the job's announcement to receiving this receipt
    /// (the node's own start and finish times are not trusted).
    public var latencyMs: UInt64
    public var slaMs: UInt64

    public init(
        node: XOnlyPublicKey, job: Digest32, receiptDigest: Digest32, layers: Range<UInt32>,
        multiplyAccumulates: UInt64, latencyMs: UInt64, slaMs: UInt64
    ) {
        self.node = node
        self.job = job
        self.receiptDigest = receiptDigest
        self.layers = layers
        self.multiplyAccumulates = multiplyAccumulates
        self.latencyMs = latencyMs
        self.slaMs = slaMs
    }
}
