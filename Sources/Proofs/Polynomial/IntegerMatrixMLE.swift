import Kernel

/// Multilinear evaluation of integer matrices with lazy 128-bit reduction (specs/proofs.md §3.2).
///
/// `M~(c, r) = Σ_row eq(r, row) · Σ_col eq(c, col) · M[row][col]`. Each entry `v` is shifted
/// to `u = v + o ≥ 0` by an offset `o` (`2^(b−1)` for b-bit entries), and each coordinate of
/// `eq(c, col)` (a canonical 64-bit value) is multiplied by `u` exactly in 128 bits and added
/// into a 128-bit sum (`UInt128`) without reduction. With `u < 2^48`,
/// a coordinate `< 2^64` and at most `2^15` terms, a row sum stays below `2^127`: it is reduced
/// modulo p once per row (and coordinate). The offset is removed once at the end by subtracting
/// `o · (Σ_col eq(c, col)) · (Σ_row eq(r, row))`. The result equals the plain field sum exactly.
public enum IntegerMatrixMLE {
    /// The largest row or column count the lazy paths accept (keeps every 128-bit sum below
    /// 2^127, §3.2).
    public static let maxDimension = 1 << 15

    /// The largest offset a lazy path uses: entries must satisfy `|v| ≤ 2^47`.
    static let maxOffsetBits = 47

    /// An unsigned 128-bit sum of products `u·e` (`u < 2^48`, `e < 2^64`), each exact.
    ///
    /// Precondition (the callers' dimension limit): at most `2^15` products, so the sum stays
    /// below `2^127`; `&+` is used, so a violation wraps instead of trapping. (`UInt128`
    /// compiles to one 64×64→128-bit multiply and an add/adc pair, with no branch on the carry;
    /// it needs macOS 15, older systems take the slower exact paths.)
    @available(macOS 15.0, *)
    struct Sum128 {
        var value: UInt128 = 0

        /// Adds `u·e`, computed exactly in 128 bits.
        @inline(__always)
        mutating func add(_ u: UInt64, times e: UInt64) {
            value &+= UInt128(u) &* UInt128(e)
        }

        /// The high and low 64 bits.
        var hi: UInt64 { UInt64(truncatingIfNeeded: value >> 64) }
        var lo: UInt64 { UInt64(truncatingIfNeeded: value) }

        /// The sum modulo p.
        @inline(__always)
        var reduced: Goldilocks { Goldilocks.reduce128(hi: hi, lo: lo) }
    }

    /// `Σ_i eq[i]` over the first `count` entries.
    static func prefixSum(_ eq: [GoldilocksExt2], _ count: Int) -> GoldilocksExt2 {
        var s = GoldilocksExt2.zero
        for i in 0..<count { s += eq[i] }
        return s
    }

    /// The core loop: `Σ_row eqRow[row] · Σ_col eqCol[col] · u(row·cols + col) − o·ΣeqCol·ΣeqRow`
    /// where `u(i) = v_i + o` is supplied by `entry` (`0 ≤ u < 2^48`).
    @available(macOS 15.0, *)
    @inline(__always)
    static func evaluateShifted(
        rows: Int, cols: Int, eqCol: [GoldilocksExt2], eqRow: [GoldilocksExt2], offset: UInt64,
        entry: (Int) -> UInt64
    ) -> GoldilocksExt2 {
        var total = GoldilocksExt2.zero
        eqCol.withUnsafeBufferPointer { e in
            for r in 0..<rows {
                let base = r &* cols
                var s0 = Sum128()
                var s1 = Sum128()
                for c in 0..<cols {
                    let u = entry(base &+ c)
                    s0.add(u, times: e[c].c0.value)
                    s1.add(u, times: e[c].c1.value)
                }
                total += eqRow[r] * GoldilocksExt2(s0.reduced, s1.reduced)
            }
        }
        let correction = prefixSum(eqCol, cols) * prefixSum(eqRow, rows) * Goldilocks(offset)
        return total - correction
    }

