import Foundation
import TestSupport
import Testing

@testable import Ledger

@Suite("Proof verification (RFC 9162 §2.1.3.2, §2.1.4.2)")
struct ProofVerificationTests {
    @Test("The published RFC 6962 inclusion proofs verify and match the reference tree")
    func rfcInclusion() throws {
        let v = try LedgerFixtures.rfc6962()
        let ref = ReferenceTree(leaves: v.leaves)
        for c in v.inclusion {
            let proof = try c.proof.map { try MerkleHash(hex: $0) }
            let leaf = ReferenceTree.leafHash(v.leaves[Int(c.leafIndex)])
            let root = try v.root(Int(c.treeSize))
            #expect(ref.inclusionProof(index: Int(c.leafIndex), size: Int(c.treeSize)) == proof)
            #expect(
                ProofVerifier.verifyInclusion(
                    leafIndex: c.leafIndex, treeSize: c.treeSize, leafHash: leaf, proof: proof, root: root)
                    == .valid)
        }
    }

    @Test("The published RFC 6962 consistency proofs verify and match the reference tree")
    func rfcConsistency() throws {
        let v = try LedgerFixtures.rfc6962()
        let ref = ReferenceTree(leaves: v.leaves)
        for c in v.consistency {
            let proof = try c.proof.map { try MerkleHash(hex: $0) }
            #expect(ref.consistencyProof(old: Int(c.oldSize), size: Int(c.newSize)) == proof)
            let verdict = ProofVerifier.verifyConsistency(
                size1: c.oldSize, size2: c.newSize, root1: try v.root(Int(c.oldSize)),
                root2: try v.root(Int(c.newSize)), proof: proof)
            #expect(verdict == .valid)
        }
    }

    @Test("Every inclusion proof in trees of 1...70 leaves verifies; every single mutation fails")
    func exhaustiveInclusion() throws {
        let ref = ReferenceTree(leaves: sampleEntries(70))
        for size in 1...70 {
            let root = ref.root(size: size)
            for index in 0..<size {
                let proof = ref.inclusionProof(index: index, size: size)
                let leaf = ReferenceTree.leafHash(ref.leaves[index])
                let i = UInt64(index), n = UInt64(size)
                #expect(ProofVerifier.inclusionProofSize(leafIndex: i, treeSize: n) == proof.count)
                #expect(
                    ProofVerifier.verifyInclusion(
                        leafIndex: i, treeSize: n, leafHash: leaf, proof: proof, root: root)
                        == .valid, "index \(index) size \(size)")
                for bad in inclusionMutations(index: i, size: n, leaf: leaf, proof: proof, root: root) {
                    let verdict = ProofVerifier.verifyInclusion(
                        leafIndex: bad.index, treeSize: bad.size, leafHash: bad.leaf, proof: bad.proof,
                        root: bad.root)
                    #expect(
                        verdict.isValid == bad.sameShapeAs(index: i, size: n),
                        "\(bad.what) for index \(index) size \(size): \(verdict)")
                }
            }
        }
    }

    @Test("Every consistency proof between trees of 0...70 leaves verifies; every single mutation fails")
    func exhaustiveConsistency() throws {
        let ref = ReferenceTree(leaves: sampleEntries(70))
        let roots = (0...70).map { ref.root(size: $0) }
        for size2 in 0...70 {
            for size1 in 0...size2 {
                let proof = ref.consistencyProof(old: size1, size: size2)
                let m = UInt64(size1), n = UInt64(size2)
                #expect(ProofVerifier.consistencyProofSize(size1: m, size2: n) == proof.count)
                #expect(
                    ProofVerifier.verifyConsistency(
                        size1: m, size2: n, root1: roots[size1], root2: roots[size2], proof: proof) == .valid,
                    "\(size1) → \(size2)")
                for bad in consistencyMutations(
                    size1: m, size2: n, root1: roots[size1], root2: roots[size2], proof: proof)
                {
                    let verdict = ProofVerifier.verifyConsistency(
                        size1: bad.size1, size2: bad.size2, root1: bad.root1, root2: bad.root2,
                        proof: bad.proof)
                    #expect(
                        verdict.isValid == bad.sameShapeAs(size1: m, size2: n),
                        "\(bad.what) for \(size1) → \(size2): \(verdict)")
                }
            }
        }
    }

    @Test("Random large sizes: proofs from the reference verify, mutations fail", arguments: [1, 2, 3])
    func randomLarge(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let size = Int.random(in: 300...1500, using: &rng)
        let ref = ReferenceTree(leaves: sampleEntries(size, prefix: "r\(seed)-"))
        let root = ref.root(size: size)
        for _ in 0..<8 {
            let index = Int.random(in: 0..<size, using: &rng)
            let proof = ref.inclusionProof(index: index, size: size)
            let leaf = ReferenceTree.leafHash(ref.leaves[index])
            #expect(
                ProofVerifier.verifyInclusion(
                    leafIndex: UInt64(index), treeSize: UInt64(size), leafHash: leaf, proof: proof, root: root
                ) == .valid)
            for bad in inclusionMutations(
                index: UInt64(index), size: UInt64(size), leaf: leaf, proof: proof, root: root)
            {
                let verdict = ProofVerifier.verifyInclusion(
                    leafIndex: bad.index, treeSize: bad.size, leafHash: bad.leaf, proof: bad.proof,
                    root: bad.root)
                #expect(
                    verdict.isValid == bad.sameShapeAs(index: UInt64(index), size: UInt64(size)),
                    "\(bad.what)")
            }
            let old = Int.random(in: 1...size, using: &rng)
            let cproof = ref.consistencyProof(old: old, size: size)
            let oldRoot = ref.root(size: old)
            #expect(
                ProofVerifier.verifyConsistency(
                    size1: UInt64(old), size2: UInt64(size), root1: oldRoot, root2: root, proof: cproof)
                    == .valid)
            for bad in consistencyMutations(
                size1: UInt64(old), size2: UInt64(size), root1: oldRoot, root2: root, proof: cproof)
            {
                let verdict = ProofVerifier.verifyConsistency(
                    size1: bad.size1, size2: bad.size2, root1: bad.root1, root2: bad.root2, proof: bad.proof)
                #expect(
                    verdict.isValid == bad.sameShapeAs(size1: UInt64(old), size2: UInt64(size)), "\(bad.what)"
                )
            }
        }
    }

    @Test("Reasons name what is wrong")
    func reasons() throws {
        let ref = ReferenceTree(leaves: sampleEntries(8))
        let root = ref.root(size: 8)
        let leaf = ReferenceTree.leafHash(ref.leaves[3])
        let proof = ref.inclusionProof(index: 3, size: 8)
        #expect(
            ProofVerifier.verifyInclusion(leafIndex: 8, treeSize: 8, leafHash: leaf, proof: proof, root: root)
                == .invalid(.indexOutOfRange(index: 8, size: 8)))
        #expect(
            ProofVerifier.verifyInclusion(
                leafIndex: 3, treeSize: 8, leafHash: leaf, proof: proof + [root], root: root)
                == .invalid(.wrongProofSize(got: 4, want: 3)))
        #expect(
            ProofVerifier.verifyConsistency(size1: 5, size2: 4, root1: root, root2: root, proof: [])
                == .invalid(.sizeDecreased(old: 5, new: 4)))
        #expect(throws: LedgerError.indexOutOfRange(index: 0, size: 0)) {
            try ProofVerifier.rootFromInclusionProof(leafIndex: 0, treeSize: 0, leafHash: leaf, proof: [])
        }
    }
}

