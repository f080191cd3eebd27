import Foundation
import Karma
import Ledger
import Receipts

/// The validator's view of the kernel: re-executes a shard job and commits to tensors.
///
/// The production adapter (`KernelShardExecutor`) runs the deterministic integer kernel on models
/// loaded from the configured model directory; tests use small fakes.
public protocol ShardExecutor: Sendable {
    /// Checks that `bytes` is a well-formed canonical tensor and returns its commitment
    /// (specs/kernel.md: SHA-256 of the canonical bytes).
    ///
    /// - Throws: `ValidatorError.invalidTensor` when the bytes are not a canonical tensor.
    func commitment(ofTensor bytes: Data) throws(ValidatorError) -> Digest32

    /// `true` when this validator holds `modelID` and `layers` is a valid range of it.
    func canExecute(modelID: Digest32, layers: Range<UInt32>) -> Bool

    /// The work of running `layers` of `modelID` on `input`, in multiply-accumulates, without
    /// running it (used when a proof replaces re-execution).
    func multiplyAccumulates(modelID: Digest32, layers: Range<UInt32>, input: Data) throws(ValidatorError)
        -> UInt64

    /// Runs layers `[layers.lowerBound, layers.upperBound)` of `modelID` on `input`.
    ///
    /// - Returns: the canonical output tensor, its commitment, and the work done in
    ///   multiply-accumulates (credited to the validator as validation karma).
    /// - Throws: `ValidatorError.unknownModel` or `.invalidTensor` when the job cannot run.
    func execute(modelID: Digest32, layers: Range<UInt32>, input: Data) async throws(ValidatorError)
        -> ShardExecution
}

/// The result of one shard execution.
public struct ShardExecution: Sendable, Equatable {
    /// Canonical output tensor bytes.
    public var output: Data
    /// Commitment to `output`.
    public var commitment: Digest32
    /// Multiply-accumulate operations performed (the job's "shard size").
    public var multiplyAccumulates: UInt64

    public init(output: Data, commitment: Digest32, multiplyAccumulates: UInt64) {
        self.output = output
        self.commitment = commitment
        self.multiplyAccumulates = multiplyAccumulates
    }
}

/// The verdict of checking a succinct proof (a verdict, not an error: specs/proofs.md).
public enum ProofCheck: Sendable, Equatable {
    case valid
    case invalid(reason: String)
}

/// Verifies node-supplied proofs for layers that have a registered circuit.
public protocol ProofChecker: Sendable {
    /// `true` when `layers` of `modelID` has a registered circuit this checker can verify.
    func hasCircuit(modelID: Digest32, layers: Range<UInt32>) -> Bool

    /// Verifies that `proof` shows `output = layers(modelID weights, input)`.
    ///
    /// Never throws: malformed proof bytes are an `.invalid` verdict (the node supplied them).
    func verify(proof: Data, modelID: Digest32, layers: Range<UInt32>, input: Data, output: Data) async
        -> ProofCheck
}

/// A proof checker for a validator without registered circuits: it never claims a circuit.
public struct NoProofChecker: ProofChecker {
    public init() {}
    public func hasCircuit(modelID: Digest32, layers: Range<UInt32>) -> Bool { false }
    public func verify(proof: Data, modelID: Digest32, layers: Range<UInt32>, input: Data, output: Data) async
        -> ProofCheck
    { .invalid(reason: "no circuit is registered on this validator") }
}

/// Durable store of the heartbeats of windows not yet written to the ledger as uptime accruals,
/// so a restart loses no acknowledged heartbeat (specs/service.md §3.3).
public protocol HeartbeatJournal: Sendable {
    /// Every journaled heartbeat, by node and then timestamp.
    func pendingHeartbeats() throws(ValidatorError) -> [SignedHeartbeat]
    /// Queues `change`. Changes are applied in the order they are queued, many per transaction
    /// (group commit, off the caller's thread); the returned write resolves once it is durable.
    func record(_ change: HeartbeatJournalChange) -> DurableWrite<Void>
}

