/// A point of y² = x³ + b over F (F_p for G1, F_p² for G2) in affine coordinates, or the identity.
///
/// Values of this type made through `G1.point` / `G2.point` have passed the checks of
/// specs/groth16.md §4 (coordinates canonical, on the curve, in the order-r subgroup).
public struct AffinePoint<F: CurveField>: Sendable {
    public let x: F
    public let y: F
    public let isIdentity: Bool

    /// The identity (point at infinity).
    public static var identity: AffinePoint<F> { AffinePoint(x: .zero, y: .one, isIdentity: true) }

    /// A finite point, not checked (callers check; see `G1.point`, `G2.point`).
    init(x: F, y: F) { self.init(x: x, y: y, isIdentity: false) }

    init(x: F, y: F, isIdentity: Bool) {
        self.x = x
        self.y = y
        self.isIdentity = isIdentity
    }

    public static func == (a: AffinePoint<F>, b: AffinePoint<F>) -> Bool {
        if a.isIdentity || b.isIdentity { return a.isIdentity && b.isIdentity }
        return a.x == b.x && a.y == b.y
    }

    public var negated: AffinePoint<F> { isIdentity ? self : AffinePoint(x: x, y: -y) }
}

/// A point in Jacobian coordinates: stored (X, Y, Z) = (x, y, z) stands for the affine point
/// (X/Z², Y/Z³); Z = 0 is the identity.
/// Formulas for a = 0 curves; none needs b.
public struct JacobianPoint<F: CurveField>: Sendable {
    public var x: F
    public var y: F
    public var z: F

    public static var identity: JacobianPoint<F> { JacobianPoint(x: .one, y: .one, z: .zero) }

    public init(x: F, y: F, z: F) {
        self.x = x
        self.y = y
        self.z = z
    }

    public init(_ p: AffinePoint<F>) {
        self = p.isIdentity ? .identity : JacobianPoint(x: p.x, y: p.y, z: .one)
    }

    public var isIdentity: Bool { z.isZero }

    /// 2·self: X3 = 9X⁴ − 8XY², Y3 = 3X²(4XY² − X3) − 8Y⁴, Z3 = 2YZ.
    public func doubled() -> JacobianPoint<F> {
        if isIdentity || y.isZero { return .identity }
        let a = x.squared()
        let b = y.squared()
        let c = b.squared()
        let xb = x * b
        let xb4 = (xb + xb) + (xb + xb)
        let a3 = a + a + a
        let x3 = a3.squared() - (xb4 + xb4)
        let c8 = { () -> F in
            let c2 = c + c
            let c4 = c2 + c2
            return c4 + c4
        }()
        let y3 = a3 * (xb4 - x3) - c8
        let yz = y * z
        return JacobianPoint(x: x3, y: y3, z: yz + yz)
    }

    /// self + q for any two points, including equal, opposite and identity operands.
    public static func + (p: JacobianPoint<F>, q: JacobianPoint<F>) -> JacobianPoint<F> {
        if p.isIdentity { return q }
        if q.isIdentity { return p }
        let z1z1 = p.z.squared()
        let z2z2 = q.z.squared()
        let u1 = p.x * z2z2
        let u2 = q.x * z1z1
        let s1 = p.y * q.z * z2z2
        let s2 = q.y * p.z * z1z1
        if u1 == u2 { return s1 == s2 ? p.doubled() : .identity }
        let h = u2 - u1
        let r = s2 - s1
        let hh = h.squared()
        let hhh = h * hh
        let v = u1 * hh
        let x3 = r.squared() - hhh - (v + v)
        let y3 = r * (v - x3) - s1 * hhh
        return JacobianPoint(x: x3, y: y3, z: p.z * q.z * h)
    }

    public var negated: JacobianPoint<F> { JacobianPoint(x: x, y: -y, z: z) }

