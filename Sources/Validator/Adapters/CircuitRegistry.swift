import Foundation
import Groth16
import Kernel
import Proofs
import Receipts

/// The layer circuits this validator has registered (specs/service.md §3.4, specs/proofs.md),
/// each with the weights the validator holds for it.
///
/// A *circuit job* is a shard job whose `modelId` is a circuit id (SHA-256 of the circuit's
/// canonical bytes) and whose layer range is `[0, 1)`: its input is the circuit's X and its output
/// the circuit's Y (int32 Q16 canonical tensors). The validator can re-execute it with the kernel
/// and, in `verify-proofs` mode, check a node's proof instead.
public struct CircuitRegistry: Sendable {
    /// One registered circuit.
    public struct Entry: Sendable {
        /// The circuit id, used as the job's model id.
        public let id: Digest32
        public let circuit: Circuit
        public let weights: LayerWeights
        /// `groth16` circuits: the verifying key registered beside the circuit file.
        public let verifyingKey: Groth16VerifyingKey?

        public init(
            id: Digest32, circuit: Circuit, weights: LayerWeights, verifyingKey: Groth16VerifyingKey? = nil
        ) {
            self.id = id
            self.circuit = circuit
            self.weights = weights
            self.verifyingKey = verifyingKey
        }
    }

    /// The only layer range of a circuit job.
    public static let layers: Range<UInt32> = 0..<1

    public let entries: [Digest32: Entry]
    /// Circuit files that were not registered, with the reason (logged at start-up).
    public let skipped: [String]

    public init(entries: [Entry] = [], skipped: [String] = []) {
        var byID: [Digest32: Entry] = [:]
        for e in entries { byID[e.id] = e }
        self.entries = byID
        self.skipped = skipped
    }

    /// The circuit for a job's `modelID` and `layers`, if that is a circuit job.
    public func entry(modelID: Digest32, layers: Range<UInt32>) -> Entry? {
        layers == Self.layers ? entries[modelID] : nil
    }

    /// Registers `circuit` with weights derived from its seed or taken from one of `models`.
    ///
    /// - Returns: `nil` with a reason when the circuit takes its weights from a model this
    ///   validator does not hold (or does not pin a model id).
    /// - Throws: `ValidatorError.unknownModel` when the weights do not fit the circuit.
    public static func entry(
        for circuit: Circuit, models: [Digest32: KernelShardExecutor.HeldModel]
    ) throws(ValidatorError) -> Result<Entry, Skip> {
        let id: Digest32
        do { id = try Digest32(bytes: Data(circuit.id)) } catch { throw .internalFailure("\(error)") }
        do {
            switch circuit.weights {
            case .seeded:
                return .success(
                    Entry(id: id, circuit: circuit, weights: try LayerWeights(seededFor: circuit)))
            case .model:
                guard let pinned = circuit.modelID, let modelID = try? Digest32(hex: pinned) else {
                    return .failure(Skip("circuit \(circuit.name) takes model weights but pins no modelId"))
                }
                guard let held = models[modelID] else {
                    return .failure(
                        Skip("circuit \(circuit.name) needs model \(pinned), which is not loaded"))
                }
                return .success(
                    Entry(
                        id: id, circuit: circuit,
                        weights: try LayerWeights(circuit: circuit, model: held.model)))
            }
        } catch {
            throw .unknownModel("circuit \(circuit.name): its weights do not fit: \(error)")
        }
    }

    /// Why a circuit was not registered.
    public struct Skip: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Loads every `*.json` circuit in `directory` (sorted by name). A `groth16` circuit
    /// `NAME.json` takes its verifying key from `NAME.vk.json` (snarkjs `verification_key.json`
    /// format, specs/groth16.md §10); files ending in `.vk.json` are keys, not circuits.
    ///
    /// - Throws: `ValidatorError.unknownModel` naming a file that cannot be read or is not a valid
    ///   circuit, whose weights do not fit it, or a `groth16` circuit whose key is missing,
    ///   malformed or made for another number of public inputs.
    public static func load(
        directory: String, models: [Digest32: KernelShardExecutor.HeldModel]
    ) throws(ValidatorError) -> CircuitRegistry {
        let root = URL(fileURLWithPath: directory)
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path) } catch {
            throw .notFound("circuit directory \(directory) cannot be listed: \(error.localizedDescription)")
        }
        var entries: [Entry] = []
        var skipped: [String] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasSuffix(verifyingKeySuffix) {
            let file = root.appendingPathComponent(name)
            let circuit: Circuit
            do {
                circuit = try Circuit(json: try Data(contentsOf: file))
            } catch {
                throw .unknownModel("circuit file \(file.path): \(error)")
            }
            switch try entry(for: circuit, models: models) {
            case .success(let e):
                guard circuit.proofSystem == .groth16 else {
                    entries.append(e)
                    continue
                }
                let keyFile = root.appendingPathComponent(String(name.dropLast(5)) + verifyingKeySuffix)
                let key = try verifyingKey(keyFile, for: circuit)
                entries.append(Entry(id: e.id, circuit: circuit, weights: e.weights, verifyingKey: key))
            case .failure(let skip): skipped.append("\(file.path): \(skip)")
            }
        }
        return CircuitRegistry(entries: entries, skipped: skipped)
    }

    /// The file-name suffix of a `groth16` circuit's verifying key.
    public static let verifyingKeySuffix = ".vk.json"

    /// Reads and checks a `groth16` circuit's verifying key.
    static func verifyingKey(_ file: URL, for circuit: Circuit) throws(ValidatorError) -> Groth16VerifyingKey
    {
        let key: Groth16VerifyingKey
        do {
            key = try Groth16VerifyingKey(snarkjsJSON: try Data(contentsOf: file))
        } catch let error as Groth16Error {
            throw .unknownModel("groth16 circuit \(circuit.name): verifying key \(file.path): \(error)")
        } catch {
            throw .unknownModel(
                "groth16 circuit \(circuit.name) needs its verifying key \(file.path): \(error.localizedDescription)"
            )
        }
        let want = DenseLayerR1CS.publicInputCount(circuit)
        guard key.publicInputCount == want else {
            throw .unknownModel(
                "groth16 circuit \(circuit.name): verifying key \(file.path) has \(key.publicInputCount) public "
                    + "inputs; the circuit has \(want) (specs/groth16.md §8.3)")
        }
        return key
    }

    /// The layer's output on `input` (the kernel's integer semantics, specs/proofs.md §1).
    ///
    /// - Throws: `ValidatorError.invalidTensor` when `input` does not fit the circuit.
    func run(_ entry: Entry, input: CanonicalTensor) throws(ValidatorError) -> CanonicalTensor {
        do {
            return try LayerProof.output(circuit: entry.circuit, weights: entry.weights, input: input)
        } catch {
            throw .invalidTensor("the input does not fit circuit \(entry.circuit.name): \(error)")
        }
    }

    /// Multiply-accumulates of the layer's GEMMs for `tokens` input rows.
    static func multiplyAccumulates(_ entry: Entry, tokens: Int) -> UInt64 {
        let c = entry.circuit
        let gemms: UInt64 = c.kind == .dense ? 1 : 3
        return UInt64(max(1, tokens)) * gemms * UInt64(c.inFeatures) * UInt64(c.outFeatures)
    }
}