/// One change to the heartbeat journal.
public enum HeartbeatJournalChange: Sendable {
    /// Adds a heartbeat; first removes the node's journaled heartbeats when `replacingNode`.
    case add(SignedHeartbeat, replacingNode: Bool)
    /// Removes the journaled heartbeats of `node` with `timestampMs ≤ through`.
    case forget(node: XOnlyPublicKey, through: UInt64)
}

/// The kinds of signed requests a node sends directly to the karma rules.
public enum NodeRequestKind: String, Sendable, CaseIterable, Codable {
    case heartbeat
    case seedingReceipt = "seeding-receipt"
    case bond
    case unbond
    case withdraw
}

/// One ledger entry as recorded: where it sits in the log and what it is.
public struct RecordedEntry: Sendable, Equatable, Codable {
    /// Index of the entry in the ledger (0-based).
    public var index: UInt64
    /// Entry type name from specs/karma.md (`inference`, `redundancy`, ...); slashes name their
    /// offence: `slash/<offence>` (`slash/wrongOutput`, `slash/correlation`).
    public var type: String
    /// The node whose account the entry changes (hex x-only key).
    public var node: String
    /// `true` when the entry was already in the ledger and was not appended again.
    public var duplicate: Bool
    /// The job the entry is about (hex), for job-related entries.
    public var job: String?
    /// For a slash: the offence kind (specs/karma.md §6: `equivocation`, `wrongOutput`,
    /// `invalidProof`, `downtime`, `correlation`).
    public var offence: String?

    public init(
        index: UInt64, type: String, node: String, duplicate: Bool, job: String? = nil, offence: String? = nil
    ) {
        self.index = index
        self.type = type
        self.node = node
        self.duplicate = duplicate
        self.job = job
        self.offence = offence
    }

    /// The record of `entry` at ledger `index`.
    public init(_ entry: KarmaEntry, index: UInt64, duplicate: Bool, job: Digest32? = nil) {
        var offence: String?
        if case .slash(let s) = entry.body { offence = s.offence.kind.description }
        self.init(
            index: index, type: Self.typeName(entry), node: entry.node.hex, duplicate: duplicate,
            job: job?.hex,
            offence: offence)
    }

    /// The entry type name: the specs/karma.md type, and for slashes the offence
    /// (`slash/wrongOutput`, `slash/correlation`, ...).
    public static func typeName(_ entry: KarmaEntry) -> String {
        if case .slash(let s) = entry.body { return "slash/\(s.offence.kind)" }
        return entry.type.description
    }
}

/// An event the karma rules did not credit, and why.
public struct SkippedEvent: Sendable, Equatable {
    /// The job the event was about (hex).
    public var job: String?
    public var reason: String

    public init(job: String?, reason: String) {
        self.job = job
        self.reason = reason
    }
}

/// What `KarmaLedger.record` did with a batch of events.
public struct RecordOutcome: Sendable, Equatable {
    /// Entries appended (or found already present), in order.
    public var entries: [RecordedEntry]
    /// Events the rules do not credit in the subject's current status (a jailed node's inference
    /// credit, a validator below the minimum bond), each with the reason; nothing was appended
    /// for them.
    public var skipped: [SkippedEvent]

    public init(entries: [RecordedEntry], skipped: [SkippedEvent] = []) {
        self.entries = entries
        self.skipped = skipped
    }
}

/// Karma state and the append-only ledger behind it, as the service uses them.
///
/// Contract: `record` applies the events to the karma state and appends their canonical entries
/// to the ledger durably, in order, all or nothing, before returning. It is idempotent: an event
/// whose canonical entry is already in the ledger is not appended again and is reported with its
/// existing index and `duplicate == true` (settlement relies on this to resume after a crash).
/// The chunks of a model package the validator holds: its ledger registration and every chunk's
/// leaf hash, from which the validator builds the chunk proofs of seeding receipts.
public struct HeldChunks: Sendable {
    public var registration: ModelRegistration
    /// The chunk tree over the package's chunk leaf hashes (its root is the registered root).
    public var tree: InMemoryMerkleTree

    public init(registration: ModelRegistration, chunkHashes: [Digest32]) {
        self.registration = registration
        self.tree = InMemoryMerkleTree(leafHashes: chunkHashes)
    }
}

