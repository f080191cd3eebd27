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
    /// An iden3 binary file (`.r1cs`, `.wtns`, `.ptau`; specs/groth16.md §12) does not start with
    /// the expected magic and a supported version.
    case badFileHeader(kind: String, reason: String)
    /// The file ends before the bytes `what` needs: `need` bytes from where it is, `have` left.
    case truncatedFile(kind: String, what: String, need: UInt64, have: UInt64)
    /// The file's field is not the one it must be (BN254's r for `.r1cs`/`.wtns`, p for `.ptau`).
    case wrongPrime(kind: String, got: String, want: String)
    /// A section of the file is missing, repeated, of the wrong size, or holds a bad value.
    case malformedSection(kind: String, section: Int, reason: String)
    /// A section this reader does not support (for example circom's custom gates).
    case unsupportedSection(kind: String, section: Int, reason: String)
    /// The powers-of-tau file is not prepared for phase 2 (no Lagrange sections 12–15).
    case ptauNotPrepared
    /// The ceremony's largest domain (2^power) is smaller than the circuit's (2^needed).
    case ceremonyTooSmall(power: Int, needed: Int)
    /// The ceremony's points are not consistent with one another (a check of §12.4 failed).
    case inconsistentCeremony(reason: String)
    /// A file could not be opened or read.
    case unreadableFile(path: String, reason: String)

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
        case .badFileHeader(let kind, let r): return "not a supported .\(kind) file: \(r)"
        case .truncatedFile(let kind, let what, let need, let have):
            return ".\(kind) file truncated: \(what) needs \(need) bytes, \(have) left"
        case .wrongPrime(let kind, let got, let want):
            return ".\(kind) file is over the prime \(got), want \(want) (BN254)"
        case .malformedSection(let kind, let section, let r): return ".\(kind) section \(section): \(r)"
        case .unsupportedSection(let kind, let section, let r):
            return ".\(kind) section \(section) is not supported: \(r)"
        case .ptauNotPrepared:
            return
                "the .ptau file has no Lagrange sections: run `snarkjs powersoftau prepare phase2` on it first"
        case .ceremonyTooSmall(let power, let needed):
            return "this ceremony supports circuits up to 2^\(power) rows; the circuit needs 2^\(needed)"
        case .inconsistentCeremony(let r): return "the powers-of-tau points are inconsistent: \(r)"
        case .unreadableFile(let path, let r): return "cannot read \(path): \(r)"
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
