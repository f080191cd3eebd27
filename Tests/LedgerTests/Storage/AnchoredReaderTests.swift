import Foundation
import GRDB
import Testing

@testable import Ledger

@Suite("Anchored reading and checkpoint extensions")
struct AnchoredReaderTests {
    @Test("StreamingRoot equals the reference root for every size 0…300")
    func streamingRoot() {
        let reference = ReferenceTree(leaves: sampleEntries(300))
        var acc = StreamingRoot()
        #expect(acc.root == RFC9162.emptyRoot)
        for (i, e) in reference.leaves.enumerated() {
            acc.append(RFC9162.hashLeaf(e))
            #expect(acc.root == reference.root(size: i + 1), "size \(i + 1)")
        }
    }

    @Test("An intact ledger reads anchored; body sees exactly the checkpoint's prefix")
    func anchored() async throws {
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(600))
        let note = try await t.ledger.signCheckpoint(size: 517)
        let cp = try Checkpoint.open(note: note.formatted, verifier: t.signer.verifier)
        #expect(cp.size == 517)
        var seen: [UInt64] = []
        let verdict = try t.ledger.readAnchoredEntries(checkpoint: cp, batchSize: 100) { i, bytes in
            #expect(bytes == Data("entry-\(i)".utf8))
            seen.append(i)
        }
        #expect(verdict == .anchored)
        #expect(seen == Array(0..<517))
        // The whole tree, with the last (partial) tile read from memory.
        let all = try await t.ledger.signCheckpoint()
        let full = try Checkpoint.open(note: all.formatted, verifier: t.signer.verifier)
        #expect(try t.ledger.readAnchoredEntries(checkpoint: full) { _, _ in } == .anchored)
    }

    @Test(
        "A changed entry is named before body sees it, in a full and in the partial tile",
        arguments: [0, 255, 256, 599])
    func changedEntry(index: Int) async throws {
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(600))
        let cp = t.ledger.checkpoint
        try t.tamper("UPDATE entries SET data = ? WHERE idx = ?", [Data("evil".utf8), index])
        let reopened = try t.reopen(readOnly: true)
        var last: UInt64?
        let verdict = try reopened.readAnchoredEntries(checkpoint: cp) { i, _ in last = i }
        #expect(verdict == .entryMismatch(index: UInt64(index)))
        #expect(last == (index == 0 ? nil : UInt64(index - 1)))
    }

    @Test("Entries and stored leaf hashes changed together: the root no longer matches the checkpoint")
    func changedEntryAndTile() async throws {
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(300))
        let cp = t.ledger.checkpoint
        // Rewrite entry 3 and its leaf hash in the first level-0 tile.
        let evil = Data("evil".utf8)
        var tile = try t.query { db in try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE id = 0")! }
        tile.replaceSubrange(
            (tile.startIndex + 3 * 32)..<(tile.startIndex + 4 * 32), with: RFC9162.hashLeaf(evil).bytes)
        try t.tamper("UPDATE entries SET data = ? WHERE idx = 3", [evil])
        try t.tamper("UPDATE tiles SET hashes = ? WHERE id = 0", [tile])
        let verdict = try t.reopen(readOnly: true).readAnchoredEntries(checkpoint: cp) { _, _ in }
        guard case .rootMismatch(_, let expected) = verdict else {
            Issue.record("want rootMismatch, got \(verdict)")
            return
        }
        #expect(expected == cp.rootHash)
    }

    @Test("A body error is rethrown only when the entries are anchored")
    func bodyError() async throws {
        struct Refused: Error {}
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(40))
        let cp = t.ledger.checkpoint
        #expect(throws: Refused.self) {
            try t.ledger.readAnchoredEntries(checkpoint: cp) { i, _ in if i == 7 { throw Refused() } }
        }
        let wrong = Checkpoint(origin: cp.origin, size: cp.size, rootHash: cp.rootHash.flippingBit(3))
        let verdict = try t.ledger.readAnchoredEntries(checkpoint: wrong) { i, _ in
            if i == 7 { throw Refused() }
        }
        #expect(verdict == .rootMismatch(computed: cp.rootHash, expected: wrong.rootHash))
        let tooBig = Checkpoint(origin: cp.origin, size: 41, rootHash: cp.rootHash)
        #expect(throws: LedgerError.sizeBeyondTree(requested: 41, size: 40)) {
            try t.ledger.readAnchoredEntries(checkpoint: tooBig) { _, _ in }
        }
    }

    @Test(
        "Checkpoints carry extension lines; same size and lines return the stored note, new lines sign anew")
    func extensions() async throws {
        let t = try TempLedger()
        _ = try await t.ledger.append(contentsOf: sampleEntries(10))
        let plain = try await t.ledger.signCheckpoint()
        let a = try await t.ledger.signCheckpoint(extensions: ["karma-state 1 x y"])
        #expect(a != plain)
        #expect(a.text.hasSuffix("\nkarma-state 1 x y\n"))
        let again = try await t.ledger.signCheckpoint(extensions: ["karma-state 1 x y"])
        #expect(again == a)
        let cp = try Checkpoint.open(note: a.formatted, verifier: t.signer.verifier)
        #expect(cp.extensions == ["karma-state 1 x y"])
        #expect(try t.ledger.signedCheckpoints().count == 2)
        for bad in ["", "two\nlines", "tab\there"] {
            await #expect(throws: LedgerError.self) { try await t.ledger.signCheckpoint(extensions: [bad]) }
        }
        // Not below the last signed size, not beyond the tree.
        await #expect(throws: LedgerError.self) { try await t.ledger.signCheckpoint(size: 9) }
        await #expect(throws: LedgerError.self) { try await t.ledger.signCheckpoint(size: 11) }
    }

    @Test("Audit: no stored checkpoint, no verifier key, or a checkpoint forged under another key fail")
    func auditAnchors() async throws {
        let t = try await LedgerAuditorTests.make()
        try t.tamper("DELETE FROM checkpoints")
        let none = try LedgerAuditor.audit(path: t.path)
        #expect(!none.isValid)
        #expect(none.problems.first?.description.contains("no signed checkpoint") == true, "\(none.problems)")

        let u = try await LedgerAuditorTests.make()
        try u.tamper("DELETE FROM meta WHERE key = 'verifier_key'")
        let keyless = try LedgerAuditor.audit(path: u.path)
        #expect(!keyless.isValid)
        #expect(keyless.problems.first?.description.contains("give --key") == true, "\(keyless.problems)")
        #expect(try LedgerAuditor.audit(path: u.path, verifier: u.signer.verifier).isValid)

        let w = try await LedgerAuditorTests.make()
        let forger = try NoteSigner(name: "test.mesh/ledger", ed25519Seed32: Data(repeating: 3, count: 32))
        let forged = try forger.sign(w.ledger.checkpoint.body).formatted
        try w.tamper("UPDATE checkpoints SET note = ? WHERE seq = 2", [forged])
        let report = try LedgerAuditor.audit(path: w.path)
        #expect(!report.isValid)
        #expect(
            report.problems.first?.description.contains("signed checkpoint #2") == true, "\(report.problems)")
    }
}
