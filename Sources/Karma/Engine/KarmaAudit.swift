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
    public let engine: KarmaEngine
    /// The state after every entry fed so far.
    public private(set) var state = KarmaState()
    /// How many entries were applied (= the next ledger index).
    public private(set) var count: UInt64 = 0
    /// When set, the rows of entries that touched this node.
    public let trackedNode: XOnlyPublicKey?
    public private(set) var history: [KarmaHistoryRow] = []

    public init(engine: KarmaEngine, trackingNode node: XOnlyPublicKey? = nil) {
        self.engine = engine
        self.trackedNode = node
    }

    /// Decodes and applies the entry at ledger index ``count``.
    /// - Throws: ``KarmaReplayFailure`` naming the index; the replayer is unchanged then.
    public mutating func apply(canonicalBytes: Data) throws(KarmaReplayFailure) {
        let entry: KarmaEntry
        do { entry = try KarmaEntry(canonicalBytes: canonicalBytes) } catch {
            throw KarmaReplayFailure(index: count, error: error)
        }
        let before = trackedNode.map { state.account($0) }
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
        count += 1
    }
}
