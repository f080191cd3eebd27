import CKernelSIMD

/// Integer RMSNorm, LayerNorm and L2 normalisation (specs/kernel.md §5.2, §5.3, §5.10).
public enum Norms {
    static let cap: Int64 = 1 << 62

    /// `min(a * b, 2^62)` for `a, b >= 0`, without overflow.
    static func saturatingProduct(_ a: Int64, _ b: Int64) -> Int64 {
        let (p, o) = a.multipliedReportingOverflow(by: b)
        return (o || p > cap) ? cap : p
    }

    /// Shared tail of §5.2/§5.3: normalises `d` (already `n`-scaled for LayerNorm) and returns
    /// `sat32(divRound(y_i * g_i, r))` per channel, or `nil` when every `d_i` is 0.
    static func normalize(
        _ d: UnsafeBufferPointer<Int64>, gamma: [Int32], epsilon: Int64
    ) -> [Int32]? {
        let n = d.count
        var m: Int64 = 0
        for v in d { m = max(m, Int64(v.magnitude)) }
        if m == 0 { return nil }
        let s0 = FixedPoint.bitLength(m) - 23
        var ss: Int64 = 0
        var y = [Int64](repeating: 0, count: n)
        for i in 0..<n {
            let v = FixedPoint.shift(d[i], s0)
            y[i] = v
            ss &+= v &* v
        }
        let ms = ss / Int64(n)
        let v = min(ms + FixedPoint.roundShift(min(epsilon, cap), 2 * s0), cap)
        let r = FixedPoint.isqrt(v)
        var out = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            out[i] = FixedPoint.saturate32(FixedPoint.divRound(y[i] &* Int64(gamma[i]), r))
        }
        return out
    }

    /// RMSNorm of each token row (§5.2). `x` is Q16 `[tokens, width]`, `gamma.count == width`.
    /// Runs in C (`mesh_rmsnorm_rows`), tokens split between `threads` pool threads.
    ///
    /// - Parameters:
    ///   - epsilonQ32: `ModelConfig.normEpsilonQ32`.
    ///   - threads: the result does not depend on it.
    public static func rmsNorm(
        _ x: [Int32], width: Int, gamma: [Int32], epsilonQ32: Int64, threads: Int = 1
    ) throws(KernelError) -> [Int32] {
        guard width >= 1, gamma.count == width, x.count % width == 0 else {
            throw .wrongShape(what: "rmsnorm input", got: [x.count, gamma.count], want: [width, width])
        }
        guard epsilonQ32 >= 0, width <= ModelConfig.maxDimension, !x.isEmpty else {
            return rmsNormReference(x, width: width, gamma: gamma, epsilonQ32: epsilonQ32)
        }
        return [Int32](unsafeUninitializedCapacity: x.count) { out, count in
            x.withUnsafeBufferPointer { xb in
                gamma.withUnsafeBufferPointer { gb in
                    let rows = NormRows(
                        x: xb.baseAddress!, width: width, gamma: gb.baseAddress!, epsilonQ32: epsilonQ32,
                        out: out.baseAddress!)
                    parallelRanges(count: x.count / width, threads: threads) { rows.run($0, $1) }
                }
            }
            count = x.count
        }
    }

    /// `mesh_rmsnorm_rows` on tokens `[begin, end)`: what one pool task does.
    private struct NormRows: @unchecked Sendable {
        let x: UnsafePointer<Int32>
        let width: Int
        let gamma: UnsafePointer<Int32>
        let epsilonQ32: Int64
        let out: UnsafeMutablePointer<Int32>

        func run(_ begin: Int, _ end: Int) {
            mesh_rmsnorm_rows(x + begin * width, end - begin, width, gamma, epsilonQ32, out + begin * width)
        }
    }

    /// The Swift reference of `rmsNorm` (shapes already checked; the C path, which needs
    /// `epsilonQ32 >= 0` and `width <= 2^16`, is checked against it).
    static func rmsNormReference(
        _ x: [Int32], width: Int, gamma: [Int32], epsilonQ32: Int64
    ) -> [Int32] {
        var out = [Int32](repeating: 0, count: x.count)
        var d = [Int64](repeating: 0, count: width)
        for t in 0..<(x.count / width) {
            for i in 0..<width { d[i] = Int64(x[t * width + i]) }
            if let z = d.withUnsafeBufferPointer({ normalize($0, gamma: gamma, epsilon: epsilonQ32) }) {
                for i in 0..<width { out[t * width + i] = z[i] }
            }
        }
        return out
    }

    /// LayerNorm of each token row (§5.3) with Q16 `gamma` and `beta`.
    public static func layerNorm(
        _ x: [Int32], width: Int, gamma: [Int32], beta: [Int32], epsilonQ32: Int64
    ) throws(KernelError) -> [Int32] {
        guard width >= 1, gamma.count == width, beta.count == width, x.count % width == 0 else {
            throw .wrongShape(what: "layernorm input", got: [x.count, gamma.count], want: [width, width])
        }
        let n = Int64(width)
        let eps = saturatingProduct(saturatingProduct(max(0, epsilonQ32), n), n)
        var out = [Int32](repeating: 0, count: x.count)
        var d = [Int64](repeating: 0, count: width)
        for t in 0..<(x.count / width) {
            var s: Int64 = 0
            for i in 0..<width { s += Int64(x[t * width + i]) }
            for i in 0..<width { d[i] = n * Int64(x[t * width + i]) - s }
            let z = d.withUnsafeBufferPointer { normalize($0, gamma: gamma, epsilon: eps) }
            for i in 0..<width {
                let base = z.map { Int64($0[i]) } ?? 0
                out[t * width + i] = FixedPoint.saturate32(base + Int64(beta[i]))
            }
        }
        return out
    }

    /// Applies the norm weights: RMSNorm when `beta == nil`, else LayerNorm.
    public static func apply(
        _ x: [Int32], width: Int, weights: NormWeights, epsilonQ32: Int64
    ) throws(KernelError) -> [Int32] {
        if let beta = weights.beta {
            return try layerNorm(x, width: width, gamma: weights.gamma, beta: beta, epsilonQ32: epsilonQ32)
        }
        return try rmsNorm(x, width: width, gamma: weights.gamma, epsilonQ32: epsilonQ32)
    }

    /// Mean pooling over tokens then L2 normalisation to a Q16 unit vector (§5.10).
    public static func meanPoolL2(_ h: [Int32], tokens: Int, width: Int) throws(KernelError) -> [Int32] {
        guard tokens >= 1, width >= 1, h.count == tokens * width else {
            throw .wrongShape(what: "pooling input", got: [h.count], want: [tokens * width])
        }
        var p = [Int64](repeating: 0, count: width)
        for i in 0..<width {
            var s: Int64 = 0
            for t in 0..<tokens { s += Int64(h[t * width + i]) }
            p[i] = FixedPoint.divRound(s, Int64(tokens))
        }
        var m: Int64 = 0
        for v in p { m = max(m, Int64(v.magnitude)) }
        if m == 0 { return [Int32](repeating: 0, count: width) }
        let s0 = FixedPoint.bitLength(m) - 23
        var ss: Int64 = 0
        let y = p.map { FixedPoint.shift($0, s0) }
        for v in y { ss += v * v }
        let r = FixedPoint.isqrt(ss)
        return y.map { FixedPoint.saturate32(FixedPoint.divRound($0 * 65536, r)) }
    }
}
