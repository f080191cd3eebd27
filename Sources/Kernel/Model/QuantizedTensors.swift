/// An int8 weight matrix with one symmetric scale per output row (specs/kernel.md §3.2).
///
/// Layout: `rows` output channels × `cols` inputs, row-major (`weights[r * cols + c]`), the
/// PyTorch `Linear.weight` / GGUF `[ne0 = cols]` layout. Zero point 0. With 16-bit weights a
/// second int8 plane `lowWeights` holds the low part: the weight is `256 * hi + lo`.
/// The real scale of row `r` exists only at import time; at run time the row carries two
/// integer dyadic factors:
/// - `outputScales[r]`: requantizes a GEMM accumulator to Q16 (`maxAbs_r / (Wmax * Amax)`).
/// - `valueScales[r]`: turns a stored weight into Q16 for lookups (`maxAbs_r * 2^16 / Wmax`).
public struct QuantizedMatrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    /// Row-major int8 weights (the high plane for 16-bit weights); every value in
    /// `[-128, 127]` is accepted (the quantizer emits `[-127, 127]`).
    public let weights: [Int8]
    /// 16-bit weights only: the signed low plane, weight = `256 * weights + lowWeights`.
    public let lowWeights: [Int8]?
    /// Per-row GEMM requantization factors (§5.1).
    public let outputScales: [DyadicMultiplier]
    /// Per-row lookup factors (§5.8).
    public let valueScales: [DyadicMultiplier]
    /// `sum_c weights[r * cols + c]` per row (derived; used by the VNNI +128 offset trick).
    public let rowSums: [Int32]
    /// Row sums of `lowWeights` (empty for 8-bit weights).
    public let lowRowSums: [Int32]
    /// 16-bit weights only: `256 * hi + lo` as one int16 per weight, for the int16 GEMM path
    /// (§3.4), built once here; `nil` when some combined weight leaves `[-2^15, 2^15)` (only
    /// possible for adversarial planes: the quantizer emits `|q| <= 32512`), and then the GEMM
    /// runs on the int8 planes.
    public let wideWeights: [Int16]?
    /// Block-quantized weights (§3.5), or `nil` for the per-row formats of §3.2. A block
    /// matrix has empty `weights` and no planes: `weight(_:_:)` reads the blocks.
    public let blocks: BlockWeights?

    /// Wraps a block-quantized matrix (§3.5) with its per-row factors (§3.2, §3.5).
    ///
    /// - Throws: `.wrongShape` if a scale array does not have `blocks.rows` entries.
    public init(
        blocks: BlockWeights, outputScales: [DyadicMultiplier], valueScales: [DyadicMultiplier]
    ) throws(KernelError) {
        guard outputScales.count == blocks.rows, valueScales.count == blocks.rows else {
            throw .wrongShape(
                what: "matrix scales", got: [outputScales.count, valueScales.count],
                want: [blocks.rows, blocks.rows])
        }
        self.rows = blocks.rows
        self.cols = blocks.cols
        self.weights = []
        self.lowWeights = nil
        self.outputScales = outputScales
        self.valueScales = valueScales
        self.rowSums = []
        self.lowRowSums = []
        self.wideWeights = nil
        self.blocks = blocks
    }

    /// Wraps integer data after checking shapes.
    ///
    /// - Throws: `KernelError.wrongShape` if a plane is not `rows * cols` or a scale array
    ///   does not have `rows` entries; `.valueOutOfRange` if `cols > 2^16`.
    public init(
        rows: Int, cols: Int, weights: [Int8], lowWeights: [Int8]? = nil,
        outputScales: [DyadicMultiplier], valueScales: [DyadicMultiplier]
    ) throws(KernelError) {
        guard rows >= 1, cols >= 1, rows <= 1 << 24, cols <= ModelConfig.maxDimension else {
            throw .valueOutOfRange(
                what: "matrix shape \(rows)x\(cols)", value: Int64(max(rows, cols)),
                range: "rows in [1, 2^24], cols in [1, 2^16]")
        }
        guard weights.count == rows * cols else {
            throw .wrongShape(what: "matrix weights", got: [weights.count], want: [rows * cols])
        }
        if let lowWeights, lowWeights.count != rows * cols {
            throw .wrongShape(what: "matrix low weights", got: [lowWeights.count], want: [rows * cols])
        }
        guard outputScales.count == rows, valueScales.count == rows else {
            throw .wrongShape(
                what: "matrix scales", got: [outputScales.count, valueScales.count],
                want: [rows, rows])
        }
        self.rows = rows
        self.cols = cols
        self.weights = weights
        self.lowWeights = lowWeights
        self.outputScales = outputScales
        self.valueScales = valueScales
        self.rowSums = Self.sums(weights, rows: rows, cols: cols)
        self.lowRowSums = lowWeights.map { Self.sums($0, rows: rows, cols: cols) } ?? []
        self.wideWeights = lowWeights.flatMap { Self.combined(high: weights, low: $0) }
        self.blocks = nil
    }

    /// `256 * hi + lo` per weight, or `nil` if one of them does not fit in int16.
    static func combined(high: [Int8], low: [Int8]) -> [Int16]? {
        var fits = true
        let wide = [Int16](unsafeUninitializedCapacity: high.count) { out, count in
            for i in 0..<high.count {
                let w = Int32(high[i]) * 256 + Int32(low[i])
                fits = fits && w >= Int32(Int16.min) && w <= Int32(Int16.max)
                out[i] = Int16(truncatingIfNeeded: w)
            }
            count = high.count
        }
        return fits ? wide : nil
    }

    static func sums(_ w: [Int8], rows: Int, cols: Int) -> [Int32] {
        var sums = [Int32](repeating: 0, count: rows)
        w.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                var s: Int32 = 0
                for c in 0..<cols { s &+= Int32(w[r * cols + c]) }
                sums[r] = s
            }
        }
        return sums
    }

    /// 8 or 16 (per-row formats, §3.2), or 4 for block-quantized weights (§3.5, 4- or 8-bit
    /// codes: `blocks.codeBits`).
    public var weightBits: Int { blocks != nil ? 4 : lowWeights == nil ? 8 : 16 }

    /// The integer weight at `(r, c)`: `hi`, `256 * hi + lo`, or `S_b * c + Z_b` (§3.5).
    @inlinable
    public func weight(_ r: Int, _ c: Int) -> Int64 {
        if let blocks { return blocks.weight(r, c) }
        let hi = Int64(weights[r * cols + c])
        guard let lowWeights else { return hi }
        return hi * 256 + Int64(lowWeights[r * cols + c])
    }
}

