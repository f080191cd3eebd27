import Foundation
import Receipts

/// A job's place in its life cycle (specs/service.md §4.1).
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    /// Accepting receipts.
    case pending
    /// Frozen for settlement: no more receipts; the verdict is being computed or recorded.
    case settling
    /// Final; every claim that arrived matched the verdict.
    case settled
    /// Final; claims disagreed, an offence was found, or the truth could not be established.
    case disputed

    /// `true` for the two final states.
    public var isFinal: Bool { self == .settled || self == .disputed }
}

/// A job as stored.
public struct JobRecord: Sendable {
    public var signed: SignedJobAnnouncement
    public var status: JobStatus
    public var hasInput: Bool
    public var createdMs: UInt64
    public var settlement: SettlementRecord?

    public var announcement: JobAnnouncement { signed.announcement }
}

/// A receipt as stored, with the data that came with it.
public struct StoredReceipt: Sendable {
    public var signed: SignedReceipt
    /// `signed.receipt.digest` (the signed tagged hash): identifies the receipt.
    public var digest: Digest32
    public var receivedMs: UInt64
    public var proof: Data?
}

/// A verified receipt ready to be stored.
public struct ReceiptToStore: Sendable {
    public var signed: SignedReceipt
    public var digest: Digest32
    public var output: Data
    public var input: Data?
    public var proof: Data?
    public var receivedMs: UInt64

    public init(
        signed: SignedReceipt, digest: Digest32, output: Data, input: Data?, proof: Data?, receivedMs: UInt64
    ) {
        self.signed = signed
        self.digest = digest
        self.output = output
        self.input = input
        self.proof = proof
        self.receivedMs = receivedMs
    }
}

/// What storing a receipt did (specs/service.md §4.3).
public enum ReceiptDisposition: String, Codable, Sendable {
    /// First receipt from this node for this job: stored.
    case accepted
    /// This receipt (or another by the same node with the same output) is already stored:
    /// nothing changed.
    case duplicate
    /// The node already signed a different output for this job: stored as equivocation evidence.
    case equivocation
}

/// The result of storing one receipt.
public struct ReceiptStoreResult: Sendable, Equatable {
    public var disposition: ReceiptDisposition
    /// Distinct assigned nodes that have a receipt stored for the job, after this one.
    public var nodesReported: Int
}

/// The settlement as persisted and served in the job view.
public struct SettlementRecord: Codable, Sendable, Equatable {
    public struct NodeOutcome: Codable, Sendable, Equatable {
        public var node: String
        /// `agreed`, `wrong-output`, `equivocation`, `invalid-proof`, `absent` or `unjudged`.
        public var outcome: String
        /// Output commitments the node signed (empty when absent).
        public var claimed: [String]
    }

    public struct OffenceRecord: Codable, Sendable, Equatable {
        public var node: String
        public var offence: String
        /// Ledger index of the slash entry.
        public var ledgerIndex: UInt64?
    }

    /// The verifiable audit draw of a unanimous job under the `audited` policy (specs/service.md
    /// §4.1, specs/karma.md §5.8).
    public struct AuditRecord: Codable, Sendable, Equatable {
        /// The audit probability, parts per million.
        public var probabilityPPM: UInt32
        /// Whether the draw audited the job (it was then re-executed).
        public var audited: Bool
        /// The 81-byte ECVRF proof (hex), checkable with the validator's key.
        public var proof: String
    }

    /// The established output commitment (hex), or nil when it could not be established.
    public var truth: String?
    /// `re-execution`, `proof`, `consensus` (every node agreed and no audit was drawn) or `none`.
    public var method: String
    /// Why the truth is missing, or what the proof check said.
    public var note: String?
    public var majority: String?
    public var majorityOverruled: Bool
    public var correlated: Bool
    public var outcomes: [NodeOutcome]
    public var offences: [OffenceRecord]
    /// Ledger entries written for this job, in order.
    public var entries: [RecordedEntry]
    public var settledAtMs: UInt64
    /// Time from the job becoming ready (all receipts in, or deadline) to the verdict being
    /// recorded, in microseconds; nil when settled during crash recovery.
    public var latencyMicros: UInt64?
    /// The audit draw, for unanimous jobs under the `audited` policy.
    public var audit: AuditRecord? = nil
}

