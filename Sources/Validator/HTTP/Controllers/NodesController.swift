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
        guard let text = context.parameters.get("pubkey"), let key = try? XOnlyPublicKey(hex: text) else {
            throw ValidatorError.badParameter(
                name: "pubkey", reason: "must be a 64-hex-character x-only public key")
        }
        let recent =
            request.uri.queryParameters.get("recent", as: Int.self).map { min(max($0, 0), 1000) } ?? 20
        guard let account = try await core.karma.account(of: key, recent: recent) else {
            throw ValidatorError.unknownNode(key.hex)
        }
        return jsonResponse(account)
    }

    /// The node's account proven against a signed checkpoint (specs/ledger.md §10.3).
    @Sendable func proof(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        guard let text = context.parameters.get("pubkey"), let key = try? XOnlyPublicKey(hex: text) else {
            throw ValidatorError.badParameter(
                name: "pubkey", reason: "must be a 64-hex-character x-only public key")
        }
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
