import Foundation
import Receipts

/// One row of a node's history: an entry that touched the node and the account after it
/// (specs/karma.md §9).
public struct KarmaHistoryRow: Equatable, Sendable {
    /// The entry's ledger index (0-based leaf index).
    public var index: UInt64
    public var type: KarmaEntry.EntryType
    public var entryID: Digest32
    public var timestampMs: UInt64
    /// The account after the entry.
    public var account: Account
}

/// Why a replay of stored entries stopped.
public struct KarmaReplayFailure: Error, Sendable, CustomStringConvertible {
    /// The ledger index of the entry that could not be decoded or applied.
    public var index: UInt64
    public var error: KarmaError

    public var description: String { "ledger entry \(index): \(error)" }
}

/// Replays canonical entries as stored in the ledger, for auditors (specs/karma.md §9).
///
/// Feed entries in ledger order; every entry must decode and apply. The validator's karma state
/// must equal `state` after the same entries, so `state.stateHash` is the figure to compare.
public struct KarmaReplayer: Sendable {
    /// Called after each entry applies: its ledger index, the entry, and the account of the
    /// entry's node before and after it (the validator indexes its log and keeps each node's
    /// recent history this way, from the same replay an auditor runs).
    public typealias Observer = (_ index: UInt64, _ entry: KarmaEntry, _ before: Account, _ after: Account) ->
        Void

    public let engine: KarmaEngine
    /// The state after every entry fed so far.
    public private(set) var state = KarmaState()
    /// How many entries were applied (= the next ledger index).
    public private(set) var count: UInt64 = 0
    /// When set, the rows of entries that touched this node.
    public let trackedNode: XOnlyPublicKey?
    public private(set) var history: [KarmaHistoryRow] = []
    /// When enabled, how each paid job was settled (``SettlementCoverage``), from every entry applied.
    public private(set) var coverage: SettlementCoverage?

    /// - Parameter coverage: also account for every paid job's settlement (memory grows with the
    ///   number of jobs; `audit settlements` turns it on).
    public init(engine: KarmaEngine, trackingNode node: XOnlyPublicKey? = nil, coverage: Bool = false) {
        self.engine = engine
        self.trackedNode = node
        self.coverage = coverage ? SettlementCoverage() : nil
    }

    /// Continues a replay from `state`, the state after the ledger's first `count` entries (a
    /// validator following a log another process appends to, from the state it already holds).
    public init(engine: KarmaEngine, resuming state: KarmaState, count: UInt64) {
        self.engine = engine
        self.trackedNode = nil
        self.coverage = nil
        self.state = state
        self.count = count
    }

    /// Decodes and applies the entry at ledger index ``count``.
    /// - Throws: ``KarmaReplayFailure`` naming the index; the replayer is unchanged then.
    public mutating func apply(canonicalBytes: Data) throws(KarmaReplayFailure) {
        let entry: KarmaEntry
        do { entry = try KarmaEntry(canonicalBytes: canonicalBytes) } catch {
            throw KarmaReplayFailure(index: count, error: error)
        }
        try apply(decoded: entry)
    }

    /// Decodes and applies `batch`, the entries at ledger indices `count ..< count + batch.count`,
    /// with the same result as calling ``apply(canonicalBytes:)`` on each in order, faster.
    ///
    /// Decoding and the signature checks run on up to `threads` cores ahead of the apply (see
    /// ``KarmaBatch``); the apply itself is the engine's, in order, one entry at a time, and stays
    /// the only judge of every rule. The signatures found valid in the batch are answered from
    /// that check when the engine asks for them; any other signature is verified as usual.
    /// - Throws: ``KarmaReplayFailure`` naming the first entry that does not decode or apply; the
    ///   entries before it are applied, as with ``apply(canonicalBytes:)`` in a loop.
    public mutating func apply(batch: [Data], threads: Int = KarmaBatch.defaultThreads)
        throws(KarmaReplayFailure)
    {
        try apply(prepared: KarmaBatch(batch, threads: threads))
    }

    /// Applies a batch decoded and checked by ``KarmaBatch`` (built on another thread while the
    /// previous batch is applied, for instance). Same contract as ``apply(batch:threads:)``.
    public mutating func apply(prepared batch: KarmaBatch, observe: Observer? = nil)
        throws(KarmaReplayFailure)
    {
        try VerifiedSignatures.withPreverified(batch.signatures) { () throws(KarmaReplayFailure) in
            for decoded in batch.entries {
                switch decoded {
                case .success(let entry): try apply(decoded: entry, observe: observe)
                case .failure(let error): throw KarmaReplayFailure(index: count, error: error)
                }
            }
        }
    }

    /// Applies a decoded entry at ledger index ``count``.
    private mutating func apply(decoded entry: KarmaEntry, observe: Observer? = nil)
        throws(KarmaReplayFailure)
    {
        let before = trackedNode.map { state.account($0) }
        let nodeBefore = observe.map { _ in state.account(entry.node) }
        // In place and atomic: constant work per entry, and a refusal leaves `state` as it was.
        do { try engine.apply(entry, to: &state) } catch {
            throw KarmaReplayFailure(index: count, error: error)
        }
        if let node = trackedNode {
            let after = state.account(node)
            if entry.nodes.contains(node) || after != before {
                history.append(
                    KarmaHistoryRow(
                        index: count, type: entry.type, entryID: entry.entryID,
                        timestampMs: entry.timestampMs,
                        account: after))
            }
        }
        if let observe, let nodeBefore { observe(count, entry, nodeBefore, state.account(entry.node)) }
        coverage?.observe(entry, at: count)
        count += 1
    }
}

