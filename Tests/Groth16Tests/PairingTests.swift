import Foundation
import TestSupport
import Testing

@testable import Groth16

/// G1, G2 and the optimal-ate pairing: bilinearity on seeded random scalars, non-degeneracy,
/// subgroup checks, and an independent reference (py_ecc) for scalar multiplications, one pairing
/// value and whole Groth16 verifications (`Groth16LayerTests.pyEccAcceptsOurSnarkjsFiles`).
@Suite("Groth16: BN254 curves and pairing")
struct PairingTests {
    @Test func generatorsHaveOrderRAndTheTwistHasPointsOutsideG2() throws {
        #expect(G1.isOnCurve(x: G1.generator.x, y: G1.generator.y))
        #expect(G2.isOnCurve(x: G2.generator.x, y: G2.generator.y))
        #expect(JacobianPoint(G1.generator).multiplied(by: BN254.groupOrderLimbs).isIdentity)
        #expect(G2.isInSubgroup(G2.generator))
        // A twist point found by scripts/interop/bn254_py_ecc.py twist-point 1 (Fixtures/groth16/README.md).
        let x = Fp2(Fp(2), Fp(1))
        let y = Fp2(
            fp("7292567877523311580221095596750716176434782432868683424513645834767876293070"),
            fp("19659275751359636165940301690575149581329631496732780143538578556285923319774"))
        #expect(G2.isOnCurve(x: x, y: y))
        #expect(throws: Groth16PointFault.notInSubgroup) { try G2.point(x: x, y: y) }
        #expect(throws: Groth16PointFault.notOnCurve) { try G2.point(x: x, y: y + .one) }
        #expect(throws: Groth16PointFault.notOnCurve) { try G1.point(x: Fp(1), y: Fp(3)) }
    }

    @Test func pairingIsNonDegenerateAndBilinear() throws {
        let e = Pairing.pairing(G1.generator, G2.generator)
        #expect(!e.isOne)
        #expect(e.power(BN254.groupOrderLimbs).isOne, "e(P, Q) has order r")
        var rng = SeededRandom(seed: 197)
        for _ in 0..<2 {
            let a = randomScalar(&rng)
            let b = randomScalar(&rng)
            let ap = JacobianPoint(G1.generator).multiplied(by: a).affine
            let bq = JacobianPoint(G2.generator).multiplied(by: b).affine
            let lhs = Pairing.pairing(ap, bq)
            #expect(lhs == e.power(widen(a, b)), "e(aP, bQ) = e(P, Q)^(ab)")
            let abP = JacobianPoint(G1.generator).multiplied(by: widen(a, b)).affine
            #expect(lhs == Pairing.pairing(abP, G2.generator), "e(aP, bQ) = e(abP, Q)")
            // Products: e(aP, bQ)·e(−abP, Q) = 1 through the shared Miller loop.
            #expect(Pairing.productIsOne([(ap, bq), (abP.negated, G2.generator)]))
            #expect(!Pairing.productIsOne([(ap, bq), (abP, G2.generator)]))
        }
        // Identity operands contribute 1.
        #expect(Pairing.pairing(.identity, G2.generator).isOne)
        #expect(Pairing.pairing(G1.generator, .identity).isOne)
    }

    /// py_ecc computes the same values independently (scripts/interop/bn254_py_ecc.py).
    @Test func matchesPyEccReference() throws {
        let probe = try runPython(["-c", "import py_ecc"])
        try #require(
            probe.status == 0, "python3 cannot import py_ecc; run scripts/setup.sh (pip install py_ecc)")
        let script = RepoPaths.root().appendingPathComponent("scripts/interop/bn254_py_ecc.py").path
        func run(_ args: [String]) throws -> [String] {
            let out = try runPython([script] + args)
            try #require(out.status == 0, "py_ecc: \(out.stderrText)")
            return out.stdoutText.split(whereSeparator: \.isWhitespace).map(String.init)
        }
        let k: [UInt64] = [
            0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 0x1111_2222_3333_4444, 0x0555_6666_7777_8888,
        ]
        let kText = Limbs256.decimal((UInt(k[0]), UInt(k[1]), UInt(k[2]), UInt(k[3])))
        for scalar in [[UInt64(7), 0, 0, 0], k] {
            let text = Limbs256.decimal((UInt(scalar[0]), UInt(scalar[1]), UInt(scalar[2]), UInt(scalar[3])))
            let p1 = JacobianPoint(G1.generator).multiplied(by: scalar).affine
            #expect(try run(["g1mul", text]) == [p1.x.description, p1.y.description])
            let q = JacobianPoint(G2.generator).multiplied(by: scalar).affine
            #expect(
                try run(["g2mul", text])
                    == [q.x.c0.description, q.x.c1.description, q.y.c0.description, q.y.c1.description])
        }
        // e(7·G1, k·G2) in py_ecc's basis: F_p[w]/(w¹² − 18w⁶ + 82), where u = w⁶ − 9, so our
        // coefficient g_i = a + b·u of w^i contributes a − 9b to w^i and b to w^(i+6).
        let e = Pairing.pairing(
            JacobianPoint(G1.generator).multiplied(by: [7, 0, 0, 0]).affine,
            JacobianPoint(G2.generator).multiplied(by: k).affine)
        let g = e.wCoefficients
        var flat = [Fp](repeating: .zero, count: 12)
        for i in 0..<6 {
            flat[i] = g[i].c0 - Fp(9) * g[i].c1
            flat[i + 6] = g[i].c1
        }
        #expect(try run(["pairing", "7", kText]) == flat.map(\.description))
    }
}

/// The fast hard part of the final exponentiation against plain square-and-multiply.
@Suite("Groth16: final exponentiation")
struct FinalExponentiationTests {
    @Test func hardPartEqualsTheReferenceExponentiation() throws {
        var rng = SeededRandom(seed: 761)
        for _ in 0..<3 {
            let f = randomFp12(&rng)
            // Into the cyclotomic subgroup first (the easy part), where hardPart's chain is valid.
            let inv = try #require(f.inverse())
            let g1 = f.conjugate() * inv
            let g = g1.frobenius().frobenius() * g1
            #expect(Pairing.hardPart(g) == Pairing.hardPartReference(g))
            #expect(g.cyclotomicSquared() == g.squared())
            #expect(g.cyclotomicPower(BN254.x) == g.power([BN254.x]))
            #expect(f.cyclotomicSquared() != f.squared(), "outside the subgroup the shortcut does not hold")
        }
    }
}
