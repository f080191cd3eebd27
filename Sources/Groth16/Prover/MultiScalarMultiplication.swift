/// `Σ kᵢ·Pᵢ` by Pippenger's bucket method (specs/groth16.md §7.5): scalars are cut into c-bit
/// windows; in each window every point is added once to the bucket of its digit, and the
/// buckets are summed with the running-sum trick (`Σ d·B_d` in 2·2^c additions). Cost about
/// `(254/c)·(n + 2^(c+1))` additions for n points, against `254·n/2` for double-and-add.
public enum MultiScalarMultiplication {
    /// `Σ scalars[i]·points[i]`. Precondition: equal counts (checked; mismatch traps — a
    /// programming error, never input). Scalars are canonical F_r elements.
    public static func multiply<F: CurveField>(_ points: [AffinePoint<F>], _ scalars: [Fr]) -> JacobianPoint<
        F
    > {
        precondition(points.count == scalars.count, "one scalar per point")
        let words = scalars.map(\.canonicalWords)
        let n = points.count
        guard n > 0 else { return .identity }
        let c = windowBits(for: n)
        let windows = (256 + c - 1) / c
        var result = JacobianPoint<F>.identity
        for w in stride(from: windows - 1, through: 0, by: -1) {
            for _ in 0..<c { result = result.doubled() }
            var buckets = [JacobianPoint<F>](repeating: .identity, count: (1 << c) - 1)
            let bit = w * c
            for i in 0..<n where !points[i].isIdentity {
                let d = digit(words[i], bit: bit, width: c)
                if d != 0 { buckets[d - 1] = buckets[d - 1].adding(points[i]) }
            }
            var running = JacobianPoint<F>.identity
            var sum = JacobianPoint<F>.identity
            for b in buckets.reversed() {
                running = running + b
                sum = sum + running
            }
            result = result + sum
        }
        return result
    }

    /// `k·P` for one point (double-and-add on the canonical scalar).
    public static func multiply<F: CurveField>(_ point: AffinePoint<F>, _ k: Fr) -> JacobianPoint<F> {
        JacobianPoint(point).multiplied(by: k.canonicalWords)
    }

    /// Window width: about ln n, at least 1, at most 16.
    static func windowBits(for n: Int) -> Int {
        var lg = 0
        while (1 << lg) < n { lg += 1 }
        return max(1, min(16, lg * 69 / 100 + 1))
    }

    /// Bits `[bit, bit + width)` of a 256-bit little-endian value.
    @inline(__always)
    static func digit(_ words: [UInt64], bit: Int, width: Int) -> Int {
        let limb = bit >> 6
        let offset = bit & 63
        guard limb < 4 else { return 0 }
        var v = words[limb] >> UInt64(offset)
        if offset + width > 64, limb + 1 < 4 { v |= words[limb + 1] << UInt64(64 - offset) }
        return Int(v & ((1 << UInt64(width)) - 1))
    }
}

/// Many multiples `kᵢ·G` of one fixed point with a table of `d·2^(c·w)·G` (c = 8): one mixed
/// addition per non-zero byte of each scalar, results made affine together.
public struct FixedBaseTable<F: CurveField>: Sendable {
    let rows: [[AffinePoint<F>]]

    public init(_ base: AffinePoint<F>) {
        var rows: [[AffinePoint<F>]] = []
        var windowBase = JacobianPoint(base)
        for _ in 0..<32 {
            var row: [JacobianPoint<F>] = [windowBase]
            for _ in 2..<256 { row.append(row[row.count - 1] + windowBase) }
            rows.append(JacobianPoint.batchAffine(row))
            windowBase = row[row.count - 1] + windowBase  // 256·windowBase
        }
        self.rows = rows
    }

    /// `k·G` for each k, affine.
    public func multiply(_ scalars: [Fr]) -> [AffinePoint<F>] {
        let out = scalars.map { k -> JacobianPoint<F> in
            var acc = JacobianPoint<F>.identity
            for (i, word) in k.canonicalWords.enumerated() {
                for byte in 0..<8 {
                    let d = Int((word >> UInt64(8 * byte)) & 0xff)
                    if d != 0 { acc = acc.adding(rows[8 * i + byte][d - 1]) }
                }
            }
            return acc
        }
        return JacobianPoint.batchAffine(out)
    }
}
