import Foundation
import Karma
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The ledger records the karma parameters it is written under (specs/karma.md §3.1): an auditor
/// replays it with no parameters file and gets the service's state, also across a change.
@Suite struct ParametersInLogTests {
    @Test func anAuditorNeedsNoParametersFile() async throws {
        let directory = try RepoPaths.temporaryDirectory(prefix: "params-in-log")
        let path = directory.appendingPathComponent("ledger.sqlite").path
        let clock = TestClock()
        var custom = KarmaParameters.v2
        custom.heartbeatWindowMs = 1_000
        custom.minHeartbeatsPerWindow = 2
        custom.uptimeGraceMs = 1_000
        clock.set(5_000_000 * custom.heartbeatWindowMs)
        let node = SchnorrSigningKey.generate()
        var book = try LedgerKarmaBook(
            path: path, origin: "params.local/log", checkpointSeed32: Data(repeating: 3, count: 32),
            parameters: custom, nowMs: { clock.now })
        try await book.writeGenesis([(node.publicKey, 0, custom.minNodeBond)])
        // Two heartbeats in one 1-second window, then one in the next closes it: an uptime entry
        // that the built-in parameters (10-minute windows) would refuse as not closed.
        let start = clock.now
        for (k, offset) in [UInt64(100), 600, 1_200].enumerated() {
            clock.set(start + offset)
            let beat = try Signed.sign(
                Heartbeat(node: node.publicKey, timestampMs: start + offset, sequence: UInt64(k) + 1),
                with: node)
            _ = try await book.submit(.heartbeat, body: beat.json())
        }
        #expect(await book.currentState.account(node.publicKey).scores.uptime == custom.uptimeRewardPerWindow)

        // Reopened under other parameters: the ledger records the change as an entry.
        var changed = custom
        changed.uptimeRewardPerWindow = 7
        book = try LedgerKarmaBook(
            path: path, origin: "params.local/log", checkpointSeed32: Data(repeating: 3, count: 32),
            parameters: changed, nowMs: { clock.now })
        try await book.writeGenesis([])
        let live = await book.currentState
        #expect(live.parameters == changed)

        // The auditor's replayer starts from the built-in parameters and follows the log's.
        let ledger = try Ledger(path: path, readOnly: true)
        var replayer = KarmaReplayer(engine: try KarmaEngine(parameters: .v2))
        var types: [KarmaEntry.EntryType] = []
        for blob in try ledger.entries(in: 0..<ledger.size) {
            types.append(try KarmaEntry(canonicalBytes: blob).type)
            try replayer.apply(canonicalBytes: blob)
        }
        #expect(types.first == .parameters)
        #expect(types.filter { $0 == .parameters }.count == 2)
        #expect(replayer.state.stateHash == live.stateHash)
    }
}
