import Kernel

/// Every error the Proofs module throws: malformed proof bytes, malformed circuits or inputs.
///
/// A well-formed proof that does not prove its statement is not an error: verifiers return
/// `ProofVerdict.invalid(reason:)` for it.
public enum ProofsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof ended early: reading `what` needed `needed` bytes at `offset`, `available` remain.
    case truncatedProof(what: String, offset: Int, needed: Int, available: Int)
    /// Bytes remain after the last field of the proof.
    case trailingBytes(count: Int)
    /// The proof does not start with the magic "MVPF".
    case badMagic
    /// The proof's format version is not one this verifier reads.
    case unsupportedVersion(got: Int, want: Int)
    /// The proof is larger than `ProofFormat.maxProofBytes`.
    case proofTooLarge(got: Int, limit: Int)
    /// A count in the proof differs from what the circuit requires.
    case wrongCount(what: String, got: Int, want: Int)
    /// The token count is outside the circuit's `[1, maxTokens]`.
    case tokenCountOutOfRange(got: Int, max: Int)
    /// A stage's entry bit width is above `ProofFormat.maxEntryBits`.
    case entryWidthOutOfRange(stage: Int, got: Int)
    /// A stage's entries are not in the canonical encoding of §6 (`reason` says how).
    case nonCanonicalEntries(stage: Int, reason: String)
    /// The padding bits after a stage's packed entries are not zero.
    case nonzeroPadding(stage: Int)
    /// A field element is not canonical (a coordinate is ≥ p).
    case nonCanonicalFieldElement(offset: Int)
    /// A circuit definition is malformed (`reason` says what).
    case malformedCircuit(String)
    /// A tensor or weight set does not have the shape the circuit needs.
    case wrongShape(what: String, got: [Int], want: [Int])
    /// A tensor has the wrong element type or kind.
    case wrongTensorType(what: String, got: String, want: String)
    /// The prover was asked to prove an output the layer does not produce (`detail` says where).
    case claimedOutputDiffers(String)
    /// The kernel rejected an input (wrapped).
    case kernel(KernelError)
    /// A matrix is block-quantized (specs/kernel.md §3.5, model `weight_bits` 4): the sumcheck
    /// and Groth16 statements commit to per-row 8/16-bit weights only (specs/proofs.md §7.3).
    case blockWeightsUnsupported(matrix: String)

    public var description: String {
        switch self {
        case .truncatedProof(let what, let offset, let needed, let available):
            return "truncated proof: \(what) needs \(needed) bytes at offset \(offset), \(available) remain"
        case .trailingBytes(let count):
            return "\(count) trailing bytes after the end of the proof"
        case .badMagic:
            return "not a proof: the first 4 bytes are not \"MVPF\""
        case .unsupportedVersion(let got, let want):
            return "proof format version \(got) is not supported (want \(want))"
        case .proofTooLarge(let got, let limit):
            return "proof is \(got) bytes; the limit is \(limit)"
        case .wrongCount(let what, let got, let want):
            return "\(what) is \(got), want \(want)"
        case .tokenCountOutOfRange(let got, let max):
            return "token count \(got) is outside [1, \(max)]"
        case .entryWidthOutOfRange(let stage, let got):
            return "stage \(stage): entry width \(got) bits is outside [0, \(ProofFormat.maxEntryBits)]"
        case .nonCanonicalEntries(let stage, let reason):
            return "stage \(stage): entries are not canonically encoded: \(reason)"
        case .nonzeroPadding(let stage):
            return "stage \(stage): padding bits after the packed entries are not zero"
        case .nonCanonicalFieldElement(let offset):
            return "field element at offset \(offset) is not canonical (coordinate >= p)"
        case .malformedCircuit(let reason):
            return "malformed circuit: \(reason)"
        case .wrongShape(let what, let got, let want):
            return "\(what): shape \(got), want \(want)"
        case .wrongTensorType(let what, let got, let want):
            return "\(what): \(got), want \(want)"
        case .claimedOutputDiffers(let detail):
            return "the claimed output is not the layer's output: \(detail)"
        case .kernel(let e):
            return "kernel: \(e)"
        case .blockWeightsUnsupported(let matrix):
            return
                "\(matrix) is block-quantized (weight_bits 4, kernel.md §3.5): layer proofs cover 8- and "
                + "16-bit per-row weights only; settle such layers by re-execution, or import the model "
                + "with --weight-bits 16"
        }
    }
}

/// The outcome of verifying a well-formed proof.
public enum ProofVerdict: Equatable, Sendable {
    /// The proof shows `Y = layer(W, X)` for the circuit.
    case valid
    /// The proof does not show it; `reason` says which check failed.
    case invalid(reason: String)
}
