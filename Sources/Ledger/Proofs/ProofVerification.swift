import Receipts

/// An RFC 9162 §2.1.3 inclusion proof: the audit path of one leaf in a tree of `treeSize` leaves.
public struct InclusionProof: Equatable, Sendable {
    /// Zero-based index of the leaf.
    public var leafIndex: UInt64
    /// Number of leaves in the tree the proof is for.
    public var treeSize: UInt64
    /// The audit path, bottom-up, as defined by RFC 9162 §2.1.3.1.
    public var hashes: [MerkleHash]

    public init(leafIndex: UInt64, treeSize: UInt64, hashes: [MerkleHash]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.hashes = hashes
    }
}

/// An RFC 9162 §2.1.4 consistency proof between the trees of sizes `size1 ≤ size2`.
public struct ConsistencyProof: Equatable, Sendable {
    /// The smaller (older) tree size.
    public var size1: UInt64
    /// The larger (newer) tree size.
    public var size2: UInt64
    /// The proof hashes as defined by RFC 9162 §2.1.4.1.
    public var hashes: [MerkleHash]

    public init(size1: UInt64, size2: UInt64, hashes: [MerkleHash]) {
        self.size1 = size1
        self.size2 = size2
        self.hashes = hashes
    }
}

/// Offline proof verification, written from RFC 9162 §2.1.3.2 and §2.1.4.2. See specs/ledger.md §4.
///
/// These functions are pure and need no database.
public enum ProofVerifier {
    /// The number of hashes in the inclusion proof of `leafIndex` in a tree of `treeSize` leaves.
    ///
    /// Preconditions (checked): `leafIndex < treeSize`; otherwise returns `nil`.
    public static func inclusionProofSize(leafIndex: UInt64, treeSize: UInt64) -> Int? {
        MerkleTree.inclusionProofCount(index: leafIndex, size: treeSize)
    }

    /// The number of hashes in the consistency proof from `size1` to `size2`.
    ///
    /// Returns `nil` when `size1 > size2`. Zero when `size1 == 0` or `size1 == size2`.
    public static func consistencyProofSize(size1: UInt64, size2: UInt64) -> Int? {
        guard size1 <= size2 else { return nil }
        if size1 == 0 || size1 == size2 { return 0 }
        // Drop the levels below the largest perfect subtree ending at size1: the proof is then an
        // inclusion proof of the last node of the old tree, plus that node itself unless the old
        // tree is a perfect subtree of the new one (size1 a power of two).
        let level = size1.trailingZeroBitCount
        let index = (size1 - 1) >> level
        let size = ((size2 - 1) >> level) + 1
        // index < size here, so the count exists.
        let path = MerkleTree.inclusionProofCount(index: index, size: size) ?? 0
        return (index == 0 ? 0 : 1) + path
    }

    /// Recomputes the root from a leaf hash and its inclusion proof (RFC 9162 §2.1.3.2).
    ///
    /// - Throws: `.indexOutOfRange` when `leafIndex >= treeSize`; `.wrongProofSize(got:want:)`
    ///   when the proof does not have exactly the number of hashes the index and size imply.
    public static func rootFromInclusionProof(
        leafIndex: UInt64, treeSize: UInt64, leafHash: MerkleHash, proof: [MerkleHash]
    ) throws(LedgerError) -> MerkleHash {
        guard leafIndex < treeSize else { throw .indexOutOfRange(index: leafIndex, size: treeSize) }
        let want = inclusionProofSize(leafIndex: leafIndex, treeSize: treeSize) ?? 0
        guard proof.count == want else { throw .wrongProofSize(got: proof.count, want: want) }
        // The one RFC 9162 §2.1.3.2 implementation (Receipts' MerkleTree), shared with the chunk
        // proofs of model packages and the karma account tree.
        guard
            let root = MerkleTree.rootFromInclusionProof(
                index: leafIndex, size: treeSize, leafHash: leafHash.digest, proof: proof.map(\.digest))
        else { throw .wrongProofSize(got: proof.count, want: want) }
        return MerkleHash(digest: root)
    }

    /// Checks that `leafHash` is the leaf at `leafIndex` of the tree of `treeSize` leaves with
    /// root `root`, given the audit path `proof` (RFC 9162 §2.1.3.2).
    ///
    /// - Returns: `.valid`, or `.invalid(reason)` for an out-of-range index, a proof of the wrong
    ///   length, or a root mismatch. Never throws.
    public static func verifyInclusion(
        leafIndex: UInt64, treeSize: UInt64, leafHash: MerkleHash, proof: [MerkleHash], root: MerkleHash
    ) -> ProofVerdict {
        do {
            let computed = try rootFromInclusionProof(
                leafIndex: leafIndex, treeSize: treeSize, leafHash: leafHash, proof: proof)
            return computed == root ? .valid : .invalid(.rootMismatch(computed: computed, expected: root))
        } catch {
            return .invalid(error)
        }
    }

    /// Checks `proof` against `leafHash` and `root`.
    public static func verify(_ proof: InclusionProof, leafHash: MerkleHash, root: MerkleHash) -> ProofVerdict
    {
        verifyInclusion(
            leafIndex: proof.leafIndex, treeSize: proof.treeSize, leafHash: leafHash, proof: proof.hashes,
            root: root)
    }

    /// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
    /// with root `root1` (RFC 9162 §2.1.4.2).
    ///
    /// Conventions beyond the RFC (which covers `0 < size1 < size2`): equal sizes need an empty
    /// proof and equal roots; `size1 == 0` needs an empty proof and `root1` equal to the
    /// empty-tree root (every tree extends the empty tree).
    ///
    /// - Returns: `.valid`, or `.invalid(reason)`. Never throws.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, root1: MerkleHash, root2: MerkleHash, proof: [MerkleHash]
    ) -> ProofVerdict {
        guard size1 <= size2 else { return .invalid(.sizeDecreased(old: size1, new: size2)) }
        let want = consistencyProofSize(size1: size1, size2: size2) ?? 0
        guard proof.count == want else { return .invalid(.wrongProofSize(got: proof.count, want: want)) }
        if size1 == size2 {
            return root1 == root2 ? .valid : .invalid(.newRootMismatch(computed: root1, expected: root2))
        }
        if size1 == 0 {
            return root1 == RFC9162.emptyRoot
                ? .valid : .invalid(.oldRootMismatch(computed: RFC9162.emptyRoot, expected: root1))
        }
        // RFC 9162 §2.1.4.2, step by step.
        var path = proof
        if size1 & (size1 - 1) == 0 {  // size1 is an exact power of two
            path.insert(root1, at: 0)
        }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return .invalid(.wrongProofSize(got: proof.count, want: want)) }
            if fn & 1 == 1 || fn == sn {
                fr = RFC9162.hashChildren(c, fr)
                sr = RFC9162.hashChildren(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = RFC9162.hashChildren(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { return .invalid(.wrongProofSize(got: proof.count, want: want)) }
        guard fr == root1 else { return .invalid(.oldRootMismatch(computed: fr, expected: root1)) }
        guard sr == root2 else { return .invalid(.newRootMismatch(computed: sr, expected: root2)) }
        return .valid
    }

    /// Checks `proof` against the two roots.
    public static func verify(_ proof: ConsistencyProof, root1: MerkleHash, root2: MerkleHash) -> ProofVerdict
    {
        verifyConsistency(
            size1: proof.size1, size2: proof.size2, root1: root1, root2: root2, proof: proof.hashes)
    }
}
