import Foundation
import Receipts

/// Pay for one inference shard a node served (specs/karma.md §5.1).
///
/// Canonical fields: `node` 32, `jobID` 32, `receiptDigest` 32, `layerStart` u32, `layerEnd` u32,
/// `macs` u64, `latencyMs` u64, `slaMs` u64. Claim key: one per (node, job, layer range).
public struct InferenceAccrual: Equatable, Sendable {
    /// The node that ran the shard and earns.
    public var node: XOnlyPublicKey
    public var jobID: Digest32
    /// The digest of the node's signed receipt being paid (audit link; not re-verified here).
    public var receiptDigest: Digest32
    /// The shard's half-open layer range `[layerStart, layerEnd)`.
    public var layerStart: UInt32
    public var layerEnd: UInt32
    /// The shard's size in multiply-accumulates.
    public var macs: UInt64
    /// How long the node took, in ms, as measured by the validator.
    public var latencyMs: UInt64
    /// The job's latency target in ms; positive.
    public var slaMs: UInt64

    public init(
        node: XOnlyPublicKey, jobID: Digest32, receiptDigest: Digest32, layerStart: UInt32, layerEnd: UInt32,
        macs: UInt64, latencyMs: UInt64, slaMs: UInt64
    ) {
        self.node = node
        self.jobID = jobID
        self.receiptDigest = receiptDigest
        self.layerStart = layerStart
        self.layerEnd = layerEnd
        self.macs = macs
        self.latencyMs = latencyMs
        self.slaMs = slaMs
    }
}

/// The bonus for a node that served a redundant slot of a job and agreed with the verdict
/// (specs/karma.md §5.2).
///
/// Canonical fields: `node` 32, `jobID` 32, `layerStart` u32, `layerEnd` u32, `macs` u64,
/// `agreedOutput` 32. Claim key: one per (node, job, layer range).
public struct RedundancyBonus: Equatable, Sendable {
    public var node: XOnlyPublicKey
    public var jobID: Digest32
    public var layerStart: UInt32
    public var layerEnd: UInt32
    /// The redundant shard's size in multiply-accumulates.
    public var macs: UInt64
    /// The output commitment the verdict settled on (the node's receipt committed to the same).
    public var agreedOutput: Digest32

    public init(
        node: XOnlyPublicKey, jobID: Digest32, layerStart: UInt32, layerEnd: UInt32, macs: UInt64,
        agreedOutput: Digest32
    ) {
        self.node = node
        self.jobID = jobID
        self.layerStart = layerStart
        self.layerEnd = layerEnd
        self.macs = macs
        self.agreedOutput = agreedOutput
    }
}

/// How a validator settled a job.
public enum ValidationMethod: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Re-ran the shard on the deterministic kernel; paid per multiply-accumulate.
    case reexecution = 1
    /// Verified a succinct proof; paid a flat reward.
    case proof = 2

    public var description: String {
        switch self {
        case .reexecution: "reexecution"
        case .proof: "proof"
        }
    }
}

/// Pay for the validator's own work on one job (specs/karma.md §5.3).
///
/// Canonical fields: `validator` 32, `jobID` 32, `method` u8, `macs` u64. Claim key: one per
/// (validator, job, method). The validator must be eligible (§7.3).
public struct ValidationAccrual: Equatable, Sendable {
    public var validator: XOnlyPublicKey
    public var jobID: Digest32
    public var method: ValidationMethod
    /// Multiply-accumulates re-executed (ignored for ``ValidationMethod/proof``).
    public var macs: UInt64

    public init(validator: XOnlyPublicKey, jobID: Digest32, method: ValidationMethod, macs: UInt64) {
        self.validator = validator
        self.jobID = jobID
        self.method = method
        self.macs = macs
    }
}

/// One downloader-signed chunk receipt with the RFC 9162 inclusion proof of its `chunkHash` at
/// `chunkIndex` under the model's registered chunk root (specs/karma.md §5.4).
///
/// Canonical fields: the signed receipt (message, signature), then `u32` count and the proof's
/// hashes (at most ``maxProofHashes``), bottom-up.
public struct ChunkAttestation: Equatable, Sendable {
    /// A chunk tree of at most 2^32 leaves needs at most 32 hashes; more is malformed.
    public static let maxProofHashes = 64

    public var receipt: SignedSeedingChunkReceipt
    /// The audit path of the chunk in the model's chunk tree.
    public var proof: [Digest32]

    public init(receipt: SignedSeedingChunkReceipt, proof: [Digest32]) {
        self.receipt = receipt
        self.proof = proof
    }
}

/// Pay for model chunks a node served, proven by downloader-signed receipts with chunk proofs
/// (specs/karma.md §5.4).
///
/// Canonical fields: `seeder` 32, `count` u32, then each ``ChunkAttestation``.
public struct SeedingAccrual: Equatable, Sendable {
    public var seeder: XOnlyPublicKey
    /// One or more attestations, each signed by its downloader and naming `seeder`.
    public var receipts: [ChunkAttestation]

