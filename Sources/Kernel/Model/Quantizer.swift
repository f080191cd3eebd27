/// A float tensor handed over by an importer (specs/kernel.md §6.5): row-major `values`,
/// `shape` `[rows, cols]` for matrices and `[n]` for vectors.
public struct FloatTensor: Sendable {
    public let shape: [Int]
    public let values: [Float]
    /// The source's blocks when it was block-quantized (GGUF Q4_0, Q4_1, Q8_0): kept as blocks
    /// with `weightBits` 4 (§3.5); `values` may then be empty.
    public let blocks: SourceBlocks?

    public init(shape: [Int], values: [Float], blocks: SourceBlocks? = nil) {
        self.shape = shape
        self.values = values
        self.blocks = blocks
    }
}

/// A block-quantized source matrix (specs/kernel.md §3.5): per block of 32 columns a real
/// scale `d` and offset `m`, per weight an integer code `c`; the real weight is `d * c + m`.
/// GGUF Q4_1 is `(d, m, c in [0, 15])`, Q4_0 `(d, -8 d, c in [0, 15])`, Q8_0
/// `(d, 0, c in [-128, 127])`.
public struct SourceBlocks: Sendable {
    /// 4 (unsigned codes) or 8 (signed codes).
    public let codeBits: Int
    /// `d` per block, row-major (`cols / 32` per row).
    public let scales: [Float]
    /// `m` per block.
    public let offsets: [Float]
    /// One code per weight, row-major: `[0, 15]`, or the two's complement byte of `[-128, 127]`.
    public let codes: [UInt8]

    public init(codeBits: Int, scales: [Float], offsets: [Float], codes: [UInt8]) {
        self.codeBits = codeBits
        self.scales = scales
        self.offsets = offsets
        self.codes = codes
    }
}

/// Everything an importer hands the kernel: the config and float tensors named as in
/// specs/kernel.md §6.4 (`token_embd.weight`, `blk.0.attn_q.weight`, `blk.0.attn_q.bias`, ...).
public struct FloatModelWeights: Sendable {
    public let config: ModelConfig
    public let tensors: [String: FloatTensor]

    public init(config: ModelConfig, tensors: [String: FloatTensor]) {
        self.config = config
        self.tensors = tensors
    }
}

/// Turns float weights into integers, deterministically (specs/kernel.md §3.2): the same
/// floats give the same bytes on every IEEE-754 machine. Only correctly rounded Double
/// operations (`*`, `/`, `rounded(.toNearestOrEven)`, exact conversions) are used.
public enum Quantizer {
    /// `Wmax` of §3.2: 127 for 8-bit weights, 32512 (`127 * 256`) for 16-bit weights.
    public static func weightMax(bits: Int) -> Int { bits == 16 ? 32512 : 127 }

    /// Quantizes one matrix with one symmetric scale per row (§3.2).
    ///
    /// For row `r` with `a = max_c |W[r][c]|` (as Double; exact): if `a == 0` every weight is
    /// 0 and both factors are 0. Otherwise
    /// `q = round_half_even((Double(w) * Wmax) / a)` (two correctly rounded operations, result
    /// in `[-Wmax, Wmax]`), `outputScale = DyadicMultiplier(factor: a / (Wmax * Amax))`,
    /// `valueScale = DyadicMultiplier(factor: (a * 65536) / Wmax)` where
    /// `Amax = 2^(activationBits - 1) - 1`. 16-bit weights are stored as planes
    /// `hi = (q + 128) >> 8` and `lo = q - 256 * hi` (both in `[-128, 127]`).
    ///
    /// - Throws: `.wrongShape` if `values.count != rows * cols`; `.nonFiniteWeight` for NaN/∞.
    public static func quantizeMatrix(
        name: String, values: [Float], rows: Int, cols: Int, activationBits: Int, weightBits: Int = 8
    ) throws(KernelError) -> QuantizedMatrix {
        guard rows >= 1, cols >= 1, values.count == rows * cols else {
            throw .wrongShape(what: name, got: [values.count], want: [rows * cols])
        }
        guard activationBits == 8 || activationBits == 16 else {
            throw .invalidConfig(field: "activationBits", reason: "must be 8 or 16")
        }
        guard weightBits == 8 || weightBits == 16 else {
            throw .invalidConfig(field: "weightBits", reason: "must be 8 or 16")
        }
        let amax = Double((1 << (activationBits - 1)) - 1)
        let wmax = Double(weightMax(bits: weightBits))
        var q = [Int8](repeating: 0, count: rows * cols)
        var low: [Int8]? = weightBits == 16 ? [Int8](repeating: 0, count: rows * cols) : nil
        var outScales: [DyadicMultiplier] = []
        var valScales: [DyadicMultiplier] = []
        outScales.reserveCapacity(rows)
        valScales.reserveCapacity(rows)
        for r in 0..<rows {
            var a = 0.0
            for c in 0..<cols {
                let w = Double(values[r * cols + c])
                guard w.isFinite else { throw .nonFiniteWeight(tensor: name, index: r * cols + c) }
                a = max(a, abs(w))
            }
            if a == 0 {
                outScales.append(try DyadicMultiplier(multiplier: 0, shift: 0))
                valScales.append(try DyadicMultiplier(multiplier: 0, shift: 0))
                continue
            }
            for c in 0..<cols {
                let x = ((Double(values[r * cols + c]) * wmax) / a).rounded(.toNearestOrEven)
                let v = Int(max(-wmax, min(wmax, x)))
                if weightBits == 16 {
                    let hi = (v + 128) >> 8
                    q[r * cols + c] = Int8(hi)
                    low?[r * cols + c] = Int8(v - 256 * hi)
                } else {
                    q[r * cols + c] = Int8(v)
                }
            }
            outScales.append(try DyadicMultiplier(factor: a / (wmax * amax)))
            valScales.append(try DyadicMultiplier(factor: (a * 65536.0) / wmax))
        }
        return try QuantizedMatrix(
            rows: rows, cols: cols, weights: q, lowWeights: low, outputScales: outScales,
            valueScales: valScales)
    }

