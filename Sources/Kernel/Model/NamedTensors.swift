/// Conversion between a `QuantizedModel` and its named canonical tensors (specs/kernel.md §6.4):
/// the form a model package stores. Names follow GGUF conventions:
///
/// - matrix `X`: `X.weight` int8 `[rows, cols]` (16-bit weights add `X.weight_lo`, the low
///   plane), and `X.scales` int32 `[rows, 4]` holding per
///   row (outputScale.multiplier, outputScale.shift, valueScale.multiplier, valueScale.shift);
/// - bias of `X`: `X.bias` int32 Q16 `[rows]`;
/// - norm `N`: `N.weight` int32 Q16 `[width]` (gamma), `N.bias` int32 Q16 `[width]` (beta).
extension QuantizedModel {
    /// Every tensor of the model, in canonical order (the order of §6.2 / §6.3).
    public func namedTensors() -> [(name: String, tensor: CanonicalTensor)] {
        var out: [(name: String, tensor: CanonicalTensor)] = []
        func matrix(_ name: String, _ m: QuantizedMatrix) {
            if let blocks = m.blocks {
                out.append((name + ".codes\(blocks.codeBits)", blocks.codesTensor))
                out.append((name + ".blocks", blocks.blockScalesTensor))
                out.append((name + ".scales", m.scalesTensor))
                return
            }
            out.append((name + ".weight", m.weightTensor))
            if let lo = m.lowWeightTensor { out.append((name + ".weight_lo", lo)) }
            out.append((name + ".scales", m.scalesTensor))
        }
        func linear(_ name: String, _ l: LinearWeights) {
            matrix(name, l.matrix)
            if let b = l.bias { out.append((name + ".bias", q16Tensor(b))) }
        }
        func norm(_ name: String, _ n: NormWeights?) {
            guard let n else { return }
            out.append((name + ".weight", q16Tensor(n.gamma)))
            if let b = n.beta { out.append((name + ".bias", q16Tensor(b))) }
        }
        matrix("token_embd", tokenEmbedding)
        if let p = positionEmbedding { matrix("position_embd", p) }
        if let t = typeEmbedding { matrix("token_types", t) }
        norm("token_embd_norm", embeddingNorm)
        switch blocks {
        case .llama(let bs):
            for (i, b) in bs.enumerated() {
                let p = "blk.\(i)."
                norm(p + "attn_norm", b.attentionNorm)
                linear(p + "attn_q", b.query)
                linear(p + "attn_k", b.key)
                linear(p + "attn_v", b.value)
                linear(p + "attn_output", b.attentionOutput)
                norm(p + "ffn_norm", b.ffnNorm)
                linear(p + "ffn_gate", b.gate)
                linear(p + "ffn_up", b.up)
                linear(p + "ffn_down", b.down)
            }
        case .bert(let bs):
            for (i, b) in bs.enumerated() {
                let p = "blk.\(i)."
                linear(p + "attn_q", b.query)
                linear(p + "attn_k", b.key)
                linear(p + "attn_v", b.value)
                linear(p + "attn_output", b.attentionOutput)
                norm(p + "attn_output_norm", b.attentionOutputNorm)
                linear(p + "ffn_up", b.ffnUp)
                linear(p + "ffn_down", b.ffnDown)
                norm(p + "layer_output_norm", b.outputNorm)
            }
        }
        norm("output_norm", finalNorm)
        if let h = outputHead { matrix("output", h) }
        return out
    }

