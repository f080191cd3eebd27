import Foundation
import TestSupport
import Testing

/// The `mesh-validator` binary built beside this test bundle; fails the test when it is missing.
func meshValidator() throws -> String {
    try #require(
        builtExecutable()?.path,
        "mesh-validator was not built beside the test bundle (run `swift build` first)")
}

@Suite("CLI: keygen and receipt sign / verify")
struct ReceiptCLITests {
    let dir: URL

    init() throws { dir = try RepoPaths.temporaryDirectory(prefix: "receipt-cli") }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func unsigned() -> Data {
        let hex = { (b: String) in String(repeating: b, count: 32) }
        return Data(
            """
            {"version": 1, "jobId": "\(hex("0a"))", "modelId": "\(hex("0b"))", "layers": [0, 2],
             "inputCommitment": "\(hex("0c"))", "outputCommitment": "\(hex("0d"))",
             "startedAtMs": 1795000000000, "finishedAtMs": 1795000000050, "sequence": 1}
            """.utf8)
    }

    @Test func keygenSignVerifyAndExitCodes() throws {
        let bin = try meshValidator()
        let keygen = try runProcess(bin, ["keygen", "--out", path("node.key")])
        #expect(keygen.status == 0, "\(keygen.stderrText)")
        let pub = keygen.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pub.count == 64)
        let mode =
            try FileManager.default.attributesOfItem(atPath: path("node.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Never overwrites a key.
        let again = try runProcess(bin, ["keygen", "--out", path("node.key")])
        #expect(again.status == 2)
        #expect(again.stderrText.contains("already exists"))

        try unsigned().write(to: URL(fileURLWithPath: path("unsigned.json")))
        let sign = try runProcess(
            bin,
            [
                "receipt", "sign", "--key", path("node.key"), "--in", path("unsigned.json"), "--out",
                path("r.json"),
            ])
        #expect(sign.status == 0, "\(sign.stderrText)")
        let signedText = try String(contentsOfFile: path("r.json"), encoding: .utf8)
        #expect(signedText.contains(pub))

        let ok = try runProcess(bin, ["receipt", "verify", path("r.json")])
        #expect(ok.status == 0, "\(ok.stderrText)")

        // Invalid: a field changed after signing → exit 1 with the reason.
        try signedText.replacingOccurrences(of: "\"sequence\": 1", with: "\"sequence\": 2")
            .write(toFile: path("tampered.json"), atomically: true, encoding: .utf8)
        let bad = try runProcess(bin, ["receipt", "verify", path("tampered.json")])
        #expect(bad.status == 1)
        #expect(bad.stderrText.contains("signature does not verify"))

        // Malformed: exit 2 naming the problem; a missing file too.
        try Data(signedText.prefix(100).utf8).write(to: URL(fileURLWithPath: path("truncated.json")))
        let trunc = try runProcess(bin, ["receipt", "verify", path("truncated.json")])
        #expect(trunc.status == 2)
        #expect(trunc.stderrText.contains("malformed"))
        let missing = try runProcess(bin, ["receipt", "verify", path("nope.json")])
        #expect(missing.status == 2)
        #expect(missing.stderrText.contains("no such file"))

        // A directory is named as one, not as an NSCocoaErrorDomain code.
        let directory = try runProcess(bin, ["receipt", "verify", dir.path])
        #expect(directory.status == 2)
        #expect(directory.stderrText.contains("is a directory"), "\(directory.stderrText)")
        #expect(!directory.stderrText.contains("NSCocoaErrorDomain"))

        // Batch: the worst verdict wins; --json prints one object per line, one per file, in
        // argument order (malformed ones included).
        let batch = try runProcess(
            bin,
            ["receipt", "verify", "--json", path("tampered.json"), path("r.json"), dir.path, path("r.json")])
        #expect(batch.status == 2)
        let lines = String(decoding: batch.stdout, as: UTF8.self).split(separator: "\n")
        let verdicts = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(verdicts.map { $0["status"] as? String } == ["invalid", "valid", "malformed", "valid"])
        #expect(
            verdicts.map { $0["file"] as? String } == [
                path("tampered.json"), path("r.json"), dir.path, path("r.json"),
            ])
        #expect((verdicts[2]["reason"] as? String)?.contains("directory") == true)
    }

    @Test func hugeAndBinaryInputsAreMalformedNotCrashes() throws {
        let bin = try meshValidator()
        try Data(repeating: 0x7b, count: 1 << 20).write(to: URL(fileURLWithPath: path("huge.json")))
        let huge = try runProcess(bin, ["receipt", "verify", path("huge.json")])
        #expect(huge.status == 2)
        #expect(huge.stderrText.contains("limit"))
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(
            to: URL(fileURLWithPath: path("bin.json")))
        let binary = try runProcess(bin, ["receipt", "verify", path("bin.json")])
        #expect(binary.status == 2)
    }

    @Test func signRefusesAKeyThatIsNotTheReceiptsNode() throws {
        let bin = try meshValidator()
        _ = try runProcess(bin, ["keygen", "--out", path("a.key")])
        let other = String(
            repeating: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", count: 1)
        var text = String(decoding: unsigned(), as: UTF8.self)
        text = text.replacingOccurrences(
            of: "\"sequence\": 1", with: "\"sequence\": 1, \"node\": \"\(other)\"")
        try text.write(toFile: path("u.json"), atomically: true, encoding: .utf8)
        let sign = try runProcess(
            bin, ["receipt", "sign", "--key", path("a.key"), "--in", path("u.json"), "--out", path("o.json")])
        #expect(sign.status == 2)
        #expect(sign.stderrText.contains("node"))
        #expect(!FileManager.default.fileExists(atPath: path("o.json")))
    }
}
