import ArgumentParser
import Foundation
import Kernel
import Models

/// `mesh-validator model …`: import, inspect and verify content-addressed model packages
/// (specs/model-package.md).
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Import, inspect and verify content-addressed model packages.",
        subcommands: [Import.self, Info.self, Verify.self, Tiny.self, Proof.self]
    )

    /// Prints progress to standard error, one line per 10% step and phase change.
    static func progressPrinter() -> @Sendable (PackageProgress) -> Void {
        let last = LastStep()
        return { p in
            let step = p.total == 0 ? 10 : p.done * 10 / p.total
            if last.shouldPrint(phase: p.phase, step: step) {
                printError("\(p.phase): \(p.done)/\(p.total)")
            }
        }
    }

    final class LastStep: @unchecked Sendable {
        private let lock = NSLock()
        private var phase = ""
        private var step = -1
        func shouldPrint(phase: String, step: Int) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if phase == self.phase && step == self.step { return false }
            self.phase = phase
            self.step = step
            return true
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a GGUF (Llama) file or a safetensors (BERT) directory as a package.",
            discussion: """
                Dequantizes the source weights, requantizes them with the kernel's quantizer and \
                writes DIR/manifest.json plus DIR/chunks/ (with --weight-bits 4 the GGUF's Q4_0, \
                Q4_1 and Q8_0 matrices keep their codes instead, specs/kernel.md §3.5). Prints the model id (SHA-256 of the \
                canonical manifest) on standard output; progress goes to standard error.
                """)

        @Option(name: .customLong("gguf"), help: "A Llama-architecture GGUF file.")
        var gguf: String?
        @Option(
            name: .customLong("safetensors"),
            help: "A BERT directory: model.safetensors, config.json, vocab.txt.")
        var safetensors: String?
        @Option(name: .customLong("out"), help: "Output package directory (must not hold a package).")
        var out: String
        @Option(help: "Activation bits, 8 or 16.")
        var activationBits: Int = 16
        @Option(
            help: """
                Weight bits, 8 or 16 (default: 16 for GGUF/Llama, 8 for BERT), or 4 (GGUF only): keep \
                the file's Q4_0 / Q4_1 / Q8_0 matrices as blocks (specs/kernel.md §3.5).
                """)
        var weightBits: Int?
        @Option(help: "Package name for safetensors imports.")
        var name: String = "all-MiniLM-L6-v2"
        @Option(help: "Chunk size in bytes (a power of two, 4096...67108864).")
        var chunkSize: Int = ModelPackage.defaultChunkSize

        func validate() throws {
            guard (gguf == nil) != (safetensors == nil) else {
                throw ValidationError("give exactly one of --gguf FILE or --safetensors DIR")
            }
            guard activationBits == 8 || activationBits == 16 else {
                throw ValidationError("--activation-bits must be 8 or 16")
            }
            if let bits = weightBits, bits != 4 && bits != 8 && bits != 16 {
                throw ValidationError("--weight-bits must be 4 (GGUF block format), 8 or 16")
            }
            if weightBits == 4 && safetensors != nil {
                throw ValidationError(
                    "--weight-bits 4 keeps GGUF Q4_0 / Q4_1 / Q8_0 blocks; safetensors weights are floats: use 8 or 16"
                )
            }
        }

        func run() async throws {
            let outURL = URL(fileURLWithPath: out)
            let progress = ModelCommand.progressPrinter()
            let manifest: PackageManifest
            do {
                if let gguf {
                    manifest = try GGUFImporter.importFile(
                        URL(fileURLWithPath: gguf), to: outURL, activationBits: activationBits,
                        weightBits: weightBits ?? 16, chunkSize: chunkSize, progress: progress)
                } else {
                    manifest = try SafetensorsImporter.importDirectory(
                        URL(fileURLWithPath: safetensors ?? "."), to: outURL, name: name,
                        activationBits: activationBits, weightBits: weightBits ?? 8, chunkSize: chunkSize,
                        progress: progress)
                }
            } catch {
                throw malformed(error.description)
            }
            printError("wrote \(manifest.chunkCount) chunks (\(manifest.payloadBytes) bytes) to \(out)")
            print(manifest.modelID.hex)
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a package's manifest summary as JSON.")

        @Argument(help: "Package directory.")
        var directory: String

        func run() async throws {
            let manifest: PackageManifest
            do {
                manifest = try ModelPackage.readManifest(directory: URL(fileURLWithPath: directory))
            } catch {
                throw malformed(error.description)
            }
            try printJSON(PackageSummary(manifest))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every chunk, section and tensor of a package against its manifest.",
            discussion:
                "Exit 0 and print the model id when valid; 1 when a chunk or tensor is wrong; 2 when the manifest is malformed."
        )

        @Argument(help: "Package directory.")
        var directory: String

        func run() async throws {
            let verdict: PackageVerdict
            do {
                verdict = try ModelPackage.verify(
                    directory: URL(fileURLWithPath: directory), progress: ModelCommand.progressPrinter())
            } catch {
                throw malformed(error.description)
            }
            switch verdict {
            case .valid(let id): print(id.hex)
            case .invalid(let reason): throw invalid(reason)
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the RFC 9162 inclusion proof of one chunk against the package's chunk root.")

        @Argument(help: "Package directory.")
        var directory: String
        @Option(help: "Chunk index.")
        var chunk: Int

        func run() async throws {
            let manifest: PackageManifest
            do {
                manifest = try ModelPackage.readManifest(directory: URL(fileURLWithPath: directory))
            } catch {
                throw malformed(error.description)
            }
            guard let proof = ModelPackage.inclusionProof(manifest: manifest, index: chunk) else {
                throw malformed("chunk \(chunk) is outside [0, \(manifest.chunkCount))")
            }
            try printJSON(ProofJSON(proof: proof, manifest: manifest))
        }
    }

    struct Tiny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the kernel's seeded tiny model (with a synthetic tokenizer) as a package.")

        @Option(help: "Architecture: llama or bert.")
        var arch: String
        @Option(help: "Seed of the kernel's tiny-model generator.")
        var seed: UInt64 = 1
        @Option(name: .customLong("out"), help: "Output package directory.")
        var out: String

        func validate() throws {
            guard Architecture(rawValue: arch) != nil else {
                throw ValidationError("--arch must be llama or bert")
            }
        }

        func run() async throws {
            let architecture = Architecture(rawValue: arch) ?? .llama
            let manifest: PackageManifest
            do {
                manifest = try TinyPackage.write(
                    architecture: architecture, seed: seed, to: URL(fileURLWithPath: out))
            } catch {
                throw malformed(error.description)
            }
            print(manifest.modelID.hex)
        }
    }
}

