import CKernelSIMD

/// Keys and values of one layer for positions `[0, count)` (specs/kernel.md §5.5). Keys are
/// kept as `norm16` vectors (int16 values and a shift per position and kv head), values as Q16.
public struct LayerKVCache: Sendable {
    public let kvHeads: Int
    public let headDim: Int
    /// Positions stored.
    public private(set) var count: Int = 0
    /// `[count, kvHeads, headDim]` int16 `k'`.
    public private(set) var keys: [Int16] = []
    /// `[count, kvHeads]` shift `e_k`.
    public private(set) var keyShifts: [Int32] = []
    /// `[count, kvHeads * headDim]` Q16 values.
    public private(set) var values: [Int32] = []

    public init(kvHeads: Int, headDim: Int) {
        self.kvHeads = kvHeads
        self.headDim = headDim
    }

    /// Appends `tokens` positions of Q16 keys (after RoPE) and values, `[tokens, kvHeads * headDim]`.
    public mutating func append(keys k: [Int32], values v: [Int32], tokens: Int) throws(KernelError) {
        let w = kvHeads * headDim
        guard k.count == tokens * w, v.count == tokens * w else {
            throw .wrongShape(what: "kv append", got: [k.count, v.count], want: [tokens * w, tokens * w])
        }
        for t in 0..<tokens {
            for g in 0..<kvHeads {
                let (vals, e) = Attention.norm16(k, offset: t * w + g * headDim, count: headDim)
                keys.append(contentsOf: vals)
                keyShifts.append(e)
            }
        }
        values.append(contentsOf: v)
        count += tokens
    }
}

/// Integer attention with grouped KV heads (§5.5).
public enum Attention {
    /// `norm16(v)`: `e = max(0, bitLength(max|v|) - 15)`, `v' = v >> e` (|v'| < 2^15).
    public static func norm16(_ v: [Int32], offset: Int, count: Int) -> ([Int16], Int32) {
        var m: Int64 = 0
        for i in 0..<count { m = max(m, Int64(v[offset + i].magnitude)) }
        let e = max(0, FixedPoint.bitLength(m) - 15)
        return ((0..<count).map { Int16(truncatingIfNeeded: v[offset + $0] >> Int32(e)) }, Int32(e))
    }

    /// The score factor `dyadic(1 / (sqrt(D) * 65536))` (§5.5).
    public static func scoreScale(headDim: Int) -> DyadicMultiplier {
        // 2^-16 / sqrt(D) is far inside the dyadic range for D in [2, 256].
        (try? DyadicMultiplier(factor: 1.0 / (Double(headDim).squareRoot() * 65536.0)))
            ?? .zero
    }

