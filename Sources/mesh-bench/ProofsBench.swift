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

    @Option(help: "Circuit files (dense, seeded weights), comma-separated.")
    var circuits: String = "Circuits/dense-256-silu.json,Circuits/dense-1024.json"

    @Option(help: "Token batch sizes T, comma-separated.")
    var tokens: String = "1,16,64,256"

    @Option(help: "Timing rounds (best of N).")
    var rounds: Int = 5

    func run() async throws {
        var list: [Circuit] = []
        for path in circuits.split(separator: ",") {
            let circuit = try Circuit(json: try Data(contentsOf: URL(fileURLWithPath: String(path))))
            guard circuit.kind == .dense, circuit.weights == .seeded else {
                throw ValidationError("\(path): the benchmark takes dense circuits with seeded weights")
            }
            list.append(circuit)
        }
        try Self.measure(
            circuits: list, tokens: tokens.split(separator: ",").compactMap { Int($0) }, rounds: rounds)
    }

    /// Runs the measurements and prints one line per (circuit, T), then the verifier's time per
    /// phase (from `LayerProof.verifyWithProfile`, best of `rounds` per phase).
    ///
    /// "kernel" is the kernel's re-execution of the layer (`LayerProof.output`: quantization,
    /// GEMM, dense tail), "hash" the SHA-256 commitments of X and Y that the verifier absorbs
    /// (part of "verify"; re-execution needs them too, to compare with a receipt's hashes).
    static func measure(circuits: [Circuit], tokens tokenList: [Int], rounds: Int) throws {
        let path = try KernelPath.auto.resolved()
        let kernelOptions = ExecutionOptions(path: .auto, threads: 1)
        print("proofs: kernel path \(path.rawValue), 1 thread, best of \(rounds)")
        print(
            "circuit          T     prove ms  verify ms  kernel ms  hash ms  verify/kernel  hash/kernel"
                + "  proof bytes")
        var phases: [String] = []
        for circuit in circuits {
            let weights = try LayerWeights(seededFor: circuit)
            let n = circuit.inFeatures
            for t in tokenList where t <= circuit.maxTokens {
                var rng = SeededWeights(seed: UInt64(t))
                let xs = (0..<(t * n)).map { _ in
                    Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 19)) - (1 << 18))
                }
                let x = try CanonicalTensor(
                    kind: .hidden, fractionBits: 16, shape: [t, n], values: .int32(xs))
                func kernel() throws -> CanonicalTensor {
                    try LayerProof.output(
                        circuit: circuit, weights: weights, input: x, options: kernelOptions)
                }
                let y = try kernel()
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
                    throw ValidationError("proof for \(circuit.name) T=\(t) did not verify: \(verdict)")
                }
                let kernelTime = bestOf(rounds) { _ = try? kernel() }
                let hashTime = bestOf(rounds) { _ = (x.commitment, y.commitment) }
                let p = try profile(statement, proof, rounds: rounds)
                let name = circuit.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                let line =
                    name
                    + String(
                        format: " %-5d %8.3f  %9.3f  %9.3f  %7.3f  %13.3f  %11.3f  %11d", t,
                        proveTime * 1e3, verifyTime * 1e3, kernelTime * 1e3, hashTime * 1e3,
                        verifyTime / kernelTime, hashTime / kernelTime, proof.count)
                phases.append(
                    name
                        + String(
                            format: " %-5d %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f",
                            t, p.decode * 1e3, p.bounds * 1e3, p.trace * 1e3, p.compare * 1e3,
                            p.transcript * 1e3, p.claims * 1e3, p.sumcheck * 1e3, p.inputMLE * 1e3,
                            p.weightsMLE * 1e3))
                print(line)
            }
        }
        print("verifier phases, ms (best of \(rounds) each):")
        print(
            "circuit          T      decode  bounds   trace compare  transc  claims sumchk  X~ eval W~ eval")
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
