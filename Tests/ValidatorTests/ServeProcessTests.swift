import Foundation
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Validator

/// The built `mesh-validator` binary next to the test bundle (or `$MESH_VALIDATOR_BINARY`).
enum ServeBinary {
    static let url: URL? = {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["MESH_VALIDATOR_BINARY"],
            fm.isExecutableFile(atPath: path)
        {
            return URL(fileURLWithPath: path)
        }
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for dir in candidates {
            var d = dir
            for _ in 0..<4 {
                let candidate = d.appendingPathComponent("mesh-validator")
                if fm.isExecutableFile(atPath: candidate.path) { return candidate }
                d = d.deletingLastPathComponent()
            }
        }
        return nil
    }()
}

/// A `mesh-validator serve` child process.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int

    /// - Parameters:
    ///   - launcher: a command that execs the binary (e.g. `prlimit --nofile=256:256 --`).
    ///   - log: a file that receives the process's standard error (discarded when `nil`); its
    ///     tail is quoted when the process does not start.
    init(binary: URL, config: URL, launcher: [String] = [], log: URL? = nil) throws {
        if launcher.isEmpty {
            process.executableURL = binary
            process.arguments = ["serve", "--config", config.path]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = launcher + [binary.path, "serve", "--config", config.path]
        }
        let out = Pipe()
        process.standardOutput = out
        if let log {
            // Appended to, so a restarted process's log follows its predecessor's.
            guard
                FileManager.default.fileExists(atPath: log.path)
                    || FileManager.default.createFile(atPath: log.path, contents: nil)
            else {
                throw ValidatorError.unavailable("cannot create the log file \(log.path)")
            }
            let handle = try FileHandle(forWritingTo: log)
            try handle.seekToEnd()
            process.standardError = handle
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        // Read "listening on HOST:PORT" (at most 60 s).
        let found = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        let handle = out.fileHandleForReading
        Thread {  // not a GCD global queue, which adds threads only slowly while tests block
            var text = ""
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                    let port = Int(line.split(separator: ":").last ?? "")
                {
                    found.withLock { $0 = port }
                    break
                }
            }
            done.signal()
        }.start()
        _ = done.wait(timeout: .now() + 60)
        guard let port = found.withLock({ $0 }) else {
            process.terminate()
            let tail = log.flatMap { try? String(contentsOf: $0, encoding: .utf8) }.map {
                String($0.suffix(2000))
            }
            throw ValidatorError.unavailable(
                "mesh-validator serve did not report its port"
                    + (tail.map { "; its standard error: \($0)" } ?? ""))
        }
        self.port = port
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitForExit()
    }

    /// SIGTERM and wait for the exit, at most `grace` seconds; returns the exit status, or -1
    /// when the process was still running after `grace` (it is then SIGKILLed). A graceful
    /// shutdown that hangs fails its test (status ≠ 0) instead of hanging the suite.
    func terminate(grace: Double = 60) -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < end { usleep(10_000) }
        guard !process.isRunning else {
            kill9()
            return -1
        }
        return process.terminationStatus
    }
}

