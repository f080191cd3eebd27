import Foundation
import Kernel
import TestSupport
import Testing

@testable import Models

@Suite("importers")
struct ImporterTests {
    @Test("GGUF Llama import: config from metadata, tokenizer, deterministic model id")
    func gguf() throws {
        let url = RepoPaths.fixture("models/tiny-llama.gguf")
        let file = try GGUFFile(contentsOf: url)
        let config = try GGUFImporter.config(of: file, activationBits: 8)
        #expect(
            config
                == ModelConfig(
                    architecture: .llama, vocabSize: 262, width: 32, layers: 2, heads: 4, kvHeads: 2,
                    headDim: 8,
                    ffnWidth: 64, maxPositions: 64, ropeBase: 10_000, ropeStyle: .interleaved,
                    normEpsilon: Double(Float(1e-5)), typeVocabSize: 0, tiedEmbeddings: true,
                    activationBits: 8))
        let tokenizer = try GGUFImporter.tokenizer(of: file)
        // Ids from Hugging Face tokenizers on the same vocabulary (scripts/reference/tokenizers_ref.py).
        #expect(tokenizer.encode("<|im_start|>the thin 42") == [257, 116, 259, 258, 104, 261, 32, 52, 50])

        let a = try RepoPaths.temporaryDirectory()
        let b = try RepoPaths.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let m1 = try GGUFImporter.importFile(url, to: a, activationBits: 8, weightBits: 8, chunkSize: 4096)
        let m2 = try GGUFImporter.importFile(url, to: b, activationBits: 8, weightBits: 8, chunkSize: 4096)
        #expect(m1.modelID == m2.modelID)
        #expect(m1.name == "tiny-llama-fixture")
        #expect(m1.source["format"] == "gguf")
        let loaded = try ModelPackage.load(directory: a)
        #expect(loaded.model.config == config)
        #expect(loaded.tokenizer == .byteLevelBPE(tokenizer))
        // The package holds exactly the kernel's quantization of the dequantized weights.
        let weights = try GGUFImporter.floatWeights(of: file, config: config)
        #expect(loaded.model == (try Quantizer.quantize(weights)))

