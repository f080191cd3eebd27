/// SplitMix64: a tiny, fully specified PRNG for seeded test models and vectors.
///
/// `next()`: `state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
/// z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)` (all wrapping, UInt64).
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform on `[-scale, scale)` with 24-bit resolution: `(Float(next() >> 40) - 2^23) / 2^23 * scale`.
    public mutating func nextFloat(scale: Float) -> Float {
        (Float(Int64(next() >> 40) - (1 << 23)) / 8_388_608) * scale
    }

    /// An integer uniform on `[lo, hi]` (modulo reduction; fine for tests).
    public mutating func nextInt(_ lo: Int, _ hi: Int) -> Int {
        lo + Int(next() % UInt64(hi - lo + 1))
    }
}

/// Seeded tiny models of both architectures for tests and conformance vectors
/// (specs/kernel.md §6; `Fixtures/kernel/README.md`). Same seed, same model, on every machine.
public enum TinyModel {
    /// The tiny llama shape: vocab 64, width 32, 3 layers, 4 q / 2 kv heads of dim 8, FFN 48.
    public static func llamaConfig(activationBits: Int = 8, weightBits: Int = 8) -> ModelConfig {
        ModelConfig(
            architecture: .llama, vocabSize: 64, width: 32, layers: 3, heads: 4, kvHeads: 2, headDim: 8,
            ffnWidth: 48, maxPositions: 64, ropeBase: 10000, ropeStyle: .interleaved, normEpsilon: 1e-5,
            typeVocabSize: 0, tiedEmbeddings: true, activationBits: activationBits, weightBits: weightBits)
    }

    /// The tiny bert shape: vocab 64, width 32, 2 layers, 4 heads of dim 8, FFN 64, 2 token types.
    public static func bertConfig(activationBits: Int = 16, weightBits: Int = 8) -> ModelConfig {
        ModelConfig(
            architecture: .bert, vocabSize: 64, width: 32, layers: 2, heads: 4, kvHeads: 4, headDim: 8,
            ffnWidth: 64, maxPositions: 64, ropeBase: 10000, ropeStyle: .interleaved, normEpsilon: 1e-12,
            typeVocabSize: 2, tiedEmbeddings: false, activationBits: activationBits, weightBits: weightBits)
    }

