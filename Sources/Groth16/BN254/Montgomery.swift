import CGMP

/// Four little-endian 64-bit limbs: a 256-bit unsigned integer.
public typealias Limbs4 = (UInt, UInt, UInt, UInt)

/// The constants of Montgomery arithmetic modulo a prime `p < 2^255` with R = 2^256
/// (specs/groth16.md §2): everything `MontgomeryField` needs besides the limbs.
public struct MontgomeryModulus: Sendable {
    /// p, little-endian limbs.
    public let modulus: Limbs4
    /// R² mod p, used to enter Montgomery form.
    let r2: Limbs4
    /// −p⁻¹ mod 2^64.
    let nPrime: UInt
    /// R mod p: the Montgomery form of 1.
    let one: Limbs4
    /// p − 2, the Fermat inversion exponent.
    let inverseExponent: [UInt64]

    init(modulus: Limbs4, r2: Limbs4, nPrime: UInt, one: Limbs4) {
        self.modulus = modulus
        self.r2 = r2
        self.nPrime = nPrime
        self.one = one
        // p is odd and > 2, so p − 2 only borrows from the lowest limb.
        inverseExponent = [UInt64(modulus.0 - 2), UInt64(modulus.1), UInt64(modulus.2), UInt64(modulus.3)]
    }

    /// `(x + y) mod p` for `x, y < p`.
    @inline(__always)
    func add(_ x: Limbs4, _ y: Limbs4) -> Limbs4 {
        var x = x
        var y = y
        var p = modulus
        withLimbs(&x) { xp in
            withLimbs(&y) { yp in
                withLimbs(&p) { pp in
                    // x + y < 2p < 2^256: no carry out of the top limb.
                    _ = __gmpn_add_n(xp, xp, yp, 4)
                    if __gmpn_cmp(xp, pp, 4) >= 0 { _ = __gmpn_sub_n(xp, xp, pp, 4) }
                }
            }
        }
        return x
    }

    /// `(x − y) mod p` for `x, y < p`.
    @inline(__always)
    func subtract(_ x: Limbs4, _ y: Limbs4) -> Limbs4 {
        var x = x
        var y = y
        var p = modulus
        withLimbs(&x) { xp in
            withLimbs(&y) { yp in
                withLimbs(&p) { pp in
                    // On borrow the wrapped result is x − y + 2^256; adding p wraps back to x − y + p.
                    if __gmpn_sub_n(xp, xp, yp, 4) != 0 { _ = __gmpn_add_n(xp, xp, pp, 4) }
                }
            }
        }
        return x
    }

    /// Montgomery multiplication: `x·y·R⁻¹ mod p` for `x, y < p`, fully reduced.
    ///
    /// `mpn_mul_n` forms the 512-bit product, `mpn_redc_1` (GMP's word-by-word REDC, exported by
    /// libgmp but declared in its internal header; our shim declares it) clears the low half, one
    /// conditional `mpn_sub_n` reduces.
    @inline(__always)
    func multiply(_ x: Limbs4, _ y: Limbs4) -> Limbs4 {
        var x = x
        var y = y
        var p = modulus
        let nPrime = nPrime
        var t: (UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt) = (0, 0, 0, 0, 0, 0, 0, 0)
        var out: Limbs4 = (0, 0, 0, 0)
        withUnsafeMutablePointer(to: &t) { tt in
            tt.withMemoryRebound(to: UInt.self, capacity: 8) { tp in
                withLimbs(&x) { xp in withLimbs(&y) { yp in __gmpn_mul_n(tp, xp, yp, 4) } }
                withLimbs(&p) { pp in
                    withLimbs(&out) { op in
                        // REDC by GMP's own one-limb steps: (x·y + Q·p)/R < 2p, returned as
                        // op + carry·R; one subtraction of p reduces it.
                        let carry = __gmpn_redc_1(op, tp, pp, 4, nPrime)
                        if carry != 0 || __gmpn_cmp(op, pp, 4) >= 0 { _ = __gmpn_sub_n(op, op, pp, 4) }
                    }
                }
            }
        }
        return out
    }
}

/// An element of a prime field held in Montgomery form `a·R mod p`, always fully reduced: F_p of
/// the curve (`Fp`) and the scalar field F_r (`Fr`) share this arithmetic. Nothing here is
/// constant-time (the verifier handles public data; the prover's secrets are its witness, and the
/// project's prover is for nodes proving their own public computations); no operation traps.
public protocol MontgomeryField: Sendable, CustomStringConvertible {
    /// The field's constants.
    static var field: MontgomeryModulus { get }
    /// The Montgomery representative `a·R mod p`, `< p`.
    var montgomery: Limbs4 { get }
    /// Wraps a Montgomery representative (must be `< p`).
    init(montgomery: Limbs4)
}

extension MontgomeryField {
    public static var zero: Self { Self(montgomery: (0, 0, 0, 0)) }
    public static var one: Self { Self(montgomery: field.one) }

    /// The element whose canonical value is `limbs`. Returns nil unless `limbs < p`.
    public init?(canonical limbs: Limbs4) {
        guard Limbs256.compare(limbs, Self.field.modulus) < 0 else { return nil }
        self.init(montgomery: Self.field.multiply(limbs, Self.field.r2))
    }

    /// A small integer `value mod p`.
    public init(_ value: UInt64) {
        self.init(montgomery: Self.field.multiply((UInt(value), 0, 0, 0), Self.field.r2))
    }