/// Crash safety of the real binary: SIGKILL mid-stream, restart, nothing acknowledged is lost and
/// nothing is credited twice (specs/service.md §4.6).
@Suite(.serialized, .enabled(if: ServeBinary.url != nil, "needs the built mesh-validator binary"))
struct ServeProcessTests {
    let orchestrator = SchnorrSigningKey.generate()
    let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }

    func writeConfig(_ dir: URL) throws -> URL {
        let config: [String: Any] = [
            "listen": ["host": "127.0.0.1", "port": 0],
            "dataDirectory": "data",
            "identityKey": ["hex": Hex.encode(SchnorrSigningKey.generate().rawRepresentation)],
            "checkpointKey": ["hex": String(repeating: "5c", count: 32)],
            "orchestrators": [orchestrator.publicKey.hex],
            "settlement": ["mode": "re-execute", "sweepIntervalMs": 20],
            "logLevel": "error", "tinyModel": true,
        ]
        let url = dir.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return url
    }

    struct Prepared {
        var jobID: Digest32
        var bodies: [(digest: String, body: Data)]
    }

    @Test func sigkillMidStreamLosesNoAcknowledgedReceiptAndCreditsNothingTwice() async throws {
        let binary = try #require(ServeBinary.url)
        let dir = try RepoPaths.temporaryDirectory(prefix: "serve-kill")
        let configURL = try writeConfig(dir)
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        let model = try KernelShardExecutor.tinyModel()

        var server = try await onThread { try ServeProcess(binary: binary, config: configURL) }
        var client = try LoopbackHTTPClient(port: server.port)
        // 24 jobs; node 2 is wrong on every third job.
        var jobs: [Prepared] = []
        for n in 0..<24 {
            let input = try KernelShardExecutor.tokenTensor((0..<5).map { Int32(($0 * 3 + n) % 64) })
            let honest = try await executor.execute(modelID: model.id, layers: 0..<2, input: input)
            let id = TaggedHash.hash(tag: "test/kill", Data("\(n)-\(UUID())".utf8))
            let a = JobAnnouncement(
                jobID: id, modelID: model.id, layerStart: 0, layerEnd: 2,
                inputCommitment: try executor.commitment(ofTensor: input), nodes: nodes.map(\.publicKey),
                deadlineMs: ValidatorCore.systemNowMs() + 600_000, slaMs: 1000,
                orchestrator: orchestrator.publicKey)
            let r = try client.post(
                "/v1/jobs", json: JobSubmission(signed: try .sign(a, with: orchestrator), input: input).json()
            )
            #expect(r.status == 201)
            var bodies: [(String, Data)] = []
            for i in 0..<3 {
                let out = (i == 2 && n % 3 == 0) ? KernelShardExecutor.perturb(honest.output)! : honest.output
                let receipt = Receipt(
                    jobID: id, modelID: model.id, layerStart: 0, layerEnd: 2,
                    inputCommitment: a.inputCommitment,
                    outputCommitment: try executor.commitment(ofTensor: out), node: nodes[i].publicKey,
                    startedAtMs: 1, finishedAtMs: 2, sequence: UInt64(n))
                bodies.append(
                    (
                        receipt.digest.hex,
                        ReceiptSubmission(signed: try .sign(receipt, with: nodes[i]), output: out).json()
                    ))
            }
            jobs.append(Prepared(jobID: id, bodies: bodies))
        }

        // Three senders (one connection each); SIGKILL once 30 receipts are acknowledged.
        let all = jobs.flatMap { job in job.bodies.map { (job.jobID, $0.digest, $0.body) } }
        let acked = Mutex<[(Digest32, String)]>([])
        let port = server.port
        let victim = server
        try await onThread {
            DispatchQueue.concurrentPerform(iterations: 3) { lane in
                guard let c = try? LoopbackHTTPClient(port: port) else { return }
                for k in stride(from: lane, to: all.count, by: 3) {
                    guard let r = try? c.post("/v1/receipts", json: all[k].2) else { return }
                    if (200..<300).contains(r.status) {
                        let count = acked.withLock { list in
                            list.append((all[k].0, all[k].1))
                            return list.count
                        }
                        if count == 30 { victim.kill9() }
                    }
                }
            }
        }
        let acknowledged = acked.withLock { $0 }
        #expect(acknowledged.count >= 30)
        #expect(acknowledged.count < all.count, "the kill came too late to interrupt the stream")

        // Restart: every acknowledged receipt is there.
        server = try await onThread { try ServeProcess(binary: binary, config: configURL) }
        client = try LoopbackHTTPClient(port: server.port)
        for (job, digest) in acknowledged {
            let view = try JSONDecoder().decode(
                JobView.self, from: try client.get("/v1/jobs/\(job.hex)").body)
            #expect(
                view.receipts.contains { $0.receiptDigest == digest }, "acknowledged receipt \(digest) lost")
        }

        // Replay everything, kill again mid-settlement, restart, let it finish.
        for (_, _, body) in all {
            let r = try client.post("/v1/receipts", json: body)
            #expect([200, 202, 409].contains(r.status), "\(r.text)")
        }
        server.kill9()
        server = try await onThread { try ServeProcess(binary: binary, config: configURL) }
        client = try LoopbackHTTPClient(port: server.port)
        var views: [JobView] = []
        for job in jobs {
            var view: JobView?
            for _ in 0..<3000 {
                let v = try JSONDecoder().decode(
                    JobView.self, from: try client.get("/v1/jobs/\(job.jobID.hex)").body)
                if v.status.isFinal {
                    view = v
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            views.append(try #require(view, "job \(job.jobID.hex) never settled"))
        }

        // Credited once: every ledger index belongs to one job, each node has at most one
        // inference entry per job, and the ledger holds exactly these entries.
        var indices = Set<UInt64>()
        for (n, view) in views.enumerated() {
            let s = try #require(view.settlement)
            #expect(
                s.outcomes.map(\.outcome)
                    == (n % 3 == 0 ? ["agreed", "agreed", "wrongOutput"] : ["agreed", "agreed", "agreed"]))
            for entry in s.entries {
                #expect(indices.insert(entry.index).inserted, "ledger index \(entry.index) credited twice")
            }
            for node in nodes {
                #expect(
                    s.entries.filter { $0.node == node.publicKey.hex && $0.type == "inference" }.count <= 1)
            }
        }
        let status = try JSONDecoder().decode(StatusView.self, from: try client.get("/v1/status").body)
        // The ledger opens with the karma parameters and the tiny model's registration.
        let preamble: UInt64 = 2
        #expect(status.ledgerSize == preamble + UInt64(indices.count))
        #expect(indices == Set(preamble..<(preamble + UInt64(indices.count))))
        if status.ledgerSize != preamble + UInt64(indices.count) {
            // Name the entries no settlement accounts for.
            for node in nodes + [orchestrator] {
                let history = try runProcess(
                    binary.path,
                    [
                        "audit", "history", "--db", dir.appendingPathComponent("data/ledger.sqlite").path,
                        "--node",
                        node.publicKey.hex,
                    ])
                Issue.record("history of \(node.publicKey.hex): \(history.stdoutText)")
            }
        }
        #expect(server.terminate() == 0, "SIGTERM must shut the server down cleanly")
    }
}
