/// The multiplicative subgroup `H = {ω^i}` of F_r of size `n = 2^k` on which the QAP of a
/// constraint system is interpolated (specs/groth16.md §7.3), with its radix-2 FFTs.
///
/// Constraint j is attached to the point ω^j. The coset used for the quotient is `g·H`, g = 5
/// (`Fr.generator`), on which the vanishing polynomial `Z(X) = X^n − 1` is the nonzero constant
/// `g^n − 1`.
public struct EvaluationDomain: Sendable {
    public let size: Int
    public let logSize: Int
    /// A primitive `size`-th root of unity.
    public let omega: Fr
    let omegaInverse: Fr
    let sizeInverse: Fr

    /// The smallest domain with at least `count` points; nil beyond 2^28 (F_r's 2-adicity).
    public init?(atLeast count: Int) {
        var k = 0
        while (1 << k) < max(count, 1) { k += 1 }
        guard k <= Fr.twoAdicity else { return nil }
        size = 1 << k
        logSize = k
        var w = Fr.twoAdicRootOfUnity
        for _ in k..<Fr.twoAdicity { w = w.squared() }
        omega = w
        guard let wi = w.inverse(), let ni = Fr(UInt64(size)).inverse() else { return nil }
        omegaInverse = wi
        sizeInverse = ni
    }

    /// Coefficients → evaluations at `ω^0 … ω^(n−1)`, in place. Precondition: `a.count == size`.
    public func fft(_ a: inout [Fr]) { transform(&a, root: omega) }

    /// Evaluations at `ω^i` → coefficients, in place.
    public func ifft(_ a: inout [Fr]) {
        transform(&a, root: omegaInverse)
        for i in a.indices { a[i] *= sizeInverse }
    }

    /// Coefficients → evaluations at `g·ω^i`.
    public func cosetFFT(_ a: inout [Fr]) {
        var power = Fr.one
        for i in a.indices {
            a[i] *= power
            power *= Fr.generator
        }
        fft(&a)
    }

    /// Evaluations at `g·ω^i` → coefficients.
    public func cosetIFFT(_ a: inout [Fr]) {
        ifft(&a)
        guard let gInverse = Fr.generator.inverse() else { return }
        var power = Fr.one
        for i in a.indices {
            a[i] *= power
            power *= gInverse
        }
    }

    /// `Z(x) = x^n − 1`.
    public func vanishing(at x: Fr) -> Fr { x.power([UInt64(size)]) - .one }

    /// `L_i(τ)` for every i: the Lagrange basis of H at τ, `L_i(τ) = Z(τ)·ω^i / (n·(τ − ω^i))`.
    /// Precondition: τ ∉ H (a random τ is outside with overwhelming probability; setup checks).
    public func lagrangeCoefficients(at tau: Fr) -> [Fr] {
        let z = vanishing(at: tau)
        var denominators = [Fr](repeating: .zero, count: size)
        var w = Fr.one
        for i in 0..<size {
            denominators[i] = tau - w
            w *= omega
        }
        let inverses = Fr.batchInverse(denominators)
        var out = [Fr](repeating: .zero, count: size)
        let scale = z * sizeInverse
        w = .one
        for i in 0..<size {
            out[i] = scale * w * inverses[i]
            w *= omega
        }
        return out
    }

    /// Iterative Cooley–Tukey, bit-reversed input order, `root` a primitive size-th root.
    private func transform(_ a: inout [Fr], root: Fr) {
        precondition(a.count == size, "FFT input must have the domain's size")
        let n = size
        var j = 0
        for i in 1..<max(n, 1) {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j { a.swapAt(i, j) }
        }
        var half = 1
        while half < n {
            // w_len = root^(n / (2·half))
            var wLen = root
            var m = n / (2 * half)
            while m > 1 {
                wLen = wLen.squared()
                m >>= 1
            }
            var twiddles = [Fr](repeating: .one, count: half)
            for k in 1..<max(half, 1) { twiddles[k] = twiddles[k - 1] * wLen }
            var start = 0
            while start < n {
                for k in 0..<half {
                    let u = a[start + k]
                    let v = a[start + k + half] * twiddles[k]
                    a[start + k] = u + v
                    a[start + k + half] = u - v
                }
                start += 2 * half
            }
            half *= 2
        }
    }
}

extension Fr {
    /// The inverses of every element (zeros map to zero) with one field inversion.
    public static func batchInverse(_ xs: [Fr]) -> [Fr] {
        var prefix = [Fr](repeating: .one, count: xs.count)
        var acc = Fr.one
        for (i, x) in xs.enumerated() where !x.isZero {
            prefix[i] = acc
            acc *= x
        }
        guard var inv = acc.inverse() else { return xs }
        var out = [Fr](repeating: .zero, count: xs.count)
        for i in stride(from: xs.count - 1, through: 0, by: -1) where !xs[i].isZero {
            out[i] = inv * prefix[i]
            inv *= xs[i]
        }
        return out
    }
}