struct InclusionCase {
    var what: String
    var index: UInt64
    var size: UInt64
    var leaf: MerkleHash
    var proof: [MerkleHash]
    var root: MerkleHash
    /// Only index/size mutations set this: the mutated claim is indistinguishable from the
    /// original when its audit path has the same shape (RFC 9162 proofs bind sizes no further).
    var onlyPositionChanged = false

    func sameShapeAs(index i: UInt64, size n: UInt64) -> Bool {
        onlyPositionChanged && index < size
            && ReferenceTree.pathShape(Int(index), Int(size)) == ReferenceTree.pathShape(Int(i), Int(n))
    }
}

/// Single mutations of a valid inclusion proof, transparency-dev style.
func inclusionMutations(index: UInt64, size: UInt64, leaf: MerkleHash, proof: [MerkleHash], root: MerkleHash)
    -> [InclusionCase]
{
    var out: [InclusionCase] = []
    func add(
        _ what: String, index: UInt64? = nil, size: UInt64? = nil, leaf l: MerkleHash? = nil,
        proof p: [MerkleHash]? = nil, root r: MerkleHash? = nil
    ) {
        out.append(
            InclusionCase(
                what: what, index: index ?? index0, size: size ?? size0, leaf: l ?? leaf, proof: p ?? proof,
                root: r ?? root,
                onlyPositionChanged: l == nil && p == nil && r == nil))
    }
    let index0 = index, size0 = size
    add("leafIdx+1", index: index + 1)
    if index > 0 { add("leafIdx-1", index: index - 1) }
    add("leafIdx=size", index: size)
    add("treeSize+1", size: size + 1)
    if size > 1 { add("treeSize-1", size: size - 1) }
    add("treeSize*2", size: size * 2)
    add("leafHash flipped", leaf: leaf.flippingBit(5))
    add("root flipped", root: root.flippingBit(200))
    if root != leaf { add("root=leaf", leaf: root, root: leaf) }
    add("extra hash", proof: proof + [leaf])
    add("extra hash first", proof: [leaf] + proof)
    if !proof.isEmpty {
        add("missing last hash", proof: Array(proof.dropLast()))
        add("missing first hash", proof: Array(proof.dropFirst()))
        for i in proof.indices {
            var p = proof
            p[i] = p[i].flippingBit(i % 256)
            add("proof[\(i)] flipped", proof: p)
        }
    }
    if proof.count >= 2, proof[0] != proof[1] {
        var p = proof
        p.swapAt(0, 1)
        add("proof swapped", proof: p)
    }
    return out
}

