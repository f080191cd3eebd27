import ArgumentParser
import Foundation
import Kernel
import Proofs

/// `mesh-bench proofs`: prover time, verifier time and proof size for dense layers, beside the
/// kernel's re-execution of the same layer measured in the same run (specs/proofs.md §9).
struct ProofsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proofs",
        abstract: "Dense-layer proofs: prover/verifier time, proof size, verifier ÷ kernel re-execution.")

    @Option(help: "Square layer sizes n (n×n dense + SiLU), comma-separated.")
    var sizes: String = "256,1024"

    @Option(help: "Token batch sizes T, comma-separated.")
    var tokens: String = "1,16,64,256"

    @Option(help: "Activation bits (8 or 16).")
    var bits: Int = 8

    @Option(help: "Weight bits (8 or 16).")
    var weightBits: Int = 8

    @Option(help: "Timing rounds (best of N).")
    var rounds: Int = 5

    func run() async throws {
        try Self.measure(
            sizes: sizes.split(separator: ",").compactMap { Int($0) },
            tokens: tokens.split(separator: ",").compactMap { Int($0) }, bits: bits, weightBits: weightBits,
            rounds: rounds)
    }

    /// Runs the measurements and prints one line per (n, T), then the verifier's time per phase
    /// (from `LayerProof.verifyWithProfile`, best of `rounds` per phase).
    static func measure(
        sizes sizeList: [Int], tokens tokenList: [Int], bits: Int, weightBits: Int = 8, rounds: Int
    ) throws {
        let path = try KernelPath.auto.resolved()
        let kernelOptions = ExecutionOptions(path: .auto, threads: 1)
        print(
            "proofs: dense n×n + SiLU, activationBits \(bits), weightBits \(weightBits), kernel path "
                + "\(path.rawValue), 1 thread, best of \(rounds)")
        print("n     T     prove ms   verify ms  kernel ms  verify/kernel  proof bytes")
        var phases: [String] = []
        for n in sizeList {
            let json = """
                {"format": "mesh-validator/circuit/v1", "name": "bench-dense-\(n)", "kind": "dense",
                 "inFeatures": \(n), "outFeatures": \(n), "activation": "silu", "residual": false,
                 "bias": false, "activationBits": \(bits), "weightBits": \(weightBits), "maxTokens": 4096,
                 "weights": "seeded", "seed": 1}
                """
            let circuit = try Circuit(json: Data(json.utf8))
            let weights = try LayerWeights(seededFor: circuit)
            for t in tokenList {
                var rng = SeededWeights(seed: UInt64(t))
                let xs = (0..<(t * n)).map { _ in
                    Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 19)) - (1 << 18))
                }
                let x = try CanonicalTensor(
                    kind: .hidden, fractionBits: 16, shape: [t, n], values: .int32(xs))
                func kernel() throws -> [Int32] {
                    let a = try QuantizedActivations.quantize(xs, tokens: t, width: n, bits: bits)
                    return try Dense.apply(a, weights.linears[0], lut: .silu, options: kernelOptions)
                }
                let ys = try kernel()
                let y = try CanonicalTensor(
                    kind: .hidden, fractionBits: 16, shape: [t, n], values: .int32(ys))
                let statement = try LayerStatement(circuit: circuit, weights: weights, input: x, output: y)
                var proof = Data()
                let proveTime = bestOf(rounds) {
                    proof = (try? LayerProof.prove(statement, options: kernelOptions)) ?? Data()
                }
                var verdict = ProofVerdict.invalid(reason: "not run")
                let verifyTime = bestOf(rounds) {
                    verdict = (try? LayerProof.verify(statement, proof: proof)) ?? .invalid(reason: "threw")
                }
                guard verdict == .valid else {
                    throw ValidationError("proof for n=\(n) T=\(t) did not verify: \(verdict)")
                }
                let kernelTime = bestOf(rounds) { _ = try? kernel() }
                let p = try profile(statement, proof, rounds: rounds)
                let line = String(
                    format: "%-5d %-5d %9.3f  %9.3f  %9.3f  %12.3f  %11d", n, t, proveTime * 1e3,
                    verifyTime * 1e3, kernelTime * 1e3, verifyTime / kernelTime, proof.count)
                phases.append(
                    String(
                        format: "%-5d %-5d %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f", n, t,
                        p.decode * 1e3, p.bounds * 1e3, p.trace * 1e3, p.compare * 1e3, p.transcript * 1e3,
                        p.claims * 1e3, p.sumcheck * 1e3, p.inputMLE * 1e3, p.weightsMLE * 1e3))
                print(line)
            }
        }
        print("verifier phases, ms (best of \(rounds) each):")
        print("n     T      decode  bounds   trace compare  transc  claims sumchk  X~ eval W~ eval")
        for line in phases { print(line) }
    }

    /// The verifier's time per phase, each the best of `rounds` runs.
    static func profile(_ statement: LayerStatement, _ proof: Data, rounds: Int) throws -> VerifierProfile {
        var best: VerifierProfile?
        for _ in 0..<max(1, rounds) {
            let (verdict, p) = try LayerProof.verifyWithProfile(statement, proof: proof)
            guard verdict == .valid else { throw ValidationError("profiled verification failed: \(verdict)") }
            guard var b = best else {
                best = p
                continue
            }
            let keys: [WritableKeyPath<VerifierProfile, Double>] = [
                \.decode, \.bounds, \.trace, \.compare, \.transcript, \.claims, \.sumcheck, \.inputMLE,
                \.weightsMLE,
            ]
            for k in keys { b[keyPath: k] = min(b[keyPath: k], p[keyPath: k]) }
            best = b
        }
        return best ?? VerifierProfile()
    }
}
