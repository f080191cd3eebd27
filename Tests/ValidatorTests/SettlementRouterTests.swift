import Foundation
import Hummingbird
import HummingbirdTesting
import Karma
import Receipts
import TestSupport
import Testing

@testable import Validator

/// Every settlement case of specs/service.md §4 through the router (`app.test(.router)`), with the
/// real job repository (SQLite, and PostgreSQL when the test server is configured), the fake
/// kernel and a recording karma ledger.
@Suite struct SettlementRouterTests {
    /// The primary slashes recorded (not correlation penalties): node and offence kind.
    func slashes(_ h: Harness) -> [(XOnlyPublicKey, OffenceKind)] {
        h.karma.slashes.filter { $0.offence.kind != .correlation }.map { ($0.node, $0.offence.kind) }
    }

    /// The nodes charged a correlation penalty.
    func correlated(_ h: Harness) -> [XOnlyPublicKey] {
        h.karma.slashes.filter { $0.offence.kind == .correlation }.map(\.node)
    }

    /// The entry types recorded for `node` (`inference`, `slash/wrongOutput`, `jail`, ...).
    func kinds(_ h: Harness, for node: XOnlyPublicKey) -> [String] {
        h.karma.entries.filter { $0.nodes.contains(node) }.map(RecordedEntry.typeName)
    }

