import Foundation
import Kernel
import TestSupport
import Testing

@testable import Proofs

/// The error parsing `json` as a circuit throws, or nil.
func circuitError(_ json: String) -> ProofsError? {
    do {
        _ = try Circuit(json: Data(json.utf8))
        return nil
    } catch {
        return error
    }
}

@Suite struct CircuitTests {
    /// The registered circuits' proof layouts and soundness bounds are the figures specs/proofs.md
    /// §6 and §9 state: `dense-1024` derives its one accumulator (537 fixed bytes) and has
    /// ε < 2^−122.6 at T = 4096; the SmolLM2 MLP block ε < 2^−121.1 at T = 256.
    @Test func registeredLayoutsMatchTheSpec() throws {
        func load(_ name: String) throws -> Circuit {
            let url = RepoPaths.root().appendingPathComponent("Circuits/\(name).json")
            return try Circuit(json: try Data(contentsOf: url))
        }
        let dense = LayerProof.shape(try load("dense-1024"))
        #expect(dense.stages.map(\.derived) == [true])
        #expect(dense.fixedBytes == 537)
        #expect(abs(dense.soundnessBits(tokens: 4096) - (128 - log2(42.0))) < 1e-6)
        #expect(dense.soundnessBits(tokens: 4096) > 122.6)
        let silu = LayerProof.shape(try load("dense-256-silu"))
        #expect(silu.stages.map(\.derived) == [false])
        let mlp = LayerProof.shape(try load("smollm2-135m-mlp-block0"))
        #expect(mlp.stages.map(\.derived) == [false, false, true])
        #expect(mlp.stages.map(\.outputs) == [1536, 1536, 576])
        #expect(mlp.soundnessBits(tokens: 256) > 121.1)
        #expect(mlp.soundnessBits(tokens: 256) < 121.2)
        // The worst case the limits allow (three stages, every ℓ = 15) is still below 2^−120.4.
        let worst = ProofFormat.Shape(
            maxTokens: 1 << 15,
            stages: [ProofFormat.Shape.StageShape](
                repeating: .init(outputs: 1 << 15, inner: 1 << 15, derived: false), count: 3))
        #expect(worst.soundnessBits(tokens: 1 << 15) > 120.4)
    }

    struct Registry: Decodable {
        struct Entry: Decodable {
            var file: String
            var name: String
            var canonicalHex: String
            var id: String
        }
        var circuits: [Entry]
    }

    /// Every registered circuit parses, and its canonical bytes and id match the independent
    /// Python reference (`Fixtures/proofs/circuits_reference.py`).
    @Test func registeredCircuitIDsMatchThePythonReference() throws {
        let data = try Data(contentsOf: RepoPaths.fixture("proofs/circuits.json"))
        let registry = try JSONDecoder().decode(Registry.self, from: data)
        #expect(registry.circuits.count >= 4)
        for entry in registry.circuits {
            let url = RepoPaths.root().appendingPathComponent("Circuits").appendingPathComponent(entry.file)
            let c = try Circuit(json: try Data(contentsOf: url))
            #expect(c.name == entry.name)
            #expect(hexString(c.canonicalBytes) == entry.canonicalHex)
            #expect(c.idHex == entry.id)
        }
    }

    @Test func idIgnoresWhitespaceAndKeyOrderButNotValues() throws {
        let a = try denseCircuit(n: 8, m: 4)
        let reordered = """
            {"seed": 1, "weights": "seeded", "maxTokens": 8, "activationBits": 8, "bias": false,
              "residual": false, "activation": "silu", "outFeatures": 4, "inFeatures": 8,
              "kind": "dense", "name": "test", "format": "mesh-validator/circuit/v1"}
            """
        #expect(try Circuit(json: Data(reordered.utf8)).id == a.id)
        #expect(try denseCircuit(n: 8, m: 4, seed: 2).id != a.id)
        #expect(try denseCircuit(n: 8, m: 4, maxTokens: 9).id != a.id)
        #expect(try denseCircuit(n: 8, m: 4, activation: "gelu").id != a.id)
    }

