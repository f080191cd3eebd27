import Crypto
import Foundation

/// The RFC 9162 Merkle tree over a package's weight chunks (specs/model-package.md §4).
///
/// `hashLeaf(chunk) = SHA-256(0x00 ‖ chunk)`, `hashChildren(l, r) = SHA-256(0x01 ‖ l ‖ r)`;
/// for `n > 1` leaves the tree splits at `k`, the largest power of two smaller than `n`
/// (RFC 9162 §2.1.1). The root of zero leaves is `SHA-256("")`. All hashes are 32 bytes.
public enum ChunkTree {
    /// `SHA-256(0x00 ‖ chunk)`.
    public static func hashLeaf(_ chunk: some DataProtocol) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: chunk)
        return Array(h.finalize())
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func hashChildren(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left)
        h.update(data: right)
        return Array(h.finalize())
    }

    /// The Merkle tree hash of `leafHashes` (RFC 9162 §2.1.1), computed bottom-up: pair
    /// neighbours level by level, carrying an odd last node up unchanged. This equals the
    /// recursive definition because the recursive split point is always a power of two.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        if leafHashes.isEmpty { return Array(SHA256.hash(data: Data())) }
        var level = leafHashes
        while level.count > 1 {
            var next: [[UInt8]] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(hashChildren(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    /// The audit path of leaf `index` in a tree of `leafHashes.count` leaves (RFC 9162
    /// §2.1.3.1, `PATH(m, D[n])`), from the leaf's sibling up to the root's child.
    ///
    /// - Returns: `nil` unless `0 <= index < leafHashes.count`.
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) -> ChunkInclusionProof? {
        guard index >= 0, index < leafHashes.count else { return nil }
        func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
            let n = leaves.count
            if n == 1 { return [] }
            var k = 1
            while k << 1 < n { k <<= 1 }
            let lo = leaves.startIndex
            if m < k {
                return path(m, leaves[lo..<(lo + k)]) + [root(leafHashes: Array(leaves[(lo + k)...]))]
            }
            return path(m - k, leaves[(lo + k)...]) + [root(leafHashes: Array(leaves[lo..<(lo + k)]))]
        }
        return ChunkInclusionProof(
            index: index, treeSize: leafHashes.count, path: path(index, leafHashes[...]))
    }
}

/// A proof that one chunk is leaf `index` of a package's chunk tree (RFC 9162 §2.1.3).
public struct ChunkInclusionProof: Sendable, Equatable, Codable {
    /// Leaf index, `0 <= index < treeSize`.
    public let index: Int
    /// Number of chunks in the package.
    public let treeSize: Int
    /// Sibling hashes from the bottom up, 32 bytes each.
    public let path: [[UInt8]]

    public init(index: Int, treeSize: Int, path: [[UInt8]]) {
        self.index = index
        self.treeSize = treeSize
        self.path = path
    }

    /// The root implied by `leafHash` and this path (RFC 9162 §2.1.3.2), or `nil` when the
    /// path has the wrong length for `index` and `treeSize`, a hash is not 32 bytes, or
    /// `index` is out of range.
    public func root(leafHash: [UInt8]) -> [UInt8]? {
        guard index >= 0, index < treeSize, leafHash.count == 32 else { return nil }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            guard p.count == 32, sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = ChunkTree.hashChildren(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = ChunkTree.hashChildren(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { return nil }
        return r
    }

    /// Whether `chunk` is leaf `index` of the tree with root `root32`.
    public func verify(chunk: some DataProtocol, root32: [UInt8]) -> Bool {
        root(leafHash: ChunkTree.hashLeaf(chunk)) == root32
    }
}
