import Foundation
import Receipts

/// `GET /v1/jobs/{id}` (specs/openapi.yaml `Job`).
public struct JobView: Codable, Sendable, Equatable {
    public struct ReceiptSummary: Codable, Sendable, Equatable {
        public var node: String
        public var outputCommitment: String
        public var receiptDigest: String
        public var receivedAtMs: UInt64
        public var hasProof: Bool
    }

    public var jobId: String
    public var status: JobStatus
    public var modelId: String
    public var layers: [UInt32]
    public var inputCommitment: String
    public var nodes: [String]
    public var orchestrator: String
    public var deadlineMs: UInt64
    public var slaMs: UInt64
    public var hasInput: Bool
    public var receipts: [ReceiptSummary]
    /// Present once the job is final.
    public var settlement: SettlementRecord?
}

/// The response to `POST /v1/receipts` (specs/openapi.yaml `ReceiptAck`).
public struct ReceiptAck: Codable, Sendable, Equatable {
    /// `accepted`, `duplicate` or `equivocation`.
    public var status: ReceiptDisposition
    public var jobId: String
    public var receiptDigest: String
    /// Distinct assigned nodes with a stored receipt for the job.
    public var nodesReported: Int
    public var quorum: Int
}

/// The response to `POST /v1/jobs` (specs/openapi.yaml `JobAck`).
public struct JobAck: Codable, Sendable, Equatable {
    /// `created` or `duplicate`.
    public var status: String
    public var jobId: String
    public var announcementDigest: String
}

/// The response to the node-signed karma requests (specs/openapi.yaml `NodeRequestAck`).
public struct NodeRequestAck: Codable, Sendable, Equatable {
    public var kind: NodeRequestKind
    public var entries: [RecordedEntry]
}

/// `GET /v1/status`: a summary for operators.
public struct StatusView: Codable, Sendable, Equatable {
    public var validator: String
    public var ledgerSize: UInt64
    public var jobs: [String: Int]
    public var settlementMode: String
    /// This process in its cluster (specs/service.md §8.1): `single` (alone on SQLite), `leader`
    /// (holds the log's lease) or `follower`.
    public var role: String
    /// The checkpoint verifier key (c2sp.org/signed-note vkey form), as `GET /checkpoint.vkey`.
    public var checkpointKey: String
    /// The karma state hash (specs/karma.md §8.4) after every ledger entry, lowercase hex; what
    /// `mesh-validator audit balances` prints for the same ledger. Absent when the karma store
    /// cannot say.
    public var karmaStateHash: String?
}

/// `POST /v1/receipts/batch`: one result per submitted receipt, in order.
public struct ReceiptBatchAck: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        /// The status `POST /v1/receipts` would have answered for this receipt.
        public var status: Int
        /// The acknowledgement, for a 2xx status.
        public var receipt: ReceiptAck?
        /// The error, otherwise.
        public var error: ErrorBody.Detail?
    }

    public var results: [Item]
}
