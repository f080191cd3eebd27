import Foundation
import Testing

@testable import Models

@Suite("safetensors reader")
struct SafetensorsFileTests {
    @Test("values equal what the safetensors package wrote")
    func values() throws {
        let file = try SafetensorsFile(data: try ModelFixtures.data("tiny.safetensors"))
        let expected = try ModelFixtures.json("tiny.safetensors.json")
        let want = try #require(expected["tensors"] as? [String: [String: Any]])
        #expect(file.tensors.map(\.name) == want.keys.sorted())
        #expect(file.metadata == ["format": "pt"])
        for info in file.tensors {
            let w = try #require(want[info.name])
            #expect(info.dtype.rawValue == w["dtype"] as? String)
            #expect(info.shape == w["shape"] as? [Int])
            let bits = try #require(w["values_f32_bits"] as? [Int]).map { UInt32($0) }
            #expect(try file.floats(info).bitPatterns == bits)
        }
        let bf = try SafetensorsFile(data: try ModelFixtures.data("tiny-bf16.safetensors"))
        let wantBF = try #require((expected["bf16"] as? [String: [String: Any]])?["x"])
        let bits = try #require(wantBF["values_f32_bits"] as? [Int]).map { UInt32($0) }
        #expect(try bf.floats("x", shape: [2, 3]).bitPatterns == bits)
        #expect(throws: ModelError.shapeMismatch(tensor: "x", got: [2, 3], want: [3, 2])) {
            try bf.floats("x", shape: [3, 2])
        }
        #expect(throws: ModelError.missingTensor("y")) { try bf.floats("y", shape: [1]) }
    }

    @Test("every proper prefix is rejected")
    func prefixes() throws {
        let data = try ModelFixtures.data("tiny.safetensors")
        for length in 0..<data.count {
            #expect(throws: ModelError.self, "prefix \(length)") {
                try SafetensorsFile(data: data.prefix(length))
            }
        }
    }

    /// A file with the given JSON header and `dataBytes` zero bytes of data.
    func file(_ header: String, dataBytes: Int) -> Data {
        var b = LEBytes()
        b.u64(UInt64(header.utf8.count))
        b.bytes.append(contentsOf: header.utf8)
        b.bytes.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        return b.data
    }

    @Test("malformed headers name the problem")
    func malformed() throws {
        var huge = LEBytes()
        huge.u64(1 << 40)
        #expect(
            throws: ModelError.countTooLarge(
                what: "safetensors header length", count: 1 << 40, limit: 100_000_000)
        ) {
            try SafetensorsFile(data: huge.data)
        }
        #expect(throws: ModelError.malformed(format: "safetensors", reason: "header does not start with '{'"))
        {
            try SafetensorsFile(data: file("[1]", dataBytes: 0))
        }
        #expect(throws: ModelError.malformed(format: "safetensors", reason: "header is not valid JSON")) {
            try SafetensorsFile(data: file("{\"a\":", dataBytes: 0))
        }
        #expect(throws: ModelError.unsupportedTensorType(tensor: "a", type: "F12")) {
            try SafetensorsFile(
                data: file(#"{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4))
        }
        #expect(throws: ModelError.tensorOutOfBounds(tensor: "a", begin: 0, end: 8, available: 4)) {
            try SafetensorsFile(
                data: file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4))
        }
        #expect(
            throws: ModelError.malformed(
                format: "safetensors", reason: "tensor a: data_offsets span 4 bytes, shape [2] of F32 needs 8"
            )
        ) {
            try SafetensorsFile(
                data: file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4))
        }
        #expect(
            throws: ModelError.malformed(
                format: "safetensors", reason: "tensor a: data_offsets must be two integers")
        ) {
            try SafetensorsFile(
                data: file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0.5,4]}}"#, dataBytes: 4))
        }
        #expect(
            throws: ModelError.malformed(
                format: "safetensors", reason: "tensor b starts at 0, expected 4 (gap or overlap)")
        ) {
            try SafetensorsFile(
                data: file(
                    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                    dataBytes: 4))
        }
        #expect(
            throws: ModelError.malformed(format: "safetensors", reason: "tensors cover 4 of 8 data bytes")
        ) {
            try SafetensorsFile(
                data: file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8))
        }
        let i8 = try SafetensorsFile(
            data: file(#"{"a":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}"#, dataBytes: 4))
        #expect(throws: ModelError.unsupportedTensorType(tensor: "a", type: "I8")) {
            try i8.floats(i8.tensors[0])
        }
    }
}
