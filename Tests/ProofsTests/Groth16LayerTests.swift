import Foundation
import Groth16
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// A seeded dense circuit for Groth16 tests.
func groth16Circuit(
    inFeatures: Int, outFeatures: Int, activation: String, residual: Bool, bias: Bool, bits: Int = 16,
    weightBits: Int = 8, tokens: Int = 1, seed: UInt64 = 5
) throws -> Circuit {
    let json = """
        {"format": "mesh-validator/circuit/v1", "name": "groth16-test", "kind": "dense",
         "inFeatures": \(inFeatures), "outFeatures": \(outFeatures), "activation": "\(activation)",
         "residual": \(residual), "bias": \(bias), "activationBits": \(bits), "weightBits": \(weightBits),
         "maxTokens": \(tokens), "weights": "seeded", "seed": \(seed)}
        """
    return try Circuit(json: Data(json.utf8))
}

/// Q16 inputs mixing the edges of every gadget: zero tokens, saturation, the table's ±16.
func edgeInputs(_ count: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    let edges: [Int32] = [
        0, 1, -1, Int32.max, Int32.min, -Int32.max, 16 << 16, (16 << 16) - 1, -(16 << 16), -(16 << 16) - 1,
        255, 256,
    ]
    return (0..<count).map { i in
        switch rng.next() % 4 {
        case 0: return edges[Int(rng.next() % UInt64(edges.count))]
        case 1: return Int32(truncatingIfNeeded: rng.next())
        default: return Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 22)) - (1 << 21))
        }
    }
}

func tensor(_ v: [Int32], tokens: Int, width: Int) throws -> CanonicalTensor {
    try CanonicalTensor(kind: .hidden, fractionBits: 16, shape: [tokens, width], values: .int32(v))
}

@Suite("Groth16 layer circuits: R1CS of the kernel's dense semantics")
struct Groth16LayerTests {
    static let shapes: [(String, Bool, Bool, Int, Int)] = [
        ("gelu", false, true, 16, 8), ("silu", true, true, 8, 8), ("none", true, false, 16, 16),
        ("none", false, true, 8, 16),
    ]

