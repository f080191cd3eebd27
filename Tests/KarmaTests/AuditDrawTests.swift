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

    /// The batched replay verifies draws' VRF proofs ahead, on other threads, and still refuses a
    /// forged draw at the same index as the one-entry-at-a-time replay.
    @Test func drawsArePreverifiedInABatchAndAForgeryIsStillRefused() throws {
        let genuine = (0..<6).map {
            Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x30 + UInt8($0)))
        }
        let forged = Build.auditDraw(TestKeys.erin, nodes: quorum, job: Build.digest(0x50), flip: true)
        let bytes = (genuine + [forged]).map(\.canonicalBytes)
        let batch = KarmaBatch(bytes, threads: 2)
        // The flipped draw's proof is genuine (its `audited` flag is the lie): its claim verifies.
        #expect(batch.signatures.vrfCount == genuine.count + 1)
        // A proof under another key does not.
        guard case .auditDraw(var stolen) = genuine[1].body else { return }
        stolen.validator = TestKeys.dave.publicKey
        let withStolen = KarmaBatch(
            [genuine[0], KarmaEntry(timestampMs: Build.t0, body: .auditDraw(stolen))].map(\.canonicalBytes),
            threads: 2)
        #expect(withStolen.signatures.vrfCount == 1)
        var one = KarmaReplayer(engine: engine)
        var refusedAt: UInt64?
        for b in bytes {
            do { try one.apply(canonicalBytes: b) } catch { refusedAt = error.index; break }
        }
        var batched = KarmaReplayer(engine: engine)
        #expect(throws: KarmaReplayFailure.self) { try batched.apply(prepared: batch) }
        #expect(refusedAt == UInt64(genuine.count) && batched.count == one.count)
        #expect(batched.state.stateHash == one.state.stateHash)
        // A VRF output is answered from the set only for the claim that verified.
        guard case .auditDraw(let d) = genuine[0].body else { return }
        let alpha = AuditDraw.alpha(jobID: d.jobID, receipts: d.receipts)
        let claim = VerifiedSignatures.VRFClaim(key: d.validator, alpha: alpha, proof: d.proof)
        #expect(batch.signatures.vrfOutput(claim) == TestKeys.erin.publicKey.vrfVerify(alpha, proof: d.proof))
        var other = claim
        other.alpha.append(0)
        #expect(batch.signatures.vrfOutput(other) == nil)
    }
}
