import Foundation
import Karma
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The book's live state is the auditor's replay, also under concurrent writers
/// (specs/service.md §4.6): many nodes heartbeating across window edges while sweeps run.
@Suite struct KarmaBookConcurrencyTests {
    let windowMs = KarmaParameters.v2.heartbeatWindowMs

    @Test(arguments: [UInt64(1), 2, 3])
    func concurrentHeartbeatsAndSweepsKeepTheLogAndTheStateInStep(seed: UInt64) async throws {
        let directory = try RepoPaths.temporaryDirectory(prefix: "book-concurrency")
        let clock = TestClock()
        clock.set(100 * windowMs + 5)
        let repository = try SQLiteJobRepository(
            path: directory.appendingPathComponent("validator.sqlite").path)
        let ledgerPath = directory.appendingPathComponent("ledger.sqlite").path
        let book = try LedgerKarmaBook(
            path: ledgerPath, origin: "test.local/log", checkpointSeed32: Data(repeating: 7, count: 32),
            heartbeats: repository, heartbeatToleranceMs: windowMs, nowMs: { clock.now })
        let nodes = (0..<12).map { _ in SchnorrSigningKey.generate() }
        try await book.writeGenesis(
            nodes.map { ($0.publicKey, 0, KarmaParameters.v2.minNodeBond) })

        let step = windowMs / 7
        for round in 0..<5 {
            // Every node sends a few heartbeats in this window, all at once, with sweeps between.
            let base = (100 + UInt64(round)) * windowMs
            clock.set(base + 5)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, node) in nodes.enumerated() {
                    let jitter = (seed &* 7919 &+ UInt64(i) &* 104_729 &+ UInt64(round) &* 31) % 100
                    group.addTask {
                        for k in UInt64(1)...4 {
                            let beat = try Signed.sign(
                                Heartbeat(
                                    node: node.publicKey, timestampMs: base + k * step + jitter,
                                    sequence: UInt64(round) * 10 + k),
                                with: node)
                            _ = try await book.submit(.heartbeat, body: beat.json())
                            if (i + Int(k)) % 5 == 0 { _ = try await book.sweepLiveness() }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        clock.set(106 * windowMs + 5)
        _ = try await book.sweepLiveness()

        // Replay the log as an auditor would: every entry applies, times never decrease, each
        // (node, window) is credited once, and the replayed state is the book's.
        let ledger = try Ledger(path: ledgerPath, readOnly: true)
        var replayer = KarmaReplayer(engine: try KarmaEngine(parameters: .v2))
        var last: UInt64 = 0
        var windows = Set<String>()
        for blob in try ledger.entries(in: 0..<ledger.size) {
            let entry = try KarmaEntry(canonicalBytes: blob)
            #expect(entry.timestampMs >= last, "ledger time went backwards at entry \(replayer.count)")
            last = entry.timestampMs
            if case .uptime(let u) = entry.body {
                #expect(
                    windows.insert("\(u.node.hex)/\(u.window)").inserted, "window \(u.window) credited twice")
            }
            try replayer.apply(canonicalBytes: blob)
        }
        #expect(windows.count >= nodes.count * 4, "most windows were credited (got \(windows.count))")
        let live = await book.currentState
        #expect(
            live.stateHash == replayer.state.stateHash, "seed \(seed): live state differs from the replay")
        for node in nodes {
            let account = try #require(try await book.account(of: node.publicKey, recent: 0))
            #expect(account.balance == replayer.state.account(node.publicKey).balance)
        }
    }
}
