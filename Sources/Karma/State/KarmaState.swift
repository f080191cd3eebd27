import Foundation
import Receipts

/// Per-node scores in the five categories the grid shows: the µK each category has earned the node
/// in total (specs/karma.md §8.2). Scores only grow; slashes burn stake, not scores.
public struct Scores: Equatable, Sendable {
    public var inference: UInt64 = 0
    public var seeding: UInt64 = 0
    public var uptime: UInt64 = 0
    public var redundancy: UInt64 = 0
    public var validation: UInt64 = 0

    public init(
        inference: UInt64 = 0, seeding: UInt64 = 0, uptime: UInt64 = 0, redundancy: UInt64 = 0,
        validation: UInt64 = 0
    ) {
        self.inference = inference
        self.seeding = seeding
        self.uptime = uptime
        self.redundancy = redundancy
        self.validation = validation
    }

    /// The categories in canonical order, with their JSON names.
    static var fields: [(String, WritableKeyPath<Scores, UInt64>)] {
        [
            ("inference", \.inference), ("seeding", \.seeding), ("uptime", \.uptime),
            ("redundancy", \.redundancy), ("validation", \.validation),
        ]
    }
}

/// Stake on its way out: slashable until `maturesAtMs`, withdrawable from then on (§7.2).
public struct UnbondingEntry: Equatable, Sendable {
    /// µK; positive.
    public var amount: MicroKarma
    /// Ledger time at which the stake stops being slashable and may be withdrawn.
    public var maturesAtMs: UInt64

    public init(amount: MicroKarma, maturesAtMs: UInt64) {
        self.amount = amount
        self.maturesAtMs = maturesAtMs
    }
}

/// Chunk bytes a downloader attested in one heartbeat window (specs/karma.md §5.4).
public struct SeedingAllowance: Equatable, Sendable {
    /// The heartbeat window of the entry that last counted bytes.
    public var window: UInt64
    /// Bytes attested in that window so far.
    public var bytes: UInt64

    public init(window: UInt64, bytes: UInt64) {
        self.window = window
        self.bytes = bytes
    }
}

/// A model package the validator holds, as registered in the ledger (specs/karma.md §4.3, `model`):
/// what a seeding chunk receipt is checked against.
public struct RegisteredModel: Equatable, Sendable {
    /// The root of the package's chunk tree (specs/model-package.md §4).
    public var chunkRoot: Digest32
    /// Bytes per chunk (a power of two); the last chunk may be shorter.
    public var chunkSize: UInt32
    /// Payload bytes in all.
    public var payloadBytes: UInt64

    public init(chunkRoot: Digest32, chunkSize: UInt32, payloadBytes: UInt64) {
        self.chunkRoot = chunkRoot
        self.chunkSize = chunkSize
        self.payloadBytes = payloadBytes
    }

    /// `ceil(payloadBytes / chunkSize)`.
    public var chunkCount: UInt64 { (payloadBytes + UInt64(chunkSize) - 1) / UInt64(chunkSize) }

    /// The length of chunk `index` (`nil` when there is no such chunk).
    public func chunkLength(_ index: UInt64) -> UInt64? {
        guard index < chunkCount else { return nil }
        return min(UInt64(chunkSize), payloadBytes - index * UInt64(chunkSize))
    }
}

/// One node's karma account (specs/karma.md §8.1).
public struct Account: Equatable, Sendable {
    /// Liquid µK: earned by accruals while the node holds `minNodeBond`, spent by bonding,
    /// refilled by withdrawals.
    public var balance: MicroKarma = 0
    /// µK earned while the node held less than `minNodeBond` bonded: slashable, not spendable; it
    /// can only be bonded, and it moves to `balance` once the node's bond reaches `minNodeBond`
    /// (§5.0).
    public var escrow: MicroKarma = 0
    /// µK of collateral; slashable.
    public var bonded: MicroKarma = 0
    /// Unbonding stake in the order it was requested.
    public var unbonding: [UnbondingEntry] = []
    /// When jailed, the ledger time from which an unjail request is accepted; nil when not jailed.
    public var jailedUntilMs: UInt64?
    /// The highest staking-request nonce used so far (0 = none).
    public var nonce: UInt64 = 0
    public var scores = Scores()
    /// The first heartbeat window not yet judged (credited up, or counted as missed by a downtime
    /// slash); nil until the node first bonds or is credited uptime (§5.5, §6.5).
    public var nextLivenessWindow: UInt64?
    /// Chunk bytes this node attested as a downloader in its latest window (§5.4).
    public var seeding: SeedingAllowance?

