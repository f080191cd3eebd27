/// Which logits the last llama shard returns (specs/kernel.md §6.6).
public enum LogitsSelection: String, Sendable, Codable {
    /// `[1, vocab]`: the last position only (next-token prediction; the default).
    case last
    /// `[T, vocab]`: every position of this step.
    case all
}

/// The mutable state of one shard across steps: the K/V caches of its layers and the number
/// of positions processed so far.
public struct ShardState: Sendable {
    /// One cache per layer of the shard, in layer order.
    public internal(set) var caches: [LayerKVCache]
    /// Positions processed so far (the next token's absolute position).
    public internal(set) var positions: Int = 0
    var rope: RopeTable?

    init(config: ModelConfig, layerCount: Int) {
        caches = (0..<layerCount).map { _ in
            LayerKVCache(kvHeads: config.kvHeads, headDim: config.headDim)
        }
    }
}

/// Runs blocks `[start, end)` of a model (specs/kernel.md §6.6).
///
/// A fresh job is `run(_:)`; incremental decoding calls `step(_:state:)` repeatedly with one
/// `ShardState` per shard. The output bits depend only on the model, the layer range and the
/// input tensors — never on `ExecutionOptions`.
public struct Shard: Sendable {
    public let model: QuantizedModel
    public let layers: Range<Int>
    public let options: ExecutionOptions

    /// - Throws: `.layerRangeOutOfBounds` unless `0 <= start < end <= layers`;
    ///   `.pathUnavailable` if `options.path` cannot run here.
    public init(model: QuantizedModel, layers: Range<Int>, options: ExecutionOptions = .init())
        throws(KernelError)
    {
        guard layers.lowerBound >= 0, layers.upperBound <= model.config.layers, !layers.isEmpty else {
            throw .layerRangeOutOfBounds(
                start: layers.lowerBound, end: layers.upperBound, layers: model.config.layers)
        }
        _ = try options.path.resolved()
        self.model = model
        self.layers = layers
        self.options = options
    }

    /// Whether this shard starts at layer 0 (takes token ids).
    public var isFirst: Bool { layers.lowerBound == 0 }
    /// Whether this shard ends the model (final norm + LM head, or pooling).
    public var isLast: Bool { layers.upperBound == model.config.layers }

    /// A fresh state (empty caches, position 0).
    public func makeState() -> ShardState {
        ShardState(config: model.config, layerCount: layers.count)
    }

    /// Runs a fresh job: `step` on a new state.
    public func run(_ input: CanonicalTensor, logits: LogitsSelection = .last) throws(KernelError)
        -> CanonicalTensor
    {
        var state = makeState()
        return try step(input, state: &state, logits: logits)
    }

