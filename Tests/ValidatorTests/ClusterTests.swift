import Foundation
import Karma
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// Two validator processes (in this process, each with its own server, pools and karma book) on
/// one PostgreSQL database: the cluster of specs/service.md §8. The leader is the harness's
/// server ("A"); ``Peer`` is the second process ("B"). Lease timings are short so a takeover
/// happens within the test's patience: a 3 s lease renewed every 500 ms (room for a machine
/// loaded by the rest of the suite), followers polling every 50 ms.
@Suite(
    .serialized,
    .enabled(
        if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
        "a cluster needs PostgreSQL: \(PostgresTestServer.missingNote)"))
struct ClusterTests {
    static func settings(_ name: String) -> ValidatorConfig.Cluster {
        ValidatorConfig.Cluster(name: name, leaseMs: 3000, renewMs: 500, followMs: 50)
    }

    /// A second validator process on the harness's database.
    struct Peer {
        var server: RunningValidator
        var client: LoopbackHTTPClient

        /// - Parameter url: the database URL to use instead of the harness's (e.g. through a proxy).
        static func start(beside h: LiveHarness, name: String, url: String? = nil) async throws -> Peer {
            var config = h.config
            config.cluster = ClusterTests.settings(name)
            if let url { config.storage = .postgres(url: url, pool: 4) }
            config.dataDirectory = try RepoPaths.temporaryDirectory(prefix: "validator-peer").path
            let deps = try await ValidatorDependencies.open(config: config, executor: h.executor)
            let server = try await RunningValidator.start(
                config: config, dependencies: deps, logLevel: "error")
            return Peer(server: server, client: try LoopbackHTTPClient(port: server.port))
        }
    }