/// The production `ProofChecker`: verifies proofs of registered circuits (specs/proofs.md §6)
/// against the job's input and the node's claimed output.
public struct CircuitProofChecker: ProofChecker {
    public let registry: CircuitRegistry
    /// Where proofs are checked (never on the cooperative pool).
    public let pool: ComputePool

    public init(registry: CircuitRegistry, pool: ComputePool = .shared) {
        self.registry = registry
        self.pool = pool
    }

    public func hasCircuit(modelID: Digest32, layers: Range<UInt32>) -> Bool {
        registry.entry(modelID: modelID, layers: layers) != nil
    }

    /// Verifies on the checker's `ComputePool`.
    public func verify(proof: Data, modelID: Digest32, layers: Range<UInt32>, input: Data, output: Data) async
        -> ProofCheck
    {
        await pool.run {
            self.verifyHere(proof: proof, modelID: modelID, layers: layers, input: input, output: output)
        }
    }

    func verifyHere(proof: Data, modelID: Digest32, layers: Range<UInt32>, input: Data, output: Data)
        -> ProofCheck
    {
        guard let entry = registry.entry(modelID: modelID, layers: layers) else {
            return .invalid(reason: "no circuit is registered for model \(modelID.hex) layers \(layers)")
        }
        guard proof.count <= ProofFormat.maxProofBytes else {
            return .invalid(reason: "the proof is \(proof.count) bytes; at most \(ProofFormat.maxProofBytes)")
        }
        if let key = entry.verifyingKey {
            return Self.verifyGroth16(
                proof: proof, key: key, circuit: entry.circuit, input: input, output: output)
        }
        do {
            let statement = try LayerStatement(
                circuit: entry.circuit, weights: entry.weights, input: try CanonicalTensor(decoding: input),
                output: try CanonicalTensor(decoding: output))
            switch try LayerProof.verify(statement, proof: proof) {
            case .valid: return .valid
            case .invalid(let reason): return .invalid(reason: reason)
            }
        } catch let error as ProofsError {
            return .invalid(reason: "malformed proof or statement: \(error)")
        } catch {
            return .invalid(reason: "the tensors do not fit circuit \(entry.circuit.name): \(error)")
        }
    }

    /// A `groth16` circuit's proof (specs/groth16.md §10): the bytes are snarkjs `proof.json`, the
    /// public inputs are derived from the job's input and the node's claimed output (§8.3).
    static func verifyGroth16(
        proof: Data, key: Groth16VerifyingKey, circuit: Circuit, input: Data, output: Data
    )
        -> ProofCheck
    {
        let x: [Int32]
        let y: [Int32]
        do {
            let inputTensor = try CanonicalTensor(decoding: input)
            let outputTensor = try CanonicalTensor(decoding: output)
            let t = circuit.maxTokens
            guard inputTensor.shape == [t, circuit.inFeatures],
                outputTensor.shape == [t, circuit.outFeatures]
            else {
                return .invalid(
                    reason:
                        "groth16 circuit \(circuit.name) proves input [\(t), \(circuit.inFeatures)] → output "
                        + "[\(t), \(circuit.outFeatures)]; the job has \(inputTensor.shape) → \(outputTensor.shape)"
                )
            }
            x = try inputTensor.int32Values()
            y = try outputTensor.int32Values()
        } catch {
            return .invalid(reason: "the tensors do not fit circuit \(circuit.name): \(error)")
        }
        do {
            let parsed = try Groth16Proof(snarkjsJSON: proof)
            let inputs = try Groth16PublicInputs(
                values: DenseLayerR1CS.publicInputs(input: x, output: y).map(\.canonicalWords))
            switch try Groth16.verify(key: key, proof: parsed, inputs: inputs) {
            case .valid: return .valid
            case .invalid(let reason): return .invalid(reason: "groth16: \(reason)")
            }
        } catch {
            return .invalid(reason: "malformed groth16 proof: \(error)")
        }
    }
}
