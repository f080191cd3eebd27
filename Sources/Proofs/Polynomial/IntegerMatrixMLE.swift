/// Multilinear evaluation of small-integer matrices with lazy reduction (specs/proofs.md §3.2).
///
/// An eq table entry e ∈ F_{p^2} has two canonical 64-bit coordinates; each is split into
/// 32-bit limbs. For entries of at most 16 bits, `v + 2^(b−1)` (b = bit width) is a value in
/// [0, 2^16) and each product with a limb is below 2^48, so up to 2^15 products add up in a
/// `UInt64` without overflow; the sum is reduced modulo p once per row. The offset is removed
/// afterwards by subtracting `2^(b−1)·Σ e`. The result equals the plain field sum exactly.
public enum IntegerMatrixMLE {
    /// The largest row or column count the lazy paths accept (sums stay below 2^63).
    public static let maxDimension = 1 << 15

    /// The 32-bit limbs of an eq table.
    struct Limbs {
        var lo0: [UInt32]
        var hi0: [UInt32]
        var lo1: [UInt32]
        var hi1: [UInt32]

        init(_ eq: [GoldilocksExt2], count: Int) {
            lo0 = [UInt32](repeating: 0, count: count)
            hi0 = lo0
            lo1 = lo0
            hi1 = lo0
            for i in 0..<count {
                lo0[i] = UInt32(truncatingIfNeeded: eq[i].c0.value)
                hi0[i] = UInt32(truncatingIfNeeded: eq[i].c0.value >> 32)
                lo1[i] = UInt32(truncatingIfNeeded: eq[i].c1.value)
                hi1[i] = UInt32(truncatingIfNeeded: eq[i].c1.value >> 32)
            }
        }
    }

    /// `(hi·2^32 + lo) mod p` for 64-bit `hi`, `lo`.
    @inline(__always)
    static func combine(hi: UInt64, lo: UInt64) -> Goldilocks {
        Goldilocks(hi) * Goldilocks(1 << 32) + Goldilocks(lo)
    }

    /// Evaluates the MLE of the row-major `rows × cols` matrix `values` at (`colPoint`, `rowPoint`):
    /// Σ_row eq(rowPoint, row) · Σ_col eq(colPoint, col) · values[row·cols + col].
    ///
    /// Preconditions (checked by callers that take untrusted sizes): `values.count == rows·cols`,
    /// `cols ≤ 2^colPoint.count`, `rows ≤ 2^rowPoint.count`, `cols ≤ maxDimension`.
    public static func evaluate<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, colPoint: [GoldilocksExt2], rowPoint: [GoldilocksExt2]
    ) -> GoldilocksExt2 {
        let eqCol = Multilinear.eqTable(colPoint)
        let eqRow = Multilinear.eqTable(rowPoint)
        if V.bitWidth > 16 {
            return evaluateWide(values, rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow)
        }
        let limbs = Limbs(eqCol, count: cols)
        let offset = Int64(1) << (V.bitWidth - 1)
        var colSum = GoldilocksExt2.zero
        for c in 0..<cols { colSum += eqCol[c] }
        let correction = colSum * Goldilocks(UInt64(offset))
        var total = GoldilocksExt2.zero
        let offset32 = Int32(offset)
        values.withUnsafeBufferPointer { v in
            limbs.lo0.withUnsafeBufferPointer { l0 in
                limbs.hi0.withUnsafeBufferPointer { h0 in
                    limbs.lo1.withUnsafeBufferPointer { l1 in
                        limbs.hi1.withUnsafeBufferPointer { h1 in
                            for r in 0..<rows {
                                let base = r * cols
                                var a0: UInt64 = 0
                                var a1: UInt64 = 0
                                var a2: UInt64 = 0
                                var a3: UInt64 = 0
                                for c in 0..<cols {
                                    // u < 2^16, limb < 2^32: each product < 2^48 (32×32→64 multiplies).
                                    let u = UInt64(
                                        UInt32(bitPattern: Int32(truncatingIfNeeded: v[base + c]) &+ offset32)
                                    )
                                    a0 &+= u &* UInt64(l0[c])
                                    a1 &+= u &* UInt64(h0[c])
                                    a2 &+= u &* UInt64(l1[c])
                                    a3 &+= u &* UInt64(h1[c])
                                }
                                let rowValue =
                                    GoldilocksExt2(combine(hi: a1, lo: a0), combine(hi: a3, lo: a2))
                                    - correction
                                total += eqRow[r] * rowValue
                            }
                        }
                    }
                }
            }
        }
        return total
    }

    /// Σ_row eq(rowPoint, row) · values[row·cols + col] for every column: a vector of length
    /// 2^colVariables (zero beyond `cols`). Same preconditions as `evaluate`, with
    /// `rows ≤ maxDimension`.
    public static func foldRows<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, rowPoint: [GoldilocksExt2], colVariables: Int
    ) -> [GoldilocksExt2] {
        let eqRow = Multilinear.eqTable(rowPoint)
        var out = [GoldilocksExt2](repeating: .zero, count: 1 << colVariables)
        if V.bitWidth > 16 {
            for r in 0..<rows {
                let e = eqRow[r]
                for c in 0..<cols {
                    out[c] += e * Goldilocks(signed: Int64(values[r * cols + c]))
                }
            }
            return out
        }
        let limbs = Limbs(eqRow, count: rows)
        let offset = Int64(1) << (V.bitWidth - 1)
        var rowSum = GoldilocksExt2.zero
        for r in 0..<rows { rowSum += eqRow[r] }
        let correction = rowSum * Goldilocks(UInt64(offset))
        var a0 = [UInt64](repeating: 0, count: cols)
        var a1 = a0
        var a2 = a0
        var a3 = a0
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let l0 = UInt64(limbs.lo0[r])
                let h0 = UInt64(limbs.hi0[r])
                let l1 = UInt64(limbs.lo1[r])
                let h1 = UInt64(limbs.hi1[r])
                let base = r * cols
                for c in 0..<cols {
                    let u = UInt64(truncatingIfNeeded: Int64(v[base + c]) &+ offset)
                    a0[c] &+= u &* l0
                    a1[c] &+= u &* h0
                    a2[c] &+= u &* l1
                    a3[c] &+= u &* h1
                }
            }
        }
        for c in 0..<cols {
            out[c] = GoldilocksExt2(combine(hi: a1[c], lo: a0[c]), combine(hi: a3[c], lo: a2[c])) - correction
        }
        return out
    }

    static func evaluateWide<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, eqCol: [GoldilocksExt2], eqRow: [GoldilocksExt2]
    ) -> GoldilocksExt2 {
        var total = GoldilocksExt2.zero
        for r in 0..<rows {
            var rowValue = GoldilocksExt2.zero
            for c in 0..<cols {
                rowValue += eqCol[c] * Goldilocks(signed: Int64(values[r * cols + c]))
            }
            total += eqRow[r] * rowValue
        }
        return total
    }
}