    /// Processes the next tokens of a sequence.
    ///
    /// - Parameters:
    ///   - input: `token-ids` int32 `[T]` for the first shard, else `hidden` int32 Q16
    ///     `[T, width]`.
    ///   - state: this shard's caches; positions `state.positions ..< state.positions + T`.
    /// - Returns: `hidden` `[T, width]`, llama `logits`, or bert `embedding` `[width]`.
    /// - Throws: `.wrongTensorKind`, `.wrongShape`, `.tokenOutOfRange`, `.sequenceTooLong`.
    public func step(
        _ input: CanonicalTensor, state: inout ShardState, logits: LogitsSelection = .last
    ) throws(KernelError) -> CanonicalTensor {
        let c = model.config
        let tokens: Int
        var x: [Int32]
        if isFirst {
            guard input.kind == .tokenIDs else {
                throw .wrongTensorKind(got: input.kind.description, want: TensorKind.tokenIDs.description)
            }
            guard input.shape.count == 1, input.fractionBits == 0 else {
                throw .wrongShape(what: "token ids", got: input.shape, want: [input.shape.first ?? 1])
            }
            let ids = try input.int32Values()
            tokens = ids.count
            try checkLength(state.positions + tokens)
            x = try embed(ids, startPosition: state.positions)
        } else {
            guard input.kind == .hidden else {
                throw .wrongTensorKind(got: input.kind.description, want: TensorKind.hidden.description)
            }
            guard input.shape.count == 2, input.shape[1] == c.width, input.fractionBits == 16 else {
                throw .wrongShape(
                    what: "hidden state (Q16)", got: input.shape, want: [input.shape.first ?? 1, c.width])
            }
            tokens = input.shape[0]
            try checkLength(state.positions + tokens)
            x = try input.int32Values()
        }
        if c.architecture == .bert && state.positions != 0 {
            throw .unsupported("incremental steps for bert (run the whole sequence at once)")
        }
        let start = state.positions
        if c.architecture == .llama {
            if (state.rope?.positions ?? 0) < start + tokens {
                let want = min(
                    c.maxPositions, max(64, 1 << (Int.bitWidth - (start + tokens - 1).leadingZeroBitCount)))
                state.rope = RopeTable(headDim: c.headDim, base: c.ropeBase, positions: want)
            }
        }
        for (i, l) in layers.enumerated() {
            switch model.blocks {
            case .llama(let bs):
                guard let rope = state.rope else { throw .unsupported("rope table missing") }
                x = try llamaBlock(
                    bs[l], x, tokens: tokens, start: start, cache: &state.caches[i], rope: rope)
            case .bert(let bs):
                x = try bertBlock(bs[l], x, tokens: tokens, cache: &state.caches[i])
            }
        }
        state.positions += tokens
        if !isLast {
            return try CanonicalTensor(
                kind: .hidden, fractionBits: 16, shape: [tokens, c.width], values: .int32(x))
        }
        switch c.architecture {
        case .llama:
            let rows = logits == .last ? Array(x[((tokens - 1) * c.width)...]) : x
            let n = logits == .last ? 1 : tokens
            guard let finalNorm = model.finalNorm else { throw .missingTensor("output_norm") }
            let z = try Norms.rmsNorm(
                rows, width: c.width, gamma: finalNorm.gamma, epsilonQ32: c.normEpsilonQ32,
                threads: options.threads)
            let a = try QuantizedActivations.quantize(z, tokens: n, width: c.width, bits: c.activationBits)
            let out = try Dense.apply(a, try LinearWeights(matrix: model.lmHead), options: options)
            return try CanonicalTensor(
                kind: .logits, fractionBits: 16, shape: [n, c.vocabSize], values: .int32(out))
        case .bert:
            let pooled = try Norms.meanPoolL2(x, tokens: tokens, width: c.width)
            return try CanonicalTensor(
                kind: .embedding, fractionBits: 16, shape: [c.width], values: .int32(pooled))
        }
    }

    func checkLength(_ positions: Int) throws(KernelError) {
        guard positions <= model.config.maxPositions else {
            throw .sequenceTooLong(positions: positions, maxPositions: model.config.maxPositions)
        }
    }

    /// Embedding lookup (§5.8; bert adds positions and token type 0, then LayerNorm, §6.3).
    func embed(_ ids: [Int32], startPosition: Int) throws(KernelError) -> [Int32] {
        let c = model.config
        let w = c.width
        var x = [Int32](repeating: 0, count: ids.count * w)
        for (t, id) in ids.enumerated() {
            guard id >= 0, Int(id) < c.vocabSize else {
                throw .tokenOutOfRange(token: Int64(id), vocab: c.vocabSize)
            }
            Self.lookup(model.tokenEmbedding, row: Int(id), into: &x, at: t * w)
            if c.architecture == .bert, let pos = model.positionEmbedding, let types = model.typeEmbedding {
                var p = [Int32](repeating: 0, count: w)
                Self.lookup(pos, row: startPosition + t, into: &p, at: 0)
                var ty = [Int32](repeating: 0, count: w)
                Self.lookup(types, row: 0, into: &ty, at: 0)
                for i in 0..<w {
                    let s = FixedPoint.saturate32(Int64(x[t * w + i]) + Int64(p[i]))
                    x[t * w + i] = FixedPoint.saturate32(Int64(s) + Int64(ty[i]))
                }
            }
        }
        if c.architecture == .bert, let norm = model.embeddingNorm {
            x = try Norms.apply(x, width: w, weights: norm, epsilonQ32: c.normEpsilonQ32)
        }
        return x
    }

