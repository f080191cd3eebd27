import Crypto
import Foundation
import Kernel

/// Converts a Hugging Face BERT checkpoint directory (`model.safetensors`, `config.json`,
/// `vocab.txt`) into float weights and a WordPiece tokenizer (specs/model-package.md §6.2).
///
/// Tensor names map to the kernel's GGUF-style names (an optional `bert.` prefix is ignored):
///
/// | Hugging Face | kernel |
/// |---|---|
/// | `embeddings.word_embeddings.weight` | `token_embd.weight` |
/// | `embeddings.position_embeddings.weight` | `position_embd.weight` |
/// | `embeddings.token_type_embeddings.weight` | `token_types.weight` |
/// | `embeddings.LayerNorm.{weight,bias}` | `token_embd_norm.{weight,bias}` |
/// | `encoder.layer.i.attention.self.{query,key,value}` | `blk.i.attn_{q,k,v}` |
/// | `encoder.layer.i.attention.output.dense` | `blk.i.attn_output` |
/// | `encoder.layer.i.attention.output.LayerNorm` | `blk.i.attn_output_norm` |
/// | `encoder.layer.i.intermediate.dense` | `blk.i.ffn_up` |
/// | `encoder.layer.i.output.dense` | `blk.i.ffn_down` |
/// | `encoder.layer.i.output.LayerNorm` | `blk.i.layer_output_norm` |
///
/// `gamma`/`beta` are accepted for LayerNorm `weight`/`bias`. `embeddings.position_ids` and
/// `pooler.*` are not used by mean-pooled sentence embeddings and are skipped; any other tensor
/// is an error.
public enum SafetensorsImporter {
    /// The kernel name for a Hugging Face BERT tensor name; `nil` for skipped tensors.
    ///
    /// - Throws: `.unsupportedTensorType` naming an unrecognised tensor.
    public static func kernelName(for hfName: String) throws(ModelError) -> String? {
        var n = hfName
        if n.hasPrefix("bert.") { n.removeFirst(5) }
        if n == "embeddings.position_ids" || n.hasPrefix("pooler.") { return nil }
        n = n.replacingOccurrences(of: ".gamma", with: ".weight").replacingOccurrences(
            of: ".beta", with: ".bias")
        let fixed = [
            "embeddings.word_embeddings.weight": "token_embd.weight",
            "embeddings.position_embeddings.weight": "position_embd.weight",
            "embeddings.token_type_embeddings.weight": "token_types.weight",
            "embeddings.LayerNorm.weight": "token_embd_norm.weight",
            "embeddings.LayerNorm.bias": "token_embd_norm.bias",
        ]
        if let f = fixed[n] { return f }
        let parts = n.split(separator: ".", maxSplits: 3).map(String.init)
        guard parts.count == 4, parts[0] == "encoder", parts[1] == "layer", let layer = Int(parts[2]),
            layer >= 0
        else {
            throw .unsupportedTensorType(tensor: hfName, type: "unrecognised BERT tensor name")
        }
        let rest = parts[3]
        let map = [
            "attention.self.query": "attn_q", "attention.self.key": "attn_k",
            "attention.self.value": "attn_v",
            "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
            "intermediate.dense": "ffn_up", "output.dense": "ffn_down",
            "output.LayerNorm": "layer_output_norm",
        ]
        for suffix in [".weight", ".bias"] where rest.hasSuffix(suffix) {
            if let m = map[String(rest.dropLast(suffix.count))] { return "blk.\(layer).\(m)\(suffix)" }
        }
        throw .unsupportedTensorType(tensor: hfName, type: "unrecognised BERT tensor name")
    }

