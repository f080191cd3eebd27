import Groth16
import Kernel

/// A registered dense circuit as a rank-1 constraint system for Groth16 (specs/groth16.md §8):
/// `Y = dense(quantizeToken(X), W, bias?, lut?, residual: X?)` for exactly `tokens` tokens, with
/// the weights as constants, so the GEMM costs no constraint — each accumulator is a linear
/// combination of the quantized inputs.
///
/// Public inputs (§8.3): the values of the input tensor X followed by those of the output tensor
/// Y, row-major, each int32 `v` as `v + 2^31`, seven 32-bit values per field element, least
/// significant first (the last element holds the remainder).
public enum DenseLayerR1CS {
    /// A system with its satisfying assignment.
    public struct Synthesis: Sendable {
        public let r1cs: R1CS
        /// The full assignment z (z₀ = 1, then the public inputs).
        public let witness: [Fr]
        /// The kernel's output Y (`[tokens, outFeatures]`, Q16), which the public inputs carry.
        public let output: CanonicalTensor

        public var publicInputs: [Fr] { Array(witness[1...r1cs.publicCount]) }
    }

    /// Values packed into one public input.
    public static let valuesPerInput = 7

    /// The system for `circuit` and the witness for `input`, the witness taken from the
    /// kernel's own quantization, GEMM and dense tail (so the proven Y is `kernel run`'s Y).
    ///
    /// - Throws: `ProofsError.malformedCircuit` when the circuit is not a dense layer or has a
    ///   requantization shift below −16 (specs/groth16.md §8.4); `.wrongShape` when `input` is not
    ///   int32 `[maxTokens, inFeatures]`.
    public static func synthesize(
        circuit: Circuit, weights: LayerWeights, input: CanonicalTensor
    ) throws(ProofsError) -> Synthesis {
        guard circuit.kind == .dense else {
            throw .malformedCircuit(
                "Groth16 circuits are dense layers; \(circuit.name) is \(circuit.kind.rawValue)")
        }
        let t = circuit.maxTokens
        let k = circuit.inFeatures
        let n = circuit.outFeatures
        guard input.shape == [t, k] else {
            throw .wrongShape(what: "Groth16 layer input", got: input.shape, want: [t, k])
        }
        let layer = weights.linears[0]
        let scales = layer.matrix.outputScales
        if let low = scales.map(\.shift).min(), low < minimumShift {
            throw .malformedCircuit(
                "\(circuit.name): output scale shift \(low) is below \(minimumShift) (specs/groth16.md §8.4)")
        }
        let x: [Int32]
        do { x = try input.int32Values() } catch { throw .kernel(error) }
        // The kernel's values: quantized input, accumulators, output.
        let q = try KernelBridge.quantize(x, tokens: t, width: k, bits: circuit.activationBits)
        let acc: [Int64]
        do { acc = try Dense.accumulate(q, layer.matrix) } catch { throw .kernel(error) }
        let y = try KernelBridge.dense(
            accumulators: acc, input: q, weights: layer, lut: circuit.activation.kernelFunction,
            residual: circuit.residual ? x : nil)

        var c = IntegerCircuit()
        let inputs = pack(x + y).map { c.publicInput($0) }

        // X: 32-bit decomposition of v + 2^31 (binds the packing, gives the sign), |v|.
        var z: [IntSignal] = []
        var magnitudes: [IntSignal] = []
        for v in x {
            let u = c.witness(Int128(v) + (1 << 31))
            let bits = c.rangeCheck(u, bits: 32)
            let signed = u - (1 << 31)
            // bit 31 set ⟺ v ≥ 0; |v| = (2·bit31 − 1)·v.
            magnitudes.append(c.product(2 * bits[31] - 1, signed))
            z.append(signed)
        }

        let weightsValues = matrixValues(layer.matrix)
        let table = circuit.activation.kernelFunction?.table
        var outputs: [IntSignal] = []
        for token in 0..<t {
            let row = token * k..<(token + 1) * k
            let quantized = quantizeToken(
                &c, z: Array(z[row]), magnitudes: Array(magnitudes[row]), kernel: q, token: token)
            for o in 0..<n {
                // acc = Σ_k W[o][k]·q[k]: a linear combination, no constraint.
                let accumulator = IntSignal.sum(
                    (0..<k).map { (quantized.values[$0], Int128(weightsValues[o * k + $0])) })
                var v = requantize(&c, accumulator, token: quantized, scale: scales[o])
                if let bias = layer.bias { v = c.saturate32(v + Int128(bias[o]), bound: 32) }
                if let table { v = lookup(&c, v, table: table) }
                if circuit.residual { v = c.saturate32(v + z[token * k + o], bound: 32) }
                outputs.append(v)
            }
        }
        let computed = outputs.map { Int32(clamping: $0.value) }
        guard computed == y else {
            throw .claimedOutputDiffers("the Groth16 circuit's witness disagrees with the kernel (a bug)")
        }
        enforcePacking(&c, values: z + outputs, inputs: inputs)
        let r1cs: R1CS
        do { r1cs = try c.builder.system() } catch { throw .malformedCircuit("R1CS: \(error)") }
        return Synthesis(
            r1cs: r1cs, witness: c.builder.values, output: try KernelBridge.hidden(y, tokens: t, width: n))
    }