    public init(seeder: XOnlyPublicKey, receipts: [ChunkAttestation]) {
        self.seeder = seeder
        self.receipts = receipts
    }
}

/// A model package the validator holds, registered so that seeding receipts can be checked
/// against it by anyone replaying the ledger (specs/karma.md §4.3, type 13).
///
/// Canonical fields: `modelID` 32, `chunkRoot` 32, `chunkSize` u32, `payloadBytes` u64 — the
/// manifest's `payload` (specs/model-package.md §3), which anyone holding the manifest can check.
public struct ModelRegistration: Equatable, Sendable {
    public var modelID: Digest32
    public var chunkRoot: Digest32
    /// A power of two in [4096, 2^26].
    public var chunkSize: UInt32
    /// Positive; at most 2^32 chunks.
    public var payloadBytes: UInt64

    public init(modelID: Digest32, chunkRoot: Digest32, chunkSize: UInt32, payloadBytes: UInt64) {
        self.modelID = modelID
        self.chunkRoot = chunkRoot
        self.chunkSize = chunkSize
        self.payloadBytes = payloadBytes
    }

    /// What the state records.
    public var registered: RegisteredModel {
        RegisteredModel(chunkRoot: chunkRoot, chunkSize: chunkSize, payloadBytes: payloadBytes)
    }
}

/// Pay for one heartbeat window in which a node was up (specs/karma.md §5.5).
///
/// Canonical fields: `node` 32, `window` u64, `count` u32, then each signed heartbeat.
public struct UptimeAccrual: Equatable, Sendable {
    public var node: XOnlyPublicKey
    /// The window index: heartbeats with `timestampMs / heartbeatWindowMs == window` count.
    public var window: UInt64
    public var heartbeats: [SignedHeartbeat]

    public init(node: XOnlyPublicKey, window: UInt64, heartbeats: [SignedHeartbeat]) {
        self.node = node
        self.window = window
        self.heartbeats = heartbeats
    }
}

/// The kinds of offence, with their canonical tag (specs/karma.md §6).
public enum OffenceKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case equivocation = 1
    case wrongOutput = 2
    case invalidProof = 3
    case downtime = 4
    case correlation = 5

    public var description: String {
        switch self {
        case .equivocation: "equivocation"
        case .wrongOutput: "wrongOutput"
        case .invalidProof: "invalidProof"
        case .downtime: "downtime"
        case .correlation: "correlation"
        }
    }

    init(name: String) throws(KarmaError) {
        guard let k = Self.allCases.first(where: { $0.description == name }) else {
            throw .invalidField("offence.kind", reason: "\"\(name)\" is not an offence kind")
        }
        self = k
    }
}

/// An offence with the evidence that proves it (specs/karma.md §6).
public enum Offence: Equatable, Sendable {
    /// Two valid receipts by one node for the same job and layer range with different outputs.
    case equivocation(first: SignedReceipt, second: SignedReceipt)
    /// A valid receipt whose output differs from the validator's deterministic re-execution.
    case wrongOutput(receipt: SignedReceipt, reexecutedOutput: Digest32)
    /// A valid receipt whose attached proof (hash `proofHash` = the receipt's `proofRef`) failed
    /// verification for `reason`.
    case invalidProof(receipt: SignedReceipt, proofHash: Digest32, reason: String)
    /// The node missed every heartbeat window from its next expected window through `throughWindow`.
    case downtime(throughWindow: UInt64)
    /// The node is one of several quorum members of `jobID` slashed for that job.
    case correlation(jobID: Digest32)

    public var kind: OffenceKind {
        switch self {
        case .equivocation: .equivocation
        case .wrongOutput: .wrongOutput
        case .invalidProof: .invalidProof
        case .downtime: .downtime
        case .correlation: .correlation
        }
    }
}

/// A slash: burn part of a node's slashable stake for an offence (specs/karma.md §6).
///
/// Canonical fields: `node` 32, `amount` u64, `kind` u8, then the offence's evidence (§4.4).
/// `amount` must equal the amount the rules give (``KarmaEngine/slashAmount(node:offence:timestampMs:in:)``),
/// so the ledger states every burn explicitly and a replay checks it.
public struct Slash: Equatable, Sendable {
    public var node: XOnlyPublicKey
    public var offence: Offence
    /// µK burned.
    public var amount: MicroKarma

    public init(node: XOnlyPublicKey, offence: Offence, amount: MicroKarma) {
        self.node = node
        self.offence = offence
        self.amount = amount
    }
}

/// Jail a node for an offence it was slashed for (specs/karma.md §6.7).
///
/// Canonical fields: `node` 32, `offenceID` 32. One jail per offence.
public struct Jail: Equatable, Sendable {
    public var node: XOnlyPublicKey
    public var offenceID: Digest32