struct ConsistencyCase {
    var what: String
    var size1: UInt64
    var size2: UInt64
    var root1: MerkleHash
    var root2: MerkleHash
    var proof: [MerkleHash]
    var onlySizesChanged = false

    /// See `InclusionCase.sameShapeAs`.
    func sameShapeAs(size1 m: UInt64, size2 n: UInt64) -> Bool {
        guard onlySizesChanged, size1 <= size2 else { return false }
        // From the empty tree the proof is empty whatever the second size.
        if size1 == 0 { return m == 0 && (size2 == 0 ? root1 == root2 : root1 == RFC9162.emptyRoot) }
        if m == 0 { return false }
        return (size1 == size2) == (m == n)
            && ReferenceTree.consistencyShape(Int(size1), Int(size2))
                == ReferenceTree.consistencyShape(Int(m), Int(n))
    }
}

/// Single mutations of a valid consistency proof.
func consistencyMutations(
    size1: UInt64, size2: UInt64, root1: MerkleHash, root2: MerkleHash, proof: [MerkleHash]
)
    -> [ConsistencyCase]
{
    var out: [ConsistencyCase] = []
    func add(
        _ what: String, s1: UInt64? = nil, s2: UInt64? = nil, r1: MerkleHash? = nil, r2: MerkleHash? = nil,
        proof p: [MerkleHash]? = nil
    ) {
        out.append(
            ConsistencyCase(
                what: what, size1: s1 ?? size1, size2: s2 ?? size2, root1: r1 ?? root1, root2: r2 ?? root2,
                proof: p ?? proof, onlySizesChanged: r1 == nil && r2 == nil && p == nil))
    }
    add("size1+1", s1: size1 + 1)
    if size1 > 0 { add("size1-1", s1: size1 - 1) }
    add("size2+1", s2: size2 + 1)
    if size2 > size1 { add("size2-1", s2: size2 - 1) }
    if size1 != size2 { add("sizes swapped", s1: size2, s2: size1) }
    if root1 != root2 { add("roots swapped", r1: root2, r2: root1) }
    if size1 > 0 { add("root1 flipped", r1: root1.flippingBit(9)) }
    if size1 > 0 { add("root2 flipped", r2: root2.flippingBit(250)) }  // any tree extends the empty tree
    add("extra hash", proof: proof + [root1])
    if !proof.isEmpty {
        add("missing hash", proof: Array(proof.dropLast()))
        for i in proof.indices {
            var p = proof
            p[i] = p[i].flippingBit(7 * i % 256)
            add("proof[\(i)] flipped", proof: p)
        }
    }
    return out
}
