/// Rotary position embedding on Q16 head vectors (specs/kernel.md §5.6).
public enum Rope {
    /// Rotates every head of every token in place.
    ///
    /// - Parameters:
    ///   - x: Q16 `[tokens, heads * table.headDim]`.
    ///   - startPosition: absolute position of token 0; token `t` uses `startPosition + t`.
    /// - Throws: `.wrongShape`; `.sequenceTooLong` if a position is beyond the table.
    public static func apply(
        _ x: inout [Int32], tokens: Int, heads: Int, startPosition: Int, table: RopeTable,
        style: RopeStyle
    ) throws(KernelError) {
        let d = table.headDim
        let half = d / 2
        guard x.count == tokens * heads * d else {
            throw .wrongShape(what: "rope input", got: [x.count], want: [tokens * heads * d])
        }
        guard startPosition >= 0, startPosition + tokens <= table.positions else {
            throw .sequenceTooLong(positions: startPosition + tokens, maxPositions: table.positions)
        }
        for t in 0..<tokens {
            let p = startPosition + t
            for h in 0..<heads {
                let base = (t * heads + h) * d
                for i in 0..<half {
                    let (ia, ib) =
                        style == .interleaved ? (base + 2 * i, base + 2 * i + 1) : (base + i, base + i + half)
                    let a = Int64(x[ia])
                    let b = Int64(x[ib])
                    let c = Int64(table.cos[p * half + i])
                    let s = Int64(table.sin[p * half + i])
                    x[ia] = FixedPoint.saturate32(FixedPoint.roundShift(a * c - b * s, 30))
                    x[ib] = FixedPoint.saturate32(FixedPoint.roundShift(a * s + b * c, 30))
                }
            }
        }
    }
}
