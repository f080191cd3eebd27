import Foundation
import Testing

@testable import Ledger

/// The naive RFC reference tree is what the fast code is cross-checked against, so it is itself
/// pinned to the published RFC 6962 vectors here.
@Suite("Reference tree (RFC 9162 §2.1.1, written straight from the text)")
struct ReferenceTreeTests {
    @Test("MTH of every prefix of the RFC 6962 leaves equals the published root")
    func rootsMatchPublishedVectors() throws {
        let v = try LedgerFixtures.rfc6962()
        let ref = ReferenceTree(leaves: v.leaves)
        for size in 1...v.leaves.count {
            #expect(ref.root(size: size) == (try v.root(size)), "size \(size)")
        }
        #expect(ref.root(size: 0) == RFC9162.emptyRoot)
    }

    @Test("Leaf and node hashing agree with the Ledger's RFC9162 functions")
    func hashingAgrees() throws {
        let a = Data("a".utf8)
        let b = Data("b".utf8)
        let la = ReferenceTree.leafHash(a)
        let lb = ReferenceTree.leafHash(b)
        #expect(la == RFC9162.hashLeaf(a))
        #expect(ReferenceTree.nodeHash(la, lb) == RFC9162.hashChildren(la, lb))
        #expect(ReferenceTree.nodeHash(la, lb) != ReferenceTree.nodeHash(lb, la))
    }
}
