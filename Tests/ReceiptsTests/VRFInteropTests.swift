import Foundation
import Receipts
import TestSupport
import Testing

/// Interoperability with an independent ECVRF: scripts/interop/vrf_coincurve.py follows only
/// specs/vrf.md and does its point arithmetic with coincurve (its own bundled libsecp256k1).
@Suite("ECVRF: interop with an independent Python implementation (coincurve)")
struct VRFInteropTests {
    static let script = RepoPaths.root().appendingPathComponent("scripts/interop/vrf_coincurve.py").path

    static func requireCoincurve() throws {
        let probe = try runPython(["-c", "import coincurve"])
        try #require(
            probe.status == 0, "python3 cannot import coincurve; run scripts/setup.sh (pip install coincurve)"
        )
    }

    /// Python's `verify`: the printed beta, or nil when it exits 1 (INVALID).
    static func pythonVerify(pk: String, alpha: Data, proof: Data) throws -> String? {
        let out = try runPython([script, "verify", pk, Hex.encode(alpha), Hex.encode(proof)])
        try #require(out.status == 0 || out.status == 1, "python verifier crashed: \(out.stderrText)")
        let text = String(decoding: out.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return out.status == 0 ? text : nil
    }

    @Test func fixtureVectorsVerifyInPython() throws {
        try Self.requireCoincurve()
        for v in VRFVector.ours.prefix(3) + VRFVector.ours.suffix(2) {
            let proof = try #require(Hex.decode(v.pi))
            #expect(try Self.pythonVerify(pk: v.pk, alpha: v.alphaBytes(), proof: proof) == v.beta)
            var bad = proof
            bad[40] ^= 0x01
            #expect(try Self.pythonVerify(pk: v.pk, alpha: v.alphaBytes(), proof: bad) == nil)
        }
    }

    @Test func proofsMadeHereVerifyInPythonAndMatchItsProver() throws {
        try Self.requireCoincurve()
        for i in 0..<4 {
            let key = SchnorrSigningKey.generate()
            let alpha = Data((0..<(i * 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
            let (proof, output) = try key.vrfProve(alpha)
            let pk = try key.publicKey.vrfPublicKey.hex
            #expect(try Self.pythonVerify(pk: pk, alpha: alpha, proof: proof.rawRepresentation) == output.hex)
            // Proofs are deterministic: Python's prover must give the same bytes.
            let out = try runPython([
                Self.script, "prove-bip340", Hex.encode(key.rawRepresentation), Hex.encode(alpha),
            ])
            try #require(out.status == 0, "python prover failed: \(out.stderrText)")
            let theirs = try JSONDecoder().decode(VRFVector.self, from: out.stdout)
            #expect(theirs.pk == pk)
            #expect(theirs.pi == proof.hex)
            #expect(theirs.beta == output.hex)
            // And a proof for other input is refused there too.
            #expect(try Self.pythonVerify(pk: pk, alpha: alpha + [1], proof: proof.rawRepresentation) == nil)
        }
    }
}
