/// A linear combination `Σ cᵢ·zᵢ` of the variables of a constraint system (specs/groth16.md §7.1):
/// variable 0 is the constant one, `1…nPublic` the public inputs, the rest private.
///
/// Terms may repeat a variable until `normalized()` merges them; a normalized combination has
/// its terms sorted by variable, each variable once, no zero coefficient.
public struct LinearCombination: Sendable {
    public var terms: [(variable: Int, coefficient: Fr)]

    public init(_ terms: [(variable: Int, coefficient: Fr)] = []) { self.terms = terms }

    /// `1·z_variable`.
    public init(variable: Int) { terms = [(variable, .one)] }

    /// The constant `c` (a multiple of variable 0).
    public init(constant c: Fr) { terms = c.isZero ? [] : [(0, c)] }

    public static var zero: LinearCombination { LinearCombination() }

    public static func + (a: LinearCombination, b: LinearCombination) -> LinearCombination {
        LinearCombination(a.terms + b.terms)
    }
    public static func - (a: LinearCombination, b: LinearCombination) -> LinearCombination {
        a + b * -Fr.one
    }
    public static func * (a: LinearCombination, c: Fr) -> LinearCombination {
        c.isZero ? .zero : LinearCombination(a.terms.map { ($0.variable, $0.coefficient * c) })
    }
    public static func += (a: inout LinearCombination, b: LinearCombination) { a.terms += b.terms }

    /// Sorted by variable, one term per variable, zero coefficients dropped.
    public func normalized() -> LinearCombination {
        let sorted = terms.sorted { $0.variable < $1.variable }
        var out: [(variable: Int, coefficient: Fr)] = []
        out.reserveCapacity(sorted.count)
        for t in sorted {
            if let last = out.last, last.variable == t.variable {
                out[out.count - 1].coefficient = last.coefficient + t.coefficient
            } else {
                out.append(t)
            }
        }
        return LinearCombination(out.filter { !$0.coefficient.isZero })
    }

    /// `Σ cᵢ·zᵢ` for the assignment `z`. Precondition: every variable is an index of `z`.
    public func evaluate(_ z: [Fr]) -> Fr {
        var sum = Fr.zero
        for t in terms { sum += t.coefficient * z[t.variable] }
        return sum
    }
}

/// A rank-1 constraint system over F_r (specs/groth16.md §7.1): an assignment `z` (z₀ = 1)
/// satisfies it when `⟨A_j, z⟩·⟨B_j, z⟩ = ⟨C_j, z⟩` for every constraint j.
public struct R1CS: Sendable {
    /// One constraint `A·B = C`, each side normalized.
    public struct Constraint: Sendable {
        public var a: LinearCombination
        public var b: LinearCombination
        public var c: LinearCombination

        public init(a: LinearCombination, b: LinearCombination, c: LinearCombination) {
            self.a = a.normalized()
            self.b = b.normalized()
            self.c = c.normalized()
        }
    }

    /// Number of public inputs (variables `1…publicCount`).
    public let publicCount: Int
    /// Number of variables, the constant one included.
    public let variableCount: Int
    public let constraints: [Constraint]

    /// Wraps a system after checking that every term names a variable below `variableCount`.
    ///
    /// - Throws: `Groth16Error.malformedField` naming the first constraint that does not.
    public init(publicCount: Int, variableCount: Int, constraints: [Constraint]) throws(Groth16Error) {
        guard publicCount >= 0, variableCount >= publicCount + 1 else {
            throw .countMismatch(what: "R1CS variable count", got: variableCount, want: publicCount + 1)
        }
        for (j, k) in constraints.enumerated() {
            for lc in [k.a, k.b, k.c]
            where lc.terms.contains(where: { $0.variable < 0 || $0.variable >= variableCount }) {
                throw .malformedField(
                    field: "constraint \(j)", reason: "names a variable outside [0, \(variableCount))")
            }
        }
        self.publicCount = publicCount
        self.variableCount = variableCount
        self.constraints = constraints
    }

    /// The index of the first constraint `z` violates, or nil when `z` satisfies every one.
    ///
    /// - Throws: `Groth16Error.countMismatch` when `z` is not `variableCount` long or `z₀ ≠ 1`.
    public func firstUnsatisfied(_ z: [Fr]) throws(Groth16Error) -> Int? {
        guard z.count == variableCount else {
            throw .countMismatch(what: "witness length", got: z.count, want: variableCount)
        }
        guard z[0] == .one else {
            throw .malformedField(field: "witness[0]", reason: "must be 1 (the constant variable)")
        }
        for (j, k) in constraints.enumerated() where k.a.evaluate(z) * k.b.evaluate(z) != k.c.evaluate(z) {
            return j
        }
        return nil
    }
}

/// Builds a constraint system and a satisfying assignment together (specs/groth16.md §7.2).
///
/// Gadgets allocate variables with their values and add constraints that do not depend on
/// those values, so synthesizing with any input gives the same system: setup synthesizes with a
/// placeholder input, proving with the real one. Public inputs are allocated first.
public struct ConstraintSystemBuilder: Sendable {
    /// The assignment so far; `values[0] = 1`.
    public private(set) var values: [Fr] = [.one]
    public private(set) var constraints: [R1CS.Constraint] = []
    public private(set) var publicCount = 0

    public init() {}

    /// Allocates the next public input with `value`.
    ///
    /// Precondition: no private variable has been allocated yet (public inputs are `1…nPublic`).
    public mutating func publicInput(_ value: Fr) -> LinearCombination {
        precondition(values.count == publicCount + 1, "public inputs come before private variables")
        publicCount += 1
        values.append(value)
        return LinearCombination(variable: values.count - 1)
    }

    /// Allocates a private variable holding `value`.
    public mutating func witness(_ value: Fr) -> LinearCombination {
        values.append(value)
        return LinearCombination(variable: values.count - 1)
    }

    /// Adds the constraint `a·b = c`.
    public mutating func enforce(
        _ a: LinearCombination, times b: LinearCombination, equals c: LinearCombination
    ) {
        constraints.append(R1CS.Constraint(a: a, b: b, c: c))
    }

    /// Adds the linear constraint `lc = 0` (as `lc·1 = 0`).
    public mutating func enforceZero(_ lc: LinearCombination) {
        enforce(lc, times: LinearCombination(constant: .one), equals: .zero)
    }

    /// The system built so far.
    public func system() throws(Groth16Error) -> R1CS {
        try R1CS(publicCount: publicCount, variableCount: values.count, constraints: constraints)
    }
}
