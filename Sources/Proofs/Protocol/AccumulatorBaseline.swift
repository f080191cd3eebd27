import Kernel

/// The accumulator a verifier derives from a layer's claimed output (specs/proofs.md §5.3).
///
/// When a GEMM's dense tail is `y = sat32(sat32(roundShift(acc·c, s)) (+ bias) (+ residual))`
/// with no table, and `y` is the layer's output Y, the accumulator is pinned by Y up to the
/// rounding: if nothing saturates, `roundShift(acc·c, s) = y0 := y − residual − bias`, i.e.
/// `acc ∈ [⌈(y0·2^s − 2^(s−1)) / c⌉, …)`, an interval `2^s / c` wide. The baseline is its
/// left end; a proof then carries only `acc − baseline` per entry, which is 0 whenever
/// `2^s ≤ c` and otherwise below `⌈2^s / c⌉` (the step depends on the token scale). The baseline is a convenience of the encoding,
/// not a claim: the verifier still runs the layer on `baseline + entry` and checks Y and the
/// sumcheck, so a wrong baseline can only make an honest proof wider, never a false one valid.
enum AccumulatorBaseline {
    /// Largest shift `s = sh_o − e_t` the baseline is derived for; other entries get 0.
    /// `|y0·2^s| < 3·2^31·2^62 < 2^95`, so the numerator fits in 128 bits.
    static let maxShift = 62

    /// The baseline of §5.3 for every entry, row-major `[T, N]`.
    ///
    /// Per entry: `y0 = y[t][o] − residual[t][o] − bias[o]` (absent terms 0, exact in Int64),
    /// `c = mant_t · M_o`, `s = sh_o − e_t`; if `c > 0` and `1 ≤ s ≤ 62`, the baseline is
    /// `⌈(y0·2^s − 2^(s−1)) / c⌉` clamped to `[−bound, bound]`, else 0.
    ///
    /// - Parameters:
    ///   - output: the stage's claimed output `y`, `[T, N]`.
    ///   - residual: the residual added last, `[T, N]`, if the tail has one.
    ///   - bias: the Q16 bias `[N]`, if the tail has one.
    ///   - activations: the GEMM's quantized input (its per-token scales `mant_t`, `e_t`).
    ///   - scales: the matrix's output scales `(M_o, sh_o)`.
    ///   - bound: the GEMM bound `K·Amax·Wmax < 2^46` (§5.1).
    static func derive(
        output: [Int32], residual: [Int32]?, bias: [Int32]?, activations: QuantizedActivations,
        scales: [DyadicMultiplier], bound: Int64
    ) -> [Int64] {
        let tokens = activations.tokens
        let n = scales.count
        precondition(output.count == tokens * n && (residual?.count ?? output.count) == output.count)
        var out = [Int64](repeating: 0, count: output.count)
        // Per row: M_o, sh_o, the bias and 2^sh_o / M_o; per token 2^−e_t / mant_t. The two
        // factors' product is 2^s / c.
        let multipliers = scales.map { Int64($0.multiplier) }
        let shifts = scales.map { Int($0.shift) }
        let biases = bias.map { $0.map(Int64.init) } ?? [Int64](repeating: 0, count: n)
        let rowFactor = scales.map {
            Double(sign: .plus, exponent: Int($0.shift), significand: 1) / Double($0.multiplier)
        }
        output.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { acc in
                for t in 0..<tokens {
                    let mant = Int64(activations.mantissas[t])
                    guard mant > 0 else { continue }  // an all-zero token: c = 0
                    let e = Int(activations.exponents[t])
                    let tokenFactor = Double(sign: .plus, exponent: -e, significand: 1) / Double(mant)
                    for o in 0..<n {
                        let s = shifts[o] - e
                        let c = mant * multipliers[o]
                        guard c > 0, s >= 1, s <= maxShift else { continue }
                        let i = t &* n &+ o
                        let y0 = Int64(y[i]) - Int64(residual?[i] ?? 0) - biases[o]
                        acc[i] = ceilingQuotient(
                            y0, shift: s, divisor: c,
                            estimate: (Double(y0) - 0.5) * rowFactor[o] * tokenFactor,
                            bound: bound)
                    }
                }
            }
        }
        return out
    }

    /// `clamp(⌈(y0·2^s − 2^(s−1)) / c⌉, −bound, bound)` exactly, for `|y0| < 2^34`,
    /// `1 ≤ s ≤ 62`, `0 < c < 2^31`, `bound < 2^48`, given `estimate`, a double-precision value
    /// of the quotient within relative error 2^−50.
    ///
    /// The estimate settles every quotient beyond `2^50` in magnitude, which the clamp maps to
    /// `±bound`. Otherwise its floor is within 2 of the ceiling, and the exact answer is the
    /// `q` with `0 ≤ q·c − numerator < c`: that difference is below `2^34` in magnitude, so it
    /// is exact in wrapping 64-bit arithmetic although the numerator may need 95 bits.
    @inline(__always)
    static func ceilingQuotient(_ y0: Int64, shift s: Int, divisor c: Int64, estimate: Double, bound: Int64)
        -> Int64
    {
        if estimate > 0x1p50 { return bound }
        if estimate < -0x1p50 { return -bound }
        let numerator = (y0 &<< s) &- (Int64(1) << (s - 1))  // mod 2^64
        var q = Int64(estimate.rounded(.down))
        var difference = q &* c &- numerator
        while difference < 0 {
            q += 1
            difference += c
        }
        while difference >= c {
            q -= 1
            difference -= c
        }
        return min(max(q, -bound), bound)
    }
}