    /// `x_c = sat32(roundShift(q[r][c] * M_r, sh_r))` (§5.8).
    static func lookup(_ m: QuantizedMatrix, row: Int, into out: inout [Int32], at offset: Int) {
        let s = m.valueScales[row]
        for c in 0..<m.cols {
            let q = m.weight(row, c)
            out[offset + c] = FixedPoint.saturate32(
                FixedPoint.roundShift(q * Int64(s.multiplier), Int(s.shift)))
        }
    }

    func quantize(_ z: [Int32], tokens: Int, width: Int) throws(KernelError) -> QuantizedActivations {
        try QuantizedActivations.quantize(
            z, tokens: tokens, width: width, bits: model.config.activationBits, threads: options.threads)
    }

    /// One pre-norm llama block (§6.2).
    func llamaBlock(
        _ b: LlamaBlock, _ x: [Int32], tokens: Int, start: Int, cache: inout LayerKVCache, rope: RopeTable
    ) throws(KernelError) -> [Int32] {
        let c = model.config
        let eps = c.normEpsilonQ32
        let z = try Norms.rmsNorm(
            x, width: c.width, gamma: b.attentionNorm.gamma, epsilonQ32: eps, threads: options.threads)
        let a = try quantize(z, tokens: tokens, width: c.width)
        var q = try Dense.apply(a, b.query, options: options)
        var k = try Dense.apply(a, b.key, options: options)
        let v = try Dense.apply(a, b.value, options: options)
        try Rope.apply(
            &q, tokens: tokens, heads: c.heads, startPosition: start, table: rope, style: c.ropeStyle)
        try Rope.apply(
            &k, tokens: tokens, heads: c.kvHeads, startPosition: start, table: rope, style: c.ropeStyle)
        try cache.append(keys: k, values: v, tokens: tokens)
        let ctx = try Attention.attend(
            queries: q, tokens: tokens, startPosition: start, cache: cache, heads: c.heads, causal: true,
            threads: options.threads)
        let x1 = try Dense.apply(
            try quantize(ctx, tokens: tokens, width: c.attentionWidth), b.attentionOutput, residual: x,
            options: options)
        let z2 = try Norms.rmsNorm(
            x1, width: c.width, gamma: b.ffnNorm.gamma, epsilonQ32: eps, threads: options.threads)
        let a2 = try quantize(z2, tokens: tokens, width: c.width)
        let g = try Dense.apply(a2, b.gate, lut: .silu, options: options)
        let u = try Dense.apply(a2, b.up, options: options)
        var h = [Int32](repeating: 0, count: g.count)
        for i in 0..<g.count {
            h[i] = FixedPoint.saturate32(FixedPoint.roundShift(Int64(g[i]) * Int64(u[i]), 16))
        }
        return try Dense.apply(
            try quantize(h, tokens: tokens, width: c.ffnWidth), b.down, residual: x1, options: options)
    }

    /// One post-norm bert block (§6.3).
    func bertBlock(
        _ b: BertBlock, _ x: [Int32], tokens: Int, cache: inout LayerKVCache
    ) throws(KernelError) -> [Int32] {
        let c = model.config
        let eps = c.normEpsilonQ32
        let a = try quantize(x, tokens: tokens, width: c.width)
        let q = try Dense.apply(a, b.query, options: options)
        let k = try Dense.apply(a, b.key, options: options)
        let v = try Dense.apply(a, b.value, options: options)
        try cache.append(keys: k, values: v, tokens: tokens)
        let ctx = try Attention.attend(
            queries: q, tokens: tokens, startPosition: 0, cache: cache, heads: c.heads, causal: false,
            threads: options.threads)
        let r1 = try Dense.apply(
            try quantize(ctx, tokens: tokens, width: c.width), b.attentionOutput, residual: x,
            options: options)
        let x1 = try Norms.apply(r1, width: c.width, weights: b.attentionOutputNorm, epsilonQ32: eps)
        let u = try Dense.apply(
            try quantize(x1, tokens: tokens, width: c.width), b.ffnUp, lut: .gelu, options: options)
        let r2 = try Dense.apply(
            try quantize(u, tokens: tokens, width: c.ffnWidth), b.ffnDown, residual: x1, options: options)
        return try Norms.apply(r2, width: c.width, weights: b.outputNorm, epsilonQ32: eps)
    }
}