    /// `Smax` of §3.5: the largest `|S_b|`, `|Z_b|` the importer produces.
    public static let blockScaleMax = 32767

    /// Turns a block-quantized source matrix into the block format (§3.5), keeping its codes.
    ///
    /// For row `r` with `D = max_b max(|d_b|, |m_b|)` (binary64, exact): if `D == 0` every
    /// `S_b`, `Z_b` and both factors are 0. Otherwise `S_b = round_half_even((d_b * 32767) / D)`,
    /// `Z_b = round_half_even((m_b * 32767) / D)` (the product is exact for binary16 `d`, `m`:
    /// one rounding each), `outputScale = dyadic(D / (32767 * Amax))`,
    /// `valueScale = dyadic((D * 65536) / 32767)`: the real weight `d_b c + m_b` is
    /// `(D / 32767) * (S_b c + Z_b)` up to the rounding of `S_b` and `Z_b`.
    ///
    /// - Throws: `.wrongShape` if `cols` is not a multiple of 32 or an array has the wrong size;
    ///   `.nonFiniteWeight` for a NaN/∞ scale or offset (index = block); `.valueOutOfRange` for a
    ///   code outside `[0, 15]` (4-bit).
    public static func quantizeBlockMatrix(
        name: String, source: SourceBlocks, rows: Int, cols: Int, activationBits: Int
    ) throws(KernelError) -> QuantizedMatrix {
        guard rows >= 1, cols >= 32, cols % 32 == 0 else {
            throw .wrongShape(
                what: name + " (block format: cols a multiple of 32)", got: [rows, cols],
                want: [rows, cols / 32 * 32 + 32])
        }
        let nb = cols / 32
        guard source.scales.count == rows * nb, source.offsets.count == rows * nb,
            source.codes.count == rows * cols
        else {
            throw .wrongShape(
                what: name + " blocks", got: [source.scales.count, source.offsets.count, source.codes.count],
                want: [rows * nb, rows * nb, rows * cols])
        }
        guard activationBits == 8 || activationBits == 16 else {
            throw .invalidConfig(field: "activationBits", reason: "must be 8 or 16")
        }
        let amax = Double((1 << (activationBits - 1)) - 1)
        let smax = Double(blockScaleMax)
        var sz = [Int16](repeating: 0, count: rows * nb * 2)
        var outScales: [DyadicMultiplier] = []
        var valScales: [DyadicMultiplier] = []
        for r in 0..<rows {
            var dmax = 0.0
            for b in 0..<nb {
                let d = Double(source.scales[r * nb + b])
                let m = Double(source.offsets[r * nb + b])
                guard d.isFinite, m.isFinite else { throw .nonFiniteWeight(tensor: name, index: r * nb + b) }
                dmax = max(dmax, abs(d), abs(m))
            }
            if dmax == 0 {
                outScales.append(.zero)
                valScales.append(.zero)
                continue
            }
            for b in 0..<nb {
                let s = ((Double(source.scales[r * nb + b]) * smax) / dmax).rounded(.toNearestOrEven)
                let z = ((Double(source.offsets[r * nb + b]) * smax) / dmax).rounded(.toNearestOrEven)
                sz[2 * (r * nb + b)] = Int16(s)
                sz[2 * (r * nb + b) + 1] = Int16(z)
            }
            outScales.append(try DyadicMultiplier(factor: dmax / (smax * amax)))
            valScales.append(try DyadicMultiplier(factor: (dmax * 65536.0) / smax))
        }
        var codes: [UInt8]
        if source.codeBits == 4 {
            if let bad = source.codes.firstIndex(where: { $0 > 15 }) {
                throw .valueOutOfRange(
                    what: "\(name) code \(bad)", value: Int64(source.codes[bad]), range: "[0, 15]")
            }
            codes = [UInt8](repeating: 0, count: rows * cols / 2)
            for i in 0..<(rows * cols / 2) { codes[i] = source.codes[2 * i] | source.codes[2 * i + 1] << 4 }
        } else {
            codes = source.codes
        }
        let blocks = try BlockWeights(
            rows: rows, cols: cols, codeBits: source.codeBits, codes: codes, blockScales: sz)
        return try QuantizedMatrix(blocks: blocks, outputScales: outScales, valueScales: valScales)
    }

