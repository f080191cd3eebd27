import Foundation
import Hummingbird
import HummingbirdTesting
import Receipts
import TestSupport
import Testing

@testable import Validator

/// Where the code and specs/openapi.yaml + specs/service.md once disagreed: each test pins the
/// behaviour both now state.
@Suite struct ContractDriftTests {
    /// specs/service.md §3.2 rule 6: a proof attached to a receipt whose `proofRef` is null (or
    /// omitted) is 422 `proof-ref-mismatch`, not a malformed body: the body is schema-valid.
    @Test func proofWithNullProofRefIsProofRefMismatch() async throws {
        let h = try Harness(mode: .verifyProofs)
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(1))
            let out = h.honestOutput(h.input(1))
            let signed = try h.signedReceipt(job: 1, node: 0, output: out, proof: nil)
            #expect(signed.receipt.proofRef == nil)
            let proof = Data("a proof".utf8)
            let r = try await client.send(
                .post, "/v1/receipts", ReceiptSubmission(signed: signed, output: out, proof: proof).json())
            #expect(r.status == 422)
            #expect(r.errorCode == "proof-ref-mismatch")
            let message = try r.decode(ErrorBody.self).error.message
            #expect(message.contains("null"), "\(message)")
            #expect(message.contains(Digest32.sha256(proof).hex), "\(message)")
            // Without a proof the same receipt is taken.
            let ok = try await client.send(
                .post, "/v1/receipts", ReceiptSubmission(signed: signed, output: out).json())
            #expect(ok.status == 202)
        }
    }

    /// specs/openapi.yaml `getNode`: `recent` is 0–1000; anything else is 400 `bad-parameter`.
    @Test func recentOutOfRangeIs400() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            let node = "/v1/nodes/\(h.nodes[0].publicKey.hex)"
            for bad in ["1001", "-1", "abc", "", "+5", "1e3", "99999999999999999999999"] {
                let r = try await client.send(.get, "\(node)?recent=\(bad)")
                #expect(r.status == 400, "recent=\(bad): \(r.status)")
                #expect(r.errorCode == "bad-parameter", "recent=\(bad)")
                #expect(
                    (try? r.decode(ErrorBody.self).error.message.contains("recent")) == true, "recent=\(bad)")
            }
            // In range (and absent): past the parameter check (the node has no history: 404).
            for good in ["?recent=0", "?recent=1000", "?recent=20", ""] {
                let r = try await client.send(.get, "\(node)\(good)")
                #expect(r.errorCode == "unknown-node", "\(good): \(r.status)")
            }
        }
        #expect(try NodesController.recent(nil) == 20)
        #expect(try NodesController.recent("1000") == 1000)
        #expect(try NodesController.recent("007") == 7)
    }

    /// specs/openapi.yaml `Base64`: canonical padded standard base64 only; the error names the
    /// member.
    @Test(arguments: [
        ("AAA", "not a multiple of 4"),  // unpadded
        ("AA", "not a multiple of 4"),
        ("AA=", "not a multiple of 4"),
        ("AA==\n", "not a multiple of 4"),
        ("AA =", "outside standard base64"),
        ("A-_=", "outside standard base64"),  // URL-safe alphabet
        ("A===", "outside standard base64"),
        ("AB==", "not canonical"),  // non-zero pad bits
        ("AAB=", "not canonical"),
    ])
    func nonCanonicalBase64IsRefused(text: String, reason: String) throws {
        #expect(throws: CanonicalBase64.Problem.self) { try CanonicalBase64.decode(text) }
        do {
            _ = try CanonicalBase64.decode(text)
        } catch {
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error.reason)")
        }
    }

    @Test func canonicalBase64RoundTrips() throws {
        for length in 0..<40 {
            let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            #expect(try CanonicalBase64.decode(bytes.base64EncodedString()) == bytes)
        }
        #expect(try CanonicalBase64.decode("+/+/") == Data([0xfb, 0xff, 0xbf]))
    }

    @Test func unpaddedBase64MembersAre400NamingTheMember() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            _ = try await client.send(.post, "/v1/jobs", h.jobBody(1))
            let out = h.honestOutput(h.input(1))
            let signed = try h.signedReceipt(job: 1, node: 0, output: out)
            let receipt = String(decoding: signed.json(), as: UTF8.self)
            let padded = out.base64EncodedString()
            let unpadded = String(padded.prefix { $0 != "=" })
            #expect(unpadded != padded, "the test output must need padding")
            for (member, body) in [
                ("output", "{\"receipt\":\(receipt),\"output\":\"\(unpadded)\"}"),
                ("input", "{\"receipt\":\(receipt),\"output\":\"\(padded)\",\"input\":\"AAA\"}"),
                ("proof", "{\"receipt\":\(receipt),\"output\":\"\(padded)\",\"proof\":\"AAAAA\"}"),
            ] {
                let r = try await client.send(.post, "/v1/receipts", Data(body.utf8))
                #expect(r.status == 400, "\(member)")
                #expect(r.errorCode == "malformed-body")
                let message = (try? r.decode(ErrorBody.self).error.message) ?? ""
                #expect(message.contains("\"\(member)\""), "\(message)")
                #expect(message.contains("padded"), "\(message)")
            }
            // The job's input member too.
            var job = String(decoding: try h.jobBody(2, withInput: false), as: UTF8.self)
            job.removeLast()
            job += ",\"input\":\"\(String(h.input(2).base64EncodedString().prefix { $0 != "=" }))\"}"
            let r = try await client.send(.post, "/v1/jobs", Data(job.utf8))
            #expect(r.status == 400)
            #expect((try? r.decode(ErrorBody.self).error.message.contains("\"input\"")) == true)
            // The padded form is taken.
            let good = try await client.send(
                .post, "/v1/receipts", Data("{\"receipt\":\(receipt),\"output\":\"\(padded)\"}".utf8))
            #expect(good.status == 202, "\(String(decoding: good.body, as: UTF8.self))")
        }
    }

    /// specs/service.md §3, §6: POST bodies need `Content-Type: application/json`; 415 otherwise.
    @Test func postWithoutJSONContentTypeIs415() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            let body = try h.jobBody(1)
            let paths = [
                "/v1/jobs", "/v1/receipts", "/v1/receipts/batch", "/v1/heartbeats", "/v1/seeding-receipts",
                "/v1/staking/bond", "/v1/staking/unbond", "/v1/staking/withdraw",
            ]
            for path in paths {
                for contentType in [
                    nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                ] {
                    var headers = HTTPFields()
                    if let contentType { headers[.contentType] = contentType }
                    let (status, code, message) = try await client.execute(
                        uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body)
                    ) { response in
                        let error = try? JSONDecoder().decode(
                            ErrorBody.self, from: Data(response.body.readableBytesView))
                        return (Int(response.status.code), error?.error.code, error?.error.message ?? "")
                    }
                    #expect(status == 415, "\(path) with \(contentType ?? "no Content-Type")")
                    #expect(code == "unsupported-media-type")
                    #expect(message.contains(contentType ?? "no Content-Type"), "\(message)")
                }
            }
            // Parameters and case are allowed.
            for (n, contentType) in [
                "application/json; charset=utf-8", "Application/JSON", "application/json ;charset=UTF-8",
            ]
            .enumerated() {
                var headers = HTTPFields()
                headers[.contentType] = contentType
                let status = try await client.execute(
                    uri: "/v1/jobs", method: .post, headers: headers,
                    body: ByteBuffer(bytes: try h.jobBody(10 + n))
                ) { Int($0.status.code) }
                #expect(status == 201, "\(contentType)")
            }
            // GETs and unknown endpoints are not affected.
            #expect(try await client.execute(uri: "/healthz", method: .get) { $0.status.code } == 200)
            #expect(try await client.execute(uri: "/v1/nope", method: .post) { $0.status.code } == 404)
        }
    }

    /// The 405 table is the router's route list (so the two cannot drift).
    @Test func apiRoutesTableIsTheRouter() throws {
        let h = try Harness()
        let served = Set(h.router.routes.map { "\($0.method) \($0.path)" })
        // The router writes `{name}` for a `:name` segment.
        let table = Set(
            APIRoutes.table.map { route in
                let path = route.path.split(separator: "/").map {
                    $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
                }
                return "\(route.method) /\(path.joined(separator: "/"))"
            })
        #expect(
            served == table,
            "router only: \(served.subtracting(table)); table only: \(table.subtracting(served))")
    }

    /// A served path asked with another method is 405 with `Allow` (schemathesis
    /// `unsupported_method`); an unknown path stays 404.
    @Test func otherMethodsOnServedPathsAre405WithAllow() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.get, "/v1/jobs", "POST"), (.trace, "/v1/status", "GET"),
                (.delete, "/v1/jobs/\(h.jobID(1).hex)", "GET"), (.put, "/tile/0/000", "GET"),
                (.get, "/v1/staking/bond", "POST"), (.head, "/checkpoint", "GET"),
            ] {
                let (status, allowHeader, code) = try await client.execute(uri: path, method: method) {
                    response in
                    let error = try? JSONDecoder().decode(
                        ErrorBody.self, from: Data(response.body.readableBytesView))
                    return (Int(response.status.code), response.headers[.allow], error?.error.code)
                }
                #expect(status == 405, "\(method) \(path)")
                #expect(allowHeader == allow, "\(method) \(path)")
                if method != .head { #expect(code == "method-not-allowed", "\(method) \(path)") }
            }
            #expect(try await client.send(.delete, "/v1/nothing-here").status == 404)
        }
        #expect(APIRoutes.methods(servingPath: "/tile") == [])
        #expect(APIRoutes.methods(servingPath: "/tile/0/x001/000") == [.get])
        #expect(APIRoutes.methods(servingPath: "/v1/nodes/ab/proof/more") == [])
    }

    /// A `{pubkey}` of 64 lowercase hex characters that is no secp256k1 x coordinate names no
    /// node: 404 `unknown-node` (schema-valid `Hex32`); anything else is 400.
    @Test func pubkeyThatIsNoKeyIs404() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            let zero = String(repeating: "0", count: 64)
            for path in ["/v1/nodes/\(zero)", "/v1/nodes/\(zero)/proof"] {
                let r = try await client.send(.get, path)
                #expect(r.status == 404, "\(path)")
                #expect(r.errorCode == "unknown-node")
            }
            let upper = h.nodes[0].publicKey.hex.uppercased()
            #expect(try await client.send(.get, "/v1/nodes/\(upper)").errorCode == "bad-parameter")
        }
    }

    /// Every error code the service can answer is in specs/openapi.yaml's `Error.code` enum.
    @Test func everyErrorCodeIsInTheSpec() throws {
        let text = try String(
            contentsOf: RepoPaths.root().appendingPathComponent("specs/openapi.yaml"), encoding: .utf8)
        let errors: [ValidatorError] = [
            .malformedBody(""), .badParameter(name: "", reason: ""), .bodyTooLarge(limit: 0),
            .unsupportedMediaType(got: nil), .unknownOrchestrator(""), .nodeNotAssigned(node: "", job: ""),
            .unknownJob(""), .unknownNode(""), .notFound(""), .jobAlreadySettled(""),
            .conflictingAnnouncement(""), .equivocationAlreadyHeld(node: "", job: ""), .invalidSignature(""),
            .receiptMismatch(field: "", got: "", want: ""), .commitmentMismatch(what: "", got: "", want: ""),
            .invalidAnnouncement(""), .invalidTensor(""), .unknownModel(""), .rejectedByKarma(""),
            .proofRefMismatch(got: "", want: ""), .storage(""), .unavailable(""), .internalFailure(""),
        ]
        for error in errors {
            #expect(
                text.contains("                - \(error.code)\n"), "\(error.code) is not in the Error enum")
        }
    }
}
