import Foundation

/// A safetensors element type (the `dtype` string of a header entry).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major shape (the last dimension varies fastest); `[]` is a scalar.
    public let shape: [Int]
    /// Byte range `[begin, end)` relative to the start of the data buffer.
    public let begin: Int
    public let end: Int

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed safetensors file.
///
/// Layout: `u64 N` (little-endian) · `N` bytes of UTF-8 JSON · data buffer. The JSON is an
/// object mapping each tensor name to `{"dtype": S, "shape": [u64...], "data_offsets": [b, e]}`
/// plus an optional `"__metadata__"` object of string values. Checks made here: `N` at most
/// 100 MB and inside the file, the header starts with `{`, every entry is well typed, its byte
/// range matches `product(shape) · size(dtype)`, lies in the data buffer, and the ranges
/// together tile the buffer exactly (no gaps, no overlaps), as the format requires.
public struct SafetensorsFile: Sendable {
    /// Tensor entries sorted by name.
    public let tensors: [SafetensorsTensorInfo]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Absolute file offset of the data buffer (`8 + N`).
    public let dataOffset: Int
    let bytes: Data

    /// The largest header accepted (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    /// Reads a safetensors file from disk (memory-mapped when possible).
    public init(contentsOf url: URL) throws(ModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data)
    }

    /// Parses a safetensors file held in memory.
    ///
    /// - Throws: `ModelError` for a truncated length or header, a header over the limit, invalid
    ///   JSON, an unknown dtype, a bad shape, or data offsets that do not match the shape or do not
    ///   tile the data buffer.
    public init(data: Data) throws(ModelError) {
        var reader = ByteReader(data, format: "safetensors")
        let length = try reader.integer(UInt64.self, "safetensors header length")
        guard length <= UInt64(Self.maxHeaderBytes) else {
            throw .countTooLarge(
                what: "safetensors header length", count: length, limit: UInt64(Self.maxHeaderBytes))
        }
        let headerBytes = try reader.bytes(Int(length), "safetensors JSON header")
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw .malformed(format: "safetensors", reason: "header does not start with '{'")
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
                throw ModelError.malformed(format: "safetensors", reason: "header is not a JSON object")
            }
            object = parsed
        } catch let error as ModelError {
            throw error
        } catch {
            throw .malformed(format: "safetensors", reason: "header is not valid JSON")
        }
        let dataSize = reader.remaining
        var metadata: [String: String] = [:]
        var infos: [SafetensorsTensorInfo] = []
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw .malformed(format: "safetensors", reason: "__metadata__ is not an object")
                }
                for (k, v) in map {
                    guard let s = v as? String else {
                        throw .malformed(format: "safetensors", reason: "__metadata__.\(k) is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            infos.append(try Self.parseEntry(name: name, value, dataSize: dataSize))
        }
        // The byte ranges must tile [0, dataSize) exactly.
        let byOffset = infos.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for info in byOffset {
            guard info.begin == cursor else {
                throw .malformed(
                    format: "safetensors",
                    reason: "tensor \(info.name) starts at \(info.begin), expected \(cursor) (gap or overlap)"
                )
            }
            cursor = info.end
        }
        guard cursor == dataSize else {
            throw .malformed(
                format: "safetensors", reason: "tensors cover \(cursor) of \(dataSize) data bytes")
        }
        self.tensors = infos.sorted { $0.name < $1.name }
        self.metadata = metadata
        self.dataOffset = 8 + Int(length)
        self.bytes = reader.bytes
    }

    private static func parseEntry(name: String, _ value: Any, dataSize: Int) throws(ModelError)
        -> SafetensorsTensorInfo
    {
        func bad(_ reason: String) -> ModelError {
            .malformed(format: "safetensors", reason: "tensor \(name): \(reason)")
        }
        guard let entry = value as? [String: Any] else { throw bad("entry is not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw bad("missing dtype") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unsupportedTensorType(tensor: name, type: dtypeName)
        }
        guard let shapeValues = entry["shape"] as? [Any] else { throw bad("missing shape") }
        var shape: [Int] = []
        var elements = 1
        for (i, v) in shapeValues.enumerated() {
            guard let n = Self.exactInt(v), n >= 0, n <= Int(Int32.max) else {
                throw bad("dimension \(i) is not an integer literal in [0, 2^31 - 1]")
            }
            let (p, o) = elements.multipliedReportingOverflow(by: n)
            guard !o, p <= 1 << 40 else { throw bad("element count overflows") }
            elements = p
            shape.append(n)
        }
        guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
            let begin = Self.exactInt(offsets[0]), let end = Self.exactInt(offsets[1])
        else { throw bad("data_offsets must be two integers") }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw .tensorOutOfBounds(
                tensor: name, begin: UInt64(max(begin, 0)), end: UInt64(max(end, 0)),
                available: UInt64(dataSize))
        }
        guard end - begin == elements * dtype.size else {
            throw bad(
                "data_offsets span \(end - begin) bytes, shape \(shape) of \(dtype.rawValue) needs \(elements * dtype.size)"
            )
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// A JSON integer literal as `Int`, or nil for anything else: strings, booleans and number
    /// literals with a fraction or exponent (`true`, `4.0`, `4e0` bridge to `NSNumber` too; the
    /// reference implementation refuses them for its integer fields), and magnitudes of 2^53 or
    /// more (never `abs`: −2^63 has no positive counterpart).
    private static func exactInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        // Foundation types a parsed JSON integer as a C integer ("i", "q", ...), a boolean as
        // "c" and a fraction, an exponent or an out-of-range integer as "d".
        guard ["s", "i", "l", "q", "S", "I", "L", "Q"].contains(String(cString: number.objCType)) else {
            return nil
        }
        let asInt = number.int64Value
        guard Double(asInt) == number.doubleValue, asInt.magnitude < 1 << 53 else { return nil }
        return Int(asInt)
    }

    /// The entry named `name`, if present.
    public func tensor(named name: String) -> SafetensorsTensorInfo? { tensors.first { $0.name == name } }

    /// The raw bytes of a tensor.
    public func rawData(of tensor: SafetensorsTensorInfo) -> Data {
        bytes.subdata(in: (dataOffset + tensor.begin)..<(dataOffset + tensor.end))
    }

    /// A tensor's values as binary32, row-major. F32 is copied, F16 and BF16 widen exactly.
    ///
    /// - Throws: `.unsupportedTensorType` for other dtypes.
    public func floats(_ tensor: SafetensorsTensorInfo) throws(ModelError) -> [Float] {
        let type: GGMLType
        switch tensor.dtype {
        case .f32: type = .f32
        case .f16: type = .f16
        case .bf16: type = .bf16
        default: throw .unsupportedTensorType(tensor: tensor.name, type: tensor.dtype.rawValue)
        }
        let start = dataOffset + tensor.begin
        return bytes.withUnsafeBytes { raw in
            GGMLDequantizer.dequantize(
                UnsafeRawBufferPointer(rebasing: raw[start..<(dataOffset + tensor.end)]), type: type,
                count: tensor.elementCount)
        }
    }

    /// The values of the tensor named `name`, checking its shape.
    public func floats(_ name: String, shape: [Int]) throws(ModelError) -> [Float] {
        guard let info = tensor(named: name) else { throw .missingTensor(name) }
        guard info.shape == shape else { throw .shapeMismatch(tensor: name, got: info.shape, want: shape) }
        return try floats(info)
    }
}
