import Crypto
import Foundation

/// RFC 9162 §2.1 Merkle Tree hashing over SHA-256 (identical to RFC 6962 §2.1), on ``Digest32``:
/// the small, allocation-light core the pure modules share (the karma account tree of
/// specs/ledger.md §10; the Ledger module keeps its own SIMD-backed copy for its hot path).
///
/// `MTH({}) = SHA-256()`, `MTH({d}) = SHA-256(0x00 || d)`,
/// `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`, `k` the largest power of two `< n`.
public enum MerkleTree {
    /// `SHA-256("")`: the root of the empty tree.
    public static let emptyRoot = Digest32(uncheckedBytes: Data(SHA256.hash(data: Data())))

    /// `SHA-256(0x00 || data)`: the hash of one leaf.
    public static func hashLeaf(_ data: some DataProtocol) -> Digest32 {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: data)
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }

    /// `SHA-256(0x01 || left || right)`: the hash of an interior node.
    public static func hashChildren(_ left: Digest32, _ right: Digest32) -> Digest32 {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left.bytes)
        h.update(data: right.bytes)
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }

    /// The number of hashes in the audit path of leaf `index` in a tree of `size` leaves
    /// (specs/ledger.md §4.2): `bitlen(index XOR (size − 1)) + popcount(index >> inner)`.
    ///
    /// - Precondition: `index < size` (checked: returns `nil` otherwise).
    public static func inclusionProofCount(index: UInt64, size: UInt64) -> Int? {
        guard index < size else { return nil }
        let inner = UInt64.bitWidth - (index ^ (size - 1)).leadingZeroBitCount
        let shifted = inner >= UInt64.bitWidth ? 0 : index >> UInt64(inner)
        return inner + shifted.nonzeroBitCount
    }

    /// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `nil` when the proof cannot
    /// belong to leaf `index` of a tree of `size` leaves: `index >= size`, or a proof whose length
    /// differs from ``inclusionProofCount(index:size:)``.
    ///
    /// Compare the result with a trusted root; equal means the leaf is at `index` in that tree.
    public static func rootFromInclusionProof(
        index: UInt64, size: UInt64, leafHash: Digest32, proof: [Digest32]
    ) -> Digest32? {
        guard let want = inclusionProofCount(index: index, size: size), proof.count == want else {
            return nil
        }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = hashChildren(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = hashChildren(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Whether `proof` shows `leafHash` at `index` in the tree of `size` leaves whose root is `root`.
    public static func verifyInclusion(
        index: UInt64, size: UInt64, leafHash: Digest32, proof: [Digest32], root: Digest32
    ) -> Bool {
        rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof) == root
    }
}

/// A whole RFC 9162 tree held in memory, level by level: the root and every audit path in
/// O(n) hashes to build, O(log n) to answer.
///
/// Built bottom-up: pair neighbours level by level and carry an odd last node up unchanged. This
/// is the recursive tree of RFC 9162 §2.1.1 because its split point is always a power of two; an
/// audit path is the sibling at each level where one exists, leaf level first (`PATH(m, D[n])`).
public struct InMemoryMerkleTree: Sendable {
    /// `levels[0]` are the leaf hashes; the last level holds the root (absent for 0 leaves).
    private let levels: [[Digest32]]

    /// Builds the tree over `leafHashes` (in leaf order).
    public init(leafHashes: [Digest32]) {
        var levels = [leafHashes]
        var level = leafHashes
        while level.count > 1 {
            var next: [Digest32] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(MerkleTree.hashChildren(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            levels.append(next)
            level = next
        }
        self.levels = levels
    }

    /// Number of leaves.
    public var size: Int { levels[0].count }

    /// The hash of leaf `index`.
    /// - Precondition: `0 <= index < size`.
    public func leafHash(_ index: Int) -> Digest32 { levels[0][index] }

    /// `MTH` of the leaves (``MerkleTree/emptyRoot`` for none).
    public var root: Digest32 { levels.last?.first ?? MerkleTree.emptyRoot }

    /// The audit path `PATH(index, D[size])`, leaf sibling first; `nil` unless `0 <= index < size`.
    public func inclusionProof(index: Int) -> [Digest32]? {
        guard index >= 0, index < size else { return nil }
        var path: [Digest32] = []
        var i = index
        for level in levels.dropLast() {
            let sibling = i ^ 1
            if sibling < level.count { path.append(level[sibling]) }
            i >>= 1
        }
        return path
    }
}
