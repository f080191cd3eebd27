import Foundation
import Karma
import Receipts
import Testing

/// The audit-draw entry (specs/karma.md §5.8): the rules accept a genuine draw once and refuse
/// every way a validator could skip or pick an audit.
@Suite struct AuditDrawTests {
    let engine = try! KarmaEngine(parameters: .v2)
    let quorum = [TestKeys.alice, TestKeys.bob, TestKeys.carol]

    @Test func aGenuineDrawIsAcceptedOnceAndChangesNoAccount() throws {
        var s = KarmaState()
        let entry = Build.auditDraw(TestKeys.erin, nodes: quorum)
        let before = s.accounts
        try engine.apply(entry, to: &s)
        #expect(s.accounts == before)
        #expect(throws: KarmaError.self) { try engine.apply(entry, to: &s) }  // one draw per job
    }

    @Test func aDrawThatDisagreesWithItsProofIsRefused() throws {
        var s = KarmaState()
        #expect(throws: KarmaError.self) {
            try engine.apply(Build.auditDraw(TestKeys.erin, nodes: quorum, flip: true), to: &s)
        }
    }

    @Test func aProbabilityBelowTheRulesMinimumIsRefused() throws {
        // New nodes (no inference earned) need 25%; the floor of 5% is not enough.
        var s = KarmaState()
        let low = Build.auditDraw(TestKeys.erin, nodes: quorum, ppm: AuditRule.floorPPM)
        #expect(throws: KarmaError.self) { try engine.apply(low, to: &s) }
        #expect(AuditRule.minimumPPM(nodes: quorum.map(\.publicKey), in: s) == AuditRule.newNodePPM)
    }

    @Test func aProofByAnotherKeyOrForOtherReceiptsIsRefused() throws {
        var s = KarmaState()
        guard case .auditDraw(var draw) = Build.auditDraw(TestKeys.erin, nodes: quorum).body else { return }
        draw.validator = TestKeys.dave.publicKey  // the proof is Erin's
        #expect(throws: KarmaError.self) {
            try engine.apply(KarmaEntry(timestampMs: Build.t0, body: .auditDraw(draw)), to: &s)
        }
        guard case .auditDraw(var other) = Build.auditDraw(TestKeys.erin, nodes: quorum).body else { return }
        other.receipts[1].receiptDigest = Build.digest(0x77)  // a receipt the draw was not made over
        #expect(throws: KarmaError.self) {
            try engine.apply(KarmaEntry(timestampMs: Build.t0, body: .auditDraw(other)), to: &s)
        }
    }

    @Test func theDecisionIsTheFirstEightBytesAgainstTheThreshold() throws {
        let zero = try Digest32(bytes: Data(repeating: 0, count: 32))
        let top = try Digest32(bytes: Data(repeating: 0xff, count: 32))
        #expect(AuditDraw.isAudited(beta: zero, probabilityPPM: 1))
        #expect(!AuditDraw.isAudited(beta: zero, probabilityPPM: 0))
        #expect(AuditDraw.isAudited(beta: top, probabilityPPM: AuditDraw.certain))
        #expect(!AuditDraw.isAudited(beta: top, probabilityPPM: AuditDraw.certain - 1))
        // 2^63 is audited at 50% + 1 ppm, not at exactly 50% (threshold 2^63 is exclusive).
        var half = Data(repeating: 0, count: 32)
        half[0] = 0x80
        let mid = try Digest32(bytes: half)
        #expect(!AuditDraw.isAudited(beta: mid, probabilityPPM: 500_000))
        #expect(AuditDraw.isAudited(beta: mid, probabilityPPM: 500_001))
    }

    /// The offender index the minimum uses follows the offences through a slash and a JSON round
    /// trip of the state.
    @Test func offendersFollowTheOffenceRecords() throws {
        var s = KarmaState()
        s.recordOffence(
            Build.digest(0x0F), OffenceRecord(node: TestKeys.bob.publicKey, kind: .wrongOutput, jobID: nil))
        #expect(s.offenders == [TestKeys.bob.publicKey])
        let decoded = try KarmaState(jsonObject: s.jsonObject())
        #expect(decoded.offenders == s.offenders)
        #expect(AuditRule.minimumPPM(nodes: quorum.map(\.publicKey), in: decoded) == AuditRule.offenderPPM)
    }
}
