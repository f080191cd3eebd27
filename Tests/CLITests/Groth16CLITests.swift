import Foundation
import Groth16
import Kernel
import Proofs
import TestSupport
import Testing

/// `mesh-validator proof verify-groth16` on the real snarkjs triples: exit 0 valid, 1 invalid with
/// the reason, 2 malformed with what is wrong (specs/groth16.md §9.1), and `--json`.
@Suite(.enabled(if: builtExecutable() != nil, "needs the built mesh-validator binary"))
struct Groth16CLITests {
    let binary = builtExecutable()

    func path(_ vector: String, _ name: String) -> String {
        RepoPaths.fixture("groth16/snarkjs/\(vector)/\(name)").path
    }

    func verify(
        _ vector: String, proof: String = "proof.json", inputs: String = "public.json", json: Bool = false
    )
        throws -> ProcessOutput
    {
        try verify(
            vk: path(vector, "verification_key.json"), proof: path(vector, proof),
            inputs: path(vector, inputs),
            json: json)
    }

    func verify(vk: String, proof: String, inputs: String, json: Bool = false) throws -> ProcessOutput {
        try runProcess(
            try #require(binary).path,
            ["proof", "verify-groth16", "--vk", vk, "--proof", proof, "--public", inputs]
                + (json ? ["--json"] : []))
    }

    @Test(arguments: ["nullifier-2pub", "risc0-sudoku-81pub", "zkml-nids-7pub"])
    func exitCodes(vector: String) throws {
        let ok = try verify(vector)
        #expect(ok.status == 0, "\(ok.stderrText)")
        #expect(ok.stdoutText.hasPrefix("valid:"))
        let badPublic = try verify(vector, inputs: "bad_public.json")
        #expect(badPublic.status == 1)
        #expect(badPublic.stderrText.contains("invalid: pairing check"), "\(badPublic.stderrText)")
        let badProof = try verify(vector, proof: "bad_proof.json")
        #expect(badProof.status == 1 || badProof.status == 2)
        let asJSON = try verify(vector, json: true)
        #expect(asJSON.status == 0)
        let object = try JSONSerialization.jsonObject(with: asJSON.stdout) as? [String: Any]
        #expect(object?["status"] as? String == "valid")
        #expect(
            object?["publicInputs"] as? Int
                == (vector == "risc0-sudoku-81pub" ? 81 : vector == "zkml-nids-7pub" ? 7 : 2))
        let invalidJSON = try verify(vector, inputs: "bad_public.json", json: true)
        #expect(invalidJSON.status == 1)
        let invalidObject = try JSONSerialization.jsonObject(with: invalidJSON.stdout) as? [String: Any]
        #expect(invalidObject?["status"] as? String == "invalid")
        #expect((invalidObject?["reason"] as? String)?.contains("pairing check") == true)
    }

    @Test func malformedInputsExitTwoAndSayWhat() throws {
        let v = "nullifier-2pub"
        // Public inputs swapped for the proof: not an array of decimal strings.
        let swapped = try verify(
            vk: path(v, "verification_key.json"), proof: path(v, "proof.json"), inputs: path(v, "proof.json"))
        #expect(swapped.status == 2)
        #expect(swapped.stderrText.contains("malformed:"), "\(swapped.stderrText)")
        // The risc0 key with the nullifier's public inputs: counts differ.
        let counts = try verify(
            vk: path("risc0-sudoku-81pub", "verification_key.json"), proof: path(v, "proof.json"),
            inputs: path(v, "public.json"), json: true)
        #expect(counts.status == 2)
        #expect(counts.stderrText.contains("public input count is 2, want 81"), "\(counts.stderrText)")
        let object = try JSONSerialization.jsonObject(with: counts.stdout) as? [String: Any]
        #expect(object?["status"] as? String == "malformed")
        // A missing file; a public input ≥ r.
        let missing = try verify(
            vk: "/nonexistent/vk.json", proof: path(v, "proof.json"), inputs: path(v, "public.json"))
        #expect(missing.status == 2)
        #expect(missing.stderrText.contains("no such file"))
        let dir = try RepoPaths.temporaryDirectory(prefix: "groth16-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = dir.appendingPathComponent("public.json")
        try Data(
            #"["21888242871839275222246405745257275088548364400416034343698204186575808495617", "1"]"#.utf8
        ).write(to: big)
        let tooBig = try verify(
            vk: path(v, "verification_key.json"), proof: path(v, "proof.json"), inputs: big.path)
        #expect(tooBig.status == 2)
        #expect(tooBig.stderrText.contains("public input 0"), "\(tooBig.stderrText)")
    }
}

/// `proof groth16-setup` and `proof groth16-prove` on the registered test circuit: the proof
/// verifies with `verify-groth16`, Y is the kernel's output, and a changed Y fails.
@Suite(.enabled(if: builtExecutable() != nil, "needs the built mesh-validator binary"))
struct Groth16ProveCLITests {
    let binary = builtExecutable()
    let circuit = RepoPaths.root().appendingPathComponent("Circuits/dense-8x8-groth16-test.json").path

