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