    /// The model config from `config.json`.
    ///
    /// - Throws: `.unsupportedArchitecture` unless `model_type` is `bert` with `hidden_act`
    ///   `gelu` and absolute positions; `.missingMetadata` / `.badMetadata` naming the field.
    public static func config(json: [String: Any], activationBits: Int, weightBits: Int = 8)
        throws(ModelError)
        -> ModelConfig
    {
        func int(_ key: String) throws(ModelError) -> Int {
            guard let v = json[key] else { throw .missingMetadata(key: "config.json \(key)") }
            guard let n = v as? NSNumber, Double(n.intValue) == n.doubleValue else {
                throw .badMetadata(key: "config.json \(key)", reason: "not an integer")
            }
            return n.intValue
        }
        let type = json["model_type"] as? String ?? "(missing)"
        guard type == "bert" else { throw .unsupportedArchitecture("model_type \(type)") }
        let act = json["hidden_act"] as? String ?? "(missing)"
        guard act == "gelu" else {
            throw .badMetadata(key: "config.json hidden_act", reason: "\(act) is not supported (want gelu)")
        }
        if let pos = json["position_embedding_type"] as? String, pos != "absolute" {
            throw .badMetadata(
                key: "config.json position_embedding_type", reason: "\(pos) is not supported (want absolute)")
        }
        guard let eps = (json["layer_norm_eps"] as? NSNumber)?.doubleValue else {
            throw .missingMetadata(key: "config.json layer_norm_eps")
        }
        let width = try int("hidden_size")
        let heads = try int("num_attention_heads")
        guard heads >= 1, width % heads == 0 else {
            throw .badMetadata(
                key: "config.json num_attention_heads", reason: "\(heads) does not divide \(width)")
        }
        return ModelConfig(
            architecture: .bert, vocabSize: try int("vocab_size"), width: width,
            layers: try int("num_hidden_layers"),
            heads: heads, kvHeads: heads, headDim: width / heads, ffnWidth: try int("intermediate_size"),
            maxPositions: try int("max_position_embeddings"), ropeBase: 10_000, ropeStyle: .interleaved,
            normEpsilon: eps, typeVocabSize: try int("type_vocab_size"), tiedEmbeddings: false,
            activationBits: activationBits, weightBits: weightBits)
    }

    /// Reads `DIR/config.json`, `DIR/model.safetensors` and `DIR/vocab.txt`.
    public static func read(
        directory: URL, activationBits: Int, weightBits: Int = 8,
        progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> (weights: FloatModelWeights, tokenizer: WordPieceTokenizer, sha256: String) {
        func load(_ name: String) throws(ModelError) -> Data {
            let url = directory.appendingPathComponent(name)
            do {
                return try Data(contentsOf: url, options: .alwaysMapped)
            } catch {
                throw .io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
            }
        }
        let configData = try load("config.json")
        guard let json = (try? JSONSerialization.jsonObject(with: configData)) as? [String: Any] else {
            throw .malformed(format: "config.json", reason: "not a JSON object")
        }
        guard weightBits != 4 else {
            throw .noBlockSource(source: "a safetensors model (float tensors)")
        }
        let config = try config(json: json, activationBits: activationBits, weightBits: weightBits)
        var lowercase = true
        if let tc = try? load("tokenizer_config.json"),
            let t = (try? JSONSerialization.jsonObject(with: tc)) as? [String: Any],
            let lower = t["do_lower_case"] as? Bool
        {
            lowercase = lower
        }
        let tokenizer = try WordPieceTokenizer(
            vocabText: String(decoding: try load("vocab.txt"), as: UTF8.self), lowercase: lowercase)
        let data = try load("model.safetensors")
        let file = try SafetensorsFile(data: data)
        var tensors: [String: FloatTensor] = [:]
        for (i, info) in file.tensors.enumerated() {
            if let name = try kernelName(for: info.name) {
                guard tensors[name] == nil else {
                    throw .malformed(format: "safetensors", reason: "two tensors map to \(name)")
                }
                tensors[name] = FloatTensor(shape: info.shape, values: try file.floats(info))
            }
            progress?(PackageProgress(phase: "read tensors", done: i + 1, total: file.tensors.count))
        }
        return (
            FloatModelWeights(config: config, tensors: tensors), tokenizer, hexString(SHA256.hash(data: data))
        )
    }

    /// Reads, quantizes and writes a BERT checkpoint directory as a package. Defaults: 16-bit
    /// activations, 8-bit weights (specs/kernel.md §3.1 policy for MiniLM).
    @discardableResult
    public static func importDirectory(
        _ source: URL, to directory: URL, name: String = "bert", activationBits: Int = 16,
        weightBits: Int = 8,
        chunkSize: Int = ModelPackage.defaultChunkSize, progress: (@Sendable (PackageProgress) -> Void)? = nil
    ) throws(ModelError) -> PackageManifest {
        let (weights, tokenizer, sha) = try read(
            directory: source, activationBits: activationBits, weightBits: weightBits, progress: progress)
        let model: QuantizedModel
        do {
            model = try Quantizer.quantize(weights)
        } catch {
            throw .kernel(error)
        }
        return try ModelPackage.write(
            model: model, tokenizer: .wordPiece(tokenizer), name: name,
            source: ["format": "safetensors", "sha256": sha], to: directory, chunkSize: chunkSize,
            progress: progress)
    }
}
