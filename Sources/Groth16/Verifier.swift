/// The outcome of verifying a well-formed Groth16 proof.
public enum Groth16Verdict: Equatable, Sendable {
    /// e(A, B) = e(α, β)·e(L, γ)·e(C, δ) holds for the public inputs.
    case valid
    /// It does not; `reason` says which check failed.
    case invalid(reason: String)
}

/// Groth16 verification on BN254 (specs/groth16.md §6).
public enum Groth16 {
    /// Checks `proof` for `inputs` under `key`.
    ///
    /// Preconditions (checked): `inputs.count == key.publicInputCount`. Every point was checked when
    /// it was read (on its curve, in its subgroup, not the identity); inputs are below r.
    ///
    /// - Returns: `.valid` when ∏ e(−A, B)·e(α, β)·e(L, γ)·e(C, δ) = 1 with
    ///   L = IC[0] + Σ inputs[i]·IC[i+1]; `.invalid` otherwise.
    /// - Throws: `Groth16Error.countMismatch` when the number of inputs differs from the key's.
    public static func verify(
        key: Groth16VerifyingKey, proof: Groth16Proof, inputs: Groth16PublicInputs
    ) throws(Groth16Error) -> Groth16Verdict {
        guard inputs.count == key.publicInputCount else {
            throw .countMismatch(what: "public input count", got: inputs.count, want: key.publicInputCount)
        }
        // L = IC[0] + Σ x_i·IC[i+1]: one Pippenger multi-scalar multiplication (shared doublings).
        let scalars = inputs.values.map { Fr(words: $0) ?? .zero }
        let l = MultiScalarMultiplication.multiply(Array(key.ic.dropFirst()), scalars).adding(key.ic[0])
        // e(α, β)'s Miller value and the lines of γ and δ were computed when the key was read.
        let f = Pairing.millerLoop(
            [(proof.a.negated, proof.b)],
            prepared: [(l.affine, key.preparedGamma), (proof.c, key.preparedDelta)])
        let ok = Pairing.finalExponentiation(f * key.alphaBetaMiller).isOne
        return ok
            ? .valid
            : .invalid(reason: "pairing check e(A, B) = e(alpha, beta)·e(L, gamma)·e(C, delta) fails")
    }
}
