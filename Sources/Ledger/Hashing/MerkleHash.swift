import Crypto
import Foundation
import Receipts

/// A 32-byte SHA-256 Merkle Tree Hash: a leaf hash, an interior node hash or a tree root.
///
/// Value type with cheap equality; bytes are stored inline (no heap allocation).
/// Text forms: standard base64 (C2SP checkpoints, proof JSON) and lowercase hex (`description`).
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// The hash length in bytes.
    public static let byteCount = 32

    var storage: SIMD32<UInt8>

    init(storage: SIMD32<UInt8>) {
        self.storage = storage
    }

    /// Wraps exactly 32 bytes.
    ///
    /// - Throws: `LedgerError.wrongHashLength(got:)` when `bytes` is not 32 bytes long.
    public init(bytes: some DataProtocol) throws(LedgerError) {
        guard bytes.count == Self.byteCount else { throw .wrongHashLength(got: bytes.count) }
        var v = SIMD32<UInt8>()
        withUnsafeMutableBytes(of: &v) { dst in _ = bytes.copyBytes(to: dst) }
        self.storage = v
    }

    /// Copies 32 bytes from `buffer`, which must hold exactly 32 bytes (checked by the caller).
    init(unchecked buffer: UnsafeRawBufferPointer) {
        var v = SIMD32<UInt8>()
        withUnsafeMutableBytes(of: &v) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer.prefix(32)))
        }
        self.storage = v
    }

    /// Parses standard (RFC 4648 §4) base64 of exactly 32 bytes, with padding.
    ///
    /// - Throws: `LedgerError.badBase64` or `LedgerError.wrongHashLength(got:)`.
    public init(base64: String) throws(LedgerError) {
        guard let data = strictBase64Decode(base64) else { throw .badBase64(base64) }
        try self.init(bytes: data)
    }

    /// Parses 64 lowercase hex digits.
    ///
    /// - Throws: `LedgerError.badHex` or `LedgerError.wrongHashLength(got:)`.
    public init(hex: String) throws(LedgerError) {
        guard let data = Hex.decode(hex) else { throw .badHex(hex) }
        try self.init(bytes: data)
    }

    /// The 32 bytes.
    public var bytes: Data { Swift.withUnsafeBytes(of: storage) { Data($0) } }

    /// The same 32 bytes as the shared ``Digest32`` (for the shared RFC 9162 code in Receipts).
    var digest: Digest32 { Swift.withUnsafeBytes(of: storage) { Digest32(exactly32: $0) } }

    /// Wraps a ``Digest32`` (always 32 bytes).
    init(digest: Digest32) {
        var v = SIMD32<UInt8>()
        withUnsafeMutableBytes(of: &v) { dst in _ = digest.bytes.copyBytes(to: dst) }
        self.storage = v
    }

    /// Standard base64 with padding (44 characters).
    public var base64: String { bytes.base64EncodedString() }

    /// Lowercase hex (64 characters).
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// This hash with bit `bit` (0 = most significant bit of byte 0) inverted. Used to build
    /// mutated proofs in tests and fixtures.
    public func flippingBit(_ bit: Int) -> MerkleHash {
        var copy = self
        let byte = (bit / 8) % 32
        copy.storage[byte] ^= UInt8(0x80) >> UInt8(bit % 8)
        return copy
    }
}

/// RFC 9162 §2.1.1 Merkle Tree hashing with SHA-256 (identical to RFC 6962 §2.1).
///
/// `MTH({}) = SHA-256()`, `MTH({d}) = SHA-256(0x00 || d)`,
/// `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))` with `k` the largest power of
/// two smaller than `n`. See specs/ledger.md §2.
public enum RFC9162 {
    /// Domain-separation prefix of leaf hashes.
    public static let leafPrefix: UInt8 = 0x00
    /// Domain-separation prefix of interior node hashes.
    public static let nodePrefix: UInt8 = 0x01

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: MerkleHash = finish(SHA256())

    /// `SHA-256(0x00 || entry)`: the leaf hash of one log entry.
    public static func hashLeaf(_ entry: some DataProtocol) -> MerkleHash {
        var h = SHA256()
        withUnsafeBytes(of: leafPrefix) { h.update(bufferPointer: $0) }
        h.update(data: entry)
        return finish(h)
    }

    /// `SHA-256(0x00 || entry)` for bytes already in memory.
    public static func hashLeaf(bytes: UnsafeRawBufferPointer) -> MerkleHash {
        var h = SHA256()
        withUnsafeBytes(of: leafPrefix) { h.update(bufferPointer: $0) }
        h.update(bufferPointer: bytes)
        return finish(h)
    }

    /// `SHA-256(0x01 || left || right)`: the hash of an interior node.
    public static func hashChildren(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 16) { buffer in
            buffer[0] = nodePrefix
            Swift.withUnsafeBytes(of: left.storage) {
                UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0)
            }
            Swift.withUnsafeBytes(of: right.storage) {
                UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0)
            }
            var h = SHA256()
            h.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            return finish(h)
        }
    }

    static func finish(_ h: SHA256) -> MerkleHash {
        let digest = h.finalize()
        return digest.withUnsafeBytes { MerkleHash(unchecked: $0) }
    }
}

// MARK: - Small codecs shared by the module

/// Decodes standard padded base64, rejecting whitespace, URL-safe characters and
/// non-canonical trailing bits.
func strictBase64Decode(_ text: String) -> Data? {
    guard text.utf8.count % 4 == 0,
        text.utf8.allSatisfy({ c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B
                || c == 0x2F || c == 0x3D
        }),
        let data = Data(base64Encoded: text),
        data.base64EncodedString() == text
    else { return nil }
    return data
}
