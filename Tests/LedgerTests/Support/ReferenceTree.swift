import Crypto
import Foundation
import TestSupport

@testable import Ledger

/// A naive Merkle tree written straight from RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF),
/// recomputing every hash from the leaves. Slow on purpose; used to cross-check the fast code.
struct ReferenceTree {
    var leaves: [Data]

    static func sha256(_ bytes: [UInt8]) -> MerkleHash {
        // Independent of RFC9162.hashLeaf/hashChildren: one-shot SHA-256 of the exact bytes.
        try! MerkleHash(bytes: Data(SHA256.hash(data: bytes)))
    }

    static func leafHash(_ d: Data) -> MerkleHash { sha256([0x00] + Array(d)) }

    static func nodeHash(_ l: MerkleHash, _ r: MerkleHash) -> MerkleHash {
        sha256([0x01] + Array(l.bytes) + Array(r.bytes))
    }

    /// The largest power of two smaller than `n` (n > 1).
    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[lo:hi]).
    func mth(_ lo: Int, _ hi: Int) -> MerkleHash {
        let n = hi - lo
        if n == 0 { return Self.sha256([]) }
        if n == 1 { return Self.leafHash(leaves[lo]) }
        let k = Self.k(n)
        return Self.nodeHash(mth(lo, lo + k), mth(lo + k, hi))
    }

    func root(size: Int) -> MerkleHash { mth(0, size) }

    /// PATH(m, D[lo:hi]) with m relative to lo.
    func path(_ m: Int, _ lo: Int, _ hi: Int) -> [MerkleHash] {
        let n = hi - lo
        if n == 1 { return [] }
        let k = Self.k(n)
        if m < k { return path(m, lo, lo + k) + [mth(lo + k, hi)] }
        return path(m - k, lo + k, hi) + [mth(lo, lo + k)]
    }

    func inclusionProof(index: Int, size: Int) -> [MerkleHash] { path(index, 0, size) }

    /// SUBPROOF(m, D[lo:hi], b).
    func subproof(_ m: Int, _ lo: Int, _ hi: Int, _ b: Bool) -> [MerkleHash] {
        let n = hi - lo
        if m == n { return b ? [] : [mth(lo, hi)] }
        let k = Self.k(n)
        if m <= k { return subproof(m, lo, lo + k, b) + [mth(lo + k, hi)] }
        return subproof(m - k, lo + k, hi, false) + [mth(lo, lo + k)]
    }

    func consistencyProof(old m: Int, size n: Int) -> [MerkleHash] {
        m == 0 || m == n ? [] : subproof(m, 0, n, true)
    }
}

/// A `PerfectNodeSource` computing every node from the reference tree.
struct ReferenceNodes: PerfectNodeSource {
    let tree: ReferenceTree
    func perfectNode(level: Int, index: UInt64) throws(LedgerError) -> MerkleHash {
        let lo = Int(index) << level
        return tree.mth(lo, lo + (1 << level))
    }
}

/// `n` distinct leaf payloads, `"<prefix>0"` … `"<prefix>n-1"` (a helper, not a test).
func sampleEntries(_ n: Int, prefix: String = "entry-") -> [Data] {
    (0..<n).map { Data("\(prefix)\($0)".utf8) }
}

extension ReferenceTree {
    /// The sides of the siblings along PATH(m, D[0:n]), bottom-up ("R" = sibling on the right).
    /// Two (index, size) pairs with the same sides make the RFC verifier compute the same root
    /// from the same hashes, so a proof cannot tell them apart.
    static func pathShape(_ m: Int, _ n: Int) -> [Character] {
        if n <= 1 { return [] }
        let k = Self.k(n)
        return m < k ? pathShape(m, k) + ["R"] : pathShape(m - k, n - k) + ["L"]
    }

    /// The shape of SUBPROOF(m, D[0:n], b): "S" for the old-tree seed, then sibling sides.
    static func consistencyShape(_ m: Int, _ n: Int, _ b: Bool = true) -> [Character] {
        if m == n { return b ? [] : ["S"] }
        let k = Self.k(n)
        return m <= k ? consistencyShape(m, k, b) + ["R"] : consistencyShape(m - k, n - k, false) + ["L"]
    }
}