/// What `model info` prints.
struct PackageSummary: Encodable {
    let modelID: String
    let name: String
    let source: [String: String]
    let config: ConfigJSON
    let tokenizer: String
    let tensors: Int
    let payloadBytes: Int
    let chunkSize: Int
    let chunks: Int
    let chunkRoot: String

    struct ConfigJSON: Encodable {
        let architecture: String
        let vocabSize, width, layers, heads, kvHeads, headDim, ffnWidth, maxPositions: Int
        let ropeBase: Double
        let ropeStyle: String
        let normEpsilon: Double
        let typeVocabSize: Int
        let tiedEmbeddings: Bool
        let activationBits: Int
        let weightBits: Int
    }

    init(_ m: PackageManifest) {
        let c = m.config
        modelID = m.modelID.hex
        name = m.name
        source = m.source
        config = ConfigJSON(
            architecture: c.architecture.rawValue, vocabSize: c.vocabSize, width: c.width, layers: c.layers,
            heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, ffnWidth: c.ffnWidth,
            maxPositions: c.maxPositions, ropeBase: c.ropeBase, ropeStyle: c.ropeStyle.rawValue,
            normEpsilon: c.normEpsilon, typeVocabSize: c.typeVocabSize, tiedEmbeddings: c.tiedEmbeddings,
            activationBits: c.activationBits, weightBits: c.weightBits)
        tokenizer = m.tokenizerKind
        tensors = m.sections.filter { $0.kind == .tensor }.count
        payloadBytes = m.payloadBytes
        chunkSize = m.chunkSize
        chunks = m.chunkCount
        chunkRoot = m.chunkRoot.map { String(format: "%02x", $0) }.joined()
    }
}

/// What `model proof` prints.
struct ProofJSON: Encodable {
    let modelID: String
    let chunk: Int
    let treeSize: Int
    let leafHash: String
    let path: [String]
    let chunkRoot: String

    init(proof: ChunkInclusionProof, manifest: PackageManifest) {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        modelID = manifest.modelID.hex
        chunk = proof.index
        treeSize = proof.treeSize
        leafHash = hex(manifest.chunkHashes[proof.index])
        path = proof.path.map(hex)
        chunkRoot = hex(manifest.chunkRoot)
    }
}