    /// Attends `tokens` queries (absolute positions `startPosition + t`) over `cache`; each
    /// (token, head) runs in C (`mesh_attention_head`), split over `threads`.
    ///
    /// - Parameters:
    ///   - queries: Q16 `[tokens, heads * headDim]` (after RoPE for llama).
    ///   - causal: query `t` sees keys `j <= startPosition + t`; otherwise all cached keys.
    /// - Returns: Q16 `[tokens, heads * headDim]`.
    public static func attend(
        queries: [Int32], tokens: Int, startPosition: Int, cache: LayerKVCache, heads: Int,
        causal: Bool, threads: Int = 1
    ) throws(KernelError) -> [Int32] {
        try check(queries: queries, tokens: tokens, startPosition: startPosition, cache: cache, heads: heads)
        let d = cache.headDim
        let g = cache.kvHeads
        guard d <= 256, d >= 1, tokens * heads >= 1 else {
            return try attendReference(
                queries: queries, tokens: tokens, startPosition: startPosition, cache: cache, heads: heads,
                causal: causal, threads: threads)
        }
        let qw = heads * d
        let scale = scoreScale(headDim: d)
        let group = heads / g
        var out = [Int32](repeating: 0, count: tokens * qw)
        queries.withUnsafeBufferPointer { qb in
            cache.keys.withUnsafeBufferPointer { kb in
                cache.keyShifts.withUnsafeBufferPointer { sb in
                    cache.values.withUnsafeBufferPointer { vb in
                        Tables.exp.withUnsafeBufferPointer { xb in
                            out.withUnsafeMutableBufferPointer { ob in
                                let qp = SendablePointer(
                                    base: UnsafeMutablePointer(mutating: qb.baseAddress!))
                                let kp = SendablePointer(
                                    base: UnsafeMutablePointer(mutating: kb.baseAddress!))
                                let sp = SendablePointer(
                                    base: UnsafeMutablePointer(mutating: sb.baseAddress!))
                                let vp = SendablePointer(
                                    base: UnsafeMutablePointer(mutating: vb.baseAddress!))
                                let xp = SendablePointer(
                                    base: UnsafeMutablePointer(mutating: xb.baseAddress!))
                                let op = SendablePointer(base: ob.baseAddress!)
                                parallelRanges(count: tokens * heads, threads: threads) { b, e in
                                    var scores = [Int64](repeating: 0, count: cache.count)
                                    for job in b..<e {
                                        let t = job / heads
                                        let h = job % heads
                                        let kv = h / group
                                        let visible = causal ? startPosition + t + 1 : cache.count
                                        mesh_attention_head(
                                            qp.base + t * qw + h * d, d, kp.base + kv * d, g * d,
                                            sp.base + kv, g,
                                            vp.base + kv * d, g * d, visible, scale.multiplier, scale.shift,
                                            xp.base, &scores, op.base + t * qw + h * d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    static func check(
        queries: [Int32], tokens: Int, startPosition: Int, cache: LayerKVCache, heads: Int
    ) throws(KernelError) {
        let qw = heads * cache.headDim
        guard cache.kvHeads >= 1, heads % cache.kvHeads == 0, queries.count == tokens * qw else {
            throw .wrongShape(what: "attention queries", got: [queries.count], want: [tokens * qw])
        }
        guard startPosition >= 0, startPosition + tokens <= cache.count else {
            throw .wrongShape(
                what: "attention cache positions", got: [cache.count], want: [startPosition + tokens])
        }
    }

    /// The Swift reference of `attend` (same contract; the C path is checked against it).
    static func attendReference(
        queries: [Int32], tokens: Int, startPosition: Int, cache: LayerKVCache, heads: Int,
        causal: Bool, threads: Int = 1
    ) throws(KernelError) -> [Int32] {
        try check(queries: queries, tokens: tokens, startPosition: startPosition, cache: cache, heads: heads)
        let d = cache.headDim
        let g = cache.kvHeads
        let qw = heads * d
        let scale = scoreScale(headDim: d)
        let group = heads / g
        var out = [Int32](repeating: 0, count: tokens * qw)
        out.withUnsafeMutableBufferPointer { ob in
            let op = SendablePointer(base: ob.baseAddress!)
            parallelRanges(count: tokens * heads, threads: threads) { b, e in
                var scores = [Int64](repeating: 0, count: cache.count)
                var acc = [Int64](repeating: 0, count: d)
                for job in b..<e {
                    let t = job / heads
                    let h = job % heads
                    let kv = h / group
                    let (q, eq) = norm16(queries, offset: t * qw + h * d, count: d)
                    let visible = causal ? startPosition + t + 1 : cache.count
                    var mx = Int64.min
                    for j in 0..<visible {
                        let kb = (j * g + kv) * d
                        var dot: Int64 = 0
                        for i in 0..<d { dot &+= Int64(q[i]) &* Int64(cache.keys[kb + i]) }
                        let ek = Int(cache.keyShifts[j * g + kv])
                        let s = Int64(
                            FixedPoint.saturate32(
                                FixedPoint.roundShift(
                                    dot &* Int64(scale.multiplier), Int(scale.shift) - Int(eq) - ek)))
                        scores[j] = s
                        mx = max(mx, s)
                    }
                    var sum: Int64 = 0
                    for j in 0..<visible {
                        let ex = Nonlinearity.expq(mx - scores[j])
                        scores[j] = ex
                        sum += ex
                    }
                    let inv = (Int64(1) << 60) / sum
                    for i in 0..<d { acc[i] = 0 }
                    for j in 0..<visible {
                        let p = FixedPoint.roundShift(scores[j] &* inv, 45)
                        if p == 0 { continue }
                        let vb = j * g * d + kv * d
                        for i in 0..<d { acc[i] &+= p &* Int64(cache.values[vb + i]) }
                    }
                    let o = op.base + t * qw + h * d
                    for i in 0..<d { o[i] = FixedPoint.saturate32(FixedPoint.roundShift(acc[i], 15)) }
                }
            }
        }
        return out
    }
}
