import ArgumentParser
import Crypto
import Foundation
import Groth16
import Kernel
import Proofs
import Receipts

extension ProofCommand {
    /// Where a Groth16 statement comes from: one of our layer circuits, or a circom `.r1cs`.
    struct Groth16SystemOptions: ParsableArguments {
        @Option(help: "Circuit JSON file with \"proofSystem\": \"groth16\" (a dense layer).")
        var circuit: String?

        @Option(help: "Model package directory (for circuits whose weights come from a model).")
        var model: String?

        @Option(help: "A circom .r1cs file instead of --circuit (specs/groth16.md §12).")
        var r1cs: String?

        /// Largest .r1cs file read (1 GiB).
        static let maxR1CSBytes = 1 << 30

        /// A system with the id its proving key is bound to, and (for layer circuits) the circuit.
        struct System {
            var r1cs: R1CS
            var statementID: [UInt8]
            var name: String
            var circuit: Circuit?
        }

        func validate() throws {
            guard (circuit != nil) != (r1cs != nil) else {
                throw ValidationError("pass exactly one of --circuit FILE and --r1cs FILE")
            }
        }

        /// The layer circuit, its weights and its R1CS synthesized on `input` (zeros when nil).
        func layer(input: CanonicalTensor?) throws -> (Circuit, DenseLayerR1CS.Synthesis) {
            guard let circuit else { throw malformed("this needs --circuit FILE") }
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

        /// The system to set up or prove: a layer circuit's (id = circuit id) or a circom file's
        /// (id = SHA-256 of the file).
        func system() throws -> System {
            if let r1cs {
                let bytes = [UInt8](try readInput(r1cs, maxBytes: Self.maxR1CSBytes))
                do {
                    let file = try CircomR1CS(fileBytes: bytes)
                    return System(
                        r1cs: file.r1cs, statementID: Array(SHA256.hash(data: bytes)),
                        name: URL(fileURLWithPath: r1cs).lastPathComponent, circuit: nil)
                } catch {
                    throw malformed("\(r1cs): \(error)")
                }
            }
            let (c, s) = try layer(input: nil)
            return System(r1cs: s.r1cs, statementID: c.id, name: c.name, circuit: c)
        }
    }

    /// `mesh-validator proof groth16-setup` (specs/groth16.md §9.2).
    struct Groth16SetupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groth16-setup",
            abstract:
                "Make a Groth16 proving key and verifying key for a groth16 layer circuit or a circom .r1cs.",
            discussion: """
                The secrets come from one of: --ptau FILE, a prepared snarkjs powers-of-tau file from \
                a public ceremony (τ, α, β from the ceremony; δ drawn here and discarded, as one \
                phase-2 contribution; γ = 1 as snarkjs sets it); --random, all secrets drawn from \
                the system generator and discarded (a single-party setup, as trustworthy as the \
                machine that ran it); --insecure-seed N, secrets derived from a public seed: ANYONE \
                WHO KNOWS THE SEED CAN FORGE PROOFS (tests and demos only). The verifying key is \
                snarkjs verification_key.json; the proving key is the binary file of \
                specs/groth16.md §9.4.
                """)

        @OptionGroup var system: Groth16SystemOptions
        @Option(help: "Derive the toxic waste from this public seed (tests and demos only).")
        var insecureSeed: UInt64?
        @Flag(help: "Draw the toxic waste from the system's cryptographic generator.")
        var random = false
        @Option(help: "A prepared snarkjs .ptau file (public powers-of-tau ceremony).")
        var ptau: String?
        @Option(help: "Where to write the verifying key (snarkjs JSON).") var vk: String
        @Option(help: "Where to write the proving key (binary).") var pk: String

        struct Summary: Encodable {
            var statement: String
            var statementID: String
            var constraints: Int
            var variables: Int
            var publicInputs: Int
            var domain: Int
            var setupMilliseconds: Double
            var toxicWaste: String
        }

