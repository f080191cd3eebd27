import Foundation
import Testing

@testable import Ledger

@Suite("Proof construction from perfect subtrees")
struct ProofBuilderTests {
    @Test("Inclusion and consistency proofs equal the RFC reference for every pair of sizes up to 70")
    func exhaustive() throws {
        let ref = ReferenceTree(leaves: sampleEntries(70))
        let nodes = ReferenceNodes(tree: ref)
        for size in 0...70 {
            #expect(try ProofBuilder.root(size: UInt64(size), from: nodes) == ref.root(size: size))
            for index in 0..<size {
                let proof = try ProofBuilder.inclusionProof(
                    index: UInt64(index), size: UInt64(size), from: nodes)
                #expect(proof.hashes == ref.inclusionProof(index: index, size: size), "\(index) in \(size)")
            }
            for old in 0...size {
                let proof = try ProofBuilder.consistencyProof(
                    size1: UInt64(old), size2: UInt64(size), from: nodes)
                #expect(proof.hashes == ref.consistencyProof(old: old, size: size), "\(old) → \(size)")
            }
        }
    }

    @Test("Out-of-range requests are refused")
    func refusals() throws {
        let nodes = ReferenceNodes(tree: ReferenceTree(leaves: sampleEntries(4)))
        #expect(throws: LedgerError.indexOutOfRange(index: 4, size: 4)) {
            try ProofBuilder.inclusionProof(index: 4, size: 4, from: nodes)
        }
        #expect(throws: LedgerError.sizeDecreased(old: 4, new: 3)) {
            try ProofBuilder.consistencyProof(size1: 4, size2: 3, from: nodes)
        }
    }

    @Test("Proof JSON probes: valid, invalid and malformed files get the verdict their name says")
    func probes() throws {
        for kind in ["inclusion", "consistency"] {
            let probes = try LedgerFixtures.probes(kind)
            #expect(probes.count > 20)
            for probe in probes {
                let data = try LedgerFixtures.data("probes/\(kind)/\(probe.file)")
                let verdict: ProofVerdict
                do {
                    verdict =
                        kind == "inclusion"
                        ? try InclusionProofDocument(json: data).verify()
                        : try ConsistencyProofDocument(json: data).verify()
                } catch {
                    #expect(probe.want == "malformed", "\(kind)/\(probe.file): \(error)")
                    continue
                }
                switch probe.want {
                case "valid": #expect(verdict == .valid, "\(kind)/\(probe.file): \(verdict)")
                case "invalid": #expect(verdict != .valid, "\(kind)/\(probe.file)")
                default: Issue.record("\(kind)/\(probe.file) parsed but should be malformed")
                }
            }
        }
    }

    @Test("Proof documents round-trip through JSON")
    func documentRoundTrip() throws {
        let ref = ReferenceTree(leaves: sampleEntries(13))
        let doc = InclusionProofDocument(
            proof: InclusionProof(leafIndex: 5, treeSize: 13, hashes: ref.inclusionProof(index: 5, size: 13)),
            leafHash: ReferenceTree.leafHash(ref.leaves[5]), root: ref.root(size: 13))
        #expect(try InclusionProofDocument(json: doc.json()) == doc)
        #expect(doc.verify() == .valid)
        let text = String(decoding: doc.json(), as: UTF8.self)
        #expect(text.hasPrefix("{\"leafHash\":"))
        let cdoc = ConsistencyProofDocument(
            proof: ConsistencyProof(size1: 6, size2: 13, hashes: ref.consistencyProof(old: 6, size: 13)),
            root1: ref.root(size: 6), root2: ref.root(size: 13))
        #expect(try ConsistencyProofDocument(json: cdoc.json()) == cdoc)
        #expect(cdoc.verify() == .valid)
    }
}
