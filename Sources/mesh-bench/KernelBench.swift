import ArgumentParser
import COpenBLAS
import Dispatch
import Foundation
import Kernel
import Models

/// `mesh-bench kernel`: exact integer GEMM against OpenBLAS SGEMM in the same run, and SmolLM2
/// prefill / decode throughput. Build with `-c release`.
struct KernelBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Integer GEMM GOPS vs OpenBLAS SGEMM GFLOP/s; model prefill/decode tokens/s.",
        discussion: """
            GEMM: C = A·Wᵀ with n×n int8 operands on the auto path (exact int32 results) against \
            cblas_sgemm on n×n float operands, interleaved, best of --reps each. int16×int16 runs on \
            the int16 path (vpdpwssd on VNNI, specs/kernel.md §3.4); its rate is int16 GOPS. \
            Model: with --model (package) or --gguf (imported in memory, 16/16 bits), the prefill \
            rate for a --prefill-token prompt and the greedy decode rate.
            """)

    @Option(help: "Matrix sizes n (n×n×n GEMM), comma separated.") var sizes = "512,1024,2048"
    @Option(help: "Thread counts, comma separated.") var threads = "1,2"
    @Option(help: "Repetitions per measurement (best is kept).") var reps = 5
    @Option(help: "GEMM path for the integer kernel.") var path: KernelPath = .auto
    @Option(help: "Model package directory for the prefill/decode figures.") var model: String?
    @Option(help: "GGUF file imported in memory (16-bit activations and weights) instead of --model.")
    var gguf: String?
    @Option(help: "Prompt length for the prefill figure.") var prefillTokens = 128
    @Option(help: "Tokens to decode for the decode figure.") var decodeTokens = 32
    @Flag(help: "Skip the GEMM comparison.") var skipGemm = false

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    func run() async throws {
        let threadList = threads.split(separator: ",").compactMap { Int($0) }
        let resolved = try path.resolved()
        print("kernel path \(resolved.rawValue); CPU paths \(KernelPath.availableConcrete.map(\.rawValue))")
        if !skipGemm {
            print("n     threads  int8 GOPS  int16 GOPS  SGEMM GFLOP/s  int8/SGEMM  int16/SGEMM")
            for n in sizes.split(separator: ",").compactMap({ Int($0) }) {
                for t in threadList { try gemmRow(n: n, threads: t, path: resolved) }
            }
        }
        if model != nil || gguf != nil {
            for t in threadList { try modelRows(threads: t) }
        }
    }

    func gemmRow(n: Int, threads t: Int, path: KernelPath) throws {
        var rng = SplitMix64(seed: UInt64(n))
        let w = try Quantizer.quantizeMatrix(
            name: "w", values: (0..<(n * n)).map { _ in rng.nextFloat(scale: 1) }, rows: n, cols: n,
            activationBits: 16, weightBits: 16)
        let a8 = (0..<(n * n)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
        let z = (0..<(n * n)).map { _ in Int32(truncatingIfNeeded: rng.next() >> 40) }
        let a16 = try QuantizedActivations.quantize(z, tokens: n, width: n, bits: 16)
        let af = (0..<(n * n)).map { _ in Float(rng.nextFloat(scale: 1)) }
        let wf = (0..<(n * n)).map { _ in Float(rng.nextFloat(scale: 1)) }
        var cf = [Float](repeating: 0, count: n * n)
        let opts = ExecutionOptions(path: path, threads: t)
        var best8 = Double.infinity
        var best16 = Double.infinity
        var bestS = Double.infinity
        for _ in 0..<reps {
            best8 = min(
                best8, try Self.seconds { _ = try IntegerGemm.multiply(a8, rows: n, w, options: opts) })
            openblas_set_num_threads(Int32(t))
            bestS = min(
                bestS,
                Self.seconds {
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1, af,
                        Int32(n), wf,
                        Int32(n), 0, &cf, Int32(n))
                })
            if n <= 1024 || reps <= 3 {
                best16 = min(best16, try Self.seconds { _ = try Dense.accumulate(a16, w, options: opts) })
            }
        }
        if best16 == .infinity {
            best16 = try Self.seconds { _ = try Dense.accumulate(a16, w, options: opts) }
        }
        let ops = 2 * Double(n) * Double(n) * Double(n)
        let g8 = ops / best8 / 1e9
        let g16 = ops / best16 / 1e9
        let gs = ops / bestS / 1e9
        print(
            String(
                format: "%-5d %-8d %-10.1f %-11.1f %-14.1f %-11.2f %.2f", n, t, g8, g16, gs, g8 / gs, g16 / gs
            ))
    }

    func modelRows(threads t: Int) throws {
        let m = try loadBenchModel(package: model, gguf: gguf)
        let c = m.config
        let opts = ExecutionOptions(path: path, threads: t)
        let shard = try Shard(model: m, layers: 0..<c.layers, options: opts)
        var rng = SplitMix64(seed: 1)
        let prompt = (0..<prefillTokens).map { _ in Int32(rng.nextInt(0, c.vocabSize - 1)) }
        let input = try CanonicalTensor(kind: .tokenIDs, shape: [prompt.count], values: .int32(prompt))
        var bestPrefill = Double.infinity
        for _ in 0..<max(1, min(reps, 3)) {
            bestPrefill = min(bestPrefill, try Self.seconds { _ = try shard.run(input) })
        }
        // Decode: prefill 16 tokens, then time single-token steps through the whole model.
        var state = shard.makeState()
        let start = try CanonicalTensor(
            kind: .tokenIDs, shape: [16], values: .int32(Array(prompt.prefix(16))))
        var logits = try shard.step(start, state: &state)
        let decode = try Self.seconds {
            for _ in 0..<decodeTokens {
                let next = Int32(ShardedGenerator.argmax(try logits.int32Values()))
                logits = try shard.step(
                    try CanonicalTensor(kind: .tokenIDs, shape: [1], values: .int32([next])), state: &state)
            }
        }
        print(
            String(
                format: "%@ threads %d: prefill %d tokens %.1f tokens/s; decode %.1f tokens/s (%d tokens)",
                c.architecture.rawValue, t, prefillTokens, Double(prefillTokens) / bestPrefill,
                Double(decodeTokens) / decode, decodeTokens))
    }
}

extension KernelPath: ExpressibleByArgument {}
