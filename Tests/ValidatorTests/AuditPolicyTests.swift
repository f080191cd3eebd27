import Foundation
import Hummingbird
import HummingbirdTesting
import Karma
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The settlement policy for unanimous jobs (specs/service.md §4.1) and the verifiable audit draw
/// (specs/karma.md §5.8), through the HTTP API and the karma rules.
@Suite struct AuditPolicyTests {
    /// Announces jobs `jobs`, posts a receipt from every node (the output `output(n)` or the
    /// honest one), settles them as one batch and returns the job views.
    func run(
        _ h: Harness, jobs: [Int], output: (@Sendable (Int) -> Data)? = nil
    ) async throws -> [JobView] {
        try await Application(router: h.router).test(.router) { client in
            var views: [JobView] = []
            for n in jobs {
                #expect(try await client.send(.post, "/v1/jobs", h.jobBody(n)).status == 201)
                for i in 0..<3 {
                    let body = try h.receiptBody(job: n, node: i, output: output?(n))
                    #expect(try await client.send(.post, "/v1/receipts", body).status == 202)
                }
            }
            _ = try await h.core.settler.settle(batch: jobs.map { (h.jobID($0), nil) })
            for n in jobs {
                views.append(try await client.send(.get, "/v1/jobs/\(h.jobID(n).hex)").decode(JobView.self))
            }
            return views
        }
    }

    func executor() -> GatedExecutor {
        GatedExecutor(inner: FakeExecutor(models: [FakeExecutor.sha(Data("model".utf8))]), delay: .zero)
    }

    /// An audit at certainty re-executes a unanimous wrong answer: all three are slashed, with
    /// the correlation penalty, and the draw is the job's first entry.
    @Test func aUnanimousWrongAnswerIsCaughtByAnAudit() async throws {
        let h = try Harness(reExecute: .audited, auditPPM: 1_000_000)
        let views = try await run(h, jobs: [1], output: { _ in Data("all three lie".utf8) })
        let s = try #require(views[0].settlement)
        #expect(views[0].status == .disputed)
        #expect(s.method == "re-execution")
        #expect(s.audit?.audited == true && s.audit?.probabilityPPM == 1_000_000)
        #expect(s.outcomes.map(\.outcome) == ["wrongOutput", "wrongOutput", "wrongOutput"])
        #expect(s.correlated)
        guard case .auditDraw(let draw) = h.karma.entries.first?.body else {
            Issue.record("the first entry is not the audit draw")
            return
        }
        #expect(draw.audited && draw.jobID == h.jobID(1))
        #expect(h.karma.slashes.filter { $0.offence.kind == .wrongOutput }.count == 3)
    }

    /// A job settled again — its first settlement's entries appended, the process gone before the
    /// settlement was stored (a crash, a lost lease) — keeps the draw the log holds, although the
    /// state has moved: one of its nodes has been slashed since, which raises the quorum's
    /// minimum to 50%, so drawing again would record another probability (and could flip the
    /// verdict). The second settlement lists the first's entries as duplicates and appends
    /// nothing.
    @Test func aJobSettledAgainKeepsTheDrawTheLogHolds() async throws {
        let h = try Harness(reExecute: .audited, auditPPM: 50_000)
        let first = try #require(try await run(h, jobs: [1])[0].settlement)
        let firstDraw = try #require(first.audit)
        #expect(firstDraw.probabilityPPM < AuditRule.offenderPPM, "drawn before any slash")
        // Job 2: node 0 is outvoted and slashed (an offender raises its quorums' minimum).
        try await Application(router: h.router).test(.router) { client in
            #expect(try await client.send(.post, "/v1/jobs", h.jobBody(2)).status == 201)
            for i in 0..<3 {
                let body = try h.receiptBody(job: 2, node: i, output: i == 0 ? Data("wrong".utf8) : nil)
                #expect(try await client.send(.post, "/v1/receipts", body).status == 202)
            }
        }
        _ = try await h.core.settler.settle(batch: [(h.jobID(2), nil)])
        #expect(h.karma.slashes.contains { $0.node == h.nodes[0].publicKey })
        let appended = h.karma.entries.count

        // The process that settled job 1 is gone before storing its settlement: job 1 is
        // `settling` again, and the next leader settles it again.
        let database = h.directory.appendingPathComponent("validator.sqlite").path
        let reset = try runPython([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                + "c.execute(\"UPDATE jobs SET status='settling', settlement=NULL WHERE id=?\", "
                + "(bytes.fromhex(sys.argv[2]),)); c.commit(); print(c.total_changes)",
            database, h.jobID(1).hex,
        ])
        #expect(reset.status == 0 && reset.stdoutText.hasPrefix("1"), "\(reset.stderrText)")
        let again = try #require(try await h.core.settler.settle(batch: [(h.jobID(1), nil)])[h.jobID(1)])
        #expect(again.audit == firstDraw, "the draw in the log, not a new one")
        #expect(again.method == first.method)
        #expect(h.karma.entries.count == appended, "a settlement run again appends nothing")
        #expect(again.entries.map(\.index) == first.entries.map(\.index), "\(again.note ?? "")")
        #expect(again.entries.allSatisfy { $0.duplicate })
    }

