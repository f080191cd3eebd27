/// One Llama block's weights (specs/kernel.md §6.2). Q/K rows follow `config.ropeStyle`.
public struct LlamaBlock: Sendable, Equatable {
    public let attentionNorm: NormWeights
    public let query: LinearWeights
    public let key: LinearWeights
    public let value: LinearWeights
    public let attentionOutput: LinearWeights
    public let ffnNorm: NormWeights
    public let gate: LinearWeights
    public let up: LinearWeights
    public let down: LinearWeights

    public init(
        attentionNorm: NormWeights, query: LinearWeights, key: LinearWeights,
        value: LinearWeights, attentionOutput: LinearWeights, ffnNorm: NormWeights,
        gate: LinearWeights, up: LinearWeights, down: LinearWeights
    ) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.attentionOutput = attentionOutput
        self.ffnNorm = ffnNorm
        self.gate = gate
        self.up = up
        self.down = down
    }
}

/// One BERT block's weights (specs/kernel.md §6.3); every linear layer has a bias.
public struct BertBlock: Sendable, Equatable {
    public let query: LinearWeights
    public let key: LinearWeights
    public let value: LinearWeights
    public let attentionOutput: LinearWeights
    public let attentionOutputNorm: NormWeights
    public let ffnUp: LinearWeights
    public let ffnDown: LinearWeights
    public let outputNorm: NormWeights

    public init(
        query: LinearWeights, key: LinearWeights, value: LinearWeights,
        attentionOutput: LinearWeights, attentionOutputNorm: NormWeights, ffnUp: LinearWeights,
        ffnDown: LinearWeights, outputNorm: NormWeights
    ) {
        self.query = query
        self.key = key
        self.value = value
        self.attentionOutput = attentionOutput
        self.attentionOutputNorm = attentionOutputNorm
        self.ffnUp = ffnUp
        self.ffnDown = ffnDown
        self.outputNorm = outputNorm
    }
}

/// The blocks of a model, by architecture.
public enum ModelBlocks: Sendable, Equatable {
    case llama([LlamaBlock])
    case bert([BertBlock])

    public var count: Int {
        switch self {
        case .llama(let b): return b.count
        case .bert(let b): return b.count
        }
    }
}

/// A complete integer model: configuration plus every weight, all integers
/// (specs/kernel.md §6). Build one with `Quantizer.quantize(_:)` from float weights, or from
/// a package's canonical tensors with `init(config:tensors:)`.
public struct QuantizedModel: Sendable, Equatable {
    public let config: ModelConfig
    /// `[vocabSize, width]`; also the LM head when `config.tiedEmbeddings`.
    public let tokenEmbedding: QuantizedMatrix
    /// BERT: `[maxPositions, width]` learned positions.
    public let positionEmbedding: QuantizedMatrix?
    /// BERT: `[typeVocabSize, width]` token-type embeddings.
    public let typeEmbedding: QuantizedMatrix?
    /// BERT: LayerNorm applied to the summed embeddings.
    public let embeddingNorm: NormWeights?
    public let blocks: ModelBlocks
    /// Llama: final RMSNorm before the LM head.
    public let finalNorm: NormWeights?
    /// Llama with untied embeddings: `[vocabSize, width]` LM head.
    public let outputHead: QuantizedMatrix?

