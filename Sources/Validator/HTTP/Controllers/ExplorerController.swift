import Foundation
import Hummingbird
import NIOCore
import Receipts
import ServiceLifecycle

/// The read-only lists the console pages are built from (specs/service.md §3.6):
/// `GET /v1/nodes`, `GET /v1/nodes/{pubkey}/history`, `GET /v1/nodes/{pubkey}/receipts`,
/// `GET /v1/settlements`, `GET /v1/settlements/per-minute`, `GET /v1/slashes`,
/// `GET /v1/entries/{index}` and the server-sent event stream `GET /v1/events`. Nothing here
/// changes state; every list is paged with a bounded `limit`.
struct ExplorerController {
    let core: ValidatorCore

    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.get("v1/nodes", use: nodes)
        routes.get("v1/nodes/:pubkey/history", use: history)
        routes.get("v1/nodes/:pubkey/receipts", use: receipts)
        routes.get("v1/settlements", use: settlements)
        routes.get("v1/settlements/per-minute", use: perMinute)
        routes.get("v1/slashes", use: slashes)
        routes.get("v1/entries/:index", use: entry)
        routes.get("v1/events", use: events)
        return routes
    }

    /// The ledger's explorer, when the karma store has a Merkle log behind it.
    private var explorer: any LedgerExplorer {
        get throws(ValidatorError) {
            guard let explorer = core.karma as? any LedgerExplorer else {
                throw .notFound("this validator's karma store keeps no ledger to explore")
            }
            return explorer
        }
    }

    /// `{"total", "offset", "nodes": [NodeAccount without recent entries]}`, by node key.
    @Sendable func nodes(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let limit = try Query.integer(request, "limit", in: 1...1000, default: 100)
        let offset = try Query.integer(request, "offset", in: 0...1_000_000_000, default: 0)
        let all = try await core.karma.accounts()
        let page = offset < UInt64(all.count) ? Array(all.dropFirst(Int(offset)).prefix(Int(limit))) : []
        return jsonResponse(NodeList(total: all.count, offset: offset, nodes: page))
    }

    @Sendable func history(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let key = try NodesController.nodeKey(context)
        let before = try Query.optionalInteger(request, "before", in: 0...Query.maxSafe)
        let limit = try Query.integer(request, "limit", in: 1...200, default: 50)
        guard let page = try await explorer.history(of: key, before: before, limit: Int(limit)) else {
            throw ValidatorError.unknownNode(key.hex)
        }
        return jsonResponse(page)
    }

    @Sendable func receipts(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let key = try NodesController.nodeKey(context)
        let before = try Query.optionalInteger(request, "before", in: 0...Query.maxSafe)
        let limit = try Query.integer(request, "limit", in: 1...200, default: 50)
        let items = try await core.repository.receipts(ofNode: key, before: before, limit: Int(limit) + 1)
        let page = Array(items.prefix(Int(limit)))
        return jsonResponse(
            ReceiptList(receipts: page, next: items.count > page.count ? page.last?.sequence : nil))
    }

    @Sendable func settlements(_ request: Request, context: ValidatorRequestContext) async throws -> Response
    {
        let before = try Query.optionalInteger(request, "before", in: 0...Query.maxSafe)
        let limit = try Query.integer(request, "limit", in: 1...100, default: 20)
        let items = try await core.repository.settledJobs(before: before, limit: Int(limit) + 1)
        let page = items.prefix(Int(limit)).compactMap(SettlementListItem.init)
        return jsonResponse(
            SettlementList(
                settlements: page, next: items.count > Int(limit) ? items[Int(limit) - 1].sequence : nil))
    }

    @Sendable func perMinute(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let minutes = try Query.integer(request, "minutes", in: 1...1440, default: 60)
        let now = core.nowMs() / 60_000
        let from = now >= minutes - 1 ? now - (minutes - 1) : 0
        let counts = try await core.repository.settlementsPerMinute(fromMinute: from)
        return jsonResponse(SettlementSeries(fromMinute: from, toMinute: now, minutes: counts))
    }

    @Sendable func slashes(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let before = try Query.optionalInteger(request, "before", in: 0...Query.maxSafe)
        let limit = try Query.integer(request, "limit", in: 1...100, default: 20)
        var node: XOnlyPublicKey?
        if let text = request.uri.queryParameters.get("node") {
            guard text.utf8.count == 64,
                text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
            else {
                throw ValidatorError.badParameter(
                    name: "node", reason: "must be an x-only public key as 64 lowercase hex characters")
            }
            // 32 bytes that are no secp256k1 x coordinate name no node: no slashes.
            guard let key = try? XOnlyPublicKey(hex: String(text)) else {
                return bytesResponse(
                    JSONOutput.data(EntryPage(entries: [], next: nil).jsonObject(), pretty: false),
                    contentType: "application/json")
            }
            node = key
        }
        let page = try await explorer.slashes(node: node, before: before, limit: Int(limit))
        return bytesResponse(
            JSONOutput.data(page.jsonObject(), pretty: false), contentType: "application/json")
    }

    @Sendable func entry(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let text = context.parameters.get("index") ?? ""
        guard let index = Query.parse(text, in: 0...Query.maxSafe) else {
            throw ValidatorError.badParameter(
                name: "index", reason: "'\(text)' is not an integer from 0 to 2^53 − 1")
        }
        let view = try await explorer.entry(at: index)
        var response = bytesResponse(
            JSONOutput.data(view.jsonObject(), pretty: false), contentType: "application/json")
        // An entry never changes once appended.
        response.headers[.cacheControl] = "public, max-age=31536000, immutable"
        return response
    }

    /// `text/event-stream`: `retry: 3000`, a `hello` event (`{"ledgerSize"}`), then a `settlement` event per job settled and a
    /// `checkpoint` event per larger checkpoint, a `: heartbeat` comment every
    /// `heartbeatInterval`, until `maxStreamDuration`, graceful shutdown or the client leaves.
    /// 503 `unavailable` when `connections.maxEventStreams` streams are open.
    @Sendable func events(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let hub = core.events
        guard let subscription = hub.subscribe() else {
            throw ValidatorError.unavailable(
                "\(hub.capacity) event stream(s) are open, the most this validator serves (connections.maxEventStreams)"
            )
        }
        let hello = EventHub.Item.event(
            .init(name: "hello", data: "{\"ledgerSize\":\(try await core.karma.size())}"))
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let ticker = Task {
                    while true {
                        do { try await Task.sleep(for: hub.heartbeatInterval) } catch { return }
                        subscription.continuation.yield(.heartbeat)
                    }
                }
                let deadline = Task {
                    do { try await Task.sleep(for: hub.maxStreamDuration) } catch { return }
                    subscription.finish()
                }
                defer {
                    ticker.cancel()
                    deadline.cancel()
                    subscription.finish()
                }
                try await writer.write(ByteBuffer(string: "retry: 3000\n\n" + EventHub.wire(hello)))
                try await withGracefulShutdownHandler {
                    for await item in subscription.stream {
                        try await writer.write(ByteBuffer(string: EventHub.wire(item)))
                    }
                } onGracefulShutdown: {
                    subscription.finish()
                }
                try await writer.finish(nil)
            })
    }
}

