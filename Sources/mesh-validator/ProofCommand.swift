import ArgumentParser
import Foundation
import Kernel
import Models
import Proofs

/// `mesh-validator proof`: prove and verify `Y = layer(W, X)` for a registered circuit
/// (specs/proofs.md §8).
struct ProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof",
        abstract:
            "Sumcheck proofs for dense layers and MLP blocks (specs/proofs.md); snarkjs Groth16 (specs/groth16.md).",
        subcommands: [
            Prove.self, Verify.self, Info.self, Input.self, VerifyGroth16.self, Groth16SetupCommand.self,
            Groth16ProveCommand.self, Groth16ExportCommand.self,
        ]
    )

    /// Options shared by `prove` and `verify`.
    struct StatementOptions: ParsableArguments {
        @Option(help: "Circuit JSON file (e.g. Circuits/dense-256-silu.json).")
        var circuit: String

        @Option(help: "Model package directory (required for circuits whose weights come from a model).")
        var model: String?

        @Option(name: .customLong("in"), help: "Input X: canonical tensor, int32 Q16 [T, inFeatures].")
        var input: String

        @Option(
            name: .customLong("out"),
            help: "Output Y: canonical tensor, int32 Q16 (written by prove, read by verify).")
        var output: String

        @Option(help: "Proof file (written by prove, read by verify).")
        var proof: String

        /// Largest tensor file read (256 MiB).
        static let maxTensorBytes = 256 << 20

        func loadCircuit() throws -> Circuit { try ProofCommand.loadCircuit(circuit) }

        func loadWeights(_ c: Circuit) throws -> LayerWeights {
            try ProofCommand.loadWeights(c, model: model)
        }

        func loadTensor(_ path: String) throws -> CanonicalTensor { try ProofCommand.loadTensor(path) }
    }

    /// A canonical tensor file (at most `StatementOptions.maxTensorBytes`); a file that is not one
    /// is malformed input (exit 2) named by its path.
    static func loadTensor(_ path: String) throws -> CanonicalTensor {
        do {
            return try CanonicalTensor(
                decoding: try readInput(path, maxBytes: StatementOptions.maxTensorBytes))
        } catch let e as KernelError {
            throw malformed("\(path): \(e)")
        }
    }

    /// The circuit's weights: seeded, or block `block` of the model package at `model`.
    static func loadWeights(_ c: Circuit, model: String?) throws -> LayerWeights {
        do {
            switch c.weights {
            case .seeded:
                return try LayerWeights(seededFor: c)
            case .model:
                guard let model else {
                    throw malformed("circuit \(c.name) takes its weights from a model: pass --model DIR")
                }
                return try LayerWeights(circuit: c, model: try ProofCommand.loadModel(model, for: c).model)
            }
        } catch let e as ProofsError {
            throw malformed("weights for \(c.name): \(e)")
        }
    }

    /// Loads a model package and checks it against the circuit's pinned model id, if any.
    /// Reads a circuit file; a file that is not a valid circuit is malformed input (exit 2).
    static func loadCircuit(_ path: String) throws -> Circuit {
        do {
            return try Circuit(json: try readInput(path, maxBytes: 1 << 20))
        } catch let e as ProofsError {
            throw malformed("\(path): \(e)")
        }
    }

    static func loadModel(_ directory: String, for c: Circuit) throws -> LoadedModel {
        let loaded: LoadedModel
        do {
            loaded = try ModelPackage.load(directory: URL(fileURLWithPath: directory))
        } catch {
            throw malformed("cannot load model package \(directory): \(error)")
        }
        if let pinned = c.modelID, pinned != loaded.id.hex {
            throw malformed(
                "circuit \(c.name) is pinned to model \(pinned); \(directory) is \(loaded.id.hex)")
        }
        return loaded
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the layer on X with the kernel, write Y and a proof that Y = layer(W, X).")

        @OptionGroup var options: StatementOptions

        @Option(help: "Kernel GEMM path for the prover: auto, scalar, avx2, vnni, blas.")
        var path: String = "auto"

        @Option(help: "Kernel threads for the prover.")
        var threads: Int = 1

        func run() async throws {
            let c = try options.loadCircuit()
            let w = try options.loadWeights(c)
            let x = try options.loadTensor(options.input)
            guard let kernelPath = KernelPath(rawValue: path) else {
                throw malformed("unknown --path \(path)")
            }
            let exec = ExecutionOptions(path: kernelPath, threads: max(1, threads))
            do {
                let started = ContinuousClock.now
                let y = try LayerProof.output(circuit: c, weights: w, input: x, options: exec)
                let statement = try LayerStatement(circuit: c, weights: w, input: x, output: y)
                let proof = try LayerProof.prove(statement, options: exec)
                let elapsed = ContinuousClock.now - started
                try y.encoded().write(to: URL(fileURLWithPath: options.output))
                try proof.write(to: URL(fileURLWithPath: options.proof))
                try printJSON(
                    ProveSummary(
                        circuit: c.name, circuitID: c.idHex, tokens: statement.tokens,
                        proofBytes: proof.count, proveMilliseconds: milliseconds(elapsed),
                        outputCommitment: y.commitmentHex))
            } catch let e as ProofsError {
                throw malformed("\(e)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a proof that Y = layer(W, X): exit 0 valid, 1 invalid, 2 malformed.")

        @OptionGroup var options: StatementOptions

        func run() async throws {
            let c = try options.loadCircuit()
            let w = try options.loadWeights(c)
            let x = try options.loadTensor(options.input)
            let y = try options.loadTensor(options.output)
            let proof = try readInput(options.proof, maxBytes: ProofFormat.maxProofBytes)
            let verdict: ProofVerdict
            let started = ContinuousClock.now
            do {
                let statement = try LayerStatement(circuit: c, weights: w, input: x, output: y)
                verdict = try LayerProof.verify(statement, proof: proof)
            } catch {
                throw malformed("\(error)")
            }
            let elapsed = milliseconds(ContinuousClock.now - started)
            switch verdict {
            case .valid:
                print(
                    "valid: \(c.name) (circuit \(c.idHex)), \(proof.count)-byte proof, "
                        + "verified in \(String(format: "%.1f", elapsed)) ms")
            case .invalid(let reason):
                throw invalid(reason)
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a circuit's id (SHA-256 of its canonical bytes) and shape.")

        @Option(help: "Circuit JSON file.")
        var circuit: String

        func run() async throws {
            let c = try ProofCommand.loadCircuit(circuit)
            let shape = LayerProof.shape(c)
            try printJSON(
                CircuitSummary(
                    name: c.name, id: c.idHex, kind: c.kind.rawValue, inFeatures: c.inFeatures,
                    outFeatures: c.outFeatures, activationBits: c.activationBits, weightBits: c.weightBits,
                    maxTokens: c.maxTokens, block: c.block, modelID: c.modelID,
                    stages: shape.stages.map {
                        .init(
                            outputs: $0.outputs, inner: $0.inner,
                            accumulator: $0.derived ? "derived" : "explicit",
                            sumcheckRounds: Multilinear.variableCount($0.inner))
                    },
                    fixedProofBytes: shape.fixedBytes,
                    soundnessBitsAtMaxTokens: (shape.soundnessBits(tokens: c.maxTokens) * 10).rounded(.down)
                        / 10))
        }
    }

    struct Input: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the X a model circuit takes for a prompt (the residual stream before the FFN).",
            discussion: """
                For a llama-mlp circuit over block b: tokenizes --prompt with the model's own \
                tokenizer, runs blocks [0, b] with the kernel and writes the residual stream after \
                block b's attention half (specs/proofs.md §7.5) as a canonical tensor.
                """)

        @Option(help: "Circuit JSON file (a llama-mlp circuit with model weights).")
        var circuit: String

        @Option(help: "Model package directory.")
        var model: String

        @Option(help: "Text to tokenize.")
        var prompt: String

        @Option(help: "Where to write X (canonical tensor, int32 Q16 [T, width]).")
        var out: String

        func run() async throws {
            let c = try ProofCommand.loadCircuit(circuit)
            let loaded = try ProofCommand.loadModel(model, for: c)
            let ids = loaded.tokenizer.encode(prompt).map { Int32(clamping: $0) }
            let x: CanonicalTensor
            do {
                x = try LayerProof.mlpInput(circuit: c, model: loaded.model, tokenIDs: ids)
            } catch {
                throw malformed("\(error)")
            }
            do {
                try x.encoded().write(to: URL(fileURLWithPath: out))
            } catch {
                throw malformed("cannot write \(out): \(error.localizedDescription)")
            }
            try printJSON(InputSummary(circuit: c.name, tokens: ids.count, inputCommitment: x.commitmentHex))
        }
    }
}

/// Milliseconds in a duration.
func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
}

struct ProveSummary: Encodable {
    var circuit: String
    var circuitID: String
    var tokens: Int
    var proofBytes: Int
    /// Wall time of running the layer and proving it.
    var proveMilliseconds: Double
    var outputCommitment: String
}

struct InputSummary: Encodable {
    var circuit: String
    var tokens: Int
    var inputCommitment: String
}

struct CircuitSummary: Encodable {
    var name: String
    var id: String
    var kind: String
    var inFeatures: Int
    var outFeatures: Int
    var activationBits: Int
    var weightBits: Int
    var maxTokens: Int
    /// Model circuits: the block index and, if pinned, the model id.
    var block: Int?
    var modelID: String?
    /// The proof's stages (specs/proofs.md §5, §6): GEMM output count and inner size, whether
    /// the accumulator travels in the proof ("explicit") or is derived from Y (§5.3).
    var stages: [Stage]
    /// Bytes of a proof whose entries all have width 0 (§6).
    var fixedProofBytes: Int
    /// `−log2` of the soundness error bound at `maxTokens` (§9), rounded down to 0.1.
    var soundnessBitsAtMaxTokens: Double

    struct Stage: Encodable {
        var outputs: Int
        var inner: Int
        var accumulator: String
        var sumcheckRounds: Int
    }
}