    /// Float weights for `config`, drawn from `SplitMix64(seed)` in the canonical tensor order of
    /// §6.4: matrices uniform on ±(1/sqrt-ish) scales, norm gammas `1 + U(±0.25)`, biases and
    /// betas `U(±0.1)`, embeddings `U(±1)`.
    public static func floatWeights(config c: ModelConfig, seed: UInt64) -> FloatModelWeights {
        var rng = SplitMix64(seed: seed)
        var t: [String: FloatTensor] = [:]
        func matrix(_ name: String, _ rows: Int, _ cols: Int, scale: Float) {
            t[name + ".weight"] = FloatTensor(
                shape: [rows, cols], values: (0..<(rows * cols)).map { _ in rng.nextFloat(scale: scale) })
        }
        func vector(_ name: String, _ n: Int, center: Float, scale: Float) {
            t[name] = FloatTensor(
                shape: [n], values: (0..<n).map { _ in center + rng.nextFloat(scale: scale) })
        }
        func linear(_ name: String, _ rows: Int, _ cols: Int, bias: Bool) {
            matrix(name, rows, cols, scale: 2 / Float(cols).squareRoot())
            if bias { vector(name + ".bias", rows, center: 0, scale: 0.1) }
        }
        func norm(_ name: String, beta: Bool) {
            vector(name + ".weight", c.width, center: 1, scale: 0.25)
            if beta { vector(name + ".bias", c.width, center: 0, scale: 0.1) }
        }
        matrix("token_embd", c.vocabSize, c.width, scale: 1)
        switch c.architecture {
        case .llama:
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                norm(p + "attn_norm", beta: false)
                linear(p + "attn_q", c.attentionWidth, c.width, bias: false)
                linear(p + "attn_k", c.kvWidth, c.width, bias: false)
                linear(p + "attn_v", c.kvWidth, c.width, bias: false)
                linear(p + "attn_output", c.width, c.attentionWidth, bias: false)
                norm(p + "ffn_norm", beta: false)
                linear(p + "ffn_gate", c.ffnWidth, c.width, bias: false)
                linear(p + "ffn_up", c.ffnWidth, c.width, bias: false)
                linear(p + "ffn_down", c.width, c.ffnWidth, bias: false)
            }
            norm("output_norm", beta: false)
            if !c.tiedEmbeddings { matrix("output", c.vocabSize, c.width, scale: 1) }
        case .bert:
            matrix("position_embd", c.maxPositions, c.width, scale: 0.5)
            matrix("token_types", c.typeVocabSize, c.width, scale: 0.2)
            norm("token_embd_norm", beta: true)
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                linear(p + "attn_q", c.width, c.width, bias: true)
                linear(p + "attn_k", c.width, c.width, bias: true)
                linear(p + "attn_v", c.width, c.width, bias: true)
                linear(p + "attn_output", c.width, c.width, bias: true)
                norm(p + "attn_output_norm", beta: true)
                linear(p + "ffn_up", c.ffnWidth, c.width, bias: true)
                linear(p + "ffn_down", c.width, c.ffnWidth, bias: true)
                norm(p + "layer_output_norm", beta: true)
            }
        }
        return FloatModelWeights(config: c, tensors: t)
    }

    /// The quantized tiny model for `config` and `seed`.
    public static func make(config: ModelConfig, seed: UInt64) throws(KernelError) -> QuantizedModel {
        try Quantizer.quantize(floatWeights(config: config, seed: seed))
    }

    /// The tiny llama model (seed 1 unless given).
    public static func llama(seed: UInt64 = 1, activationBits: Int = 8, weightBits: Int = 8)
        throws(KernelError)
        -> QuantizedModel
    {
        try make(config: llamaConfig(activationBits: activationBits, weightBits: weightBits), seed: seed)
    }

    /// The tiny bert model (seed 2 unless given).
    public static func bert(seed: UInt64 = 2, activationBits: Int = 16, weightBits: Int = 8)
        throws(KernelError)
        -> QuantizedModel
    {
        try make(config: bertConfig(activationBits: activationBits, weightBits: weightBits), seed: seed)
    }

    /// The tiny block-quantized llama shape (§3.5 needs widths that are multiples of 32): vocab
    /// 64, width 32, 3 layers, 4 q / 2 kv heads of dim 8, FFN 64, `weightBits` 4.
    public static func blockLlamaConfig(activationBits: Int = 16) -> ModelConfig {
        ModelConfig(
            architecture: .llama, vocabSize: 64, width: 32, layers: 3, heads: 4, kvHeads: 2, headDim: 8,
            ffnWidth: 64, maxPositions: 64, ropeBase: 10000, ropeStyle: .interleaved, normEpsilon: 1e-5,
            typeVocabSize: 0, tiedEmbeddings: true, activationBits: activationBits, weightBits: 4)
    }

    /// Seeded block sources for `blockLlamaConfig` (SmolLM2's mix): `token_embd` as Q8_0-like
    /// blocks (8-bit codes `U[-127, 127]`, `d = U(±1) / 128`, `m = 0`), every other matrix as
    /// Q4_1-like blocks (codes `U[0, 15]`, `d = |U(±s)| / 8`, `m = -8 d + U(±d)`,
    /// `s = 2 / sqrt(cols)`), norms as in `floatWeights`; drawn in canonical order.
    public static func blockWeights(config c: ModelConfig, seed: UInt64) -> FloatModelWeights {
        var rng = SplitMix64(seed: seed)
        var t: [String: FloatTensor] = [:]
        func blocks(_ name: String, _ rows: Int, _ cols: Int, eight: Bool) {
            let nb = rows * cols / 32
            var d = [Float](repeating: 0, count: nb)
            var m = [Float](repeating: 0, count: nb)
            var codes = [UInt8](repeating: 0, count: rows * cols)
            let s = 2 / Float(cols).squareRoot()
            for b in 0..<nb {
                if eight {
                    d[b] = rng.nextFloat(scale: 1) / 128
                    for j in 0..<32 { codes[32 * b + j] = UInt8(bitPattern: Int8(rng.nextInt(-127, 127))) }
                } else {
                    d[b] = abs(rng.nextFloat(scale: s)) / 8
                    m[b] = -8 * d[b] + rng.nextFloat(scale: d[b])
                    for j in 0..<32 { codes[32 * b + j] = UInt8(rng.nextInt(0, 15)) }
                }
            }
            t[name + ".weight"] = FloatTensor(
                shape: [rows, cols], values: [],
                blocks: SourceBlocks(codeBits: eight ? 8 : 4, scales: d, offsets: m, codes: codes))
        }
        func norm(_ name: String) {
            t[name + ".weight"] = FloatTensor(
                shape: [c.width], values: (0..<c.width).map { _ in 1 + rng.nextFloat(scale: 0.25) })
        }
        blocks("token_embd", c.vocabSize, c.width, eight: true)
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            norm(p + "attn_norm")
            blocks(p + "attn_q", c.attentionWidth, c.width, eight: false)
            blocks(p + "attn_k", c.kvWidth, c.width, eight: false)
            blocks(p + "attn_v", c.kvWidth, c.width, eight: false)
            blocks(p + "attn_output", c.width, c.attentionWidth, eight: false)
            norm(p + "ffn_norm")
            blocks(p + "ffn_gate", c.ffnWidth, c.width, eight: false)
            blocks(p + "ffn_up", c.ffnWidth, c.width, eight: false)
            blocks(p + "ffn_down", c.width, c.ffnWidth, eight: false)
        }
        norm("output_norm")
        return FloatModelWeights(config: c, tensors: t)
    }

    /// The tiny block-quantized llama model (seed 3 unless given).
    public static func blockLlama(seed: UInt64 = 3, activationBits: Int = 16) throws(KernelError)
        -> QuantizedModel
    {
        try Quantizer.quantize(
            blockWeights(config: blockLlamaConfig(activationBits: activationBits), seed: seed))
    }
}
