/// The arithmetic the curve code needs from F_p and F_p²: a commutative field.
public protocol CurveField: Sendable {
    static var zero: Self { get }
    static var one: Self { get }
    var isZero: Bool { get }
    static func == (a: Self, b: Self) -> Bool
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    func squared() -> Self
    /// nil for zero.
    func inverse() -> Self?
}

extension Fp: CurveField {}

/// F_p² = F_p[u]/(u² + 1): `c0 + c1·u` (specs/groth16.md §2).
public struct Fp2: CurveField, CustomStringConvertible {
    public var c0: Fp
    public var c1: Fp

    public init(_ c0: Fp, _ c1: Fp) {
        self.c0 = c0
        self.c1 = c1
    }

    public static let zero = Fp2(.zero, .zero)
    public static let one = Fp2(.one, .zero)
    /// ξ = 9 + u, the non-residue defining F_p⁶ = F_p²[v]/(v³ − ξ).
    public static let xi = Fp2(Fp(9), Fp(1))

    public var isZero: Bool { c0.isZero && c1.isZero }
    public var description: String { "(\(c0), \(c1))" }

    public static func == (a: Fp2, b: Fp2) -> Bool { a.c0 == b.c0 && a.c1 == b.c1 }
    public static func + (a: Fp2, b: Fp2) -> Fp2 { Fp2(a.c0 + b.c0, a.c1 + b.c1) }
    public static func - (a: Fp2, b: Fp2) -> Fp2 { Fp2(a.c0 - b.c0, a.c1 - b.c1) }
    public static prefix func - (a: Fp2) -> Fp2 { Fp2(-a.c0, -a.c1) }

    /// Karatsuba: three F_p multiplications.
    public static func * (a: Fp2, b: Fp2) -> Fp2 {
        let t0 = a.c0 * b.c0
        let t1 = a.c1 * b.c1
        let t2 = (a.c0 + a.c1) * (b.c0 + b.c1)
        return Fp2(t0 - t1, t2 - t0 - t1)
    }

    public static func * (a: Fp2, s: Fp) -> Fp2 { Fp2(a.c0 * s, a.c1 * s) }

    public func squared() -> Fp2 {
        // (c0 + c1 u)² = (c0 + c1)(c0 − c1) + 2 c0 c1 u.
        let t = c0 * c1
        return Fp2((c0 + c1) * (c0 - c1), t + t)
    }

    /// Multiplication by ξ = 9 + u: (9c0 − c1) + (c0 + 9c1)u.
    public func mulByXi() -> Fp2 {
        let c0x8 = c0.doubled().doubled().doubled()
        let c1x8 = c1.doubled().doubled().doubled()
        return Fp2(c0x8 + c0 - c1, c0 + c1x8 + c1)
    }

    /// The conjugate c0 − c1 u, which is the Frobenius map x ↦ x^p on F_p².
    public func conjugate() -> Fp2 { Fp2(c0, -c1) }

    public func inverse() -> Fp2? {
        guard let n = (c0.squared() + c1.squared()).inverse() else { return nil }
        return Fp2(c0 * n, -(c1 * n))
    }

    /// `self^e` for a little-endian limb exponent.
    public func power(_ e: [UInt64]) -> Fp2 {
        var result = Fp2.one
        for limb in e.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                result = result.squared()
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }
}

/// F_p⁶ = F_p²[v]/(v³ − ξ): `c0 + c1·v + c2·v²`.
public struct Fp6: Sendable {
    public var c0: Fp2
    public var c1: Fp2
    public var c2: Fp2

    public init(_ c0: Fp2, _ c1: Fp2, _ c2: Fp2) {
        self.c0 = c0
        self.c1 = c1
        self.c2 = c2
    }

    public static let zero = Fp6(.zero, .zero, .zero)
    public static let one = Fp6(.one, .zero, .zero)

    public var isZero: Bool { c0.isZero && c1.isZero && c2.isZero }

