import Crypto

/// The secret scalars of a Groth16 setup (specs/groth16.md §7.4). Whoever knows them can forge
/// proofs for the circuit: a production setup takes τ from a public powers-of-tau ceremony and
/// discards the rest; `seeded(_:)` exists for tests and the demo and says so.
public struct ToxicWaste: Sendable {
    public let tau: Fr
    public let alpha: Fr
    public let beta: Fr
    public let gamma: Fr
    public let delta: Fr

    /// Fresh secrets from the system's cryptographic generator.
    public static func random() -> ToxicWaste {
        var rng = SystemRandomNumberGenerator()
        return ToxicWaste(using: &rng)
    }

    /// **Publicly known** secrets derived from `seed` (specs/groth16.md §7.4): anyone who knows
    /// the seed can forge proofs. For tests, benchmarks and the demo only.
    public static func seeded(_ seed: UInt64) -> ToxicWaste {
        var rng = SeededFieldGenerator(seed: seed)
        return ToxicWaste(using: &rng)
    }

    /// Explicit secrets (tests: a setup from a ceremony written with known τ, α, β must equal
    /// the setup from these with γ = 1).
    init(tau: Fr, alpha: Fr, beta: Fr, gamma: Fr, delta: Fr) {
        self.tau = tau
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.delta = delta
    }

    init(using rng: inout some RandomNumberGenerator) {
        tau = Fr.random(using: &rng)
        alpha = Fr.random(using: &rng)
        beta = Fr.random(using: &rng)
        gamma = Fr.random(using: &rng)
        delta = Fr.random(using: &rng)
    }
}

extension Fr {
    /// A uniform nonzero element: 256 random bits with the top two cleared, rejected unless
    /// `0 < v < r` (about one draw in four is rejected).
    public static func random(using rng: inout some RandomNumberGenerator) -> Fr {
        while true {
            let w = (0..<4).map { _ in rng.next() as UInt64 }
            if let v = Fr(words: [w[0], w[1], w[2], w[3] & ((1 << 62) - 1)]), !v.isZero { return v }
        }
    }
}

/// SHA-256 in counter mode: block i is `SHA-256("mesh-validator/groth16/seeded/v1" ‖ u64be(seed)
/// ‖ u64be(i))`, read as four little-endian 64-bit words (specs/groth16.md §7.4).
public struct SeededFieldGenerator: RandomNumberGenerator {
    let seed: UInt64
    var counter: UInt64 = 0
    var buffer: [UInt64] = []

    public init(seed: UInt64) { self.seed = seed }

    public mutating func next() -> UInt64 {
        if buffer.isEmpty {
            var input = Array("mesh-validator/groth16/seeded/v1".utf8)
            for v in [seed, counter] {
                input += (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) }
            }
            counter += 1
            let digest = Array(SHA256.hash(data: input))
            buffer = (0..<4).reversed().map { i in
                (0..<8).reduce(UInt64(0)) { $0 | UInt64(digest[8 * i + $1]) << (8 * UInt64($1)) }
            }
        }
        return buffer.removeLast()
    }
}

/// What a prover needs for one circuit (specs/groth16.md §7.4): the QAP polynomials of every
/// variable evaluated at τ, in the groups, and the verifying key.
public struct Groth16ProvingKey: Sendable {
    public let verifyingKey: Groth16VerifyingKey
    let beta1: G1Affine
    let delta1: G1Affine
    /// `[u_i(τ)]₁` for every variable i.
    let a: [G1Affine]
    /// `[v_i(τ)]₁` and `[v_i(τ)]₂` for every variable i.
    let b1: [G1Affine]
    let b2: [G2Affine]
    /// `[(β·u_i(τ) + α·v_i(τ) + w_i(τ))/δ]₁` for the private variables.
    let l: [G1Affine]
    /// `[τ^k·Z(τ)/δ]₁`, k in `[0, n − 1)`.
    let h: [G1Affine]
    public let domainSize: Int
    public let publicCount: Int
    public let variableCount: Int
    public let constraintCount: Int
}