    public init() {}

    /// Whether the account holds nothing and would be omitted from the state.
    public var isEmpty: Bool { self == Account() }

    /// Whether the node is jailed.
    public var isJailed: Bool { jailedUntilMs != nil }

    /// Σ unbonding amounts.
    public func unbondingTotal() throws(KarmaError) -> MicroKarma {
        try CheckedMath.sum(unbonding.map(\.amount), "unbonding total")
    }
}

/// The record of one slashed offence (specs/karma.md §8.1).
public struct OffenceRecord: Equatable, Sendable {
    public var node: XOnlyPublicKey
    public var kind: OffenceKind
    /// The job for job-linked offences (equivocation, wrong output, invalid proof, correlation).
    public var jobID: Digest32?

    public init(node: XOnlyPublicKey, kind: OffenceKind, jobID: Digest32?) {
        self.node = node
        self.kind = kind
        self.jobID = jobID
    }
}

/// The whole karma state: what replaying the ledger from empty gives (specs/karma.md §8).
///
/// Value type; ``KarmaEngine/apply(_:to:)`` returns a new state and never mutates its input. Two
/// states are equal exactly when their ``stateHash`` is equal.
public struct KarmaState: Equatable, Sendable {
    /// State encoding version.
    public static let version: UInt16 = 2
    /// Domain tag of ``stateHash``.
    public static let hashTag = "mesh/karma/state/v1"

    /// Ledger time of the last applied entry (0 for the empty state).
    public var lastTimestampMs: UInt64 = 0
    /// Non-empty accounts by node key.
    public var accounts: [XOnlyPublicKey: Account] = [:]
    /// Claim keys of credited work, chunks and windows, and of applied jails (§8.3).
    public var claims: Set<Digest32> = []
    /// The parameters in force, set by the last `parameters` entry (nil until one is applied; the
    /// engine's own parameters apply then).
    public var parameters: KarmaParameters?
    /// Model packages registered by `model` entries, by model id (§5.4).
    public var models: [Digest32: RegisteredModel] = [:]
    /// Slashed offences by offence id (§6.7). Add with ``recordOffence(_:_:)``, which keeps
    /// ``offenders`` in step.
    public internal(set) var offences: [Digest32: OffenceRecord] = [:]
    /// Every node with an offence record: derived from ``offences`` (not encoded), so the audit
    /// rule of §5.8 looks a node up instead of scanning every offence.
    public private(set) var offenders: Set<XOnlyPublicKey> = []

    /// Records a slashed offence (offences are never removed).
    public mutating func recordOffence(_ id: Digest32, _ record: OffenceRecord) {
        offences[id] = record
        offenders.insert(record.node)
    }
    /// For each job with job-linked slashes: the slashed quorum members and the correlation penalty
    /// (bps) each has paid so far (§6.6).
    public var jobs: [Digest32: [XOnlyPublicKey: UInt64]] = [:]
    /// Total µK ever created by accruals (and by the genesis state).
    public var minted: MicroKarma = 0
    /// Total µK ever burned by slashes.
    public var slashed: MicroKarma = 0

    /// The empty state.
    public init() {}

    /// Whether this is the empty state (nothing recorded, all totals zero).
    public var isEmpty: Bool {
        lastTimestampMs == 0 && minted == 0 && slashed == 0 && claims.isEmpty && offences.isEmpty
            && jobs.isEmpty && parameters == nil && models.isEmpty && accounts.values.allSatisfy(\.isEmpty)
    }

    /// Whether no karma exists yet (no account, nothing minted or slashed): a `genesis` entry is
    /// valid only then, after any `parameters` and `model` entries (§5.6).
    public var holdsNoKarma: Bool {
        minted == 0 && slashed == 0 && claims.isEmpty && offences.isEmpty && jobs.isEmpty
            && accounts.values.allSatisfy(\.isEmpty)
    }

    /// The account of `node` (an empty account when it has none).
    public func account(_ node: XOnlyPublicKey) -> Account { accounts[node] ?? Account() }