    func run(_ args: [String]) throws -> ProcessOutput {
        try runProcess(try #require(binary).path, ["proof"] + args)
    }

    @Test func setupProveAndVerifyThroughTheCLI() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "groth16-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String) -> String { dir.appendingPathComponent(name).path }

        let setup = try run([
            "groth16-setup", "--circuit", circuit, "--insecure-seed", "1", "--vk", file("vk.json"), "--pk",
            file("pk.bin"),
        ])
        #expect(setup.status == 0, "\(setup.stderrText)")
        #expect(setup.stderrText.contains("INSECURE"), "an insecure setup says so")
        // The registered key is the one this seed gives (Circuits/README.md).
        let registered = RepoPaths.root().appendingPathComponent("Circuits/dense-8x8-groth16-test.vk.json")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file("vk.json"))) == Data(contentsOf: registered))

        let x: [Int32] = [1 << 16, -(2 << 16), 3, 40 << 16, -(17 << 16), 0, 12345, -1]
        let tensor = try CanonicalTensor(kind: .hidden, fractionBits: 16, shape: [1, 8], values: .int32(x))
        try tensor.encoded().write(to: URL(fileURLWithPath: file("x.mvt")))
        let proved = try run([
            "groth16-prove", "--circuit", circuit, "--in", file("x.mvt"), "--pk", file("pk.bin"), "--out",
            file("y.mvt"), "--proof", file("proof.json"), "--public", file("public.json"),
        ])
        #expect(proved.status == 0, "\(proved.stderrText)")

        // Y is the layer's output on the kernel.
        let c = try Circuit(json: try Data(contentsOf: URL(fileURLWithPath: circuit)))
        let want = try LayerProof.output(circuit: c, weights: try LayerWeights(seededFor: c), input: tensor)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file("y.mvt"))) == want.encoded())

        let verified = try run([
            "verify-groth16", "--vk", registered.path, "--proof", file("proof.json"), "--public",
            file("public.json"),
        ])
        #expect(verified.status == 0, "\(verified.stderrText)")

        // A proving key for another circuit is refused by name.
        let other = try run([
            "groth16-prove", "--circuit", circuit, "--in", file("x.mvt"), "--pk", file("vk.json"), "--out",
            file("y2.mvt"), "--proof", file("p2.json"), "--public", file("pub2.json"),
        ])
        #expect(other.status == 2)
        #expect(other.stderrText.contains("not a proving key file"), "\(other.stderrText)")
        // Neither or both toxic-waste sources: malformed.
        let neither = try run(["groth16-setup", "--circuit", circuit, "--vk", file("a"), "--pk", file("b")])
        #expect(neither.status == 2)
    }
}

/// circom files through the CLI: our layer circuit exported as .r1cs/.wtns and proved from those
/// files; a circom-format system set up directly and from a ceremony (specs/groth16.md §9, §12).
@Suite(.enabled(if: builtExecutable() != nil, "needs the built mesh-validator binary"))
struct Groth16CircomCLITests {
    let binary = builtExecutable()

