/// Bit-exact binary64 elementary functions for building tables (specs/kernel.md §4).
///
/// Only correctly rounded IEEE-754 operations are used (`+ - * /`, exact conversions, exact
/// power-of-two scaling, `rounded(.toNearestOrEven)`), in the order the spec gives, so every
/// conforming platform computes the same bits. These run at load time only, never in the
/// forward pass. Accuracy is about 1e-15 relative on the table domains; bit-exactness, not
/// accuracy, is the contract.
public enum DeterministicMath {
    static let ln2 = 0.6931471805599453
    static let twoPi = 6.283185307179586
    static let sqrtHalf = 0.7071067811865476
    static let twoOverSqrtPi = 1.1283791670955126
    static let invSqrtPi = 0.5641895835477563
    static let sqrt2 = 1.4142135623730951

    /// `x * 2^n` exactly (for results in the normal range, as on every table domain).
    @inline(__always)
    static func scale2(_ x: Double, _ n: Int) -> Double {
        var r = x
        var k = n
        while k > 1000 {
            r = r * 0x1p1000
            k -= 1000
        }
        while k < -1000 {
            r = r * 0x1p-1000
            k += 1000
        }
        return r * Double(sign: .plus, exponent: k, significand: 1)
    }

    /// `e^x` (§4 `detExp`).
    public static func exp(_ x: Double) -> Double {
        let n = (x / ln2).rounded(.toNearestOrEven)
        let r = x - n * ln2
        var s = 1.0
        var t = 1.0
        for k in 1...27 {
            t = (t * r) / Double(k)
            s = s + t
        }
        return scale2(s, Int(n))
    }

    /// Natural logarithm for `x > 0` (§4 `detLn`).
    public static func ln(_ x: Double) -> Double {
        var k = Int(x.exponent)
        var m = x.significand
        if m > sqrt2 {
            m = m / 2
            k += 1
        }
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var s = 0.0
        var p = t
        for j in 0..<40 {
            s = s + p / Double(2 * j + 1)
            p = p * t2
        }
        return Double(k) * ln2 + 2 * s
    }

    @inline(__always)
    static func reduceAngle(_ a: Double) -> Double {
        let n = (a / twoPi).rounded(.toNearestOrEven)
        return a - n * twoPi
    }

    /// Sine (§4 `detSin`).
    public static func sin(_ a: Double) -> Double {
        let r = reduceAngle(a)
        let r2 = r * r
        var t = r
        var s = r
        for i in 1...29 {
            t = -((t * r2) / Double((2 * i) * (2 * i + 1)))
            s = s + t
        }
        return s
    }

    /// Cosine (§4 `detCos`).
    public static func cos(_ a: Double) -> Double {
        let r = reduceAngle(a)
        let r2 = r * r
        var t = 1.0
        var s = 1.0
        for i in 1...29 {
            t = -((t * r2) / Double((2 * i - 1) * (2 * i)))
            s = s + t
        }
        return s
    }

    /// Error function (§4 `detErf`): Maclaurin series for `|w| <= 3`, else the erfc continued
    /// fraction evaluated backward from 60 terms.
    public static func erf(_ w: Double) -> Double {
        if abs(w) <= 3 {
            var p = w
            var s = 0.0
            let w2 = w * w
            for n in 0..<60 {
                s = s + p / Double(2 * n + 1)
                p = -((p * w2) / Double(n + 1))
            }
            return s * twoOverSqrtPi
        }
        let a = abs(w)
        var f = 0.0
        for k in stride(from: 60, through: 1, by: -1) {
            f = (Double(k) / 2) / (a + f)
        }
        let c = exp(-(a * a)) / (a + f) * invSqrtPi
        return w < 0 ? -(1 - c) : (1 - c)
    }

    /// `x / (1 + e^-x)`.
    public static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }

    /// `0.5 x (1 + erf(x / sqrt 2))`.
    public static func gelu(_ x: Double) -> Double { (0.5 * x) * (1 + erf(x * sqrtHalf)) }
}
