import Crypto
import Foundation

/// What a canonical tensor holds (specs/kernel.md §7.1, header byte 5).
public enum TensorKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Anything else: model weights, scales, test data.
    case raw = 0
    /// Token ids, int32, shape `[tokens]`.
    case tokenIDs = 1
    /// Residual stream between blocks, int32 Q16, shape `[tokens, width]`.
    case hidden = 2
    /// LM-head output, int32 Q16, shape `[tokens, vocab]`.
    case logits = 3
    /// Pooled, L2-normalised sentence embedding, int32 Q16, shape `[width]`.
    case embedding = 4

    public var description: String {
        switch self {
        case .raw: return "raw"
        case .tokenIDs: return "token-ids"
        case .hidden: return "hidden"
        case .logits: return "logits"
        case .embedding: return "embedding"
        }
    }
}

/// Element type of a canonical tensor (header byte 6). Payload is little-endian two's complement.
public enum TensorDType: UInt8, Sendable {
    case int8 = 1
    case int16 = 2
    case int32 = 3
    case int64 = 4

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .int8: return 1
        case .int16: return 2
        case .int32: return 4
        case .int64: return 8
        }
    }
}

/// Typed element storage of a `CanonicalTensor`.
public enum TensorValues: Sendable, Equatable {
    case int8([Int8])
    case int16([Int16])
    case int32([Int32])
    case int64([Int64])

    var dtype: TensorDType {
        switch self {
        case .int8: return .int8
        case .int16: return .int16
        case .int32: return .int32
        case .int64: return .int64
        }
    }

    var count: Int {
        switch self {
        case .int8(let v): return v.count
        case .int16(let v): return v.count
        case .int32(let v): return v.count
        case .int64(let v): return v.count
        }
    }
}

/// The canonical binary tensor (specs/kernel.md §7): the one byte string hashed for
/// commitments, exchanged between shards and stored in model packages.
///
/// Layout (all integers little-endian):
/// ```
/// 0  4  magic "MVT1" (4D 56 54 31)
/// 4  1  version = 1
/// 5  1  kind (TensorKind)
/// 6  1  dtype (TensorDType)
/// 7  1  fractionBits (0...62: real = value / 2^fractionBits)
/// 8  1  rank (1...8)
/// 9  4r dims, u32 each, each >= 1
/// .. payload: product(dims) elements, row-major, little-endian
/// ```
/// No padding, no trailing bytes. Decoding rejects anything else.
public struct CanonicalTensor: Sendable, Equatable {
    public static let magic: [UInt8] = [0x4D, 0x56, 0x54, 0x31]
    public static let version: UInt8 = 1
    /// Largest element count accepted by `init(decoding:)`: 2^31.
    public static let maxElements = 1 << 31

    public let kind: TensorKind
    public let fractionBits: Int
    public let shape: [Int]
    public let values: TensorValues

    public var dtype: TensorDType { values.dtype }

    /// Builds a tensor after checking the shape against the element count.
    ///
    /// - Throws: `KernelError.malformedTensor` for rank outside 1...8, a dimension < 1 or
    ///   >= 2^32, `fractionBits` outside 0...62, or a count mismatch.
    public init(
        kind: TensorKind = .raw, fractionBits: Int = 0, shape: [Int], values: TensorValues
    ) throws(KernelError) {
        guard (1...8).contains(shape.count) else {
            throw .malformedTensor("rank \(shape.count) is outside 1...8")
        }
        guard shape.allSatisfy({ $0 >= 1 && $0 <= Int(UInt32.max) }) else {
            throw .malformedTensor("dimensions \(shape) must each be in [1, 2^32)")
        }
        guard (0...62).contains(fractionBits) else {
            throw .malformedTensor("fractionBits \(fractionBits) is outside 0...62")
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o, p <= Self.maxElements else {
                throw .malformedTensor("element count of \(shape) exceeds 2^31")
            }
            count = p
        }
        guard count == values.count else {
            throw .malformedTensor("shape \(shape) needs \(count) elements, got \(values.count)")
        }
        self.kind = kind
        self.fractionBits = fractionBits
        self.shape = shape
        self.values = values
    }

    /// Encoded header length for this rank.
    var headerSize: Int { 9 + 4 * shape.count }

    /// The canonical bytes (§7.1).
    public func encoded() -> Data {
        var out = Data(capacity: headerSize + values.count * dtype.size)
        out.append(header())
        switch values {
        case .int8(let v):
            v.withUnsafeBytes { out.append(contentsOf: $0) }
        case .int16(let v):
            for x in v { appendLE(&out, UInt64(UInt16(bitPattern: x)), bytes: 2) }
        case .int32(let v):
            var buf = [UInt8](repeating: 0, count: v.count * 4)
            for (i, x) in v.enumerated() {
                let u = UInt32(bitPattern: x)
                buf[4 * i] = UInt8(truncatingIfNeeded: u)
                buf[4 * i + 1] = UInt8(truncatingIfNeeded: u >> 8)
                buf[4 * i + 2] = UInt8(truncatingIfNeeded: u >> 16)
                buf[4 * i + 3] = UInt8(truncatingIfNeeded: u >> 24)
            }
            out.append(contentsOf: buf)
        case .int64(let v):
            for x in v { appendLE(&out, UInt64(bitPattern: x), bytes: 8) }
        }
        return out
    }

