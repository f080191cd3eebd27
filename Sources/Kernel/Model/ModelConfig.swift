/// Transformer architectures the kernel runs (specs/kernel.md §6).
public enum Architecture: String, Codable, Sendable, CaseIterable {
    /// Decoder-only, pre-norm RMSNorm, RoPE, grouped-query attention, SwiGLU FFN (SmolLM2, Llama).
    case llama
    /// Encoder-only, post-norm LayerNorm, learned positions, GELU FFN, mean pooling (MiniLM, BERT).
    case bert
}

/// Which pairs of head dimensions RoPE rotates (specs/kernel.md §5.6).
public enum RopeStyle: String, Codable, Sendable {
    /// Pairs (2i, 2i+1): llama.cpp / GGUF layout (GGUF permutes Q and K rows for this).
    case interleaved
    /// Pairs (i, i + headDim/2): Hugging Face `rotate_half` layout.
    case halfSplit
}

/// The shape and hyper-parameters of a model, as the importer states them (specs/kernel.md §6.1).
///
/// Every field is checked by `validate()`; a `QuantizedModel` never holds an invalid config.
/// Real-valued hyper-parameters (`ropeBase`, `normEpsilon`) are import-time inputs: the
/// kernel turns them into integers (`normEpsilonQ32`, RoPE tables built by the exact procedure
/// of §4) and never uses floating point in the forward pass.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var architecture: Architecture
    /// Vocabulary size (token ids are in `[0, vocabSize)`).
    public var vocabSize: Int
    /// Residual stream width (hidden size).
    public var width: Int
    /// Number of transformer blocks.
    public var layers: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads (divides `heads`; equal to `heads` for BERT).
    public var kvHeads: Int
    /// Per-head dimension; `heads * headDim` is the attention width (usually `width`).
    public var headDim: Int
    /// FFN inner width.
    public var ffnWidth: Int
    /// Maximum sequence length (positions `[0, maxPositions)`).
    public var maxPositions: Int
    /// RoPE base (llama only; ignored for BERT).
    public var ropeBase: Double
    /// RoPE pair layout (llama only).
    public var ropeStyle: RopeStyle
    /// Normalisation epsilon (RMSNorm or LayerNorm).
    public var normEpsilon: Double
    /// BERT token-type vocabulary size (0 for llama).
    public var typeVocabSize: Int
    /// Llama: the LM head reuses the token embedding matrix.
    public var tiedEmbeddings: Bool
    /// Bits of the per-token quantized GEMM inputs: 8 (int8, VNNI-native) or 16 (int16: the
    /// int16 path with 16-bit weights, two int8 passes with 8-bit ones). specs/kernel.md §3.
    public var activationBits: Int
    /// Bits of the per-row quantized weights: 8 (one int8 plane) or 16 (two int8 planes,
    /// `w = 256 * hi + lo`, combined into int16 at load for the int16 path). specs/kernel.md §3.2.
    public var weightBits: Int

    public init(
        architecture: Architecture, vocabSize: Int, width: Int, layers: Int, heads: Int,
        kvHeads: Int, headDim: Int, ffnWidth: Int, maxPositions: Int, ropeBase: Double = 10000,
        ropeStyle: RopeStyle = .interleaved, normEpsilon: Double, typeVocabSize: Int = 0,
        tiedEmbeddings: Bool = true, activationBits: Int = 8, weightBits: Int = 8
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.width = width
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.ffnWidth = ffnWidth
        self.maxPositions = maxPositions
        self.ropeBase = ropeBase
        self.ropeStyle = ropeStyle
        self.normEpsilon = normEpsilon
        self.typeVocabSize = typeVocabSize
        self.tiedEmbeddings = tiedEmbeddings
        self.activationBits = activationBits
        self.weightBits = weightBits
    }

    private enum CodingKeys: String, CodingKey {
        case architecture, vocabSize, width, layers, heads, kvHeads, headDim, ffnWidth, maxPositions
        case ropeBase, ropeStyle, normEpsilon, typeVocabSize, tiedEmbeddings, activationBits, weightBits
    }

    /// Decodes a config; `weightBits` defaults to 8 when absent (configs written before it existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(Architecture.self, forKey: .architecture)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        width = try c.decode(Int.self, forKey: .width)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        kvHeads = try c.decode(Int.self, forKey: .kvHeads)
        headDim = try c.decode(Int.self, forKey: .headDim)
        ffnWidth = try c.decode(Int.self, forKey: .ffnWidth)
        maxPositions = try c.decode(Int.self, forKey: .maxPositions)
        ropeBase = try c.decode(Double.self, forKey: .ropeBase)
        ropeStyle = try c.decode(RopeStyle.self, forKey: .ropeStyle)
        normEpsilon = try c.decode(Double.self, forKey: .normEpsilon)
        typeVocabSize = try c.decode(Int.self, forKey: .typeVocabSize)
        tiedEmbeddings = try c.decode(Bool.self, forKey: .tiedEmbeddings)
        activationBits = try c.decode(Int.self, forKey: .activationBits)
        weightBits = try c.decodeIfPresent(Int.self, forKey: .weightBits) ?? 8
    }

    /// `heads * headDim`.
    public var attentionWidth: Int { heads * headDim }
    /// `kvHeads * headDim`.
    public var kvWidth: Int { kvHeads * headDim }

    /// Largest allowed dimension (K of any GEMM, width, FFN width): 2^16 (§3.3 bounds).
    public static let maxDimension = 1 << 16
    /// Largest allowed `maxPositions`: 2^15 (softmax bound §5.5).
    public static let maxSequence = 1 << 15

    /// Checks every field against specs/kernel.md §6.1.
    ///
    /// - Throws: `KernelError.invalidConfig` naming the first bad field.
    public func validate() throws(KernelError) {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws(KernelError) {
            if !ok { throw .invalidConfig(field: field, reason: reason) }
        }
        let dim = Self.maxDimension
        try check(vocabSize >= 1 && vocabSize <= 1 << 24, "vocabSize", "must be in [1, 2^24]")
        try check(width >= 1 && width <= dim, "width", "must be in [1, 2^16]")
        try check(layers >= 1 && layers <= 1024, "layers", "must be in [1, 1024]")
        try check(heads >= 1 && heads <= 1024, "heads", "must be in [1, 1024]")
        try check(kvHeads >= 1 && heads % kvHeads == 0, "kvHeads", "must divide heads (\(heads))")
        try check(
            headDim >= 2 && headDim <= 256 && headDim % 2 == 0, "headDim",
            "must be even and in [2, 256]")
        try check(attentionWidth <= dim, "heads*headDim", "must be at most 2^16")
        try check(ffnWidth >= 1 && ffnWidth <= dim, "ffnWidth", "must be in [1, 2^16]")
        try check(
            maxPositions >= 1 && maxPositions <= Self.maxSequence, "maxPositions",
            "must be in [1, 2^15]")
        try check(
            normEpsilon.isFinite && normEpsilon >= 0 && normEpsilon < 1, "normEpsilon",
            "must be finite and in [0, 1)")
        try check(activationBits == 8 || activationBits == 16, "activationBits", "must be 8 or 16")
        try check(
            weightBits == 4 || weightBits == 8 || weightBits == 16, "weightBits",
            "must be 4 (block-quantized, §3.5), 8 or 16")
        switch architecture {
        case .llama:
            try check(
                ropeBase.isFinite && ropeBase > 1 && ropeBase < 1e12, "ropeBase",
                "must be finite and in (1, 1e12)")
            try check(typeVocabSize == 0, "typeVocabSize", "must be 0 for llama")
        case .bert:
            try check(kvHeads == heads, "kvHeads", "must equal heads for bert")
            try check(attentionWidth == width, "heads*headDim", "must equal width for bert")
            try check(
                typeVocabSize >= 1 && typeVocabSize <= 1024, "typeVocabSize",
                "must be in [1, 1024] for bert")
            try check(!tiedEmbeddings, "tiedEmbeddings", "must be false for bert (no LM head)")
        }
    }

    /// `round_half_even(normEpsilon * 2^32)`: epsilon in the units of a squared Q16 value
    /// (specs/kernel.md §5.2). Computed in Double (one exact scaling, one rounding).
    public var normEpsilonQ32: Int64 {
        Int64((normEpsilon * 4_294_967_296.0).rounded(.toNearestOrEven))
    }
}
