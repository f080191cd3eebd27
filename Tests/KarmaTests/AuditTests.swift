import Foundation
import Karma
import Receipts
import Testing

/// The auditor's replay over canonical ledger entries (specs/karma.md §9).
@Suite struct AuditTests {
    @Test func historyListsEntriesThatTouchTheNodeWithRunningBalance() throws {
        let engine = try KarmaEngine(parameters: .v2)
        let alice = TestKeys.alice
        let entries = [
            Build.inference(alice),  // 0: +50,000 to escrow (alice holds no node bond)
            Build.inference(TestKeys.bob),  // 1: not alice
            Build.staking(alice, .bond, amount: 20_000, nonce: 1),  // 2: bonded from escrow: 30,000
            Build.redundancy(alice, at: Build.t0 + 1),  // 3: +10,000 → 40,000
        ]
        var replayer = KarmaReplayer(engine: engine, trackingNode: alice.publicKey)
        for e in entries { try replayer.apply(canonicalBytes: e.canonicalBytes) }
        #expect(replayer.count == 4)
        #expect(replayer.history.map(\.index) == [0, 2, 3])
        #expect(replayer.history.map(\.account.escrow) == [50_000, 30_000, 40_000])
        #expect(replayer.history.map(\.account.bonded) == [0, 20_000, 20_000])
        #expect(replayer.history.map(\.type) == [.inference, .bond, .redundancy])
        #expect(replayer.state.stateHash == (try engine.replay(entries)).stateHash)
    }

    @Test func aRefusedEntryIsReportedWithItsIndex() throws {
        var replayer = KarmaReplayer(engine: try KarmaEngine(parameters: .v2))
        try replayer.apply(canonicalBytes: Build.inference(TestKeys.alice).canonicalBytes)
        #expect(throws: KarmaReplayFailure.self) {
            try replayer.apply(canonicalBytes: Build.inference(TestKeys.alice).canonicalBytes)
        }
        do {
            try replayer.apply(canonicalBytes: Data([0xFF]))
        } catch {
            #expect(error.index == 1)
            #expect(error.error.code == "unknownEntryType")
        }
        #expect(replayer.count == 1)
    }
}