    @Test(arguments: PostgresTestServer.backends) func allThreeAgree(backend: StorageBackend) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            #expect(try await client.send(.post, "/v1/jobs", h.jobBody(1)).status == 201)
            for i in 0..<3 {
                let r = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 1, node: i))
                #expect(r.status == 202)
                #expect(try r.decode(ReceiptAck.self).nodesReported == i + 1)
            }
            try await h.core.settle(h.jobID(1))
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(1).hex)").decode(JobView.self)
            #expect(view.status == .settled)
            let settlement = try #require(view.settlement)
            #expect(settlement.truth == FakeExecutor.sha(h.honestOutput(h.input(1))).hex)
            #expect(settlement.method == "re-execution")
            #expect(settlement.outcomes.map(\.outcome) == ["agreed", "agreed", "agreed"])
            #expect(settlement.offences.isEmpty)
            for node in h.nodes { #expect(kinds(h, for: node.publicKey) == ["inference", "redundancy"]) }
            #expect(kinds(h, for: h.validatorKey.publicKey) == ["validation"])
            #expect(settlement.entries.count == 7)
        }
    }

    @Test(arguments: PostgresTestServer.backends) func twoAgreeOneWrongIsSlashedWithEvidence(
        backend: StorageBackend
    ) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(2))
            let bad = Data("garbage output".utf8)
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 2, node: 0))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 2, node: 1, output: bad))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 2, node: 2))
            try await h.core.settle(h.jobID(2))
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(2).hex)").decode(JobView.self)
            #expect(view.status == .disputed)
            let s = try #require(view.settlement)
            #expect(s.outcomes.map(\.outcome) == ["agreed", "wrongOutput", "agreed"])
            #expect(s.offences.count == 1)
            #expect(s.offences.first?.node == h.nodes[1].publicKey.hex)
            #expect(s.offences.first?.offence == "wrongOutput")
            #expect(s.offences.first?.ledgerIndex != nil)
            let slash = slashes(h)
            #expect(slash.count == 1)
            #expect(slash.first?.0 == h.nodes[1].publicKey)
            #expect(correlated(h).isEmpty)
            // The evidence is the faulty node's own signed receipt and the re-executed output.
            guard case .wrongOutput(let receipt, let truth)? = h.karma.slashes.first?.offence else {
                Issue.record("no wrong-output slash with evidence")
                return
            }
            #expect(receipt.receipt.outputCommitment == FakeExecutor.sha(bad))
            #expect(receipt.verify() == .valid)
            #expect(truth == FakeExecutor.sha(h.honestOutput(h.input(2))))
            #expect(kinds(h, for: h.nodes[0].publicKey) == ["inference", "redundancy"])
            #expect(kinds(h, for: h.nodes[1].publicKey) == ["slash/wrongOutput", "jail"])
        }
    }

    @Test(arguments: PostgresTestServer.backends) func threeDifferentOutputsAreEachJudged(
        backend: StorageBackend
    ) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(3))
            _ = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 3, node: 0, output: Data("x".utf8)))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 3, node: 1))
            _ = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 3, node: 2, output: Data("z".utf8)))
            try await h.core.settle(h.jobID(3))
            let s = try #require(
                try await client.send(.get, "/v1/jobs/\(h.jobID(3).hex)").decode(JobView.self).settlement)
            #expect(s.outcomes.map(\.outcome) == ["wrongOutput", "agreed", "wrongOutput"])
            #expect(s.majority == nil)
            #expect(s.correlated)
            #expect(correlated(h) == [h.nodes[0].publicKey, h.nodes[2].publicKey].sorted { $0.hex < $1.hex })
            // A lone agreeing node earns inference but no redundancy bonus.
            #expect(kinds(h, for: h.nodes[1].publicKey) == ["inference"])
        }
    }

    @Test(arguments: PostgresTestServer.backends) func majorityOverruledByReExecutionIsSlashedWithCorrelation(
        backend: StorageBackend
    ) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(4))
            let colluding = Data("colluding output".utf8)
            _ = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 4, node: 0, output: colluding))
            _ = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 4, node: 1, output: colluding))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 4, node: 2))
            try await h.core.settle(h.jobID(4))
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(4).hex)").decode(JobView.self)
            let s = try #require(view.settlement)
            #expect(view.status == .disputed)
            #expect(s.majority == FakeExecutor.sha(colluding).hex)
            #expect(s.majorityOverruled)
            #expect(s.correlated)
            #expect(slashes(h).map(\.0) == [h.nodes[0].publicKey, h.nodes[1].publicKey])
            #expect(slashes(h).allSatisfy { $0.1 == .wrongOutput })
            #expect(Set(correlated(h)) == [h.nodes[0].publicKey, h.nodes[1].publicKey])
            #expect(kinds(h, for: h.nodes[2].publicKey) == ["inference"])
        }
    }

    @Test(arguments: PostgresTestServer.backends) func deadlineWithOneReceiptSettlesAndAbsentNodesMissSLA(
        backend: StorageBackend
    ) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(5, withInput: false, deadlineIn: 1000))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 5, node: 1, withInput: true))
            // Before the deadline nothing is due.
            #expect(try await h.core.repository.jobsToSettle(nowMs: h.now, includeComplete: true).isEmpty)
            h.advance(ms: 1001)
            #expect(
                try await h.core.repository.jobsToSettle(nowMs: h.now, includeComplete: true) == [h.jobID(5)])
            try await h.core.settle(h.jobID(5))
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(5).hex)").decode(JobView.self)
            #expect(view.status == .settled)
            #expect(view.settlement?.outcomes.map(\.outcome) == ["absent", "agreed", "absent"])
            // An SLA miss is recorded in the settlement only: no ledger entry (specs/service.md §4.5).
            #expect(kinds(h, for: h.nodes[0].publicKey).isEmpty)
            #expect(kinds(h, for: h.nodes[1].publicKey) == ["inference"])
            #expect(kinds(h, for: h.nodes[2].publicKey).isEmpty)
            // A late receipt after settlement is refused and changes nothing.
            let before = h.karma.entries.count
            let late = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 5, node: 0))
            #expect(late.status == 409)
            #expect(late.errorCode == "job-settled")
            #expect(h.karma.entries.count == before)
        }
    }

    @Test(arguments: PostgresTestServer.backends) func deadlineWithoutInputCannotJudge(
        backend: StorageBackend
    ) async throws {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(6, withInput: false, deadlineIn: 10))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 6, node: 0))
            h.advance(ms: 11)
            try await h.core.settle(h.jobID(6))
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(6).hex)").decode(JobView.self)
            #expect(view.status == .disputed)
            #expect(view.settlement?.truth == nil)
            #expect(view.settlement?.method == "none")
            #expect(view.settlement?.note?.contains("no input tensor") == true)
            #expect(view.settlement?.outcomes.map(\.outcome) == ["unjudged", "absent", "absent"])
            #expect(slashes(h).isEmpty)
        }
    }

    @Test(arguments: PostgresTestServer.backends) func equivocationIsStoredAndSlashed(backend: StorageBackend)
        async throws
    {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(7))
            #expect(
                try await client.send(.post, "/v1/receipts", h.receiptBody(job: 7, node: 0)).status == 202)
            let second = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 7, node: 0, output: Data("other".utf8), sequence: 2)
            )
            #expect(second.status == 202)
            #expect(try second.decode(ReceiptAck.self).status == .equivocation)
            #expect(try second.decode(ReceiptAck.self).nodesReported == 1)
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 7, node: 1))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 7, node: 2))
            try await h.core.settle(h.jobID(7))
            let s = try #require(
                try await client.send(.get, "/v1/jobs/\(h.jobID(7).hex)").decode(JobView.self).settlement)
            #expect(s.outcomes.map(\.outcome) == ["equivocation", "agreed", "agreed"])
            #expect(slashes(h).map(\.1) == [.equivocation])
            guard case .equivocation(let first, let second)? = h.karma.slashes.first?.offence else {
                Issue.record("no equivocation slash with evidence")
                return
            }
            #expect(first.receipt.outputCommitment != second.receipt.outputCommitment)
        }
    }

    @Test(arguments: PostgresTestServer.backends) func sameReceiptTwiceCreditsOnce(backend: StorageBackend)
        async throws
    {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(8))
            let body = try h.receiptBody(job: 8, node: 0)
            #expect(try await client.send(.post, "/v1/receipts", body).status == 202)
            let again = try await client.send(.post, "/v1/receipts", body)
            #expect(again.status == 200)
            #expect(try again.decode(ReceiptAck.self).status == .duplicate)
            // Same output, new receipt bytes (sequence 2): still a duplicate, not equivocation.
            let resigned = try await client.send(
                .post, "/v1/receipts", h.receiptBody(job: 8, node: 0, sequence: 2))
            #expect(try resigned.decode(ReceiptAck.self).status == .duplicate)
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 8, node: 1))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 8, node: 2))
            try await h.core.settle(h.jobID(8))
            // Settling again (a replayed trigger) records nothing new.
            #expect(try await h.core.settle(h.jobID(8)) == nil)
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(8).hex)").decode(JobView.self)
            #expect(view.receipts.count == 1 + 2)
            #expect(kinds(h, for: h.nodes[0].publicKey) == ["inference", "redundancy"])
        }
    }

    @Test(arguments: PostgresTestServer.backends) func receiptsThatChangeNothing(backend: StorageBackend)
        async throws
    {
        let h = try Harness(backend: backend)
        try await Application(router: h.router).test(.router) { client in
            // Unknown job.
            let unknown = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 9, node: 0))
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "unknown-job")
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(9))
            // Unassigned node: a valid receipt signed by an outsider.
            let outsider = SchnorrSigningKey.generate()
            let out = h.honestOutput(h.input(9))
            let receipt = Receipt(
                jobID: h.jobID(9), modelID: h.model, layerStart: 0, layerEnd: 2,
                inputCommitment: FakeExecutor.sha(h.input(9)), outputCommitment: FakeExecutor.sha(out),
                node: outsider.publicKey, startedAtMs: 1, finishedAtMs: 2, sequence: 1)
            let signed = try SignedReceipt.sign(receipt, with: outsider)
            let r1 = try await client.send(
                .post, "/v1/receipts", ReceiptSubmission(signed: signed, output: out).json())
            #expect(r1.status == 403)
            #expect(r1.errorCode == "node-not-assigned")
            // Tampered signature.
            var forged = try h.signedReceipt(job: 9, node: 0, output: out)
            forged.receipt.finishedAtMs += 1
            let r2 = try await client.send(
                .post, "/v1/receipts", ReceiptSubmission(signed: forged, output: out).json())
            #expect(r2.status == 422)
            #expect(r2.errorCode == "invalid-signature")
            // Output bytes that do not match the signed commitment.
            let signedGood = try h.signedReceipt(job: 9, node: 0, output: out)
            let r3 = try await client.send(
                .post, "/v1/receipts",
                ReceiptSubmission(signed: signedGood, output: Data("not it".utf8)).json())
            #expect(r3.status == 422)
            #expect(r3.errorCode == "commitment-mismatch")
            // Input that does not match the job's input commitment.
            let r4 = try await client.send(
                .post, "/v1/receipts",
                ReceiptSubmission(signed: signedGood, output: out, input: Data("wrong input".utf8)).json())
            #expect(r4.errorCode == "commitment-mismatch")
            // Receipt for other layers than announced.
            let otherLayers = try h.signedReceipt(job: 9, node: 0, output: out, layers: 0..<3)
            let r5 = try await client.send(
                .post, "/v1/receipts", ReceiptSubmission(signed: otherLayers, output: out).json())
            #expect(r5.status == 422)
            #expect(r5.errorCode == "receipt-mismatch")
            // Nothing was stored or credited.
            let view = try await client.send(.get, "/v1/jobs/\(h.jobID(9).hex)").decode(JobView.self)
            #expect(view.receipts.isEmpty)
            #expect(h.karma.entries.isEmpty)
        }
    }

    @Test func verifiedProofReplacesReExecution() async throws {
        let h = try Harness(mode: .verifyProofs)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(10))
            let honest = h.honestOutput(h.input(10))
            let proof = FakeProofChecker.proof(input: h.input(10), output: honest)
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 10, node: 0, proof: proof))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 10, node: 1))
            // Node 2 attaches a proof that does not verify (for a different output).
            let badProof = Data("not a proof".utf8)
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 10, node: 2, proof: badProof))
            try await h.core.settle(h.jobID(10))
            let s = try #require(
                try await client.send(.get, "/v1/jobs/\(h.jobID(10).hex)").decode(JobView.self).settlement)
            #expect(s.method == "proof")
            #expect(s.truth == FakeExecutor.sha(honest).hex)
            #expect(s.outcomes.map(\.outcome) == ["agreed", "agreed", "invalidProof"])
            #expect(slashes(h).map(\.1) == [.invalidProof])
            #expect(
                h.karma.entries.contains {
                    $0.body
                        == .validation(
                            ValidationAccrual(
                                validator: h.validatorKey.publicKey, jobID: h.jobID(10), method: .proof,
                                macs: 2000))
                })
        }
    }

    @Test func proofRefMustMatchAttachedProof() async throws {
        let h = try Harness(mode: .verifyProofs)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(11))
            let out = h.honestOutput(h.input(11))
            let signed = try h.signedReceipt(job: 11, node: 0, output: out, proof: Data("p1".utf8))
            let body = ReceiptSubmission(signed: signed, output: out, proof: Data("p2".utf8)).json()
            let r = try await client.send(.post, "/v1/receipts", body)
            #expect(r.status == 422)
            #expect(r.errorCode == "proof-ref-mismatch")
        }
    }
}
