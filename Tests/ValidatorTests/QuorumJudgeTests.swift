import Testing

@testable import Validator

/// Case-by-case tests of the pure 2-of-3 rule (specs/service.md §4.2), on plain strings.
@Suite struct QuorumJudgeTests {
    typealias Judge = QuorumJudge<String, String>
    let nodes = ["a", "b", "c"]

    func claims(_ pairs: [(String, [String])], invalidProof: Set<String> = []) -> [String: Judge.Claim] {
        Dictionary(
            uniqueKeysWithValues: pairs.map {
                ($0.0, Judge.Claim(outputs: $0.1, invalidProof: invalidProof.contains($0.0)))
            })
    }

    func outcome(_ j: Judge.Judgement, _ node: String) -> Judge.Outcome? {
        j.outcomes.first { $0.node == node }?.outcome
    }

    @Test func allThreeAgreeWithTruth() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("b", ["x"]), ("c", ["x"])]), truth: "x")
        #expect(j.agreeing == ["a", "b", "c"])
        #expect(j.offenders.isEmpty)
        #expect(j.majority == "x")
        #expect(!j.majorityOverruled)
        #expect(j.offenders.count < 2)
        #expect(j.isClean)
    }

    @Test func twoAgreeOneWrong() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("b", ["y"]), ("c", ["x"])]), truth: "x")
        #expect(outcome(j, "a") == .agreed)
        #expect(outcome(j, "b") == .wrongOutput(claimed: "y"))
        #expect(outcome(j, "c") == .agreed)
        #expect(j.offenders == ["b"])
        #expect(j.offenders.count < 2)
        #expect(!j.isClean)
    }

    @Test func threeDifferentOutputsJudgedEachAgainstTruth() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("b", ["y"]), ("c", ["z"])]), truth: "y")
        #expect(outcome(j, "a") == .wrongOutput(claimed: "x"))
        #expect(outcome(j, "b") == .agreed)
        #expect(outcome(j, "c") == .wrongOutput(claimed: "z"))
        #expect(j.majority == nil)
        #expect(j.offenders.count == 2)  // two slashed for one job: the rules add correlation
    }

    @Test func threeDifferentOutputsNoneRight() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("b", ["y"]), ("c", ["z"])]), truth: "t")
        #expect(j.agreeing.isEmpty)
        #expect(j.offenders == ["a", "b", "c"])
        #expect(j.offenders.count >= 2)
    }

    @Test func majorityOverruledByReExecution() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["y"]), ("b", ["y"]), ("c", ["x"])]), truth: "x")
        #expect(j.majority == "y")
        #expect(j.majorityOverruled)
        #expect(j.offenders == ["a", "b"])
        #expect(j.offenders.count >= 2)
        #expect(outcome(j, "c") == .agreed)
    }

    @Test func deadlineWithOneReceiptAbsentNodesMissSLA() {
        let j = Judge.judge(assigned: nodes, claims: claims([("b", ["x"])]), truth: "x")
        #expect(outcome(j, "a") == .absent)
        #expect(outcome(j, "b") == .agreed)
        #expect(outcome(j, "c") == .absent)
        #expect(j.majority == nil)
        #expect(j.isClean)  // absence is not an offence
    }

    @Test func deadlineWithNoReceipts() {
        let j = Judge.judge(assigned: nodes, claims: [:], truth: "x")
        #expect(j.outcomes.map(\.outcome) == [.absent, .absent, .absent])
        #expect(j.offenders.isEmpty)
    }

    @Test func equivocationIsSlashedEvenIfOneOutputIsRight() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x", "y"]), ("b", ["x"]), ("c", ["x"])]), truth: "x")
        #expect(outcome(j, "a") == .equivocated(outputs: ["x", "y"]))
        #expect(j.agreeing == ["b", "c"])
        #expect(j.offenders.count < 2)
    }

    @Test func equivocatorDoesNotCountTowardMajority() {
        // a equivocates between y and x; b says y: y has one honest vote only.
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["y", "x"]), ("b", ["y"]), ("c", ["x"])]), truth: "x")
        #expect(j.majority == nil)
        #expect(outcome(j, "b") == .wrongOutput(claimed: "y"))
        #expect(j.offenders.count >= 2)
    }

    @Test func invalidProofIsAnOffenceEvenWithRightOutput() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("b", ["x"]), ("c", ["x"])], invalidProof: ["c"]),
            truth: "x")
        #expect(outcome(j, "c") == .invalidProof)
        #expect(j.agreeing == ["a", "b"])
        #expect(j.offenders == ["c"])
    }

    @Test func unknownTruthJudgesNobody() {
        let j = Judge.judge(assigned: nodes, claims: claims([("a", ["x"]), ("b", ["x"])]), truth: nil)
        #expect(outcome(j, "a") == .unjudged)
        #expect(outcome(j, "b") == .unjudged)
        #expect(outcome(j, "c") == .absent)
        #expect(j.offenders.isEmpty)
        #expect(!j.majorityOverruled)
        #expect(j.majority == "x")
    }

    @Test func unknownTruthStillSlashesEquivocation() {
        let j = Judge.judge(assigned: nodes, claims: claims([("a", ["x", "y"])]), truth: nil)
        #expect(j.offenders == ["a"])
    }

    @Test func claimsFromUnassignedNodesAreIgnored() {
        let j = Judge.judge(
            assigned: nodes, claims: claims([("a", ["x"]), ("z", ["y"]), ("b", ["x"])]), truth: "x")
        #expect(j.outcomes.map(\.node) == ["a", "b", "c"])
        #expect(j.agreeing == ["a", "b"])
    }

    @Test func duplicateAssignmentIsJudgedOnce() {
        let j = Judge.judge(assigned: ["a", "a", "b"], claims: claims([("a", ["x"])]), truth: "x")
        #expect(j.outcomes.map(\.node) == ["a", "b"])
    }

    @Test func deterministicOrderFollowsAssignment() {
        let c = claims([("a", ["x"]), ("b", ["y"]), ("c", ["x"])])
        let first = Judge.judge(assigned: ["c", "b", "a"], claims: c, truth: "x")
        #expect(first.outcomes.map(\.node) == ["c", "b", "a"])
        #expect(first == Judge.judge(assigned: ["c", "b", "a"], claims: c, truth: "x"))
    }
}