/// Canonical entries decoded, with their signatures checked, ahead of a sequential apply
/// (specs/karma.md §9: an auditor's replay).
///
/// The work is split into contiguous chunks, one per thread: each decodes its entries and verifies
/// their ``KarmaEntry/signatureClaims`` and ``KarmaEntry/vrfClaims`` (libsecp256k1 has no batch verification, so this is where
/// the cores help). Nothing is judged here: an entry that does not decode is kept as its error, and
/// an invalid signature is simply not in ``signatures``, so the engine verifies it again and refuses
/// the entry itself.
public struct KarmaBatch: Sendable {
    /// Threads used by default: the active cores.
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Each entry decoded, or why it does not decode, in input order.
    public let entries: [Result<KarmaEntry, KarmaError>]
    /// The signatures of ``entries`` that verified.
    public let signatures: VerifiedSignatures

    /// Decodes `canonical` and checks its signatures on up to `threads` threads (blocks until done).
    public init(_ canonical: [Data], threads: Int = KarmaBatch.defaultThreads) {
        let workers = max(1, min(threads, canonical.count / 64 + 1))
        let chunk = (canonical.count + workers - 1) / max(1, workers)
        let slots = Slots(workers: workers)
        let work: @Sendable (Int) -> Void = { w in
            let range = min(w * chunk, canonical.count)..<min((w + 1) * chunk, canonical.count)
            var out: [Result<KarmaEntry, KarmaError>] = []
            out.reserveCapacity(range.count)
            var claims: [VerifiedSignatures.Claim] = []
            var vrfClaims: [VerifiedSignatures.VRFClaim] = []
            for i in range {
                do throws(KarmaError) {
                    let entry = try KarmaEntry(canonicalBytes: canonical[i])
                    claims += entry.signatureClaims
                    vrfClaims += entry.vrfClaims
                    out.append(.success(entry))
                } catch {
                    out.append(.failure(error))
                }
            }
            slots.set(w, out, VerifiedSignatures.verify(claims, vrf: vrfClaims))
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        entries = slots.entries.flatMap { $0 }
        signatures = VerifiedSignatures.merging(slots.signatures)
    }

    /// Per-worker results behind a lock (one write per worker), read after all have joined.
    private final class Slots: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var entries: [[Result<KarmaEntry, KarmaError>]]
        private(set) var signatures: [VerifiedSignatures]
        init(workers: Int) {
            entries = Array(repeating: [], count: workers)
            signatures = Array(repeating: VerifiedSignatures.verify([]), count: workers)
        }
        func set(_ w: Int, _ e: [Result<KarmaEntry, KarmaError>], _ s: VerifiedSignatures) {
            lock.withLock {
                entries[w] = e
                signatures[w] = s
            }
        }
    }
}

extension KarmaReplayer {
    /// Replays the entries at ledger indices ``count`` ..< `end`, read in batches of `batchSize`:
    /// batch k + 1 is read, decoded and signature-checked on other threads while batch k is applied
    /// here, so the sequential apply overlaps everything else. Same result as
    /// ``apply(batch:threads:)`` on each batch in turn.
    ///
    /// - Parameters:
    ///   - end: one past the last ledger index to replay.
    ///   - threads: threads for decoding and signature checks (besides this one).
    ///   - read: the canonical entries at the given ledger indices, in order (e.g.
    ///     `Ledger.entries(in:)`); called on a background thread, one call at a time, at most two
    ///     batches ahead of the apply.
    /// - Throws: ``KarmaReplayFailure`` for the first entry that does not decode or apply (the
    ///   entries before it are applied), or what `read` threw (everything before it is applied).
    public mutating func apply(
        upTo end: UInt64, batchSize: Int = 4096, threads: Int = KarmaBatch.defaultThreads,
        read: @escaping @Sendable (Range<UInt64>) throws -> [Data], observe: Observer? = nil
    ) throws {
        let handoff = BatchHandoff(capacity: 2)
        defer { handoff.stop() }
        let step = UInt64(max(1, batchSize))
        let first = count
        // A thread of its own, not a GCD global queue: the apply below waits for this producer,
        // and while blocked work holds the global queues' threads GCD adds more only slowly.
        let producer = Thread {
            var start = first
            while true {
                let next: Result<KarmaBatch, any Error>?
                if start >= end {
                    next = nil
                } else {
                    let range = start..<min(end, start + step)
                    start = range.upperBound
                    do { next = .success(KarmaBatch(try read(range), threads: threads)) } catch {
                        next = .failure(error)
                    }
                }
                guard handoff.put(next), case .success = next else { return }
            }
        }
        producer.stackSize = 4 << 20
        producer.start()
        while let next = handoff.take() {
            try apply(prepared: try next.get(), observe: observe)
        }
    }
}

/// A bounded queue between the thread that prepares batches and the one that applies them.
/// `nil` marks the end; ``stop()`` releases a producer blocked on a full queue.
private final class BatchHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Result<KarmaBatch, any Error>?] = []
    private var stopped = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false when the consumer has stopped.
    func put(_ item: Result<KarmaBatch, any Error>?) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity, !stopped { condition.wait() }
        guard !stopped else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Waits for the next item; nil at the end.
    func take() -> Result<KarmaBatch, any Error>? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