    /// The public inputs a verifier derives from a job's input and claimed output (§8.3).
    public static func publicInputs(input: [Int32], output: [Int32]) -> [Fr] { pack(input + output) }

    /// The number of public inputs for `circuit`.
    public static func publicInputCount(_ circuit: Circuit) -> Int {
        (circuit.maxTokens * (circuit.inFeatures + circuit.outFeatures) + valuesPerInput - 1) / valuesPerInput
    }

    /// The smallest output-scale shift the circuit accepts: with e ≤ 24 the requantization
    /// shift stays ≥ −40, so every honest intermediate fits in 128 bits.
    static let minimumShift: Int32 = -16

    /// Seven values `v + 2^31` per element, least significant first.
    static func pack(_ values: [Int32]) -> [Fr] {
        stride(from: 0, to: values.count, by: valuesPerInput).map { start in
            var words: [UInt64] = [0, 0, 0, 0]
            for (i, v) in values[start..<min(start + valuesPerInput, values.count)].enumerated() {
                let u = UInt64(Int64(v) + (1 << 31))
                let bit = 32 * i
                words[bit / 64] |= u << UInt64(bit % 64)
            }
            // At most 224 bits: below r.
            return Fr(words: words) ?? .zero
        }
    }

    /// `Σ (vᵢ + 2^31)·2^(32i) = input` for each group of seven.
    static func enforcePacking(_ c: inout IntegerCircuit, values: [IntSignal], inputs: [LinearCombination]) {
        for (j, input) in inputs.enumerated() {
            let group = values[j * valuesPerInput..<min((j + 1) * valuesPerInput, values.count)]
            var lc = LinearCombination()
            for (i, v) in group.enumerated() {
                let shift = Fr(2).power([UInt64(32 * i)])
                lc += (v + (1 << 31)).lc * shift
            }
            c.builder.enforceZero(lc - input)
        }
    }

    /// Stored weights as integers (`256·hi + lo` for 16-bit weights).
    static func matrixValues(_ m: QuantizedMatrix) -> [Int64] {
        guard let low = m.lowWeights else { return m.weights.map { Int64($0) } }
        return zip(m.weights, low).map { 256 * Int64($0) + Int64($1) }
    }

    /// One token's quantization in the circuit.
    struct QuantizedToken {
        let values: [IntSignal]
        let mantissa: IntSignal
        /// One-hot of the exponent e ∈ [0, 24].
        let exponent: [IntSignal]
    }

    /// `quantizeToken` (specs/kernel.md §3.3) checked in the circuit (specs/groth16.md §8.5).
    static func quantizeToken(
        _ c: inout IntegerCircuit, z: [IntSignal], magnitudes a: [IntSignal], kernel q: QuantizedActivations,
        token: Int
    ) -> QuantizedToken {
        let width = z.count
        let amax = Int128(q.amax)
        // m = max |z_i|: m − a_i ≥ 0 for all i, and Π (m − a_i) = 0.
        let m = c.witness(a.map(\.value).max() ?? 0)
        for ai in a { c.rangeCheck(m - ai, bits: 32) }
        c.enforceProductIsZero(a.map { m - $0 })
        let zeroFlag = c.isZero(m)
        let e = Int(q.exponents[token])
        let flags = c.oneHot(count: 25, index: e)
        let pe = IntSignal.sum(flags.enumerated().map { ($1, Int128(1) << Int128($0)) })
        let mant = c.witness(Int128(q.mantissas[token]))
        c.rangeCheck(mant, bits: 9)
        c.rangeCheck(256 - mant, bits: 9)
        // mant = ceil(m / 2^e): 0 ≤ mant·2^e − m ≤ 2^e − 1.
        let d = c.product(mant, pe)
        c.rangeCheck(d - m, bits: 32)
        c.rangeCheck(pe - 1 - (d - m), bits: 32)
        // e = max(0, bitLength(m) − 8): m < 2^(e+8), and m ≥ 2^(e+7) unless e = 0.
        c.rangeCheck(256 * pe - 1 - m, bits: 33)
        c.rangeCheck(c.product(1 - flags[0], m - 128 * pe), bits: 32)
        // q_i = divRound(Amax·z_i, D): 2·Amax·z_i + D = 2D·q_i + r_i, 0 ≤ r_i < 2D; q_i = 0 when m = 0.
        var values: [IntSignal] = []
        for i in 0..<width {
            let qi = c.witness(Int128(q.values[token * width + i]))
            let numerator = 2 * amax * z[i] + d
            let r = c.witness(numerator.value - 2 * d.value * qi.value)
            c.builder.enforce((2 * d).lc, times: qi.lc, equals: (numerator - r).lc)
            c.rangeCheck(qi + amax, bits: q.bits)
            c.rangeCheck(r, bits: 34)
            c.rangeCheck(2 * d - 1 - r + zeroFlag, bits: 34)
            c.builder.enforce(qi.lc, times: zeroFlag.lc, equals: .zero)
            values.append(qi)
        }
        return QuantizedToken(values: values, mantissa: mant, exponent: flags)
    }

