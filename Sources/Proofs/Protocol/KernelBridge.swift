import Kernel

/// One GEMM of a layer: the kernel's operands and the statement the proof checks.
struct GemmCall {
    let activations: QuantizedActivations
    let matrix: QuantizedMatrix
    let statement: MatmulStatement

    init(_ activations: QuantizedActivations, _ matrix: QuantizedMatrix) throws(ProofsError) {
        self.activations = activations
        self.matrix = matrix
        let input: SmallIntMatrix.Values =
            activations.bits == 8
            ? .int8(activations.values.map { Int8(truncatingIfNeeded: $0) }) : .int16(activations.values)
        statement = try MatmulStatement(
            input: try SmallIntMatrix(rows: activations.tokens, cols: activations.width, values: input),
            weights: try SmallIntMatrix(rows: matrix.rows, cols: matrix.cols, values: .int8(matrix.weights)))
    }
}

/// The kernel operations a layer trace uses (specs/kernel.md §3.3, §5), in one place.
///
/// Everything calls the kernel's public functions except `dense(accumulators:…)`, the tail of
/// `Kernel.Dense.apply` after its GEMM (§5.1), which the kernel does not expose on its own;
/// the test suite checks it against `Dense.apply` bit for bit.
enum KernelBridge {
    static func quantize(_ z: [Int32], tokens: Int, width: Int, bits: Int) throws(ProofsError)
        -> QuantizedActivations
    {
        do {
            return try QuantizedActivations.quantize(z, tokens: tokens, width: width, bits: bits)
        } catch { throw .kernel(error) }
    }

    /// specs/kernel.md §5.1 from the accumulators on:
    /// `y = sat32(roundShift(acc·mant_t·M_o, sh_o − e_t))`, then `sat32(y + bias)`, `lut(y)`,
    /// `sat32(y + residual)`.
    ///
    /// Precondition (checked by the verifier before calling): `|acc| ≤ K·128·2^(bits−1)`, so
    /// `|acc·mant·M| < 2^61` and nothing overflows.
    static func dense(
        accumulators acc: [Int64], input: QuantizedActivations, weights: LinearWeights,
        lut: ActivationFunction?, residual: [Int32]?
    ) -> [Int32] {
        let w = weights.matrix
        let t = input.tokens
        let n = w.rows
        var out = [Int32](repeating: 0, count: t * n)
        let table = lut?.table
        for i in 0..<t {
            let mant = Int64(input.mantissas[i])
            let e = Int(input.exponents[i])
            for o in 0..<n {
                let s = w.outputScales[o]
                let p = acc[i * n + o] &* mant &* Int64(s.multiplier)
                var y = Int64(FixedPoint.saturate32(FixedPoint.roundShift(p, Int(s.shift) - e)))
                if let b = weights.bias { y = Int64(FixedPoint.saturate32(y + Int64(b[o]))) }
                if let table { y = Int64(Nonlinearity.lookup(Int32(y), table: table)) }
                if let residual { y = Int64(FixedPoint.saturate32(y + Int64(residual[i * n + o]))) }
                out[i * n + o] = Int32(y)
            }
        }
        return out
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
