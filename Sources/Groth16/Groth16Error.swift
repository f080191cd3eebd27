/// Every error the Groth16 module throws: input that is not a well-formed snarkjs key, proof or
/// public-input list (specs/groth16.md §4–§5).
///
/// A well-formed proof that does not verify is not an error: `Groth16.verify` returns
/// `Groth16Verdict.invalid(reason:)` for it.
public enum Groth16Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not one JSON value (`reason` from the strict parser).
    case malformedJSON(String)
    /// A member is missing, has the wrong JSON type or shape, or is not one this reader knows.
    case malformedField(field: String, reason: String)
    /// `protocol` is not "groth16".
    case unsupportedProtocol(String)
    /// `curve` is present and not "bn128".
    case unsupportedCurve(String)
    /// A coordinate is not canonical decimal text below p.
    case badCoordinate(field: String, reason: String)
    /// A public input is not canonical decimal text below r.
    case badPublicInput(index: Int, reason: String)
    /// A point's projective z is neither 1 nor the identity encoding.
    case badProjectiveZ(field: String)
    /// A point that must not be the identity is.
    case identityNotAllowed(field: String)
    /// A count disagrees with another (`nPublic`, `IC`, the public inputs).
    case countMismatch(what: String, got: Int, want: Int)
    /// A point check failed; `field` names the point.
    case badPoint(field: String, reason: Groth16PointFault)
    /// The witness does not satisfy constraint `index` of the system being proved.
    case unsatisfied(constraint: Int)
    /// The system is too large for a radix-2 domain of F_r (more than 2^28 rows).
    case tooLarge(rows: Int)

    public var description: String {
        switch self {
        case .malformedJSON(let r): return "not JSON: \(r)"
        case .malformedField(let f, let r): return "\(f): \(r)"
        case .unsupportedProtocol(let p): return "protocol is \"\(p)\", want \"groth16\""
        case .unsupportedCurve(let c): return "curve is \"\(c)\", want \"bn128\""
        case .badCoordinate(let f, let r): return "\(f): \(r)"
        case .badPublicInput(let i, let r): return "public input \(i): \(r)"
        case .badProjectiveZ(let f): return "\(f): z is neither 1 nor the identity encoding [0, 1, 0]"
        case .identityNotAllowed(let f): return "\(f) is the identity, which is not allowed there"
        case .countMismatch(let w, let got, let want): return "\(w) is \(got), want \(want)"
        case .badPoint(let f, let fault): return "\(f): \(fault)"
        case .unsatisfied(let j): return "the witness does not satisfy constraint \(j)"
        case .tooLarge(let rows): return "\(rows) QAP rows exceed the largest F_r domain (2^28)"
        }
    }
}

/// Why a point was refused.
public enum Groth16PointFault: Error, Equatable, Sendable, CustomStringConvertible {
    case notOnCurve
    case notInSubgroup

    public var description: String {
        switch self {
        case .notOnCurve: return "not on the curve"
        case .notInSubgroup: return "on the curve but not in the order-r subgroup"
        }
    }
}
