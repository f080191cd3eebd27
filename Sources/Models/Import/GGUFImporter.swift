import Crypto
import Foundation
import Kernel

/// Converts a Llama-architecture GGUF file into float weights and a tokenizer for the kernel's
/// `Quantizer` (specs/model-package.md §6.1).
///
/// Every tensor is dequantized exactly as `GGUFFile.dequantize` documents and handed over under
/// its GGUF name with the row-major shape (the reverse of the GGUF dimension order). Q and K
/// keep GGUF's row permutation, so RoPE uses the `interleaved` pair layout.
public enum GGUFImporter {
    /// Pre-tokenizer names (`tokenizer.ggml.pre`) whose llama.cpp regex list is
    /// `[\p{N}, gpt2]`: every digit becomes its own piece.
    static let digitIsolatingPre: Set = [
        "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva",
    ]
    /// Pre-tokenizer names that use the plain GPT-2 pattern.
    static let gpt2Pre: Set = ["gpt2", "gpt-2", "mpt", "olmo", "jais", "default"]

    /// The model config stated by the file's metadata.
    ///
    /// - Throws: `.unsupportedArchitecture` unless `general.architecture` is `llama`;
    ///   `.missingMetadata` / `.badMetadata` naming the key; `.badMetadata` for partial rotary
    ///   embeddings (`rope.dimension_count` ≠ head size).
    public static func config(of file: GGUFFile, activationBits: Int, weightBits: Int = 8) throws(ModelError)
        -> ModelConfig
    {
        let arch = try file.string("general.architecture")
        guard arch == "llama" else { throw .unsupportedArchitecture(arch) }
        func int(_ key: String) throws(ModelError) -> Int {
            let v = try file.unsigned(key)
            guard v <= UInt64(Int32.max) else { throw .badMetadata(key: key, reason: "\(v) is too large") }
            return Int(v)
        }
        let width = try int("llama.embedding_length")
        let heads = try int("llama.attention.head_count")
        guard heads >= 1, width % heads == 0 else {
            throw .badMetadata(
                key: "llama.attention.head_count", reason: "\(heads) does not divide width \(width)")
        }
        let kvHeads =
            file.metadata["llama.attention.head_count_kv"] == nil
            ? heads : try int("llama.attention.head_count_kv")
        let headDim = width / heads
        if file.metadata["llama.rope.dimension_count"] != nil {
            let rot = try int("llama.rope.dimension_count")
            guard rot == headDim else {
                throw .badMetadata(
                    key: "llama.rope.dimension_count",
                    reason: "\(rot) ≠ head size \(headDim) (partial RoPE is not supported)")
            }
        }
        let tokens = try file.stringArray("tokenizer.ggml.tokens")
        let ropeBase =
            file.metadata["llama.rope.freq_base"] == nil ? 10_000 : try file.float("llama.rope.freq_base")
        let tied = file.tensor(named: "output.weight") == nil
        return ModelConfig(
            architecture: .llama, vocabSize: tokens.count, width: width, layers: try int("llama.block_count"),
            heads: heads, kvHeads: kvHeads, headDim: headDim, ffnWidth: try int("llama.feed_forward_length"),
            maxPositions: min(try int("llama.context_length"), ModelConfig.maxSequence), ropeBase: ropeBase,
            ropeStyle: .interleaved, normEpsilon: try file.float("llama.attention.layer_norm_rms_epsilon"),
            typeVocabSize: 0, tiedEmbeddings: tied, activationBits: activationBits, weightBits: weightBits)
    }