    /// Rebuilds a model from named canonical tensors (the inverse of `namedTensors()`).
    ///
    /// - Throws: `KernelError.missingTensor` / `.unexpectedTensor` / `.wrongShape` /
    ///   `.malformedTensor` naming the tensor at fault.
    public init(config: ModelConfig, tensors: [String: CanonicalTensor]) throws(KernelError) {
        try config.validate()
        var used = Set<String>()
        func take(_ name: String) throws(KernelError) -> CanonicalTensor {
            guard let t = tensors[name] else { throw .missingTensor(name) }
            used.insert(name)
            return t
        }
        func matrix(_ name: String) throws(KernelError) -> QuantizedMatrix {
            if config.weightBits == 4,
                let bits = [4, 8].first(where: { tensors[name + ".codes\($0)"] != nil })
            {
                return try QuantizedMatrix(
                    blockCodes: try take(name + ".codes\(bits)"), codeBits: bits,
                    blockScales: try take(name + ".blocks"), scalesTensor: try take(name + ".scales"),
                    name: name)
            }
            let m = try QuantizedMatrix(
                weightTensor: try take(name + ".weight"),
                lowWeightTensor: config.weightBits != 8 ? try take(name + ".weight_lo") : nil,
                scalesTensor: try take(name + ".scales"), name: name)
            return m
        }
        func q16(_ name: String, _ count: Int) throws(KernelError) -> [Int32] {
            let t = try take(name)
            guard t.shape == [count] else {
                throw .wrongShape(what: name, got: t.shape, want: [count])
            }
            guard t.fractionBits == FixedPoint.fractionBits else {
                throw .malformedTensor("\(name): fractionBits \(t.fractionBits), want 16")
            }
            return try t.int32Values()
        }
        func linear(_ name: String, _ bias: Bool) throws(KernelError) -> LinearWeights {
            let m = try matrix(name)
            return try LinearWeights(matrix: m, bias: bias ? try q16(name + ".bias", m.rows) : nil)
        }
        func norm(_ name: String, _ beta: Bool) throws(KernelError) -> NormWeights {
            try NormWeights(
                gamma: try q16(name + ".weight", config.width),
                beta: beta ? try q16(name + ".bias", config.width) : nil)
        }
        let c = config
        let embedding = try matrix("token_embd")
        switch c.architecture {
        case .llama:
            var bs: [LlamaBlock] = []
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                bs.append(
                    LlamaBlock(
                        attentionNorm: try norm(p + "attn_norm", false),
                        query: try linear(p + "attn_q", false), key: try linear(p + "attn_k", false),
                        value: try linear(p + "attn_v", false),
                        attentionOutput: try linear(p + "attn_output", false),
                        ffnNorm: try norm(p + "ffn_norm", false),
                        gate: try linear(p + "ffn_gate", false), up: try linear(p + "ffn_up", false),
                        down: try linear(p + "ffn_down", false)))
            }
            let finalNorm = try norm("output_norm", false)
            let head = c.tiedEmbeddings ? nil : try matrix("output")
            try Self.checkAllUsed(tensors, used)
            try self.init(
                config: c, tokenEmbedding: embedding, blocks: .llama(bs), finalNorm: finalNorm,
                outputHead: head)
        case .bert:
            let pos = try matrix("position_embd")
            let types = try matrix("token_types")
            let embNorm = try norm("token_embd_norm", true)
            var bs: [BertBlock] = []
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                bs.append(
                    BertBlock(
                        query: try linear(p + "attn_q", true), key: try linear(p + "attn_k", true),
                        value: try linear(p + "attn_v", true),
                        attentionOutput: try linear(p + "attn_output", true),
                        attentionOutputNorm: try norm(p + "attn_output_norm", true),
                        ffnUp: try linear(p + "ffn_up", true), ffnDown: try linear(p + "ffn_down", true),
                        outputNorm: try norm(p + "layer_output_norm", true)))
            }
            try Self.checkAllUsed(tensors, used)
            try self.init(
                config: c, tokenEmbedding: embedding, positionEmbedding: pos, typeEmbedding: types,
                embeddingNorm: embNorm, blocks: .bert(bs))
        }
    }

    private static func checkAllUsed(
        _ tensors: [String: CanonicalTensor], _ used: Set<String>
    ) throws(KernelError) {
        if let extra = tensors.keys.sorted().first(where: { !used.contains($0) }) {
            throw .unexpectedTensor(extra)
        }
    }
}

private func q16Tensor(_ v: [Int32]) -> CanonicalTensor {
    // Shapes here come from validated models: the initializer cannot fail.
    (try? CanonicalTensor(fractionBits: 16, shape: [v.count], values: .int32(v)))!
}

extension QuantizedMatrix {
    /// `X.weight`: int8 `[rows, cols]`.
    public var weightTensor: CanonicalTensor {
        (try? CanonicalTensor(shape: [rows, cols], values: .int8(weights)))!
    }

    /// `X.weight_lo`: int8 `[rows, cols]` low plane of 16-bit weights, or `nil`.
    public var lowWeightTensor: CanonicalTensor? {
        lowWeights.map { (try? CanonicalTensor(shape: [rows, cols], values: .int8($0)))! }
    }

    /// `X.scales`: int32 `[rows, 4]` = (output multiplier, output shift, value multiplier,
    /// value shift) per row.
    public var scalesTensor: CanonicalTensor {
        var v = [Int32]()
        v.reserveCapacity(rows * 4)
        for r in 0..<rows {
            v.append(outputScales[r].multiplier)
            v.append(outputScales[r].shift)
            v.append(valueScales[r].multiplier)
            v.append(valueScales[r].shift)
        }
        return (try? CanonicalTensor(shape: [rows, 4], values: .int32(v)))!
    }

