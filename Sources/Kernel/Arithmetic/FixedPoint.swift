import CKernelSIMD

/// The integer primitives every kernel op is built from (specs/kernel.md §2).
///
/// All functions are total on their stated domains: no traps, no undefined behaviour. Signed
/// right shift `>>` on Swift integers is arithmetic, i.e. `x >> s == floor(x / 2^s)`.
public enum FixedPoint {
    /// Fraction bits of the residual stream and of every Q16 value (`real = int / 2^16`).
    public static let fractionBits = 16
    /// Largest value of a saturated 32-bit result: `2^31 - 1`. The range is symmetric,
    /// `[-(2^31 - 1), 2^31 - 1]`, so `abs` never overflows.
    public static let int32Bound: Int64 = 2_147_483_647

    /// `clamp(x, -(2^31 - 1), 2^31 - 1)` as `Int32` (specs/kernel.md §2.2 `sat32`).
    @inlinable @inline(__always)
    public static func saturate32(_ x: Int64) -> Int32 {
        Int32(truncatingIfNeeded: min(max(x, -int32Bound), int32Bound))
    }

    /// Rounding shift `roundShift(x, s)` (specs/kernel.md §2.1), the one rounding rule:
    /// - `1 <= s <= 62`: `(x + 2^(s-1)) >> s` — round half toward +∞.
    /// - `s >= 63`: `0` (the exact value of `floor(x / 2^s + 1/2)` for `|x| < 2^62`).
    /// - `s == 0`: `x`.
    /// - `s < 0`: `x * 2^(-s)` saturated to `[-2^62, 2^62]`.
    ///
    /// Precondition (checked by the callers' bounds, not here): `|x| < 2^62` so that
    /// `x + 2^(s-1)` cannot overflow; wrapping `&+` is used so a violation is defined behaviour.
    @inlinable @inline(__always)
    public static func roundShift(_ x: Int64, _ s: Int) -> Int64 {
        if s >= 63 { return 0 }  // exact: |x| < 2^62 <= 2^(s-1)
        if s >= 1 {
            return (x &+ (Int64(1) << (s - 1))) >> s
        }
        if s == 0 { return x }
        let l = min(-s, 62)
        let limit = Int64(1) << 62
        if x > (limit >> l) { return limit }
        if x < -(limit >> l) { return -limit }
        return x << l
    }

    /// `roundShift(a * b, s)` with the product computed exactly in 128 bits (specs §2.1, §5.1),
    /// for `|a| < 2^63`, `0 <= b < 2^62`. Results beyond `±2^62` saturate to `±2^62` (then
    /// `sat32` applies). `s` is capped at 126 (and at -62 for left shifts).
    public static func mulRoundShift(_ a: Int64, _ b: Int64, _ s: Int) -> Int64 {
        let limit = Int64(1) << 62
        let (hi, lo) = a.multipliedFullWidth(by: b)
        // Fast path: the product fits in 63 bits.
        if (hi == 0 && lo < (UInt64(1) << 62)) || (hi == -1 && lo >= (UInt64(1) << 62) + (UInt64(1) << 63)) {
            return roundShift(Int64(bitPattern: lo), min(s, 63))
        }
        if s <= 0 { return hi < 0 ? -limit : limit }
        let t = min(s, 126)
        // 128-bit (hi, lo) + 2^(t-1), then arithmetic shift right by t.
        var h = hi
        var l = lo
        let (rh, rl): (Int64, UInt64) =
            t - 1 >= 64 ? (Int64(1) << (t - 1 - 64), 0) : (0, UInt64(1) << (t - 1))
        let (nl, carry) = l.addingReportingOverflow(rl)
        l = nl
        h = h &+ rh &+ (carry ? 1 : 0)
        let qh: Int64
        let ql: UInt64
        if t >= 64 {
            qh = h >> 63
            ql = UInt64(bitPattern: h >> (t - 64))
        } else {
            qh = h >> t
            ql = (l >> UInt64(t)) | (UInt64(bitPattern: h) << UInt64(64 - t))
        }
        // Saturate the 128-bit quotient (qh, ql) to [-2^62, 2^62].
        if qh > 0 || (qh == 0 && ql > UInt64(limit)) { return limit }
        if qh < -1 || (qh == -1 && ql < UInt64(bitPattern: -limit)) { return -limit }
        return Int64(bitPattern: ql)
    }

    /// `mulRoundShift` through the C kernel target (`mesh_mul_round_shift`, used by
    /// `Dense.finish`); tests check it against the Swift reference above.
    static func mulRoundShiftC(_ a: Int64, _ b: Int64, _ s: Int) -> Int64 {
        mesh_mul_round_shift(a, b, Int32(clamping: s))
    }

