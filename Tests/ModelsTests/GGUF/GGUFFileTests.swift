import Foundation
import Testing

@testable import Models

@Suite("GGUF reader")
struct GGUFFileTests {
    @Test("tiny.gguf metadata matches what gguf.GGUFWriter wrote")
    func metadata() throws {
        let file = try GGUFFile(data: try ModelFixtures.data("tiny.gguf"))
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(try file.string("general.architecture") == "llama")
        #expect(file.metadata["test.u8"] == .uint8(200))
        #expect(file.metadata["test.i8"] == .int8(-100))
        #expect(file.metadata["test.u16"] == .uint16(65000))
        #expect(file.metadata["test.i16"] == .int16(-30000))
        #expect(file.metadata["test.i32"] == .int32(-2_000_000_000))
        #expect(file.metadata["test.u64"] == .uint64(1 << 63 + 5))
        #expect(file.metadata["test.i64"] == .int64(-(1 << 62)))
        #expect(file.metadata["test.f32"] == .float32(1.0e5))
        #expect(file.metadata["test.f64"] == .float64(-2.5e-300))
        #expect(file.metadata["test.bool"] == .bool(true))
        #expect(try file.string("test.string") == "héllo, wörld ✓")
        #expect(try file.stringArray("test.strings") == ["a", "", "Ġthe", "日本"])
        #expect(try file.integerArray("test.ints") == [3, -1, 7])
        #expect(try file.unsigned("llama.block_count") == 2)
        #expect(throws: ModelError.missingMetadata(key: "nope")) { try file.string("nope") }
        #expect(throws: ModelError.badMetadata(key: "test.f32", reason: "want a string, got float32")) {
            try file.string("test.f32")
        }
    }

    @Test("tensor infos and dequantized values equal gguf.quants.dequantize bit for bit")
    func tensors() throws {
        let file = try GGUFFile(data: try ModelFixtures.data("tiny.gguf"))
        let expected = try ModelFixtures.json("tiny.gguf.json")
        let want = try #require(expected["tensors"] as? [[String: Any]])
        #expect(file.dataOffset == expected["data_offset"] as? Int)
        #expect(file.tensors.count == want.count)
        for (info, w) in zip(file.tensors, want) {
            #expect(info.name == w["name"] as? String)
            #expect(info.type.name == w["type"] as? String)
            #expect(info.dimensions == w["dimensions"] as? [Int])
            #expect(info.offset == w["offset"] as? Int)
            #expect(info.byteCount == w["byte_count"] as? Int)
            let bits = try #require(w["values_f32_bits"] as? [Int]).map { UInt32($0) }
            #expect(try file.dequantize(info).bitPatterns == bits, "\(info.name)")
        }
    }

    @Test("every proper prefix of a valid file is rejected as truncated or out of bounds")
    func truncatedPrefixes() throws {
        let data = try ModelFixtures.data("tiny.gguf")
        let file = try GGUFFile(data: data)
        let lastTensorEnd = file.tensors.map { file.dataOffset + $0.offset + $0.byteCount }.max() ?? 0
        for length in 0..<lastTensorEnd {
            #expect(throws: ModelError.self, "prefix \(length)") { try GGUFFile(data: data.prefix(length)) }
        }
    }

    @Test("half-float conversion is exact on edge values")
    func halfFloats() {
        #expect(HalfFloat.float(fromHalfBits: 0x3C00) == 1)
        #expect(HalfFloat.float(fromHalfBits: 0xC000) == -2)
        #expect(HalfFloat.float(fromHalfBits: 0x7BFF) == 65504)
        #expect(HalfFloat.float(fromHalfBits: 0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(
            HalfFloat.float(fromHalfBits: 0x03FF) == Float(1023)
                * Float(sign: .plus, exponent: -24, significand: 1))
        #expect(HalfFloat.float(fromHalfBits: 0x8000).bitPattern == 0x8000_0000)
        #expect(HalfFloat.float(fromHalfBits: 0x7C00) == .infinity)
        #expect(HalfFloat.float(fromHalfBits: 0x7E00).isNaN)
        #expect(HalfFloat.float(fromBFloat16Bits: 0x3F80) == 1)
        // Every finite half equals the platform's own conversion where available.
        #if arch(x86_64) || arch(arm64)
            for bits in UInt16.min...UInt16.max {
                let ours = HalfFloat.float(fromHalfBits: bits)
                let theirs = Float(Float16(bitPattern: bits))
                #expect(ours.bitPattern == theirs.bitPattern || (ours.isNaN && theirs.isNaN))
            }
        #endif
    }
}

@Suite("GGUF reader: malformed input")
struct GGUFMalformedTests {
    /// A header with the given fields and nothing else.
    /// (Callers append `padding` so that count plausibility checks pass and the field under
    /// test is reached.)
    func header(magic: String = "GGUF", version: UInt32 = 3, tensors: UInt64 = 0, kvs: UInt64 = 0) -> LEBytes
    {
        var b = LEBytes()
        b.bytes.append(contentsOf: magic.utf8)
        b.u32(version)
        b.u64(tensors)
        b.u64(kvs)
        return b
    }

