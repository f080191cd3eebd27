/// A GGML tensor element type as stored in a GGUF tensor info (`ggml_type`).
///
/// Layout of the block types this module dequantizes (all little-endian, blocks of 32 values
/// along the innermost dimension `ne[0]`; `f16` is IEEE binary16):
///
/// | type | bytes/block | layout | value `j` of the block |
/// |------|-------------|--------|------------------------|
/// | Q4_0 | 18 | `f16 d; u8 qs[16]` | `(nib(j) − 8) · d` |
/// | Q4_1 | 20 | `f16 d; f16 m; u8 qs[16]` | `nib(j) · d + m` |
/// | Q8_0 | 34 | `f16 d; i8 qs[32]` | `qs[j] · d` |
///
/// where `nib(j) = qs[j] & 0x0F` for `j < 16` and `qs[j − 16] >> 4` for `j ≥ 16` (low nibbles
/// hold the first half of the block). Arithmetic is binary32: `d` and `m` are widened exactly,
/// the product is rounded to binary32 and then the sum (no fused multiply-add), which matches
/// the reference dequantizer of the `gguf` Python package bit for bit.
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
    /// The numeric code stored in the file.
    public let rawValue: UInt32
    /// The name used by ggml ("Q4_1").
    public let name: String
    /// Values per block (1 for plain element types).
    public let blockSize: Int
    /// Bytes per block.
    public let bytesPerBlock: Int

    public var description: String { name }

    public static let f32 = GGMLType(rawValue: 0, name: "F32", blockSize: 1, bytesPerBlock: 4)
    public static let f16 = GGMLType(rawValue: 1, name: "F16", blockSize: 1, bytesPerBlock: 2)
    public static let q40 = GGMLType(rawValue: 2, name: "Q4_0", blockSize: 32, bytesPerBlock: 18)
    public static let q41 = GGMLType(rawValue: 3, name: "Q4_1", blockSize: 32, bytesPerBlock: 20)
    public static let q80 = GGMLType(rawValue: 8, name: "Q8_0", blockSize: 32, bytesPerBlock: 34)
    public static let bf16 = GGMLType(rawValue: 30, name: "BF16", blockSize: 1, bytesPerBlock: 2)

    /// Every type whose storage size this reader knows (so a file using it can be parsed and
    /// bounds-checked); only `isDequantizable` ones can be converted to floats.
    static let known: [UInt32: GGMLType] = {
        let table: [GGMLType] = [
            .f32, .f16, .q40, .q41, .q80, .bf16,
            GGMLType(rawValue: 6, name: "Q5_0", blockSize: 32, bytesPerBlock: 22),
            GGMLType(rawValue: 7, name: "Q5_1", blockSize: 32, bytesPerBlock: 24),
            GGMLType(rawValue: 9, name: "Q8_1", blockSize: 32, bytesPerBlock: 36),
            GGMLType(rawValue: 10, name: "Q2_K", blockSize: 256, bytesPerBlock: 84),
            GGMLType(rawValue: 11, name: "Q3_K", blockSize: 256, bytesPerBlock: 110),
            GGMLType(rawValue: 12, name: "Q4_K", blockSize: 256, bytesPerBlock: 144),
            GGMLType(rawValue: 13, name: "Q5_K", blockSize: 256, bytesPerBlock: 176),
            GGMLType(rawValue: 14, name: "Q6_K", blockSize: 256, bytesPerBlock: 210),
            GGMLType(rawValue: 15, name: "Q8_K", blockSize: 256, bytesPerBlock: 292),
            GGMLType(rawValue: 24, name: "I8", blockSize: 1, bytesPerBlock: 1),
            GGMLType(rawValue: 25, name: "I16", blockSize: 1, bytesPerBlock: 2),
            GGMLType(rawValue: 26, name: "I32", blockSize: 1, bytesPerBlock: 4),
            GGMLType(rawValue: 27, name: "I64", blockSize: 1, bytesPerBlock: 8),
            GGMLType(rawValue: 28, name: "F64", blockSize: 1, bytesPerBlock: 8),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.rawValue, $0) })
    }()

    /// The type for a stored code, or `nil` for codes whose layout this reader does not know.
    public static func fromCode(_ code: UInt32) -> GGMLType? { known[code] }

    /// Whether `GGUFFile.dequantize` supports this type.
    public var isDequantizable: Bool {
        [GGMLType.f32, .f16, .bf16, .q40, .q41, .q80].contains(self)
    }
}
