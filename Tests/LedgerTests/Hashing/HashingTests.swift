import Foundation
import Testing

@testable import Ledger

@Suite("RFC 9162 hashing")
struct HashingTests {
    @Test("The empty tree root is SHA-256 of the empty string")
    func emptyRoot() throws {
        let v = try LedgerFixtures.rfc6962()
        #expect(RFC9162.emptyRoot == (try MerkleHash(hex: v.emptyTreeRoot)))
    }

    @Test("Roots of the RFC 6962 test leaves match the published roots for every size")
    func publishedRoots() throws {
        let v = try LedgerFixtures.rfc6962()
        let leaves = v.leaves
        for size in 1...leaves.count {
            var state = TreeState()
            var completed: [TreeState.CompletedTile] = []
            for leaf in leaves.prefix(size) {
                state.append(leafHash: RFC9162.hashLeaf(leaf), completed: &completed)
            }
            #expect(state.root == (try v.root(size)), "size \(size)")
            #expect(
                ReferenceTree(leaves: leaves).root(size: size) == (try v.root(size)),
                "reference, size \(size)")
        }
    }

    @Test("hashLeaf and hashChildren use the 0x00 and 0x01 prefixes")
    func prefixes() throws {
        let entry = Data("hello".utf8)
        #expect(RFC9162.hashLeaf(entry) == ReferenceTree.leafHash(entry))
        let a = RFC9162.hashLeaf(Data([1])), b = RFC9162.hashLeaf(Data([2]))
        #expect(RFC9162.hashChildren(a, b) == ReferenceTree.nodeHash(a, b))
        #expect(RFC9162.hashChildren(a, b) != RFC9162.hashChildren(b, a))
        #expect(RFC9162.hashLeaf(a.bytes + b.bytes) != RFC9162.hashChildren(a, b))
    }

    @Test("Hash text forms round-trip and reject bad input")
    func encodings() throws {
        let h = RFC9162.hashLeaf(Data("x".utf8))
        #expect(try MerkleHash(base64: h.base64) == h)
        #expect(try MerkleHash(hex: h.hex) == h)
        #expect(throws: LedgerError.wrongHashLength(got: 31)) { try MerkleHash(bytes: Data(count: 31)) }
        #expect(throws: LedgerError.self) { try MerkleHash(base64: String(h.base64.dropLast())) }
        #expect(throws: LedgerError.self) { try MerkleHash(base64: " " + h.base64) }
        #expect(throws: LedgerError.self) { try MerkleHash(base64: "-" + h.base64.dropFirst()) }
        #expect(throws: LedgerError.self) { try MerkleHash(hex: "zz" + h.hex.dropFirst(2)) }
        #expect(h.flippingBit(0) != h && h.flippingBit(0).flippingBit(0) == h)
    }

    @Test("Tile nodes hold every perfect subtree of the tile")
    func tileNodes() throws {
        let leaves = sampleEntries(256)
        let ref = ReferenceTree(leaves: leaves)
        let tile = TileNodes(hashes: leaves.map(RFC9162.hashLeaf))
        #expect(tile.isFull)
        #expect(tile.root == ref.root(size: 256))
        for height in 0...8 {
            for j in 0..<(256 >> height) {
                #expect(tile.node(height: height, index: j) == ref.mth(j << height, (j + 1) << height))
            }
        }
        let partial = TileNodes(hashes: leaves.prefix(100).map(RFC9162.hashLeaf))
        #expect(partial.node(height: 2, index: 24) == ref.mth(96, 100))
        #expect(partial.node(height: 2, index: 25) == nil)
        #expect(partial.root == nil)
        #expect(throws: LedgerError.self) { try TileNodes(tileBytes: Data(count: 33), width: 1) }
    }
}
