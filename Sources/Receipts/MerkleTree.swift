import Crypto
import Foundation

/// RFC 9162 §2.1 Merkle tree hashing and inclusion proofs over 32-byte hashes: the one
/// implementation the karma rules (chunk proofs of seeding receipts, specs/karma.md §5.4) and the
/// karma-state commitment use.
///
/// `hashLeaf(d) = SHA-256(0x00 ‖ d)`, `hashChildren(l, r) = SHA-256(0x01 ‖ l ‖ r)`; the tree of
/// `n > 1` leaves splits at `k`, the largest power of two smaller than `n`. Indices are 0-based.
public enum MerkleTree {
    /// `SHA-256(0x00 ‖ data)`.
    public static func hashLeaf(_ data: some DataProtocol) -> Digest32 {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: data)
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func hashChildren(_ left: Digest32, _ right: Digest32) -> Digest32 {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left.bytes)
        h.update(data: right.bytes)
        return Digest32(uncheckedBytes: Data(h.finalize()))
    }

    /// The tree hash of `leafHashes` (`SHA-256("")` for none), level by level: neighbours pair up
    /// and an odd last node is carried up unchanged, which equals the recursive definition.
    public static func root(leafHashes: [Digest32]) -> Digest32 {
        if leafHashes.isEmpty { return Digest32(uncheckedBytes: Data(SHA256.hash(data: Data()))) }
        var level = leafHashes
        while level.count > 1 {
            var next: [Digest32] = []
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

    /// The audit path `PATH(index, D[n])` (RFC 9162 §2.1.3.1), bottom-up.
    ///
    /// - Returns: `nil` unless `0 <= index < leafHashes.count`.
    public static func inclusionProof(index: Int, leafHashes: [Digest32]) -> [Digest32]? {
        guard index >= 0, index < leafHashes.count else { return nil }
        var proof: [Digest32] = []
        var level = leafHashes
        var i = index
        while level.count > 1 {
            let sibling = i ^ 1
            if sibling < level.count { proof.append(level[sibling]) }
            var next: [Digest32] = []
            next.reserveCapacity((level.count + 1) / 2)
            var j = 0
            while j + 1 < level.count {
                next.append(hashChildren(level[j], level[j + 1]))
                j += 2
            }
            if j < level.count { next.append(level[j]) }
            level = next
            i >>= 1
        }
        return proof
    }

    /// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `nil` when the proof cannot be
    /// for leaf `index` of a tree of `size` leaves (index out of range, wrong number of hashes).
    public static func rootFromInclusionProof(
        index: UInt64, size: UInt64, leafHash: Digest32, proof: [Digest32]
    ) -> Digest32? {
        guard index < size else { return nil }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = hashChildren(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
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
}
