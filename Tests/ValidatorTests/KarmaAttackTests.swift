import Foundation
import Karma
import Kernel
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The attacks of issue 12, tried over real HTTP against the production ledger and karma rules:
/// each must mint nothing (specs/karma.md §5.0–§5.5, §6.1; specs/service.md §4.3, §4.5, §5.3).
@Suite(.serialized) struct KarmaAttackTests {
    /// The book behind a live harness (the production adapter).
    func book(_ h: LiveHarness) throws -> LedgerKarmaBook {
        try #require(h.server.core.karma as? LedgerKarmaBook)
    }

    func minted(_ h: LiveHarness) async throws -> UInt64 { try await book(h).currentState.minted }

    func heartbeat(_ key: SchnorrSigningKey, at ms: UInt64, sequence: UInt64) throws -> Data {
        try Signed.sign(Heartbeat(node: key.publicKey, timestampMs: ms, sequence: sequence), with: key).json()
    }

    @Test func backDatedAndUnbondedHeartbeatsMintNothing() async throws {
        let bonded = SchnorrSigningKey.generate()
        let h = try await LiveHarness(genesis: [
            .init(node: bonded.publicKey.hex, balance: 0, bonded: KarmaParameters.v2.minNodeBond)
        ])
        let before = try await minted(h)
        let window = KarmaParameters.v2.heartbeatWindowMs
        // A fresh, unbonded key posting heartbeats for windows in 1970, and for now.
        let throwaway = SchnorrSigningKey.generate()
        for k in UInt64(0)..<63 {
            let r = try await h.client.send(
                "POST", "/v1/heartbeats",
                body: try heartbeat(throwaway, at: k * window / 4 + 1, sequence: k + 1))
            #expect(r.status == 422, "back-dated heartbeat \(k): \(r.text)")
        }
        let fresh = try await h.client.send(
            "POST", "/v1/heartbeats",
            body: try heartbeat(throwaway, at: ValidatorCore.systemNowMs(), sequence: 99))
        #expect(fresh.status == 422)
        #expect(fresh.text.contains("minNodeBond"), "\(fresh.text)")
        // A bonded key cannot back-date either: the heartbeat must be near ledger time.
        let old = try await h.client.send(
            "POST", "/v1/heartbeats",
            body: try heartbeat(bonded, at: ValidatorCore.systemNowMs() - 10 * window, sequence: 1))
        #expect(old.status == 422)
        #expect(old.text.contains("tolerance"), "\(old.text)")
        let now = try await h.client.send(
            "POST", "/v1/heartbeats",
            body: try heartbeat(bonded, at: ValidatorCore.systemNowMs(), sequence: 2))
        #expect(now.status == 202, "\(now.text)")
        #expect(try await minted(h) == before)
        #expect(try await h.client.send("GET", "/v1/nodes/\(throwaway.publicKey.hex)").status == 404)
        try await h.stop()
    }

    @Test func seedingFromNothingMintsNothing() async throws {
        let downloader = SchnorrSigningKey.generate()
        let seeder = SchnorrSigningKey.generate()
        let h = try await LiveHarness(genesis: [
            .init(node: downloader.publicKey.hex, balance: 0, bonded: KarmaParameters.v2.minNodeBond)
        ])
        let manifest = h.model.manifest
        let root = try Digest32(bytes: manifest.chunkRoot)
        let hash0 = try Digest32(bytes: manifest.chunkHashes[0])
        func receipt(
            by d: SchnorrSigningKey, model: Digest32? = nil, index: UInt32 = 0, bytes: UInt32? = nil,
            hash: Digest32? = nil
        ) throws -> Data {
            try Signed.sign(
                SeedingChunkReceipt(
                    seeder: seeder.publicKey, downloader: d.publicKey, modelID: model ?? h.model.id,
                    chunkRoot: root, chunkIndex: index,
                    chunkBytes: bytes
                        ?? UInt32(Int(index) < manifest.chunkCount ? manifest.chunkLength(Int(index)) : 4096),
                    chunkHash: hash ?? hash0,
                    servedAtMs: ValidatorCore.systemNowMs() - 1),
                with: d
            ).json()
        }
        let before = try await minted(h)
        let forged: [(String, Data)] = [
            ("unknown model", try receipt(by: downloader, model: TaggedHash.hash(tag: "x", Data([1])))),
            ("chunk 999", try receipt(by: downloader, index: 999)),
            ("16 MiB claimed", try receipt(by: downloader, bytes: 16 << 20)),
            ("random chunk hash", try receipt(by: downloader, hash: TaggedHash.hash(tag: "x", Data([2])))),
        ]
        for (what, body) in forged {
            let r = try await h.client.send("POST", "/v1/seeding-receipts", body: body)
            #expect(r.status == 422, "\(what): \(r.status) \(r.text)")
        }
        // Twenty throwaway downloader keys sign true receipts: none holds the node bond.
        for _ in 0..<20 {
            let r = try await h.client.send(
                "POST", "/v1/seeding-receipts", body: try receipt(by: SchnorrSigningKey.generate()))
            #expect(r.status == 422, "\(r.text)")
        }
        #expect(try await minted(h) == before, "forged or sybil seeding minted karma")

        // The one true receipt from the bonded downloader pays the chunk's manifest size, once.
        let good = try await h.client.send("POST", "/v1/seeding-receipts", body: try receipt(by: downloader))
        #expect(good.status == 202, "\(good.text)")
        let paid = UInt64(manifest.chunkLength(0)) * KarmaParameters.v2.seedingRatePerMiB / (1 << 20)
        #expect(try await minted(h) == before + paid)
        let again = try await h.client.send("POST", "/v1/seeding-receipts", body: try receipt(by: downloader))
        #expect(again.status == 200 || again.status == 422, "\(again.text)")
        #expect(try await minted(h) == before + paid)
        // Paid into the unbonded seeder's escrow: not spendable until it bonds.
        let account = try await book(h).currentState.account(seeder.publicKey)
        #expect(account.escrow == paid)
        #expect(account.balance == 0)
        try await h.stop()
    }

