/// Groth16 proving (Groth 2016, §3.2; specs/groth16.md §7.5).
public enum Groth16Prover {
    /// A proof that `witness` satisfies `r1cs`, for the public inputs `witness[1…nPublic]`.
    ///
    /// The quotient `h = (a·b − c)/Z` is computed on the coset g·H by FFTs; the group elements by
    /// Pippenger multi-scalar multiplications. `rng` supplies the blinding scalars r and s.
    ///
    /// - Throws: `Groth16Error.countMismatch` when the key is not for a system of this shape;
    ///   `.unsatisfied(constraint:)` naming the first constraint the witness violates (no proof of a
    ///   false statement is attempted).
    public static func prove(
        key: Groth16ProvingKey, r1cs: R1CS, witness z: [Fr], using rng: inout some RandomNumberGenerator
    ) throws(Groth16Error) -> Groth16Proof {
        guard key.variableCount == r1cs.variableCount, key.publicCount == r1cs.publicCount,
            key.constraintCount == r1cs.constraints.count
        else {
            throw .countMismatch(
                what: "proving key variables", got: key.variableCount, want: r1cs.variableCount)
        }
        if let j = try r1cs.firstUnsatisfied(z) { throw .unsatisfied(constraint: j) }
        let h = quotient(r1cs, z, domainSize: key.domainSize)
        let r = Fr.random(using: &rng)
        let s = Fr.random(using: &rng)
        let privateZ = Array(z[(r1cs.publicCount + 1)...])

        let delta1 = JacobianPoint(key.delta1)
        var a = MultiScalarMultiplication.multiply(key.a, z).adding(key.verifyingKey.alpha)
        a = a + delta1.multiplied(by: r.canonicalWords)
        var b2 = MultiScalarMultiplication.multiply(key.b2, z).adding(key.verifyingKey.beta)
        b2 = b2 + JacobianPoint(key.verifyingKey.delta).multiplied(by: s.canonicalWords)
        var b1 = MultiScalarMultiplication.multiply(key.b1, z).adding(key.beta1)
        b1 = b1 + delta1.multiplied(by: s.canonicalWords)
        var c =
            MultiScalarMultiplication.multiply(key.l, privateZ) + MultiScalarMultiplication.multiply(key.h, h)
        c = c + a.multiplied(by: s.canonicalWords) + b1.multiplied(by: r.canonicalWords)
        c = c + delta1.multiplied(by: (r * s).canonicalWords).negated
        return Groth16Proof(a: a.affine, b: b2.affine, c: c.affine)
    }

    /// The coefficients of `h(X) = (A(X)·B(X) − C(X)) / Z(X)`, n − 1 of them.
    static func quotient(_ r1cs: R1CS, _ z: [Fr], domainSize n: Int) -> [Fr] {
        guard let domain = EvaluationDomain(atLeast: n) else { return [] }
        var a = [Fr](repeating: .zero, count: n)
        var b = a
        var c = a
        for (j, k) in r1cs.constraints.enumerated() {
            a[j] = k.a.evaluate(z)
            b[j] = k.b.evaluate(z)
            c[j] = k.c.evaluate(z)
        }
        let m = r1cs.constraints.count
        for i in 0...r1cs.publicCount { a[m + i] = z[i] }
        domain.ifft(&a)
        domain.ifft(&b)
        domain.ifft(&c)
        domain.cosetFFT(&a)
        domain.cosetFFT(&b)
        domain.cosetFFT(&c)
        let zInverse = (Fr.generator.power([UInt64(n)]) - .one).inverse() ?? .zero
        var h = [Fr](repeating: .zero, count: n)
        for i in 0..<n { h[i] = (a[i] * b[i] - c[i]) * zInverse }
        domain.cosetIFFT(&h)
        return Array(h[0..<(n - 1)])
    }
}