    /// Polls `condition` every 10 ms for up to `timeout`; the elapsed time when it held.
    @discardableResult
    static func eventually(
        _ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws -> Duration {
        let start = ContinuousClock.now
        var polls = 0
        // At least 200 polls too: on a machine loaded by the rest of the suite this task can wait
        // seconds for a thread between polls.
        while ContinuousClock.now - start < timeout || polls < 200 {
            polls += 1
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidatorError.unavailable("not within \(timeout): \(what)")
    }

    static func heartbeat(_ key: SchnorrSigningKey, sequence: UInt64) throws -> Data {
        try Signed.sign(
            Heartbeat(node: key.publicKey, timestampMs: ValidatorCore.systemNowMs(), sequence: sequence),
            with: key
        ).json()
    }

    static func errorBody(_ r: LoopbackHTTPClient.Response) throws -> ErrorBody {
        try JSONDecoder().decode(ErrorBody.self, from: r.body)
    }

    static func checkpoint(_ client: LoopbackHTTPClient, verifier: NoteVerifier) async throws -> Checkpoint {
        let r = try await client.send("GET", "/checkpoint")
        #expect(r.status == 200, "\(r.text)")
        return try Checkpoint.open(note: r.text, verifier: verifier, origin: "test.local/log")
    }

    static func account(_ client: LoopbackHTTPClient, _ key: SchnorrSigningKey) async throws -> NodeAccount? {
        let r = try await client.send("GET", "/v1/nodes/\(key.publicKey.hex)")
        return r.status == 200 ? try JSONDecoder().decode(NodeAccount.self, from: r.body) : nil
    }

    /// The follower ingests receipts and serves reads from the shared store and the log it
    /// follows; node requests, which write the log, are sent to the leader by name; a job whose
    /// receipts all went to the follower is settled by the leader. When the leader shuts down
    /// it hands the lease over: the follower leads, settles new jobs, and its first checkpoint
    /// is consistent with the last one the old leader signed.
    @Test func followerIngestsLeaderSettlesAndGracefulHandover() async throws {
        let bonded = SchnorrSigningKey.generate()
        let h = try await LiveHarness(
            genesis: [.init(node: bonded.publicKey.hex, balance: 0, bonded: 200_000_000)], backend: .postgres,
            cluster: Self.settings("A"))
        #expect(h.server.core.role == .leader)
        let b = try await Peer.start(beside: h, name: "B")
        try await Self.eventually("B follows A") { b.server.core.role == .follower(leader: "A") }
        let status = try JSONDecoder().decode(
            StatusView.self, from: try await b.client.send("GET", "/v1/status").body)
        #expect(status.role == "follower")
        let verifier = try NoteVerifier(verifierKey: status.checkpointKey)

        // Node requests write the log: the follower refuses them, naming the leader.
        let refused = try await b.client.send(
            "POST", "/v1/heartbeats", body: try Self.heartbeat(bonded, sequence: 1))
        #expect(refused.status == 503)
        #expect(refused.headers.first { $0.key.lowercased() == "retry-after" }?.value == "1")
        let error = try Self.errorBody(refused)
        #expect(error.error.code == "not-leader")
        #expect(error.error.message.contains("(A)"))
        let beat = try await h.client.send(
            "POST", "/v1/heartbeats", body: try Self.heartbeat(bonded, sequence: 1))
        #expect(beat.status == 202, "\(beat.text)")

        // Receipts split across the two processes; and a job announced and reported only at B.
        let split = try await h.announce()
        #expect(try await h.post(split, node: 0).status == 202)
        for i in 1..<3 {
            let r = try await b.client.send("POST", "/v1/receipts", body: try h.receiptBody(split, node: i))
            #expect(r.status == 202, "\(r.text)")
        }
        let viaB = try await h.announce()
        for i in 0..<3 {
            let r = try await b.client.send("POST", "/v1/receipts", body: try h.receiptBody(viaB, node: i))
            #expect(r.status == 202, "\(r.text)")
        }
        for job in [split, viaB] {
            let view = try await h.settled(job)
            #expect(view.status == .settled)
            #expect(view.settlement?.entries.filter { $0.type == "inference" }.count == 3)
            // B reads the same settled job from the shared store.
            let seen = try JSONDecoder().decode(
                JobView.self, from: try await b.client.send("GET", "/v1/jobs/\(job.id.hex)").body)
            #expect(seen.status == .settled)
            #expect(seen.settlement?.truth == view.settlement?.truth)
        }

        // B follows the log: once caught up, its accounts and checkpoint are the leader's.
        let leaderSize = try await h.server.core.karma.size()
        try await Self.eventually("B replays the log") { try await b.server.core.karma.size() >= leaderSize }
        for node in h.nodes {
            let mine = try await Self.account(h.client, node)
            #expect(mine != nil)
            #expect(try await Self.account(b.client, node) == mine)
        }
        let proof = try await b.client.send("GET", "/v1/nodes/\(h.nodes[1].publicKey.hex)/proof")
        #expect(proof.status == 200, "\(proof.text)")
        let before = try await Self.checkpoint(h.client, verifier: verifier)
        let seenByB = try await Self.checkpoint(b.client, verifier: verifier)
        #expect(seenByB.size <= before.size && seenByB.size > 0)

        // Graceful handover: A signs a last checkpoint and releases the lease; B leads at once.
        try await h.stop()
        // A released lease is taken on B's next poll (no waiting for it to run out).
        try await Self.eventually("B leads after A stops", timeout: .seconds(10)) {
            b.server.core.role == .leader
        }
        h.server = b.server
        h.client = b.client
        let after = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(after, node: i).status == 202) }
        #expect(try await h.settled(after).status == .settled)
        let last = try await Self.checkpoint(b.client, verifier: verifier)
        #expect(last.size > before.size)
        let consistency = try await b.client.send(
            "GET", "/v1/proofs/consistency?old=\(before.size)&new=\(last.size)")
        #expect(consistency.status == 200, "\(consistency.text)")
        let document = try ConsistencyProofDocument(json: consistency.body)
        #expect(document.root1 == before.rootHash && document.root2 == last.rootHash)
        #expect(document.verify() == .valid)
        try await b.server.shutdown()
        // The one log the two leaders wrote audits whole: entries, tiles, every checkpoint.
        guard case .postgres(let url, _) = h.config.storage else { return }
        let store = PostgresLedgerStore(link: try await PostgresLink.open(url: url, size: 1))
        let report = try LedgerAuditor.audit(store: store, verifier: verifier)
        #expect(report.isValid, "\(report.problems)")
        #expect(report.storedSize == last.size && report.signaturesVerified > 1)
    }