    public static func == (a: Fp6, b: Fp6) -> Bool { a.c0 == b.c0 && a.c1 == b.c1 && a.c2 == b.c2 }
    public static func + (a: Fp6, b: Fp6) -> Fp6 { Fp6(a.c0 + b.c0, a.c1 + b.c1, a.c2 + b.c2) }
    public static func - (a: Fp6, b: Fp6) -> Fp6 { Fp6(a.c0 - b.c0, a.c1 - b.c1, a.c2 - b.c2) }
    public static prefix func - (a: Fp6) -> Fp6 { Fp6(-a.c0, -a.c1, -a.c2) }

    /// Karatsuba over the three coefficients (six F_p² multiplications), reducing v³ = ξ.
    public static func * (a: Fp6, b: Fp6) -> Fp6 {
        let t0 = a.c0 * b.c0
        let t1 = a.c1 * b.c1
        let t2 = a.c2 * b.c2
        let c0 = ((a.c1 + a.c2) * (b.c1 + b.c2) - t1 - t2).mulByXi() + t0
        let c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1 + t2.mulByXi()
        let c2 = (a.c0 + a.c2) * (b.c0 + b.c2) - t0 - t2 + t1
        return Fp6(c0, c1, c2)
    }

    public static func * (a: Fp6, s: Fp2) -> Fp6 { Fp6(a.c0 * s, a.c1 * s, a.c2 * s) }

    public func squared() -> Fp6 { self * self }

    /// self · (b0 + b1·v): five F_p² multiplications (Karatsuba for the v coefficient).
    public func mulBy01(_ b0: Fp2, _ b1: Fp2) -> Fp6 {
        let t0 = c0 * b0
        let t1 = c1 * b1
        return Fp6(
            t0 + (c2 * b1).mulByXi(),
            (c0 + c1) * (b0 + b1) - t0 - t1,
            t1 + c2 * b0)
    }

    /// Multiplication by v: (c0, c1, c2)·v = (ξ c2, c0, c1).
    public func mulByV() -> Fp6 { Fp6(c2.mulByXi(), c0, c1) }

    public func inverse() -> Fp6? {
        let t0 = c0.squared() - (c1 * c2).mulByXi()
        let t1 = c2.squared().mulByXi() - c0 * c1
        let t2 = c1.squared() - c0 * c2
        let d = c0 * t0 + (c2 * t1).mulByXi() + (c1 * t2).mulByXi()
        guard let dInv = d.inverse() else { return nil }
        return Fp6(t0 * dInv, t1 * dInv, t2 * dInv)
    }
}

/// F_p¹² = F_p⁶[w]/(w² − v): `c0 + c1·w`. In powers of w (w⁶ = ξ) the six F_p² coefficients are
/// `c0.c0 + c1.c0·w + c0.c1·w² + c1.c1·w³ + c0.c2·w⁴ + c1.c2·w⁵`.
public struct Fp12: Sendable {
    public var c0: Fp6
    public var c1: Fp6

    public init(_ c0: Fp6, _ c1: Fp6) {
        self.c0 = c0
        self.c1 = c1
    }

    public static let one = Fp12(.one, .zero)

    public var isOne: Bool { self == Fp12.one }
    public var isZero: Bool { c0.isZero && c1.isZero }

    public static func == (a: Fp12, b: Fp12) -> Bool { a.c0 == b.c0 && a.c1 == b.c1 }
    public static func != (a: Fp12, b: Fp12) -> Bool { !(a == b) }

    /// Karatsuba: three F_p⁶ multiplications.
    public static func * (a: Fp12, b: Fp12) -> Fp12 {
        let t0 = a.c0 * b.c0
        let t1 = a.c1 * b.c1
        let c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - t0 - t1
        return Fp12(t0 + t1.mulByV(), c1)
    }

    public func squared() -> Fp12 {
        // (a + bw)² = (a + b)(a + bv) − ab − ab·v + 2ab·w.
        let ab = c0 * c1
        let t = (c0 + c1) * (c0 + c1.mulByV()) - ab - ab.mulByV()
        return Fp12(t, ab + ab)
    }

    /// self · (l0 + l1·w + l3·w³), the shape of a Miller-loop line: 13 F_p² multiplications
    /// instead of 18. Equal to `self * Fp12(Fp6(l0, 0, 0), Fp6(l1, l3, 0))` (tested).
    public func mulByLine(_ l0: Fp2, _ l1: Fp2, _ l3: Fp2) -> Fp12 {
        let t0 = c0 * l0
        let t1 = c1.mulBy01(l1, l3)
        let mixed = (c0 + c1).mulBy01(l0 + l1, l3)
        return Fp12(t0 + t1.mulByV(), mixed - t0 - t1)
    }

