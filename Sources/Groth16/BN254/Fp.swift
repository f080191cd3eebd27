import CGMP

/// Four little-endian 64-bit limbs: a 256-bit unsigned integer.
public typealias Limbs4 = (UInt, UInt, UInt, UInt)

/// An element of the BN254 base field F_p (specs/groth16.md §2), held in Montgomery form
/// `a·R mod p` with R = 2^256, always fully reduced (`< p`).
///
/// Multiplication is Montgomery multiplication on GMP's `mpn_` layer: `mpn_mul_n` for the
/// 512-bit product, then four `mpn_addmul_1` word-by-word REDC steps and one conditional
/// `mpn_sub_n`. Additions use `mpn_add_n` / `mpn_sub_n`. Nothing here is constant-time (the
/// verifier only handles public data); no operation traps on any input.
public struct Fp: Sendable, CustomStringConvertible {
    /// The Montgomery representative `a·R mod p`, `< p`.
    @usableFromInline var m: Limbs4

    @inlinable init(montgomery m: Limbs4) { self.m = m }

    /// p = 21888242871839275222246405745257275088696311157297823662689037894645226208583.
    public static let modulus: Limbs4 = (
        0x3c20_8c16_d87c_fd47, 0x9781_6a91_6871_ca8d, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029
    )
    /// R² mod p, used to enter Montgomery form.
    static let r2: Limbs4 = (
        0xf32c_fc5b_538a_fa89, 0xb5e7_1911_d445_01fb, 0x47ab_1eff_0a41_7ff6, 0x06d8_9f71_cab8_351f
    )
    /// −p⁻¹ mod 2^64.
    static let nPrime: UInt = 0x87d2_0782_e486_6389
    /// R mod p: the Montgomery form of 1.
    static let rModP: Limbs4 = (
        0xd35d_438d_c58f_0d9d, 0x0a78_eb28_f5c7_0b3d, 0x666e_a36f_7879_462c, 0x0e0a_77c1_9a07_df2f
    )

    public static let zero = Fp(montgomery: (0, 0, 0, 0))
    public static let one = Fp(montgomery: rModP)

    /// The element whose canonical value is `limbs`. Returns nil unless `limbs < p`.
    public init?(canonical limbs: Limbs4) {
        guard Fp.compare(limbs, Fp.modulus) < 0 else { return nil }
        self = Fp.montMul(limbs, Fp.r2)
    }

    /// A small integer `value mod p`.
    public init(_ value: UInt64) {
        self = Fp.montMul((UInt(value), 0, 0, 0), Fp.r2)
    }

    /// The canonical value in `[0, p)` as limbs (leaves Montgomery form).
    public var canonical: Limbs4 { Fp.montMul(m, (1, 0, 0, 0)).m }

    /// The canonical value as 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] { Fp.bigEndian(canonical) }

    /// The canonical value in decimal without leading zeros.
    public var description: String { Fp.decimal(canonical) }

    public var isZero: Bool { m.0 | m.1 | m.2 | m.3 == 0 }

    public static func == (a: Fp, b: Fp) -> Bool {
        a.m.0 == b.m.0 && a.m.1 == b.m.1 && a.m.2 == b.m.2 && a.m.3 == b.m.3
    }
    public static func != (a: Fp, b: Fp) -> Bool { !(a == b) }

    public static func + (a: Fp, b: Fp) -> Fp {
        var x = a.m
        var y = b.m
        var p = modulus
        withLimbs(&x) { xp in
            withLimbs(&y) { yp in
                withLimbs(&p) { pp in
                    // a + b < 2p < 2^255: no carry out of the top limb.
                    _ = __gmpn_add_n(xp, xp, yp, 4)
                    if __gmpn_cmp(xp, pp, 4) >= 0 { _ = __gmpn_sub_n(xp, xp, pp, 4) }
                }
            }
        }
        return Fp(montgomery: x)
    }

