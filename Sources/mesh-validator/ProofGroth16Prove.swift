import ArgumentParser
import Foundation
import Groth16
import Kernel
import Proofs

extension ProofCommand {
    /// Options naming a Groth16 layer circuit and its weights.
    struct Groth16CircuitOptions: ParsableArguments {
        @Option(help: "Circuit JSON file with \"proofSystem\": \"groth16\" (a dense layer).")
        var circuit: String

        @Option(help: "Model package directory (for circuits whose weights come from a model).")
        var model: String?

        /// The circuit, its weights and its R1CS synthesized on `input` (zeros when nil).
        func synthesize(input: CanonicalTensor?) throws -> (Circuit, DenseLayerR1CS.Synthesis) {
            let c = try ProofCommand.loadCircuit(circuit)
            guard c.proofSystem == .groth16 else {
                throw malformed(
                    "\(circuit): circuit \(c.name) is not a groth16 circuit (set \"proofSystem\": \"groth16\")"
                )
            }
            let weights = try ProofCommand.loadWeights(c, model: model)
            do {
                let x =
                    try input
                    ?? CanonicalTensor(
                        kind: .hidden, fractionBits: 16, shape: [c.maxTokens, c.inFeatures],
                        values: .int32([Int32](repeating: 0, count: c.maxTokens * c.inFeatures)))
                return (c, try DenseLayerR1CS.synthesize(circuit: c, weights: weights, input: x))
            } catch {
                throw malformed("\(c.name): \(error)")
            }
        }
    }

    /// `mesh-validator proof groth16-setup` (specs/groth16.md §9.2).
    struct Groth16SetupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groth16-setup",
            abstract: "Make a Groth16 proving key and verifying key for a groth16 layer circuit.",
            discussion: """
                --insecure-seed derives the secret scalars from a public seed: ANYONE WHO KNOWS THE \
                SEED CAN FORGE PROOFS. It exists so tests and the demo are reproducible. --random \
                draws them from the system generator and discards them: a single-party setup, as \
                trustworthy as the machine that ran it. The verifying key is snarkjs \
                verification_key.json; the proving key is the binary file of specs/groth16.md §9.4.
                """)

        @OptionGroup var options: Groth16CircuitOptions
        @Option(help: "Derive the toxic waste from this public seed (tests and demos only).")
        var insecureSeed: UInt64?
        @Flag(help: "Draw the toxic waste from the system's cryptographic generator.")
        var random = false
        @Option(help: "Where to write the verifying key (snarkjs JSON).") var vk: String
        @Option(help: "Where to write the proving key (binary).") var pk: String

        struct Summary: Encodable {
            var circuit: String
            var circuitID: String
            var constraints: Int
            var variables: Int
            var publicInputs: Int
            var domain: Int
            var setupMilliseconds: Double
            var toxicWaste: String
        }

        func run() async throws {
            guard (insecureSeed != nil) != random else {
                throw malformed("pass exactly one of --insecure-seed N and --random")
            }
            let (c, s) = try options.synthesize(input: nil)
            let waste: ToxicWaste
            let provenance: String
            if let insecureSeed {
                waste = .seeded(insecureSeed)
                provenance = "INSECURE: derived from public seed \(insecureSeed); anyone can forge proofs"
                FileHandle.standardError.write(Data("warning: \(provenance)\n".utf8))
            } else {
                waste = .random()
                provenance = "random, discarded after setup (single-party setup)"
            }
            let started = ContinuousClock.now
            let key: Groth16ProvingKey
            do { key = try Groth16Setup.generate(s.r1cs, waste: waste) } catch { throw malformed("\(error)") }
            let elapsed = milliseconds(ContinuousClock.now - started)
            try Data(key.verifyingKey.snarkjsJSON.utf8).write(to: URL(fileURLWithPath: vk))
            try Data(key.serialized(statementID: c.id)).write(to: URL(fileURLWithPath: pk))
            try printJSON(
                Summary(
                    circuit: c.name, circuitID: c.idHex, constraints: s.r1cs.constraints.count,
                    variables: s.r1cs.variableCount, publicInputs: s.r1cs.publicCount, domain: key.domainSize,
                    setupMilliseconds: elapsed, toxicWaste: provenance))
        }
    }

    /// `mesh-validator proof groth16-prove` (specs/groth16.md §9.3).
    struct Groth16ProveCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groth16-prove",
            abstract:
                "Run a groth16 layer circuit on X with the kernel; write Y, proof.json and public.json.",
            discussion: """
                The witness is the kernel's own computation (quantization, GEMM, requantization, \
                table, residual), so Y is byte-identical to `kernel run`. proof.json and public.json \
                are in snarkjs's format: `proof verify-groth16 --vk VK --proof proof.json --public \
                public.json` (or snarkjs itself) checks them.
                """)

        @OptionGroup var options: Groth16CircuitOptions
        @Option(
            name: .customLong("in"), help: "Input X: canonical tensor, int32 Q16 [maxTokens, inFeatures].")
        var input: String
        @Option(help: "Proving key written by groth16-setup.") var pk: String
        @Option(name: .customLong("out"), help: "Where to write Y (canonical tensor).") var output: String
        @Option(help: "Where to write proof.json.") var proof: String
        @Option(name: .customLong("public"), help: "Where to write public.json.") var publicInputs: String

        /// Largest proving key read (1 GiB).
        static let maxKeyBytes = 1 << 30

        struct Summary: Encodable {
            var circuit: String
            var constraints: Int
            var publicInputs: Int
            var proveMilliseconds: Double
            var proofBytes: Int
            var outputCommitment: String
        }

        func run() async throws {
            let x: CanonicalTensor
            do {
                x = try CanonicalTensor(
                    decoding: try readInput(input, maxBytes: StatementOptions.maxTensorBytes))
            } catch let e as KernelError {
                throw malformed("\(input): \(e)")
            }
            let (c, s) = try options.synthesize(input: x)
            let key: Groth16ProvingKey
            do {
                key = try Groth16ProvingKey(
                    serialized: [UInt8](try readInput(pk, maxBytes: Self.maxKeyBytes)), statementID: c.id)
            } catch let e as Groth16Error {
                throw malformed("\(pk): \(e)")
            }
            let started = ContinuousClock.now
            var rng = SystemRandomNumberGenerator()
            let p: Groth16Proof
            do {
                p = try Groth16Prover.prove(key: key, r1cs: s.r1cs, witness: s.witness, using: &rng)
            } catch {
                throw malformed("\(pk): \(error)")
            }
            let elapsed = milliseconds(ContinuousClock.now - started)
            let inputs = try Groth16PublicInputs(values: s.publicInputs.map(\.canonicalWords))
            let proofJSON = Data(p.snarkjsJSON.utf8)
            try s.output.encoded().write(to: URL(fileURLWithPath: output))
            try proofJSON.write(to: URL(fileURLWithPath: proof))
            try Data(inputs.snarkjsJSON.utf8).write(to: URL(fileURLWithPath: publicInputs))
            try printJSON(
                Summary(
                    circuit: c.name, constraints: s.r1cs.constraints.count, publicInputs: inputs.count,
                    proveMilliseconds: elapsed, proofBytes: proofJSON.count,
                    outputCommitment: s.output.commitmentHex))
        }
    }
}