    /// `sat32(mulRoundShift(acc, mant·M, sh − e))` (specs/kernel.md §5.1) with e chosen by the
    /// token's one-hot: divisor `A`, left-shift factor `L` and half `H` are linear in the flags
    /// (specs/groth16.md §8.6).
    static func requantize(
        _ c: inout IntegerCircuit, _ acc: IntSignal, token: QuantizedToken, scale: DyadicMultiplier
    ) -> IntSignal {
        let multiplier = Int128(scale.multiplier)
        let shifts = (0..<token.exponent.count).map { Int(scale.shift) - $0 }
        let divisor = IntSignal.sum(
            zip(token.exponent, shifts).map { ($0, $1 >= 1 ? Int128(1) << Int128($1) : 1) })
        let left = IntSignal.sum(
            zip(token.exponent, shifts).map { ($0, $1 <= 0 ? Int128(1) << Int128(-$1) : 1) })
        let half = IntSignal.sum(
            zip(token.exponent, shifts).map { ($0, $1 >= 1 ? Int128(1) << Int128($1 - 1) : 0) })
        let product = c.product(acc, token.mantissa)
        var x = product * multiplier
        if shifts.contains(where: { $0 < 0 }) { x = c.product(x, left) }
        // x + H = A·y + r, 0 ≤ r < A.
        let remainderBits = max(0, shifts.max() ?? 0)
        let y = c.witness(floorDiv(x.value + half.value, divisor.value))
        let r = c.witness(x.value + half.value - divisor.value * y.value)
        c.builder.enforce(divisor.lc, times: y.lc, equals: (x + half - r).lc)
        c.rangeCheck(r, bits: remainderBits)
        c.rangeCheck(divisor - 1 - r, bits: remainderBits)
        // Honest |x| < 2^70 · 2^40; |y| ≤ |x|/A + 1.
        let xBits = 71 + max(0, -(shifts.min() ?? 0))
        let yBits = xBits - max(0, min(shifts.min() ?? 0, 126)) + 1
        return c.saturate32(y, bound: yBits)
    }

    /// `lut(x)` (specs/kernel.md §5.4) for a saturated Q16 `x` (specs/groth16.md §8.7): flags
    /// for below −16 and from 16, the index split as 32·h + l with one-hots for h ∈ [0, 64) and
    /// l ∈ [0, 32), the interpolation's rounding as a range-checked remainder.
    static func lookup(_ c: inout IntegerCircuit, _ x: IntSignal, table: [Int32]) -> IntSignal {
        let edge = Int128(1) << 20
        let below = c.boolean(x.value < -edge)
        let above = c.boolean(x.value >= edge)
        let bx = c.product(below, x)
        let ax = c.product(above, x)
        // below = 1: x ≤ −2^20 − 1; below = 0: x ≥ −2^20.
        c.rangeCheck(x + edge - 2 * bx - below * (2 * edge + 1), bits: 33)
        // above = 1: x ≥ 2^20; above = 0: x ≤ 2^20 − 1.
        c.rangeCheck(2 * ax - above * (2 * edge - 1) + edge - 1 - x, bits: 33)
        let middle = IntSignal.constant(1) - below - above
        let u = c.product(middle, x + edge)  // x + 2^20 in the table's range, else 0
        let index = Int(u.value >> 10)
        let f = c.witness(u.value & 1023)
        c.rangeCheck(f, bits: 10)
        let high = c.oneHot(count: 64, index: index >> 5)
        let low = c.oneHot(count: 32, index: index & 31)
        let h = IntSignal.sum(high.enumerated().map { ($1, Int128($0)) })
        let l = IntSignal.sum(low.enumerated().map { ($1, Int128($0)) })
        c.enforceZero(u - 1024 * (32 * h + l) - f)
        var entry = IntSignal.constant(0)
        var next = IntSignal.constant(0)
        for hi in 0..<64 {
            let row = IntSignal.sum((0..<32).map { (low[$0], Int128(table[32 * hi + $0])) })
            let rowNext = IntSignal.sum((0..<32).map { (low[$0], Int128(table[32 * hi + $0 + 1])) })
            entry = entry + c.product(high[hi], row)
            next = next + c.product(high[hi], rowNext)
        }
        // roundShift((T[i+1] − T[i])·f, 10) = w with (d·f) + 512 = 1024·w + rr, 0 ≤ rr < 1024.
        let df = c.product(next - entry, f)
        let w = c.witness(floorDiv(df.value + 512, 1024))
        let rr = c.witness(df.value + 512 - 1024 * w.value)
        c.enforceZero(df + 512 - 1024 * w - rr)
        c.rangeCheck(rr, bits: 10)
        c.rangeCheck(w + (1 << 20), bits: 21)
        return c.product(middle, entry + w) + ax
    }

    static func floorDiv(_ a: Int128, _ b: Int128) -> Int128 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
