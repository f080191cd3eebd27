import Crypto
import Foundation
import Testing

@testable import Models

/// RFC 9162 §2.1.1 written straight from the definition, as the reference for `ChunkTree`.
func naiveRoot(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
    if leaves.isEmpty { return Array(SHA256.hash(data: Data())) }
    if leaves.count == 1 { return Array(SHA256.hash(data: [0x00] + leaves[leaves.startIndex])) }
    var k = 1
    while k * 2 < leaves.count { k *= 2 }
    let mid = leaves.startIndex + k
    return Array(SHA256.hash(data: [0x01] + naiveRoot(leaves[..<mid]) + naiveRoot(leaves[mid...])))
}

@Suite("chunk Merkle tree")
struct ChunkTreeTests {
    func leaves(_ n: Int) -> [[UInt8]] { (0..<n).map { i in Array("chunk \(i)".utf8) } }

    @Test("root equals the recursive RFC 9162 definition for 0...40 leaves")
    func rootMatchesNaive() {
        for n in 0...40 {
            let data = leaves(n)
            #expect(
                ChunkTree.root(leafHashes: data.map { ChunkTree.hashLeaf($0) }) == naiveRoot(data[...]),
                "n=\(n)")
        }
    }

    @Test("known answer: the RFC 6962 test-vector tree of 8 leaves")
    func knownAnswer() {
        // Leaves and roots from the transparency-dev/merkle (and Certificate Transparency)
        // test vectors: leaf inputs "", 00, 10, 2021, 3031, 40414243, 5051525354555657,
        // 606162636465666768696a6b6c6d6e6f.
        let inputs: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
            [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Array(0x60...0x6F),
        ]
        let hashes = inputs.map { ChunkTree.hashLeaf($0) }
        #expect(
            hexString(ChunkTree.root(leafHashes: Array(hashes.prefix(1))))
                == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        #expect(
            hexString(ChunkTree.root(leafHashes: hashes))
                == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
        #expect(
            hexString(ChunkTree.root(leafHashes: Array(hashes.prefix(5))))
                == "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4")
    }

    @Test("every inclusion proof verifies; every single-bit mutation is rejected")
    func inclusionProofs() throws {
        for n in 1...17 {
            let data = leaves(n)
            let hashes = data.map { ChunkTree.hashLeaf($0) }
            let root = ChunkTree.root(leafHashes: hashes)
            for i in 0..<n {
                let proof = try #require(ChunkTree.inclusionProof(index: i, leafHashes: hashes))
                #expect(proof.verify(chunk: data[i], root32: root), "n=\(n) i=\(i)")
                #expect(!proof.verify(chunk: data[(i + 1) % n] + [0], root32: root))
                if !proof.path.isEmpty {
                    var bad = proof.path
                    bad[0][0] ^= 1
                    #expect(
                        !ChunkInclusionProof(index: i, treeSize: n, path: bad).verify(
                            chunk: data[i], root32: root))
                    #expect(
                        !ChunkInclusionProof(index: i, treeSize: n, path: proof.path.dropLast()).verify(
                            chunk: data[i], root32: root))
                }
                #expect(
                    !ChunkInclusionProof(index: i, treeSize: n, path: proof.path + [root]).verify(
                        chunk: data[i], root32: root))
                if n > 1 {
                    let wrongIndex = ChunkInclusionProof(index: (i + 1) % n, treeSize: n, path: proof.path)
                    #expect(!wrongIndex.verify(chunk: data[i], root32: root))
                }
            }
            #expect(ChunkTree.inclusionProof(index: n, leafHashes: hashes) == nil)
            #expect(ChunkTree.inclusionProof(index: -1, leafHashes: hashes) == nil)
        }
        #expect(
            ChunkInclusionProof(index: 0, treeSize: 0, path: []).root(
                leafHash: [UInt8](repeating: 0, count: 32)) == nil)
    }
}