    /// self² for self in the cyclotomic subgroup (norm 1 over F_p⁶ and over F_p⁴, as every
    /// element is after the easy part of the final exponentiation): Granger–Scott squaring
    /// ("Faster squaring in the cyclotomic subgroup of sixth degree extensions", 2010, §3.2),
    /// six F_p² squarings instead of twelve multiplications. Wrong outside that subgroup;
    /// equal to `squared()` inside it (tested).
    public func cyclotomicSquared() -> Fp12 {
        // Pairs (c0.c0, c1.c1), (c1.c0, c0.c2), (c0.c1, c1.c2) each form an F_p⁴ element.
        let t0 = c1.c1.squared()
        let t1 = c0.c0.squared()
        let t6 = (c1.c1 + c0.c0).squared() - t0 - t1
        let t2 = c0.c2.squared()
        let t3 = c1.c0.squared()
        let t7 = (c0.c2 + c1.c0).squared() - t2 - t3
        let t4 = c1.c2.squared()
        let t5 = c0.c1.squared()
        let t8 = ((c1.c2 + c0.c1).squared() - t4 - t5).mulByXi()
        let s0 = t0.mulByXi() + t1
        let s2 = t2.mulByXi() + t3
        let s4 = t4.mulByXi() + t5
        func twiceMinusPlus(_ t: Fp2, _ x: Fp2) -> Fp2 {
            let d = t - x
            return d + d + t
        }
        func twicePlusPlus(_ t: Fp2, _ x: Fp2) -> Fp2 {
            let d = t + x
            return d + d + t
        }
        return Fp12(
            Fp6(twiceMinusPlus(s0, c0.c0), twiceMinusPlus(s2, c0.c1), twiceMinusPlus(s4, c0.c2)),
            Fp6(twicePlusPlus(t8, c1.c0), twicePlusPlus(t6, c1.c1), twicePlusPlus(t7, c1.c2)))
    }

    /// self^e (e > 0, 64-bit) for self in the cyclotomic subgroup, squaring with
    /// `cyclotomicSquared`.
    public func cyclotomicPower(_ e: UInt64) -> Fp12 {
        var result = Fp12.one
        var started = false
        for bit in stride(from: 63, through: 0, by: -1) {
            if started { result = result.cyclotomicSquared() }
            if (e >> UInt64(bit)) & 1 == 1 {
                result = started ? result * self : self
                started = true
            }
        }
        return result
    }

    /// The conjugate c0 − c1 w, which is x ↦ x^(p⁶).
    public func conjugate() -> Fp12 { Fp12(c0, -c1) }

    public func inverse() -> Fp12? {
        // (a + bw)⁻¹ = (a − bw)/(a² − b²v).
        guard let d = (c0.squared() - c1.squared().mulByV()).inverse() else { return nil }
        return Fp12(c0 * d, -(c1 * d))
    }

    /// The six F_p² coefficients of w⁰ … w⁵.
    var wCoefficients: [Fp2] { [c0.c0, c1.c0, c0.c1, c1.c1, c0.c2, c1.c2] }

    init(wCoefficients g: [Fp2]) {
        self.init(Fp6(g[0], g[2], g[4]), Fp6(g[1], g[3], g[5]))
    }

    /// x ↦ x^p: each coefficient g_i of w^i becomes conj(g_i)·ξ^(i(p−1)/6).
    public func frobenius() -> Fp12 {
        let g = wCoefficients
        return Fp12(wCoefficients: (0..<6).map { g[$0].conjugate() * BN254.frobeniusCoefficients[$0] })
    }

    /// `self^e` for a little-endian limb exponent (square-and-multiply).
    public func power(_ e: [UInt64]) -> Fp12 {
        var result = Fp12.one
        var started = false
        for limb in e.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                if started { result = result.squared() }
                if (limb >> UInt64(bit)) & 1 == 1 {
                    result = started ? result * self : self
                    started = true
                }
            }
        }
        return result
    }
}
