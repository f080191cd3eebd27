import Kernel

/// A row-major integer matrix of small entries: the left operand of a proven product (the
/// per-token quantized activations, int16) or the weights (int8, or 16-bit weights as two int8
/// planes `256·high + low`, specs/kernel.md §3.2).
public struct SmallIntMatrix: Sendable, Equatable {
    /// Storage by element width.
    public enum Values: Sendable, Equatable {
        case int8([Int8])
        case int16([Int16])
        /// Entry `i` is `256·high[i] + low[i]`, in `[−32896, 32639]`.
        case int8Planes(high: [Int8], low: [Int8])
    }

    public let rows: Int
    public let cols: Int
    public let values: Values
    /// The kernel matrix these values came from (weights only): its MLE is then evaluated
    /// with the kernel's GEMM (`IntegerMatrixMLE.evaluate(weights:)`).
    let kernelMatrix: QuantizedMatrix?

    /// Wraps `values` after checking that it has `rows * cols` entries (both planes) and both
    /// dimensions are in `[1, IntegerMatrixMLE.maxDimension]`.
    public init(rows: Int, cols: Int, values: Values) throws(ProofsError) {
        try self.init(rows: rows, cols: cols, values: values, kernelMatrix: nil)
    }

    private init(rows: Int, cols: Int, values: Values, kernelMatrix: QuantizedMatrix?) throws(ProofsError) {
        let count: Int
        switch values {
        case .int8(let v): count = v.count
        case .int16(let v): count = v.count
        case .int8Planes(let high, let low): count = high.count == low.count ? high.count : -1
        }
        let limit = IntegerMatrixMLE.maxDimension
        guard rows >= 1, cols >= 1, rows <= limit, cols <= limit, count == rows * cols else {
            throw .wrongShape(what: "integer matrix", got: [count], want: [rows, cols])
        }
        self.rows = rows
        self.cols = cols
        self.values = values
        self.kernelMatrix = kernelMatrix
    }

    /// The weights of a kernel matrix: its int8 plane, or both planes for 16-bit weights.
    init(_ matrix: QuantizedMatrix) throws(ProofsError) {
        let values: Values =
            matrix.lowWeights.map { Values.int8Planes(high: matrix.weights, low: $0) }
            ?? Values.int8(matrix.weights)
        try self.init(rows: matrix.rows, cols: matrix.cols, values: values, kernelMatrix: matrix)
    }

