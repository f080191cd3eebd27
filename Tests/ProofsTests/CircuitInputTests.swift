import Foundation
import Kernel
import Testing

@testable import Proofs

/// `LayerProof.mlpInput` (specs/proofs.md §7.5) against the kernel's own shard: the FFN input of
/// block b, pushed through the proven llama-mlp layer, must give exactly the output of blocks
/// [0, b] as `Shard` computes them — so the circuit is the model's own arithmetic.
@Suite struct CircuitInputTests {
    @Test(arguments: [(8, 8, 0), (16, 16, 0), (16, 16, 1)])
    func mlpInputThroughTheProvenLayerIsTheShardsBlockOutput(bits: Int, weightBits: Int, block: Int) throws {
        let model = try TinyModel.llama(seed: 9, activationBits: bits, weightBits: weightBits)
        let c = try mlpCircuit(
            width: model.config.width, ffn: model.config.ffnWidth, bits: bits, weightBits: weightBits,
            block: block)
        let w = try LayerWeights(circuit: c, model: model)
        let ids: [Int32] = [5, 17, 3, 63, 0]
        let x = try LayerProof.mlpInput(circuit: c, model: model, tokenIDs: ids)
        #expect(x.shape == [ids.count, model.config.width])
        let y = try LayerProof.output(circuit: c, weights: w, input: x)
        let shard = try Shard(model: model, layers: 0..<(block + 1))
        let want = try shard.run(
            try CanonicalTensor(kind: .tokenIDs, shape: [ids.count], values: .int32(ids)))
        #expect(y == want)
        // X is not the block's input or output: the attention half ran, the FFN did not.
        #expect(x != want)
        let s = try LayerStatement(circuit: c, weights: w, input: x, output: y)
        #expect(try LayerProof.verify(s, proof: try LayerProof.prove(s)) == .valid)
    }

    @Test func mlpInputRefusesWhatItCannotCompute() throws {
        let model = try TinyModel.llama(seed: 9)
        let width = model.config.width
        let ffn = model.config.ffnWidth
        // The last block's shard ends in the LM head.
        let last = try mlpCircuit(width: width, ffn: ffn, bits: 8, block: model.config.layers - 1)
        #expect(throws: ProofsError.self) {
            try LayerProof.mlpInput(circuit: last, model: model, tokenIDs: [1])
        }
        let c = try mlpCircuit(width: width, ffn: ffn, bits: 8, block: 0, maxTokens: 2)
        #expect(throws: ProofsError.tokenCountOutOfRange(got: 3, max: 2)) {
            try LayerProof.mlpInput(circuit: c, model: model, tokenIDs: [1, 2, 3])
        }
        #expect(throws: ProofsError.self) {
            try LayerProof.mlpInput(circuit: c, model: model, tokenIDs: [64])
        }
        let dense = try denseCircuit(n: width, m: width)
        #expect(throws: ProofsError.self) {
            try LayerProof.mlpInput(circuit: dense, model: model, tokenIDs: [1])
        }
    }
}