    /// self + q for an affine q (mixed addition, madd-2007-bl: 7M + 4S), any operands.
    public func adding(_ q: AffinePoint<F>) -> JacobianPoint<F> {
        if q.isIdentity { return self }
        if isIdentity { return JacobianPoint(q) }
        let z1z1 = z.squared()
        let u2 = q.x * z1z1
        let s2 = q.y * z * z1z1
        if u2 == x { return s2 == y ? doubled() : .identity }
        let h = u2 - x
        let hh = h.squared()
        let i = (hh + hh) + (hh + hh)
        let j = h * i
        let r = (s2 - y) + (s2 - y)
        let v = x * i
        let x3 = r.squared() - j - (v + v)
        let yj = y * j
        let y3 = r * (v - x3) - (yj + yj)
        let z3 = (z + h).squared() - z1z1 - hh
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// The affine forms of many points with one field inversion (Montgomery's batch trick).
    public static func batchAffine(_ points: [JacobianPoint<F>]) -> [AffinePoint<F>] {
        var prefix = [F](repeating: .one, count: points.count)
        var acc = F.one
        for (i, p) in points.enumerated() where !p.isIdentity {
            prefix[i] = acc
            acc = acc * p.z
        }
        guard var inv = acc.inverse() else { return points.map(\.affine) }
        var out = [AffinePoint<F>](repeating: .identity, count: points.count)
        for i in stride(from: points.count - 1, through: 0, by: -1) where !points[i].isIdentity {
            let zInv = inv * prefix[i]
            inv = inv * points[i].z
            let zInv2 = zInv.squared()
            out[i] = AffinePoint(x: points[i].x * zInv2, y: points[i].y * zInv2 * zInv)
        }
        return out
    }

    /// `k·self` for a scalar given as little-endian 64-bit limbs (double-and-add, not constant-time).
    public func multiplied(by k: [UInt64]) -> JacobianPoint<F> {
        var acc = JacobianPoint<F>.identity
        for limb in k.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                acc = acc.doubled()
                if (limb >> UInt64(bit)) & 1 == 1 { acc = acc + self }
            }
        }
        return acc
    }

    /// The affine form (one field inversion).
    public var affine: AffinePoint<F> {
        guard let zInv = z.inverse() else { return .identity }
        let zInv2 = zInv.squared()
        return AffinePoint(x: x * zInv2, y: y * zInv2 * zInv)
    }

    public static func == (a: JacobianPoint<F>, b: JacobianPoint<F>) -> Bool {
        if a.isIdentity || b.isIdentity { return a.isIdentity && b.isIdentity }
        let z1z1 = a.z.squared()
        let z2z2 = b.z.squared()
        return a.x * z2z2 == b.x * z1z1 && a.y * b.z * z2z2 == b.y * a.z * z1z1
    }
}

public typealias G1Affine = AffinePoint<Fp>
public typealias G2Affine = AffinePoint<Fp2>

/// G1: y² = x³ + 3 over F_p. Its group of points has prime order r (cofactor 1).
public enum G1 {
    /// The generator (1, 2).
    public static let generator = G1Affine(x: Fp(1), y: Fp(2))
    public static let b = Fp(3)

    public static func isOnCurve(x: Fp, y: Fp) -> Bool { y.squared() == x.squared() * x + b }

    /// A checked G1 point (specs/groth16.md §4.1): on the curve. Since #E(F_p) = r, every point on
    /// the curve is in the order-r group, so the curve equation is the whole subgroup check.
    public static func point(x: Fp, y: Fp) throws(Groth16PointFault) -> G1Affine {
        guard isOnCurve(x: x, y: y) else { throw .notOnCurve }
        return G1Affine(x: x, y: y)
    }
}

/// G2: the order-r subgroup of the sextic twist y² = x³ + 3/ξ over F_p² (ξ = 9 + u).
public enum G2 {
    /// b' = 3/ξ.
    public static let b: Fp2 = {
        guard let inv = Fp2.xi.inverse() else { preconditionFailure("ξ is not zero") }
        return Fp2(Fp(3), .zero) * inv
    }()

    /// The standard generator (the one snarkjs writes as `vk_gamma_2`).
    public static let generator = G2Affine(
        x: Fp2(
            Fp(
                decimalConstant:
                    "10857046999023057135944570762232829481370756359578518086990519993285655852781"),
            Fp(
                decimalConstant:
                    "11559732032986387107991004021392285783925812861821192530917403151452391805634")),
        y: Fp2(
            Fp(
                decimalConstant:
                    "8495653923123431417604973247489272438418190587263600148770280649306958101930"),
            Fp(
                decimalConstant:
                    "4082367875863433681332203403145435568316851327593401208105741076214120093531")))

    public static func isOnCurve(x: Fp2, y: Fp2) -> Bool { y.squared() == x.squared() * x + b }

    /// `r·Q == O`: the twist has cofactor > 1, so points on it need not be in G2.
    public static func isInSubgroup(_ q: G2Affine) -> Bool {
        JacobianPoint(q).multiplied(by: BN254.groupOrderLimbs).isIdentity
    }

    /// A checked G2 point (specs/groth16.md §4.1): on the twist and of order r.
    public static func point(x: Fp2, y: Fp2) throws(Groth16PointFault) -> G2Affine {
        guard isOnCurve(x: x, y: y) else { throw .notOnCurve }
        let q = G2Affine(x: x, y: y)
        guard isInSubgroup(q) else { throw .notInSubgroup }
        return q
    }
}

extension Fp {
    /// A compile-time decimal constant below p; traps otherwise (constants only, never input).
    init(decimalConstant text: String) {
        guard let limbs = Limbs256.parseDecimal(Substring(text)), let v = Fp(canonical: limbs) else {
            preconditionFailure("bad field constant \(text)")
        }
        self = v
    }
}
