import Foundation
import Hummingbird
import Receipts

/// `GET /v1/nodes/{pubkey}`, `GET /v1/nodes/{pubkey}/proof`, `POST /v1/heartbeats`, `POST /v1/seeding-receipts`,
/// `POST /v1/staking/{bond,unbond,withdraw}` (specs/openapi.yaml).
struct NodesController {
    let core: ValidatorCore
    let limits: ValidatorConfig.Limits

    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.get("v1/nodes/:pubkey", use: node)
        routes.get("v1/nodes/:pubkey/proof", use: proof)
        routes.post("v1/heartbeats") { request, _ in try await self.nodeRequest(.heartbeat, request) }
        routes.post("v1/seeding-receipts") { request, _ in
            try await self.nodeRequest(.seedingReceipt, request)
        }
        routes.post("v1/staking/:action") { request, context in
            let action = context.parameters.get("action") ?? ""
            guard let kind = NodeRequestKind(rawValue: action), [.bond, .unbond, .withdraw].contains(kind)
            else {
                throw ValidatorError.notFound("staking action '\(action)' (use bond, unbond or withdraw)")
            }
            return try await self.nodeRequest(kind, request)
        }
        return routes
    }

    @Sendable func node(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let key = try Self.nodeKey(context)
        let recent = try Self.recent(request.uri.queryParameters.get("recent"))
        guard let account = try await core.karma.account(of: key, recent: recent) else {
            throw ValidatorError.unknownNode(key.hex)
        }
        return jsonResponse(account)
    }

    /// The `{pubkey}` path parameter: 400 `bad-parameter` unless 64 lowercase hex characters
    /// (specs/openapi.yaml `Hex32`); 404 `unknown-node` for 32 bytes that are no x-only
    /// secp256k1 key, since no node can have that key.
    static func nodeKey(_ context: ValidatorRequestContext) throws(ValidatorError) -> XOnlyPublicKey {
        let text = context.parameters.get("pubkey") ?? ""
        guard text.utf8.count == 64,
            text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else {
            throw .badParameter(
                name: "pubkey", reason: "must be 64 lowercase hex characters (an x-only public key)")
        }
        guard let key = try? XOnlyPublicKey(hex: text) else { throw .unknownNode(text) }
        return key
    }

    /// Most entries `?recent=` may ask for (specs/openapi.yaml `getNode`).
    static let maxRecent = 1000

    /// `?recent=`: absent means 20; otherwise decimal digits (no sign) naming 0...1000, else 400
    /// `bad-parameter`.
    static func recent(_ text: String?) throws(ValidatorError) -> Int {
        guard let text else { return 20 }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text),
            value <= maxRecent
        else {
            throw .badParameter(name: "recent", reason: "'\(text)' is not an integer from 0 to \(maxRecent)")
        }
        return value
    }

    /// The node's account proven against a signed checkpoint (specs/ledger.md §10.3).
    @Sendable func proof(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let key = try Self.nodeKey(context)
        guard let document = try await core.karma.balanceProof(of: key) else {
            throw ValidatorError.unknownNode(key.hex)
        }
        return bytesResponse(document.json(), contentType: "application/json")
    }

    func nodeRequest(_ kind: NodeRequestKind, _ request: Request) async throws -> Response {
        let body = try await request.collectBody(limit: limits.maxSmallBodyBytes)
        return jsonResponse(try await core.nodeRequest(kind, body: body), status: .accepted)
    }
}
