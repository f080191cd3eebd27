import CKernelSIMD

/// The dense-layer primitive (specs/kernel.md §5.1) — the exact computation `Proofs` proves:
///
/// ```
/// acc[t][o] = sum_k q[t][k] * W[o][k]                                  (exact)
/// y = sat32(roundShift(acc[t][o] * mant_t * M_o, sh_o - e_t))   (exact product, < 2^70)
/// if bias:     y = sat32(y + bias[o])
/// if lut:      y = lut(y)
/// if residual: y = sat32(y + residual[t][o])
/// ```
/// where `(mant_t, e_t)` is token `t`'s scale (§3.3) and `(M_o, sh_o)` the row's
/// `outputScale`. 16-bit inputs and weights are multiplied plane by plane (`accumulate`):
/// the same exact integer.
public enum Dense {
    /// Applies the dense primitive.
    ///
    /// - Parameters:
    ///   - input: per-token quantized `[T, K]`.
    ///   - weights: `[N, K]` matrix and optional Q16 bias `[N]`.
    ///   - lut: optional nonlinearity applied after the bias (§5.4).
    ///   - residual: optional Q16 `[T, N]` added last.
    ///   - options: GEMM path and threads (the result does not depend on them).
    /// - Returns: Q16 int32 `[T, N]`.
    /// - Throws: `.wrongShape` for mismatched `K`, `N` or residual size; `.pathUnavailable`.
    public static func apply(
        _ input: QuantizedActivations, _ weights: LinearWeights, lut: ActivationFunction? = nil,
        residual: [Int32]? = nil, options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int32] {
        let w = weights.matrix
        guard input.width == w.cols else {
            throw .wrongShape(what: "dense input width", got: [input.width], want: [w.cols])
        }
        let t = input.tokens
        let n = w.rows
        if let residual, residual.count != t * n {
            throw .wrongShape(what: "dense residual", got: [residual.count], want: [t * n])
        }
        let acc = try accumulate(input, w, options: options)
        return try finish(
            accumulators: acc, input: input, weights: weights, lut: lut, residual: residual,
            threads: options.threads)
    }

