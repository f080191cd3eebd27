import Foundation
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// Conformance vectors in `Fixtures/proofs/<circuit>/` (see the README): a valid proof for
/// `Circuits/dense-16x8-test.json` (int8 weights) with named mutations and the outcome the spec
/// requires, a valid proof for `Circuits/dense-16x8-w16-test.json` (16-bit weights: both
/// planes in W~ and in the weights digest), and one for
/// `Circuits/dense-16x16-residual-test.json` (a derived stage, §5.3: bias and residual
/// subtracted from Y).
///
/// Regenerate the valid triple with `MESH_REGENERATE_FIXTURES=1 swift test --filter FixtureTests`
/// (Y is the kernel's own `Dense.apply` output; the probes are written by hand from §6).
@Suite struct FixtureTests {
    struct Probe: Decodable {
        var desc: String
        /// "xor" (byte `offset` ^= `mask`), "truncate" (keep `length` bytes), "append"
        /// (add `bytes` zero bytes), "output" (add `delta` to output element `index`).
        var mutation: String
        var offset: Int?
        var mask: UInt8?
        var length: Int?
        var bytes: Int?
        var index: Int?
        var delta: Int32?
        /// "valid", "invalid" or "malformed".
        var want: String
        /// A substring of the reason or error message.
        var wantErr: String?
    }

    func statement(_ name: String = "dense-16x8-test") throws -> (LayerStatement, Data) {
        let circuitURL = RepoPaths.root().appendingPathComponent("Circuits/\(name).json")
        let c = try Circuit(json: try Data(contentsOf: circuitURL))
        let w = try LayerWeights(seededFor: c)
        let dir = RepoPaths.fixture("proofs/\(name)")
        if ProcessInfo.processInfo.environment["MESH_REGENERATE_FIXTURES"] == "1" {
            let x = try randomHidden(tokens: 2, width: 16, seed: 2026)
            let y = try kernelDense(c, w, x)
            let s = try LayerStatement(circuit: c, weights: w, input: x, output: y)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try x.encoded().write(to: dir.appendingPathComponent("input.mvt"))
            try y.encoded().write(to: dir.appendingPathComponent("output.mvt"))
            try LayerProof.prove(s).write(to: dir.appendingPathComponent("proof.bin"))
        }
        let x = try CanonicalTensor(decoding: try Data(contentsOf: dir.appendingPathComponent("input.mvt")))
        let y = try CanonicalTensor(decoding: try Data(contentsOf: dir.appendingPathComponent("output.mvt")))
        let proof = try Data(contentsOf: dir.appendingPathComponent("proof.bin"))
        return (try LayerStatement(circuit: c, weights: w, input: x, output: y), proof)
    }

    @Test(arguments: ["dense-16x8-test", "dense-16x8-w16-test", "dense-16x16-residual-test"])
    func outputIsTheKernelsAndProofVerifies(name: String) throws {
        let (s, proof) = try statement(name)
        #expect(try kernelDense(s.circuit, s.weights, s.input) == s.output)
        #expect(try LayerProof.verify(s, proof: proof) == .valid)
        // The prover is deterministic: the same statement gives the same bytes.
        #expect(try LayerProof.prove(s) == proof)
    }

    /// Named mutations (written by `Fixtures/proofs/make_probes.py` from §6) of an explicit and
    /// a derived stage's proof.
    @Test(arguments: ["dense-16x8-test", "dense-16x16-residual-test"])
    func probesGiveTheRequiredOutcome(name: String) throws {
        let (s, proof) = try statement(name)
        let data = try Data(contentsOf: RepoPaths.fixture("proofs/\(name)/probes.json"))
        let probes = try JSONDecoder().decode([Probe].self, from: data)
        #expect(probes.count >= 10)
        for p in probes {
            var bytes = proof
            var st = s
            switch p.mutation {
            case "xor": bytes[try #require(p.offset)] ^= try #require(p.mask)
            case "truncate": bytes = bytes.prefix(try #require(p.length))
            case "append": bytes += Data(count: try #require(p.bytes))
            case "output": st = try withOutput(s) { $0[p.index ?? 0] &+= p.delta ?? 0 }
            default: Issue.record("\(p.desc): unknown mutation \(p.mutation)")
            }
            let got: String
            let message: String
            do {
                switch try LayerProof.verify(st, proof: bytes) {
                case .valid:
                    (got, message) = ("valid", "")
                case .invalid(let reason):
                    (got, message) = ("invalid", reason)
                }
            } catch {
                (got, message) = ("malformed", error.description)
            }
            #expect(got == p.want, "\(p.desc): got \(got) (\(message))")
            if let want = p.wantErr { #expect(message.contains(want), "\(p.desc): \(message)") }
        }
    }
}