    /// MLE evaluation at (colPoint, rowPoint) (see `IntegerMatrixMLE.evaluate`).
    func evaluate(colPoint: [GoldilocksExt2], rowPoint: [GoldilocksExt2]) -> GoldilocksExt2 {
        if #available(macOS 15.0, *), let m = kernelMatrix,
            let value = try? IntegerMatrixMLE.evaluate(weights: m, colPoint: colPoint, rowPoint: rowPoint)
        {
            return value
        }
        switch values {
        case .int8(let v):
            return IntegerMatrixMLE.evaluate(
                v, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
        case .int16(let v):
            return IntegerMatrixMLE.evaluate(
                v, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
        case .int8Planes(let high, let low):
            return IntegerMatrixMLE.evaluate(
                high: high, low: low, rows: rows, cols: cols, colPoint: colPoint, rowPoint: rowPoint)
        }
    }

    /// Σ_row eq(rowPoint, row)·M[row][·], padded to 2^colVariables.
    func foldRows(rowPoint: [GoldilocksExt2], colVariables: Int) -> [GoldilocksExt2] {
        switch values {
        case .int8(let v):
            return IntegerMatrixMLE.foldRows(
                v, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables)
        case .int16(let v):
            return IntegerMatrixMLE.foldRows(
                v, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables)
        case .int8Planes(let high, let low):
            return IntegerMatrixMLE.foldRows(
                high: high, low: low, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables)
        }
    }

    /// Entry (r, c) widened to Int64.
    func element(_ r: Int, _ c: Int) -> Int64 {
        switch values {
        case .int8(let v): return Int64(v[r * cols + c])
        case .int16(let v): return Int64(v[r * cols + c])
        case .int8Planes(let high, let low): return 256 * Int64(high[r * cols + c]) + Int64(low[r * cols + c])
        }
    }
}

/// One proven product: `accumulator[t][j] = Σ_k input[t][k] · weights[j][k]` over the
/// integers, `input` T × n, `weights` m × n (specs/proofs.md §5).
public struct MatmulStatement: Sendable {
    public let input: SmallIntMatrix
    public let weights: SmallIntMatrix

    /// Requires `input.cols == weights.cols`.
    public init(input: SmallIntMatrix, weights: SmallIntMatrix) throws(ProofsError) {
        guard input.cols == weights.cols else {
            throw .wrongShape(what: "product operands", got: [input.cols], want: [weights.cols])
        }
        self.input = input
        self.weights = weights
    }

    public var tokens: Int { input.rows }
    public var inner: Int { input.cols }
    public var outputs: Int { weights.rows }

    /// The exact integer product, row-major T × m (naive; the prover may use the kernel's
    /// faster GEMM instead — any correct product gives the same integers).
    public func product() -> [Int64] {
        var out = [Int64](repeating: 0, count: tokens * outputs)
        for t in 0..<tokens {
            for j in 0..<outputs {
                var s: Int64 = 0
                for k in 0..<inner { s &+= input.element(t, k) &* weights.element(j, k) }
                out[t * outputs + j] = s
            }
        }
        return out
    }
}

/// The matmul argument of specs/proofs.md §5: given accumulators already absorbed into the
/// transcript, one sumcheck per statement shows `accumulator = input · weightsᵀ`.
///
/// For each statement, in order: draw `rCol` (⌈log2 m⌉ challenges) and `rRow` (⌈log2 T⌉),
/// set `claim = A~(rCol, rRow)`, absorb it, and run `ProductSumcheck` on
/// f(k) = X~(k, rRow), g(k) = W~(k, rCol) over ⌈log2 n⌉ variables; the verifier ends by
/// checking `finalClaim = X~(rK, rRow) · W~(rK, rCol)`.
public enum MatmulArgument {
    /// The prover: returns the round polynomials for each statement.
    public static func prove(
        statements: [MatmulStatement], accumulators: [[Int64]], transcript: inout Transcript
    ) -> [[ProductSumcheck.RoundPolynomial]] {
        var out: [[ProductSumcheck.RoundPolynomial]] = []
        for (s, acc) in zip(statements, accumulators) {
            let (rCol, rRow) = samplePoint(s, &transcript)
            let claim = IntegerMatrixMLE.evaluate(
                acc, rows: s.tokens, cols: s.outputs, colPoint: rCol, rowPoint: rRow)
            transcript.observe("claim", ext: [claim])
            let lk = Multilinear.variableCount(s.inner)
            let f = s.input.foldRows(rowPoint: rRow, colVariables: lk)
            let g = s.weights.foldRows(rowPoint: rCol, colVariables: lk)
            let (rounds, _) = ProductSumcheck.prove(f: f, g: g, transcript: &transcript)
            out.append(rounds)
        }
        return out
    }

    /// The verifier. Round counts must already match ⌈log2 n⌉ (the decoder checks them).
    ///
    /// - Returns: `nil` when every statement checks, else the reason the first one failed.
    public static func verify(
        statements: [MatmulStatement], accumulators: [[Int64]],
        rounds: [[ProductSumcheck.RoundPolynomial]], transcript: inout Transcript
    ) -> String? {
        var clock = PhaseClock(enabled: false)
        return verify(
            statements: statements, accumulators: accumulators, rounds: rounds, transcript: &transcript,
            clock: &clock)
    }

    static func verify(
        statements: [MatmulStatement], accumulators: [[Int64]],
        rounds: [[ProductSumcheck.RoundPolynomial]], transcript: inout Transcript, clock: inout PhaseClock
    ) -> String? {
        for (i, s) in statements.enumerated() {
            let (rCol, rRow) = samplePoint(s, &transcript)
            let claim = IntegerMatrixMLE.evaluate(
                accumulators[i], rows: s.tokens, cols: s.outputs, colPoint: rCol, rowPoint: rRow)
            transcript.observe("claim", ext: [claim])
            clock.lap(\.claims)
            let outcome = ProductSumcheck.verify(claim: claim, rounds: rounds[i], transcript: &transcript)
            clock.lap(\.sumcheck)
            switch outcome {
            case .inconsistentRound(let r):
                return "stage \(i): sumcheck round \(r) is inconsistent (p(0) + p(1) != claim)"
            case .reduced(let rK, let finalClaim):
                let x = s.input.evaluate(colPoint: rK, rowPoint: rRow)
                clock.lap(\.inputMLE)
                let w = s.weights.evaluate(colPoint: rK, rowPoint: rCol)
                clock.lap(\.weightsMLE)
                if x * w != finalClaim {
                    return
                        "stage \(i): final sumcheck claim != X~(r)·W~(r): the accumulator is not input · weightsᵀ"
                }
            }
        }
        return nil
    }

    static func samplePoint(
        _ s: MatmulStatement, _ transcript: inout Transcript
    ) -> (col: [GoldilocksExt2], row: [GoldilocksExt2]) {
        let col = transcript.sampleExt2("point-col", count: Multilinear.variableCount(s.outputs))
        let row = transcript.sampleExt2("point-row", count: Multilinear.variableCount(s.tokens))
        return (col, row)
    }
}
