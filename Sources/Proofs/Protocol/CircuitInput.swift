import Kernel

extension LayerProof {
    /// The X a `llama-mlp` circuit over block `b` takes when the model runs on `tokenIDs` from
    /// position 0: the residual stream after block b's attention half, `int32` Q16
    /// `[T, width]` (specs/proofs.md §7.5).
    ///
    /// Computed by the kernel's own `Shard` on a copy of the model whose block-b `ffn_down` is
    /// the zero matrix with zero output scales: that block then ends with
    /// `dense(quantizeToken(h), 0, residual: x) = sat32(0 + x) = x` exactly (specs/kernel.md
    /// §5.1, §6.2), so layers `[0, b + 1)` return the FFN input unchanged.
    ///
    /// - Parameters:
    ///   - circuit: a `llama-mlp` circuit with `weights = "model"`.
    ///   - model: the model its weights come from.
    ///   - tokenIDs: the token sequence, `1 ≤ T ≤ circuit.maxTokens`.
    ///   - options: kernel GEMM path and threads (the result does not depend on them).
    /// - Throws: `.malformedCircuit` if the circuit is not a llama-mlp over a block of `model`
    ///   before its last one (the last block's shard ends in the LM head); `.tokenCountOutOfRange`;
    ///   `.kernel` for token ids outside the vocabulary or a sequence too long for the model.
    public static func mlpInput(
        circuit: Circuit, model: QuantizedModel, tokenIDs: [Int32],
        options: ExecutionOptions = ExecutionOptions()
    ) throws(ProofsError) -> CanonicalTensor {
        _ = try LayerWeights(circuit: circuit, model: model)  // kind, block range, widths, bits
        guard case .llama(var blocks) = model.blocks, let b = circuit.block else {
            throw .malformedCircuit("circuit \(circuit.name) is not a llama-mlp block of a llama model")
        }
        guard b + 1 < blocks.count else {
            throw .malformedCircuit(
                "block \(b) is the model's last: its shard ends in the LM head, not the residual stream")
        }
        guard (1...circuit.maxTokens).contains(tokenIDs.count) else {
            throw .tokenCountOutOfRange(got: tokenIDs.count, max: circuit.maxTokens)
        }
        do {
            let down = blocks[b].down.matrix
            let zeros = [Int8](repeating: 0, count: down.rows * down.cols)
            let zeroDown = try QuantizedMatrix(
                rows: down.rows, cols: down.cols, weights: zeros,
                lowWeights: down.lowWeights == nil ? nil : zeros,
                outputScales: Array(repeating: .zero, count: down.rows),
                valueScales: Array(repeating: .zero, count: down.rows))
            let old = blocks[b]
            blocks[b] = LlamaBlock(
                attentionNorm: old.attentionNorm, query: old.query, key: old.key, value: old.value,
                attentionOutput: old.attentionOutput, ffnNorm: old.ffnNorm, gate: old.gate, up: old.up,
                down: try LinearWeights(matrix: zeroDown))
            let withoutFFN = try QuantizedModel(
                config: model.config, tokenEmbedding: model.tokenEmbedding,
                positionEmbedding: model.positionEmbedding, typeEmbedding: model.typeEmbedding,
                embeddingNorm: model.embeddingNorm, blocks: .llama(blocks), finalNorm: model.finalNorm,
                outputHead: model.outputHead)
            let shard = try Shard(model: withoutFFN, layers: 0..<(b + 1), options: options)
            let ids = try CanonicalTensor(kind: .tokenIDs, shape: [tokenIDs.count], values: .int32(tokenIDs))
            return try shard.run(ids)
        } catch {
            throw .kernel(error)
        }
    }
}
