import TestSupport
import Testing

@testable import Groth16

/// F_p on GMP's mpn layer and the F_p² / F_p⁶ / F_p¹² towers: ring laws on seeded random
/// elements, edge values around 0 and p, inverses, decimal round trips and the Frobenius map.
@Suite("Groth16: BN254 fields")
struct FieldTests {
    @Test func decimalRoundTripAndCanonicalRange() throws {
        let pText = "21888242871839275222246405745257275088696311157297823662689037894645226208583"
        let pMinus1 = "21888242871839275222246405745257275088696311157297823662689037894645226208582"
        let p = try #require(Limbs256.parseDecimal(Substring(pText)))
        #expect(Limbs256.decimal(p) == pText)
        #expect(Fp(canonical: p) == nil, "p itself is not canonical")
        let topLimbs = try #require(Limbs256.parseDecimal(Substring(pMinus1)))
        let top = try #require(Fp(canonical: topLimbs))
        #expect(top.description == pMinus1)
        #expect((top + .one).isZero)
        #expect((Fp.zero - .one) == top)
        #expect(-top == .one)
        #expect(Fp(0).description == "0")
        #expect(Fp(12_345_678_901_234_567_890).description == "12345678901234567890")
        // 2^256 − 1 parses; 2^256 does not; non-canonical text is refused.
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        #expect(Limbs256.parseDecimal(Substring(max)) != nil)
        #expect(
            Limbs256.parseDecimal(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936")
                == nil)
        for bad in ["", "01", "+1", "-1", " 1", "1 ", "1.0", "1e3", "0x10", "١"] {
            #expect(Limbs256.parseDecimal(Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test func multiplicationMatchesKnownProducts() {
        // (p − 1)² = 1; 2^128 · 2^128 = 2^256 mod p (values from Python).
        let m1 = -Fp.one
        #expect(m1 * m1 == .one)
        let two128 = fp("340282366920938463463374607431768211456")
        #expect(
            (two128 * two128).description
                == "6350874878119819312338956282401532409788428879151445726012394534686998597021")
        let a = fp("12345678901234567890123456789012345678901234567890")
        let b = fp("98765432109876543210987654321098765432109876543210")
        // a·b mod p, from Python: (a*b) % p.
        #expect(
            (a * b).description
                == "1476025239850857531232078297827420122179349266213190746718804435654982072856")
    }

    @Test func ringLawsAndInversesOnRandomElements() throws {
        var rng = SeededRandom(seed: 14)
        for _ in 0..<50 {
            let a = randomFp(&rng)
            let b = randomFp(&rng)
            let c = randomFp(&rng)
            #expect(a * (b + c) == a * b + a * c)
            #expect((a * b) * c == a * (b * c))
            #expect(a - b + b == a)
            #expect(a.squared() == a * a)
            let inv = try #require(a.inverse())
            #expect(a * inv == .one)
        }
        #expect(Fp.zero.inverse() == nil)
    }

    @Test func towerLawsAndInverses() throws {
        var rng = SeededRandom(seed: 15)
        // u² = −1, v³ = ξ, w² = v.
        let u = Fp2(.zero, .one)
        #expect(u * u == -Fp2.one)
        let v = Fp6(.zero, .one, .zero)
        #expect(v * v * v == Fp6(Fp2.xi, .zero, .zero))
        let w = Fp12(.zero, .one)
        #expect(w * w == Fp12(v, .zero))
        for _ in 0..<10 {
            let a = randomFp2(&rng)
            let b = randomFp2(&rng)
            #expect(a * b == b * a)
            #expect(a.squared() == a * a)
            #expect(a.mulByXi() == a * Fp2.xi)
            #expect(a * (try #require(a.inverse())) == .one)
            let x = randomFp12(&rng)
            let y = randomFp12(&rng)
            let z = randomFp12(&rng)
            #expect(x * y == y * x)
            #expect((x * y) * z == x * (y * z))
            #expect(x.squared() == x * x)
            #expect(x * (try #require(x.inverse())) == .one)
            let s = Fp6(randomFp2(&rng), randomFp2(&rng), randomFp2(&rng))
            #expect(s * (try #require(s.inverse())) == .one)
        }
    }

    @Test func frobeniusIsThePthPower() {
        var rng = SeededRandom(seed: 16)
        let p: [UInt64] = [
            0x3c20_8c16_d87c_fd47, 0x9781_6a91_6871_ca8d, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029,
        ]
        for _ in 0..<2 {
            let x = randomFp12(&rng)
            #expect(x.frobenius() == x.power(p))
            // Twelve applications are the identity; six are the conjugation.
            var y = x
            for _ in 0..<6 { y = y.frobenius() }
            #expect(y == x.conjugate())
        }
        let a = randomFp2(&rng)
        #expect(a.conjugate() == a.power(p))
    }
}

/// The sparse products of the Miller loop against full multiplication.
@Suite("Groth16: sparse multiplication")
struct SparseMultiplicationTests {
    @Test func mulByLineAndMulBy01EqualFullProducts() {
        var rng = SeededRandom(seed: 1313)
        for _ in 0..<10 {
            let f = randomFp12(&rng)
            let (l0, l1, l3) = (randomFp2(&rng), randomFp2(&rng), randomFp2(&rng))
            #expect(f.mulByLine(l0, l1, l3) == f * Fp12(Fp6(l0, .zero, .zero), Fp6(l1, l3, .zero)))
            let a = Fp6(randomFp2(&rng), randomFp2(&rng), randomFp2(&rng))
            #expect(a.mulBy01(l0, l1) == a * Fp6(l0, l1, .zero))
        }
    }
}
