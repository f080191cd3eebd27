/// An element of the quadratic extension F_{p^2} = F_p[x] / (x^2 − 7) (specs/proofs.md §2.2).
///
/// 7 is a quadratic non-residue modulo p (Euler's criterion: 7^((p−1)/2) ≡ −1, checked by the
/// test suite), so x^2 − 7 is irreducible and this is a field of p^2 ≈ 2^128 elements. Every
/// verifier challenge is drawn from this field. The element is `c0 + c1·x`.
public struct GoldilocksExt2: Hashable, Sendable, CustomStringConvertible {
    /// The constant term.
    public var c0: Goldilocks
    /// The coefficient of x.
    public var c1: Goldilocks

    /// The non-residue W with x^2 = W.
    public static let nonResidue = Goldilocks(7)
    public static let zero = GoldilocksExt2(Goldilocks.zero, Goldilocks.zero)
    public static let one = GoldilocksExt2(Goldilocks.one, Goldilocks.zero)

    @inlinable public init(_ c0: Goldilocks, _ c1: Goldilocks) {
        self.c0 = c0
        self.c1 = c1
    }

    /// Embeds a base-field element.
    @inlinable public init(_ base: Goldilocks) { self.init(base, .zero) }

    public var description: String { "(\(c0) + \(c1)·x)" }

    @inlinable public static func + (a: Self, b: Self) -> Self { Self(a.c0 + b.c0, a.c1 + b.c1) }
    @inlinable public static func - (a: Self, b: Self) -> Self { Self(a.c0 - b.c0, a.c1 - b.c1) }
    @inlinable public static prefix func - (a: Self) -> Self { Self(-a.c0, -a.c1) }

    /// (a0 + a1·x)(b0 + b1·x) = (a0·b0 + 7·a1·b1) + (a0·b1 + a1·b0)·x.
    @inlinable public static func * (a: Self, b: Self) -> Self {
        let a1b1 = a.c1 * b.c1
        return Self(a.c0 * b.c0 + a1b1 * nonResidue, a.c0 * b.c1 + a.c1 * b.c0)
    }

    /// Multiplies by a base-field element (two base multiplications).
    @inlinable public static func * (a: Self, b: Goldilocks) -> Self { Self(a.c0 * b, a.c1 * b) }

    @inlinable public static func += (a: inout Self, b: Self) { a = a + b }
    @inlinable public static func -= (a: inout Self, b: Self) { a = a - b }
    @inlinable public static func *= (a: inout Self, b: Self) { a = a * b }
}
