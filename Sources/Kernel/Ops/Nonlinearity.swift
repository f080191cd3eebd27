/// Table nonlinearities applied by the dense primitive (specs/kernel.md §4.1, §5.4).
public enum ActivationFunction: String, Sendable, CaseIterable {
    case silu
    case gelu

    /// The 2049-entry Q16 table of §4.1.
    public var table: [Int32] {
        switch self {
        case .silu: return Tables.silu
        case .gelu: return Tables.gelu
        }
    }

    /// `lut(x)` of §5.4.
    public func apply(_ x: Int32) -> Int32 { Nonlinearity.lookup(x, table: table) }
}

/// Table interpolation primitives (§5.4, §5.5.1).
public enum Nonlinearity {
    /// `lut(x)` for Q16 `x` (§5.4): 0 below -16, identity from 16, else linear interpolation
    /// between `T[i]` and `T[i+1]` with `i = (x + 2^20) >> 10`, rounded by `roundShift(_, 10)`.
    @inlinable
    public static func lookup(_ x: Int32, table: [Int32]) -> Int32 {
        let lo: Int32 = -16 << 16
        if x < lo { return 0 }
        if x >= 16 << 16 { return x }
        let u = Int(x - lo)
        let i = u >> 10
        let f = Int64(u & 1023)
        let a = Int64(table[i])
        let b = Int64(table[i + 1])
        return Int32(a + FixedPoint.roundShift((b - a) * f, 10))
    }

    /// `expq(d)` for Q16 `d >= 0` (§5.5.1): Q30 `e^(-d / 2^16)`, 0 from `d >= 16`.
    @inlinable
    public static func expq(_ d: Int64) -> Int64 {
        if d >= 16 << 16 { return 0 }
        let i = Int(d >> 10)
        let f = d & 1023
        let a = Int64(Tables.exp[i])
        let b = Int64(Tables.exp[i + 1])
        return a + FixedPoint.roundShift((b - a) * f, 10)
    }
}
