/// Constants of BN254 ("alt_bn128", snarkjs "bn128"): specs/groth16.md §2.
public enum BN254 {
    /// The BN parameter x = 4965661367192848881; p = 36x⁴ + 36x³ + 24x² + 6x + 1.
    public static let x: UInt64 = 4_965_661_367_192_848_881

    /// r = 21888242871839275222246405745257275088548364400416034343698204186575808495617, the
    /// order of G1, G2 and GT (little-endian 64-bit limbs).
    public static let groupOrderLimbs: [UInt64] = [
        0x43e1_f593_f000_0001, 0x2833_e848_79b9_7091, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029,
    ]

    /// The bits of 6x + 2 (65 bits), most significant first: the optimal-ate Miller loop count.
    static let ateLoopBits: [UInt8] = Array(
        "11001110101111001011100000011100110111110011101100011101110101000".utf8
    ).map { $0 - 0x30 }

    /// (p⁴ − p² + 1)/r, the hard part of the final exponentiation (761 bits).
    static let hardExponent: [UInt64] = [
        0xe81b_b482_ccdf_42b1, 0x5abf_5cc4_f49c_36d4, 0xf115_4e7e_1da0_14fd, 0xdcc7_b44c_87cd_bacf,
        0xaaa4_41e3_954b_cf8a, 0x6b88_7d56_d509_5f23, 0x7958_1e16_f3fd_90c6, 0x3b1b_1355_d189_227d,
        0x4e52_9a58_6187_6f6b, 0x6c0e_b522_d5b1_2278, 0x331e_c151_8317_7faf, 0x01ba_aa71_0b07_59ad,
    ]

    /// ξ^(i(p−1)/6) for i = 0…5: the Frobenius coefficients of w⁰…w⁵ in F_p¹².
    static let frobeniusCoefficients: [Fp2] = {
        let gamma1 = Fp2.xi.power([
            0x34b0_1759_2414_d4e1, 0xee95_91c2_e6bd_a1c2, 0xf40d_60f3_c040_3964, 0x0810_b7bd_d032_f006,
        ])
        var out: [Fp2] = [.one]
        for _ in 1..<6 { out.append(out[out.count - 1] * gamma1) }
        return out
    }()
}

/// The optimal-ate pairing e: G1 × G2 → GT ⊂ F_p¹² (specs/groth16.md §3).
public enum Pairing {
    /// e(P, Q).
    public static func pairing(_ p: G1Affine, _ q: G2Affine) -> Fp12 {
        finalExponentiation(millerLoop([(p, q)]))
    }

    /// Whether ∏ e(P_i, Q_i) = 1, with one shared Miller loop and one final exponentiation.
    public static func productIsOne(_ pairs: [(G1Affine, G2Affine)]) -> Bool {
        finalExponentiation(millerLoop(pairs)).isOne
    }

    /// The product of the Miller functions f_{6x+2,Q_i}(P_i) times the two Frobenius lines of each
    /// pair. Pairs with an identity point contribute 1 and are skipped.
    ///
    /// Lines are scaled by F_p² factors (their denominators), and vertical lines are dropped: both
    /// lie in proper subfields that the final exponentiation maps to 1.
    public static func millerLoop(_ pairs: [(G1Affine, G2Affine)]) -> Fp12 {
        millerLoop(pairs, prepared: [])
    }

    /// The Miller loop of `pairs` times that of `prepared` pairs, whose G2 lines were computed
    /// once (`PreparedG2`): a prepared pair costs two F_p² × F_p scalings per line instead of the
    /// G2 point arithmetic. Equal to `millerLoop` on the same points (tested).
    public static func millerLoop(_ pairs: [(G1Affine, G2Affine)], prepared: [(G1Affine, PreparedG2)]) -> Fp12
    {
        let live = pairs.filter { !$0.0.isIdentity && !$0.1.isIdentity }
        let fixed = prepared.filter { !$0.0.isIdentity && !$0.1.isIdentity }
        var f = Fp12.one
        var t = live.map { JacobianPoint($0.1) }
        var line = 0
        func applyFixed() {
            for (p, q) in fixed {
                let (l0, l1, l3) = q.lines[line]
                f = f.mulByLine(l0 * p.y, l1 * p.x, l3)
            }
            line += 1
        }
        for bit in BN254.ateLoopBits.dropFirst() {
            f = f.squared()
            for i in live.indices {
                let (d0, d1, d3) = doublingStep(&t[i], live[i].0)
                f = f.mulByLine(d0, d1, d3)
                if bit == 1 {
                    let (a0, a1, a3) = additionStep(&t[i], live[i].1, live[i].0)
                    f = f.mulByLine(a0, a1, a3)
                }
            }
            applyFixed()
            if bit == 1 { applyFixed() }
        }
        for i in live.indices {
            let q1 = frobenius(live[i].1)
            let q2 = frobenius(q1).negated
            let (b0, b1, b3) = additionStep(&t[i], q1, live[i].0)
            f = f.mulByLine(b0, b1, b3)
            let (c0, c1, c3) = additionStep(&t[i], q2, live[i].0)
            f = f.mulByLine(c0, c1, c3)
        }
        applyFixed()
        applyFixed()
        return f
    }

    /// f^((p¹² − 1)/r): the easy part f^((p⁶ − 1)(p² + 1)) by conjugation, one inversion and the
    /// Frobenius map, then the hard part (p⁴ − p² + 1)/r (`hardPart`). Zero maps to zero.
    public static func finalExponentiation(_ f: Fp12) -> Fp12 {
        guard let inv = f.inverse() else { return f }
        let f1 = f.conjugate() * inv
        let f2 = f1.frobenius().frobenius() * f1
        return hardPart(f2)
    }