    /// The header of `encoded()`: magic, version, kind, dtype, fraction bits, rank, dimensions.
    func header() -> Data {
        var out = Data(capacity: headerSize)
        out.append(contentsOf: Self.magic)
        out.append(Self.version)
        out.append(kind.rawValue)
        out.append(dtype.rawValue)
        out.append(UInt8(fractionBits))
        out.append(UInt8(shape.count))
        for d in shape { appendLE(&out, UInt64(d), bytes: 4) }
        return out
    }

    /// SHA-256 of `encoded()`: the tensor's commitment (§7.2), 32 bytes. On little-endian hosts
    /// the values' memory already is their encoding, so it is hashed in place, without a copy.
    public var commitment: [UInt8] {
        #if _endian(little)
            var hasher = SHA256()
            hasher.update(data: header())
            switch values {
            case .int8(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            case .int16(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            case .int32(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            case .int64(let v): v.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
            return Array(hasher.finalize())
        #else
            return Array(SHA256.hash(data: encoded()))
        #endif
    }

    /// `commitment` as 64 lowercase hex digits.
    public var commitmentHex: String { commitment.map { String(format: "%02x", $0) }.joined() }

    /// Decodes canonical bytes, rejecting every deviation from §7.1.
    ///
    /// - Throws: `KernelError.malformedTensor` naming the first problem (bad magic, version,
    ///   kind, dtype, rank, zero dimension, truncated or trailing bytes).
    public init(decoding data: some DataProtocol) throws(KernelError) {
        let bytes = [UInt8](data)
        guard bytes.count >= 9 else {
            throw .malformedTensor("\(bytes.count) bytes is shorter than the 9-byte header")
        }
        guard Array(bytes[0..<4]) == Self.magic else { throw .malformedTensor("bad magic") }
        guard bytes[4] == Self.version else {
            throw .malformedTensor("version \(bytes[4]), want \(Self.version)")
        }
        guard let kind = TensorKind(rawValue: bytes[5]) else {
            throw .malformedTensor("unknown kind \(bytes[5])")
        }
        guard let dtype = TensorDType(rawValue: bytes[6]) else {
            throw .malformedTensor("unknown dtype \(bytes[6])")
        }
        let fractionBits = Int(bytes[7])
        let rank = Int(bytes[8])
        guard (1...8).contains(rank) else { throw .malformedTensor("rank \(rank) is outside 1...8") }
        let header = 9 + 4 * rank
        guard bytes.count >= header else {
            throw .malformedTensor("truncated header: \(bytes.count) of \(header) bytes")
        }
        var shape: [Int] = []
        var count = 1
        for i in 0..<rank {
            let o = 9 + 4 * i
            let d =
                Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16
                | Int(bytes[o + 3]) << 24
            guard d >= 1 else { throw .malformedTensor("dimension \(i) is 0") }
            count = count.multipliedReportingOverflow(by: d).partialValue
            guard count <= Self.maxElements else {
                throw .malformedTensor("element count exceeds 2^31")
            }
            shape.append(d)
        }
        let want = header + count * dtype.size
        guard bytes.count == want else {
            throw .malformedTensor(
                bytes.count < want
                    ? "truncated payload: \(bytes.count) of \(want) bytes"
                    : "\(bytes.count - want) trailing bytes after the payload")
        }
        let p = header
        let values: TensorValues
        switch dtype {
        case .int8:
            values = .int8(bytes[p..<want].map { Int8(bitPattern: $0) })
        case .int16:
            values = .int16(
                (0..<count).map { i in
                    Int16(bitPattern: UInt16(bytes[p + 2 * i]) | UInt16(bytes[p + 2 * i + 1]) << 8)
                })
        case .int32:
            var v = [Int32](repeating: 0, count: count)
            for i in 0..<count {
                let o = p + 4 * i
                v[i] = Int32(
                    bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8
                        | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            }
            values = .int32(v)
        case .int64:
            values = .int64(
                (0..<count).map { i in
                    var u: UInt64 = 0
                    for b in 0..<8 { u |= UInt64(bytes[p + 8 * i + b]) << (8 * b) }
                    return Int64(bitPattern: u)
                })
        }
        try self.init(kind: kind, fractionBits: fractionBits, shape: shape, values: values)
    }

    /// The int32 payload, or `.malformedTensor` if the dtype is different.
    public func int32Values() throws(KernelError) -> [Int32] {
        guard case .int32(let v) = values else {
            throw .malformedTensor("dtype \(dtype), want int32")
        }
        return v
    }

    /// The int16 payload, or `.malformedTensor` if the dtype is different.
    public func int16Values() throws(KernelError) -> [Int16] {
        guard case .int16(let v) = values else {
            throw .malformedTensor("dtype \(dtype), want int16")
        }
        return v
    }

    /// The int8 payload, or `.malformedTensor` if the dtype is different.
    public func int8Values() throws(KernelError) -> [Int8] {
        guard case .int8(let v) = values else {
            throw .malformedTensor("dtype \(dtype), want int8")
        }
        return v
    }
}

private func appendLE(_ out: inout Data, _ v: UInt64, bytes: Int) {
    for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
}