    /// `weightBits` (§7.1) defaults to 8; 8 adds nothing to the canonical bytes (ids of circuits
    /// written before the field are unchanged), 16 appends u64be(16) (§7.2).
    @Test func weightBitsDefaultAndEncoding() throws {
        let absent = try denseCircuit(n: 8, m: 4)
        let eight = try denseCircuit(n: 8, m: 4, weightBits: 8)
        let sixteen = try denseCircuit(n: 8, m: 4, weightBits: 16)
        #expect(absent.weightBits == 8)
        #expect(eight == absent)
        #expect(eight.id == absent.id)
        #expect(sixteen.weightBits == 16)
        #expect(sixteen.canonicalBytes == absent.canonicalBytes + [0, 0, 0, 0, 0, 0, 0, 16])
        #expect(sixteen.id != absent.id)
        #expect(throws: ProofsError.self) { try denseCircuit(n: 8, m: 4, weightBits: 12) }
        // A model circuit's weight width must be the model's.
        let model = try TinyModel.llama(seed: 3, activationBits: 16, weightBits: 8)
        let c = try mlpCircuit(width: 32, ffn: 48, bits: 16, weightBits: 16, block: 0)
        #expect(throws: ProofsError.self) { try LayerWeights(circuit: c, model: model) }
    }

    /// Block-quantized weights (kernel.md §3.5) are not covered by the proofs: refused with a
    /// typed error naming the matrix, for model-sourced and hand-made weights alike.
    @Test func blockWeightsAreRefused() throws {
        let model = try TinyModel.blockLlama()
        let c = try mlpCircuit(width: 32, ffn: 64, bits: 16, weightBits: 16, block: 0)
        #expect(throws: ProofsError.blockWeightsUnsupported(matrix: "blk.0.ffn_gate/up/down")) {
            try LayerWeights(circuit: c, model: model)
        }
        guard case .llama(let blocks) = model.blocks else { return }
        let b = blocks[0]
        #expect(throws: ProofsError.blockWeightsUnsupported(matrix: "\(c.name) matrix 0")) {
            try LayerWeights(circuit: c, linears: [b.gate, b.up, b.down], norm: b.ffnNorm)
        }
    }

    @Test func malformedCircuitsAreRejectedWithAReason() throws {
        let bad: [(String, String)] = [
            ("not json", "not a circuit"),
            (#"{"format": "v0"}"#, "not a circuit"),
        ]
        for (json, want) in bad {
            #expect(circuitError(json)?.description.contains(want) == true)
        }
        #expect(throws: ProofsError.self) { try denseCircuit(n: 0, m: 4) }
        #expect(throws: ProofsError.self) { try denseCircuit(n: 1 << 16, m: 4) }
        #expect(throws: ProofsError.self) { try denseCircuit(n: 8, m: 4, residual: true) }
        #expect(throws: ProofsError.self) { try denseCircuit(n: 8, m: 4, bits: 12) }
        #expect(throws: ProofsError.self) { try denseCircuit(n: 8, m: 4, maxTokens: 0) }
    }

    @Test func statementShapesAreChecked() throws {
        let c = try denseCircuit(n: 8, m: 4, maxTokens: 2)
        let w = try LayerWeights(seededFor: c)
        let x = try randomHidden(tokens: 2, width: 8, seed: 1)
        let y = try randomHidden(tokens: 2, width: 4, seed: 2)
        #expect(throws: ProofsError.self) { try LayerStatement(circuit: c, weights: w, input: y, output: y) }
        #expect(throws: ProofsError.self) { try LayerStatement(circuit: c, weights: w, input: x, output: x) }
        let x3 = try randomHidden(tokens: 3, width: 8, seed: 1)
        let y3 = try randomHidden(tokens: 3, width: 4, seed: 1)
        #expect(throws: ProofsError.tokenCountOutOfRange(got: 3, max: 2)) {
            try LayerStatement(circuit: c, weights: w, input: x3, output: y3)
        }
        let other = try denseCircuit(n: 8, m: 8)
        #expect(throws: ProofsError.self) { try LayerWeights(circuit: other, linears: w.linears, norm: nil) }
    }
}