    public static func - (a: Fp, b: Fp) -> Fp {
        var x = a.m
        var y = b.m
        var p = modulus
        withLimbs(&x) { xp in
            withLimbs(&y) { yp in
                withLimbs(&p) { pp in
                    // On borrow the wrapped result is a − b + 2^256; adding p wraps back to a − b + p.
                    if __gmpn_sub_n(xp, xp, yp, 4) != 0 { _ = __gmpn_add_n(xp, xp, pp, 4) }
                }
            }
        }
        return Fp(montgomery: x)
    }

    public static prefix func - (a: Fp) -> Fp { zero - a }

    public static func * (a: Fp, b: Fp) -> Fp { montMul(a.m, b.m) }

    public static func += (a: inout Fp, b: Fp) { a = a + b }
    public static func -= (a: inout Fp, b: Fp) { a = a - b }
    public static func *= (a: inout Fp, b: Fp) { a = a * b }

    public func squared() -> Fp { Fp.montMul(m, m) }
    public func doubled() -> Fp { self + self }

    /// `self^e` for an exponent given as little-endian 64-bit limbs (square-and-multiply).
    public func power(_ e: [UInt64]) -> Fp {
        var result = Fp.one
        for limb in e.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                result = result.squared()
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// The multiplicative inverse by Fermat (`self^(p−2)`); nil for zero.
    public func inverse() -> Fp? {
        guard !isZero else { return nil }
        return power([
            0x3c20_8c16_d87c_fd45, 0x9781_6a91_6871_ca8d, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029,
        ])
    }

    /// Montgomery multiplication: `x·y·R⁻¹ mod p` for `x, y < p`, fully reduced.
    static func montMul(_ x: Limbs4, _ y: Limbs4) -> Fp {
        var x = x
        var y = y
        var p = modulus
        var t: (UInt, UInt, UInt, UInt, UInt, UInt, UInt, UInt) = (0, 0, 0, 0, 0, 0, 0, 0)
        var out: Limbs4 = (0, 0, 0, 0)
        withUnsafeMutablePointer(to: &t) { tt in
            tt.withMemoryRebound(to: UInt.self, capacity: 8) { tp in
                withLimbs(&x) { xp in withLimbs(&y) { yp in __gmpn_mul_n(tp, xp, yp, 4) } }
                withLimbs(&p) { pp in
                    // REDC, one word at a time: add q·p·2^(64i) so limb i becomes zero. The running
                    // value stays below x·y + R·p < 2·R·p < 2^511, so 8 limbs hold it.
                    for i in 0..<4 {
                        let q = tp[i] &* nPrime
                        let carry = __gmpn_addmul_1(tp + i, pp, 4, q)
                        _ = __gmpn_add_1(tp + i + 4, tp + i + 4, 4 - i, carry)
                    }
                    // (x·y + Q·p)/R < 2p: one conditional subtraction.
                    if __gmpn_cmp(tp + 4, pp, 4) >= 0 { _ = __gmpn_sub_n(tp + 4, tp + 4, pp, 4) }
                }
                out = (tp[4], tp[5], tp[6], tp[7])
            }
        }
        return Fp(montgomery: out)
    }

    /// Three-way comparison of two 256-bit values.
    static func compare(_ a: Limbs4, _ b: Limbs4) -> Int {
        let x = [a.3, a.2, a.1, a.0]
        let y = [b.3, b.2, b.1, b.0]
        for i in 0..<4 where x[i] != y[i] { return x[i] < y[i] ? -1 : 1 }
        return 0
    }

    /// 32 big-endian bytes of a 256-bit value.
    static func bigEndian(_ v: Limbs4) -> [UInt8] {
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
    static func fromBigEndian(_ bytes: ArraySlice<UInt8>) -> Limbs4 {
        precondition(bytes.count == 32, "fromBigEndian needs 32 bytes")
        var l: [UInt] = [0, 0, 0, 0]
        for (k, b) in bytes.enumerated() { l[3 - k / 8] = (l[3 - k / 8] << 8) | UInt(b) }
        return (l[0], l[1], l[2], l[3])
    }

    /// Decimal text of a 256-bit value (repeated division by 10^19).
    static func decimal(_ v: Limbs4) -> String {
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