    /// The dense primitive after its GEMM (§5.1 from `acc` on): requantization, bias,
    /// nonlinearity and residual add. `apply` is `accumulate` followed by this function; a
    /// verifier that is handed the accumulators (specs/proofs.md §5.1) calls it directly.
    ///
    /// Per element: `y = sat32(mulRoundShift(acc, mant_t * M_o, sh_o - e_t))` with the product
    /// exact in 128 bits (`mant_t * M_o < 2^23`, so any `|acc| < 2^63` is defined), then
    /// `sat32(y + bias[o])`, `lut(y)`, `sat32(y + residual[t][o])`; rounding half toward +∞,
    /// saturation symmetric (§2.1, §2.2).
    ///
    /// - Parameters:
    ///   - accumulators: `[T, N]` row-major, `T = input.tokens`, `N = weights.matrix.rows`.
    ///     True accumulators satisfy `|acc| < 2^47` (§3.4); other values are computed with the
    ///     same rules and never trap.
    ///   - input: the quantized GEMM input (only its per-token scales are read).
    ///   - weights: the matrix (only `outputScales` are read) and optional Q16 bias.
    ///   - lut: optional nonlinearity applied after the bias (§5.4).
    ///   - residual: optional Q16 `[T, N]` added last.
    ///   - threads: tokens are split between this many pool threads (the result does not
    ///     depend on it).
    /// - Returns: Q16 int32 `[T, N]`.
    /// - Throws: `.wrongShape` if `accumulators` or `residual` is not `T * N` long.
    public static func finish(
        accumulators acc: [Int64], input: QuantizedActivations, weights: LinearWeights,
        lut: ActivationFunction? = nil, residual: [Int32]? = nil, threads: Int = 1
    ) throws(KernelError) -> [Int32] {
        let w = weights.matrix
        let t = input.tokens
        let n = w.rows
        guard acc.count == t * n else {
            throw .wrongShape(what: "dense accumulators", got: [acc.count], want: [t * n])
        }
        if let residual, residual.count != t * n {
            throw .wrongShape(what: "dense residual", got: [residual.count], want: [t * n])
        }
        guard Self.scalesArePairs else {
            return finishReference(
                accumulators: acc, input: input, weights: weights, lut: lut, residual: residual)
        }
        let table = lut.map { $0.table }
        return [Int32](unsafeUninitializedCapacity: t * n) { out, count in
            acc.withUnsafeBufferPointer { a in
                input.mantissas.withUnsafeBufferPointer { mant in
                    input.exponents.withUnsafeBufferPointer { exps in
                        w.outputScales.withUnsafeBytes { scales in
                            weights.bias.withOptionalBuffer { bias in
                                table.withOptionalBuffer { tab in
                                    residual.withOptionalBuffer { res in
                                        let rows = FinishRows(
                                            acc: a.baseAddress!, n: n, mant: mant.baseAddress!,
                                            exps: exps.baseAddress!,
                                            scales: scales.baseAddress!.assumingMemoryBound(to: Int32.self),
                                            bias: bias,
                                            table: tab, residual: res, out: out.baseAddress!)
                                        parallelRanges(count: t, threads: threads) { rows.run($0, $1) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            count = t * n
        }
    }

    /// `mesh_dense_finish` on tokens `[begin, end)`: what one pool task does.
    private struct FinishRows: @unchecked Sendable {
        let acc: UnsafePointer<Int64>
        let n: Int
        let mant: UnsafePointer<Int32>
        let exps: UnsafePointer<Int32>
        let scales: UnsafePointer<Int32>
        let bias: UnsafePointer<Int32>?
        let table: UnsafePointer<Int32>?
        let residual: UnsafePointer<Int32>?
        let out: UnsafeMutablePointer<Int32>

        func run(_ begin: Int, _ end: Int) {
            mesh_dense_finish(
                acc + begin * n, end - begin, n, mant + begin, exps + begin, scales, bias, table,
                residual.map { $0 + begin * n }, out + begin * n)
        }
    }

    /// `DyadicMultiplier` is laid out as the `(M, sh)` int32 pair `mesh_dense_finish` reads.
    static let scalesArePairs =
        MemoryLayout<DyadicMultiplier>.stride == 8
        && MemoryLayout<DyadicMultiplier>.offset(of: \.multiplier) == 0
        && MemoryLayout<DyadicMultiplier>.offset(of: \.shift) == 4

    /// The Swift reference of `finish` (same contract; the C path is checked against it).
    static func finishReference(
        accumulators acc: [Int64], input: QuantizedActivations, weights: LinearWeights,
        lut: ActivationFunction? = nil, residual: [Int32]? = nil
    ) -> [Int32] {
        let w = weights.matrix
        let t = input.tokens
        let n = w.rows
        var out = [Int32](repeating: 0, count: t * n)
        let table = lut.map { $0.table }
        for i in 0..<t {
            let mant = Int64(input.mantissas[i])
            let e = Int(input.exponents[i])
            for o in 0..<n {
                let s = w.outputScales[o]
                let y0 = FixedPoint.mulRoundShift(
                    acc[i * n + o], mant * Int64(s.multiplier), Int(s.shift) - e)
                var y = Int64(FixedPoint.saturate32(y0))
                if let b = weights.bias { y = Int64(FixedPoint.saturate32(y + Int64(b[o]))) }
                if let table { y = Int64(Nonlinearity.lookup(Int32(y), table: table)) }
                if let residual {
                    y = Int64(FixedPoint.saturate32(y + Int64(residual[i * n + o])))
                }
                out[i * n + o] = Int32(y)
            }
        }
        return out
    }

    /// The exact accumulators `acc[t][o]` of §3.4 as Int64 `[T, N]`: the sum over activation
    /// planes (int8 `hi`, and for 16-bit inputs uint8 `lo`) and weight planes (int8 `hi`, and
    /// for 16-bit weights int8 `lo`) of `256^(i+j) * plane_i(A) · plane_j(W)^T`; for a block
    /// matrix, the block sums of §3.5 (`BlockGemm.multiply`), the same integer `sum_k x w`.
    public static func accumulate(
        _ input: QuantizedActivations, _ w: QuantizedMatrix, options: ExecutionOptions = .reference
    ) throws(KernelError) -> [Int64] {
        guard input.width == w.cols else {
            throw .wrongShape(what: "gemm input width", got: [input.width], want: [w.cols])
        }
        if let blocks = w.blocks {
            return try BlockGemm.multiply(input.values, rows: input.tokens, blocks, options: options)
        }
        if let wide = try IntegerGemm.multiplyWide(input.values, rows: input.tokens, w, options: options) {
            return wide
        }
        return try accumulatePlanes(input, w, options: options)
    }

    /// `accumulate` on int8 planes only (8-bit weights, the `blas` path, adversarial planes;
    /// tests compare it with the int16 path).
    static func accumulatePlanes(
        _ input: QuantizedActivations, _ w: QuantizedMatrix, options: ExecutionOptions
    ) throws(KernelError) -> [Int64] {
        let t = input.tokens
        let hiA = input.highPlane
        let loA: [UInt8]? = input.bits == 16 ? input.lowPlane : nil
        var acc = [Int64](repeating: 0, count: t * w.rows)
        func add(_ part: [Int32], _ factor: Int64) {
            for i in 0..<acc.count { acc[i] += Int64(part[i]) * factor }
        }
        let planes: [(IntegerGemm.Plane, Int64)] =
            w.lowWeights == nil ? [(.high, 1)] : [(.high, 256), (.low, 1)]
        for (plane, wf) in planes {
            let aFactor: Int64 = loA == nil ? 1 : 256
            add(try IntegerGemm.multiply(hiA, rows: t, w, plane: plane, options: options), aFactor * wf)
            if let loA {
                add(try IntegerGemm.multiplyUnsigned(loA, rows: t, w, plane: plane, options: options), wf)
            }
        }
        return acc
    }
}

extension Optional {
    /// Calls `body` with a pointer to the array's elements, or `nil` when the array is absent.
    func withOptionalBuffer<E, R>(_ body: (UnsafePointer<E>?) -> R) -> R where Wrapped == [E] {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