    public init(node: XOnlyPublicKey, offenceID: Digest32) {
        self.node = node
        self.offenceID = offenceID
    }
}

/// One initial allocation of a genesis entry (specs/karma.md §5.6).
public struct GenesisAllocation: Equatable, Sendable {
    public var node: XOnlyPublicKey
    /// µK credited to the liquid balance.
    public var balance: MicroKarma
    /// µK credited directly as bonded stake.
    public var bonded: MicroKarma

    public init(node: XOnlyPublicKey, balance: MicroKarma, bonded: MicroKarma) {
        self.node = node
        self.balance = balance
        self.bonded = bonded
    }
}

/// The validator's verifiable audit draw for one job whose assigned nodes all reported the same
/// output (specs/karma.md §5.8): an ECVRF proof (specs/vrf.md) under the validator's key over the
/// job and its receipts, whose output decides — with probability `probabilityPPM` / 10^6 — whether
/// the job was re-executed. Anyone can recompute the draw; the validator can neither skip nor pick
/// an audit, and the nodes cannot predict one before they submit.
///
/// Canonical fields: `validator` 32, `jobID` 32, u32 count (1 … ``maxNodes``), count × (node 32,
/// receiptDigest 32), `probabilityPPM` u32 (≤ 10^6), `proof` 81, `audited` u8 (0 or 1).
public struct AuditDraw: Equatable, Sendable {
    /// One assigned node and the digest of its signed receipt.
    public struct QuorumReceipt: Equatable, Sendable {
        public var node: XOnlyPublicKey
        public var receiptDigest: Digest32

        public init(node: XOnlyPublicKey, receiptDigest: Digest32) {
            self.node = node
            self.receiptDigest = receiptDigest
        }
    }

    /// Largest quorum a draw names.
    public static let maxNodes = 16
    /// `probabilityPPM` of a draw that always audits.
    public static let certain: UInt32 = 1_000_000
    /// The VRF input's domain tag.
    public static let alphaTag = "mesh/audit-draw/v1"

    public var validator: XOnlyPublicKey
    public var jobID: Digest32
    /// The assigned nodes in announcement order, each with its receipt's digest.
    public var receipts: [QuorumReceipt]
    /// The audit probability in parts per million.
    public var probabilityPPM: UInt32
    public var proof: VRFProof
    public var audited: Bool

    public init(
        validator: XOnlyPublicKey, jobID: Digest32, receipts: [QuorumReceipt], probabilityPPM: UInt32,
        proof: VRFProof, audited: Bool
    ) {
        self.validator = validator
        self.jobID = jobID
        self.receipts = receipts
        self.probabilityPPM = probabilityPPM
        self.proof = proof
        self.audited = audited
    }

    /// The VRF input: UTF-8 `"mesh/audit-draw/v1"` ‖ jobID ‖ (node ‖ receiptDigest) per receipt.
    public static func alpha(jobID: Digest32, receipts: [QuorumReceipt]) -> Data {
        var out = Data(alphaTag.utf8)
        out.append(jobID.bytes)
        for r in receipts {
            out.append(r.node.rawRepresentation)
            out.append(r.receiptDigest.bytes)
        }
        return out
    }

    /// Whether the VRF output `beta` audits at `probabilityPPM`: its first 8 bytes, big-endian,
    /// are below `⌊probabilityPPM · 2^64 / 10^6⌋` (exact in 128 bits; 10^6 ppm always audits,
    /// 0 never).
    public static func isAudited(beta: Digest32, probabilityPPM: UInt32) -> Bool {
        let draw = beta.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let threshold = (UInt128(probabilityPPM) << 64) / 1_000_000
        return UInt128(draw) < threshold
    }
}

/// The minimum audit probability the rules require for a quorum (specs/karma.md §5.8): protocol
/// constants of karma rules version 2. A validator may audit more often, never less.
public enum AuditRule {
    /// Every unanimous job: 5%.
    public static let floorPPM: UInt32 = 50_000
    /// A quorum with a node that has earned less than `seasonedInference` µK of inference: 25%.
    public static let newNodePPM: UInt32 = 250_000
    public static let seasonedInference: UInt64 = 1_000_000
    /// A quorum with a node that has ever been slashed (an offence record in the state): 50%.
    public static let offenderPPM: UInt32 = 500_000

    /// The largest of the rates that apply to any of `nodes` in `state`.
    public static func minimumPPM(nodes: [XOnlyPublicKey], in state: KarmaState) -> UInt32 {
        var p = floorPPM
        for node in nodes {
            if state.offenders.contains(node) { p = max(p, offenderPPM) }
            if state.account(node).scores.inference < seasonedInference { p = max(p, newNodePPM) }
        }
        return p
    }
}
