/// Every error the Kernel module throws. Messages name the offending value and what was wanted.
///
/// Malformed input (wrong shapes, bad canonical bytes, out-of-range parameters) is always
/// reported through this enum; the kernel never traps on caller-supplied data.
public enum KernelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor or argument has the wrong shape (`what` names it).
    case wrongShape(what: String, got: [Int], want: [Int])
    /// A configuration field is out of its allowed range.
    case invalidConfig(field: String, reason: String)
    /// A value is outside the range the spec allows (`what` names it).
    case valueOutOfRange(what: String, value: Int64, range: String)
    /// The layer range is empty or exceeds the model's layer count.
    case layerRangeOutOfBounds(start: Int, end: Int, layers: Int)
    /// A token id is not below the vocabulary size.
    case tokenOutOfRange(token: Int64, vocab: Int)
    /// A position is beyond the model's `maxPositions`.
    case sequenceTooLong(positions: Int, maxPositions: Int)
    /// Canonical tensor bytes could not be decoded.
    case malformedTensor(String)
    /// A shard received a tensor of the wrong kind (e.g. hidden state where token ids belong).
    case wrongTensorKind(got: String, want: String)
    /// A named tensor is missing from a model's tensor set.
    case missingTensor(String)
    /// A named tensor is present but not expected by the configuration.
    case unexpectedTensor(String)
    /// A float weight is NaN or infinite.
    case nonFiniteWeight(tensor: String, index: Int)
    /// The requested computation path is not available on this CPU.
    case pathUnavailable(String)
    /// The operation is not supported for this architecture.
    case unsupported(String)

    public var description: String {
        switch self {
        case .wrongShape(let what, let got, let want):
            return "\(what): shape \(got), want \(want)"
        case .invalidConfig(let field, let reason):
            return "model config field \(field): \(reason)"
        case .valueOutOfRange(let what, let value, let range):
            return "\(what) = \(value) is outside \(range)"
        case .layerRangeOutOfBounds(let start, let end, let layers):
            return "layer range \(start)..\(end) is not a non-empty range inside [0, \(layers))"
        case .tokenOutOfRange(let token, let vocab):
            return "token id \(token) is not below the vocabulary size \(vocab)"
        case .sequenceTooLong(let positions, let maxPositions):
            return "sequence needs \(positions) positions; the model allows \(maxPositions)"
        case .malformedTensor(let reason):
            return "malformed tensor: \(reason)"
        case .wrongTensorKind(let got, let want):
            return "input tensor kind is \(got), want \(want)"
        case .missingTensor(let name):
            return "model tensor \(name) is missing"
        case .unexpectedTensor(let name):
            return "model tensor \(name) is not expected by the config"
        case .nonFiniteWeight(let tensor, let index):
            return "weight \(tensor)[\(index)] is NaN or infinite"
        case .pathUnavailable(let path):
            return "kernel path \(path) is not available on this CPU"
        case .unsupported(let what):
            return "unsupported: \(what)"
        }
    }
}
