import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs the built `mesh-validator` binary for the ledger's CLI tests.
enum LedgerCLI {
    /// The `mesh-validator` executable beside the test bundle (Linux: the build products
    /// directory; macOS: the directory holding the .xctest bundle), or `MESH_VALIDATOR_BIN`.
    static func binary() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["MESH_VALIDATOR_BIN"] {
            return URL(fileURLWithPath: env)
        }
        var searched: [String] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("mesh-validator")
            searched.append(candidate.path)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent(
                "mesh-validator")
            searched.append(candidate.path)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CLIError(
            "mesh-validator binary not found next to the test bundle (searched \(searched)); "
                + "build it first (`swift build`) or set MESH_VALIDATOR_BIN")
    }

    struct CLIError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `mesh-validator ledger <args>` to completion (``runProcess``: at most its timeout).
    static func run(_ args: [String], stdin: Data? = nil) throws -> Result {
        let output = try runProcess(try binary().path, ["ledger"] + args, input: stdin ?? Data())
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderrText)
    }

    final class DataBox: @unchecked Sendable {
        private let lock = NSLock()
        private var _data = Data()
        private var _done = false
        var data: Data {
            get { lock.withLock { _data } }
            set {
                lock.withLock {
                    _data = newValue; _done = true
                }
            }
        }
        var done: Bool { lock.withLock { _done } }
    }
}

@Suite("Ledger CLI", .serialized)
struct LedgerCLITests {
    @Test(
        "verify-inclusion and verify-consistency give each probe its exit code (0 valid, 1 invalid, 2 malformed)"
    )
    func probes() throws {
        for kind in ["inclusion", "consistency"] {
            let dir = RepoPaths.fixture("ledger/probes/\(kind)")
            let manifest = try JSONSerialization.jsonObject(
                with: Data(contentsOf: dir.appendingPathComponent("MANIFEST.json")))
            let probes = try #require(manifest as? [[String: String]])
            #expect(probes.count > 20)
            for probe in probes {
                let file = try #require(probe["file"]), want = try #require(probe["want"])
                let r = try LedgerCLI.run(["verify-\(kind)", dir.appendingPathComponent(file).path])
                let expected: Int32 = want == "valid" ? 0 : want == "invalid" ? 1 : 2
                #expect(r.status == expected, "\(kind)/\(file): exit \(r.status), stderr \(r.stderr)")
                if expected != 0 { #expect(!r.stderr.isEmpty, "\(kind)/\(file) gives a reason") }
            }
        }
    }

    @Test(
        "append, checkpoint, prove-inclusion → verify-inclusion, prove-consistency → verify-consistency, tile, verify"
    )
    func roundTrip() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "ledger-cli")
        let db = dir.appendingPathComponent("l.sqlite").path
        let key = dir.appendingPathComponent("log.key").path
        let keygen = try LedgerCLI.run(["keygen", "--name", "cli.mesh/ledger", "--out", key])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let vkey = keygen.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(vkey.hasPrefix("cli.mesh/ledger+"))
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        var files: [String] = []
        for i in 0..<300 {
            let f = dir.appendingPathComponent("e\(i)").path
            try Data("cli entry \(i)".utf8).write(to: URL(fileURLWithPath: f))
            files.append(f)
        }
        let a1 = try LedgerCLI.run(["append", "--db", db, "--key", key] + Array(files[0..<100]))
        #expect(a1.status == 0, "\(a1.stderr)")
        let checkpoint100 = try LedgerCLI.run(["checkpoint", "--db", db])
        #expect(checkpoint100.out.hasPrefix("cli.mesh/ledger\n100\n"))
        let a2 = try LedgerCLI.run(["append", "--db", db, "--key", key] + Array(files[100...]))
        #expect(a2.status == 0, "\(a2.stderr)")
        #expect(a2.out.split(separator: "\n").last?.hasPrefix("299 ") == true)

        let proof = try LedgerCLI.run(["prove-inclusion", "--db", db, "--index", "123", "--size", "250"])
        #expect(proof.status == 0, "\(proof.stderr)")
        let proofFile = dir.appendingPathComponent("incl.json")
        try proof.stdout.write(to: proofFile)
        #expect(try LedgerCLI.run(["verify-inclusion", proofFile.path]).status == 0)
        #expect(try LedgerCLI.run(["verify-inclusion", "-"], stdin: proof.stdout).status == 0)
        // Change the index in the JSON: now invalid.
        let changed = proof.out.replacingOccurrences(of: "\"leafIdx\" : 123", with: "\"leafIdx\" : 122")
        #expect(changed != proof.out)
        #expect(try LedgerCLI.run(["verify-inclusion", "-"], stdin: Data(changed.utf8)).status == 1)

