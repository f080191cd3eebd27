import Foundation
import Kernel

/// One tensor's entry in a GGUF file's tensor-info table.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name ("blk.0.attn_q.weight").
    public let name: String
    /// Dimensions in ggml order: `dimensions[0]` (`ne[0]`) varies fastest. A PyTorch
    /// `[out, in]` weight matrix is stored as `[in, out]`.
    public let dimensions: [Int]
    /// The element type.
    public let type: GGMLType
    /// Byte offset of the data, relative to the start of the file's data section.
    public let offset: Int
    /// Number of elements (product of `dimensions`).
    public let elementCount: Int
    /// Bytes of storage (`elementCount / blockSize · bytesPerBlock`).
    public let byteCount: Int

    /// Dimensions in row-major (PyTorch / NumPy) order: the reverse of `dimensions`.
    public var shape: [Int] { dimensions.reversed() }
}

/// A parsed GGUF file (format versions 2 and 3, little-endian): metadata, tensor infos and
/// access to the tensor data. Layout per the GGUF specification (ggml `docs/gguf.md`):
///
/// ```
/// u32 magic "GGUF" · u32 version · u64 tensor_count · u64 metadata_kv_count
/// metadata_kv[metadata_kv_count]   (string key, u32 value_type, value)
/// tensor_info[tensor_count]        (string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset)
/// zero padding to a multiple of general.alignment (default 32)
/// tensor data (each tensor at data_start + offset, offset a multiple of the alignment)
/// ```
///
/// Strings are a u64 byte length then UTF-8 bytes. Every count is checked against the bytes that
/// remain before anything is allocated, so a hostile header cannot exhaust memory.
public struct GGUFFile: Sendable {
    /// Format version from the header (2 or 3).
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32 when absent.
    public let alignment: Int
    /// Absolute file offset of the data section.
    public let dataOffset: Int
    /// The whole file.
    let bytes: Data

    /// Limits on header fields, far above any real model, that bound work on hostile input.
    public enum Limits {
        public static let maxTensors: UInt64 = 1 << 20
        public static let maxMetadata: UInt64 = 1 << 20
        public static let maxKeyBytes: UInt64 = 65_535
        public static let maxTensorNameBytes: UInt64 = 64
        public static let maxDimensions: UInt32 = 4
        public static let maxArrayDepth = 4
        public static let maxStringBytes: UInt64 = 1 << 26
    }

    private static let format = "GGUF"

