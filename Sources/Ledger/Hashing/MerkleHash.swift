import Crypto
import Foundation

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

    /// Parses 64 hex digits (either case).
    ///
    /// - Throws: `LedgerError.badHex` or `LedgerError.wrongHashLength(got:)`.
    public init(hex: String) throws(LedgerError) {
        guard let data = hexDecode(hex) else { throw .badHex(hex) }
        try self.init(bytes: data)
    }

    /// The 32 bytes.
    public var bytes: Data { Swift.withUnsafeBytes(of: storage) { Data($0) } }

    /// Standard base64 with padding (44 characters).
    public var base64: String { bytes.base64EncodedString() }

    /// Lowercase hex (64 characters).
    public var hex: String { hexEncode(bytes) }

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

/// Lowercase hex of `bytes`.
func hexEncode(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Decodes hex (either case); `nil` on odd length or a non-hex character.
func hexDecode(_ text: String) -> Data? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    var out = Data(capacity: chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