    /// The signed integer `value mod p` (negative values map to `p − |value|`).
    public init(signed value: Int64) {
        let magnitude = Self(value.magnitude)
        self = value < 0 ? -magnitude : magnitude
    }

    /// The canonical value in `[0, p)` as limbs (leaves Montgomery form).
    public var canonical: Limbs4 { Self.field.multiply(montgomery, (1, 0, 0, 0)) }

    /// The canonical value as four little-endian 64-bit limbs.
    public var canonicalWords: [UInt64] {
        let c = canonical
        return [UInt64(c.0), UInt64(c.1), UInt64(c.2), UInt64(c.3)]
    }

    /// The canonical value as 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] { Limbs256.bigEndian(canonical) }

    /// The canonical value in decimal without leading zeros.
    public var description: String { Limbs256.decimal(canonical) }

    public var isZero: Bool {
        let m = montgomery
        return m.0 | m.1 | m.2 | m.3 == 0
    }

    public static func == (a: Self, b: Self) -> Bool {
        let (x, y) = (a.montgomery, b.montgomery)
        return x.0 == y.0 && x.1 == y.1 && x.2 == y.2 && x.3 == y.3
    }
    public static func != (a: Self, b: Self) -> Bool { !(a == b) }

    public static func + (a: Self, b: Self) -> Self {
        Self(montgomery: field.add(a.montgomery, b.montgomery))
    }
    public static func - (a: Self, b: Self) -> Self {
        Self(montgomery: field.subtract(a.montgomery, b.montgomery))
    }
    public static prefix func - (a: Self) -> Self { zero - a }
    public static func * (a: Self, b: Self) -> Self {
        Self(montgomery: field.multiply(a.montgomery, b.montgomery))
    }
    public static func += (a: inout Self, b: Self) { a = a + b }
    public static func -= (a: inout Self, b: Self) { a = a - b }
    public static func *= (a: inout Self, b: Self) { a = a * b }

    public func squared() -> Self { self * self }
    public func doubled() -> Self { self + self }

    /// `self^e` for an exponent given as little-endian 64-bit limbs (square-and-multiply).
    public func power(_ e: [UInt64]) -> Self {
        var result = Self.one
        for limb in e.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                result = result.squared()
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// The multiplicative inverse by Fermat (`self^(p−2)`); nil for zero.
    public func inverse() -> Self? {
        guard !isZero else { return nil }
        return power(Self.field.inverseExponent)
    }
}

/// Plain 256-bit integer helpers (no modulus): comparison, byte and decimal conversions.
public enum Limbs256 {
    /// Three-way comparison of two 256-bit values.
    public static func compare(_ a: Limbs4, _ b: Limbs4) -> Int {
        let x = [a.3, a.2, a.1, a.0]
        let y = [b.3, b.2, b.1, b.0]
        for i in 0..<4 where x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
        return 0
    }

    /// 32 big-endian bytes of a 256-bit value.
    public static func bigEndian(_ v: Limbs4) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for limb in [v.3, v.2, v.1, v.0] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: limb >> UInt(shift)))
            }
        }
        return out
    }

    /// A 256-bit value from exactly 32 big-endian bytes.
    public static func fromBigEndian(_ bytes: ArraySlice<UInt8>) -> Limbs4 {
        precondition(bytes.count == 32, "fromBigEndian needs 32 bytes")
        var l: [UInt] = [0, 0, 0, 0]
        for (k, b) in bytes.enumerated() { l[3 - k / 8] = (l[3 - k / 8] << 8) | UInt(b) }
        return (l[0], l[1], l[2], l[3])
    }

    /// Decimal text of a 256-bit value (repeated division by 10^19).
    public static func decimal(_ v: Limbs4) -> String {
        var l: [UInt] = [v.0, v.1, v.2, v.3]
        var chunks: [UInt] = []
        let base: UInt = 10_000_000_000_000_000_000
        while l.contains(where: { $0 != 0 }) {
            var rem: UInt = 0
            for i in stride(from: 3, through: 0, by: -1) {
                let (q, r) = base.dividingFullWidth((rem, l[i]))
                l[i] = q
                rem = r
            }
            chunks.append(rem)
        }
        guard let top = chunks.last else { return "0" }
        var s = String(top)
        for c in chunks.dropLast().reversed() {
            let digits = String(c)
            s += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return s
    }

    /// Parses canonical decimal text (digits only, no sign, no leading zeros, at most 78 digits) into
    /// a 256-bit value; nil when the text is not of that form or the value is ≥ 2^256.
    public static func parseDecimal(_ text: Substring) -> Limbs4? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 78, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        guard bytes.count == 1 || bytes[0] != 0x30 else { return nil }
        var l: [UInt] = [0, 0, 0, 0]
        for b in bytes {
            var carry = UInt(b - 0x30)
            for i in 0..<4 {
                let (hi, lo) = l[i].multipliedFullWidth(by: 10)
                let (sum, o) = lo.addingReportingOverflow(carry)
                l[i] = sum
                carry = hi + (o ? 1 : 0)
            }
            guard carry == 0 else { return nil }
        }
        return (l[0], l[1], l[2], l[3])
    }
}

/// Runs `body` with a pointer to the four limbs of `v` (a homogeneous tuple is laid out contiguously).
@inline(__always)
func withLimbs<R>(_ v: inout Limbs4, _ body: (UnsafeMutablePointer<UInt>) -> R) -> R {
    withUnsafeMutablePointer(to: &v) { $0.withMemoryRebound(to: UInt.self, capacity: 4, body) }
}