    /// Reads a GGUF file from disk (memory-mapped when possible).
    public init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data)
    }

    /// Parses a GGUF file held in memory.
    ///
    /// - Throws: `ModelError` naming the first problem: bad magic, unsupported version, a count
    ///   too large for the file, a truncated field, invalid UTF-8, a duplicate key or tensor, an
    ///   unknown value or tensor type, a misaligned or out-of-bounds tensor.
    public init(data: Data) throws(ModelError) {
        var reader = ByteReader(data, format: Self.format)
        let magic = try reader.bytes(4, "GGUF magic")
        guard Array(magic) == Array("GGUF".utf8) else { throw .badMagic(format: "GGUF", got: Array(magic)) }
        let version = try reader.integer(UInt32.self, "GGUF version")
        guard version == 2 || version == 3 else {
            throw .unsupportedVersion(format: "GGUF", got: UInt64(version))
        }
        let tensorCount = try reader.integer(UInt64.self, "tensor count")
        let kvCount = try reader.integer(UInt64.self, "metadata count")
        // A key-value pair needs at least 8 (key length) + 4 (type) + 1 bytes; a tensor info
        // at least 8 + 4 + 4 + 8.
        try Self.checkCount(kvCount, "metadata count", limit: Limits.maxMetadata, minBytes: 13, reader)
        try Self.checkCount(tensorCount, "tensor count", limit: Limits.maxTensors, minBytes: 24, reader)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for index in 0..<Int(kvCount) {
            let key = try Self.readString(&reader, "metadata key \(index)", limit: Limits.maxKeyBytes)
            let code = try reader.integer(UInt32.self, "type of metadata \(key)")
            guard let type = GGUFValueType(rawValue: code) else {
                throw .unknownValueType(key: key, code: code)
            }
            let value = try Self.readValue(&reader, type: type, key: key, depth: 0)
            guard metadata[key] == nil else {
                throw .malformed(format: "GGUF", reason: "duplicate key \(key)")
            }
            keys.append(key)
            metadata[key] = value
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard case .uint32(let a) = value, a > 0, a % 8 == 0 else {
                throw .badMetadata(
                    key: "general.alignment", reason: "must be a uint32 multiple of 8, got \(value)")
            }
            alignment = Int(a)
        }

        var infos: [GGUFTensorInfo] = []
        var names = Set<String>()
        for index in 0..<Int(tensorCount) {
            let info = try Self.readTensorInfo(&reader, index: index, alignment: alignment)
            guard names.insert(info.name).inserted else {
                throw .malformed(format: "GGUF", reason: "duplicate tensor \(info.name)")
            }
            infos.append(info)
        }

        let end = reader.offset
        let dataOffset = end + (alignment - end % alignment) % alignment
        let available = max(0, data.count - dataOffset)
        for info in infos {
            let (stop, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, stop <= available else {
                throw .tensorOutOfBounds(
                    tensor: info.name, begin: UInt64(info.offset),
                    end: overflow ? UInt64.max : UInt64(stop), available: UInt64(available))
            }
        }
        self.version = version
        self.metadataKeys = keys
        self.metadata = metadata
        self.tensors = infos
        self.alignment = alignment
        self.dataOffset = dataOffset
        self.bytes = reader.bytes
    }

    private static func checkCount(
        _ count: UInt64, _ what: String, limit: UInt64, minBytes: Int, _ reader: ByteReader
    ) throws(ModelError) {
        let fits = UInt64(reader.remaining / minBytes)
        guard count <= limit else { throw .countTooLarge(what: what, count: count, limit: limit) }
        guard count <= fits else {
            throw .countTooLarge(
                what: "\(what) (for a \(reader.bytes.count)-byte file)", count: count, limit: fits)
        }
    }

    private static func readString(_ reader: inout ByteReader, _ what: String, limit: UInt64)
        throws(ModelError) -> String
    {
        let length = try reader.integer(UInt64.self, "length of \(what)")
        guard length <= limit else {
            throw .countTooLarge(what: "length of \(what)", count: length, limit: limit)
        }
        return try reader.utf8(Int(length), what)
    }

    private static func readValue(_ reader: inout ByteReader, type: GGUFValueType, key: String, depth: Int)
        throws(ModelError) -> GGUFValue
    {
        let what = "value of \(key)"
        switch type {
        case .uint8: return .uint8(try reader.integer(UInt8.self, what))
        case .int8: return .int8(try reader.integer(Int8.self, what))
        case .uint16: return .uint16(try reader.integer(UInt16.self, what))
        case .int16: return .int16(try reader.integer(Int16.self, what))
        case .uint32: return .uint32(try reader.integer(UInt32.self, what))
        case .int32: return .int32(try reader.integer(Int32.self, what))
        case .uint64: return .uint64(try reader.integer(UInt64.self, what))
        case .int64: return .int64(try reader.integer(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try reader.integer(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try reader.integer(UInt64.self, what)))
        case .bool:
            let byte = try reader.integer(UInt8.self, what)
            guard byte <= 1 else {
                throw .badMetadata(key: key, reason: "bool byte \(byte) is neither 0 nor 1")
            }
            return .bool(byte == 1)
        case .string:
            return .string(try readString(&reader, what, limit: Limits.maxStringBytes))
        case .array:
            guard depth < Limits.maxArrayDepth else {
                throw .malformed(
                    format: "GGUF", reason: "\(key): arrays nested deeper than \(Limits.maxArrayDepth)")
            }
            let code = try reader.integer(UInt32.self, "element type of \(key)")
            guard let elementType = GGUFValueType(rawValue: code) else {
                throw .unknownValueType(key: key, code: code)
            }
            let count = try reader.integer(UInt64.self, "length of \(key)")
            let fits = UInt64(reader.remaining / elementType.minimumEncodedSize)
            guard count <= fits else {
                throw .countTooLarge(what: "length of array \(key)", count: count, limit: fits)
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                elements.append(try readValue(&reader, type: elementType, key: key, depth: depth + 1))
            }
            return .array(elementType, elements)
        }
    }

    private static func readTensorInfo(_ reader: inout ByteReader, index: Int, alignment: Int)
        throws(ModelError) -> GGUFTensorInfo
    {
        let name = try readString(&reader, "name of tensor \(index)", limit: Limits.maxTensorNameBytes)
        let nDims = try reader.integer(UInt32.self, "dimension count of \(name)")
        guard nDims >= 1, nDims <= Limits.maxDimensions else {
            throw .malformed(
                format: "GGUF",
                reason: "tensor \(name): \(nDims) dimensions (allowed 1...\(Limits.maxDimensions))")
        }
        var dims: [Int] = []
        var elements = 1
        for d in 0..<Int(nDims) {
            let n = try reader.integer(UInt64.self, "dimension \(d) of \(name)")
            guard n >= 1, n <= UInt64(Int32.max) else {
                throw .malformed(format: "GGUF", reason: "tensor \(name): dimension \(d) is \(n)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(n))
            guard !overflow, product <= 1 << 40 else {
                throw .countTooLarge(what: "element count of \(name)", count: UInt64.max, limit: 1 << 40)
            }
            elements = product
            dims.append(Int(n))
        }
        let code = try reader.integer(UInt32.self, "type of \(name)")
        guard let type = GGMLType.fromCode(code) else {
            throw .unsupportedTensorType(tensor: name, type: "code \(code)")
        }
        guard dims[0] % type.blockSize == 0 else {
            throw .malformed(
                format: "GGUF",
                reason:
                    "tensor \(name): ne[0] = \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)"
            )
        }
        let offset = try reader.integer(UInt64.self, "offset of \(name)")
        guard offset % UInt64(alignment) == 0, offset <= UInt64(Int.max / 2) else {
            throw .malformed(
                format: "GGUF",
                reason: "tensor \(name): offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        return GGUFTensorInfo(
            name: name, dimensions: dims, type: type, offset: Int(offset), elementCount: elements,
            byteCount: elements / type.blockSize * type.bytesPerBlock)
    }

    // MARK: Metadata accessors

    /// The tensor info named `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }

    /// A required string value.
    public func string(_ key: String) throws(ModelError) -> String {
        guard let value = metadata[key] else { throw .missingMetadata(key: key) }
        guard let s = value.stringValue else {
            throw .badMetadata(key: key, reason: "want a string, got \(value.type)")
        }
        return s
    }

    /// A required non-negative integer value of any integer type.
    public func unsigned(_ key: String) throws(ModelError) -> UInt64 {
        guard let value = metadata[key] else { throw .missingMetadata(key: key) }
        guard let v = value.unsignedValue else {
            throw .badMetadata(key: key, reason: "want an unsigned integer, got \(value.type)")
        }
        return v
    }

    /// A required float value (float32 or float64).
    public func float(_ key: String) throws(ModelError) -> Double {
        guard let value = metadata[key] else { throw .missingMetadata(key: key) }
        guard let v = value.floatValue else {
            throw .badMetadata(key: key, reason: "want a float, got \(value.type)")
        }
        return v
    }

    /// A required array of strings.
    public func stringArray(_ key: String) throws(ModelError) -> [String] {
        guard let value = metadata[key] else { throw .missingMetadata(key: key) }
        guard case .array(.string, let elements) = value else {
            throw .badMetadata(key: key, reason: "want an array of strings")
        }
        return elements.map { $0.stringValue ?? "" }
    }

    /// A required array of integers (any integer element type).
    public func integerArray(_ key: String) throws(ModelError) -> [Int64] {
        guard let value = metadata[key] else { throw .missingMetadata(key: key) }
        guard case .array(_, let elements) = value else {
            throw .badMetadata(key: key, reason: "want an array")
        }
        var out: [Int64] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard let v = e.signedValue else { throw .badMetadata(key: key, reason: "want integer elements") }
            out.append(v)
        }
        return out
    }

    // MARK: Tensor data

    /// The stored bytes of `tensor` (bounds were checked at parse time).
    public func rawData(of tensor: GGUFTensorInfo) -> Data {
        let start = dataOffset + tensor.offset
        return bytes.subdata(in: start..<(start + tensor.byteCount))
    }

    /// The tensor types whose blocks `sourceBlocks` hands over: Q4_0, Q4_1, Q8_0.
    public static let blockSourceTypes: Set<GGMLType> = [.q40, .q41, .q80]

    /// The blocks of a Q4_0, Q4_1 or Q8_0 tensor as they are stored (specs/model-package.md
    /// §6.1, kernel.md §3.5): per block `d` and `m` widened exactly from binary16 (Q4_0:
    /// `m = -8 d`, exact; Q8_0: `m = 0`), and one code per value in storage order (`nib(j)` for
    /// Q4_*, the int8 byte for Q8_0). The real value is `d · code + m` — the same numbers
    /// `dequantize` rounds to binary32.
    ///
    /// - Returns: `nil` for every type not in `blockSourceTypes` (those are dequantized instead).
    public func sourceBlocks(_ tensor: GGUFTensorInfo) -> SourceBlocks? {
        let type = tensor.type
        guard Self.blockSourceTypes.contains(type) else { return nil }
        let start = dataOffset + tensor.offset
        let blocks = tensor.elementCount / 32
        return bytes.withUnsafeBytes { whole in
            let raw = UnsafeRawBufferPointer(rebasing: whole[start..<(start + tensor.byteCount)])
            func half(_ o: Int) -> Float {
                HalfFloat.float(
                    fromHalfBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
            }
            var d = [Float](repeating: 0, count: blocks)
            var m = [Float](repeating: 0, count: blocks)
            var codes = [UInt8](repeating: 0, count: tensor.elementCount)
            for b in 0..<blocks {
                let base = b * type.bytesPerBlock
                d[b] = half(base)
                if type == .q80 {
                    for j in 0..<32 { codes[32 * b + j] = raw[base + 2 + j] }
                    continue
                }
                m[b] = type == .q41 ? half(base + 2) : -8 * d[b]
                let qs = base + (type == .q41 ? 4 : 2)
                for j in 0..<16 {
                    codes[32 * b + j] = raw[qs + j] & 0x0F
                    codes[32 * b + j + 16] = raw[qs + j] >> 4
                }
            }
            return SourceBlocks(codeBits: type == .q80 ? 8 : 4, scales: d, offsets: m, codes: codes)
        }
    }

    /// The tensor's values as binary32, in storage order (`ne[0]` fastest, i.e. row-major over
    /// `shape`). See `GGMLType` for each block layout and the exact arithmetic.
    ///
    /// - Throws: `.unsupportedTensorType` for types other than F32, F16, BF16, Q4_0, Q4_1, Q8_0.
    public func dequantize(_ tensor: GGUFTensorInfo) throws(ModelError) -> [Float] {
        guard tensor.type.isDequantizable else {
            throw .unsupportedTensorType(tensor: tensor.name, type: tensor.type.name)
        }
        let start = dataOffset + tensor.offset
        return bytes.withUnsafeBytes { raw in
            GGMLDequantizer.dequantize(
                UnsafeRawBufferPointer(rebasing: raw[start..<(start + tensor.byteCount)]),
                type: tensor.type, count: tensor.elementCount)
        }
    }
}