/// Durable storage of jobs and receipts. Every mutating call returns only after the change is
/// durable (SQLite WAL, `synchronous=FULL`).
public protocol JobRepository: Sendable {
    /// Stores a new job. Returns `true` when created, `false` when the identical announcement was
    /// already stored (idempotent).
    ///
    /// - Throws: `.conflictingAnnouncement` when the id exists with other content.
    func insertJob(_ signed: SignedJobAnnouncement, input: Data?, nowMs: UInt64) async throws(ValidatorError)
        -> Bool

    func job(_ id: Digest32) async throws(ValidatorError) -> JobRecord?

    /// The signed announcement of a job (announcements never change, so implementations cache).
    func announcement(_ id: Digest32) async throws(ValidatorError) -> SignedJobAnnouncement?

    /// Receipts stored for a job, in arrival order.
    func receipts(of id: Digest32) async throws(ValidatorError) -> [StoredReceipt]

    /// Stores a verified receipt for a pending job, detecting duplicates and equivocation, and
    /// the input tensor when the job has none yet.
    ///
    /// - Throws: `.unknownJob`, `.jobAlreadySettled` (checked inside the write transaction).
    func store(_ receipt: ReceiptToStore) async throws(ValidatorError) -> ReceiptStoreResult

    /// The job's input tensor, if the validator has it.
    func input(of id: Digest32) async throws(ValidatorError) -> Data?

    /// A stored output tensor by commitment.
    func tensor(_ commitment: Digest32) async throws(ValidatorError) -> Data?

    /// Moves pending jobs to `settling` (no more receipts), in one transaction. Returns each known
    /// job's status after the call; jobs already `settling` or final are left as they are.
    func freeze(_ ids: [Digest32]) async throws(ValidatorError) -> [Digest32: JobStatus]

    /// Records the final status and settlement of `settling` jobs, in one transaction.
    func finish(_ updates: [(Digest32, JobStatus, SettlementRecord)]) async throws(ValidatorError)

    /// Jobs that need settling now: every `settling` job (resumed after a crash), pending jobs
    /// whose deadline is ≤ `nowMs` and, when `includeComplete`, pending jobs whose every assigned
    /// node has reported (a scan of all pending jobs: the service queues those as their last
    /// receipt arrives and runs this scan only at start and now and then as a safety net).
    func jobsToSettle(nowMs: UInt64, includeComplete: Bool) async throws(ValidatorError) -> [Digest32]

    /// Number of jobs per status.
    func statusCounts() async throws(ValidatorError) -> [JobStatus: Int]

    /// Final jobs, most recently settled first: every job whose settlement sequence number (1, 2,
    /// … in the order settlements were recorded) is below `before` (all when `nil`), at most
    /// `limit` of them.
    func settledJobs(before: UInt64?, limit: Int) async throws(ValidatorError) -> [SettledJob]

    /// Settlements recorded per minute of Unix time (`settledAtMs / 60000`) from minute
    /// `fromMinute` on, by status and method; minutes without a settlement are absent.
    func settlementsPerMinute(fromMinute: UInt64) async throws(ValidatorError) -> [SettlementMinute]

    /// Receipts signed by `node`, newest first: those whose storage sequence number is below
    /// `before` (all when `nil`), at most `limit`, each with its job's current status.
    func receipts(ofNode node: XOnlyPublicKey, before: UInt64?, limit: Int) async throws(ValidatorError)
        -> [NodeReceipt]
}

/// A final job with its settlement sequence number (the order settlements were recorded).
public struct SettledJob: Sendable {
    public var sequence: UInt64
    public var job: JobRecord
}

/// Settlements recorded in one minute (`minute` = Unix ms / 60,000).
public struct SettlementMinute: Sendable, Equatable, Codable {
    public var minute: UInt64
    public var settled: Int
    public var disputed: Int
    /// Counts by how the truth was established: `re-execution`, `proof`, `none`.
    public var methods: [String: Int]
}

/// A receipt as listed on a node's page.
public struct NodeReceipt: Sendable, Equatable, Codable {
    /// Storage sequence number (the paging cursor).
    public var sequence: UInt64
    public var jobId: String
    public var receiptDigest: String
    public var outputCommitment: String
    public var receivedAtMs: UInt64
    public var hasProof: Bool
    /// The job's status now.
    public var jobStatus: JobStatus
}

extension JobRepository {
    /// `freeze` for one job.
    public func freeze(_ id: Digest32) async throws(ValidatorError) -> JobStatus? {
        try await freeze([id])[id]
    }

    /// `finish` for one job.
    public func finish(_ id: Digest32, status: JobStatus, settlement: SettlementRecord)
        async throws(ValidatorError)
    {
        try await finish([(id, status, settlement)])
    }
}