public protocol KarmaLedger: Sendable {
    /// Derives the karma entries of settled jobs with the karma rules, applies and durably appends
    /// them; see the protocol's contract.
    ///
    /// - Throws: `ValidatorError.rejectedByKarma` when the rules reject an event (nothing is
    ///   appended), `.storage` when the append fails.
    func record(_ settlements: [JobSettlement]) async throws(ValidatorError) -> RecordOutcome

    /// The rules' minimum audit probability (ppm) for a quorum of `nodes` in the current karma
    /// state (specs/karma.md §5.8).
    func auditMinimumPPM(nodes: [XOnlyPublicKey]) async -> UInt32

    /// The audit draw the log already holds for `job`, if any. A job settled again — its first
    /// settlement's entries were appended, then the process crashed or lost the lease before
    /// storing the settlement — reuses it: a draw in the log is a fact, and drawing again against
    /// the state that now includes the job's own credits could give another probability.
    func recordedAuditDraw(job: Digest32) async -> AuditDraw?

    /// Parses, verifies and records a node-signed request (heartbeat, seeding receipt, bond,
    /// unbond, withdraw) given as its JSON body.
    func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry]

    /// A node's account: balances, stake, jail status, scores and its most recent entries.
    /// `nil` when the ledger has never mentioned the node.
    func account(of node: XOnlyPublicKey, recent: Int) async throws(ValidatorError) -> NodeAccount?

    /// Karma summary of every node known to the ledger, sorted by node key.
    func accounts() async throws(ValidatorError) -> [NodeAccount]

    /// The current signed checkpoint (a C2SP signed note), text with trailing newline.
    func checkpoint() async throws(ValidatorError) -> String

    /// A C2SP tlog-tiles object for the path after `tile/` (e.g. `0/x001/234.p/7`,
    /// `entries/000`).
    func tile(path: String) async throws(ValidatorError) -> Data

    /// An RFC 9162 inclusion proof in the ledger issue's JSON shape.
    func inclusionProof(index: UInt64, size: UInt64?) async throws(ValidatorError) -> InclusionProofDocument

    /// An RFC 9162 consistency proof in the ledger issue's JSON shape.
    func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError) -> ConsistencyProofDocument

    /// Number of entries in the ledger.
    func size() async throws(ValidatorError) -> UInt64

    /// A node's account proven against a signed checkpoint (specs/ledger.md §10.3); `nil` when
    /// the node has no account.
    func balanceProof(of node: XOnlyPublicKey) async throws(ValidatorError) -> BalanceProofDocument?

    /// The checkpoint verifier key, `<name>+<key ID hex>+<base64>` (specs/ledger.md §5).
    func checkpointKey() async throws(ValidatorError) -> String

    /// Writes the uptime accruals of closed heartbeat windows and the downtime slashes they imply
    /// (specs/karma.md §5.5, §6.5); returns the entries written.
    func sweepLiveness() async throws(ValidatorError) -> [RecordedEntry]

    /// The karma state hash after every entry appended so far (specs/karma.md §8.4); nil when the
    /// store keeps no karma state.
    func stateHash() async throws(ValidatorError) -> Digest32?
}

extension KarmaLedger {
    /// A store without karma state (test fakes) has no state hash.
    public func stateHash() async throws(ValidatorError) -> Digest32? { nil }
}

/// The console's read-only views of the ledger (specs/service.md §3.6). Separate from
/// `KarmaLedger` so that test fakes without a Merkle log need not answer them.
public protocol LedgerExplorer: Sendable {
    /// A page of `node`'s ledger entries, newest first: those with index below `before` (all when
    /// `nil`), at most `limit`, with `next` the cursor of the following page. `nil` when the
    /// ledger has never mentioned the node.
    func history(of node: XOnlyPublicKey, before: UInt64?, limit: Int) async throws(ValidatorError)
        -> NodeHistoryPage?

    /// Slash entries, newest first, paged like ``history(of:before:limit:)``; only `node`'s when
    /// given.
    func slashes(node: XOnlyPublicKey?, before: UInt64?, limit: Int) async throws(ValidatorError) -> EntryPage

