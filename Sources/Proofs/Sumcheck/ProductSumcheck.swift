/// The sumcheck protocol for Σ_{x ∈ {0,1}^ℓ} f(x)·g(x) with f, g multilinear (specs/proofs.md §5).
///
/// Round i (variables bound in order 0, 1, …, ℓ−1 — index bit i = variable i) sends the
/// degree-2 round polynomial p_i by its values at 0, 1, 2. The transcript absorbs the three
/// values before the round challenge r_i is drawn. The verifier checks p_i(0) + p_i(1) = claim
/// and continues with claim ← p_i(r_i); after ℓ rounds the caller must check
/// claim = f~(r)·g~(r) itself.
public enum ProductSumcheck {
    /// One round polynomial, by its evaluations at 0, 1 and 2.
    public struct RoundPolynomial: Hashable, Sendable {
        public var at0: GoldilocksExt2
        public var at1: GoldilocksExt2
        public var at2: GoldilocksExt2

        public init(at0: GoldilocksExt2, at1: GoldilocksExt2, at2: GoldilocksExt2) {
            self.at0 = at0
            self.at1 = at1
            self.at2 = at2
        }

        /// p(r) by Lagrange interpolation on {0, 1, 2}:
        /// p(r) = p(0)·(r−1)(r−2)/2 − p(1)·r(r−2) + p(2)·r(r−1)/2.
        public func evaluate(at r: GoldilocksExt2) -> GoldilocksExt2 {
            let one = GoldilocksExt2.one
            let two = GoldilocksExt2(Goldilocks(2))
            let rMinus1 = r - one
            let rMinus2 = r - two
            let half = ProductSumcheck.inverseOfTwo
            let l0 = rMinus1 * rMinus2 * half
            let l1 = -(r * rMinus2)
            let l2 = r * rMinus1 * half
            return at0 * l0 + at1 * l1 + at2 * l2
        }

        var elements: [GoldilocksExt2] { [at0, at1, at2] }
    }

    /// 1/2 in F_p, i.e. (p + 1) / 2.
    static let inverseOfTwo = Goldilocks((Goldilocks.modulus + 1) / 2)

    /// Runs the prover. `f` and `g` must have the same power-of-two length 2^ℓ.
    ///
    /// - Returns: the ℓ round polynomials and the challenges drawn after each.
    public static func prove(
        f: [GoldilocksExt2], g: [GoldilocksExt2], transcript: inout Transcript
    ) -> (rounds: [RoundPolynomial], challenges: [GoldilocksExt2]) {
        var f = f
        var g = g
        var rounds: [RoundPolynomial] = []
        var challenges: [GoldilocksExt2] = []
        while f.count > 1 {
            var s0 = GoldilocksExt2.zero
            var s1 = GoldilocksExt2.zero
            var s2 = GoldilocksExt2.zero
            for i in 0..<(f.count / 2) {
                let f0 = f[2 * i]
                let f1 = f[2 * i + 1]
                let g0 = g[2 * i]
                let g1 = g[2 * i + 1]
                s0 += f0 * g0
                s1 += f1 * g1
                s2 += (f1 + f1 - f0) * (g1 + g1 - g0)
            }
            let round = RoundPolynomial(at0: s0, at1: s1, at2: s2)
            transcript.observe("sumcheck-round", ext: round.elements)
            let r = transcript.sampleExt2("sumcheck-challenge")
            rounds.append(round)
            challenges.append(r)
            f = Multilinear.fold(f, at: r)
            g = Multilinear.fold(g, at: r)
        }
        return (rounds, challenges)
    }

    /// The verifier's side: the point and the claim that remains to be checked, or why it failed.
    public enum Outcome: Sendable, Equatable {
        /// All rounds were consistent; the caller must check `finalClaim = f~(point)·g~(point)`.
        case reduced(point: [GoldilocksExt2], finalClaim: GoldilocksExt2)
        /// Round `round` (0-based) failed p(0) + p(1) = claim.
        case inconsistentRound(Int)
    }

    /// Runs the verifier on `rounds` against `claim`, absorbing each round polynomial before
    /// drawing its challenge. The caller has already checked `rounds.count` equals ℓ.
    public static func verify(
        claim: GoldilocksExt2, rounds: [RoundPolynomial], transcript: inout Transcript
    ) -> Outcome {
        var claim = claim
        var point: [GoldilocksExt2] = []
        for (i, round) in rounds.enumerated() {
            guard round.at0 + round.at1 == claim else { return .inconsistentRound(i) }
            transcript.observe("sumcheck-round", ext: round.elements)
            let r = transcript.sampleExt2("sumcheck-challenge")
            point.append(r)
            claim = round.evaluate(at: r)
        }
        return .reduced(point: point, finalClaim: claim)
    }
}