    /// `floor(a / b)` for `b > 0` (Swift's `/` truncates toward zero; this floors).
    @inlinable @inline(__always)
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    /// `floor(a / b + 1/2)` for `b > 0`: division rounding half toward +∞, computed as
    /// `floorDiv(2a + b, 2b)`. Requires `|a| < 2^61`, `b < 2^61`.
    @inlinable @inline(__always)
    public static func divRound(_ a: Int64, _ b: Int64) -> Int64 {
        floorDiv(2 &* a &+ b, 2 &* b)
    }

    /// Number of significant bits of `|x|` (0 for 0): the least `n` with `|x| < 2^n`.
    @inlinable @inline(__always)
    public static func bitLength(_ x: Int64) -> Int {
        64 - x.magnitude.leadingZeroBitCount
    }

    /// `floor(sqrt(v))` for `v >= 0`, exactly (specs/kernel.md §2.3). Negative `v` gives 0.
    ///
    /// Bit-by-bit restoring square root: integer-only, 32 iterations.
    public static func isqrt(_ v: Int64) -> Int64 {
        if v <= 0 { return 0 }
        var rem = UInt64(v)
        var root: UInt64 = 0
        var bit: UInt64 = 1 << 62
        while bit > rem { bit >>= 2 }
        while bit != 0 {
            if rem >= root + bit {
                rem -= root + bit
                root = (root >> 1) + bit
            } else {
                root >>= 1
            }
            bit >>= 2
        }
        return Int64(root)
    }

    /// `x >> s` for `s >= 0` and `x << -s` for `s < 0` (exact; callers bound the result).
    @inlinable @inline(__always)
    public static func shift(_ x: Int64, _ s: Int) -> Int64 {
        s >= 0 ? x >> min(s, 63) : x << -s
    }
}

/// A dyadic multiplier `multiplier * 2^-shift` with `multiplier` in `[2^14, 2^15)` (or 0),
/// standing for a positive real factor (specs/kernel.md §2.4).
public struct DyadicMultiplier: Sendable, Equatable, Hashable {
    /// Integer mantissa, `0` or in `[2^14, 2^15)`.
    public let multiplier: Int32
    /// Right shift applied after multiplying; may be negative (a left shift).
    public let shift: Int32

    /// Wraps raw integers, checking the mantissa range and `shift` in `[-64, 126]`.
    public init(multiplier: Int32, shift: Int32) throws(KernelError) {
        guard multiplier == 0 || (multiplier >= 1 << 14 && multiplier < 1 << 15) else {
            throw .valueOutOfRange(
                what: "multiplier", value: Int64(multiplier), range: "{0} ∪ [2^14, 2^15)")
        }
        guard shift >= -64 && shift <= 126 else {
            throw .valueOutOfRange(what: "shift", value: Int64(shift), range: "[-64, 126]")
        }
        self.multiplier = multiplier
        self.shift = shift
    }

    /// The zero factor `(0, 0)`.
    public static let zero = DyadicMultiplier(uncheckedMultiplier: 0, shift: 0)

    init(uncheckedMultiplier multiplier: Int32, shift: Int32) {
        self.multiplier = multiplier
        self.shift = shift
    }

    /// Derives the multiplier of a real factor `f >= 0` exactly (specs/kernel.md §2.4):
    /// write `f = m * 2^x` with `m` in `[0.5, 1)` (exact, `frexp`), then
    /// `multiplier = round_half_even(m * 2^15)`; if that is `2^15`, use `2^14` and `x + 1`;
    /// `shift = 15 - x`. Factors below `2^-100` give multiplier 0. Factors whose shift would
    /// leave `[-64, 126]` throw.
    public init(factor f: Double) throws(KernelError) {
        guard f.isFinite, f >= 0 else {
            throw .valueOutOfRange(what: "scale factor", value: 0, range: "finite and >= 0")
        }
        if f < 0x1p-100 {
            self.multiplier = 0
            self.shift = 0
            return
        }
        // f = significand * 2^exponent with significand in [1, 2): m = significand / 2.
        var x = Int(f.exponent) + 1
        var m = (f.significand * 16384.0).rounded(.toNearestOrEven)  // (significand/2) * 2^15
        if m == 32768 {
            m = 16384
            x += 1
        }
        let shift = 15 - x
        guard shift >= -64 && shift <= 126 else {
            throw .valueOutOfRange(what: "scale shift", value: Int64(shift), range: "[-64, 126]")
        }
        self.multiplier = Int32(m)
        self.shift = Int32(shift)
    }
}