/// Normalisation parameters in Q16 (specs/kernel.md §5.2, §5.3): `gamma` always, `beta` for
/// LayerNorm only.
public struct NormWeights: Sendable, Equatable {
    /// Per-channel scale, Q16 (`round_half_even(g * 2^16)`, saturated to 32 bits).
    public let gamma: [Int32]
    /// Per-channel shift, Q16 (LayerNorm), or `nil` (RMSNorm).
    public let beta: [Int32]?

    public init(gamma: [Int32], beta: [Int32]?) throws(KernelError) {
        if let beta, beta.count != gamma.count {
            throw .wrongShape(what: "norm beta", got: [beta.count], want: [gamma.count])
        }
        self.gamma = gamma
        self.beta = beta
    }
}

/// A dense layer's weights: matrix plus optional Q16 bias (one per output row).
public struct LinearWeights: Sendable, Equatable {
    public let matrix: QuantizedMatrix
    /// Q16 bias, `rows` entries, or `nil`.
    public let bias: [Int32]?

    public init(matrix: QuantizedMatrix, bias: [Int32]? = nil) throws(KernelError) {
        if let bias, bias.count != matrix.rows {
            throw .wrongShape(what: "bias", got: [bias.count], want: [matrix.rows])
        }
        self.matrix = matrix
        self.bias = bias
    }
}
