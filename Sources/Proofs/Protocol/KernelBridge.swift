import Kernel

/// One GEMM of a layer: the kernel's operands and the statement the proof checks.
struct GemmCall {
    let activations: QuantizedActivations
    let matrix: QuantizedMatrix
    let statement: MatmulStatement
    /// Set on the GEMM whose accumulator the proof derives from Y (§5.3).
    let outputTail: OutputTail?

    /// The statement `acc = q · Wᵀ` over the integers: `q` the quantized activations (int16
    /// storage for both widths, no copy), `W` the kernel's weights (`256·hi + lo` for 16-bit
    /// weights, specs/kernel.md §3.2, §3.4).
    init(_ activations: QuantizedActivations, _ matrix: QuantizedMatrix, outputTail: OutputTail? = nil)
        throws(ProofsError)
    {
        self.activations = activations
        self.matrix = matrix
        self.outputTail = outputTail
        statement = try MatmulStatement(
            input: try SmallIntMatrix(
                rows: activations.tokens, cols: activations.width, values: .int16(activations.values)),
            weights: try SmallIntMatrix(matrix))
    }
}

/// The dense tail after the GEMM that produces the layer's output Y with no table after it
/// (specs/proofs.md §5.3): the terms subtracted from Y to get the requantized accumulator.
struct OutputTail {
    let bias: [Int32]?
    let residual: [Int32]?
}

/// The kernel operations a layer trace uses (specs/kernel.md §3.3, §5), in one place. Every
/// step is the kernel's own public function; the dense tail after the GEMM is
/// `Kernel.Dense.finish`, the same code `Dense.apply` runs.
enum KernelBridge {
    static func quantize(_ z: [Int32], tokens: Int, width: Int, bits: Int) throws(ProofsError)
        -> QuantizedActivations
    {
        do {
            return try QuantizedActivations.quantize(z, tokens: tokens, width: width, bits: bits)
        } catch { throw .kernel(error) }
    }

    /// specs/kernel.md §5.1 from the accumulators on (`Dense.finish`):
    /// `y = sat32(mulRoundShift(acc, mant_t·M_o, sh_o − e_t))`, then `sat32(y + bias)`,
    /// `lut(y)`, `sat32(y + residual)`. Defined for every Int64 accumulator.
    ///
    /// - Throws: `.kernel` if `acc` or `residual` does not have `T·N` entries.
    static func dense(
        accumulators acc: [Int64], input: QuantizedActivations, weights: LinearWeights,
        lut: ActivationFunction?, residual: [Int32]?
    ) throws(ProofsError) -> [Int32] {
        do {
            return try Dense.finish(
                accumulators: acc, input: input, weights: weights, lut: lut, residual: residual)
        } catch { throw .kernel(error) }
    }

    /// SwiGLU product (§5.7): `sat32(roundShift(g·u, 16))`.
    static func swiglu(_ g: [Int32], _ u: [Int32]) -> [Int32] {
        var out = [Int32](repeating: 0, count: g.count)
        for i in g.indices {
            out[i] = FixedPoint.saturate32(FixedPoint.roundShift(Int64(g[i]) * Int64(u[i]), 16))
        }
        return out
    }

    static func rmsNorm(_ x: [Int32], width: Int, norm: NormWeights, epsilonQ32: Int64) throws(ProofsError)
        -> [Int32]
    {
        do {
            return try Norms.rmsNorm(x, width: width, gamma: norm.gamma, epsilonQ32: epsilonQ32)
        } catch { throw .kernel(error) }
    }

    static func hidden(_ y: [Int32], tokens: Int, width: Int) throws(ProofsError) -> CanonicalTensor {
        do {
            return try CanonicalTensor(
                kind: .hidden, fractionBits: 16, shape: [tokens, width], values: .int32(y))
        } catch { throw .kernel(error) }
    }
}
