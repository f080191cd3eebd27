import TestSupport
import Testing

@testable import Groth16

/// The toy statement "I know x with x³ + x + 5 = out" (out public) as R1CS:
/// x·x = s, s·x = c, (c + x + 5)·1 = out.
private func cubic(x: UInt64) throws -> (R1CS, [Fr]) {
    var b = ConstraintSystemBuilder()
    let xv = Fr(x)
    let out = b.publicInput(xv * xv * xv + xv + Fr(5))
    let xs = b.witness(xv)
    let s = b.witness(xv * xv)
    let c = b.witness(xv * xv * xv)
    b.enforce(xs, times: xs, equals: s)
    b.enforce(s, times: xs, equals: c)
    b.enforceZero(c + xs + LinearCombination(constant: Fr(5)) - out)
    return (try b.system(), b.values)
}

@Suite("Groth16: setup, FFT, multi-scalar multiplication and proving")
struct ProverTests {
    @Test func fftRoundTripsAndEvaluatesPolynomials() throws {
        var rng = SeededRandom(seed: 11)
        let domain = try #require(EvaluationDomain(atLeast: 16))
        #expect(domain.size == 16)
        #expect(domain.omega.power([16]) == .one && domain.omega.power([8]) != .one)
        let coefficients = (0..<16).map { _ in Fr.random(using: &rng) }
        var values = coefficients
        domain.fft(&values)
        // Horner at ω^3 equals the FFT's entry 3.
        let point = domain.omega.power([3])
        let horner = coefficients.reversed().reduce(Fr.zero) { $0 * point + $1 }
        #expect(values[3] == horner)
        domain.ifft(&values)
        #expect(zip(values, coefficients).allSatisfy { $0 == $1 })
        var coset = coefficients
        domain.cosetFFT(&coset)
        let shifted = Fr.generator * domain.omega.power([5])
        #expect(coset[5] == coefficients.reversed().reduce(Fr.zero) { $0 * shifted + $1 })
        domain.cosetIFFT(&coset)
        #expect(zip(coset, coefficients).allSatisfy { $0 == $1 })
    }

    @Test func lagrangeBasisInterpolates() throws {
        var rng = SeededRandom(seed: 12)
        let domain = try #require(EvaluationDomain(atLeast: 8))
        let tau = Fr.random(using: &rng)
        let l = domain.lagrangeCoefficients(at: tau)
        // Σ L_i(τ) = 1 and Σ L_i(τ)·ω^i = τ (the basis reproduces 1 and X).
        #expect(l.reduce(Fr.zero, +) == .one)
        var w = Fr.one
        var x = Fr.zero
        for li in l {
            x += li * w
            w *= domain.omega
        }
        #expect(x == tau)
    }

    @Test func pippengerAndFixedBaseAgreeWithDoubleAndAdd() {
        var rng = SeededRandom(seed: 13)
        for n in [1, 2, 5, 37] {
            let scalars = (0..<n).map { i in i == 1 ? Fr.zero : Fr.random(using: &rng) }
            let points = FixedBaseTable(G1.generator).multiply((0..<n).map { _ in Fr.random(using: &rng) })
            var naive = JacobianPoint<Fp>.identity
            for (p, k) in zip(points, scalars) {
                naive = naive + JacobianPoint(p).multiplied(by: k.canonicalWords)
            }
            #expect(MultiScalarMultiplication.multiply(points, scalars) == naive, "n = \(n)")
            let g2 = FixedBaseTable(G2.generator).multiply(scalars)
            for (q, k) in zip(g2, scalars) {
                #expect(JacobianPoint(q) == JacobianPoint(G2.generator).multiplied(by: k.canonicalWords))
            }
        }
    }

    @Test func mixedAdditionMatchesFullAddition() {
        var rng = SeededRandom(seed: 14)
        let pts = FixedBaseTable(G1.generator).multiply((0..<4).map { _ in Fr.random(using: &rng) })
        let p = JacobianPoint(pts[0]).doubled()
        #expect(p.adding(pts[1]) == p + JacobianPoint(pts[1]))
        #expect(JacobianPoint(pts[2]).adding(pts[2]) == JacobianPoint(pts[2]).doubled(), "doubling case")
        #expect(JacobianPoint(pts[3]).adding(pts[3].negated).isIdentity, "opposite points")
        #expect(JacobianPoint<Fp>.identity.adding(pts[0]) == JacobianPoint(pts[0]))
    }