    @Test func cheatingWithoutABondCostsEarnedKarma() async throws {
        let h = try await LiveHarness()
        let wrong = { (job: LiveHarness.Job) in KernelShardExecutor.perturb(job.honest.output, delta: 1)! }
        let j1 = try await h.announce()
        for i in 0..<3 { try await h.post(j1, node: i) }
        _ = try await h.settled(j1)
        let earned = try await book(h).currentState.account(h.nodes[1].publicKey)
        #expect(earned.escrow > 0 && earned.bonded == 0)

        let j2 = try await h.announce()
        try await h.post(j2, node: 0)
        try await h.post(j2, node: 1, output: wrong(j2))
        try await h.post(j2, node: 2)
        let v2 = try await h.settled(j2)
        #expect(v2.settlement?.outcomes.map(\.outcome) == ["agreed", "wrongOutput", "agreed"])
        let after = try await book(h).currentState.account(h.nodes[1].publicKey)
        let burned = earned.escrow * KarmaParameters.v2.wrongOutputSlashBps / 10_000
        #expect(burned > 0)
        #expect(after.escrow == earned.escrow - burned, "the unbonded cheater keeps everything it earned")
        try await h.stop()
    }

    @Test func latencyIsTheValidatorsMeasureNotTheNodes() async throws {
        let h = try await LiveHarness()
        // Same shard twice; the receipts claim 10 ms of work both times (startedAtMs 10, finished 20).
        let prompt = try await h.announce()
        for i in 0..<3 { try await h.post(prompt, node: i) }
        _ = try await h.settled(prompt)
        let onTime = try await book(h).currentState.account(h.nodes[0].publicKey).scores.inference

        let late = try await h.announce()
        try await Task.sleep(for: .milliseconds(1_600))  // SLA is 1000 ms: 600+ ms late
        for i in 0..<3 { try await h.post(late, node: i) }
        _ = try await h.settled(late)
        let total = try await book(h).currentState.account(h.nodes[0].publicKey).scores.inference
        #expect(total - onTime < onTime, "a late node was paid in full on its own word")
        try await h.stop()
    }

    @Test func evidenceFromOneNodeIsBounded() async throws {
        let h = try await LiveHarness()
        let job = try await h.announce()
        var statuses: [Int] = []
        for k in 1...12 {
            let output = KernelShardExecutor.perturb(job.honest.output, delta: Int32(k))!
            statuses.append(try await h.post(job, node: 0, output: output, sequence: UInt64(k)).status)
        }
        #expect(statuses.prefix(2) == [202, 202])
        #expect(statuses.dropFirst(2).allSatisfy { $0 == 409 }, "\(statuses)")
        let stored = try await h.server.core.repository.receipts(of: job.id)
        #expect(stored.filter { $0.signed.receipt.node == h.nodes[0].publicKey }.count == 2)
        try await h.stop()
    }
}

/// Every entry is soon covered by a signed checkpoint without anyone asking for one, so an audit
/// of the service's ledger file never finds unanchored entries (specs/service.md §4.6).
@Suite struct CheckpointCadenceTests {
    @Test func sweepsSignCheckpointsOfTheGrownLog() async throws {
        let h = try await LiveHarness()
        let job = try await h.announce()
        for i in 0..<3 { try await h.post(job, node: i) }
        _ = try await h.settled(job)
        let book = try #require(h.server.core.karma as? LedgerKarmaBook)
        let end = ContinuousClock.now + .seconds(10)
        var covered: UInt64 = 0
        while ContinuousClock.now < end {
            covered = try book.ledger.signedCheckpoints().last?.checkpoint.size ?? 0
            if covered == book.ledger.size { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(
            covered == book.ledger.size, "the last signed checkpoint covers \(covered) of \(book.ledger.size)"
        )
        try await h.stop()
    }
}
