import Foundation
import Receipts
import TestSupport
import Testing

/// Interoperability with an independent implementation: scripts/interop/receipt_coincurve.py follows
/// only specs/receipt.md and signs with coincurve (its own bundled libsecp256k1).
@Suite("Receipts: interop with an independent Python signer (coincurve)")
struct InteropTests {
    static let script = RepoPaths.root().appendingPathComponent("scripts/interop/receipt_coincurve.py").path

    static func requireCoincurve() throws {
        let probe = try runPython(["-c", "import coincurve"])
        try #require(
            probe.status == 0, "python3 cannot import coincurve; run scripts/setup.sh (pip install coincurve)"
        )
    }

    @Test func receiptSignedByPythonVerifiesHere() throws {
        try Self.requireCoincurve()
        for seed in 1...5 {
            let secret = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed) })
            let key = try SchnorrSigningKey(rawRepresentation: secret)
            var receipt = try sampleReceipt(key: key, proof: seed % 2 == 0)
            receipt.sequence = UInt64(seed)
            let out = try runPython(
                [
                    Self.script, "sign", Hex.encode(secret),
                    Hex.encode(Data(repeating: UInt8(seed), count: 32)),
                ],
                input: receipt.json())
            try #require(out.status == 0, "python signer failed: \(out.stderrText)")
            let theirs = try SignedReceipt(json: out.stdout)
            #expect(theirs.receipt == receipt)
            #expect(theirs.verify() == .valid)
            // Same key, same aux randomness: BIP-340 signing is deterministic, so ours must match byte for byte.
            let ours = try SignedReceipt.sign(
                receipt, with: key, auxiliaryRandom32: Data(repeating: UInt8(seed), count: 32))
            #expect(ours.signature == theirs.signature)
        }
    }

    @Test func receiptSignedHereVerifiesInPython() throws {
        try Self.requireCoincurve()
        let key = SchnorrSigningKey.generate()
        let signed = try SignedReceipt.sign(try sampleReceipt(key: key, proof: true), with: key)
        let ok = try runPython([Self.script, "verify"], input: signed.json())
        #expect(ok.status == 0, "python rejected our receipt: \(ok.stderrText)")
        var tampered = signed
        tampered.receipt.layerEnd += 1
        let bad = try runPython([Self.script, "verify"], input: tampered.json())
        #expect(bad.status == 1)
    }
}
