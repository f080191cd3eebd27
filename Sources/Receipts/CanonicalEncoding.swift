import Foundation

/// Writes the canonical binary encoding shared by every signed Mesh object (specs/receipt.md §3).
///
/// Fixed-width unsigned integers are big-endian; 32- and 64-byte values are written as they are;
/// variable-length bytes are a u32 big-endian length then the bytes; strings are UTF-8 variable bytes;
/// an optional is `0x00` (absent) or `0x01` then the value. Fields have a fixed order per object, so
/// the encoding of a value is unique and no two values share an encoding.
public struct CanonicalWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes = Data()

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { append(bigEndian: v) }
    public mutating func u32(_ v: UInt32) { append(bigEndian: v) }
    public mutating func u64(_ v: UInt64) { append(bigEndian: v) }
    /// A boolean as one byte, 0x00 or 0x01.
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func digest(_ v: Digest32) { bytes.append(v.bytes) }
    public mutating func publicKey(_ v: XOnlyPublicKey) { bytes.append(v.rawRepresentation) }
    public mutating func signature(_ v: SchnorrSignature) { bytes.append(v.rawRepresentation) }
    /// Bytes of a fixed size known to the reader (no length prefix).
    public mutating func fixedBytes(_ v: some DataProtocol) { bytes.append(contentsOf: v) }

    /// u32 length then the bytes.
    /// - Precondition: fewer than 2^32 bytes (callers bound their inputs far below this).
    public mutating func varBytes(_ v: some DataProtocol) {
        precondition(v.count <= Int(UInt32.max), "varBytes longer than 2^32-1")
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }

    public mutating func string(_ v: String) { varBytes(Data(v.utf8)) }

    /// `0x00` when nil, else `0x01` and what `write` writes.
    public mutating func optional<T>(_ v: T?, _ write: (inout CanonicalWriter, T) -> Void) {
        if let v {
            u8(1)
            write(&self, v)
        } else {
            u8(0)
        }
    }

    private mutating func append<T: FixedWidthInteger>(bigEndian v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads the encoding ``CanonicalWriter`` writes, refusing anything that is not canonical.
public struct CanonicalReader: Sendable {
    private let data: [UInt8]
    /// Offset of the next unread byte.
    public private(set) var offset = 0

    public init(_ data: some DataProtocol) { self.data = [UInt8](data) }

    /// Bytes not yet read.
    public var remaining: Int { data.count - offset }

    public mutating func u8(_ field: String) throws(ReceiptError) -> UInt8 { try integer(field) }
    public mutating func u16(_ field: String) throws(ReceiptError) -> UInt16 { try integer(field) }
    public mutating func u32(_ field: String) throws(ReceiptError) -> UInt32 { try integer(field) }
    public mutating func u64(_ field: String) throws(ReceiptError) -> UInt64 { try integer(field) }

    /// A boolean byte; anything but 0x00 or 0x01 is rejected.
    public mutating func bool(_ field: String) throws(ReceiptError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let b: throw .invalidField(field, reason: "boolean byte \(b) is neither 0 nor 1")
        }
    }

    public mutating func digest(_ field: String) throws(ReceiptError) -> Digest32 {
        Digest32(uncheckedBytes: Data(try take(32, field)))
    }

    public mutating func publicKey(_ field: String) throws(ReceiptError) -> XOnlyPublicKey {
        try XOnlyPublicKey(rawRepresentation: try take(32, field), field: field)
    }

    public mutating func signature(_ field: String) throws(ReceiptError) -> SchnorrSignature {
        try SchnorrSignature(rawRepresentation: try take(64, field), field: field)
    }

    /// Exactly `count` bytes.
    public mutating func fixedBytes(_ count: Int, _ field: String) throws(ReceiptError) -> Data {
        Data(try take(count, field))
    }

    /// u32 length then bytes, refusing lengths above `limit`.
    public mutating func varBytes(_ field: String, limit: Int = 1 << 24) throws(ReceiptError) -> Data {
        let n = Int(try u32(field))
        guard n <= limit else { throw .invalidField(field, reason: "length \(n) exceeds the limit \(limit)") }
        return Data(try take(n, field))
    }

    /// UTF-8 string; invalid UTF-8 is rejected.
    public mutating func string(_ field: String, limit: Int = 4096) throws(ReceiptError) -> String {
        let raw = try varBytes(field, limit: limit)
        guard let s = String(data: raw, encoding: .utf8) else {
            throw .invalidField(field, reason: "not valid UTF-8")
        }
        return s
    }

    /// `0x00` → nil, `0x01` → `read`; any other tag byte is rejected.
    public mutating func optional<T>(
        _ field: String, _ read: (inout CanonicalReader) throws(ReceiptError) -> T
    ) throws(ReceiptError) -> T? {
        switch try u8(field) {
        case 0: return nil
        case 1: return try read(&self)
        case let b: throw .invalidField(field, reason: "option tag \(b) is neither 0 nor 1")
        }
    }

    /// Throws unless every byte has been read.
    public func finish() throws(ReceiptError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }

    private mutating func take(_ n: Int, _ field: String) throws(ReceiptError) -> ArraySlice<UInt8> {
        guard n <= remaining else { throw .truncated(field: field, offset: offset) }
        defer { offset += n }
        return data[offset..<offset + n]
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws(ReceiptError) -> T {
        var v: T = 0
        for b in try take(MemoryLayout<T>.size, field) { v = v << 8 | T(b) }
        return v
    }
}

/// An object signed by a Mesh participant: BIP-340 over the tagged hash of its canonical bytes.
///
/// Conformers choose a `domainTag` that names the object and its version (`mesh/heartbeat/v1`), and
/// write their fields in a fixed order. specs/receipt.md §4 defines the scheme for all of them.
public protocol SignableMessage: Sendable {
    /// The BIP-340 tag that separates this object's signatures from every other kind.
    static var domainTag: String { get }
    /// Writes the object's fields, in their fixed order.
    func encode(to writer: inout CanonicalWriter)
}

extension SignableMessage {
    /// The canonical encoding of the object.
    public var canonicalBytes: Data {
        var w = CanonicalWriter()
        encode(to: &w)
        return w.bytes
    }

    /// `TaggedHash(domainTag, canonicalBytes)`: the 32 bytes that are signed.
    public var digest: Digest32 { TaggedHash.hash(tag: Self.domainTag, canonicalBytes) }

    /// Signs the digest with `key`.
    public func signature(
        with key: SchnorrSigningKey, auxiliaryRandom32: Data? = nil
    ) throws(ReceiptError) -> SchnorrSignature {
        try key.signature(for: digest.bytes, auxiliaryRandom32: auxiliaryRandom32)
    }

    /// Whether `signature` is `signer`'s valid BIP-340 signature of this object.
    public func isValidSignature(_ signature: SchnorrSignature, by signer: XOnlyPublicKey) -> Bool {
        signer.isValidSignature(signature, for: digest.bytes)
    }
}