        let cons = try LedgerCLI.run(["prove-consistency", "--db", db, "--old", "100"])
        #expect(cons.status == 0, "\(cons.stderr)")
        #expect(try LedgerCLI.run(["verify-consistency", "-"], stdin: cons.stdout).status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: cons.stdout) as? [String: Any])
        #expect(json["size1"] as? Int == 100 && json["size2"] as? Int == 300)
        // The old root matches the first checkpoint's root line.
        #expect(checkpoint100.out.split(separator: "\n")[2] == (json["root1"] as? String ?? "").prefix(44))

        // Bad proof requests: clear errors, no output.
        for bad in [
            ["--index", "300"], ["--index", "5", "--size", "301"], ["--index", "10", "--size", "10"],
        ] {
            let r = try LedgerCLI.run(["prove-inclusion", "--db", db] + bad)
            #expect(r.status == 2 && r.stdout.isEmpty && r.stderr.contains("size"), "\(bad): \(r.stderr)")
        }
        #expect(try LedgerCLI.run(["prove-consistency", "--db", db, "--old", "301"]).status == 2)

        let bundle = try LedgerCLI.run(["tile", "--db", db, "tile/entries/001.p/44"])
        #expect(bundle.status == 0 && bundle.stdout.prefix(2) == Data([0, 13]))
        let tile = try LedgerCLI.run(["tile", "--db", db, "tile/0/000"])
        #expect(tile.status == 0 && tile.stdout.count == 8192)

