import ArgumentParser
import Foundation
import Kernel
import Models

/// `mesh-validator kernel …`: run shards of the deterministic integer kernel
/// (specs/kernel.md), greedy generation across shards, and the conformance vectors.
struct KernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run model shards on the deterministic integer kernel (specs/kernel.md).",
        subcommands: [Run.self, Generate.self, Tokenize.self, Vectors.self, Info.self]
    )

    /// Where a model comes from: a package directory (the normal case) or, for experiments, a
    /// source file imported in memory with explicit bit widths.
    struct ModelOptions: ParsableArguments {
        @Option(help: "Model package directory (from `mesh-validator model import`).") var model: String?
        @Option(help: "Import this GGUF file in memory instead of loading a package.") var gguf: String?
        @Option(help: "Import this safetensors BERT directory in memory instead of a package.")
        var safetensors: String?
        @Option(help: "With --gguf/--safetensors: activation bits (8 or 16).") var activationBits = 16
        @Option(
            help:
                "With --gguf/--safetensors: weight bits (8 or 16; 4 with --gguf keeps its Q4_0/Q4_1/Q8_0 blocks)."
        )
        var weightBits: Int?

        /// Loads the model and its tokenizer; prints the model id (packages) to standard error.
        func load() throws -> (model: QuantizedModel, tokenizer: Tokenizer, id: String) {
            let sources = [model, gguf, safetensors].compactMap { $0 }
            guard sources.count == 1 else {
                throw malformed("give exactly one of --model, --gguf, --safetensors")
            }
            do {
                if let model {
                    let loaded = try ModelPackage.load(directory: URL(fileURLWithPath: model))
                    return (loaded.model, loaded.tokenizer, loaded.id.description)
                }
                if let gguf {
                    let file = try GGUFFile(contentsOf: URL(fileURLWithPath: gguf))
                    var config = try GGUFImporter.config(of: file, activationBits: activationBits)
                    config.weightBits = weightBits ?? 16
                    let weights = try GGUFImporter.floatWeights(of: file, config: config)
                    let m = try Quantizer.quantize(weights)
                    return (m, .byteLevelBPE(try GGUFImporter.tokenizer(of: file)), "in-memory")
                }
                if let safetensors {
                    let (w, tok, _) = try SafetensorsImporter.read(
                        directory: URL(fileURLWithPath: safetensors), activationBits: activationBits)
                    var config = w.config
                    config.weightBits = weightBits ?? 8
                    let m = try Quantizer.quantize(FloatModelWeights(config: config, tensors: w.tensors))
                    return (m, .wordPiece(tok), "in-memory")
                }
            } catch let e as ExitCode {
                throw e
            } catch {
                throw malformed("cannot load the model: \(error)")
            }
            throw malformed("no model given")
        }
    }

    struct ExecOptions: ParsableArguments {
        @Option(help: "GEMM path: auto, scalar, avx2, vnni or blas (same bits on every path).")
        var path: KernelPath = .auto
        @Option(help: "Worker threads.") var threads = 1

        var options: ExecutionOptions { ExecutionOptions(path: path, threads: threads) }
    }

    /// Parses `A..B` (half-open) into a range.
    static func parseLayers(_ s: String) throws -> Range<Int> {
        let parts = s.components(separatedBy: "..")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else {
            throw malformed("--layers \(s): want A..B (half-open, e.g. 0..30)")
        }
        guard a >= 0, b > a else { throw malformed("--layers \(s): want 0 <= A < B") }
        return a..<b
    }

    static func tokenTensor(_ ids: [Int]) throws -> CanonicalTensor {
        guard !ids.isEmpty else { throw malformed("the prompt has no tokens") }
        do {
            return try CanonicalTensor(
                kind: .tokenIDs, shape: [ids.count], values: .int32(ids.map { Int32(clamping: $0) }))
        } catch {
            throw malformed("\(error)")
        }
    }

    static func write(_ data: Data, to path: String) throws {
        do {
            if path == "-" {
                FileHandle.standardOutput.write(data)
            } else {
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            }
        } catch {
            throw malformed("cannot write \(path): \(error.localizedDescription)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run layers [A, B) on a canonical tensor; print the output commitment.",
            discussion: """
                The first shard (A = 0) takes token ids (--in, or --prompt tokenized with the \
                model's own tokenizer); later shards take the hidden state written by the previous \
                one. The last shard ends with the final norm and LM head (llama: logits of the last \
                position, or all with --logits all) or mean pooling (bert). Prints the SHA-256 of \
                the canonical output bytes (specs/kernel.md §7) on standard output.
                """)

        @OptionGroup var source: ModelOptions
        @OptionGroup var exec: ExecOptions
        @Option(help: "Half-open layer range A..B.") var layers: String
        @Option(name: .customLong("in"), help: "Input canonical tensor (`-` for standard input).") var input:
            String?
        @Option(help: "Text to tokenize as the input (first shard only).") var prompt: String?
        @Option(help: "Where to write the output tensor (`-` for standard output).") var out: String?
        @Option(help: "Logits of the last position (last) or every position (all).") var logits:
            LogitsSelection = .last

        func run() async throws {
            let (model, tokenizer, id) = try source.load()
            let range = try KernelCommand.parseLayers(layers)
            let tensor: CanonicalTensor
            switch (input, prompt) {
            case (let path?, nil):
                do {
                    tensor = try CanonicalTensor(decoding: try readInput(path, maxBytes: 1 << 30))
                } catch let e as ExitCode {
                    throw e
                } catch {
                    throw malformed("\(path): \(error)")
                }
            case (nil, let text?):
                tensor = try KernelCommand.tokenTensor(tokenizer.encode(text))
            default:
                throw malformed("give exactly one of --in and --prompt")
            }
            let output: CanonicalTensor
            do {
                let shard = try Shard(model: model, layers: range, options: exec.options)
                output = try shard.run(tensor, logits: logits)
            } catch {
                throw malformed("\(error)")
            }
            if let out { try KernelCommand.write(output.encoded(), to: out) }
            printError(
                "model \(id) layers \(range.lowerBound)..\(range.upperBound) -> \(output.kind) \(output.shape)"
            )
            print(output.commitmentHex)
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Greedy decoding with a KV cache, split across shards as the grid runs it.")

        @OptionGroup var source: ModelOptions
        @OptionGroup var exec: ExecOptions
        @Option(help: "Prompt text.") var prompt: String
        @Option(help: "Tokens to generate.") var tokens = 32
        @Option(help: "Number of shards the layers are split into.") var shards = 2
        @Flag(help: "Print JSON (tokens, text, shard ranges) instead of the text.") var json = false

        struct Output: Encodable {
            var promptTokens: [Int]
            var tokens: [Int32]
            var text: String
            var shards: [String]
        }

        func run() async throws {
            let (model, tokenizer, _) = try source.load()
            let ids = tokenizer.encode(prompt)
            guard !ids.isEmpty else { throw malformed("the prompt has no tokens") }
            do {
                let gen = try ShardedGenerator(model: model, parts: shards, options: exec.options)
                let stop: Set<Int32> = tokenizer.eosID.map { [Int32($0)] } ?? []
                let out = try gen.generate(prompt: ids.map { Int32($0) }, maxTokens: tokens, stopTokens: stop)
                let text = try tokenizer.decode(out.map { Int($0) })
                if json {
                    try printJSON(
                        Output(
                            promptTokens: ids, tokens: out, text: text,
                            shards: gen.ranges.map { "\($0.lowerBound)..\($0.upperBound)" }))
                } else {
                    print(prompt + text)
                }
            } catch let e as ExitCode {
                throw e
            } catch {
                throw malformed("\(error)")
            }
        }
    }

    struct Tokenize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the model tokenizer's ids for each text as a JSON array.")

        @OptionGroup var source: ModelOptions
        @Argument(help: "Texts to tokenize.") var texts: [String] = []
        @Option(help: "A file of texts, one per line, instead of arguments.") var file: String?
        @Flag(help: "Concatenate everything into one id list (read --file whole).") var single = false

        func run() async throws {
            let (_, tokenizer, _) = try source.load()
            var all = texts
            if let file {
                let text = String(decoding: try readInput(file), as: UTF8.self)
                all += single ? [text] : text.split(separator: "\n").map(String.init)
            }
            let ids = all.map { tokenizer.encode($0) }
            if single {
                try printJSON(ids.flatMap { $0 }, compact: true)
            } else {
                try printJSON(ids, compact: true)
            }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the CPU paths and table hashes.")

        func run() async throws {
            struct Out: Encodable {
                var paths: [String]
                var auto: String
                var tables: [String: String]
            }
            let auto = (try? KernelPath.auto.resolved())?.rawValue ?? "scalar"
            try printJSON(
                Out(
                    paths: KernelPath.availableConcrete.map(\.rawValue), auto: auto,
                    tables: ConformanceVectors.tableCommitments()))
        }
    }

    struct Vectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check (default) or rewrite the conformance vectors in Fixtures/kernel.",
            discussion: "Exit 0 when every vector matches, 1 when one does not.")

        @Option(help: "Fixtures/kernel directory.") var dir = "Fixtures/kernel"
        @Flag(help: "Rewrite the vector files instead of checking them.") var write = false

        func run() async throws {
            let url = URL(fileURLWithPath: dir)
            do {
                if write {
                    try ConformanceVectors.write(to: url)
                    print("wrote \(dir)")
                    return
                }
                let failures = try ConformanceVectors.check(directory: url)
                if failures.isEmpty {
                    print("all kernel vectors match")
                } else {
                    for f in failures { printError(f) }
                    throw invalid("\(failures.count) kernel vectors do not match")
                }
            } catch let e as ExitCode {
                throw e
            } catch {
                throw malformed("\(error)")
            }
        }
    }
}

extension KernelPath: ExpressibleByArgument {}
extension LogitsSelection: ExpressibleByArgument {}
