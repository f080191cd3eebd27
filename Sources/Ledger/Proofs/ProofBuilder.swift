/// A source of perfect-subtree hashes: `perfectNode(level: ℓ, index: i)` is the Merkle Tree Hash
/// of leaves `[i·2^ℓ, (i+1)·2^ℓ)`. Callers only ask for subtrees that lie inside the tree.
protocol PerfectNodeSource {
    func perfectNode(level: Int, index: UInt64) throws(LedgerError) -> MerkleHash
}

/// Proof construction from RFC 9162 §2.1.3.1 (`PATH`) and §2.1.4.1 (`PROOF`/`SUBPROOF`), with
/// every subtree hash taken from a `PerfectNodeSource` (tiles) instead of recomputed from leaves.
enum ProofBuilder {
    /// The largest power of two strictly smaller than `n`. Precondition: `n >= 2`.
    static func largestPowerOfTwoBelow(_ n: UInt64) -> UInt64 {
        UInt64(1) << UInt64(UInt64.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    /// `MTH(D[begin:end])` for a subtree of the RFC 9162 tree (so `begin` is a multiple of the
    /// smallest power of two `>= end - begin`). Precondition: `begin < end`.
    static func hashRange(_ begin: UInt64, _ end: UInt64, from source: some PerfectNodeSource)
        throws(LedgerError)
        -> MerkleHash
    {
        let n = end - begin
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            return try source.perfectNode(level: level, index: begin >> UInt64(level))
        }
        let k = largestPowerOfTwoBelow(n)
        let left = try hashRange(begin, begin + k, from: source)
        let right = try hashRange(begin + k, end, from: source)
        return RFC9162.hashChildren(left, right)
    }

    /// `MTH(D[0:size])`, the root of the first `size` leaves.
    static func root(size: UInt64, from source: some PerfectNodeSource) throws(LedgerError) -> MerkleHash {
        size == 0 ? RFC9162.emptyRoot : try hashRange(0, size, from: source)
    }

    /// The subtrees whose hashes form `PATH(m, D[0:size])`, bottom-up. Precondition: `m < size`.
    static func inclusionRanges(index m: UInt64, size: UInt64) -> [(UInt64, UInt64)] {
        var topDown: [(UInt64, UInt64)] = []
        var lo: UInt64 = 0
        var hi = size
        while hi - lo > 1 {
            let k = largestPowerOfTwoBelow(hi - lo)
            if m < lo + k {
                topDown.append((lo + k, hi))
                hi = lo + k
            } else {
                topDown.append((lo, lo + k))
                lo += k
            }
        }
        return topDown.reversed()
    }

    /// The subtrees whose hashes form `PROOF(m, D[0:size])`, in proof order.
    /// Empty when `m == 0` or `m == size`. Precondition: `m <= size`.
    static func consistencyRanges(old m: UInt64, size: UInt64) -> [(UInt64, UInt64)] {
        guard m > 0, m < size else { return [] }
        var topDown: [(UInt64, UInt64)] = []
        var lo: UInt64 = 0
        var hi = size
        var rel = m  // m relative to lo
        var b = true
        while true {
            let n = hi - lo
            if rel == n {
                if !b { topDown.append((lo, hi)) }
                break
            }
            let k = largestPowerOfTwoBelow(n)
            if rel <= k {
                topDown.append((lo + k, hi))
                hi = lo + k
            } else {
                topDown.append((lo, lo + k))
                lo += k
                rel -= k
                b = false
            }
        }
        return topDown.reversed()
    }

    /// Builds the inclusion proof of leaf `index` in the tree of `size` leaves.
    ///
    /// - Throws: `.indexOutOfRange` when `index >= size`, or storage errors from `source`.
    static func inclusionProof(index: UInt64, size: UInt64, from source: some PerfectNodeSource)
        throws(LedgerError) -> InclusionProof
    {
        guard index < size else { throw .indexOutOfRange(index: index, size: size) }
        var hashes: [MerkleHash] = []
        for (b, e) in inclusionRanges(index: index, size: size) {
            hashes.append(try hashRange(b, e, from: source))
        }
        return InclusionProof(leafIndex: index, treeSize: size, hashes: hashes)
    }

    /// Builds the consistency proof from `size1` to `size2` leaves.
    ///
    /// - Throws: `.sizeDecreased` when `size1 > size2`, or storage errors from `source`.
    static func consistencyProof(size1: UInt64, size2: UInt64, from source: some PerfectNodeSource)
        throws(LedgerError) -> ConsistencyProof
    {
        guard size1 <= size2 else { throw .sizeDecreased(old: size1, new: size2) }
        var hashes: [MerkleHash] = []
        for (b, e) in consistencyRanges(old: size1, size: size2) {
            hashes.append(try hashRange(b, e, from: source))
        }
        return ConsistencyProof(size1: size1, size2: size2, hashes: hashes)
    }
}
