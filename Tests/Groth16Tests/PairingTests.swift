import Foundation
import TestSupport
import Testing

@testable import Groth16

/// G1, G2 and the optimal-ate pairing: published EIP-196/197 vectors (go-ethereum's precompile
/// tests), bilinearity on seeded random scalars, non-degeneracy, subgroup checks, and an
/// independent reference (py_ecc) for a few scalar multiplications and one pairing.
@Suite("Groth16: BN254 curves and pairing")
struct PairingTests {
    struct PrecompileVector: Decodable {
        var input: String
        var expected: String
        var name: String

        enum CodingKeys: String, CodingKey {
            case input = "Input"
            case expected = "Expected"
            case name = "Name"
        }
    }

    static func vectors(_ name: String) throws -> [PrecompileVector] {
        let url = groth16Fixtures.appendingPathComponent("eip197/\(name).json")
        return try JSONDecoder().decode([PrecompileVector].self, from: Data(contentsOf: url))
    }

    /// EIP-196 G1 encoding: 64 bytes (x, y) big-endian, all zero for the identity.
    static func g1(_ b: ArraySlice<UInt8>) throws -> G1Affine {
        let x = try #require(fpBigEndian(b.prefix(32)))
        let y = try #require(fpBigEndian(b.dropFirst(32).prefix(32)))
        if x.isZero && y.isZero { return .identity }
        return try G1.point(x: x, y: y)
    }

    /// EIP-197 G2 encoding: x.c1, x.c0, y.c1, y.c0 (imaginary part first), all zero for the identity.
    static func g2(_ b: ArraySlice<UInt8>) throws -> G2Affine {
        let s = Array(b)
        var c: [Fp] = []
        for i in 0..<4 { c.append(try #require(fpBigEndian(s[(32 * i)..<(32 * i + 32)]))) }
        let x = Fp2(c[1], c[0])
        let y = Fp2(c[3], c[2])
        if x.isZero && y.isZero { return .identity }
        return try G2.point(x: x, y: y)
    }

    static func encode(_ p: G1Affine) -> [UInt8] {
        p.isIdentity ? [UInt8](repeating: 0, count: 64) : p.x.bigEndianBytes + p.y.bigEndianBytes
    }

    static func padded(_ hex: String, to n: Int) -> [UInt8] {
        let b = hexBytes(hex)
        return b.count >= n ? Array(b.prefix(n)) : b + [UInt8](repeating: 0, count: n - b.count)
    }

    @Test func eip197PairingVectors() throws {
        let all = try Self.vectors("bn256Pairing")
        #expect(all.count == 14)
        for v in all {
            let bytes = hexBytes(v.input)
            try #require(bytes.count % 192 == 0, "\(v.name)")
            var pairs: [(G1Affine, G2Affine)] = []
            for k in stride(from: 0, to: bytes.count, by: 192) {
                pairs.append((try Self.g1(bytes[k..<(k + 64)]), try Self.g2(bytes[(k + 64)..<(k + 192)])))
            }
            let want = hexBytes(v.expected).last == 1
            #expect(Pairing.productIsOne(pairs) == want, "\(v.name)")
        }
    }

    @Test func eip196ScalarMulAndAddVectors() throws {
        for v in try Self.vectors("bn256ScalarMul") {
            let input = Self.padded(v.input, to: 96)
            let p = try Self.g1(input[0..<64])
            let k = Limbs256.fromBigEndian(input[64..<96])
            let got = JacobianPoint(p).multiplied(by: [UInt64(k.0), UInt64(k.1), UInt64(k.2), UInt64(k.3)])
                .affine
            #expect(Self.encode(got) == hexBytes(v.expected), "\(v.name)")
        }
        for v in try Self.vectors("bn256Add") {
            let input = Self.padded(v.input, to: 128)
            let sum =
                (JacobianPoint(try Self.g1(input[0..<64])) + JacobianPoint(try Self.g1(input[64..<128])))
                .affine
            #expect(Self.encode(sum) == hexBytes(v.expected), "\(v.name)")
        }
    }

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