        let checkpointFile = dir.appendingPathComponent("cp.txt")
        try checkpoint100.stdout.write(to: checkpointFile)
        let verify = try LedgerCLI.run([
            "verify", "--db", db, "--checkpoint", checkpointFile.path, "--key", vkey,
        ])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.out.contains("300 entries"))
        let otherKey = try LedgerCLI.run(["keygen", "--name", "cli.mesh/ledger", "--out", key + "2"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let wrong = try LedgerCLI.run([
            "verify", "--db", db, "--checkpoint", checkpointFile.path, "--key", otherKey,
        ])
        #expect(wrong.status == 1)
        #expect(try LedgerCLI.run(["verify", "--db", dir.appendingPathComponent("none").path]).status == 2)

        // Damage the file itself: change one byte of entry 200's text in the database file.
        let url = URL(fileURLWithPath: db)
        var bytes = try Data(contentsOf: url)
        let needle = Data("cli entry 200".utf8)
        let at = try #require(
            bytes.range(of: needle), "entry text is stored in the main file after checkpointing")
        bytes[at.upperBound - 1] = UInt8(ascii: "9")
        try bytes.write(to: url)
        let damaged = try LedgerCLI.run(["verify", "--db", db])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("first corrupted entry: 200"), "\(damaged.stderr)")
    }

    @Test("ledger key prints the recorded key; verify fails without checkpoints or under a forged one")
    func anchors() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "ledger-anchor")
        let db = dir.appendingPathComponent("l.sqlite").path
        let key = dir.appendingPathComponent("log.key").path
        let vkey = try LedgerCLI.run(["keygen", "--name", "anchor.mesh/ledger", "--out", key]).out
        let entry = dir.appendingPathComponent("e").path
        try Data("anchored entry".utf8).write(to: URL(fileURLWithPath: entry))
        #expect(try LedgerCLI.run(["append", "--db", db, "--key", key, entry, entry]).status == 0)
        let printed = try LedgerCLI.run(["key", "--db", db])
        #expect(printed.status == 0 && printed.out == vkey, "\(printed.out) vs \(vkey)")
        #expect(try LedgerCLI.run(["verify", "--db", db, "--quiet"]).status == 0)

        // Another key under the same name: the stored checkpoint does not verify under it.
        let other = try LedgerCLI.run(["keygen", "--name", "anchor.mesh/ledger", "--out", key + "2"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let forged = try LedgerCLI.run(["verify", "--db", db, "--key", other, "--quiet"])
        #expect(forged.status == 1 && forged.stderr.contains("signed checkpoint #1"), "\(forged.stderr)")

        // Every stored checkpoint deleted (with the sqlite3 module, as an attacker would).
        let sql =
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM checkpoints'); c.commit()"
        let py = try runPython(["-c", sql, db])
        #expect(py.status == 0, "\(py.stderrText)")
        let bare = try LedgerCLI.run(["verify", "--db", db, "--quiet"])
        #expect(bare.status == 1 && bare.stderr.contains("no signed checkpoint"), "\(bare.stderr)")
        #expect(try LedgerCLI.run(["key", "--db", dir.appendingPathComponent("none").path]).status == 2)
    }

    @Test("Crash safety: SIGKILL the appending process at random moments; every acknowledged append survives")
    func crashSafety() throws {
        let dir = try RepoPaths.temporaryDirectory(prefix: "ledger-crash")
        let db = dir.appendingPathComponent("crash.sqlite").path
        let key = dir.appendingPathComponent("log.key").path
        #expect(try LedgerCLI.run(["keygen", "--name", "crash.mesh/ledger", "--out", key]).status == 0)
        var acked: [UInt64: String] = [:]
        var killedWhileRunning = 0
        var rng = SystemRandomNumberGenerator()
        let deadline = Date().addingTimeInterval(24)
        var rounds = 0
        while rounds < 40, Date() < deadline || rounds < 6 {
            rounds += 1
            let p = Process()
            p.executableURL = try LedgerCLI.binary()
            p.arguments = [
                "ledger", "stress-append", "--db", db, "--key", key, "--count", "10000000", "--concurrency",
                "64",
                "--sign-every", "300",
            ]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            let box = LedgerCLI.DataBox()
            try p.run()
            let reader = Thread { box.data = out.fileHandleForReading.readDataToEndOfFile() }
            reader.start()
            usleep(UInt32.random(in: 150_000...900_000, using: &rng))
            if p.isRunning { killedWhileRunning += 1 }
            kill(p.processIdentifier, SIGKILL)
            p.waitForExit()
            while !box.done { usleep(1000) }
            // Only complete lines count: the line is written after the append was acknowledged.
            let text = String(decoding: box.data, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if !text.hasSuffix("\n") { lines.removeLast() }
            for line in lines where !line.isEmpty {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let index = UInt64(parts[0]), parts[1].count == 64 else {
                    Issue.record("bad line \(line)")
                    continue
                }
                #expect(acked[index] == nil, "index \(index) acknowledged twice")
                acked[index] = String(parts[1])
            }
        }
        #expect(killedWhileRunning >= 3, "the child must be killed mid-run")
        #expect(acked.count > 100, "appends were acknowledged (\(acked.count) in \(rounds) rounds)")

        let verify = try LedgerCLI.run(["verify", "--db", db])
        #expect(verify.status == 0, "\(verify.stderr)")
        let stored = try LedgerCLI.run(["leaf-hashes", "--db", db])
        #expect(stored.status == 0)
        var present: [UInt64: Substring] = [:]
        for line in stored.out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let i = UInt64(parts[0]) { present[i] = parts[1] }
        }
        var missing = 0
        for (index, hash) in acked where present[index].map(String.init) != hash {
            missing += 1
            if missing <= 5 { Issue.record("acknowledged entry \(index) is missing or changed") }
        }
        #expect(missing == 0, "\(missing) of \(acked.count) acknowledged appends lost")
        // Checkpoints signed across crashes are all consistent with the recovered tree.
        #expect(verify.out.contains("checkpoints"))
    }
}

@Suite("ledger migrate")
struct LedgerMigrateCLITests {
    @Test("Malformed sides and a directory that is not a validator's exit 2 with the reason")
    func refusals() throws {
        let bad = try LedgerCLI.run(["migrate", "--from", "mysql:x", "--to", "postgres:postgres://u@h/db"])
        #expect(bad.status == 2 && bad.stderr.contains("--from must be sqlite:DIR"), "\(bad.stderr)")
        let badURL = try LedgerCLI.run(["migrate", "--from", "sqlite:/tmp", "--to", "postgres:http://h/db"])
        #expect(badURL.status == 2 && badURL.stderr.contains("bad PostgreSQL URL"), "\(badURL.stderr)")
        let dir = try RepoPaths.temporaryDirectory(prefix: "ledger-migrate")
        let notValidator = try LedgerCLI.run([
            "migrate", "--from", "sqlite:\(dir.path)", "--to", "postgres:postgres://u@127.0.0.1:1/db",
        ])
        #expect(notValidator.status == 2, "\(notValidator.stderr)")
        #expect(notValidator.stderr.contains("ledger.sqlite does not exist"), "\(notValidator.stderr)")
    }
}