        // The default widths (16-bit activations and weights) are recorded in the manifest.
        let c = try RepoPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: c) }
        let wide = try GGUFImporter.importFile(url, to: c, chunkSize: 4096)
        #expect(wide.config.activationBits == 16 && wide.config.weightBits == 16)
        #expect(wide.modelID != m1.modelID)
        #expect(try ModelPackage.load(directory: c).model.config.weightBits == 16)
    }

    @Test("GGUF import with weight bits 4 keeps the Q4_1 and Q8_0 blocks (kernel.md §3.5)")
    func ggufBlocks() throws {
        let url = RepoPaths.fixture("models/tiny-llama.gguf")
        let file = try GGUFFile(contentsOf: url)
        let a = try RepoPaths.temporaryDirectory()
        let b = try RepoPaths.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let m1 = try GGUFImporter.importFile(url, to: a, weightBits: 4, chunkSize: 4096)
        let m2 = try GGUFImporter.importFile(url, to: b, weightBits: 4, chunkSize: 4096)
        #expect(m1.modelID == m2.modelID)
        #expect(m1.config.weightBits == 4)
        let model = try ModelPackage.load(directory: a).model
        let config = try GGUFImporter.config(of: file, activationBits: 16, weightBits: 4)
        #expect(model == (try Quantizer.quantize(try GGUFImporter.floatWeights(of: file, config: config))))
        #expect(model.tokenEmbedding.blocks?.codeBits == 8)  // Q8_0
        guard case .llama(let blocks) = model.blocks else { throw ModelError.unsupportedArchitecture("bert") }
        let q = blocks[0].query.matrix
        #expect(q.blocks?.codeBits == 4)  // Q4_1
        // Each weight is (D / 32767) (S c + Z): the dequantized value up to the rounding of S, Z
        // (at most 8 units of D / 32767 for 4-bit codes, §3.5).
        let info = try #require(file.tensor(named: "blk.0.attn_q.weight"))
        let floats = try file.dequantize(info)
        let source = try #require(file.sourceBlocks(info))
        let nb = q.cols / 32
        for r in 0..<q.rows {
            var d = 0.0
            for i in (r * nb)..<((r + 1) * nb) {
                d = max(d, abs(Double(source.scales[i])), abs(Double(source.offsets[i])))
            }
            let unit = d / 32767
            for c in 0..<q.cols {
                let got = unit * Double(q.weight(r, c))
                let want = Double(floats[r * q.cols + c])
                #expect(abs(got - want) <= 8 * unit + 1e-6 * abs(want), "row \(r) col \(c)")
            }
        }
        // Safetensors has no blocks to keep: a typed refusal.
        #expect(throws: ModelError.noBlockSource(source: "a safetensors model (float tensors)")) {
            try SafetensorsImporter.read(
                directory: RepoPaths.fixture("models/tiny-bert"), activationBits: 16, weightBits: 4)
        }
    }

    /// A hand-made GGUF with one 2 x 64 tensor of each block type (and an F32 one), known
    /// `d`, `m` and codes: `sourceBlocks` reads them as stored, `d * code + m` in binary32 is the
    /// dequantizer's value bit for bit, and the block import keeps the codes and rounds `S`, `Z`
    /// as §3.5 says.
    @Test("GGUF Q4_0, Q4_1, Q8_0 blocks: read as stored, imported with their codes")
    func handMadeBlocks() throws {
        let file = try GGUFFile(data: BlockGGUF.data())
        #expect(file.tensors.map(\.type) == [.q40, .q41, .q80, .f32])
        for info in file.tensors {
            let want = BlockGGUF.blocks(info.type)
            guard let got = file.sourceBlocks(info) else {
                #expect(info.type == .f32)
                continue
            }
            #expect(got.codeBits == want.codeBits && got.codes == want.codes, "\(info.name)")
            #expect(got.scales == want.scales && got.offsets == want.offsets, "\(info.name)")
            let values = try file.dequantize(info)
            for i in 0..<values.count {
                let code = Float(
                    want.codeBits == 8 ? Int(Int8(bitPattern: want.codes[i])) : Int(want.codes[i]))
                let w = code * want.scales[i / 32] + want.offsets[i / 32]
                #expect(w == values[i], "\(info.name) value \(i)")  // ±0 aside, bit for bit
            }
        }
        let weights = try GGUFImporter.floatWeights(of: file, config: TinyModel.blockLlamaConfig())
        #expect(
            weights.tensors["f.weight"]?.blocks == nil && weights.tensors["f.weight"]?.values.count == 128)
        for (name, type) in [("q40", GGMLType.q40), ("q41", .q41), ("q80", .q80)] {
            let t = try #require(weights.tensors[name + ".weight"])
            #expect(t.shape == [2, 64] && t.values.isEmpty)
            let source = try #require(t.blocks)
            let m = try Quantizer.quantizeBlockMatrix(
                name: name, source: source, rows: 2, cols: 64, activationBits: 16)
            let b = try #require(m.blocks)
            for r in 0..<2 {
                for c in 0..<64 {
                    let want = BlockGGUF.blocks(type).codes[r * 64 + c]
                    #expect(b.code(r, c) == (type == .q80 ? Int64(Int8(bitPattern: want)) : Int64(want)))
                }
            }
            // Row 0's blocks, by hand from §3.5 (D = max |d|, |m| over the row).
            #expect(Array(b.blockScales[0..<4]) == BlockGGUF.row0SZ(type), "\(name)")
        }
        // No block tensor at all: weight bits 4 is refused before anything else is read.
        let plain = try RepoPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: plain) }
        let fileURL = plain.appendingPathComponent("plain.gguf")
        try BlockGGUF.data(types: [.f32]).write(to: fileURL)
        #expect(throws: ModelError.noBlockSource(source: "plain.gguf (no Q4_0, Q4_1 or Q8_0 matrix)")) {
            try GGUFImporter.importFile(fileURL, to: plain.appendingPathComponent("out"), weightBits: 4)
        }
    }

    @Test("GGUF import rejects other architectures and partial RoPE")
    func ggufRejects() throws {
        var data = try Data(contentsOf: RepoPaths.fixture("models/tiny-llama.gguf"))
        // Rename the architecture value "llama" → "llamb" in place (same length).
        let needle = Data("llama".utf8)
        let range = try #require(data.range(of: needle))
        data[range.upperBound - 1] = UInt8(ascii: "b")
        let file = try GGUFFile(data: data)
        #expect(throws: ModelError.unsupportedArchitecture("llamb")) {
            try GGUFImporter.config(of: file, activationBits: 8)
        }
    }

    @Test("safetensors BERT import: names mapped, unused tensors skipped, deterministic")
    func bert() throws {
        let dir = RepoPaths.fixture("models/tiny-bert")
        let (weights, tokenizer, _) = try SafetensorsImporter.read(directory: dir, activationBits: 16)
        #expect(weights.config.architecture == .bert)
        #expect(
            weights.config.vocabSize == 37 && weights.config.width == 32 && weights.config.maxPositions == 16)
        #expect(weights.tensors["blk.1.attn_output_norm.bias"]?.shape == [32])
        #expect(weights.tensors["position_embd.weight"]?.shape == [16, 32])
        #expect(weights.tensors.keys.allSatisfy { !$0.contains("pooler") && !$0.contains("position_ids") })
        #expect(tokenizer.encode("the meshes") == [2, 33, 34, 35, 3])
        let a = try RepoPaths.temporaryDirectory()
        let b = try RepoPaths.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let m1 = try SafetensorsImporter.importDirectory(dir, to: a, name: "tiny-bert", chunkSize: 4096)
        let m2 = try SafetensorsImporter.importDirectory(dir, to: b, name: "tiny-bert", chunkSize: 4096)
        #expect(m1.modelID == m2.modelID)
        #expect(try ModelPackage.verify(directory: a) == .valid(m1.modelID))
    }

    @Test(
        "BERT tensor names",
        arguments: [
            ("bert.encoder.layer.3.attention.self.query.weight", "blk.3.attn_q.weight"),
            ("encoder.layer.0.attention.output.LayerNorm.gamma", "blk.0.attn_output_norm.weight"),
            ("encoder.layer.5.output.dense.bias", "blk.5.ffn_down.bias"),
            ("embeddings.LayerNorm.beta", "token_embd_norm.bias"),
        ])
    func names(_ pair: (String, String)) throws {
        #expect(try SafetensorsImporter.kernelName(for: pair.0) == pair.1)
    }

    @Test func unknownBertTensor() {
        #expect(
            throws: ModelError.unsupportedTensorType(
                tensor: "encoder.layer.0.adapter.weight", type: "unrecognised BERT tensor name")
        ) {
            try SafetensorsImporter.kernelName(for: "encoder.layer.0.adapter.weight")
        }
        #expect((try? SafetensorsImporter.kernelName(for: "pooler.dense.weight")) == .some(nil))
    }
}