    @Test func badMagic() {
        #expect(throws: ModelError.badMagic(format: "GGUF", got: Array("GGML".utf8))) {
            try GGUFFile(data: header(magic: "GGML").data)
        }
    }

    @Test func unsupportedVersion() {
        #expect(throws: ModelError.unsupportedVersion(format: "GGUF", got: 1)) {
            try GGUFFile(data: header(version: 1).data)
        }
    }

    @Test func oversizedCounts() {
        #expect(throws: ModelError.countTooLarge(what: "metadata count", count: 1 << 40, limit: 1 << 20)) {
            try GGUFFile(data: header(kvs: 1 << 40).data)
        }
        // A count below the hard limit but larger than the remaining bytes could hold.
        #expect(throws: ModelError.self) { try GGUFFile(data: header(tensors: 1000).data) }
    }

    @Test func oversizedArrayAndString() {
        var b = header(kvs: 1)
        b.string("k.arr")
        b.u32(9)  // array
        b.u32(8)  // of strings
        b.u64(1 << 50)
        #expect(throws: ModelError.countTooLarge(what: "length of array k.arr", count: 1 << 50, limit: 0)) {
            try GGUFFile(data: b.data)
        }
        var s = header(kvs: 1)
        s.u64(1 << 62)  // key length
        s.bytes += padding
        #expect(
            throws: ModelError.countTooLarge(what: "length of metadata key 0", count: 1 << 62, limit: 65_535)
        ) {
            try GGUFFile(data: s.data)
        }
    }

    @Test func unknownValueType() {
        var b = header(kvs: 1)
        b.string("k.x")
        b.u32(13)
        b.u32(0)
        #expect(throws: ModelError.unknownValueType(key: "k.x", code: 13)) { try GGUFFile(data: b.data) }
    }

    @Test func invalidUTF8AndBadBool() {
        var b = header(kvs: 1)
        b.u64(2)
        b.bytes.append(contentsOf: [0xC3, 0x28])
        b.bytes += padding
        #expect(throws: ModelError.invalidUTF8(what: "metadata key 0")) { try GGUFFile(data: b.data) }
        var c = header(kvs: 1)
        c.string("k.b")
        c.u32(7)
        c.bytes.append(2)
        #expect(throws: ModelError.badMetadata(key: "k.b", reason: "bool byte 2 is neither 0 nor 1")) {
            try GGUFFile(data: c.data)
        }
    }

    let padding = [UInt8](repeating: 0, count: 16)

    @Test func emptyTypedArray() throws {
        var b = header(kvs: 1)
        b.string("k.empty")
        b.u32(9)
        b.u32(4)
        b.u64(0)
        let file = try GGUFFile(data: b.data)
        #expect(file.metadata["k.empty"] == .array(.uint32, []))
    }

    @Test func duplicateKey() {
        var b = header(kvs: 2)
        for _ in 0..<2 {
            b.string("k.x")
            b.u32(0)
            b.bytes.append(1)
        }
        #expect(throws: ModelError.malformed(format: "GGUF", reason: "duplicate key k.x")) {
            try GGUFFile(data: b.data)
        }
    }

    /// One tensor info (and nothing else) with the given fields.
    func oneTensor(dims: [UInt64] = [32], type: UInt32 = 0, offset: UInt64 = 0, dataBytes: Int = 128) -> Data
    {
        var b = header(tensors: 1)
        b.string("w")
        b.u32(UInt32(dims.count))
        for d in dims { b.u64(d) }
        b.u32(type)
        b.u64(offset)
        while b.bytes.count % 32 != 0 { b.bytes.append(0) }
        b.bytes.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        return b.data
    }

    @Test func tensorCases() throws {
        #expect(try GGUFFile(data: oneTensor()).tensors.first?.byteCount == 128)
        #expect(throws: ModelError.unsupportedTensorType(tensor: "w", type: "code 99")) {
            try GGUFFile(data: oneTensor(type: 99))
        }
        #expect(throws: ModelError.tensorOutOfBounds(tensor: "w", begin: 32, end: 160, available: 128)) {
            try GGUFFile(data: oneTensor(offset: 32))
        }
        #expect(
            throws: ModelError.malformed(
                format: "GGUF", reason: "tensor w: offset 4 is not a multiple of the alignment 32")
        ) {
            try GGUFFile(data: oneTensor(offset: 4))
        }
        #expect(
            throws: ModelError.malformed(format: "GGUF", reason: "tensor w: 5 dimensions (allowed 1...4)")
        ) {
            try GGUFFile(data: oneTensor(dims: [1, 1, 1, 1, 1]))
        }
        #expect(throws: ModelError.self) { try GGUFFile(data: oneTensor(dims: [1 << 31, 1 << 31, 1 << 20])) }
        #expect(
            throws: ModelError.malformed(
                format: "GGUF", reason: "tensor w: ne[0] = 16 is not a multiple of the Q4_1 block size 32")
        ) {
            try GGUFFile(data: oneTensor(dims: [16], type: 3))
        }
        // Known but not dequantizable (Q4_K): parses, dequantize names the type.
        let k = try GGUFFile(data: oneTensor(dims: [256], type: 12, dataBytes: 144))
        let info = try #require(k.tensors.first)
        #expect(throws: ModelError.unsupportedTensorType(tensor: "w", type: "Q4_K")) {
            try k.dequantize(info)
        }
    }
}