    /// Evaluates the MLE of the row-major `rows × cols` matrix `values` at (`colPoint`, `rowPoint`):
    /// Σ_row eq(rowPoint, row) · Σ_col eq(colPoint, col) · values[row·cols + col].
    ///
    /// Exact for every input. Entries of at most 32 bits, and 64-bit entries in `[−2^47, 2^47)`
    /// (every decoded accumulator, §6), take the lazy path of §3.2; other 64-bit inputs a slower
    /// path with one field multiplication per entry.
    ///
    /// Preconditions (checked by callers that take untrusted sizes): `values.count == rows·cols`,
    /// `cols ≤ 2^colPoint.count`, `rows ≤ 2^rowPoint.count`, `cols ≤ maxDimension`.
    public static func evaluate<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, colPoint: [GoldilocksExt2], rowPoint: [GoldilocksExt2]
    ) -> GoldilocksExt2 {
        let eqCol = Multilinear.eqTable(colPoint)
        let eqRow = Multilinear.eqTable(rowPoint)
        let bits = min(V.bitWidth, maxOffsetBits + 1)
        let offset = Int64(1) << (bits - 1)
        guard #available(macOS 15.0, *) else {
            return evaluateWide(values, rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow)
        }
        if V.bitWidth > 32 {
            // Lazy path only for v in [−2^47, 2^47), i.e. u = v + 2^47 in [0, 2^48).
            let fits = values.allSatisfy {
                UInt64(bitPattern: Int64(truncatingIfNeeded: $0) &+ offset) < UInt64(1) << 48
            }
            if !fits { return evaluateWide(values, rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow) }
        }
        return values.withUnsafeBufferPointer { v in
            evaluateShifted(rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow, offset: UInt64(offset)) {
                UInt64(bitPattern: Int64(truncatingIfNeeded: v[$0]) &+ offset)
            }
        }
    }

    /// Evaluates the MLE of the matrix with entries `256·high + low` (16-bit weights stored as
    /// two int8 planes, specs/kernel.md §3.2; entries in `[−32896, 32639]`), same contract as
    /// `evaluate`. `u = 256·(high + 128) + (low + 128) = v + 32896` lies in `[0, 2^16)`.
    public static func evaluate(
        high: [Int8], low: [Int8], rows: Int, cols: Int, colPoint: [GoldilocksExt2],
        rowPoint: [GoldilocksExt2]
    ) -> GoldilocksExt2 {
        let eqCol = Multilinear.eqTable(colPoint)
        let eqRow = Multilinear.eqTable(rowPoint)
        guard #available(macOS 15.0, *) else {
            return evaluateWide(
                combined(high: high, low: low), rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow)
        }
        return high.withUnsafeBufferPointer { h in
            low.withUnsafeBufferPointer { l in
                evaluateShifted(rows: rows, cols: cols, eqCol: eqCol, eqRow: eqRow, offset: planeOffset) {
                    planeEntry(h[$0], l[$0])
                }
            }
        }
    }

    /// Evaluates the MLE of a kernel weight matrix (`256·hi + lo` for 16-bit weights, `hi`
    /// for 8-bit ones) at (`colPoint`, `rowPoint`) with the kernel's exact integer GEMM (§3.2):
    /// the eight bytes of each canonical coordinate of `eq(colPoint, col)` form the rows of a
    /// 16 × K unsigned byte matrix `L`; `L · Wᵀ` (exact int32 on every kernel path: at most
    /// `2^15 · 255 · 128 < 2^31`) gives, for each weight row, its 16 byte-weighted sums, which
    /// recombine exactly into the row's two coordinate sums `Σ_col e(col) · W[row][col]`
    /// (`Σ_j 2^(8j) · S_j`, below `2^94` in magnitude). The same value as `evaluate`, with the
    /// N·K multiply-adds on the GEMM's SIMD path instead of two 64×64→128-bit products each.
    ///
    /// - Parameter path: the GEMM path (the result does not depend on it).
    @available(macOS 15.0, *)
    public static func evaluate(
        weights m: QuantizedMatrix, colPoint: [GoldilocksExt2], rowPoint: [GoldilocksExt2],
        path: KernelPath = .auto
    ) throws(KernelError) -> GoldilocksExt2 {
        let k = m.cols
        let eqCol = Multilinear.eqTable(colPoint)
        let eqRow = Multilinear.eqTable(rowPoint)
        var limbs = [UInt8](repeating: 0, count: 16 * k)
        for c in 0..<k {
            let (e0, e1) = (eqCol[c].c0.value, eqCol[c].c1.value)
            for j in 0..<8 {
                limbs[j * k + c] = UInt8(truncatingIfNeeded: e0 >> UInt64(8 * j))
                limbs[(8 + j) * k + c] = UInt8(truncatingIfNeeded: e1 >> UInt64(8 * j))
            }
        }
        let options = ExecutionOptions(path: path, threads: 1)
        let high = try IntegerGemm.multiplyUnsigned(limbs, rows: 16, m, plane: .high, options: options)
        let low: [Int32]? =
            m.lowWeights == nil
            ? nil : try IntegerGemm.multiplyUnsigned(limbs, rows: 16, m, plane: .low, options: options)
        let n = m.rows
        var total = GoldilocksExt2.zero
        for r in 0..<n {
            var coordinates = (Int128(0), Int128(0))
            for j in 0..<8 {
                func sum(_ limb: Int) -> Int128 {
                    let i = limb * n + r
                    return low.map { 256 * Int128(high[i]) + Int128($0[i]) } ?? Int128(high[i])
                }
                coordinates.0 += sum(j) << (8 * j)
                coordinates.1 += sum(8 + j) << (8 * j)
            }
            total += eqRow[r] * GoldilocksExt2(field(coordinates.0), field(coordinates.1))
        }
        return total
    }

    /// `v mod p` for `|v| < 2^127`.
    @available(macOS 15.0, *)
    static func field(_ v: Int128) -> Goldilocks {
        let magnitude = v.magnitude
        let reduced = Goldilocks.reduce128(
            hi: UInt64(truncatingIfNeeded: magnitude >> 64), lo: UInt64(truncatingIfNeeded: magnitude))
        return v < 0 ? Goldilocks.zero - reduced : reduced
    }

    /// `256·128 + 128`: the offset that makes every two-plane entry non-negative.
    static let planeOffset: UInt64 = 32896

    /// `256·high + low + 32896` in `[0, 2^16)`.
    @inline(__always)
    static func planeEntry(_ high: Int8, _ low: Int8) -> UInt64 {
        UInt64(UInt8(bitPattern: high) ^ 0x80) << 8 | UInt64(UInt8(bitPattern: low) ^ 0x80)
    }

    /// `Σ_row eq(rowPoint, row) · M[row][col]` for every column, where `u(row·cols + col)` is
    /// supplied by `entry` as in `evaluateShifted`: a vector of length 2^colVariables (zero
    /// beyond `cols`). Requires `rows ≤ maxDimension`.
    @available(macOS 15.0, *)
    @inline(__always)
    static func foldShifted(
        rows: Int, cols: Int, rowPoint: [GoldilocksExt2], colVariables: Int, offset: UInt64,
        entry: (Int) -> UInt64
    ) -> [GoldilocksExt2] {
        let eqRow = Multilinear.eqTable(rowPoint)
        var s0 = [Sum128](repeating: Sum128(), count: cols)
        var s1 = s0
        s0.withUnsafeMutableBufferPointer { a0 in
            s1.withUnsafeMutableBufferPointer { a1 in
                for r in 0..<rows {
                    let e0 = eqRow[r].c0.value
                    let e1 = eqRow[r].c1.value
                    let base = r * cols
                    for c in 0..<cols {
                        let u = entry(base + c)
                        a0[c].add(u, times: e0)
                        a1[c].add(u, times: e1)
                    }
                }
            }
        }
        let correction = prefixSum(eqRow, rows) * Goldilocks(offset)
        var out = [GoldilocksExt2](repeating: .zero, count: 1 << colVariables)
        for c in 0..<cols { out[c] = GoldilocksExt2(s0[c].reduced, s1[c].reduced) - correction }
        return out
    }

    /// Σ_row eq(rowPoint, row) · values[row·cols + col] for every column: a vector of length
    /// 2^colVariables (zero beyond `cols`). Exact; same preconditions as `evaluate`, with
    /// `rows ≤ maxDimension` and `cols ≤ 2^colVariables`.
    public static func foldRows<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, rowPoint: [GoldilocksExt2], colVariables: Int
    ) -> [GoldilocksExt2] {
        guard #available(macOS 15.0, *), V.bitWidth <= 32 else {
            return foldWide(values, rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables)
        }
        let offset = Int64(1) << (V.bitWidth - 1)
        return values.withUnsafeBufferPointer { v in
            foldShifted(
                rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables,
                offset: UInt64(offset)
            ) { UInt64(bitPattern: Int64(truncatingIfNeeded: v[$0]) &+ offset) }
        }
    }

    /// `foldRows` for the two-plane matrix `256·high + low`.
    public static func foldRows(
        high: [Int8], low: [Int8], rows: Int, cols: Int, rowPoint: [GoldilocksExt2], colVariables: Int
    ) -> [GoldilocksExt2] {
        guard #available(macOS 15.0, *) else {
            return foldWide(
                combined(high: high, low: low), rows: rows, cols: cols, rowPoint: rowPoint,
                colVariables: colVariables)
        }
        return high.withUnsafeBufferPointer { h in
            low.withUnsafeBufferPointer { l in
                foldShifted(
                    rows: rows, cols: cols, rowPoint: rowPoint, colVariables: colVariables,
                    offset: planeOffset
                ) { planeEntry(h[$0], l[$0]) }
            }
        }
    }

    /// `256·high[i] + low[i]` for every entry.
    static func combined(high: [Int8], low: [Int8]) -> [Int32] {
        zip(high, low).map { 256 * Int32($0) + Int32($1) }
    }

    /// `foldRows` with one extension multiplication per entry (fallback for 64-bit entries).
    static func foldWide<V: FixedWidthInteger & SignedInteger>(
        _ values: [V], rows: Int, cols: Int, rowPoint: [GoldilocksExt2], colVariables: Int
    ) -> [GoldilocksExt2] {
        let eqRow = Multilinear.eqTable(rowPoint)
        var out = [GoldilocksExt2](repeating: .zero, count: 1 << colVariables)
        for r in 0..<rows {
            for c in 0..<cols {
                out[c] += eqRow[r] * Goldilocks(signed: Int64(values[r * cols + c]))
            }
        }
        return out
    }

    /// The plain field sum, one extension multiplication per entry (reference and fallback).
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
