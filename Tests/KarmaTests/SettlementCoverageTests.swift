import Foundation
import Karma
import Receipts
import Testing

/// What `audit settlements` checks (specs/karma.md §5.8): every paid job is accounted for by a
/// validation entry, slash evidence or an audit draw, and an audit that drew is backed by a
/// re-execution.
@Suite struct SettlementCoverageTests {
    let quorum = [TestKeys.alice, TestKeys.bob, TestKeys.carol]

    /// Feeds `entries` in order, as the replayer does.
    func coverage(_ entries: [KarmaEntry]) -> SettlementCoverage.Report {
        var c = SettlementCoverage()
        for (i, e) in entries.enumerated() { c.observe(e, at: UInt64(i)) }
        return c.report
    }

    /// The three inference accruals of job `byte`.
    func paid(_ byte: UInt8) -> [KarmaEntry] { quorum.map { Build.inference($0, job: Build.digest(byte)) } }

    @Test func eachWayOfSettlingIsCountedOnce() throws {
        let wrong = Build.receipt(TestKeys.carol, job: Build.digest(0x03), output: Build.digest(0xBB))
        let entries =
            paid(0x01) + [Build.validation(TestKeys.erin, job: Build.digest(0x01))]
            + paid(0x02) + [Build.validation(TestKeys.erin, job: Build.digest(0x02), method: .proof)]
            + paid(0x03)
            + [
                Build.slash(
                    TestKeys.carol, .wrongOutput(receipt: wrong, reexecutedOutput: Build.digest(0xAA)),
                    amount: 1)
            ]
            + [Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x04), ppm: 0)] + paid(0x04)
            + [Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x05), ppm: 1_000_000)]
            + paid(0x05)
            + [Build.validation(TestKeys.erin, job: Build.digest(0x05))]
        let r = coverage(entries)
        #expect(r.paidJobs == 5)
        #expect((r.reexecuted, r.proved, r.judgedByEvidence, r.acceptedAfterDraw) == (2, 1, 1, 1))
        #expect((r.draws, r.drawsAudited, r.expectedAuditsPPM) == (2, 1, 1_000_000))
        #expect(r.isComplete)
    }

    /// A job paid with neither a validation entry, evidence nor a draw is found, with the index of
    /// its first accrual; so is a draw that audited with no re-execution after it.
    @Test func aSkippedDrawAndAnUnperformedAuditAreFound() throws {
        let entries =
            paid(0x01) + [Build.validation(TestKeys.erin, job: Build.digest(0x01))]
            + paid(0x02)  // accepted without a draw
            + [Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x03), ppm: 1_000_000)]
            + paid(0x03)
        let r = coverage(entries)
        #expect(!r.isComplete)
        #expect(r.unaccounted == [.init(jobID: Build.digest(0x02), firstInferenceIndex: 4)])
        #expect(r.auditedWithoutReexecution == [.init(jobID: Build.digest(0x03), firstInferenceIndex: 8)])
        #expect(r.reexecuted == 1 && r.acceptedAfterDraw == 0)
    }

    /// A validation entry for another job, or a draw for another job, accounts for nothing.
    @Test func evidenceForAnotherJobDoesNotCount() throws {
        let entries =
            paid(0x01) + [Build.validation(TestKeys.erin, job: Build.digest(0x09))]
            + [Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x08), ppm: 0)]
        let r = coverage(entries)
        #expect(r.unaccounted.map(\.jobID) == [Build.digest(0x01)])
    }

    /// The replayer keeps the coverage only when asked, and then from every entry it applies.
    @Test func theReplayerKeepsCoverageWhenAsked() throws {
        let engine = try KarmaEngine(parameters: .v2)
        var plain = KarmaReplayer(engine: engine)
        var covered = KarmaReplayer(engine: engine, coverage: true)
        let entries = paid(0x01)
        for e in entries {
            try plain.apply(canonicalBytes: e.canonicalBytes)
            try covered.apply(canonicalBytes: e.canonicalBytes)
        }
        #expect(plain.coverage == nil)
        #expect(covered.coverage?.report.unaccounted.map(\.jobID) == [Build.digest(0x01)])
    }
}
