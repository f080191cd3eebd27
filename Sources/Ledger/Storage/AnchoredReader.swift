import Foundation

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

/// An anchored verdict other than ``AnchorVerdict/anchored``, thrown by
/// ``AnchoredEntryReader/read(_:)`` so a pipeline reading through it stops at a changed entry.
public struct AnchorMismatch: Error, Sendable {
    public let verdict: AnchorVerdict
    /// The entries of the range read before the mismatch, all checked (they count as read).
    public let checkedPrefix: [Data]
}

/// Reads entries `[0, checkpoint.size)` in index order, range by range, and checks each against
/// the tree before handing it out (specs/ledger.md §7.1): its leaf hash must equal the one the log
/// stores, and ``finish()`` checks that the root of all of them is the checkpoint's.
///
/// Safe to call from one thread at a time (any thread: a replay pipeline reads ahead on a
/// background thread). Costs one SHA-256 per entry plus, amortised, one node hash, and one tile
/// read per 256 entries.
public final class AnchoredEntryReader: @unchecked Sendable {
    private let ledger: Ledger
    public let checkpoint: Checkpoint
    private let fullTiles: UInt64
    private let partial: Data
    private let lock = NSLock()
    private var acc = StreamingRoot()
    private var tile = Data()
    private var tileIndex = UInt64.max

    /// - Throws: `.sizeBeyondTree` when the checkpoint is larger than the committed tree.
    init(ledger: Ledger, checkpoint: Checkpoint) throws(LedgerError) {
        let snap = ledger.published.current
        guard checkpoint.size <= snap.state.size else {
            throw .sizeBeyondTree(requested: checkpoint.size, size: snap.state.size)
        }
        self.ledger = ledger
        self.checkpoint = checkpoint
        fullTiles = TreeState.fullTileCount(size: snap.state.size, level: 0)
        partial = snap.state.partial.first?.bytes() ?? Data()
    }

    /// Entries read and checked so far (the next index to read).
    public var position: UInt64 { lock.withLock { acc.count } }

    /// The entries of `range`, each checked against its stored leaf hash.
    ///
    /// - Precondition: `range` starts at ``position`` and ends at most at the checkpoint's size.
    /// - Throws: ``AnchorMismatch`` (`.entryMismatch`) naming the first entry that does not match
    ///   (the entries before it count as read); `LedgerError` when entries or tiles cannot be read.
    public func read(_ range: Range<UInt64>) throws -> [Data] {
        try lock.withLock {
            guard range.lowerBound == acc.count, range.upperBound <= checkpoint.size else {
                throw LedgerError.indexOutOfRange(index: range.lowerBound, size: checkpoint.size)
            }
            let batch = try ledger.entries(in: range)
            for (offset, bytes) in batch.enumerated() {
                let index = range.lowerBound + UInt64(offset)
                let h = bytes.withUnsafeBytes { RFC9162.hashLeaf(bytes: $0) }
                if index >> 8 != tileIndex {
                    tileIndex = index >> 8
                    tile = tileIndex < fullTiles ? try ledger.rawTile(level: 0, index: tileIndex) : partial
                }
                let at = Int(index & 0xff) * MerkleHash.byteCount
                let matches =
                    tile.count >= at + MerkleHash.byteCount
                    && tile.withUnsafeBytes { raw in
                        h.withUnsafeBytes { mine in
                            memcmp(raw.baseAddress! + at, mine.baseAddress!, MerkleHash.byteCount) == 0
                        }
                    }
                guard matches else {
                    throw AnchorMismatch(
                        verdict: .entryMismatch(index: index), checkedPrefix: Array(batch[..<offset]))
                }
                acc.append(h)
            }
            return batch
        }
    }

    /// Checks the entries not read yet (hashes only) and the root of all of them.
    ///
    /// - Returns: `.anchored`, or the first mismatch.
    /// - Throws: `LedgerError` when entries or tiles cannot be read.
    public func finish(batchSize: Int = 4096) throws -> AnchorVerdict {
        let step = UInt64(max(1, batchSize))
        while position < checkpoint.size {
            let start = position
            do { _ = try read(start..<min(checkpoint.size, start + step)) } catch let m as AnchorMismatch {
                return m.verdict
            }
        }
        let root = lock.withLock { acc.root }
        guard root == checkpoint.rootHash else {
            return .rootMismatch(computed: root, expected: checkpoint.rootHash)
        }
        return .anchored
    }
}

extension Ledger {
    /// A reader of entries `[0, checkpoint.size)` checked against the tree (see
    /// ``AnchoredEntryReader``). Call it with a checkpoint whose signature the caller has verified.
    ///
    /// - Throws: `.sizeBeyondTree` when the checkpoint is larger than the committed tree.
    public func anchoredReader(checkpoint: Checkpoint) throws(LedgerError) -> AnchoredEntryReader {
        try AnchoredEntryReader(ledger: self, checkpoint: checkpoint)
    }

    /// Reads entries `[0, checkpoint.size)` in index order, in one streaming pass, and checks them
    /// against the tree before trusting them (``AnchoredEntryReader``).
    ///
    /// `body` sees each entry once, in order, right after its leaf hash has matched the stored
    /// one; it is not called for an entry that does not match, nor after that. When `body`
    /// throws, no more entries are passed to it but hashing continues to the end, so that a
    /// changed entry is reported as such rather than as whatever `body` made of it: the verdict
    /// is returned when it is not `.anchored`, and `body`'s error is rethrown otherwise.
    ///
    /// - Returns: the verdict; `body` has seen exactly the anchored entries when it is `.anchored`.
    /// - Throws: `.sizeBeyondTree` when the checkpoint is larger than the committed tree;
    ///   `.corrupted` or `.database` when entries or tiles cannot be read; `body`'s error.
    public func readAnchoredEntries(
        checkpoint: Checkpoint, batchSize: Int = 1024, _ body: (UInt64, Data) throws -> Void
    ) throws -> AnchorVerdict {
        let reader = try anchoredReader(checkpoint: checkpoint)
        let step = UInt64(max(1, batchSize))
        var bodyError: (any Error)?
        while bodyError == nil, reader.position < checkpoint.size {
            let start = reader.position
            let batch: [Data]
            var mismatch: AnchorVerdict?
            do { batch = try reader.read(start..<min(checkpoint.size, start + step)) } catch let m
                as AnchorMismatch
            {
                (batch, mismatch) = (m.checkedPrefix, m.verdict)
            }
            for (offset, bytes) in batch.enumerated() where bodyError == nil {
                do { try body(start + UInt64(offset), bytes) } catch { bodyError = error }
            }
            if let mismatch { return mismatch }
        }
        let verdict = try reader.finish(batchSize: batchSize)
        guard verdict == .anchored else { return verdict }
        if let bodyError { throw bodyError }
        return .anchored
    }

    /// The stored bytes of a full tile (no parsing, no cache).
    func rawTile(level: Int, index: UInt64) throws(LedgerError) -> Data {
        let key = LedgerSchema.tileKey(level: level, index: index)
        guard let data = try store.tile(id: key) else {
            throw .corrupted("full tile \(level)/\(index) is missing")
        }
        return data
    }
}