    /// f^((p⁴ − p² + 1)/r) for f in the cyclotomic subgroup (after the easy part, where the inverse
    /// is the conjugate), by the exact decomposition (p⁴ − p² + 1)/r = λ0 + λ1·p + λ2·p² + λ3·p³ with
    /// λ3 = 1, λ2 = 6x² + 1, λ1 = −36x³ − 18x² − 12x + 1, λ0 = −36x³ − 30x² − 18x − 2 (Scott, Benger,
    /// Charlemagne, Dominguez Perez, Kachisa, "On the final exponentiation for calculating pairings
    /// on ordinary elliptic curves", 2009): three exponentiations by x, Frobenius maps and a short
    /// multiplication chain, squaring with `cyclotomicSquared`. Equal to `hardPartReference` (tested).
    static func hardPart(_ f: Fp12) -> Fp12 {
        let fp = f.frobenius()
        let fp2 = fp.frobenius()
        let fp3 = fp2.frobenius()
        let fx = f.cyclotomicPower(BN254.x)
        let fx2 = fx.cyclotomicPower(BN254.x)
        let fx3 = fx2.cyclotomicPower(BN254.x)
        let y0 = fp * fp2 * fp3
        let y1 = f.conjugate()
        let y2 = fx2.frobenius().frobenius()
        let y3 = fx.frobenius().conjugate()
        let y4 = (fx * fx2.frobenius()).conjugate()
        let y5 = fx2.conjugate()
        let y6 = (fx3 * fx3.frobenius()).conjugate()
        var t0 = y6.squared() * y4 * y5
        var t1 = y3 * y5 * t0
        t0 = t0 * y2
        t1 = (t1.squared() * t0).squared()
        t0 = t1 * y1
        t1 = t1 * y0
        return t0.squared() * t1
    }

    /// The hard part by plain square-and-multiply with the 761-bit exponent: the reference
    /// `hardPart` is checked against.
    static func hardPartReference(_ f: Fp12) -> Fp12 { f.power(BN254.hardExponent) }

    /// π(Q) on the twist: (conj(x)·ξ^((p−1)/3), conj(y)·ξ^((p−1)/2)).
    static func frobenius(_ q: G2Affine) -> G2Affine {
        G2Affine(
            x: q.x.conjugate() * BN254.frobeniusCoefficients[2],
            y: q.y.conjugate() * BN254.frobeniusCoefficients[3])
    }

    /// The coefficients (l0, l1, l3) of a line l0 + l1·w + l3·w³ in F_p¹².
    public typealias Line = (Fp2, Fp2, Fp2)

    /// T ← 2T; returns the tangent at T evaluated at P, scaled by 2YZ³:
    /// 2YZ³·y_P − 3X²Z²·x_P·w + (3X³ − 2Y²)·w³.
    static func doublingStep(_ t: inout JacobianPoint<Fp2>, _ p: G1Affine) -> Line {
        let x = t.x
        let y = t.y
        let z = t.z
        let a = x.squared()
        let b = y.squared()
        let zz = z.squared()
        let a3 = a + a + a
        let next = t.doubled()
        let c0 = (next.z * zz) * p.y
        let c1 = -((a3 * zz) * p.x)
        let c3 = a3 * x - (b + b)
        t = next
        return (c0, c1, c3)
    }

    /// T ← T + Q (Q affine); returns the chord through T and Q evaluated at P, scaled by Z·H:
    /// Z3·y_P − R·x_P·w + (R·x_Q − Z3·y_Q)·w³ with H = x_Q Z² − X, R = y_Q Z³ − Y, Z3 = Z·H.
    static func additionStep(_ t: inout JacobianPoint<Fp2>, _ q: G2Affine, _ p: G1Affine) -> Line {
        let zz = t.z.squared()
        let h = q.x * zz - t.x
        let r = q.y * zz * t.z - t.y
        let z3 = t.z * h
        let c0 = z3 * p.y
        let c1 = -(r * p.x)
        let c3 = r * q.x - z3 * q.y
        t = t + JacobianPoint(q)
        return (c0, c1, c3)
    }
}

/// A fixed G2 point with the lines of its Miller loop computed once (specs/groth16.md §6): each
/// line evaluated at P is `l0·y_P + l1·x_P·w + l3·w³`, and `lines` holds (l0, l1, l3) in loop order
/// — a doubling line per bit, an addition line after each set bit, then the two Frobenius lines.
public struct PreparedG2: Sendable {
    let lines: [Pairing.Line]
    public let isIdentity: Bool

    public init(_ q: G2Affine) {
        isIdentity = q.isIdentity
        guard !q.isIdentity else {
            lines = []
            return
        }
        // The steps' lines are linear in (y_P, x_P): evaluating at the (off-curve) point (1, 1)
        // gives the coefficients.
        let unit = G1Affine(x: .one, y: .one)
        var t = JacobianPoint(q)
        var lines: [Pairing.Line] = []
        for bit in BN254.ateLoopBits.dropFirst() {
            lines.append(Pairing.doublingStep(&t, unit))
            if bit == 1 { lines.append(Pairing.additionStep(&t, q, unit)) }
        }
        let q1 = Pairing.frobenius(q)
        let q2 = Pairing.frobenius(q1).negated
        lines.append(Pairing.additionStep(&t, q1, unit))
        lines.append(Pairing.additionStep(&t, q2, unit))
        self.lines = lines
    }
}
