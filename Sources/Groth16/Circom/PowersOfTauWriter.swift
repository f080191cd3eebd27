/// A prepared snarkjs `.ptau` written from **known** secrets τ, α, β (specs/groth16.md §12.4):
/// the file `snarkjs powersoftau new` → contributions → `prepare phase2` would produce if the
/// contributions multiplied up to these secrets. **Insecure by design** — whoever knows the
/// secrets can forge proofs for every key set up from the file. For tests and demos: it lets the
/// tests compare a setup from a ceremony with `Groth16Setup.generate(_:waste:)` for the same
/// secrets, point for point, and exercise `setup --ptau` without a third-party file.
///
/// Layout, as snarkjs writes it: sections 1–7 then 12–15 (section count 11), n = 2^power:
///
/// - 1 header: `u32 32 ‖ p ‖ u32 power ‖ u32 ceremonyPower (= power)`;
/// - 2 `[τ^i]₁`, i in `[0, 2n − 1)`; 3 `[τ^i]₂`, 4 `[α·τ^i]₁`, 5 `[β·τ^i]₁`, i in `[0, n)`; 6 `[β]₂`;
/// - 7 contributions: `u32 0`, what `powersoftau new` writes: the secrets were chosen here, not
///   contributed, and the file claims no transcript;
/// - 12 `[L^(2^k)_j(τ)]₁` for k = 0 … power + 1; 13 the same in G2, 14 times α, 15 times β, for
///   k = 0 … power. snarkjs computes block k = power + 1 of section 12 as the inverse FFT of
///   section 2 with a zero appended (it holds 2n − 1 powers, not 2n), i.e. `L_j(τ) − ω^j·τ^(2n−1)/2n`;
///   so does this writer.
///
/// Points are `x ‖ y` (G2: `x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1`), each coordinate 32 bytes little-endian
/// in Montgomery form (our `Fp.montgomery` limbs are exactly that); the identity is all zeros.
public struct PowersOfTauWriter: Sendable {
    public let power: Int
    public let tau: Fr
    public let alpha: Fr
    public let beta: Fr

    public init(power: Int, tau: Fr, alpha: Fr, beta: Fr) {
        self.power = power
        self.tau = tau
        self.alpha = alpha
        self.beta = beta
    }

    static let g1 = FixedBaseTable(G1.generator)
    static let g2 = FixedBaseTable(G2.generator)

    /// The whole file. Cost: about 6n G1 and 3n G2 fixed-base multiplications (power 10: a few
    /// seconds in a debug build), so callers cache it.
    ///
    /// Precondition: 1 ≤ power ≤ 27 (the top Lagrange block needs a domain of 2^(power+1)) and τ
    /// outside every domain used (true for a random τ with overwhelming probability; checked).
    public func fileBytes() -> [UInt8] {
        precondition((1...(Fr.twoAdicity - 1)).contains(power), "power in [1, 27]")
        let n = 1 << power
        var tauPowers: [Fr] = [.one]
        for _ in 1..<(2 * n - 1) { tauPowers.append(tauPowers[tauPowers.count - 1] * tau) }
        let lowPowers = Array(tauPowers[0..<n])

        var lagrange: [Fr] = []  // every block k = 0 … power, concatenated
        for k in 0...power { lagrange += Self.lagrange(size: 1 << k, at: tau) }
        var top = Self.lagrange(size: 2 * n, at: tau)
        guard let domain = EvaluationDomain(atLeast: 2 * n), let twoNInverse = Fr(UInt64(2 * n)).inverse()
        else { preconditionFailure("domain of 2^(power+1)") }
        let last = tauPowers[2 * n - 2] * tau * twoNInverse  // τ^(2n−1)/2n
        var omegaJ = Fr.one
        for j in 0..<(2 * n) {
            top[j] -= omegaJ * last
            omegaJ *= domain.omega
        }

        var w = BinaryFileWriter(magic: "ptau", version: 1, sectionCount: 11)
        w.section(1) { h in
            h.u32(32)
            h.limbs(Fp.field.modulus)
            h.u32(UInt32(power))
            h.u32(UInt32(power))
        }
        w.section(2) { Self.write(&$0, Self.g1.multiply(tauPowers)) }
        w.section(3) { Self.write(&$0, Self.g2.multiply(lowPowers)) }
        w.section(4) { Self.write(&$0, Self.g1.multiply(lowPowers.map { alpha * $0 })) }
        w.section(5) { Self.write(&$0, Self.g1.multiply(lowPowers.map { beta * $0 })) }
        w.section(6) { Self.write(&$0, Self.g2.multiply([beta])) }
        w.section(7) { $0.u32(0) }
        w.section(12) { Self.write(&$0, Self.g1.multiply(lagrange + top)) }
        w.section(13) { Self.write(&$0, Self.g2.multiply(lagrange)) }
        w.section(14) { Self.write(&$0, Self.g1.multiply(lagrange.map { alpha * $0 })) }
        w.section(15) { Self.write(&$0, Self.g1.multiply(lagrange.map { beta * $0 })) }
        return w.bytes
    }

    /// `L_j(τ)`, j in `[0, size)`, for the subgroup of `size` = 2^k points (ω = 5^((r−1)/size)).
    static func lagrange(size: Int, at tau: Fr) -> [Fr] {
        guard let domain = EvaluationDomain(atLeast: size), domain.size == size else {
            preconditionFailure("size is a power of two ≤ 2^28")
        }
        precondition(!domain.vanishing(at: tau).isZero, "τ lies in the domain")
        return domain.lagrangeCoefficients(at: tau)
    }

    static func write(_ w: inout BinaryFileWriter, _ points: [G1Affine]) {
        for p in points {
            if p.isIdentity {
                for _ in 0..<8 { w.u64(0) }
            } else {
                w.limbs(p.x.montgomery)
                w.limbs(p.y.montgomery)
            }
        }
    }

    static func write(_ w: inout BinaryFileWriter, _ points: [G2Affine]) {
        for p in points {
            if p.isIdentity {
                for _ in 0..<16 { w.u64(0) }
            } else {
                for c in [p.x.c0, p.x.c1, p.y.c0, p.y.c1] { w.limbs(c.montgomery) }
            }
        }
    }
}