    /// Checks the supply invariant `minted = Σ balance + Σ escrow + Σ bonded + Σ unbonding + slashed` and the
    /// shape rules (no empty accounts, no zero unbonding entries), with checked arithmetic.
    /// - Throws: ``KarmaError/invalidState(_:)`` naming what does not hold.
    public func checkInvariants() throws(KarmaError) {
        var total: UInt64 = 0
        for (key, a) in accounts {
            guard !a.isEmpty else { throw .invalidState("account \(key.hex) is empty and must be omitted") }
            for e in a.unbonding where e.amount == 0 {
                throw .invalidState("account \(key.hex) has a zero unbonding entry")
            }
            do {
                total = try CheckedMath.add(total, a.balance, "supply")
                total = try CheckedMath.add(total, a.escrow, "supply")
                total = try CheckedMath.add(total, a.bonded, "supply")
                total = try CheckedMath.add(total, try a.unbondingTotal(), "supply")
            } catch { throw .invalidState("supply sum overflows 64 bits") }
        }
        let (withSlashed, overflow) = total.addingReportingOverflow(slashed)
        guard !overflow, withSlashed == minted else {
            throw .invalidState(
                "minted \(minted) µK ≠ balances + escrow + bonded + unbonding \(total) µK + slashed \(slashed) µK"
            )
        }
    }

    // MARK: Canonical encoding and hash (§8.4)

    /// The canonical encoding: every collection sorted by key bytes, accounts omitted when empty.
    public var canonicalBytes: Data {
        var w = CanonicalWriter()
        w.u16(Self.version)
        w.u64(lastTimestampMs)
        w.u64(minted)
        w.u64(slashed)
        w.optional(parameters) { $0.digest($1.parametersHash) }
        let nodes = accounts.filter { !$0.value.isEmpty }.keys.sorted(by: Self.keyOrder)
        w.u32(UInt32(clamping: nodes.count))
        for node in nodes { Self.writeAccount(node, account(node), to: &w) }
        w.u32(UInt32(clamping: models.count))
        for (id, m) in models.sorted(by: { $0.key < $1.key }) {
            w.digest(id)
            w.digest(m.chunkRoot)
            w.u32(m.chunkSize)
            w.u64(m.payloadBytes)
        }
        w.u32(UInt32(clamping: claims.count))
        for k in Self.sortedClaimWords(claims) { k.write(to: &w) }
        w.u32(UInt32(clamping: offences.count))
        for (id, o) in offences.sorted(by: { $0.key < $1.key }) {
            w.digest(id)
            w.publicKey(o.node)
            w.u8(o.kind.rawValue)
            w.optional(o.jobID) { $0.digest($1) }
        }
        w.u32(UInt32(clamping: jobs.count))
        for (job, members) in jobs.sorted(by: { $0.key < $1.key }) {
            w.digest(job)
            w.u32(UInt32(clamping: members.count))
            for (node, bps) in members.sorted(by: { Self.keyOrder($0.key, $1.key) }) {
                w.publicKey(node)
                w.u64(bps)
            }
        }
        return w.bytes
    }

    /// Writes one account as it appears in ``canonicalBytes``: `key 32` then the account's fields
    /// (§8.4). The only list of the account fields in the encoding: the state hash and the account
    /// tree's leaves (specs/ledger.md §10) both use it.
    static func writeAccount(_ node: XOnlyPublicKey, _ a: Account, to w: inout CanonicalWriter) {
        w.publicKey(node)
        w.u64(a.balance)
        w.u64(a.escrow)
        w.u64(a.bonded)
        w.u32(UInt32(clamping: a.unbonding.count))
        for e in a.unbonding {
            w.u64(e.amount)
            w.u64(e.maturesAtMs)
        }
        w.optional(a.jailedUntilMs) { $0.u64($1) }
        w.u64(a.nonce)
        for (_, path) in Scores.fields { w.u64(a.scores[keyPath: path]) }
        w.optional(a.nextLivenessWindow) { $0.u64($1) }
        w.optional(a.seeding) {
            $0.u64($1.window)
            $0.u64($1.bytes)
        }
    }

    /// `TaggedHash("mesh/karma/state/v1", canonicalBytes)`: equal for two replays exactly when their
    /// states are equal.
    public var stateHash: Digest32 { TaggedHash.hash(tag: Self.hashTag, canonicalBytes) }

    /// Node keys order by their 32 bytes.
    static func keyOrder(_ a: XOnlyPublicKey, _ b: XOnlyPublicKey) -> Bool {
        a.rawRepresentation.lexicographicallyPrecedes(b.rawRepresentation)
    }

    /// Equality of the states the encoding sees (empty accounts ignored).
    public static func == (a: KarmaState, b: KarmaState) -> Bool { a.canonicalBytes == b.canonicalBytes }
}
