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
        abstract: "Succinct sumcheck proofs for dense layers and MLP blocks (specs/proofs.md).",
        subcommands: [Prove.self, Verify.self, Info.self]
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

        func loadCircuit() throws -> Circuit {
            do {
                return try Circuit(json: try readInput(circuit, maxBytes: 1 << 20))
            } catch let e as ProofsError {
                throw malformed("\(circuit): \(e)")
            }
        }

        func loadWeights(_ c: Circuit) throws -> LayerWeights {
            do {
                switch c.weights {
                case .seeded:
                    return try LayerWeights(seededFor: c)
                case .model:
                    guard let model else {
                        throw malformed("circuit \(c.name) takes its weights from a model: pass --model DIR")
                    }
                    let loaded: LoadedModel
                    do {
                        loaded = try ModelPackage.load(directory: URL(fileURLWithPath: model))
                    } catch {
                        throw malformed("cannot load model package \(model): \(error)")
                    }
                    if let pinned = c.modelID, pinned != loaded.id.hex {
                        throw malformed(
                            "circuit \(c.name) is pinned to model \(pinned); \(model) is \(loaded.id.hex)")
                    }
                    return try LayerWeights(circuit: c, model: loaded.model)
                }
            } catch let e as ProofsError {
                throw malformed("weights for \(c.name): \(e)")
            }
        }

        func loadTensor(_ path: String) throws -> CanonicalTensor {
            do {
                return try CanonicalTensor(decoding: try readInput(path, maxBytes: Self.maxTensorBytes))
            } catch let e as KernelError {
                throw malformed("\(path): \(e)")
            }
        }
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
                let y = try LayerProof.output(circuit: c, weights: w, input: x, options: exec)
                let statement = try LayerStatement(circuit: c, weights: w, input: x, output: y)
                let proof = try LayerProof.prove(statement, options: exec)
                try y.encoded().write(to: URL(fileURLWithPath: options.output))
                try proof.write(to: URL(fileURLWithPath: options.proof))
                try printJSON(
                    ProveSummary(
                        circuit: c.name, circuitID: c.idHex, tokens: statement.tokens,
                        proofBytes: proof.count,
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
            do {
                let statement = try LayerStatement(circuit: c, weights: w, input: x, output: y)
                verdict = try LayerProof.verify(statement, proof: proof)
            } catch {
                throw malformed("\(error)")
            }
            switch verdict {
            case .valid:
                print("valid: \(c.name) (circuit \(c.idHex)), \(proof.count)-byte proof")
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
            let c: Circuit
            do {
                c = try Circuit(json: try readInput(circuit, maxBytes: 1 << 20))
            } catch let e as ProofsError {
                throw malformed("\(circuit): \(e)")
            }
            try printJSON(
                CircuitSummary(
                    name: c.name, id: c.idHex, kind: c.kind.rawValue, inFeatures: c.inFeatures,
                    outFeatures: c.outFeatures, activationBits: c.activationBits, maxTokens: c.maxTokens))
        }
    }
}

struct ProveSummary: Encodable {
    var circuit: String
    var circuitID: String
    var tokens: Int
    var proofBytes: Int
    var outputCommitment: String
}

struct CircuitSummary: Encodable {
    var name: String
    var id: String
    var kind: String
    var inFeatures: Int
    var outFeatures: Int
    var activationBits: Int
    var maxTokens: Int
}