    /// Rebuilds a block matrix (§3.5) from `X.codes4` (int8 `[rows, cols / 2]`, two codes per
    /// byte) or `X.codes8` (int8 `[rows, cols]`), `X.blocks` (int16 `[rows, cols / 32, 2]`) and
    /// `X.scales`.
    public init(
        blockCodes: CanonicalTensor, codeBits: Int, blockScales: CanonicalTensor,
        scalesTensor: CanonicalTensor, name: String = "matrix"
    ) throws(KernelError) {
        let suffix = ".codes\(codeBits)"
        guard blockCodes.shape.count == 2, blockCodes.fractionBits == 0, blockScales.fractionBits == 0 else {
            throw .wrongShape(what: name + suffix, got: blockCodes.shape, want: [0, 0])
        }
        let rows = blockCodes.shape[0]
        let cols = codeBits == 4 ? blockCodes.shape[1] * 2 : blockCodes.shape[1]
        guard cols % BlockWeights.blockSize == 0, blockScales.shape == [rows, cols / 32, 2] else {
            throw .wrongShape(what: name + ".blocks", got: blockScales.shape, want: [rows, cols / 32, 2])
        }
        let codes = try blockCodes.int8Values().map { UInt8(bitPattern: $0) }
        let blocks = try BlockWeights(
            rows: rows, cols: cols, codeBits: codeBits, codes: codes,
            blockScales: try blockScales.int16Values())
        let (out, val) = try Self.parseScales(scalesTensor, rows: rows, name: name)
        try self.init(blocks: blocks, outputScales: out, valueScales: val)
    }

    static func parseScales(_ scalesTensor: CanonicalTensor, rows: Int, name: String) throws(KernelError)
        -> ([DyadicMultiplier], [DyadicMultiplier])
    {
        guard scalesTensor.shape == [rows, 4] else {
            throw .wrongShape(what: name + ".scales", got: scalesTensor.shape, want: [rows, 4])
        }
        let s = try scalesTensor.int32Values()
        var out: [DyadicMultiplier] = []
        var val: [DyadicMultiplier] = []
        out.reserveCapacity(rows)
        val.reserveCapacity(rows)
        for r in 0..<rows {
            out.append(try DyadicMultiplier(multiplier: s[4 * r], shift: s[4 * r + 1]))
            val.append(try DyadicMultiplier(multiplier: s[4 * r + 2], shift: s[4 * r + 3]))
        }
        return (out, val)
    }

    /// Rebuilds a matrix from its `X.weight`, optional `X.weight_lo` and `X.scales` tensors.
    public init(
        weightTensor: CanonicalTensor, lowWeightTensor: CanonicalTensor? = nil,
        scalesTensor: CanonicalTensor, name: String = "matrix"
    ) throws(KernelError) {
        guard weightTensor.shape.count == 2 else {
            throw .wrongShape(what: name + ".weight", got: weightTensor.shape, want: [0, 0])
        }
        let rows = weightTensor.shape[0]
        let cols = weightTensor.shape[1]
        guard scalesTensor.shape == [rows, 4] else {
            throw .wrongShape(what: name + ".scales", got: scalesTensor.shape, want: [rows, 4])
        }
        let (out, val) = try Self.parseScales(scalesTensor, rows: rows, name: name)
        if let lowWeightTensor, lowWeightTensor.shape != [rows, cols] {
            throw .wrongShape(what: name + ".weight_lo", got: lowWeightTensor.shape, want: [rows, cols])
        }
        try self.init(
            rows: rows, cols: cols, weights: try weightTensor.int8Values(),
            lowWeights: try lowWeightTensor?.int8Values(), outputScales: out, valueScales: val)
    }
}

extension BlockWeights {
    /// `X.codes4` (int8 `[rows, cols / 2]`) or `X.codes8` (int8 `[rows, cols]`): the canonical
    /// codes as two's complement bytes.
    public var codesTensor: CanonicalTensor {
        let shape = [rows, codeBits == 4 ? cols / 2 : cols]
        // `BlockWeights` holds exactly `rows × cols` codes (two per byte at 4 bits) within the
        // kernel's shape limits (its initializer checks): the initializer cannot fail.
        return (try? CanonicalTensor(shape: shape, values: .int8(codes.map { Int8(bitPattern: $0) })))!
    }

    /// `X.blocks`: int16 `[rows, cols / 32, 2]`, `(S_b, Z_b)` per block.
    public var blockScalesTensor: CanonicalTensor {
        // Exactly two scales per block of every row (checked by `BlockWeights`): cannot fail.
        (try? CanonicalTensor(shape: [rows, blocks, 2], values: .int16(blockScales)))!
    }
}
