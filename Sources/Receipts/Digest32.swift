import Foundation

/// A 32-byte value: a SHA-256 digest, a commitment or an identifier (job id, model id).
///
/// Text form is exactly 64 lowercase hex characters; this is also its JSON form.
public struct Digest32: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 32 bytes.
    public let bytes: Data

    /// Wraps exactly 32 bytes.
    /// - Throws: ``ReceiptError/wrongLength(_:got:want:)`` for any other length.
    public init(bytes: some DataProtocol, field: String = "digest") throws(ReceiptError) {
        guard bytes.count == 32 else { throw .wrongLength(field, got: bytes.count, want: 32) }
        self.bytes = Data(bytes)
    }

    /// Parses 64 lowercase hex characters.
    public init(hex: String, field: String = "digest") throws(ReceiptError) {
        guard let data = Hex.decode(hex) else {
            throw .invalidField(field, reason: "not lowercase hex")
        }
        try self.init(bytes: data, field: field)
    }

    /// Wraps bytes the caller guarantees are 32 long (hash outputs).
    init(uncheckedBytes bytes: Data) {
        assert(bytes.count == 32)
        self.bytes = bytes
    }

    /// Copies a buffer the caller guarantees is 32 bytes (a hash output held elsewhere).
    /// - Precondition: `buffer.count == 32`.
    public init(exactly32 buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count == 32, "Digest32 needs exactly 32 bytes")
        self.bytes = Data(buffer)
    }

    /// The all-zero value.
    public static let zero = Digest32(uncheckedBytes: Data(count: 32))

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// Lexicographic order of the bytes (unsigned), as `Data.lexicographicallyPrecedes` gives,
    /// compared with `memcmp` (state hashes sort every claim key).
    public static func < (a: Digest32, b: Digest32) -> Bool {
        a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in
                let c = memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
                return c != 0 ? c < 0 : x.count < y.count
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Digest32(hex: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
