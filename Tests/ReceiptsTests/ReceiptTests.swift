import Foundation
import Receipts
import TestSupport
import Testing

/// The worked examples of specs/receipt.md §5, produced by an independent Python implementation.
struct WorkedExample: Sendable, CustomTestStringConvertible {
    var desc: String
    var secretKey: Data
    var auxRand: Data
    var unsignedJSON: Data
    var signedJSON: Data
    var canonicalHex: String
    var digestHex: String
    var testDescription: String { desc }

    static func load() throws -> [WorkedExample] {
        let url = RepoPaths.fixture("receipts/worked-examples.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["examples"] as! [[String: Any]]).map { e in
            WorkedExample(
                desc: e["desc"] as! String, secretKey: Hex.decode(e["secretKey"] as! String)!,
                auxRand: Hex.decode(e["auxRand"] as! String)!,
                unsignedJSON: try! JSONSerialization.data(withJSONObject: e["unsigned"]!),
                signedJSON: try! JSONSerialization.data(withJSONObject: e["signed"]!),
                canonicalHex: e["canonicalHex"] as! String, digestHex: e["digestHex"] as! String)
        }
    }
}

func exampleKey() throws -> SchnorrSigningKey {
    try SchnorrSigningKey(rawRepresentation: Data(repeating: 1, count: 32))
}

func sampleReceipt(key: SchnorrSigningKey, proof: Bool = false) throws -> Receipt {
    Receipt(
        jobID: try Digest32(bytes: Data(repeating: 0x11, count: 32)),
        modelID: try Digest32(bytes: Data(repeating: 0x22, count: 32)), layerStart: 3, layerEnd: 9,
        inputCommitment: try Digest32(bytes: Data(repeating: 0x33, count: 32)),
        outputCommitment: try Digest32(bytes: Data(repeating: 0x44, count: 32)), node: key.publicKey,
        startedAtMs: 1_795_000_000_000, finishedAtMs: 1_795_000_000_123, sequence: 42,
        proofRef: proof ? try Digest32(bytes: Data(repeating: 0x55, count: 32)) : nil)
}

@Suite("Receipts: canonical bytes, signatures, JSON")
struct ReceiptTests {
    static let examples = (try? WorkedExample.load()) ?? []

    @Test func examplesLoaded() { #expect(Self.examples.count == 2) }

    @Test("worked example reproduces canonical bytes, digest and signature", arguments: examples)
    func workedExample(_ e: WorkedExample) throws {
        let key = try SchnorrSigningKey(rawRepresentation: e.secretKey)
        let unsigned = try Receipt(json: e.unsignedJSON, defaultNode: key.publicKey)
        #expect(Hex.encode(unsigned.canonicalBytes) == e.canonicalHex)
        #expect(unsigned.digest.hex == e.digestHex)
        let signed = try SignedReceipt.sign(unsigned, with: key, auxiliaryRandom32: e.auxRand)
        let theirs = try SignedReceipt(json: e.signedJSON)
        #expect(signed == theirs)
        #expect(theirs.verify() == .valid)
        #expect(try Receipt(canonicalBytes: Hex.decode(e.canonicalHex)!) == unsigned)
    }

    @Test(arguments: [false, true])
    func roundTrip(withProof: Bool) throws {
        let key = try exampleKey()
        let signed = try SignedReceipt.sign(try sampleReceipt(key: key, proof: withProof), with: key)
        #expect(signed.verify() == .valid)
        let again = try SignedReceipt(json: signed.json())
        #expect(again == signed)
        #expect(try Receipt(canonicalBytes: signed.receipt.canonicalBytes) == signed.receipt)
        #expect(signed.receipt.canonicalBytes.count == (withProof ? 227 : 195))
    }

    /// Every single-byte change of the canonical bytes either stops them decoding or makes the
    /// signature fail: nothing the signature covers can be altered.
    @Test(arguments: [false, true])
    func everyByteChangeFailsVerification(withProof: Bool) throws {
        let key = try exampleKey()
        let signed = try SignedReceipt.sign(try sampleReceipt(key: key, proof: withProof), with: key)
        let bytes = signed.receipt.canonicalBytes
        var checked = 0
        for i in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xff] {
                var mutated = bytes
                mutated[i] ^= flip
                guard let receipt = try? Receipt(canonicalBytes: mutated) else { continue }
                let verdict = SignedReceipt(receipt: receipt, signature: signed.signature).verify()
                #expect(!verdict.isValid, "byte \(i) ^ \(flip) still verifies")
                checked += 1
            }
        }
        #expect(checked > bytes.count)  // most mutations decode; all of those must fail
        for i in 0..<64 {
            var sig = signed.signature.rawRepresentation
            sig[i] ^= 0x01
            let verdict = SignedReceipt(
                receipt: signed.receipt, signature: try SchnorrSignature(rawRepresentation: sig)
            ).verify()
            #expect(!verdict.isValid, "signature byte \(i) flipped still verifies")
        }
    }

    @Test func signingWithAnotherNodesKeyIsRefused() throws {
        let receipt = try sampleReceipt(key: try exampleKey())
        let other = try SchnorrSigningKey(rawRepresentation: Data(repeating: 2, count: 32))
        #expect(throws: ReceiptError.self) { try SignedReceipt.sign(receipt, with: other) }
        // A signature by another key over the same receipt does not verify for the named node.
        let forged = SignedReceipt(receipt: receipt, signature: try receipt.signature(with: other))
        #expect(!forged.verify().isValid)
    }

    @Test func batchVerifierKeepsOrderAndIsolatesFailures() throws {
        let key = try exampleKey()
        var batch: [SignedReceipt] = []
        for i in 0..<37 {
            var r = try sampleReceipt(key: key)
            r.sequence = UInt64(i)
            var s = try SignedReceipt.sign(r, with: key)
            if i % 5 == 3 { s.receipt.sequence += 1 }  // tampered after signing
            batch.append(s)
        }
        let expected = batch.indices.map { $0 % 5 != 3 }
        for threads in [1, 2, 4, 64] {
            let verdicts = ReceiptBatchVerifier.verify(batch, threads: threads)
            #expect(verdicts.map(\.isValid) == expected, "threads \(threads)")
        }
        #expect(ReceiptBatchVerifier.verify([], threads: 2).isEmpty)
    }
}
