import Foundation
import Karma
import Kernel
import Models
import Receipts

/// The production `ShardExecutor`: the deterministic integer kernel (Kernel module) on models
/// loaded from content-addressed packages (Models module), keyed by model id.
///
/// Tensors are the kernel's canonical tensors (specs/kernel.md); a commitment is SHA-256 of the
/// canonical bytes, and bytes that decode but are not canonical are refused, so one tensor has
/// exactly one commitment. The last shard of a model returns the logits of the last position
/// (`LogitsSelection.last`), as nodes must too. Circuit jobs (model id = a registered circuit's id,
/// layers `[0, 1)`, `CircuitRegistry`) run the circuit's layer with the same kernel.
public final class KernelShardExecutor: ShardExecutor {
    /// A model this validator can re-execute.
    public struct HeldModel: Sendable {
        public var id: Digest32
        public var name: String
        public var model: QuantizedModel
        public var tokenizer: Tokenizer?
        /// The package manifest: chunk hashes and root, for seeding receipts (specs/karma.md §5.4).
        public var manifest: PackageManifest

        /// The ledger's `model` entry and the chunk leaf hashes of this package (specs/karma.md §5.4,
        /// specs/model-package.md §4).
        public func catalogEntry() throws(ValidatorError) -> HeldChunks {
            do {
                return HeldChunks(
                    registration: ModelRegistration(
                        modelID: id, chunkRoot: try Digest32(bytes: manifest.chunkRoot, field: "chunk_root"),
                        chunkSize: UInt32(manifest.chunkSize), payloadBytes: UInt64(manifest.payloadBytes)),
                    chunkHashes: try manifest.chunkHashes.map { (h) throws(ReceiptError) in
                        try Digest32(bytes: h, field: "chunk_hashes")
                    })
            } catch {
                throw .internalFailure("model \(id.hex): manifest chunk hashes: \(error)")
            }
        }
    }

    public let models: [Digest32: HeldModel]
    public let circuits: CircuitRegistry
    /// Where shards run (never on the cooperative pool).
    public let pool: ComputePool

    public init(
        models: [HeldModel], circuits: CircuitRegistry = CircuitRegistry(), pool: ComputePool = .shared
    ) {
        var byID: [Digest32: HeldModel] = [:]
        for m in models { byID[m.id] = m }
        self.models = byID
        self.circuits = circuits
        self.pool = pool
    }

    /// This executor running its shards on `pool`.
    public func running(on pool: ComputePool) -> KernelShardExecutor {
        KernelShardExecutor(models: Array(models.values), circuits: circuits, pool: pool)
    }

    /// This executor with `directory`'s circuits registered (`CircuitRegistry.load`), their model
    /// weights taken from the models held here.
    public func registering(circuitDirectory directory: String) throws(ValidatorError) -> KernelShardExecutor
    {
        KernelShardExecutor(
            models: Array(models.values),
            circuits: try CircuitRegistry.load(directory: directory, models: models), pool: pool)
    }

    /// The project's seeded tiny Llama-style model (`TinyPackage`, seed 1), with the model id its
    /// package would have (`mesh-validator model tiny` writes the same package).
    public static func tinyModel(seed: UInt64 = 1) throws(ValidatorError) -> HeldModel {
        do {
            let (model, tokenizer) = try TinyPackage.make(.llama, seed: seed)
            let (manifest, _) = try ModelPackage.assemble(
                model: model, tokenizer: tokenizer, name: "tiny-llama-seed\(seed)",
                source: ["format": "tiny", "seed": String(seed)], chunkSize: 4096)
            return HeldModel(
                id: try Digest32(bytes: manifest.modelID.bytes), name: "tiny-llama-seed\(seed)", model: model,
                tokenizer: tokenizer, manifest: manifest)
        } catch {
            throw .internalFailure("building the tiny model: \(error)")
        }
    }

    /// Loads every package under `directory` (each subdirectory holding `manifest.json`, or the
    /// directory itself), plus the tiny test model only when `includeTiny` (a production validator
    /// holds, registers and pays seeding for exactly the packages it was given).
    ///
    /// - Throws: `ValidatorError.unknownModel` naming a package that does not load (a bad chunk,
    ///   a manifest mismatch).
    public static func open(modelDirectory directory: String?, includeTiny: Bool)
        throws(ValidatorError)
        -> KernelShardExecutor
    {
        var held: [HeldModel] = []
        if includeTiny { held.append(try tinyModel()) }
        if let directory {
            let root = URL(fileURLWithPath: directory)
            let fm = FileManager.default
            var candidates: [URL] = []
            if fm.fileExists(atPath: root.appendingPathComponent(ModelPackage.manifestFile).path) {
                candidates.append(root)
            } else {
                let names: [String]
                do { names = try fm.contentsOfDirectory(atPath: root.path) } catch {
                    throw .notFound(
                        "model directory \(directory) cannot be listed: \(error.localizedDescription)")
                }
                for name in names.sorted() {
                    let dir = root.appendingPathComponent(name)
                    if fm.fileExists(atPath: dir.appendingPathComponent(ModelPackage.manifestFile).path) {
                        candidates.append(dir)
                    }
                }
            }
            for dir in candidates {
                do {
                    let loaded = try ModelPackage.load(directory: dir)
                    held.append(
                        HeldModel(
                            id: try Digest32(bytes: loaded.id.bytes), name: loaded.manifest.name,
                            model: loaded.model,
                            tokenizer: loaded.tokenizer, manifest: loaded.manifest))
                } catch {
                    throw .unknownModel("package \(dir.path) does not load: \(error)")
                }
            }
        }
        return KernelShardExecutor(models: held)
    }