/// Bounded integer query parameters: decimal digits only (no sign, no exponent), within the
/// documented range, else 400 `bad-parameter` naming the parameter and the range.
enum Query {
    /// 2^53 − 1, the largest integer every JSON reader keeps exactly.
    static let maxSafe: UInt64 = 9_007_199_254_740_991

    static func parse(_ text: String, in range: ClosedRange<UInt64>) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = UInt64(text), range.contains(value)
        else { return nil }
        return value
    }

    static func optionalInteger(_ request: Request, _ name: String, in range: ClosedRange<UInt64>)
        throws(ValidatorError) -> UInt64?
    {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = parse(String(text), in: range) else {
            throw .badParameter(
                name: name,
                reason: "'\(text)' is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func integer(
        _ request: Request, _ name: String, in range: ClosedRange<UInt64>, default value: UInt64
    )
        throws(ValidatorError) -> UInt64
    {
        try optionalInteger(request, name, in: range) ?? value
    }
}

/// `GET /v1/nodes`.
struct NodeList: Codable, Sendable, Equatable {
    var total: Int
    var offset: UInt64
    var nodes: [NodeAccount]
}

/// `GET /v1/nodes/{pubkey}/receipts`.
struct ReceiptList: Codable, Sendable, Equatable {
    var receipts: [NodeReceipt]
    var next: UInt64?
}

/// One settled job in `GET /v1/settlements`.
struct SettlementListItem: Codable, Sendable, Equatable {
    var sequence: UInt64
    var jobId: String
    var status: JobStatus
    var modelId: String
    var layers: [UInt32]
    var nodes: [String]
    var settlement: SettlementRecord

    init?(_ item: SettledJob) {
        guard let settlement = item.job.settlement else { return nil }
        let a = item.job.announcement
        sequence = item.sequence
        jobId = a.jobID.hex
        status = item.job.status
        modelId = a.modelID.hex
        layers = [a.layerStart, a.layerEnd]
        nodes = a.nodes.map(\.hex)
        self.settlement = settlement
    }
}

/// `GET /v1/settlements`.
struct SettlementList: Codable, Sendable, Equatable {
    var settlements: [SettlementListItem]
    var next: UInt64?
}

/// `GET /v1/settlements/per-minute`: minutes `[fromMinute, toMinute]` (Unix ms / 60,000); the
/// minutes without settlements are absent from `minutes`.
struct SettlementSeries: Codable, Sendable, Equatable {
    var fromMinute: UInt64
    var toMinute: UInt64
    var minutes: [SettlementMinute]
}