    @Test func aProofOfASatisfiedSystemVerifiesAndNothingElseDoes() throws {
        let (r1cs, z) = try cubic(x: 3)
        #expect(try r1cs.firstUnsatisfied(z) == nil)
        let key = try Groth16Setup.generate(r1cs, waste: .seeded(1))
        var rng = SeededRandom(seed: 15)
        let proof = try Groth16Prover.prove(key: key, r1cs: r1cs, witness: z, using: &rng)
        let inputs = try Groth16PublicInputs(values: [Fr(35).canonicalWords])
        #expect(try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: inputs) == .valid)
        let wrong = try Groth16PublicInputs(values: [Fr(36).canonicalWords])
        #expect(try Groth16.verify(key: key.verifyingKey, proof: proof, inputs: wrong) != .valid)
        // The JSON forms round-trip through the snarkjs readers and still verify.
        let vk = try Groth16VerifyingKey(snarkjsJSON: Array(key.verifyingKey.snarkjsJSON.utf8))
        let read = try Groth16Proof(snarkjsJSON: Array(proof.snarkjsJSON.utf8))
        #expect(try Groth16.verify(key: vk, proof: read, inputs: inputs) == .valid)
        // Another setup's key refuses the proof.
        let other = try Groth16Setup.generate(r1cs, waste: .seeded(2))
        #expect(try Groth16.verify(key: other.verifyingKey, proof: proof, inputs: inputs) != .valid)
    }

    @Test func provingKeyFilesRoundTripAndRefuseDamage() throws {
        let (r1cs, z) = try cubic(x: 5)
        let key = try Groth16Setup.generate(r1cs, waste: .seeded(4))
        let id = [UInt8](repeating: 7, count: 32)
        let bytes = key.serialized(statementID: id)
        let read = try Groth16ProvingKey(serialized: bytes, statementID: id)
        var rng = SeededRandom(seed: 17)
        let proof = try Groth16Prover.prove(key: read, r1cs: r1cs, witness: z, using: &rng)
        let inputs = try Groth16PublicInputs(values: [Fr(5 * 5 * 5 + 5 + 5).canonicalWords])
        #expect(try Groth16.verify(key: read.verifyingKey, proof: proof, inputs: inputs) == .valid)
        // Another statement's id, every truncation, trailing bytes, a coordinate ≥ p: typed errors.
        #expect(throws: Groth16Error.self) {
            _ = try Groth16ProvingKey(serialized: bytes, statementID: [UInt8](repeating: 8, count: 32))
        }
        for cut in stride(from: 0, to: bytes.count, by: 61) {
            #expect(throws: Groth16Error.self) {
                _ = try Groth16ProvingKey(serialized: Array(bytes[..<cut]), statementID: id)
            }
        }
        #expect(throws: Groth16Error.self) {
            _ = try Groth16ProvingKey(serialized: bytes + [0], statementID: id)
        }
        var bad = bytes
        for i in 56..<(56 + 32) { bad[i] = 0xff }  // [alpha]_1.x
        #expect(throws: Groth16Error.self) { _ = try Groth16ProvingKey(serialized: bad, statementID: id) }
        var moved = bytes
        moved[120] ^= 0x01  // [beta]_1.x: off the curve
        #expect(throws: Groth16Error.self) { _ = try Groth16ProvingKey(serialized: moved, statementID: id) }
    }

    @Test func theProverRefusesAnUnsatisfiedWitness() throws {
        let (r1cs, z) = try cubic(x: 3)
        let key = try Groth16Setup.generate(r1cs, waste: .seeded(1))
        var bad = z
        bad[1] = Fr(36)  // claims out = 36
        var rng = SeededRandom(seed: 16)
        #expect(throws: Groth16Error.unsatisfied(constraint: 2)) {
            _ = try Groth16Prover.prove(key: key, r1cs: r1cs, witness: bad, using: &rng)
        }
    }

    @Test func seededToxicWasteIsReproducible() {
        let a = ToxicWaste.seeded(7)
        let b = ToxicWaste.seeded(7)
        #expect(a.tau == b.tau && a.delta == b.delta)
        #expect(ToxicWaste.seeded(8).tau != a.tau)
    }
}

@Suite("Groth16: prepared G2 lines")
struct PreparedLineTests {
    @Test func preparedPairsGiveTheSameMillerValue() {
        var rng = SeededRandom(seed: 21)
        let g1 = FixedBaseTable(G1.generator).multiply((0..<3).map { _ in Fr.random(using: &rng) })
        let g2 = FixedBaseTable(G2.generator).multiply((0..<3).map { _ in Fr.random(using: &rng) })
        let plain = Pairing.millerLoop([(g1[0], g2[0]), (g1[1], g2[1]), (g1[2], g2[2])])
        let mixed = Pairing.millerLoop(
            [(g1[0], g2[0])], prepared: [(g1[1], PreparedG2(g2[1])), (g1[2], PreparedG2(g2[2]))])
        #expect(plain == mixed)
        // Identity points contribute 1 either way.
        let withIdentity = Pairing.millerLoop(
            [(g1[0], g2[0])], prepared: [(.identity, PreparedG2(g2[1])), (g1[2], PreparedG2(.identity))])
        #expect(withIdentity == Pairing.millerLoop([(g1[0], g2[0])]))
    }
}