    /// Ledger entry `index`: its canonical bytes and JSON form.
    ///
    /// - Throws: `.notFound` when `index` is not below the ledger's size.
    func entry(at index: UInt64) async throws(ValidatorError) -> LedgerEntryView
}

extension LedgerKarmaBook: LedgerExplorer {}

/// A page of a node's history (`GET /v1/nodes/{pubkey}/history`).
public struct NodeHistoryPage: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var index: UInt64
        public var type: String
        /// Signed change to the node's earned karma (balance + escrow), micro-karma.
        public var delta: Int64
        public var detail: String
        /// Ledger time of the entry (Unix ms).
        public var timestampMs: UInt64
        /// The job the entry is about (hex), when it is about one.
        public var job: String?
    }

    public var node: String
    public var entries: [Entry]
    /// `before` for the next (older) page; absent on the last page.
    public var next: UInt64?
}

/// One ledger entry as the console shows and verifies it (`GET /v1/entries/{index}`).
public struct LedgerEntryView: Sendable, Equatable {
    public var index: UInt64
    /// The canonical entry bytes: the leaf data of the Merkle tree (leaf hash SHA-256(0x00 || data)).
    public var data: Data
    /// `RecordedEntry.typeName` (`inference`, `slash/wrongOutput`, …).
    public var type: String
    /// The node whose account the entry changes (hex), when there is one.
    public var node: String?
    /// The job the entry is about (hex), when there is one.
    public var job: String?
    /// The entry's JSON form (specs/karma.md §4.5).
    public var entry: JSONValue

    /// `{"index", "type", "node"?, "job"?, "data" (base64), "entry"}`.
    public func jsonObject() -> JSONValue {
        var members: [String: JSONValue] = [
            "index": .number(String(index)), "type": .string(type),
            "data": .string(data.base64EncodedString()),
            "entry": entry,
        ]
        if let node { members["node"] = .string(node) }
        if let job { members["job"] = .string(job) }
        return .object(members)
    }
}

/// A page of ledger entries, newest first, with the cursor of the next page.
public struct EntryPage: Sendable, Equatable {
    public var entries: [LedgerEntryView]
    public var next: UInt64?

    /// `{"entries": [...], "next": n | null}`.
    public func jsonObject() -> JSONValue {
        .object([
            "entries": .array(entries.map { $0.jsonObject() }),
            "next": next.map { .number(String($0)) } ?? .null,
        ])
    }
}

/// A node's karma account as served by `GET /v1/nodes/{pubkey}` (amounts in micro-karma).
public struct NodeAccount: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var index: UInt64
        public var type: String
        /// Signed change to the node's earned karma (balance + escrow) by this entry, micro-karma.
        public var delta: Int64
        public var detail: String

        public init(index: UInt64, type: String, delta: Int64, detail: String) {
            self.index = index
            self.type = type
            self.delta = delta
            self.detail = detail
        }
    }

    public var node: String
    /// Spendable micro-karma.
    public var balance: UInt64
    /// Micro-karma earned while the node held less than the node bond: slashable, not spendable
    /// until the node bonds (specs/karma.md §5.0).
    public var escrow: UInt64
    public var bonded: UInt64
    public var unbonding: UInt64
    public var jailed: Bool
    public var jailedUntilMs: UInt64?
    /// Scores in the five categories the grid shows: inference, seeding, uptime, redundancy,
    /// validation.
    public var scores: [String: UInt64]
    /// Offences slashed so far.
    public var offences: UInt64
    public var recentEntries: [Entry]

    public init(
        node: String, balance: UInt64, escrow: UInt64 = 0, bonded: UInt64, unbonding: UInt64, jailed: Bool,
        jailedUntilMs: UInt64?,
        scores: [String: UInt64], offences: UInt64, recentEntries: [Entry]
    ) {
        self.node = node
        self.balance = balance
        self.escrow = escrow
        self.bonded = bonded
        self.unbonding = unbonding
        self.jailed = jailed
        self.jailedUntilMs = jailedUntilMs
        self.scores = scores
        self.offences = offences
        self.recentEntries = recentEntries
    }
}
