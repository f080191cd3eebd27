import Foundation
import TestSupport
import Testing

/// `mesh-validator proof prove|verify|info` on the seeded conformance circuit with a derived
/// stage (no model needed): the exit codes of specs/proofs.md §8 — 0 valid, 1 invalid with the
/// reason, 2 malformed proof, tensor or circuit — and a reason on stderr for every rejection.
@Suite(.enabled(if: builtExecutable() != nil, "needs the built mesh-validator binary"))
struct ProofCLITests {
    let binary = builtExecutable()
    let circuit = RepoPaths.root().appendingPathComponent("Circuits/dense-16x16-residual-test.json").path
    let vector = RepoPaths.fixture("proofs/dense-16x16-residual-test")

    func run(_ args: [String]) throws -> ProcessOutput {
        try runProcess(try #require(binary).path, ["proof"] + args)
    }

    func verify(input: String, output: String, proof: String, circuit: String? = nil) throws -> ProcessOutput
    {
        try run([
            "verify", "--circuit", circuit ?? self.circuit, "--in", input, "--out", output, "--proof", proof,
        ])
    }

    @Test func proveAndVerifyGiveTheSpecifiedExitCodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "proof-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = vector.appendingPathComponent("input.mvt").path
        let y = dir.appendingPathComponent("y.mvt").path
        let proof = dir.appendingPathComponent("proof.bin").path

        // prove: Y is the kernel's output (the vector's), the proof is the vector's bytes.
        let proved = try run(["prove", "--circuit", circuit, "--in", x, "--out", y, "--proof", proof])
        #expect(proved.status == 0, "\(proved.stderrText)")
        #expect(proved.stdoutText.contains("\"proofBytes\""))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: y))
                == Data(contentsOf: vector.appendingPathComponent("output.mvt")))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: proof))
                == Data(contentsOf: vector.appendingPathComponent("proof.bin")))
        let valid = try verify(input: x, output: y, proof: proof)
        #expect(valid.status == 0, "\(valid.stderrText)")
        #expect(valid.stdoutText.hasPrefix("valid:"))

        // 1: the last output element off by one.
        var yBytes = try Data(contentsOf: URL(fileURLWithPath: y))
        yBytes[yBytes.count - 4] &+= 1
        let badY = dir.appendingPathComponent("y-bad.mvt").path
        try yBytes.write(to: URL(fileURLWithPath: badY))
        let invalid = try verify(input: x, output: badY, proof: proof)
        #expect(invalid.status == 1)
        #expect(invalid.stderrText.contains("invalid"), "\(invalid.stderrText)")

        // 2: a truncated proof, a truncated tensor, a missing file, a malformed circuit, an input
        // of the wrong width.
        let proofBytes = try Data(contentsOf: URL(fileURLWithPath: proof))
        let shortProof = dir.appendingPathComponent("short.bin").path
        try proofBytes.prefix(60).write(to: URL(fileURLWithPath: shortProof))
        let shortY = dir.appendingPathComponent("short.mvt").path
        try Data(contentsOf: URL(fileURLWithPath: y)).dropLast(3).write(to: URL(fileURLWithPath: shortY))
        let badCircuit = dir.appendingPathComponent("circuit.json").path
        try Data(#"{"format": "mesh-validator/circuit/v1", "name": "x"}"#.utf8).write(
            to: URL(fileURLWithPath: badCircuit))
        let narrowX = RepoPaths.fixture("proofs/dense-16x8-test/output.mvt").path  // [2, 8]
        let cases: [(String, ProcessOutput, String)] = [
            ("truncated proof", try verify(input: x, output: y, proof: shortProof), "truncated proof"),
            ("truncated tensor", try verify(input: x, output: shortY, proof: proof), shortY),
            ("missing proof", try verify(input: x, output: y, proof: dir.path + "/none.bin"), "no such file"),
            (
                "malformed circuit", try verify(input: x, output: y, proof: proof, circuit: badCircuit),
                badCircuit
            ),
            ("input of the wrong width", try verify(input: narrowX, output: y, proof: proof), "input"),
        ]
        for (what, result, reason) in cases {
            #expect(result.status == 2, "\(what): exit \(result.status), \(result.stderrText)")
            #expect(result.stderrText.contains(reason), "\(what): \(result.stderrText)")
        }
    }

    @Test func infoPrintsTheLayoutAndSoundness() throws {
        let out = try run(["info", "--circuit", circuit])
        #expect(out.status == 0, "\(out.stderrText)")
        let json = try #require(try JSONSerialization.jsonObject(with: out.stdout) as? [String: Any])
        #expect(json["id"] as? String == "d99146e0001374b2fdb16c9f233d0eb042d38930db3a75a4379a506d885bf1ef")
        let stages = try #require(json["stages"] as? [[String: Any]])
        #expect(stages.count == 1)
        #expect(stages.first?["accumulator"] as? String == "derived")
        #expect(json["fixedProofBytes"] as? Int == 43 + 13 + 1 + 48 * 4)
        #expect((json["soundnessBitsAtMaxTokens"] as? Double ?? 0) > 100)
    }
}
