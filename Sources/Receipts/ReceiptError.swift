/// Everything that can be wrong with receipt input: each case names the field and what was expected.
///
/// "Malformed" errors (bad JSON, wrong lengths, out-of-range numbers) are thrown; a well-formed receipt
/// whose signature does not verify is not an error but a ``ReceiptVerdict/invalid(reason:)``.
public enum ReceiptError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is not JSON this format accepts (syntax error, duplicate key, non-canonical number...).
    case malformedJSON(String)
    /// A required field is absent.
    case missingField(String)
    /// A field that the format does not define is present.
    case unknownField(String)
    /// A field has the wrong JSON type or an invalid value.
    case invalidField(String, reason: String)
    /// A hex field does not decode to exactly `want` bytes of lowercase hex.
    case wrongLength(String, got: Int, want: Int)
    /// The receipt's `version` is not one this implementation speaks.
    case unsupportedVersion(UInt64)
    /// A 32-byte value is not the x coordinate of a point on secp256k1.
    case invalidPublicKey(String)
    /// A 32-byte secret is zero or not below the group order.
    case invalidSecretKey
    /// Canonical bytes ended before a field could be read.
    case truncated(field: String, offset: Int)
    /// Canonical bytes continue after the last field.
    case trailingBytes(count: Int)
    /// The input is larger than the limit for its kind.
    case tooLarge(size: Int, limit: Int)
    /// libsecp256k1 refused an operation that should not fail (reported, never ignored).
    case libraryFailure(String)
    /// 33 bytes are not a compressed secp256k1 point: prefix not 02/03, x not below p, or x not on the curve.
    case invalidCompressedPoint(String)
    /// No VRF proof exists for this key and input (probability about 2^-128 or less; specs/vrf.md §5).
    case vrfProvingFailed(String)

    public var description: String {
        switch self {
        case .malformedJSON(let why): "malformed JSON: \(why)"
        case .missingField(let name): "missing field \"\(name)\""
        case .unknownField(let name): "unknown field \"\(name)\""
        case .invalidField(let name, let reason): "field \"\(name)\": \(reason)"
        case .wrongLength(let name, let got, let want):
            "field \"\(name)\": got \(got) bytes, want \(want) bytes of lowercase hex"
        case .unsupportedVersion(let v): "unsupported receipt version \(v) (this implementation speaks 1)"
        case .invalidPublicKey(let name): "field \"\(name)\": not an x-only secp256k1 public key"
        case .invalidSecretKey: "secret key is zero or not below the secp256k1 group order"
        case .truncated(let field, let offset): "canonical bytes end at offset \(offset) inside \(field)"
        case .trailingBytes(let count): "\(count) unexpected bytes after the last field"
        case .tooLarge(let size, let limit): "input is \(size) bytes; the limit is \(limit)"
        case .libraryFailure(let what): "libsecp256k1 failure: \(what)"
        case .invalidCompressedPoint(let name):
            "field \"\(name)\": not a compressed secp256k1 point (33 bytes: 02 or 03, then an x on the curve)"
        case .vrfProvingFailed(let why): "VRF proving failed: \(why)"
        }
    }
}