    /// `on-dispute`: a unanimous job is accepted without running the kernel; the nodes are
    /// credited, the validator is not, and no draw is recorded.
    @Test func onDisputeAcceptsUnanimousJobsWithoutReexecution() async throws {
        let gated = executor()
        let h = try Harness(executor: gated, reExecute: .onDispute)
        let views = try await run(h, jobs: [1, 2])
        #expect(views.allSatisfy { $0.status == .settled && $0.settlement?.method == "consensus" })
        #expect(views.allSatisfy { $0.settlement?.audit == nil })
        #expect(gated.runs == 0)
        let types = h.karma.entries.map(RecordedEntry.typeName)
        #expect(types.filter { $0 == "inference" }.count == 6)
        #expect(!types.contains("validation") && !types.contains("auditDraw"))
        // An auditor sees both jobs paid with no re-execution and no draw.
        #expect(Self.coverage(h.karma.entries).unaccounted.map(\.jobID) == [h.jobID(1), h.jobID(2)])
    }

    /// `audited` at the rules' minimum: every draw verifies under the validator's public key, its
    /// output decides exactly the jobs that were re-executed, and the karma rules accepted every
    /// draw (the recording ledger applies them).
    @Test func everyDrawIsVerifiableAndDecidesWhatIsReexecuted() async throws {
        let gated = executor()
        let h = try Harness(executor: gated, reExecute: .audited, auditPPM: 50_000)
        let jobs = Array(1...16)
        let views = try await run(h, jobs: jobs)
        var audited = 0
        let draws = h.karma.entries.compactMap { e -> AuditDraw? in
            if case .auditDraw(let d) = e.body { return d }
            return nil
        }
        #expect(draws.count == jobs.count)
        for (n, view) in zip(jobs, views) {
            let s = try #require(view.settlement)
            let record = try #require(s.audit)
            // New nodes (no inference yet) are audited at 25% (AuditRule.newNodePPM).
            #expect(record.probabilityPPM == AuditRule.newNodePPM)
            let draw = try #require(draws.first { $0.jobID == h.jobID(n) })
            let beta = try #require(
                h.validatorKey.publicKey.vrfVerify(
                    AuditDraw.alpha(jobID: draw.jobID, receipts: draw.receipts), proof: draw.proof))
            let decided = AuditDraw.isAudited(beta: beta, probabilityPPM: draw.probabilityPPM)
            #expect(decided == record.audited)
            #expect(s.method == (decided ? "re-execution" : "consensus"))
            #expect(draw.receipts.map(\.node) == h.nodes.map(\.publicKey))
            if decided { audited += 1 }
        }
        #expect(gated.runs == audited, "exactly the audited jobs ran on the kernel")
        // What an auditor finds in these entries: every job accounted for, by re-execution or by
        // a draw that did not audit.
        let coverage = Self.coverage(h.karma.entries)
        #expect(coverage.isComplete)
        #expect(coverage.reexecuted == audited && coverage.acceptedAfterDraw == jobs.count - audited)
    }

    /// `audit settlements` over recorded entries (specs/karma.md §5.8).
    static func coverage(_ entries: [KarmaEntry]) -> SettlementCoverage.Report {
        var c = SettlementCoverage()
        for (i, e) in entries.enumerated() { c.observe(e, at: UInt64(i)) }
        return c.report
    }

    /// A job with a dissenting node is re-executed whatever the policy, and records no draw.
    @Test func aDisputeIsAlwaysReexecuted() async throws {
        let gated = executor()
        let h = try Harness(executor: gated, reExecute: .onDispute)
        let view = try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(7))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 7, node: 0))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 7, node: 1))
            _ = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 7, node: 2, output: Data("x".utf8)))
            _ = try await h.core.settler.settle(batch: [(h.jobID(7), nil)])
            return try await client.send(.get, "/v1/jobs/\(h.jobID(7).hex)").decode(JobView.self)
        }
        #expect(view.settlement?.method == "re-execution")
        #expect(view.settlement?.audit == nil)
        #expect(gated.runs == 1)
    }
}
