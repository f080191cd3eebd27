import Foundation
import Hummingbird
import HummingbirdTesting
import Receipts
import Testing

@testable import Validator

/// Request validation and error mapping through the router: every bad input is a 4xx with a JSON
/// error body, never a 500.
@Suite struct APIRouterTests {
    @Test func announcementRules() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            let body = try h.jobBody(1)
            #expect(try await client.send(.post, "/v1/jobs", body).status == 201)
            let again = try await client.send(.post, "/v1/jobs", body)
            #expect(again.status == 200)
            #expect(try again.decode(JobAck.self).status == "duplicate")
            // Same id, other content.
            var other = h.announcement(1)
            other.slaMs += 1
            let conflicting = try SignedJobAnnouncement.sign(other, with: h.orchestrator)
            let c = try await client.send(
                .post, "/v1/jobs", JobSubmission(signed: conflicting, input: nil).json())
            #expect(c.status == 409)
            #expect(c.errorCode == "conflicting-announcement")
            // Not a configured orchestrator.
            let stranger = SchnorrSigningKey.generate()
            var a = h.announcement(2)
            a.orchestrator = stranger.publicKey
            let s = try await client.send(
                .post, "/v1/jobs", JobSubmission(signed: try .sign(a, with: stranger), input: nil).json())
            #expect(s.status == 403)
            #expect(s.errorCode == "unknown-orchestrator")
            // Bad signature.
            var signed = try SignedJobAnnouncement.sign(h.announcement(3), with: h.orchestrator)
            signed.announcement.deadlineMs += 1
            let b = try await client.send(.post, "/v1/jobs", JobSubmission(signed: signed, input: nil).json())
            #expect(b.status == 422)
            #expect(b.errorCode == "invalid-signature")
            // Unknown model.
            var m = h.announcement(4)
            m.modelID = FakeExecutor.sha(Data("other model".utf8))
            let u = try await client.send(
                .post, "/v1/jobs",
                JobSubmission(signed: try .sign(m, with: h.orchestrator), input: nil).json())
            #expect(u.errorCode == "unknown-model")
            // Two identical nodes.
            var d = h.announcement(5)
            d.nodes[2] = d.nodes[0]
            let dup = try await client.send(
                .post, "/v1/jobs",
                JobSubmission(signed: try .sign(d, with: h.orchestrator), input: nil).json())
            #expect(dup.status == 422)
            #expect(dup.errorCode == "invalid-announcement")
            // Input that does not match the announced commitment.
            let wrong = JobSubmission(
                signed: try .sign(h.announcement(6), with: h.orchestrator), input: Data("nope".utf8))
            #expect(try await client.send(.post, "/v1/jobs", wrong.json()).errorCode == "commitment-mismatch")
        }
    }

    @Test(arguments: [
        ("not json", "malformed-body"),
        ("{}", "malformed-body"),
        ("[1,2]", "malformed-body"),
        ("{\"receipt\": {}, \"output\": \"AA==\"}", "malformed-body"),
        ("{\"receipt\": 5, \"output\": \"AA==\"}", "malformed-body"),
        ("{\"receipt\": {\"a\": 1}, \"a\": 1, \"a\": 2}", "malformed-body"),
    ])
    func malformedReceiptBodies(body: String, code: String) async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            let r = try await client.send(.post, "/v1/receipts", Data(body.utf8))
            #expect(r.status == 400)
            #expect(r.errorCode == code)
        }
    }

    @Test func receiptMemberErrors() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(1))
            let good = try h.signedReceipt(job: 1, node: 0, output: h.honestOutput(h.input(1)))
            let receiptJSON = String(decoding: good.json(), as: UTF8.self)
            for body in [
                "{\"receipt\": \(receiptJSON)}",  // no output
                "{\"receipt\": \(receiptJSON), \"output\": \"***\"}",  // not base64
                "{\"receipt\": \(receiptJSON), \"output\": \"AA==\", \"extra\": 1}",  // unknown member
                "{\"receipt\": \(receiptJSON), \"output\": 7}",
            ] {
                let r = try await client.send(.post, "/v1/receipts", Data(body.utf8))
                #expect(r.status == 400, "\(body.suffix(40))")
                #expect(r.errorCode == "malformed-body")
            }
        }
    }

    @Test func oversizedBodiesAre413() async throws {
        let limits = ValidatorConfig.Limits(
            maxReceiptBodyBytes: 4096, maxJobBodyBytes: 4096, maxSmallBodyBytes: 1024)
        let h = try Harness(limits: limits)
        try await Application(router: h.router).test(.router) { client in
            let big = Data(repeating: UInt8(ascii: " "), count: 5000)
            for path in ["/v1/receipts", "/v1/jobs"] {
                let r = try await client.send(.post, path, big)
                #expect(r.status == 413)
                #expect(r.errorCode == "body-too-large")
            }
            let hb = try await client.send(.post, "/v1/heartbeats", Data(repeating: 0x20, count: 2000))
            #expect(hb.status == 413)
        }
    }

    @Test func queriesAndParameters() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            #expect(try await client.send(.get, "/v1/jobs/xyz").status == 400)
            #expect(try await client.send(.get, "/v1/jobs/\(h.jobID(1).hex)").errorCode == "unknown-job")
            #expect(try await client.send(.get, "/v1/nodes/zz").status == 400)
            #expect(
                try await client.send(.get, "/v1/nodes/\(h.nodes[0].publicKey.hex)").errorCode
                    == "unknown-node")
            #expect(try await client.send(.get, "/v1/proofs/inclusion").errorCode == "bad-parameter")
            #expect(try await client.send(.get, "/v1/proofs/inclusion?index=-1").status == 400)
            // The log is empty: no index is in range.
            #expect(try await client.send(.get, "/v1/proofs/inclusion?index=0&size=1").status == 400)
            #expect(try await client.send(.get, "/v1/proofs/consistency?old=1").errorCode == "bad-parameter")
            #expect(try await client.send(.post, "/v1/staking/steal", Data("{}".utf8)).status == 404)
            let missing = try await client.send(.get, "/no/such/thing")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not-found")
            #expect(try await client.send(.get, "/tile/0/000.p/1").status == 200)
            #expect(try await client.send(.get, "/checkpoint").status == 200)
            let health = try await client.send(.get, "/healthz")
            #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")
            let answer = try await client.send(.get, "/v1/status")
            try #require(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(try answer.decode(StatusView.self).validator == h.validatorKey.publicKey.hex)
        }
    }

    @Test func metricsAreExported() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(1))
            _ = try await client.send(.post, "/v1/receipts", h.receiptBody(job: 1, node: 0))
            _ = try await client.send(.post, "/v1/receipts", Data("bad".utf8))
            let text = String(decoding: try await client.send(.get, "/metrics").body, as: UTF8.self)
            #expect(text.contains("mesh_jobs_announced_total 1"))
            #expect(text.contains("mesh_receipts_total{disposition=\"accepted\"} 1"))
            #expect(text.contains("mesh_requests_rejected_total{"))
        }
    }

    /// Request metrics by method, route template and status (specs/service.md §7), error answers
    /// and unmatched paths included.
    @Test func requestMetricsCountEveryAnswerByRouteAndStatus() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(1))
            _ = try await client.send(.get, "/v1/jobs/\(h.jobID(1).hex)")
            _ = try await client.send(.get, "/v1/jobs/\(h.jobID(2).hex)")
            _ = try await client.send(.post, "/v1/receipts", Data("bad".utf8))
            _ = try await client.send(.get, "/no/such/path")
            let text = String(decoding: try await client.send(.get, "/metrics").body, as: UTF8.self)
            let lines = text.split(separator: "\n").map(String.init)
            func count(_ labels: String) -> String? {
                lines.first { $0.hasPrefix("mesh_http_requests_total{") && $0.contains(labels) }?
                    .split(separator: " ").last.map(String.init)
            }
            #expect(count(#"method="POST",route="/v1/jobs",status="201""#) == "1", "\(text)")
            #expect(count(#"method="GET",route="/v1/jobs/{id}",status="200""#) == "1")
            #expect(count(#"method="GET",route="/v1/jobs/{id}",status="404""#) == "1")
            #expect(count(#"method="POST",route="/v1/receipts",status="400""#) == "1")
            #expect(count(#"route="unmatched",status="404""#) == "1")
            #expect(
                lines.contains {
                    $0.hasPrefix("mesh_http_request_duration_seconds_bucket{")
                        && $0.contains(#"route="/v1/jobs/{id}""#)
                })
        }
    }
}