    /// A leader whose lease is taken while it lives (a long pause, a partition) stops at once
    /// with `LeadershipLost`, and the log refuses its writes: the fencing token it holds is stale.
    @Test func deposedLeaderStopsAndIsFenced() async throws {
        let h = try await LiveHarness(backend: .postgres, cluster: Self.settings("A"))
        let b = try await Peer.start(beside: h, name: "B")
        try await Self.eventually("B follows A") { b.server.core.role == .follower(leader: "A") }
        let job = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(job, node: i).status == 202) }
        #expect(try await h.settled(job).status == .settled)

        // Another holder takes the lease behind A's back (A paused longer than its lease): A's
        // next renewal finds it held; once that lease runs out, B takes it.
        guard case .postgres(let url, _) = h.config.storage else {
            Issue.record("the harness is not on PostgreSQL")
            return
        }
        let link = try PostgresLink(url: url, size: 1)
        _ = try link.withConnection { c in
            try c.run(
                "UPDATE ledger_lease SET holder = 'intruder', token = token + 1, expires_at = now() + interval '1 second'",
                logger: link.logger)
        }
        await #expect(throws: LeadershipLost.self) { try await h.server.stopped() }
        try await Self.eventually("B takes the lease once it runs out", timeout: .seconds(10)) {
            b.server.core.role == .leader
        }

        // A's store refuses its writes, whole: with its old token (fenced) or, once it has let
        // go of the lease on its way out, with none (noLease).
        let aStore = try #require(h.server.core.cluster?.store)
        let stored = try PostgresLedgerStore(link: link).treeState()
        do {
            try aStore.insertCheckpoint(size: stored.size, note: "from the deposed leader\n")
            Issue.record("a deposed leader's checkpoint was stored")
        } catch {
            switch error {
            case .fenced, .noLease: break
            default: Issue.record("want fenced or noLease, got \(error)")
            }
        }
        let after = try PostgresLedgerStore(link: link).treeState()
        #expect(after.size >= stored.size)
        #expect(
            try !PostgresLedgerStore(link: link).checkpoints(latestOnly: false).contains {
                $0.note.contains("deposed")
            })

        // B settles what comes next.
        h.server = b.server
        h.client = b.client
        let next = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(next, node: i).status == 202) }
        #expect(try await h.settled(next).status == .settled)
        try await b.server.shutdown()
    }

    /// The job store's leader-only writes are fenced like the log's: a leader deposed behind its
    /// back (it has not noticed yet) journals no heartbeat the new leader would not see — the
    /// node is told to go to the leader — and cannot freeze a job after the new leader's takeover
    /// scan, which would strand it in `settling`.
    @Test func aDeposedLeadersJobStoreWritesAreFenced() async throws {
        let url = try PostgresTestServer.freshDatabase()
        let repository = try await PostgresJobRepository.open(
            link: try await PostgresLink.open(url: url, size: 2))
        let store = PostgresLedgerStore(
            link: try await PostgresLink.open(url: url, size: 2), requiresLease: true)
        _ = try await runBlocking { () throws(LedgerError) in
            try Ledger(store: store, origin: "test.local/log")
        }
        repository.fenceLeaderWrites(with: store)
        let node = SchnorrSigningKey.generate()
        func beat(_ sequence: UInt64) throws -> HeartbeatJournalChange {
            .add(
                try Signed.sign(
                    Heartbeat(
                        node: node.publicKey, timestampMs: 1_800_000_000_000 + sequence, sequence: sequence),
                    with: node),
                replacingNode: false)
        }
        func refusedAsNotLeader(_ write: DurableWrite<Void>) async -> Bool {
            do {
                try await write.outcome()
                return false
            } catch {
                if case .notLeader = error { return true }
                Issue.record("want notLeader, got \(error)")
                return true
            }
        }

        // No lease yet: nothing is journaled.
        #expect(await refusedAsNotLeader(repository.record(try beat(1))))
        // Leading: journaled, and a job can be frozen.
        #expect(
            try await runBlocking { () throws(LedgerError) in try store.acquireLease(holder: "A", seconds: 60)
            } == 1)
        try await repository.record(try beat(2)).outcome()
        let h = try await LiveHarness(backend: .sqlite)
        let job = try await h.announce()
        let announcement = try #require(try await h.server.core.repository.announcement(job.id))
        #expect(try await repository.insertJob(announcement, input: nil, nowMs: 0))
        // Deposed behind its back: another holder takes the lease with the next token.
        _ = try await store.link.perform { link throws(LedgerError) in
            try link.withConnection { c in
                try c.run(
                    "UPDATE ledger_lease SET holder = 'B', token = token + 1, expires_at = now() + interval '60 seconds'",
                    logger: link.logger)
            }
        }
        #expect(await refusedAsNotLeader(repository.record(try beat(3))))
        await #expect(throws: ValidatorError.self) { _ = try await repository.freeze([job.id]) }
        #expect(try await repository.job(job.id)?.status == .pending, "the deposed leader froze the job")
        #expect(try repository.pendingHeartbeats().map(\.message.sequence) == [2])
        try await h.server.shutdown()
    }

    /// Names are for people; the lease tells processes apart: a second process started under a
    /// running leader's name (a restart before the lease ran out, a copied config) follows
    /// instead of sharing the leader's fencing token.
    @Test func aProcessUnderTheLeadersNameFollows() async throws {
        let h = try await LiveHarness(backend: .postgres, cluster: Self.settings("A"))
        let twin = try await Peer.start(beside: h, name: "A")
        #expect(twin.server.core.role != .leader)
        try await Self.eventually("the twin follows A") { twin.server.core.role == .follower(leader: "A") }
        #expect(h.server.core.role == .leader)
        let job = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(job, node: i).status == 202) }
        #expect(try await h.settled(job).status == .settled)
        try await twin.server.shutdown()
        try await h.stop()
    }

    /// Two processes group-commit receipts of the same jobs at once, locking the job rows in
    /// opposite orders: PostgreSQL breaks the deadlock by aborting one transaction, which is run
    /// again, so every receipt is acknowledged and stored (none answered with a storage failure).
    @Test func concurrentBatchesFromTwoProcessesAreAllStored() async throws {
        let h = try await LiveHarness(backend: .postgres, cluster: Self.settings("A"))
        let b = try await Peer.start(beside: h, name: "B")
        for _ in 0..<4 {
            var jobs: [LiveHarness.Job] = []
            for _ in 0..<24 { jobs.append(try await h.announce()) }
            func batch(_ node: Int, _ order: [LiveHarness.Job]) throws -> Data {
                let bodies = try order.map { try h.receiptBody($0, node: node) }
                return Data("{\"receipts\":[".utf8) + Data(bodies.joined(separator: Data(",".utf8)))
                    + Data("]}".utf8)
            }
            let (up, down) = (try batch(0, jobs), try batch(1, jobs.reversed()))
            async let first = h.client.send("POST", "/v1/receipts/batch", body: up)
            async let second = b.client.send("POST", "/v1/receipts/batch", body: down)
            for reply in try await [first, second] {
                #expect(reply.status == 200, "\(reply.text)")
                let ack = try JSONDecoder().decode(ReceiptBatchAck.self, from: reply.body)
                #expect(ack.results.allSatisfy { $0.status == 202 }, "\(reply.text.prefix(600))")
            }
            for job in jobs {
                let view = try JSONDecoder().decode(
                    JobView.self, from: try await h.client.send("GET", "/v1/jobs/\(job.id.hex)").body)
                #expect(view.receipts.count == 2)
            }
        }
        try await b.server.shutdown()
        try await h.stop()
    }

    /// A leader whose database stops answering (restart behind a stuck socket, partition, freeze)
    /// stops claiming the lead before its lease can run out — its renewal has a deadline — and a
    /// process that still reaches the database takes over; when the database answers again the
    /// old leader finds the lease taken and stops.
    @Test func aLeaderCutOffFromTheDatabaseStepsDown() async throws {
        let h = try await LiveHarness(backend: .postgres, cluster: Self.settings("A"))
        guard case .postgres(let url, _) = h.config.storage else { return }
        let port = try PostgresEndpoint(url: url).port
        let proxy = try FreezableProxy(upstreamPort: port)
        defer { proxy.close() }
        // B reaches the database through the proxy and leads once A hands over.
        let b = try await Peer.start(
            beside: h, name: "B", url: url.replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/"))
        try await h.stop()
        try await Self.eventually("B leads after A stops") { b.server.core.role == .leader }
        try await h.start()
        try await Self.eventually("A follows B") { h.server.core.role == .follower(leader: "B") }

        proxy.freeze()
        try await Self.eventually("B steps down while its database is silent", timeout: .seconds(10)) {
            b.server.core.role != .leader
        }
        try await Self.eventually("A takes the lease", timeout: .seconds(10)) {
            h.server.core.role == .leader
        }
        let job = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(job, node: i).status == 202) }
        #expect(try await h.settled(job).status == .settled)
        proxy.thaw()
        await #expect(throws: LeadershipLost.self) { try await b.server.stopped() }
        try await h.stop()
    }
}
