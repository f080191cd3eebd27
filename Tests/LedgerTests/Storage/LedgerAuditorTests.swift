import Foundation
import GRDB
import Testing

@testable import Ledger

@Suite("Ledger audit")
struct LedgerAuditorTests {
    /// A ledger of 600 entries (two full level-0 tiles and a partial one) with checkpoints.
    static func make() async throws -> TempLedger {
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(256))
        try await t.ledger.signCheckpoint()
        _ = try await t.ledger.append(contentsOf: sampleEntries(344, prefix: "more-"))
        try await t.ledger.signCheckpoint()
        return t
    }

    @Test("An intact ledger audits clean, checking every checkpoint and signature")
    func clean() async throws {
        let t = try await Self.make()
        var calls = 0
        let report = try LedgerAuditor.audit(path: t.path) { _, _ in calls += 1 }
        #expect(report.isValid, "\(report.problems)")
        #expect(report.entriesScanned == 600 && report.storedSize == 600)
        #expect(report.recomputedRoot == t.ledger.root)
        #expect(report.checkpointsChecked == 2 && report.signaturesVerified == 2)
        #expect(calls >= 1)
        let note = try #require(try t.ledger.latestCheckpoint())
        let withExtra = try LedgerAuditor.audit(path: t.path, checkpoint: (note, t.signer.verifier))
        #expect(withExtra.isValid && withExtra.checkpointsChecked == 3)
        let otherKey = try NoteSigner(name: "test.mesh/ledger", ed25519Seed32: Data(repeating: 9, count: 32))
        let wrongKey = try LedgerAuditor.audit(path: t.path, checkpoint: (note, otherKey.verifier))
        #expect(!wrongKey.isValid)
    }

    @Test(
        "A tampered entry is named, in a full tile and in the partial tile",
        arguments: [0, 100, 255, 256, 511, 512, 599])
    func tamperedEntry(index: Int) async throws {
        let t = try await Self.make()
        try t.tamper("UPDATE entries SET data = ? WHERE idx = ?", [Data("evil".utf8), index])
        let report = try LedgerAuditor.audit(path: t.path)
        #expect(!report.isValid)
        #expect(report.firstCorruptedEntry == UInt64(index), "\(report.problems)")
        #expect(report.problems.first == .corruptedEntry(index: UInt64(index)))
    }

    @Test("A deleted entry, a damaged tile and a damaged tree state are detected")
    func damage() async throws {
        let t = try await Self.make()
        try t.tamper("DELETE FROM entries WHERE idx = 300")
        let deleted = try LedgerAuditor.audit(path: t.path)
        #expect(deleted.firstCorruptedEntry == 300)

        let u = try await Self.make()
        // Flip one byte of the 5th hash of the first level-0 tile.
        let tile = try u.query { db in
            try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE id = 0")!
        }
        var bad = tile
        bad[bad.startIndex + 4 * 32 + 3] ^= 1
        try u.tamper("UPDATE tiles SET hashes = ? WHERE id = 0", [bad])
        let report = try LedgerAuditor.audit(path: u.path)
        #expect(report.firstCorruptedEntry == 4)

        let v = try await Self.make()
        try v.tamper("UPDATE tree_state SET root = ? WHERE id = 0", [Data(repeating: 1, count: 32)])
        #expect(!(try LedgerAuditor.audit(path: v.path)).isValid)

        let w = try await Self.make()
        try w.tamper("UPDATE checkpoints SET note = replace(note, '600', '599') WHERE size = 600")
        let forged = try LedgerAuditor.audit(path: w.path)
        #expect(!forged.isValid && forged.firstCorruptedEntry == nil)
    }
}
