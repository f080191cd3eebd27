import Foundation
import TestSupport
import Testing

/// `mesh-validator proof verify-groth16` on the real snarkjs triples: exit 0 valid, 1 invalid with
/// the reason, 2 malformed with what is wrong (specs/groth16.md §7), and `--json`.
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