    /// The byte-level BPE tokenizer stored in the metadata.
    ///
    /// - Throws: `.badTokenizer` unless `tokenizer.ggml.model` is `gpt2` with a known
    ///   pre-tokenizer.
    public static func tokenizer(of file: GGUFFile) throws(ModelError) -> ByteLevelBPETokenizer {
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw .badTokenizer("tokenizer.ggml.model \(model) is not supported (want gpt2)")
        }
        let pre =
            file.metadata["tokenizer.ggml.pre"] == nil ? "default" : try file.string("tokenizer.ggml.pre")
        let preTokenizer: GPT2PreTokenizer
        if digitIsolatingPre.contains(pre) {
            preTokenizer = GPT2PreTokenizer(isolateDigits: true)
        } else if gpt2Pre.contains(pre) {
            preTokenizer = GPT2PreTokenizer(isolateDigits: false)
        } else {
            throw .badTokenizer("pre-tokenizer \(pre) is not supported")
        }
        var types: [Int32]? = nil
        if file.metadata["tokenizer.ggml.token_type"] != nil {
            var t: [Int32] = []
            for v in try file.integerArray("tokenizer.ggml.token_type") {
                guard let x = Int32(exactly: v) else {
                    throw .badMetadata(key: "tokenizer.ggml.token_type", reason: "value \(v)")
                }
                t.append(x)
            }
            types = t
        }
        func optionalID(_ key: String) throws(ModelError) -> Int? {
            file.metadata[key] == nil ? nil : Int(try file.unsigned(key))
        }
        return try ByteLevelBPETokenizer(
            tokens: try file.stringArray("tokenizer.ggml.tokens"),
            merges: file.metadata["tokenizer.ggml.merges"] == nil
                ? [] : try file.stringArray("tokenizer.ggml.merges"),
            tokenTypes: types, bosID: try optionalID("tokenizer.ggml.bos_token_id"),
            eosID: try optionalID("tokenizer.ggml.eos_token_id"), preTokenizer: preTokenizer)
    }

    /// All tensors under their GGUF names and row-major shapes: dequantized to binary32, except
    /// that with `config.weightBits == 4` the Q4_0, Q4_1 and Q8_0 matrices are handed over as
    /// their blocks (`GGUFFile.sourceBlocks`, kept by the block format of kernel.md §3.5).
    public static func floatWeights(
        of file: GGUFFile, config: ModelConfig, progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> FloatModelWeights {
        var tensors: [String: FloatTensor] = [:]
        for (i, info) in file.tensors.enumerated() {
            if config.weightBits == 4, info.shape.count == 2, let blocks = file.sourceBlocks(info) {
                tensors[info.name] = FloatTensor(shape: info.shape, values: [], blocks: blocks)
            } else {
                tensors[info.name] = FloatTensor(shape: info.shape, values: try file.dequantize(info))
            }
            progress?(PackageProgress(phase: "dequantize", done: i + 1, total: file.tensors.count))
        }
        return FloatModelWeights(config: config, tensors: tensors)
    }

    /// Reads, dequantizes and requantizes a GGUF file, then writes it as a package. The default
    /// widths, 16-bit activations and 16-bit weights, are the kernel's policy for SmolLM2
    /// (specs/kernel.md §3.1: nothing cheaper reaches 99% top-1 agreement). `weightBits` 4
    /// keeps the file's Q4_0 / Q4_1 / Q8_0 matrices as blocks (kernel.md §3.5) and stores the
    /// other matrices with 16-bit rows (model-package.md §6.1).
    ///
    /// - Returns: the manifest written (`modelID` is the new model's id).
    /// - Throws: `.noBlockSource` for `weightBits` 4 and a file without a two-dimensional Q4_0,
    ///   Q4_1 or Q8_0 tensor; the reader's, config's and kernel's errors otherwise.
    @discardableResult
    public static func importFile(
        _ url: URL, to directory: URL, activationBits: Int = 16, weightBits: Int = 16,
        chunkSize: Int = ModelPackage.defaultChunkSize,
        progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> PackageManifest {
        let file = try GGUFFile(contentsOf: url)
        if weightBits == 4,
            !file.tensors.contains(where: {
                $0.shape.count == 2 && GGUFFile.blockSourceTypes.contains($0.type)
            })
        {
            throw .noBlockSource(source: "\(url.lastPathComponent) (no Q4_0, Q4_1 or Q8_0 matrix)")
        }
        let config = try config(of: file, activationBits: activationBits, weightBits: weightBits)
        let tokenizer = try tokenizer(of: file)
        let weights = try floatWeights(of: file, config: config, progress: progress)
        progress?(PackageProgress(phase: "quantize", done: 0, total: 1))
        let model: QuantizedModel
        do {
            model = try Quantizer.quantize(weights)
        } catch {
            throw .kernel(error)
        }
        progress?(PackageProgress(phase: "quantize", done: 1, total: 1))
        let name = (try? file.string("general.name")) ?? url.deletingPathExtension().lastPathComponent
        let source = ["format": "gguf", "sha256": hexString(SHA256.hash(data: file.bytes))]
        return try ModelPackage.write(
            model: model, tokenizer: .byteLevelBPE(tokenizer), name: name, source: source, to: directory,
            chunkSize: chunkSize, progress: progress)
    }
}
