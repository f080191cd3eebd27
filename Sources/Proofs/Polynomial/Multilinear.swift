/// Multilinear extensions over the hypercube {0,1}^ℓ (specs/proofs.md §3).
///
/// Convention everywhere in this module: **index bit i = variable i**. A table `t` of length
/// 2^ℓ is the multilinear polynomial t~(x_0, …, x_{ℓ−1}) = Σ_idx eq(x, bits(idx))·t[idx] where
/// `bits(idx)_i = (idx >> i) & 1`. A row-major `rows × cols` matrix is a table indexed by
/// `row·2^ℓc + col` after zero-padding both dimensions to powers of two, so its variables are
/// the ℓc column bits first, then the ℓr row bits.
public enum Multilinear {
    /// The number of variables for a dimension of `size` entries: ⌈log2(size)⌉ (0 for size ≤ 1).
    public static func variableCount(_ size: Int) -> Int {
        size <= 1 ? 0 : Int.bitWidth - (size - 1).leadingZeroBitCount
    }

    /// The table eq(r, ·) of length 2^ℓ: `eq[idx] = Π_i (bit_i(idx) ? r_i : 1 − r_i)`.
    ///
    /// Costs 2^ℓ extension multiplications.
    public static func eqTable(_ point: [GoldilocksExt2]) -> [GoldilocksExt2] {
        var table = [GoldilocksExt2](repeating: .zero, count: 1 << point.count)
        table[0] = .one
        var size = 1
        for r in point {
            for j in 0..<size {
                let high = table[j] * r
                table[j + size] = high
                table[j] = table[j] - high
            }
            size <<= 1
        }
        return table
    }

    /// Evaluates the multilinear extension of `table` (zero-padded to 2^point.count) at `point`
    /// by folding variable 0 first. Requires `table.count ≤ 2^point.count`.
    public static func evaluate(_ table: [GoldilocksExt2], at point: [GoldilocksExt2]) -> GoldilocksExt2 {
        var current = table
        current += [GoldilocksExt2](repeating: .zero, count: (1 << point.count) - table.count)
        for r in point {
            current = fold(current, at: r)
        }
        return current.first ?? .zero
    }

    /// Binds variable 0 to `r`: `out[i] = t[2i] + r·(t[2i+1] − t[2i])`. Requires an even count.
    public static func fold(_ table: [GoldilocksExt2], at r: GoldilocksExt2) -> [GoldilocksExt2] {
        let half = table.count / 2
        var out = [GoldilocksExt2](repeating: .zero, count: half)
        for i in 0..<half {
            let a = table[2 * i]
            out[i] = a + r * (table[2 * i + 1] - a)
        }
        return out
    }
}
