import Foundation
import Ledger
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Validator

/// The failover test of issue 16: three `mesh-validator serve` processes on one PostgreSQL
/// database (specs/service.md §8), a client sending jobs and receipts to whichever process is up,
/// and the leader SIGKILLed at a random moment in each round. After every round a survivor leads
/// and its checkpoint is consistent with the last one the killed leader served; after all rounds
/// every acknowledged job and receipt is stored, every job settled once, and the log passes
/// `ledger verify`, `audit balances` and `audit settlements`.
///
/// `MESH_FAILOVER_ROUNDS` (default 5) and `MESH_FAILOVER_SEED` (default: drawn and printed) set
/// the run; `MESH_FAILOVER_REPORT` names a file that receives the takeover times as JSON
/// (scripts/failover.sh runs longer rounds and prints them).
@Suite(
    .serialized,
    .enabled(if: ServeBinary.url != nil, "needs the built mesh-validator binary"),
    .enabled(
        if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
        "a cluster needs PostgreSQL: \(PostgresTestServer.missingNote)"))
struct FailoverTests {
    let orchestrator = SchnorrSigningKey.generate()
    let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }
    static let processes = 3
    static let jobsPerRound = 6

    /// One job's requests, prepared before the round so the kill lands among HTTP requests only.
    struct PreparedJob {
        var id: Digest32
        var announcement: Data
        /// The receipt digests and bodies of nodes 0, 1, 2.
        var receipts: [(digest: String, body: Data)]
        var wrongNode: Int?
    }

    /// The members of `GET /v1/entries/{index}` the final check reads.
    struct EntryHeader: Decodable {
        var type: String
        var node: String?
        var job: String?
    }

    /// The three processes; a slot is `nil` while its process is dead.
    final class Processes: Sendable {
        let binary: URL
        let configs: [URL]
        private let slots: Mutex<[ServeProcess?]>

        init(binary: URL, configs: [URL]) throws {
            self.binary = binary
            self.configs = configs
            var started: [ServeProcess?] = []
            // The first one takes the lease before it listens; the others then follow.
            for config in configs {
                started.append(
                    try ServeProcess(
                        binary: binary, config: config, log: config.appendingPathExtension("log")))
            }
            slots = Mutex(started)
        }

        var alivePorts: [Int] { slots.withLock { $0.compactMap { $0?.port } } }
        func port(_ i: Int) -> Int? { slots.withLock { $0[i]?.port } }

        /// SIGKILLs process `i` (waits for it to die).
        func kill(_ i: Int) {
            let victim = slots.withLock { s -> ServeProcess? in
                defer { s[i] = nil }
                return s[i]
            }
            victim?.kill9()
        }

        func restart(_ i: Int) throws {
            let process = try ServeProcess(
                binary: binary, config: configs[i], log: configs[i].appendingPathExtension("log"))
            slots.withLock { $0[i] = process }
        }

        /// Waits up to `timeout` for process `i` to exit by itself; its exit status (the slot is
        /// emptied).
        func exited(_ i: Int, timeout: Duration) async throws -> Int32 {
            guard let serve = slots.withLock({ $0[i] }) else {
                throw ValidatorError.unavailable("process v\(i) is not running")
            }
            let end = ContinuousClock.now + timeout
            while serve.process.isRunning {
                guard ContinuousClock.now < end else {
                    throw ValidatorError.unavailable("process v\(i) still runs after \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            slots.withLock { $0[i] = nil }
            return serve.process.terminationStatus
        }

        /// SIGTERMs every live process; their exit statuses.
        func stopAll() -> [Int32] {
            let all = slots.withLock { s -> [ServeProcess] in
                defer { s = s.map { _ in nil } }
                return s.compactMap { $0 }
            }
            return all.map { $0.terminate() }
        }

        func status(_ i: Int) -> StatusView? {
            guard let port = port(i), let r = try? LoopbackHTTPClient(port: port).get("/v1/status"),
                r.status == 200
            else { return nil }
            return try? JSONDecoder().decode(StatusView.self, from: r.body)
        }

        /// The process that reports `role == leader`, polled every 10 ms for up to `timeout`. A
        /// status request that takes over 2 s counts as no answer (and is printed: `/v1/status`
        /// reads the database, and this is the place a slow one shows).
        ///
        /// The timeout runs out only after 100 polls too: on a machine loaded by the rest of the
        /// suite this task can wait seconds for a thread between polls, which is not the cluster's
        /// time to take over.
        func leader(timeout: Duration) async throws -> Int {
            let end = ContinuousClock.now + timeout
            var polls = 0
            while ContinuousClock.now < end || polls < 100 {
                polls += 1
                for i in configs.indices {
                    guard let answer = finishing(within: 2, { [self] in status(i) }) else {
                        print("failover: v\(i) took over 2 s to answer GET /v1/status")
                        continue
                    }
                    if case .success(let view) = answer, view?.role == "leader" { return i }
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            // Say what each process answered and logged, for the CI log.
            var report = ""
            for i in configs.indices {
                let log =
                    (try? String(contentsOf: configs[i].appendingPathExtension("log"), encoding: .utf8)) ?? ""
                report +=
                    "\nv\(i): port \(port(i).map(String.init) ?? "dead"), role \(status(i)?.role ?? "no answer"); "
                    + "log tail: \(log.suffix(1200))"
            }
            throw ValidatorError.unavailable("no process leads within \(timeout)\(report)")
        }

        /// Sends `body` to live processes in turn from `start` until one answers below 500;
        /// `nil` when none did within about 30 s (connections to a killed process fail at once).
        func post(_ path: String, _ body: Data, start: Int) -> LoopbackHTTPClient.Response? {
            for attempt in 0..<1500 {
                let ports = alivePorts
                if !ports.isEmpty,
                    let r = try? LoopbackHTTPClient(port: ports[(start + attempt) % ports.count])
                        .post(path, json: body), r.status < 500
                {
                    return r
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return nil
        }
    }

    /// The cluster's configurations: one identity and checkpoint key, one database, a name each.
    /// The validator is bonded at genesis (minValidatorBond), so its re-executions earn `validation` entries, the
    /// evidence `audit settlements` looks for (specs/karma.md §5.8).
    func writeConfigs(_ dir: URL, url: String) throws -> [URL] {
        let identity = SchnorrSigningKey.generate()
        return try (0..<Self.processes).map { i in
            let config: [String: Any] = [
                "listen": ["host": "127.0.0.1", "port": 0],
                "identityKey": ["hex": Hex.encode(identity.rawRepresentation)],
                "genesis": [["node": identity.publicKey.hex, "balance": 0, "bonded": 20_000_000_000]],
                "checkpointKey": ["hex": String(repeating: "6d", count: 32)],
                "orchestrators": [orchestrator.publicKey.hex],
                "storage": ["postgres": ["url": url, "pool": 4]],
                "cluster": ["name": "v\(i)"],
                "settlement": ["mode": "re-execute", "sweepIntervalMs": 20],
                "logLevel": "notice", "tinyModel": true,
            ]
            let file = dir.appendingPathComponent("v\(i).json")
            try JSONSerialization.data(withJSONObject: config).write(to: file)
            return file
        }
    }

    func prepare(_ n: Int, executor: KernelShardExecutor, model: Digest32) async throws -> PreparedJob {
        let input = try KernelShardExecutor.tokenTensor((0..<5).map { Int32(($0 * 5 + n) % 64) })
        let honest = try await executor.execute(modelID: model, layers: 0..<2, input: input)
        let id = TaggedHash.hash(tag: "test/failover", Data("\(n)-\(UUID())".utf8))
        let a = JobAnnouncement(
            jobID: id, modelID: model, layerStart: 0, layerEnd: 2,
            inputCommitment: try executor.commitment(ofTensor: input), nodes: nodes.map(\.publicKey),
            deadlineMs: ValidatorCore.systemNowMs() + 600_000, slaMs: 1000,
            orchestrator: orchestrator.publicKey)
        let wrongNode = n % 4 == 0 ? 2 : nil
        var receipts: [(String, Data)] = []
        for i in 0..<3 {
            let out = i == wrongNode ? KernelShardExecutor.perturb(honest.output)! : honest.output
            let receipt = Receipt(
                jobID: id, modelID: model, layerStart: 0, layerEnd: 2, inputCommitment: a.inputCommitment,
                outputCommitment: try executor.commitment(ofTensor: out), node: nodes[i].publicKey,
                startedAtMs: 1, finishedAtMs: 2, sequence: UInt64(n))
            receipts.append(
                (
                    receipt.digest.hex,
                    ReceiptSubmission(signed: try .sign(receipt, with: nodes[i]), output: out).json()
                ))
        }
        return PreparedJob(
            id: id,
            announcement: JobSubmission(signed: try .sign(a, with: orchestrator), input: input).json(),
            receipts: receipts, wrongNode: wrongNode)
    }

    static func checkpoint(_ port: Int, verifier: NoteVerifier) throws -> Checkpoint {
        let r = try LoopbackHTTPClient(port: port).get("/checkpoint")
        guard r.status == 200 else {
            throw ValidatorError.unavailable("GET /checkpoint: \(r.status) \(r.text)")
        }
        return try Checkpoint.open(note: r.text, verifier: verifier)
    }

    @Test func sigkilledLeadersLoseNothingAndSettleEachJobOnce() async throws {
        let binary = try #require(ServeBinary.url)
        let env = ProcessInfo.processInfo.environment
        let rounds = env["MESH_FAILOVER_ROUNDS"].flatMap(Int.init) ?? 5
        let seed = env["MESH_FAILOVER_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("failover: \(rounds) rounds, MESH_FAILOVER_SEED=\(seed)")
        var rng = SeededRandom(seed: seed)
        let url = try PostgresTestServer.freshDatabase()
        let dir = try RepoPaths.temporaryDirectory(prefix: "failover")
        let configs = try writeConfigs(dir, url: url)
        // Blocking work (child processes, sockets) runs on threads of its own (`onThread`).
        let cluster = try await onThread { try Processes(binary: binary, configs: configs) }
        defer { _ = cluster.stopAll() }
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        let model = try KernelShardExecutor.tinyModel().id

        var leader = try await cluster.leader(timeout: .seconds(30))
        let leaderPort = try #require(cluster.port(leader))
        let vkey = try await onThread { try LoopbackHTTPClient(port: leaderPort).get("/checkpoint.vkey") }
            .text
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let verifier = try NoteVerifier(verifierKey: vkey)
        let first = leader
        let initialSize = try #require(try await onThread { cluster.status(first) }).ledgerSize

        var jobs: [PreparedJob] = []
        let ackedJobs = Mutex<[Digest32]>([])
        let ackedReceipts = Mutex<[(job: Digest32, digest: String)]>([])
        var takeovers: [Double] = []
        for round in 0..<rounds {
            var batch: [PreparedJob] = []
            for k in 0..<Self.jobsPerRound {
                batch.append(
                    try await prepare(round * Self.jobsPerRound + k, executor: executor, model: model))
            }
            jobs += batch
            let roundJobs = batch
            let beforePort = try #require(cluster.port(leader))
            let before = try await onThread { try Self.checkpoint(beforePort, verifier: verifier) }
            // The kill lands after a random number of this round's acknowledgements.
            let requests = batch.count * 4
            let killAt = 1 + Int(rng.next() % UInt64(requests - 2))
            let acks = Atomic<Int>(0)
            let killedAt = Mutex<ContinuousClock.Instant?>(nil)
            let victim = leader
            let lanes = 3
            let starts = (0..<lanes).map { _ in Int(rng.next() % 97) }
            try await onThread {
                DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                    func acknowledged() {
                        if acks.add(1, ordering: .relaxed).newValue == killAt {
                            cluster.kill(victim)
                            killedAt.withLock { $0 = .now }
                        }
                    }
                    var start = starts[lane]
                    for job in roundJobs.enumerated().filter({ $0.offset % lanes == lane }).map(\.element) {
                        start += 1
                        guard let r = cluster.post("/v1/jobs", job.announcement, start: start),
                            (200..<300).contains(r.status)
                        else { continue }
                        ackedJobs.withLock { $0.append(job.id) }
                        acknowledged()
                        for receipt in job.receipts {
                            start += 1
                            guard let r = cluster.post("/v1/receipts", receipt.body, start: start),
                                (200..<300).contains(r.status)
                            else { continue }
                            ackedReceipts.withLock { $0.append((job.id, receipt.digest)) }
                            acknowledged()
                        }
                    }
                }
            }
            #expect(
                acks.load(ordering: .relaxed) == requests, "round \(round): every request is acknowledged")
            let killed = try #require(killedAt.withLock { $0 }, "round \(round): the leader was not killed")

            leader = try await cluster.leader(timeout: .seconds(30))
            let takeover = ContinuousClock.now - killed
            takeovers.append(
                Double(takeover.components.seconds) + Double(takeover.components.attoseconds) / 1e18)
            #expect(leader != victim)
            print(
                "failover round \(round): killed v\(victim) after \(killAt) of \(requests) acknowledgements; "
                    + "v\(leader) leads \(takeover) later")

            // The new leader's log extends the one the killed leader served.
            let port = try #require(cluster.port(leader))
            let after = try await onThread { try Self.checkpoint(port, verifier: verifier) }
            #expect(after.size >= before.size)
            let proof = try await onThread {
                try LoopbackHTTPClient(port: port).get(
                    "/v1/proofs/consistency?old=\(before.size)&new=\(after.size)")
            }
            #expect(proof.status == 200, "\(proof.text)")
            let document = try ConsistencyProofDocument(json: proof.body)
            #expect(document.root1 == before.rootHash && document.root2 == after.rootHash)
            #expect(document.verify() == .valid, "round \(round): checkpoints before and after the takeover")
            try await onThread { try cluster.restart(victim) }
        }

        // Every job settles, through whichever process is asked.
        var views: [Digest32: JobView] = [:]
        for job in jobs {
            let end = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < end {
                let ports = cluster.alivePorts
                let port = ports[views.count % ports.count]
                let r = try await onThread {
                    try LoopbackHTTPClient(port: port).get("/v1/jobs/\(job.id.hex)")
                }
                if r.status == 200 {
                    let view = try JSONDecoder().decode(JobView.self, from: r.body)
                    if view.status.isFinal {
                        views[job.id] = view
                        break
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(views[job.id] != nil, "job \(job.id.hex) never settled")
        }

        // Nothing acknowledged is lost.
        #expect(Set(ackedJobs.withLock { $0 }) == Set(jobs.map(\.id)))
        for (job, digest) in ackedReceipts.withLock({ $0 }) {
            #expect(
                views[job]?.receipts.contains { $0.receiptDigest == digest } == true, "receipt \(digest) lost"
            )
        }
        // Each job settled once: its own ledger entries, at most one inference entry per node,
        // the wrong node judged; the log holds nothing else.
        var indices = Set<UInt64>()
        for job in jobs {
            let s = try #require(views[job.id]?.settlement)
            var expected = ["agreed", "agreed", "agreed"]
            if let wrong = job.wrongNode { expected[wrong] = "wrongOutput" }
            #expect(s.outcomes.map(\.outcome) == expected)
            for entry in s.entries {
                #expect(indices.insert(entry.index).inserted, "ledger index \(entry.index) credited twice")
            }
            for node in nodes {
                #expect(
                    s.entries.filter { $0.node == node.publicKey.hex && $0.type == "inference" }.count <= 1)
            }
        }
        let last = try await cluster.leader(timeout: .seconds(30))
        let final = try #require(try await onThread { cluster.status(last) })
        // The log itself, entry by entry. No job is credited twice: one entry per job, type and
        // node. Besides the jobs' entries it holds only what the liveness sweep appends when a
        // heartbeat window ends (windows follow the wall clock, every 600 s, so a run that
        // crosses an end closes one): uptime credits, downtime slashes and their jails.
        let lastPort = try #require(cluster.port(last))
        let jobIDs = Set(jobs.map(\.id.hex))
        var claimed = Set<String>()
        var unexplained: [String] = []
        var unlisted: [String] = []
        for index in initialSize..<final.ledgerSize {
            let r = try await onThread { try LoopbackHTTPClient(port: lastPort).get("/v1/entries/\(index)") }
            let entry = try JSONDecoder().decode(EntryHeader.self, from: r.body)
            guard let job = entry.job else {
                if !["uptime", "slash/downtime", "jail"].contains(entry.type) {
                    unexplained.append("\(index): \(entry.type), about no job")
                }
                continue
            }
            if !jobIDs.contains(job) { unexplained.append("\(index): \(entry.type) of unknown job \(job)") }
            if !claimed.insert("\(job) \(entry.type) \(entry.node ?? "")").inserted {
                unexplained.append("\(index): a second \(entry.type) for \(entry.node ?? "-") in job \(job)")
            }
            if !indices.contains(index) {
                unlisted.append("\(index): \(entry.type) of job \(job.prefix(12))")
            }
        }
        #expect(
            unexplained.isEmpty,
            "the log holds the jobs' entries once each, and liveness entries: \(unexplained)")
        // Entries of a job that its stored settlement does not list (a job settled again after a
        // takeover, whose first settlement's entries were already in the log) are printed.
        if !unlisted.isEmpty {
            print(
                "failover: \(unlisted.count) entries in the log are not listed by their job's settlement: \(unlisted)"
            )
        }

        // A leader whose lease another holder takes while it runs (it paused longer than the
        // lease) exits non-zero for its supervisor to restart; another process leads after.
        let deposed = try await cluster.leader(timeout: .seconds(30))
        let link = try PostgresLink(url: url, size: 1)
        _ = try link.withConnection { c in
            try c.run(
                "UPDATE ledger_lease SET holder = 'intruder', token = token + 1, expires_at = now() + interval '1 second'",
                logger: link.logger)
        }
        #expect(
            try await cluster.exited(deposed, timeout: .seconds(30)) != 0, "a deposed leader exits non-zero")
        #expect(try await cluster.leader(timeout: .seconds(30)) != deposed)

        // Stopped cleanly, the last leader signs a checkpoint covering the whole log; the
        // auditor's tools, reading the database directly, agree with it.
        let statuses = try await onThread { cluster.stopAll() }
        #expect(statuses.allSatisfy { $0 == 0 }, "SIGTERM stops every process cleanly")
        for arguments in [
            ["ledger", "verify", "--db", url, "--key", vkey, "--quiet"],
            ["audit", "balances", "--db", url, "--key", vkey],
            ["audit", "settlements", "--db", url, "--key", vkey],
        ] {
            let run = try await onThread { try runProcess(binary.path, arguments) }
            #expect(run.status == 0, "\(arguments.prefix(2)): \(run.stdoutText) \(run.stderrText)")
            if arguments[1] == "settlements" { print(run.stdoutText) }
        }

        let summary: [String: Any] = ["seed": seed, "rounds": rounds, "takeoverSeconds": takeovers]
        print(
            "failover takeover seconds: \(takeovers.map { String(format: "%.2f", $0) }.joined(separator: " "))"
        )
        if let path = env["MESH_FAILOVER_REPORT"] {
            try JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: path))
        }
    }
}
