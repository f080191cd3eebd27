/// An element of the Goldilocks prime field F_p, p = 2^64 − 2^32 + 1 (specs/proofs.md §2.1).
///
/// Always held in canonical form `0 ≤ value < p`. All arithmetic is constant-shape modular
/// arithmetic on `UInt64`; nothing here traps on any input.
public struct Goldilocks: Hashable, Sendable, CustomStringConvertible {
    /// The modulus p = 2^64 − 2^32 + 1.
    public static let modulus: UInt64 = 0xFFFF_FFFF_0000_0001
    /// 2^64 mod p = 2^32 − 1 (called ε in the reduction below).
    @usableFromInline static let epsilon: UInt64 = 0xFFFF_FFFF

    /// The canonical representative in `[0, p)`.
    public let value: UInt64

    public static let zero = Goldilocks(canonical: 0)
    public static let one = Goldilocks(canonical: 1)

    /// Wraps an already canonical value. Precondition (not checked): `value < p`.
    @inlinable init(canonical value: UInt64) { self.value = value }

    /// `value mod p` for any 64-bit unsigned value.
    @inlinable public init(_ value: UInt64) {
        self.init(canonical: value >= Goldilocks.modulus ? value &- Goldilocks.modulus : value)
    }

    /// The residue of a signed integer: `value mod p` in `[0, p)` (negative values wrap to p − |v|).
    @inlinable public init(signed value: Int64) {
        if value >= 0 {
            self.init(UInt64(value))
        } else {
            // p − |v|; |v| ≤ 2^63 < p so this is canonical.
            self.init(canonical: Goldilocks.modulus &- value.magnitude)
        }
    }

    /// Returns `value` if it is canonical (`< p`), else `nil`. Used when decoding prover bytes.
    @inlinable public init?(exactly value: UInt64) {
        guard value < Goldilocks.modulus else { return nil }
        self.init(canonical: value)
    }

    public var description: String { String(value) }

    @inlinable public static func + (a: Goldilocks, b: Goldilocks) -> Goldilocks {
        let (s, carry) = a.value.addingReportingOverflow(b.value)
        // a + b < 2p; on carry the true sum is s + 2^64 ≡ s + ε and s + ε < p.
        let t = carry ? s &+ epsilon : s
        return Goldilocks(canonical: t >= modulus ? t &- modulus : t)
    }

    @inlinable public static func - (a: Goldilocks, b: Goldilocks) -> Goldilocks {
        let (d, borrow) = a.value.subtractingReportingOverflow(b.value)
        // On borrow the wrapped value is a − b + 2^64; a − b + p = that − ε, which is canonical.
        return Goldilocks(canonical: borrow ? d &- epsilon : d)
    }

    @inlinable public static prefix func - (a: Goldilocks) -> Goldilocks { .zero - a }

    @inlinable public static func * (a: Goldilocks, b: Goldilocks) -> Goldilocks {
        let (hi, lo) = a.value.multipliedFullWidth(by: b.value)
        return reduce128(hi: hi, lo: lo)
    }

    @inlinable public static func += (a: inout Goldilocks, b: Goldilocks) { a = a + b }
    @inlinable public static func -= (a: inout Goldilocks, b: Goldilocks) { a = a - b }
    @inlinable public static func *= (a: inout Goldilocks, b: Goldilocks) { a = a * b }

    /// Reduces the 128-bit value `hi·2^64 + lo` modulo p.
    ///
    /// Uses 2^64 ≡ 2^32 − 1 and 2^96 ≡ −1 (mod p): with hi = h1·2^32 + h0 the value is
    /// ≡ lo − h1 + h0·(2^32 − 1). Exact for every input; result canonical.
    @inlinable public static func reduce128(hi: UInt64, lo: UInt64) -> Goldilocks {
        let hiHi = hi >> 32
        let hiLo = hi & epsilon
        var (t0, borrow) = lo.subtractingReportingOverflow(hiHi)
        if borrow { t0 = t0 &- epsilon }  // cannot underflow: t0 ≥ 2^64 − 2^32 here
        let t1 = hiLo &* epsilon  // < 2^64
        let (t2, carry) = t0.addingReportingOverflow(t1)
        var r = carry ? t2 &+ epsilon : t2  // cannot overflow: t2 < t1 ≤ 2^64 − 2^33 + 1
        if r >= modulus { r &-= modulus }
        return Goldilocks(canonical: r)
    }

    /// `self^e` by square-and-multiply.
    public func power(_ e: UInt64) -> Goldilocks {
        var result = Goldilocks.one
        var base = self
        var e = e
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }

    /// The multiplicative inverse (`0` maps to `0`), by Fermat: a^(p−2).
    public func inverse() -> Goldilocks { power(Goldilocks.modulus - 2) }
}