        func run() async throws {
            guard [insecureSeed != nil, random, ptau != nil].filter({ $0 }).count == 1 else {
                throw malformed("pass exactly one of --insecure-seed N, --random and --ptau FILE")
            }
            let s = try system.system()
            let started = ContinuousClock.now
            let key: Groth16ProvingKey
            let provenance: String
            do {
                if let ptau {
                    let ceremony = try PowersOfTau(path: ptau)
                    var rng = SystemRandomNumberGenerator()
                    key = try Groth16Setup.generate(
                        s.r1cs, powersOfTau: ceremony, delta: Fr.random(using: &rng))
                    provenance = "ceremony \(ptau) (power \(ceremony.power)) and one random δ, discarded"
                } else if let insecureSeed {
                    provenance = "INSECURE: derived from public seed \(insecureSeed); anyone can forge proofs"
                    FileHandle.standardError.write(Data("warning: \(provenance)\n".utf8))
                    key = try Groth16Setup.generate(s.r1cs, waste: .seeded(insecureSeed))
                } else {
                    provenance = "random, discarded after setup (single-party setup)"
                    key = try Groth16Setup.generate(s.r1cs, waste: .random())
                }
            } catch {
                throw malformed("\(error)")
            }
            let elapsed = milliseconds(ContinuousClock.now - started)
            try Data(key.verifyingKey.snarkjsJSON.utf8).write(to: URL(fileURLWithPath: vk))
            try Data(key.serialized(statementID: s.statementID)).write(to: URL(fileURLWithPath: pk))
            try printJSON(
                Summary(
                    statement: s.name, statementID: Hex.encode(Data(s.statementID)),
                    constraints: s.r1cs.constraints.count, variables: s.r1cs.variableCount,
                    publicInputs: s.r1cs.publicCount, domain: key.domainSize, setupMilliseconds: elapsed,
                    toxicWaste: provenance))
        }
    }

    /// `mesh-validator proof groth16-prove` (specs/groth16.md §9.3).
    struct Groth16ProveCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groth16-prove",
            abstract:
                "Prove a groth16 layer circuit on X (or a circom .r1cs with its .wtns); write proof.json, public.json.",
            discussion: """
                For a layer circuit the witness is the kernel's own computation (quantization, GEMM, \
                requantization, table, residual), so Y (--out) is byte-identical to `kernel run`. For \
                a circom system the witness is the .wtns file. proof.json and public.json are in \
                snarkjs's format: `proof verify-groth16` (or snarkjs itself) checks them.
                """)

        @OptionGroup var system: Groth16SystemOptions
        @Option(
            name: .customLong("in"),
            help: "Layer circuits: input X, canonical tensor int32 Q16 [maxTokens, inFeatures].")
        var input: String?
        @Option(name: .customLong("out"), help: "Layer circuits: where to write Y (canonical tensor).")
        var output: String?
        @Option(help: "circom systems: the witness (.wtns).") var wtns: String?
        @Option(help: "Proving key written by groth16-setup.") var pk: String
        @Option(help: "Where to write proof.json.") var proof: String
        @Option(name: .customLong("public"), help: "Where to write public.json.") var publicInputs: String

        /// Largest proving key or witness file read (1 GiB).
        static let maxKeyBytes = 1 << 30

        struct Summary: Encodable {
            var statement: String
            var constraints: Int
            var publicInputs: Int
            var proveMilliseconds: Double
            var proofBytes: Int
            var outputCommitment: String?
        }

        func run() async throws {
            let r1cs: R1CS
            let witness: [Fr]
            let statementID: [UInt8]
            let name: String
            var y: CanonicalTensor?
            if system.circuit != nil {
                guard let input, output != nil, wtns == nil else {
                    throw malformed("a layer circuit needs --in X and --out Y (and no --wtns)")
                }
                let x = try ProofCommand.loadTensor(input)
                let (c, s) = try system.layer(input: x)
                (r1cs, witness, statementID, name, y) = (s.r1cs, s.witness, c.id, c.name, s.output)
            } else {
                guard let wtns, input == nil, output == nil else {
                    throw malformed("a circom system needs --wtns FILE (and no --in/--out)")
                }
                let s = try system.system()
                do {
                    witness = try CircomWitness(
                        fileBytes: [UInt8](try readInput(wtns, maxBytes: Self.maxKeyBytes))
                    )
                    .values
                } catch let e as Groth16Error {
                    throw malformed("\(wtns): \(e)")
                }
                (r1cs, statementID, name) = (s.r1cs, s.statementID, s.name)
            }
            let key: Groth16ProvingKey
            do {
                key = try Groth16ProvingKey(
                    serialized: [UInt8](try readInput(pk, maxBytes: Self.maxKeyBytes)),
                    statementID: statementID)
            } catch let e as Groth16Error {
                throw malformed("\(pk): \(e)")
            }
            let started = ContinuousClock.now
            var rng = SystemRandomNumberGenerator()
            let p: Groth16Proof
            do {
                p = try Groth16Prover.prove(key: key, r1cs: r1cs, witness: witness, using: &rng)
            } catch {
                throw malformed("\(error)")
            }
            let elapsed = milliseconds(ContinuousClock.now - started)
            let inputs = try Groth16PublicInputs(
                values: witness[1...r1cs.publicCount].map(\.canonicalWords))
            let proofJSON = Data(p.snarkjsJSON.utf8)
            if let y, let output { try y.encoded().write(to: URL(fileURLWithPath: output)) }
            try proofJSON.write(to: URL(fileURLWithPath: proof))
            try Data(inputs.snarkjsJSON.utf8).write(to: URL(fileURLWithPath: publicInputs))
            try printJSON(
                Summary(
                    statement: name, constraints: r1cs.constraints.count, publicInputs: inputs.count,
                    proveMilliseconds: elapsed, proofBytes: proofJSON.count,
                    outputCommitment: y?.commitmentHex))
        }
    }

    /// `mesh-validator proof groth16-export` (specs/groth16.md §9.5): a layer circuit's system (and
    /// a witness) in circom's binary formats, for snarkjs and other circom tooling.
    struct Groth16ExportCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "groth16-export",
            abstract:
                "Write a groth16 layer circuit's R1CS as circom .r1cs (and, given X, its witness as .wtns).")

        @Option(help: "Circuit JSON file with \"proofSystem\": \"groth16\".") var circuit: String
        @Option(help: "Model package directory (for circuits whose weights come from a model).") var model:
            String?
        @Option(help: "Where to write the .r1cs file.") var r1cs: String
        @Option(name: .customLong("in"), help: "Input X for a witness (canonical tensor).") var input: String?
        @Option(help: "Where to write the .wtns file (needs --in).") var wtns: String?

        func run() async throws {
            guard (input == nil) == (wtns == nil) else { throw malformed("--in and --wtns go together") }
            let options = try Groth16SystemOptions.parse(
                ["--circuit", circuit] + (model.map { ["--model", $0] } ?? []))
            let x = try input.map(ProofCommand.loadTensor)
            let (_, s) = try options.layer(input: x)
            do {
                try Data(try CircomR1CS(s.r1cs).fileBytes).write(to: URL(fileURLWithPath: r1cs))
                if let wtns {
                    try Data(try CircomWitness(values: s.witness).fileBytes).write(
                        to: URL(fileURLWithPath: wtns))
                }
            } catch let e as Groth16Error {
                throw malformed("\(e)")
            }
            print(
                "wrote \(r1cs): \(s.r1cs.constraints.count) constraints, \(s.r1cs.variableCount) wires, "
                    + "\(s.r1cs.publicCount) public inputs" + (wtns.map { "; witness \($0)" } ?? ""))
        }
    }
}