    @Test(arguments: 0..<4)
    func theKernelsWitnessSatisfiesTheSystem(shape: Int) throws {
        let (act, residual, bias, bits, weightBits) = Self.shapes[shape]
        let c = try groth16Circuit(
            inFeatures: 6, outFeatures: 6, activation: act, residual: residual, bias: bias, bits: bits,
            weightBits: weightBits, tokens: 3)
        let w = try LayerWeights(seededFor: c)
        for seed in UInt64(1)...4 {
            var x = edgeInputs(18, seed: seed + 100 * UInt64(shape))
            if seed == 1 { for i in 0..<6 { x[i] = 0 } }  // an all-zero token
            let s = try DenseLayerR1CS.synthesize(
                circuit: c, weights: w, input: try tensor(x, tokens: 3, width: 6))
            #expect(try s.r1cs.firstUnsatisfied(s.witness) == nil, "shape \(shape) seed \(seed)")
            // The proven output is the kernel's dense layer, bit for bit.
            let q = try QuantizedActivations.quantize(x, tokens: 3, width: 6, bits: bits)
            let want = try Dense.apply(
                q, w.linears[0], lut: c.activation.kernelFunction, residual: residual ? x : nil)
            #expect(try s.output.int32Values() == want)
            #expect(s.publicInputs.count == DenseLayerR1CS.publicInputCount(c))
            #expect(
                zip(s.publicInputs, DenseLayerR1CS.publicInputs(input: x, output: want)).allSatisfy {
                    $0 == $1
                })
        }
    }

    @Test func theSystemDoesNotDependOnTheInput() throws {
        let c = try groth16Circuit(
            inFeatures: 5, outFeatures: 4, activation: "gelu", residual: false, bias: true)
        let w = try LayerWeights(seededFor: c)
        let a = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w, input: try tensor([0, 0, 0, 0, 0], tokens: 1, width: 5))
        let b = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w, input: try tensor(edgeInputs(5, seed: 9), tokens: 1, width: 5))
        #expect(a.r1cs.variableCount == b.r1cs.variableCount)
        #expect(a.r1cs.constraints.count == b.r1cs.constraints.count)
        for (x, y) in zip(a.r1cs.constraints, b.r1cs.constraints) {
            for (l, r) in [(x.a, y.a), (x.b, y.b), (x.c, y.c)] {
                #expect(l.terms.count == r.terms.count)
                #expect(
                    zip(l.terms, r.terms).allSatisfy {
                        $0.variable == $1.variable && $0.coefficient == $1.coefficient
                    })
            }
        }
        // A witness for one input satisfies the shared system only with its own public inputs.
        #expect(try a.r1cs.firstUnsatisfied(b.witness) == nil)
    }

    /// Every private variable is pinned: changing any one of them breaks a constraint, so no
    /// prover has freedom the kernel's semantics do not give (seeded sample of variables).
    @Test func noSingleVariableOfTheWitnessIsFree() throws {
        let c = try groth16Circuit(
            inFeatures: 4, outFeatures: 4, activation: "silu", residual: true, bias: true)
        let w = try LayerWeights(seededFor: c)
        let s = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w,
            input: try tensor([3 << 16, -(1 << 15), 7, -(20 << 16)], tokens: 1, width: 4))
        var rng = SplitMix64(seed: 77)
        let candidates = Array(1..<s.r1cs.variableCount)
        for _ in 0..<300 {
            let i = candidates[Int(rng.next() % UInt64(candidates.count))]
            var z = s.witness
            z[i] = z[i] + Fr(1 + rng.next() % 5)
            #expect(try s.r1cs.firstUnsatisfied(z) != nil, "variable \(i) is free")
        }
    }

    @Test func aWrongOutputHasNoSatisfyingPublicInputs() throws {
        let c = try groth16Circuit(
            inFeatures: 4, outFeatures: 3, activation: "gelu", residual: false, bias: true)
        let w = try LayerWeights(seededFor: c)
        let x: [Int32] = [1 << 16, 2 << 16, -(3 << 16), 5]
        let s = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w, input: try tensor(x, tokens: 1, width: 4))
        var y = try s.output.int32Values()
        y[1] &+= 1
        let forged = DenseLayerR1CS.publicInputs(input: x, output: y)
        var z = s.witness
        for (i, v) in forged.enumerated() { z[1 + i] = v }
        #expect(try s.r1cs.firstUnsatisfied(z) != nil)
    }

    @Test func aLayerProofVerifiesForItsOutputOnly() throws {
        let c = try groth16Circuit(
            inFeatures: 4, outFeatures: 3, activation: "gelu", residual: false, bias: true)
        let w = try LayerWeights(seededFor: c)
        let x: [Int32] = [1 << 16, 2 << 16, -(3 << 16), 5]
        let s = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w, input: try tensor(x, tokens: 1, width: 4))
        #expect(s.publicInputs.count == 1, "7 values fit one public input")
        let key = try Groth16Setup.generate(s.r1cs, waste: .seeded(3))
        var rng = SeededFieldGenerator(seed: 4)
        let proof = try Groth16Prover.prove(key: key, r1cs: s.r1cs, witness: s.witness, using: &rng)
        let y = try s.output.int32Values()
        let good = try Groth16PublicInputs(
            values: DenseLayerR1CS.publicInputs(input: x, output: y).map(\.canonicalWords))
        #expect(try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: good) == .valid)
        var wrong = y
        wrong[2] &+= 1
        let bad = try Groth16PublicInputs(
            values: DenseLayerR1CS.publicInputs(input: x, output: wrong).map(\.canonicalWords))
        #expect(try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: bad) != .valid)
    }

    /// An independent implementation (py_ecc, scripts/interop/bn254_py_ecc.py) accepts the
    /// verifying key, proof and public inputs we write in snarkjs's format.
    @Test func pyEccAcceptsOurSnarkjsFiles() throws {
        let probe = try runPython(["-c", "import py_ecc"])
        try #require(
            probe.status == 0, "python3 cannot import py_ecc; run scripts/setup.sh (pip install py_ecc)")
        let c = try groth16Circuit(
            inFeatures: 4, outFeatures: 3, activation: "silu", residual: false, bias: true)
        let w = try LayerWeights(seededFor: c)
        let x: [Int32] = [7 << 16, -(1 << 14), 3, 1 << 20]
        let s = try DenseLayerR1CS.synthesize(
            circuit: c, weights: w, input: try tensor(x, tokens: 1, width: 4))
        let key = try Groth16Setup.generate(s.r1cs, waste: .seeded(8))
        var rng = SeededFieldGenerator(seed: 9)
        let proof = try Groth16Prover.prove(key: key, r1cs: s.r1cs, witness: s.witness, using: &rng)
        let inputs = try Groth16PublicInputs(values: s.publicInputs.map(\.canonicalWords))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "groth16-py-ecc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = [
            "vk.json": key.verifyingKey.snarkjsJSON, "proof.json": proof.snarkjsJSON,
            "public.json": inputs.snarkjsJSON,
        ]
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        let script = RepoPaths.root().appendingPathComponent("scripts/interop/bn254_py_ecc.py").path
        let out = try runPython(
            [script, "groth16-verify"]
                + ["vk.json", "proof.json", "public.json"].map { dir.appendingPathComponent($0).path })
        #expect(out.status == 0, "\(out.stderrText)")
        #expect(out.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "valid")
    }
}