/// A GGUF file (no metadata) with `2 x 64` tensors `q40`, `q41`, `q80` and `f` (F32), whose
/// blocks are chosen by hand: binary16 `d`, `m` exact in binary32, codes `(7 j + 3 b) mod 16`
/// (4-bit) or `(37 j + 11 b) mod 256` as a byte (8-bit), for column `j` of block `b`.
enum BlockGGUF {
    /// `(d, m)` bits per block (4 blocks: row 0 then row 1), binary16.
    static let halves: [(d: UInt16, m: UInt16)] = [
        (0x3800, 0xBD00),  // d 0.5, m -1.25
        (0x3400, 0x4200),  // d 0.25, m 3
        (0x2000, 0x0000),  // d 2^-7, m 0
        (0xB800, 0x3C00),  // d -0.5, m 1
    ]

    static func float(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 == 0 ? 1 : -1
        let e = Int((h >> 10) & 0x1F)
        let f = Float(h & 0x03FF)
        return e == 0
            ? sign * f * 0x1p-24
            : sign * (1 + f / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
    }

    static func code(_ type: GGMLType, block b: Int, column j: Int) -> UInt8 {
        type == .q80 ? UInt8((37 * j + 11 * b) % 256) : UInt8((7 * j + 3 * b) % 16)
    }

    /// What `sourceBlocks` must return for the tensor of `type`.
    static func blocks(_ type: GGMLType) -> SourceBlocks {
        let d = halves.map { float($0.d) }
        let m: [Float] =
            switch type {
            case .q41: halves.map { float($0.m) }
            case .q40: d.map { -8 * $0 }
            default: [0, 0, 0, 0]
            }
        let codes = (0..<128).map { code(type, block: $0 / 32, column: $0 % 32) }
        return SourceBlocks(codeBits: type == .q80 ? 8 : 4, scales: d, offsets: m, codes: codes)
    }

    /// Row 0's `(S_0, Z_0, S_1, Z_1)` by hand: `round_half_even(x * 32767 / D)`.
    static func row0SZ(_ type: GGMLType) -> [Int16] {
        switch type {
        // D = 3: 5461.17, -13652.9, 2730.58, 32767
        case .q41: return [5461, -13653, 2731, 32767]
        // m = -8 d, D = 4: 4095.875, -32767, 2047.94, -16383.5 (even: -16384)
        case .q40: return [4096, -32767, 2048, -16384]
        // D = 0.5: 32767, 0, 16383.5 (even: 16384), 0
        default: return [32767, 0, 16384, 0]
        }
    }

    /// The file: tensor infos (`ne = [64, 2]`), then each tensor's data at a 32-byte aligned
    /// offset.
    static func data(types: [GGMLType] = [.q40, .q41, .q80, .f32]) -> Data {
        var payloads: [(name: String, type: GGMLType, bytes: [UInt8])] = []
        for type in types {
            var bytes: [UInt8] = []
            func half(_ h: UInt16) { bytes += [UInt8(h & 0xFF), UInt8(h >> 8)] }
            if type == .f32 {
                for i in 0..<128 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { bytes += $0 } }
                payloads.append(("f.weight", type, bytes))
                continue
            }
            for (b, h) in halves.enumerated() {
                half(h.d)
                if type == .q41 { half(h.m) }
                if type == .q80 {
                    bytes += (0..<32).map { code(type, block: b, column: $0) }
                } else {
                    bytes += (0..<16).map {
                        code(type, block: b, column: $0) | code(type, block: b, column: $0 + 16) << 4
                    }
                }
            }
            payloads.append(
                (type.name.lowercased().replacingOccurrences(of: "_", with: "") + ".weight", type, bytes))
        }
        var b = LEBytes()
        b.bytes += Array("GGUF".utf8)
        b.u32(3)
        b.u64(UInt64(payloads.count))
        b.u64(0)
        var offset = 0
        var offsets: [Int] = []
        for p in payloads {
            offsets.append(offset)
            b.string(p.name)
            b.u32(2)
            b.u64(64)
            b.u64(2)
            b.u32(p.type.rawValue)
            b.u64(UInt64(offset))
            offset = (offset + p.bytes.count + 31) / 32 * 32
        }
        while b.bytes.count % 32 != 0 { b.bytes.append(0) }
        let start = b.bytes.count
        for (p, o) in zip(payloads, offsets) {
            while b.bytes.count < start + o { b.bytes.append(0) }
            b.bytes += p.bytes
        }
        return b.data
    }
}