    /// The canonical `token-ids` tensor (int32 `[n]`) for `ids`: the input of a first shard.
    public static func tokenTensor(_ ids: [Int32]) throws(ValidatorError) -> Data {
        do {
            return try CanonicalTensor(
                kind: .tokenIDs, shape: [max(1, ids.count)], values: .int32(ids.isEmpty ? [0] : ids)
            )
            .encoded()
        } catch {
            throw .invalidTensor("\(error)")
        }
    }

    /// `tensor` with one element changed by `delta` (wrapping): a faulty node's output, for tests
    /// and the demo. Returns `nil` when `tensor` is not canonical.
    public static func perturb(_ tensor: Data, delta: Int32 = 1) -> Data? {
        guard let t = try? CanonicalTensor(decoding: tensor) else { return nil }
        let values: TensorValues
        switch t.values {
        case .int8(var v): v[0] = v[0] &+ Int8(truncatingIfNeeded: delta); values = .int8(v)
        case .int16(var v): v[0] = v[0] &+ Int16(truncatingIfNeeded: delta); values = .int16(v)
        case .int32(var v): v[0] = v[0] &+ delta; values = .int32(v)
        case .int64(var v): v[0] = v[0] &+ Int64(delta); values = .int64(v)
        }
        return try? CanonicalTensor(
            kind: t.kind, fractionBits: t.fractionBits, shape: t.shape, values: values
        ).encoded()
    }

    public func commitment(ofTensor bytes: Data) throws(ValidatorError) -> Digest32 {
        let tensor: CanonicalTensor
        do { tensor = try CanonicalTensor(decoding: bytes) } catch { throw .invalidTensor("\(error)") }
        let canonical = tensor.encoded()
        guard canonical == bytes else {
            throw .invalidTensor("the bytes decode but are not in canonical form")
        }
        do { return try Digest32(bytes: tensor.commitment) } catch { throw .internalFailure("\(error)") }
    }

    public func canExecute(modelID: Digest32, layers: Range<UInt32>) -> Bool {
        if circuits.entry(modelID: modelID, layers: layers) != nil { return true }
        guard let held = models[modelID] else { return false }
        return !layers.isEmpty && Int(layers.upperBound) <= held.model.config.layers
    }

    /// Multiply-accumulates of the shard's projections and MLPs for the input's token count
    /// (attention scores and norms are not counted), plus the LM head on the last shard for the
    /// last position: per token and layer `width·(attentionWidth + 2·kvWidth) + attentionWidth·width
    /// + k·width·ffnWidth` with k = 3 (gated MLP) or 2 (BERT).
    public func multiplyAccumulates(modelID: Digest32, layers: Range<UInt32>, input: Data)
        throws(ValidatorError)
        -> UInt64
    {
        let tensor: CanonicalTensor
        do { tensor = try CanonicalTensor(decoding: input) } catch { throw .invalidTensor("\(error)") }
        if let circuit = circuits.entry(modelID: modelID, layers: layers) {
            return CircuitRegistry.multiplyAccumulates(circuit, tokens: tensor.shape.first ?? 1)
        }
        guard let held = models[modelID] else { throw .unknownModel(modelID.hex) }
        let c = held.model.config
        let tokens = UInt64(max(1, tensor.shape.first ?? 1))
        let w = UInt64(c.width)
        let perLayer =
            w * UInt64(c.attentionWidth + 2 * c.kvWidth) + UInt64(c.attentionWidth) * w
            + (c.architecture == .bert ? 2 : 3) * w * UInt64(c.ffnWidth)
        var total = tokens.multipliedReportingOverflow(by: perLayer).partialValue
            .multipliedReportingOverflow(by: UInt64(layers.count)).partialValue
        if Int(layers.upperBound) == c.layers, c.architecture != .bert {
            total = total.addingReportingOverflow(w * UInt64(c.vocabSize)).partialValue
        }
        return total
    }

    /// Runs the shard on the executor's `ComputePool`.
    public func execute(modelID: Digest32, layers: Range<UInt32>, input: Data) async throws(ValidatorError)
        -> ShardExecution
    {
        try await pool.run { () throws(ValidatorError) in
            try self.executeHere(modelID: modelID, layers: layers, input: input)
        }
    }

    /// Runs the shard on the calling thread.
    func executeHere(modelID: Digest32, layers: Range<UInt32>, input: Data) throws(ValidatorError)
        -> ShardExecution
    {
        let tensor: CanonicalTensor
        do { tensor = try CanonicalTensor(decoding: input) } catch { throw .invalidTensor("\(error)") }
        let output: CanonicalTensor
        if let circuit = circuits.entry(modelID: modelID, layers: layers) {
            output = try circuits.run(circuit, input: tensor)
        } else {
            guard let held = models[modelID] else { throw .unknownModel(modelID.hex) }
            do {
                let shard = try Shard(
                    model: held.model, layers: Int(layers.lowerBound)..<Int(layers.upperBound))
                output = try shard.run(tensor, logits: .last)
            } catch {
                throw .invalidTensor("the kernel refused the job: \(error)")
            }
        }
        let bytes = output.encoded()
        let commitment: Digest32
        do { commitment = try Digest32(bytes: output.commitment) } catch {
            throw .internalFailure("\(error)")
        }
        return ShardExecution(
            output: bytes, commitment: commitment,
            multiplyAccumulates: try multiplyAccumulates(modelID: modelID, layers: layers, input: input))
    }
}