/// Circuit-specific Groth16 setup from explicit secrets (Groth 2016, §3.2; the QAP of
/// specs/groth16.md §7.3).
public enum Groth16Setup {
    /// The proving key (with its verifying key) of `r1cs` for the secrets `waste`.
    ///
    /// - Throws: `Groth16Error.tooLarge` beyond 2^28 QAP rows; `.malformedField` if τ happens to
    ///   lie in the domain (probability n/r) — pick other secrets.
    public static func generate(_ r1cs: R1CS, waste: ToxicWaste) throws(Groth16Error) -> Groth16ProvingKey {
        let rows = r1cs.constraints.count + r1cs.publicCount + 1
        guard let domain = EvaluationDomain(atLeast: rows) else { throw .tooLarge(rows: rows) }
        let zTau = domain.vanishing(at: waste.tau)
        guard !zTau.isZero else {
            throw .malformedField(field: "tau", reason: "lies in the evaluation domain")
        }
        let lagrange = domain.lagrangeCoefficients(at: waste.tau)
        let (u, v, w) = qapAtTau(r1cs, lagrange: lagrange)
        guard let gammaInverse = waste.gamma.inverse(), let deltaInverse = waste.delta.inverse() else {
            throw .malformedField(field: "toxic waste", reason: "gamma and delta must be nonzero")
        }
        let g1 = FixedBaseTable(G1.generator)
        let g2 = FixedBaseTable(G2.generator)
        let combined = (0..<r1cs.variableCount).map { i in waste.beta * u[i] + waste.alpha * v[i] + w[i] }
        let publicRange = 0...r1cs.publicCount
        let ic = g1.multiply(publicRange.map { combined[$0] * gammaInverse })
        let l = g1.multiply(combined[(r1cs.publicCount + 1)...].map { $0 * deltaInverse })
        var hScalars: [Fr] = []
        hScalars.reserveCapacity(domain.size - 1)
        var tauPower = zTau * deltaInverse
        for _ in 0..<(domain.size - 1) {
            hScalars.append(tauPower)
            tauPower *= waste.tau
        }
        let singles = g1.multiply([waste.alpha, waste.beta, waste.delta])
        let singles2 = g2.multiply([waste.beta, waste.gamma, waste.delta])
        let vk = Groth16VerifyingKey(
            alpha: singles[0], beta: singles2[0], gamma: singles2[1], delta: singles2[2], ic: ic)
        return Groth16ProvingKey(
            verifyingKey: vk, beta1: singles[1], delta1: singles[2], a: g1.multiply(u), b1: g1.multiply(v),
            b2: g2.multiply(v), l: l, h: g1.multiply(hScalars), domainSize: domain.size,
            publicCount: r1cs.publicCount, variableCount: r1cs.variableCount,
            constraintCount: r1cs.constraints.count)
    }

    /// `u_i(τ), v_i(τ), w_i(τ)` for every variable: constraint j sits at ω^j; after the m
    /// constraints come the input-consistency rows `z_i · 0 = 0` for i in `0…nPublic` (A only),
    /// which make the public polynomials linearly independent (specs/groth16.md §7.3).
    static func qapAtTau(_ r1cs: R1CS, lagrange: [Fr]) -> ([Fr], [Fr], [Fr]) {
        var u = [Fr](repeating: .zero, count: r1cs.variableCount)
        var v = u
        var w = u
        for (j, k) in r1cs.constraints.enumerated() {
            let lj = lagrange[j]
            for t in k.a.terms { u[t.variable] += t.coefficient * lj }
            for t in k.b.terms { v[t.variable] += t.coefficient * lj }
            for t in k.c.terms { w[t.variable] += t.coefficient * lj }
        }
        let m = r1cs.constraints.count
        for i in 0...r1cs.publicCount { u[i] += lagrange[m + i] }
        return (u, v, w)
    }
}
