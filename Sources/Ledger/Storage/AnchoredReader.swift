import Foundation
import GRDB

/// What reading entries against a checkpoint found (specs/ledger.md §7.1). Not an error: a
/// mismatch is the auditor's finding, not a failure to read.
public enum AnchorVerdict: Equatable, Sendable {
    /// Every entry in `[0, size)` hashes to the tree, and the tree's root is the checkpoint's.
    case anchored
    /// Entry `index` does not hash to the leaf hash the log stores for it (a changed entry).
    case entryMismatch(index: UInt64)
    /// Every entry matches its stored leaf hash, but the entries' root is not the checkpoint's
    /// (entries and stored hashes were changed together, or the checkpoint is for another tree).
    case rootMismatch(computed: MerkleHash, expected: MerkleHash)
}

/// The RFC 9162 root of a stream of leaf hashes in O(log n) memory: the compact range `[0, n)`,
/// one perfect subtree root per set bit of `n`, largest (leftmost) first.
///
/// Appending costs one push and, amortised, one node hash; no allocation once the stack has
/// reached its height.
public struct StreamingRoot: Sendable {
    /// Roots of the perfect subtrees covering `[0, count)`, left to right.
    private var stack: [MerkleHash] = []
    /// Leaves appended so far.
    public private(set) var count: UInt64 = 0

    public init() {
        stack.reserveCapacity(64)
    }

    /// Appends the next leaf hash.
    public mutating func append(_ leafHash: MerkleHash) {
        var h = leafHash
        var c = count
        while c & 1 == 1, let left = stack.popLast() {
            h = RFC9162.hashChildren(left, h)
            c >>= 1
        }
        stack.append(h)
        count += 1
    }

    /// `MTH` of the leaves appended so far (`SHA-256("")` for none): the subtree roots folded
    /// right to left, `H(left, right)`.
    public var root: MerkleHash {
        guard var r = stack.last else { return RFC9162.emptyRoot }
        for left in stack.dropLast().reversed() { r = RFC9162.hashChildren(left, r) }
        return r
    }
}

extension Ledger {
    /// Reads entries `[0, checkpoint.size)` in index order, in one streaming pass, and checks them
    /// against the tree before trusting them: each entry's leaf hash must equal the leaf hash
    /// the log stores for it (reported by index), and the root of all of them must equal the
    /// checkpoint's root. Call it with a checkpoint whose signature the caller has verified.
    ///
    /// `body` sees each entry once, in order, right after its leaf hash has matched the stored
    /// one; it is not called for an entry that does not match, nor after that. When `body`
    /// throws, no more entries are passed to it but hashing continues to the end, so that a
    /// changed entry is reported as such rather than as whatever `body` made of it: the verdict
    /// is returned when it is not `.anchored`, and `body`'s error is rethrown otherwise.
    ///
    /// Costs one SHA-256 per entry plus amortised one node hash, one tile read per 256 entries.
    ///
    /// - Returns: the verdict; `body` has seen exactly the anchored entries when it is `.anchored`.
    /// - Throws: `.sizeBeyondTree` when the checkpoint is larger than the committed tree;
    ///   `.corrupted` or `.database` when entries or tiles cannot be read; `body`'s error.
    public func readAnchoredEntries(
        checkpoint: Checkpoint, batchSize: Int = 1024, _ body: (UInt64, Data) throws -> Void
    ) throws -> AnchorVerdict {
        let snap = published.current
        let size = checkpoint.size
        guard size <= snap.state.size else {
            throw LedgerError.sizeBeyondTree(requested: size, size: snap.state.size)
        }
        let fullTiles = TreeState.fullTileCount(size: snap.state.size, level: 0)
        let partial = snap.state.partial.first?.bytes() ?? Data()
        var acc = StreamingRoot()
        var bodyError: (any Error)?
        var tile = Data()
        var tileIndex = UInt64.max
        var start: UInt64 = 0
        let step = UInt64(max(1, batchSize))
        while start < size {
            let end = min(size, start + step)
            let batch = try entries(in: start..<end)
            for (offset, bytes) in batch.enumerated() {
                let index = start + UInt64(offset)
                let h = bytes.withUnsafeBytes { RFC9162.hashLeaf(bytes: $0) }
                if index >> 8 != tileIndex {
                    tileIndex = index >> 8
                    tile = tileIndex < fullTiles ? try rawTile(level: 0, index: tileIndex) : partial
                }
                let at = Int(index & 0xff) * MerkleHash.byteCount
                let matches =
                    tile.count >= at + MerkleHash.byteCount
                    && tile.withUnsafeBytes { raw in
                        h.withUnsafeBytes { mine in
                            memcmp(raw.baseAddress! + at, mine.baseAddress!, MerkleHash.byteCount) == 0
                        }
                    }
                guard matches else { return .entryMismatch(index: index) }
                acc.append(h)
                if bodyError == nil {
                    do { try body(index, bytes) } catch { bodyError = error }
                }
            }
            start = end
        }
        let root = acc.root
        guard root == checkpoint.rootHash else {
            return .rootMismatch(computed: root, expected: checkpoint.rootHash)
        }
        if let bodyError { throw bodyError }
        return .anchored
    }

    /// The stored bytes of a full tile (no parsing, no cache).
    func rawTile(level: Int, index: UInt64) throws(LedgerError) -> Data {
        let key = LedgerSchema.tileKey(level: level, index: index)
        let data = try withDatabase {
            try pool.read { db in
                try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE id = ?", arguments: [key])
            }
        }
        guard let data else { throw .corrupted("full tile \(level)/\(index) is missing") }
        return data
    }
}
