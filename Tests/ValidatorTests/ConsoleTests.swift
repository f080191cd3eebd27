import Foundation
import Hummingbird
import HummingbirdTesting
import Karma
import Logging
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The web console's files (`GET /`, `GET /console/{file}`) and the read-only endpoints its pages
/// use (specs/service.md §3.6, specs/console.md).
@Suite struct ConsoleTests {
    // MARK: Static files

    @Test func everyAssetFileIsServedAndNothingElse() throws {
        let dir = RepoPaths.root().appendingPathComponent("Sources/Validator/Console/Assets")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(Set(ConsoleAssets.all.keys) == files)
        for (name, asset) in ConsoleAssets.all {
            let onDisk = try Data(contentsOf: dir.appendingPathComponent(name))
            #expect(Data(asset.bytes) == onDisk, "\(name) in the binary is the file on disk")
        }
    }

    @Test func pageAndFilesCarryTypesCachingAndCSP() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            for (path, type) in [
                ("/", "text/html; charset=utf-8"), ("/console/app.js", "text/javascript; charset=utf-8"),
                ("/console/verify.js", "text/javascript; charset=utf-8"),
                ("/console/style.css", "text/css; charset=utf-8"), ("/console/favicon.svg", "image/svg+xml"),
            ] {
                let (status, headers, body) = try await client.execute(uri: path, method: .get) {
                    (Int($0.status.code), $0.headers, Data($0.body.readableBytesView))
                }
                #expect(status == 200, "\(path)")
                #expect(headers[.contentType] == type, "\(path)")
                #expect(headers[.cacheControl] == "no-cache")
                let csp = try #require(headers[.contentSecurityPolicy])
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"))
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"))
                #expect(headers[.xContentTypeOptions] == "nosniff")
                let etag = try #require(headers[.eTag])
                #expect(!body.isEmpty)
                // Revalidation: the same ETag is 304 without a body.
                var conditional = HTTPFields()
                conditional[.ifNoneMatch] = "\"other\", \(etag)"
                let (again, againBody) = try await client.execute(
                    uri: path, method: .get, headers: conditional
                ) {
                    (Int($0.status.code), $0.body.readableBytes)
                }
                #expect(again == 304 && againBody == 0, "\(path)")
            }
        }
    }

    /// Names are looked up in a fixed table: nothing reaches the file system, whatever the path.
    @Test func unknownAndTraversingPathsAre404() async throws {
        let h = try Harness()
        try await Application(router: h.router).test(.router) { client in
            for path in [
                "/console/", "/console/nope.js", "/console/..%2F..%2FPackage.swift", "/console/%2e%2e",
                "/console/../../Package.swift", "/console/app.js/x", "/console/.%2Fapp.js", "/console/APP.JS",
                "/index.html", "/console/index.html%00.js", "/console/" + String(repeating: "a", count: 5000),
            ] {
                let r = try await client.send(.get, path)
                #expect(r.status == 404, "\(path.prefix(60)): \(r.status)")
                #expect(!String(decoding: r.body, as: UTF8.self).contains("swift-tools-version"))
            }
            // The console is read-only: other methods are 405 with Allow.
            for (method, path) in [(HTTPRequest.Method.post, "/"), (.put, "/console/app.js"), (.delete, "/")]
            {
                let (status, allow) = try await client.execute(uri: path, method: method) {
                    (Int($0.status.code), $0.headers[.allow])
                }
                #expect(status == 405 && allow == "GET", "\(method) \(path)")
            }
        }
    }

    // MARK: Lists over a real ledger

    /// A harness whose core records into a real `LedgerKarmaBook`, with the validator and the
    /// three nodes bonded at genesis, after two settled jobs: job 1 all honest, job 2 with node 1
    /// returning a wrong output.
    func settledHarness() async throws -> (Harness, LedgerKarmaBook) {
        let dir = try RepoPaths.temporaryDirectory(prefix: "console-ledger")
        let book = try LedgerKarmaBook(
            path: dir.appendingPathComponent("ledger.sqlite").path, origin: "console.local/log",
            checkpointSeed32: Data(repeating: 9, count: 32))
        let h = try Harness(karmaLedger: book)
        try await book.writeGenesis(
            [(h.validatorKey.publicKey, 0, KarmaParameters.v2.minValidatorBond)]
                + h.nodes.map { ($0.publicKey, 0, KarmaParameters.v2.minNodeBond) })
        try await Application(router: h.router).test(.router) { client in
            for job in [1, 2] {
                _ = try await client.send(.post, "/v1/jobs", h.jobBody(job))
                for node in 0..<3 {
                    let output = job == 2 && node == 1 ? Data("wrong".utf8) : nil
                    _ = try await client.send(
                        .post, "/v1/receipts", h.receiptBody(job: job, node: node, output: output))
                }
                h.advance(ms: 61_000)
                try await h.core.settle(h.jobID(job))
            }
        }
        return (h, book)
    }

    @Test func settlementsArePagedNewestFirstWithMethodAndVerdict() async throws {
        let (h, _) = try await settledHarness()
        try await Application(router: h.router).test(.router) { client in
            let all = try await client.send(.get, "/v1/settlements").decode(SettlementList.self)
            #expect(all.settlements.map(\.jobId) == [h.jobID(2).hex, h.jobID(1).hex])
            #expect(all.settlements.map(\.sequence) == [2, 1])
            #expect(all.settlements.map(\.status) == [.disputed, .settled])
            #expect(all.settlements.allSatisfy { $0.settlement.method == "re-execution" })
            #expect(all.settlements[0].settlement.offences.map(\.offence) == ["wrongOutput"])
            #expect(all.next == nil)
            let first = try await client.send(.get, "/v1/settlements?limit=1").decode(SettlementList.self)
            #expect(first.settlements.map(\.jobId) == [h.jobID(2).hex])
            #expect(first.next == 2)
            let second = try await client.send(.get, "/v1/settlements?limit=1&before=2").decode(
                SettlementList.self)
            #expect(second.settlements.map(\.jobId) == [h.jobID(1).hex])
            #expect(second.next == nil)

            let series = try await client.send(.get, "/v1/settlements/per-minute?minutes=10")
                .decode(SettlementSeries.self)
            #expect(series.toMinute == h.now / 60_000 && series.fromMinute == series.toMinute - 9)
            #expect(series.minutes.reduce(0) { $0 + $1.settled } == 1)
            #expect(series.minutes.reduce(0) { $0 + $1.disputed } == 1)
            #expect(series.minutes.reduce(0) { $0 + ($1.methods["re-execution"] ?? 0) } == 2)
            // A window that ends before the settlements holds none of them.
            let one = try await client.send(.get, "/v1/settlements/per-minute?minutes=1")
                .decode(SettlementSeries.self)
            #expect(one.minutes.allSatisfy { $0.minute == one.toMinute })
        }
    }

    @Test func nodeListHistoryReceiptsSlashesAndEntries() async throws {
        let (h, book) = try await settledHarness()
        let wrong = h.nodes[1].publicKey.hex
        try await Application(router: h.router).test(.router) { client in
            let list = try await client.send(.get, "/v1/nodes?limit=2").decode(NodeList.self)
            #expect(list.total == 4 && list.nodes.count == 2 && list.offset == 0)
            let rest = try await client.send(.get, "/v1/nodes?limit=1000&offset=2").decode(NodeList.self)
            #expect(
                Set((list.nodes + rest.nodes).map(\.node))
                    == Set(h.nodes.map(\.publicKey.hex) + [h.validatorKey.publicKey.hex]))
            #expect(
                rest.nodes.first { $0.node == wrong }.map { $0.jailed && $0.offences == 1 }
                    ?? (list.nodes.first { $0.node == wrong }?.jailed == true))

            // History: newest first, paged by index, each entry with its time and job.
            let history = try await client.send(.get, "/v1/nodes/\(wrong)/history").decode(
                NodeHistoryPage.self)
            #expect(
                history.entries.map(\.type) == [
                    "jail", "slash/wrongOutput", "redundancy", "inference", "genesis",
                ])
            #expect(history.entries.map(\.index) == history.entries.map(\.index).sorted(by: >))
            #expect(history.entries[1].delta <= 0 && history.entries[1].job == h.jobID(2).hex)
            #expect(history.next == nil)
            let page = try await client.send(.get, "/v1/nodes/\(wrong)/history?limit=2").decode(
                NodeHistoryPage.self)
            #expect(page.entries.map(\.type) == ["jail", "slash/wrongOutput"])
            let next = try #require(page.next)
            let older = try await client.send(.get, "/v1/nodes/\(wrong)/history?limit=2&before=\(next)")
                .decode(NodeHistoryPage.self)
            #expect(older.entries.map(\.type) == ["redundancy", "inference"])

            // Receipts the node signed, newest first, with their job's status.
            let receipts = try await client.send(.get, "/v1/nodes/\(wrong)/receipts").decode(ReceiptList.self)
            #expect(receipts.receipts.map(\.jobId) == [h.jobID(2).hex, h.jobID(1).hex])
            #expect(receipts.receipts.map(\.jobStatus) == [.disputed, .settled])
            #expect(receipts.receipts[0].outputCommitment == FakeExecutor.sha(Data("wrong".utf8)).hex)
            let firstReceipt = try await client.send(.get, "/v1/nodes/\(wrong)/receipts?limit=1").decode(
                ReceiptList.self)
            let cursor = try #require(firstReceipt.next)
            let second = try await client.send(.get, "/v1/nodes/\(wrong)/receipts?limit=1&before=\(cursor)")
                .decode(ReceiptList.self)
            #expect(second.receipts.map(\.jobId) == [h.jobID(1).hex] && second.next == nil)

            // Slashes with their evidence, also per node.
            let slashes = try await client.send(.get, "/v1/slashes")
            let object = try #require(try JSONSerialization.jsonObject(with: slashes.body) as? [String: Any])
            let entries = try #require(object["entries"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(
                entries[0]["node"] as? String == wrong && entries[0]["type"] as? String == "slash/wrongOutput"
            )
            let offence = (entries[0]["entry"] as? [String: Any])?["offence"] as? [String: Any]
            #expect(offence?["kind"] as? String == "wrongOutput")
            #expect(
                offence?["reexecutedOutput"] as? String == FakeExecutor.sha(h.honestOutput(h.input(2))).hex)
            let none = try await client.send(.get, "/v1/slashes?node=\(h.nodes[0].publicKey.hex)")
            #expect(String(decoding: none.body, as: UTF8.self) == #"{"entries":[],"next":null}"#)
            // 32 bytes that are no key: no node, no slashes (schema-valid, so not a 400).
            let noKey = try await client.send(.get, "/v1/slashes?node=\(String(repeating: "0", count: 64))")
            #expect(noKey.status == 200)
            #expect(String(decoding: noKey.body, as: UTF8.self) == #"{"entries":[],"next":null}"#)

            // An entry: its bytes are the ledger's leaf data.
            let index = try #require(entries[0]["index"] as? Int)
            let entry = try await client.send(.get, "/v1/entries/\(index)")
            let view = try #require(try JSONSerialization.jsonObject(with: entry.body) as? [String: Any])
            let text = try #require(view["data"] as? String)
            let data = try #require(Data(base64Encoded: text))
            let stored = try book.ledger.entry(at: UInt64(index))
            #expect(data == stored)
            let json = try JSONSerialization.data(withJSONObject: view["entry"] as Any)
            let parsed = try StrictJSON.parse(json)
            #expect(try KarmaEntry(canonicalBytes: data).jsonObject() == parsed)
            let size = try await book.size()
            #expect(try await client.send(.get, "/v1/entries/\(size)").errorCode == "not-found")
            #expect(
                try await client.send(.get, "/v1/nodes/\(String(repeating: "0", count: 64))/history")
                    .errorCode == "unknown-node")
        }
    }

    /// Every bounded parameter refuses what is outside its range with 400 naming it.
    @Test func parametersOutOfRangeAre400() async throws {
        let h = try Harness()
        let node = h.nodes[0].publicKey.hex
        try await Application(router: h.router).test(.router) { client in
            for (path, name) in [
                ("/v1/nodes?limit=0", "limit"), ("/v1/nodes?limit=1001", "limit"),
                ("/v1/nodes?offset=-1", "offset"),
                ("/v1/nodes?offset=1000000001", "offset"), ("/v1/settlements?limit=101", "limit"),
                ("/v1/settlements?before=1e3", "before"),
                ("/v1/settlements?before=9007199254740992", "before"),
                ("/v1/settlements/per-minute?minutes=0", "minutes"),
                ("/v1/settlements/per-minute?minutes=1441", "minutes"),
                ("/v1/slashes?node=xyz", "node"), ("/v1/slashes?limit=+5", "limit"),
                ("/v1/nodes/\(node)/history?limit=201", "limit"),
                ("/v1/nodes/\(node)/receipts?before=", "before"),
                ("/v1/entries/-1", "index"), ("/v1/entries/9007199254740992", "index"),
            ] {
                let r = try await client.send(.get, path)
                #expect(r.status == 400 && r.errorCode == "bad-parameter", "\(path): \(r.status)")
                #expect((try? r.decode(ErrorBody.self).error.message.contains(name)) == true, "\(path)")
            }
            // A karma store without a Merkle log has no entries to show.
            #expect(try await client.send(.get, "/v1/entries/0").errorCode == "not-found")
        }
    }

    // MARK: Events

    @Test func eventHubIsBoundedAndClosesStreams() async throws {
        let hub = EventHub(capacity: 2)
        let a = try #require(hub.subscribe())
        let b = try #require(hub.subscribe())
        #expect(hub.subscribe() == nil, "a third stream is refused")
        b.finish()
        try await Task.sleep(for: .milliseconds(10))
        let c = try #require(hub.subscribe(), "a finished stream frees its slot")
        hub.publish(.init(name: "settlement", data: "{}"))
        hub.close()
        var got: [EventHub.Item] = []
        for await item in a.stream { got.append(item) }
        #expect(got == [.event(.init(name: "settlement", data: "{}"))])
        var rest = 0
        for await _ in c.stream { rest += 1 }
        #expect(rest == 1)
        #expect(hub.subscribe() == nil, "a closed hub takes no subscriber")
        #expect(EventHub.wire(.heartbeat) == ": heartbeat\n\n")
        #expect(EventHub.wire(.event(.init(name: "x", data: "{\"a\":1}"))) == "event: x\ndata: {\"a\":1}\n\n")
    }

    /// The event stream over HTTP: `retry`, `hello`, then what is published, heartbeats, and the
    /// end after the stream's duration; a second stream beyond the cap is 503 `unavailable`.
    @Test func eventsStreamOverHTTPAndRefuseBeyondTheCap() async throws {
        let h = try Harness()
        let hub = EventHub(
            capacity: 1, heartbeatInterval: .milliseconds(100), maxStreamDuration: .milliseconds(800))
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let core = ValidatorCore(
            repository: h.core.repository, karma: h.karma, executor: FakeExecutor(models: [h.model]),
            proofs: FakeProofChecker(), validatorKey: h.validatorKey.publicKey, orchestrators: [],
            mode: .reExecute, metrics: ValidatorMetrics(), logger: logger, events: hub)
        let router = buildRouter(core: core, limits: .init())
        try await Application(router: router).test(.router) { client in
            async let stream = client.execute(uri: "/v1/events", method: .get) {
                (
                    Int($0.status.code), $0.headers[.contentType],
                    String(decoding: $0.body.readableBytesView, as: UTF8.self)
                )
            }
            // Wait for the stream to subscribe, then a second one is refused and an event flows.
            for _ in 0..<200 where hub.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(hub.subscriberCount == 1)
            let refused = try await client.send(.get, "/v1/events")
            #expect(refused.status == 503 && refused.errorCode == "unavailable")
            hub.publish(.init(name: "settlement", data: #"{"jobId":"ab"}"#))
            let (status, type, body) = try await stream
            #expect(status == 200 && type == "text/event-stream")
            #expect(body.hasPrefix("retry: 3000\n\nevent: hello\ndata: {\"ledgerSize\":0}\n\n"), "\(body)")
            #expect(body.contains("event: settlement\ndata: {\"jobId\":\"ab\"}\n\n"), "\(body)")
            #expect(body.contains(": heartbeat\n\n"), "\(body)")
            #expect(hub.subscriberCount == 0, "the ended stream freed its slot")
        }
    }

    /// The settlement event's payload and the cap's relation to the connection cap.
    @Test func settlementEventPayloadAndStreamCap() throws {
        var connections = ValidatorConfig.Connections(maxConnections: 4096, maxEventStreams: 1)
        #expect(connections.eventStreamCap == 1)
        connections.maxConnections = 1
        #expect(connections.eventStreamCap == 0, "at most half of the connections")
        let h = try Harness()
        let event = Settler.event(
            id: h.jobID(1), status: .disputed,
            record: SettlementRecord(
                truth: nil, method: "none", note: nil, majority: nil, majorityOverruled: false,
                correlated: false,
                outcomes: [], offences: [.init(node: "n", offence: "wrongOutput", ledgerIndex: 3)],
                entries: [],
                settledAtMs: 7, latencyMicros: nil))
        #expect(event.name == "settlement")
        #expect(
            event.data
                == #"{"jobId":"\#(h.jobID(1).hex)","method":"none","offences":["wrongOutput"],"settledAtMs":7,"status":"disputed"}"#
        )
    }
}
