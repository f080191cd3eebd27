import ArgumentParser
import CMontgomeryReference
import Foundation
import Groth16
import Kernel
import Proofs

/// `mesh-bench groth16`: snarkjs Groth16 verification on BN254 (specs/groth16.md), one thread:
/// reading the key and proof (with every curve and subgroup check), the verification itself,
/// and the primitives under it. Build with `-c release`.
struct Groth16Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groth16",
        abstract:
            "Groth16/BN254: verify snarkjs vectors, prove our layer circuits, pairing, F_p multiplication (GMP vs C)."
    )

    @Option(help: "snarkjs vector folders (verification_key.json, proof.json, public.json), comma-separated.")
    var vectors: String =
        "Fixtures/groth16/snarkjs/nullifier-2pub,Fixtures/groth16/snarkjs/zkml-nids-7pub,"
        + "Fixtures/groth16/snarkjs/risc0-sudoku-81pub"

    @Option(help: "Timing rounds (best of N).")
    var rounds: Int = 10

    @Option(
        help: "Layer circuits to set up and prove, as KxN (int8 dense + bias, one token), comma-separated.")
    var layers: String = "4x3,16x16,64x64"

    func run() async throws {
        print("groth16: 1 thread, best of \(rounds)")
        print("vector                     inputs  read key ms  read proof ms  verify ms  valid")
        for dir in vectors.split(separator: ",").map(String.init) {
            func file(_ name: String) throws -> [UInt8] {
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name)))
            }
            let keyBytes = try file("verification_key.json")
            let proofBytes = try file("proof.json")
            let inputs = try Groth16PublicInputs(snarkjsJSON: try file("public.json"))
            var key = try Groth16VerifyingKey(snarkjsJSON: keyBytes)
            var proof = try Groth16Proof(snarkjsJSON: proofBytes)
            var verdict = Groth16Verdict.invalid(reason: "not run")
            let readKey = bestOf(rounds) { key = try! Groth16VerifyingKey(snarkjsJSON: keyBytes) }
            let readProof = bestOf(rounds) { proof = try! Groth16Proof(snarkjsJSON: proofBytes) }
            let verify = bestOf(rounds) {
                verdict = try! Groth16.verify(key: key, proof: proof, inputs: inputs)
            }
            let name = URL(fileURLWithPath: dir).lastPathComponent
            print(
                name.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(
                        format: " %6d  %11.2f  %13.2f  %9.2f  %@", inputs.count, readKey * 1e3,
                        readProof * 1e3,
                        verify * 1e3, verdict == .valid ? "yes" : "NO"))
        }
        let p = G1.generator
        let q = G2.generator
        var sink = Fp12.one
        let pairing = bestOf(rounds) { sink = Pairing.pairing(p, q) }
        let miller = bestOf(rounds) { sink = Pairing.millerLoop([(p, q)]) }
        let finalExp = bestOf(rounds) { sink = Pairing.finalExponentiation(sink) }
        var inG2 = false
        let subgroup = bestOf(rounds) { inG2 = G2.isInSubgroup(q) }
        print(
            String(
                format:
                    "pairing %.2f ms (Miller loop %.2f, final exponentiation %.2f); G2 subgroup check %.2f ms%@",
                pairing * 1e3, miller * 1e3, finalExp * 1e3, subgroup * 1e3, inG2 ? "" : " (FAILED)"))
        try fieldMultiplication()
        if sink.isZero { print("(unreachable: keeps the results alive)") }
        for shape in layers.split(separator: ",") {
            let dims = shape.split(separator: "x").compactMap { Int($0) }
            guard dims.count == 2 else { throw ValidationError("--layers: \(shape) is not KxN") }
            try layerCircuit(inFeatures: dims[0], outFeatures: dims[1])
        }
    }

    /// F_p multiplication on GMP's mpn layer (the verifier's) beside a plain C 4-limb CIOS loop.
    func fieldMultiplication() throws {
        var x = Fp(7)
        let y = Fp(0x1234_5678_9abc_def0)
        let n = 1_000_000
        let mpn = bestOf(rounds) { for _ in 0..<n { x = x * y } }
        let m = Fp.field.modulus
        let p: [UInt64] = [UInt64(m.0), UInt64(m.1), UInt64(m.2), UInt64(m.3)]
        let np: UInt64 = 0x87d2_0782_e486_6389
        func limbs(_ v: Fp) -> [UInt64] {
            let l = v.montgomery
            return [UInt64(l.0), UInt64(l.1), UInt64(l.2), UInt64(l.3)]
        }
        var cx = limbs(Fp(7))
        let cy = limbs(y)
        let c = bestOf(rounds) { _ = mesh_montgomery_mul_loop(&cx, cy, p, np, UInt64(n)) }
        // Same inputs, same Montgomery result.
        var check = limbs(Fp(7))
        mesh_montgomery_mul_4limb(&check, check, cy, p, np)
        guard check == limbs(Fp(7) * y) else { throw ValidationError("the C reference disagrees with mpn") }
        print(
            String(
                format:
                    "F_p multiplication: GMP mpn Montgomery %.1f ns/op; plain C 4-limb CIOS %.1f ns/op (mpn/C %.2f)",
                mpn / Double(n) * 1e9, c / Double(n) * 1e9, mpn / c))
        if x.isZero || cx[0] == 42 { print("(unreachable: keeps the results alive)") }
    }

    /// A K×N int8 dense layer with bias and requantization, one token, as a Groth16 circuit:
    /// constraints per multiply-accumulate, setup, prove, verify, and verify ÷ re-executing the
    /// layer on the kernel.
    func layerCircuit(inFeatures k: Int, outFeatures n: Int) throws {
        let json = """
            {"format": "mesh-validator/circuit/v1", "name": "bench-\(k)x\(n)", "kind": "dense",
             "inFeatures": \(k), "outFeatures": \(n), "activation": "none", "residual": false, "bias": true,
             "activationBits": 8, "maxTokens": 1, "weights": "seeded", "seed": 3, "proofSystem": "groth16"}
            """
        let c = try Circuit(json: Data(json.utf8))
        let w = try LayerWeights(seededFor: c)
        var rng = SeededWeights(seed: 99)
        let x = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [1, k],
            values: .int32((0..<k).map { _ in Int32(truncatingIfNeeded: rng.next() % 400_000) - 200_000 }))
        var synthesis = try DenseLayerR1CS.synthesize(circuit: c, weights: w, input: x)
        let synthesize = bestOf(1) {
            synthesis = try! DenseLayerR1CS.synthesize(circuit: c, weights: w, input: x)
        }
        var key: Groth16ProvingKey?
        let setup = bestOf(1) { key = try! Groth16Setup.generate(synthesis.r1cs, waste: .seeded(1)) }
        guard let key else { return }
        var generator = SeededFieldGenerator(seed: 5)
        var proof: Groth16Proof?
        let prove = bestOf(min(rounds, 3)) {
            proof = try! Groth16Prover.prove(
                key: key, r1cs: synthesis.r1cs, witness: synthesis.witness, using: &generator)
        }
        guard let proof else { return }
        let y = try synthesis.output.int32Values()
        let inputs = try Groth16PublicInputs(
            values: DenseLayerR1CS.publicInputs(input: try x.int32Values(), output: y).map(\.canonicalWords))
        var verdict = Groth16Verdict.invalid(reason: "not run")
        let verify = bestOf(rounds) {
            verdict = try! Groth16.verify(key: key.verifyingKey, proof: proof, inputs: inputs)
        }
        var out = synthesis.output
        let rerun = bestOf(rounds) { out = try! LayerProof.output(circuit: c, weights: w, input: x) }
        let macs = k * n
        print(
            String(
                format:
                    "layer %dx%d int8, 1 token: %d constraints (%.1f per MAC), %d public inputs; synthesize %.0f ms, "
                    + "setup %.0f ms, prove %.0f ms, verify %.2f ms (%@), re-execute %.3f ms: verify/re-execute %.1f",
                k, n, synthesis.r1cs.constraints.count,
                Double(synthesis.r1cs.constraints.count) / Double(macs),
                inputs.count, synthesize * 1e3, setup * 1e3, prove * 1e3, verify * 1e3,
                verdict == .valid ? "valid" : "INVALID", rerun * 1e3, verify / rerun))
        if out.shape.isEmpty { print("(unreachable)") }
    }
}