    func run(_ args: [String]) throws -> ProcessOutput {
        try runProcess(try #require(binary).path, ["proof"] + args)
    }

    func directory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "groth16-circom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func anExportedLayerCircuitProvesFromItsCircomFiles() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let circuit = RepoPaths.root().appendingPathComponent("Circuits/dense-8x8-groth16-test.json").path
        let x = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [1, 8],
            values: .int32([9 << 16, -3, 0, 1 << 21, -(5 << 16), 7, 8, 1]))
        try x.encoded().write(to: URL(fileURLWithPath: file("x.mvt")))
        let exported = try run([
            "groth16-export", "--circuit", circuit, "--r1cs", file("layer.r1cs"), "--in", file("x.mvt"),
            "--wtns",
            file("layer.wtns"),
        ])
        #expect(exported.status == 0, "\(exported.stderrText)")
        #expect(
            try run([
                "groth16-setup", "--r1cs", file("layer.r1cs"), "--random", "--vk", file("vk.json"), "--pk",
                file("pk.bin"),
            ])
            .status == 0)
        let proved = try run([
            "groth16-prove", "--r1cs", file("layer.r1cs"), "--wtns", file("layer.wtns"), "--pk",
            file("pk.bin"),
            "--proof", file("proof.json"), "--public", file("public.json"),
        ])
        #expect(proved.status == 0, "\(proved.stderrText)")
        let verified = try run([
            "verify-groth16", "--vk", file("vk.json"), "--proof", file("proof.json"), "--public",
            file("public.json"),
        ])
        #expect(verified.status == 0, "\(verified.stderrText)")
        // The public inputs are the layer's X and Y, packed (§8.3): the same as the layer path writes.
        let c = try Circuit(json: try Data(contentsOf: URL(fileURLWithPath: circuit)))
        let y = try LayerProof.output(circuit: c, weights: try LayerWeights(seededFor: c), input: x)
        let want = DenseLayerR1CS.publicInputs(input: try x.int32Values(), output: try y.int32Values()).map(
            \.description)
        let got = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: file("public.json"))))
        #expect(got == want)
        // A proving key is bound to its .r1cs: the registered layer circuit's key path refuses it.
        let mismatched = try run([
            "groth16-prove", "--circuit", circuit, "--in", file("x.mvt"), "--out", file("y.mvt"), "--pk",
            file("pk.bin"),
            "--proof", file("p2.json"), "--public", file("pub2.json"),
        ])
        #expect(mismatched.status == 2)
        #expect(mismatched.stderrText.contains("another circuit"), "\(mismatched.stderrText)")
    }

    /// A circom-format system written here (x_{i+1} = x_i² + b, c = x_n public output, a = x_0
    /// public input) and its witness.
    static func chain(steps: Int, a: UInt64, b: UInt64) throws -> (r1cs: [UInt8], wtns: [UInt8]) {
        var builder = ConstraintSystemBuilder()
        var x = Fr(a)
        var values = [x]
        for _ in 0..<steps {
            x = x * x + Fr(b)
            values.append(x)
        }
        let out = builder.publicInput(values[steps])
        let input = builder.publicInput(values[0])
        var previous = input
        for i in 1...steps {
            let next = i == steps ? out : builder.witness(values[i])
            // previous·previous = next − b
            builder.enforce(previous, times: previous, equals: next - LinearCombination(constant: Fr(b)))
            previous = next
        }
        let system = try builder.system()
        return (
            try CircomR1CS(system, publicOutputCount: 1).fileBytes,
            try CircomWitness(values: builder.values).fileBytes
        )
    }

    @Test func aCircomSystemSetsUpFromACeremonyProvesAndVerifies() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let (r1csBytes, wtnsBytes) = try Self.chain(steps: 40, a: 3, b: 7)
        try Data(r1csBytes).write(to: URL(fileURLWithPath: file("chain.r1cs")))
        try Data(wtnsBytes).write(to: URL(fileURLWithPath: file("chain.wtns")))
        let (r1cs, wtns) = (file("chain.r1cs"), file("chain.wtns"))
        #expect(
            try run([
                "groth16-setup", "--r1cs", r1cs, "--insecure-seed", "3", "--vk", file("vk.json"), "--pk",
                file("pk.bin"),
            ])
            .status == 0)
        let proved = try run([
            "groth16-prove", "--r1cs", r1cs, "--wtns", wtns, "--pk", file("pk.bin"), "--proof",
            file("proof.json"),
            "--public", file("public.json"),
        ])
        #expect(proved.status == 0, "\(proved.stderrText)")
        #expect(
            try run([
                "verify-groth16", "--vk", file("vk.json"), "--proof", file("proof.json"), "--public",
                file("public.json"),
            ])
            .status == 0)
        // From a (test) ceremony file: --ptau draws δ and uses the ceremony's τ, α, β.
        let seeds = ToxicWaste.seeded(5)
        let ceremony = PowersOfTauWriter(power: 6, tau: seeds.tau, alpha: seeds.alpha, beta: seeds.beta)
        try Data(ceremony.fileBytes()).write(to: URL(fileURLWithPath: file("pot6.ptau")))
        let fromCeremony = try run([
            "groth16-setup", "--r1cs", r1cs, "--ptau", file("pot6.ptau"), "--vk", file("vk2.json"), "--pk",
            file("pk2.bin"),
        ])
        #expect(fromCeremony.status == 0, "\(fromCeremony.stderrText)")
        #expect(fromCeremony.stdoutText.contains("ceremony"))
        #expect(
            try run([
                "groth16-prove", "--r1cs", r1cs, "--wtns", wtns, "--pk", file("pk2.bin"), "--proof",
                file("proof2.json"),
                "--public", file("public2.json"),
            ]).status == 0)
        #expect(
            try run([
                "verify-groth16", "--vk", file("vk2.json"), "--proof", file("proof2.json"), "--public",
                file("public.json"),
            ])
            .status == 0)
        // A ceremony too small for the circuit is refused with both sizes.
        let tiny = PowersOfTauWriter(power: 3, tau: seeds.tau, alpha: seeds.alpha, beta: seeds.beta)
        try Data(tiny.fileBytes()).write(to: URL(fileURLWithPath: file("pot3.ptau")))
        let refused = try run([
            "groth16-setup", "--r1cs", r1cs, "--ptau", file("pot3.ptau"), "--vk", file("v.json"), "--pk",
            file("p.bin"),
        ])
        #expect(refused.status == 2)
        #expect(refused.stderrText.contains("2^3"), "\(refused.stderrText)")
        // A truncated witness is malformed input, named.
        try Data(wtnsBytes.prefix(wtnsBytes.count - 5)).write(to: URL(fileURLWithPath: file("short.wtns")))
        let short = try run([
            "groth16-prove", "--r1cs", r1cs, "--wtns", file("short.wtns"), "--pk", file("pk.bin"), "--proof",
            file("p.json"), "--public", file("q.json"),
        ])
        #expect(short.status == 2)
        #expect(short.stderrText.contains("short.wtns"), "\(short.stderrText)")
    }
}
