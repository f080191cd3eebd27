extension Groth16Setup {
    /// The proving key of `r1cs` from a public powers-of-tau ceremony and one phase-2 secret δ,
    /// as `snarkjs groth16 setup` followed by one `zkey contribute` would make it
    /// (specs/groth16.md §12.5).
    ///
    /// τ, α and β are the ceremony's (nobody knows them if one of its contributors was honest); γ
    /// is 1 (`vk_gamma_2` is the G2 generator, as in snarkjs); δ is the caller's and must be
    /// discarded after this call. With n the domain size (rows = constraints + nPublic + 1):
    ///
    /// - `a_i = Σ_j A_ji·[L_j(τ)]₁` (+ `[L_(m+i)(τ)]₁` for i ≤ nPublic), `b_i` likewise from B in
    ///   G1 and G2 (sections 12, 13);
    /// - `K_i = Σ_j (A_ji·[β L_j(τ)]₁ + B_ji·[α L_j(τ)]₁ + C_ji·[L_j(τ)]₁)` (sections 15, 14, 12):
    ///   `IC_i = K_i` for i ≤ nPublic, `l_i = δ⁻¹·K_i` for the private variables;
    /// - `h_k = δ⁻¹·([τ^(k+n)]₁ − [τ^k]₁) = [τ^k·Z(τ)/δ]₁`, k in `[0, n − 1)` (section 2), the
    ///   coefficient basis `Groth16Prover.quotient` uses.
    ///
    /// - Throws: `Groth16Error.tooLarge` beyond 2^28 rows; `.ceremonyTooSmall` when the domain
    ///   exceeds 2^power; `.ptauNotPrepared`; `.malformedField` for δ = 0; any error of
    ///   `PowersOfTau.basis(for:)` (unreadable, bad or inconsistent points).
    public static func generate(_ r1cs: R1CS, powersOfTau: PowersOfTau, delta: Fr) throws(Groth16Error)
        -> Groth16ProvingKey
    {
        let rows = r1cs.constraints.count + r1cs.publicCount + 1
        guard let domain = EvaluationDomain(atLeast: rows) else { throw .tooLarge(rows: rows) }
        guard domain.logSize <= powersOfTau.power else {
            throw .ceremonyTooSmall(power: powersOfTau.power, needed: domain.logSize)
        }
        guard let deltaInverse = delta.inverse() else {
            throw .malformedField(field: "delta", reason: "must be nonzero")
        }
        let basis = try powersOfTau.basis(for: domain)
        let n = domain.size
        let m = r1cs.constraints.count

        // Columns: for every variable, the rows (QAP points) it appears in, with coefficients.
        var aColumns = [[(row: Int, coefficient: Fr)]](repeating: [], count: r1cs.variableCount)
        var bColumns = aColumns
        var cColumns = aColumns
        for (j, k) in r1cs.constraints.enumerated() {
            for t in k.a.terms { aColumns[t.variable].append((j, t.coefficient)) }
            for t in k.b.terms { bColumns[t.variable].append((j, t.coefficient)) }
            for t in k.c.terms { cColumns[t.variable].append((j, t.coefficient)) }
        }
        for i in 0...r1cs.publicCount { aColumns[i].append((m + i, .one)) }

        var a: [JacobianPoint<Fp>] = []
        var b1: [JacobianPoint<Fp>] = []
        var b2: [JacobianPoint<Fp2>] = []
        var ic: [JacobianPoint<Fp>] = []
        var l: [JacobianPoint<Fp>] = []
        for i in 0..<r1cs.variableCount {
            a.append(sparseSum(basis.lagrangeG1, aColumns[i]))
            b1.append(sparseSum(basis.lagrangeG1, bColumns[i]))
            b2.append(sparseSum(basis.lagrangeG2, bColumns[i]))
            let k =
                sparseSum(basis.betaLagrangeG1, aColumns[i]) + sparseSum(basis.alphaLagrangeG1, bColumns[i])
                + sparseSum(basis.lagrangeG1, cColumns[i])
            if i <= r1cs.publicCount {
                ic.append(k)
            } else {
                l.append(k.multiplied(by: deltaInverse.canonicalWords))
            }
        }
        let deltaWords = deltaInverse.canonicalWords
        var h: [JacobianPoint<Fp>] = []
        h.reserveCapacity(n - 1)
        for k in 0..<(n - 1) {
            h.append(
                JacobianPoint(basis.tauG1[k + n]).adding(basis.tauG1[k].negated).multiplied(by: deltaWords))
        }
        let delta1 = MultiScalarMultiplication.multiply(G1.generator, delta).affine
        let delta2 = MultiScalarMultiplication.multiply(G2.generator, delta).affine
        let vk = Groth16VerifyingKey(
            alpha: basis.alpha1, beta: basis.beta2, gamma: G2.generator, delta: delta2,
            ic: JacobianPoint.batchAffine(ic))
        return Groth16ProvingKey(
            verifyingKey: vk, beta1: basis.beta1, delta1: delta1, a: JacobianPoint.batchAffine(a),
            b1: JacobianPoint.batchAffine(b1), b2: JacobianPoint.batchAffine(b2),
            l: JacobianPoint.batchAffine(l),
            h: JacobianPoint.batchAffine(h), domainSize: n, publicCount: r1cs.publicCount,
            variableCount: r1cs.variableCount, constraintCount: m)
    }

    /// `Σ c·points[row]` over `terms`. circom's coefficients are mostly ±small: a coefficient
    /// above (r−1)/2 is multiplied as `−(r − c)`, and leading zero bits are skipped, so ±1 costs
    /// one addition and a k-bit coefficient about k doublings.
    static func sparseSum<F: CurveField>(
        _ points: [AffinePoint<F>], _ terms: [(row: Int, coefficient: Fr)]
    ) -> JacobianPoint<F> {
        var sum = JacobianPoint<F>.identity
        for t in terms {
            let negate = Limbs256.compare(t.coefficient.canonical, halfOrder) > 0
            let words = (negate ? -t.coefficient : t.coefficient).canonicalWords
            let p = negate ? points[t.row].negated : points[t.row]
            sum = sum + shortMultiply(p, words)
        }
        return sum
    }

    /// (r − 1)/2.
    static let halfOrder: Limbs4 = {
        let r = Fr.field.modulus
        return (r.0 >> 1 | r.1 << 63, r.1 >> 1 | r.2 << 63, r.2 >> 1 | r.3 << 63, r.3 >> 1)
    }()

    /// `k·p` by double-and-add from k's highest set bit (not constant-time: public data only).
    static func shortMultiply<F: CurveField>(_ p: AffinePoint<F>, _ k: [UInt64]) -> JacobianPoint<F> {
        guard let top = k.lastIndex(where: { $0 != 0 }) else { return .identity }
        var acc = JacobianPoint<F>.identity
        for limb in stride(from: top, through: 0, by: -1) {
            let highest = limb == top ? 63 - k[limb].leadingZeroBitCount : 63
            for bit in stride(from: highest, through: 0, by: -1) {
                acc = acc.doubled()
                if (k[limb] >> UInt64(bit)) & 1 == 1 { acc = acc.adding(p) }
            }
        }
        return acc
    }
}