    /// Assembles a model after checking every shape against `config` (§6.2, §6.3).
    ///
    /// - Throws: `KernelError.invalidConfig` / `.wrongShape` / `.missingTensor` naming the part.
    public init(
        config: ModelConfig, tokenEmbedding: QuantizedMatrix,
        positionEmbedding: QuantizedMatrix? = nil, typeEmbedding: QuantizedMatrix? = nil,
        embeddingNorm: NormWeights? = nil, blocks: ModelBlocks, finalNorm: NormWeights? = nil,
        outputHead: QuantizedMatrix? = nil
    ) throws(KernelError) {
        try config.validate()
        let c = config
        func shape(_ m: QuantizedMatrix?, _ name: String, _ r: Int, _ k: Int) throws(KernelError) {
            guard let m else { throw .missingTensor(name) }
            guard m.rows == r, m.cols == k else {
                throw .wrongShape(what: name, got: [m.rows, m.cols], want: [r, k])
            }
            // weightBits 4: block matrices (§3.5), or 16-bit rows where the source had no blocks.
            guard m.weightBits == c.weightBits || (c.weightBits == 4 && m.weightBits == 16) else {
                throw .invalidConfig(
                    field: "weightBits",
                    reason: "\(name) has \(m.weightBits)-bit weights, config says \(c.weightBits)")
            }
        }
        func linear(
            _ l: LinearWeights, _ name: String, _ r: Int, _ k: Int, bias: Bool
        ) throws(KernelError) {
            try shape(l.matrix, name, r, k)
            if bias && l.bias == nil { throw .missingTensor(name + ".bias") }
            if !bias && l.bias != nil { throw .unexpectedTensor(name + ".bias") }
        }
        func norm(_ n: NormWeights?, _ name: String, beta: Bool) throws(KernelError) {
            guard let n else { throw .missingTensor(name) }
            guard n.gamma.count == c.width else {
                throw .wrongShape(what: name, got: [n.gamma.count], want: [c.width])
            }
            if beta && n.beta == nil { throw .missingTensor(name + ".bias") }
            if !beta && n.beta != nil { throw .unexpectedTensor(name + ".bias") }
        }
        try shape(tokenEmbedding, "token_embd", c.vocabSize, c.width)
        guard blocks.count == c.layers else {
            throw .wrongShape(what: "blocks", got: [blocks.count], want: [c.layers])
        }
        switch (c.architecture, blocks) {
        case (.llama, .llama(let bs)):
            for (i, b) in bs.enumerated() {
                let p = "blk.\(i)."
                try norm(b.attentionNorm, p + "attn_norm", beta: false)
                try linear(b.query, p + "attn_q", c.attentionWidth, c.width, bias: false)
                try linear(b.key, p + "attn_k", c.kvWidth, c.width, bias: false)
                try linear(b.value, p + "attn_v", c.kvWidth, c.width, bias: false)
                try linear(b.attentionOutput, p + "attn_output", c.width, c.attentionWidth, bias: false)
                try norm(b.ffnNorm, p + "ffn_norm", beta: false)
                try linear(b.gate, p + "ffn_gate", c.ffnWidth, c.width, bias: false)
                try linear(b.up, p + "ffn_up", c.ffnWidth, c.width, bias: false)
                try linear(b.down, p + "ffn_down", c.width, c.ffnWidth, bias: false)
            }
            try norm(finalNorm, "output_norm", beta: false)
            if c.tiedEmbeddings {
                if outputHead != nil { throw .unexpectedTensor("output") }
            } else {
                try shape(outputHead, "output", c.vocabSize, c.width)
            }
            if positionEmbedding != nil { throw .unexpectedTensor("position_embd") }
            if typeEmbedding != nil { throw .unexpectedTensor("token_types") }
            if embeddingNorm != nil { throw .unexpectedTensor("token_embd_norm") }
        case (.bert, .bert(let bs)):
            try shape(positionEmbedding, "position_embd", c.maxPositions, c.width)
            try shape(typeEmbedding, "token_types", c.typeVocabSize, c.width)
            try norm(embeddingNorm, "token_embd_norm", beta: true)
            for (i, b) in bs.enumerated() {
                let p = "blk.\(i)."
                try linear(b.query, p + "attn_q", c.width, c.width, bias: true)
                try linear(b.key, p + "attn_k", c.width, c.width, bias: true)
                try linear(b.value, p + "attn_v", c.width, c.width, bias: true)
                try linear(b.attentionOutput, p + "attn_output", c.width, c.width, bias: true)
                try norm(b.attentionOutputNorm, p + "attn_output_norm", beta: true)
                try linear(b.ffnUp, p + "ffn_up", c.ffnWidth, c.width, bias: true)
                try linear(b.ffnDown, p + "ffn_down", c.width, c.ffnWidth, bias: true)
                try norm(b.outputNorm, p + "layer_output_norm", beta: true)
            }
            if finalNorm != nil { throw .unexpectedTensor("output_norm") }
            if outputHead != nil { throw .unexpectedTensor("output") }
        default:
            throw .invalidConfig(
                field: "architecture", reason: "blocks do not match \(c.architecture.rawValue)")
        }
        self.config = config
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.typeEmbedding = typeEmbedding
        self.embeddingNorm = embeddingNorm
        self.blocks = blocks
        self.finalNorm = finalNorm
        self.outputHead = outputHead
    }

    /// The LM head matrix (llama): `outputHead`, or `tokenEmbedding` when tied.
    public var lmHead: QuantizedMatrix { outputHead ?? tokenEmbedding }
}