    /// Quantizes a vector (bias, norm gamma or beta) to Q16:
    /// `round_half_even(Double(x) * 65536)` saturated to `[-(2^31 - 1), 2^31 - 1]`.
    public static func quantizeQ16(name: String, values: [Float]) throws(KernelError) -> [Int32] {
        var out = [Int32](repeating: 0, count: values.count)
        for (i, x) in values.enumerated() {
            let d = Double(x)
            guard d.isFinite else { throw .nonFiniteWeight(tensor: name, index: i) }
            let r = (d * 65536.0).rounded(.toNearestOrEven)
            out[i] = Int32(max(-2_147_483_647.0, min(2_147_483_647.0, r)))
        }
        return out
    }

    /// Quantizes a whole model: each `X.weight` matrix with `quantizeMatrix`, each bias and
    /// norm vector with `quantizeQ16`, then assembles and validates the `QuantizedModel`.
    /// With `weightBits` 4, matrices that carry source blocks go through `quantizeBlockMatrix`
    /// (§3.5) and the others get 16-bit rows.
    ///
    /// - Throws: `.missingTensor` / `.unexpectedTensor` / `.wrongShape` naming the tensor;
    ///   `.invalidConfig` for `weightBits` 4 when no matrix carries source blocks (§3.5: the
    ///   format keeps source blocks, it never requantizes floats into blocks).
    public static func quantize(_ weights: FloatModelWeights) throws(KernelError) -> QuantizedModel {
        let c = weights.config
        try c.validate()
        if c.weightBits == 4, !weights.tensors.values.contains(where: { $0.blocks != nil }) {
            throw .invalidConfig(
                field: "weightBits",
                reason:
                    "4 (block format, §3.5) keeps block-quantized source matrices (GGUF Q4_0, Q4_1, Q8_0) "
                    + "and these weights have none: use 8 or 16")
        }
        var named: [String: CanonicalTensor] = [:]
        for (name, t) in weights.tensors {
            if name.hasSuffix(".weight") && t.shape.count == 2 {
                let base = String(name.dropLast(".weight".count))
                if c.weightBits == 4, let source = t.blocks {
                    let m = try quantizeBlockMatrix(
                        name: name, source: source, rows: t.shape[0], cols: t.shape[1],
                        activationBits: c.activationBits)
                    if let blocks = m.blocks {
                        named[base + ".codes\(blocks.codeBits)"] = blocks.codesTensor
                        named[base + ".blocks"] = blocks.blockScalesTensor
                    }
                    named[base + ".scales"] = m.scalesTensor
                    continue
                }
                // weightBits 4 without source blocks: 16-bit rows (§3.5).
                let m = try quantizeMatrix(
                    name: name, values: t.values, rows: t.shape[0], cols: t.shape[1],
                    activationBits: c.activationBits, weightBits: c.weightBits == 4 ? 16 : c.weightBits)
                named[base + ".weight"] = m.weightTensor
                if let lo = m.lowWeightTensor { named[base + ".weight_lo"] = lo }
                named[base + ".scales"] = m.scalesTensor
            } else if t.shape.count == 1 {
                guard t.values.count == t.shape[0] else {
                    throw .wrongShape(what: name, got: [t.values.count], want: t.shape)
                }
                let v = try quantizeQ16(name: name, values: t.values)
                named[name] = try CanonicalTensor(fractionBits: 16, shape: t.shape, values: .int32(v))
            } else {
                throw .wrongShape(what: name, got: t.shape, want: [0])
            }
        }
        return try QuantizedModel(config: c, tensors: named)
    }
}
