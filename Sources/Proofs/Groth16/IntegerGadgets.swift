import Groth16

/// A circuit value that stands for an integer (specs/groth16.md §8.1): a linear combination of
/// the system's variables and the integer the honest witness gives it. The field never wraps
/// for an honest witness: every gadget bounds what it allocates so that each constraint, read
/// over the integers, has both sides far below r/2.
struct IntSignal {
    var lc: LinearCombination
    var value: Int128

    static func constant(_ c: Int128) -> IntSignal {
        IntSignal(lc: LinearCombination(constant: Fr(int128: c)), value: c)
    }

    static func + (a: IntSignal, b: IntSignal) -> IntSignal {
        IntSignal(lc: a.lc + b.lc, value: a.value + b.value)
    }
    static func - (a: IntSignal, b: IntSignal) -> IntSignal {
        IntSignal(lc: a.lc - b.lc, value: a.value - b.value)
    }
    static func + (a: IntSignal, c: Int128) -> IntSignal { a + .constant(c) }
    static func - (a: IntSignal, c: Int128) -> IntSignal { a - .constant(c) }
    static func * (a: IntSignal, c: Int128) -> IntSignal {
        IntSignal(lc: a.lc * Fr(int128: c), value: a.value * c)
    }
    static func * (c: Int128, a: IntSignal) -> IntSignal { a * c }
    static func - (c: Int128, a: IntSignal) -> IntSignal { .constant(c) - a }

    /// `Σ cᵢ·sᵢ` for constant coefficients (no constraint).
    static func sum(_ terms: [(IntSignal, Int128)]) -> IntSignal {
        var lc = LinearCombination()
        var value: Int128 = 0
        for (s, c) in terms where c != 0 {
            lc += s.lc * Fr(int128: c)
            value += s.value * c
        }
        return IntSignal(lc: lc, value: value)
    }
}

extension Fr {
    /// `v mod r` for a signed 128-bit integer.
    init(int128 v: Int128) {
        let m = v.magnitude
        let limbs: Limbs4 = (
            UInt(UInt64(truncatingIfNeeded: m)), UInt(UInt64(truncatingIfNeeded: m >> 64)), 0, 0
        )
        // |v| < 2^128 < r.
        let e = Fr(canonical: limbs) ?? .zero
        self = v < 0 ? -e : e
    }
}

/// Integer gadgets over a `ConstraintSystemBuilder` (specs/groth16.md §8.2). Each adds the same
/// constraints whatever the witness values; a wrong value leaves a constraint unsatisfied.
struct IntegerCircuit {
    var builder = ConstraintSystemBuilder()

    mutating func publicInput(_ value: Fr) -> LinearCombination { builder.publicInput(value) }

    mutating func witness(_ value: Int128) -> IntSignal {
        IntSignal(lc: builder.witness(Fr(int128: value)), value: value)
    }

    mutating func enforceZero(_ s: IntSignal) { builder.enforceZero(s.lc) }

    /// A variable constrained to {0, 1}: `b·(b − 1) = 0`.
    mutating func boolean(_ bit: Bool) -> IntSignal {
        let b = witness(bit ? 1 : 0)
        builder.enforce(b.lc, times: (b - 1).lc, equals: .zero)
        return b
    }

    /// A new variable equal to `a·b` (one constraint).
    mutating func product(_ a: IntSignal, _ b: IntSignal) -> IntSignal {
        let p = witness(a.value * b.value)
        builder.enforce(a.lc, times: b.lc, equals: p.lc)
        return p
    }

    /// `Π factors = 0` (some factor is zero) as a chain of `count − 1` products, computed in the
    /// field (the partial products are not integers the circuit bounds).
    mutating func enforceProductIsZero(_ factors: [IntSignal]) {
        guard var chain = factors.first?.lc else { return }
        guard factors.count > 1 else { return builder.enforceZero(chain) }
        var value = chain.evaluate(builder.values)
        for f in factors.dropFirst().dropLast() {
            value *= f.lc.evaluate(builder.values)
            let next = builder.witness(value)
            builder.enforce(chain, times: f.lc, equals: next)
            chain = next
        }
        builder.enforce(chain, times: factors[factors.count - 1].lc, equals: .zero)
    }

    /// Constrains `s` to `[0, 2^bits)` through `bits` boolean variables summing to it
    /// (`bits + 1` constraints); returns the bits, least significant first. `bits = 0` forces 0.
    @discardableResult
    mutating func rangeCheck(_ s: IntSignal, bits: Int) -> [IntSignal] {
        precondition(bits >= 0 && bits <= 126, "range checks are below 2^126")
        var out: [IntSignal] = []
        var terms: [(IntSignal, Int128)] = []
        for i in 0..<bits {
            let b = boolean(s.value >= 0 && (s.value >> Int128(i)) & 1 == 1)
            out.append(b)
            terms.append((b, Int128(1) << Int128(i)))
        }
        enforceZero(IntSignal.sum(terms) - s)
        return out
    }

    /// One boolean per candidate value, exactly one set, at index `index` (honest witness).
    mutating func oneHot(count: Int, index: Int) -> [IntSignal] {
        let flags = (0..<count).map { boolean($0 == index) }
        enforceZero(IntSignal.sum(flags.map { ($0, 1) }) - 1)
        return flags
    }

    /// `z = 1` if `s = 0` else `0`: `s·inv = 1 − z`, `s·z = 0` (two constraints).
    mutating func isZero(_ s: IntSignal) -> IntSignal {
        let inverse = Fr(int128: s.value).inverse() ?? .zero
        let inv = IntSignal(lc: builder.witness(inverse), value: 0)
        let z = witness(s.value == 0 ? 1 : 0)
        builder.enforce(s.lc, times: inv.lc, equals: (IntSignal.constant(1) - z).lc)
        builder.enforce(s.lc, times: z.lc, equals: .zero)
        return z
    }

    /// `sat32(v)` = `clamp(v, −(2^31 − 1), 2^31 − 1)` (specs/kernel.md §2.2) for an honest
    /// `|v| < 2^bound`. Flags `hi = [v > MAX]`, `lo = [v < −MAX]` are pinned by two range checks
    /// of `bound + 1` bits each, which also bound v for any witness.
    mutating func saturate32(_ v: IntSignal, bound: Int) -> IntSignal {
        let max = Int128(Int32.max)
        let hi = boolean(v.value > max)
        let lo = boolean(v.value < -max)
        let hiV = product(hi, v)
        let loV = product(lo, v)
        // hi = 1: v − MAX − 1 ≥ 0; hi = 0: MAX − v ≥ 0.
        rangeCheck(2 * hiV - hi * (2 * max + 1) + max - v, bits: bound + 1)
        // lo = 1: −MAX − 1 − v ≥ 0; lo = 0: v + MAX ≥ 0.
        rangeCheck(v + max - 2 * loV - lo * (2 * max + 1), bits: bound + 1)
        return v - hiV - loV + (hi - lo) * max
    }
}
