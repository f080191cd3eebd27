import Foundation
import Hummingbird

/// The transparency log: `GET /checkpoint`, `GET /checkpoint.vkey`, `GET /tile/...` (C2SP tlog-tiles),
/// `GET /v1/proofs/inclusion`, `GET /v1/proofs/consistency` (specs/openapi.yaml).
struct LogController {
    let core: ValidatorCore

    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.get("checkpoint", use: checkpoint)
        routes.get("checkpoint.vkey", use: checkpointKey)
        routes.get("tile/**", use: tile)
        routes.get("v1/proofs/inclusion", use: inclusion)
        routes.get("v1/proofs/consistency", use: consistency)
        return routes
    }

    @Sendable func checkpoint(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let note = try await core.karma.checkpoint()
        var response = bytesResponse(Data(note.utf8), contentType: "text/plain; charset=utf-8")
        // Mutable (c2sp.org/tlog-tiles: headers SHOULD prevent caching beyond a few seconds).
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// The verifier key of the checkpoints (c2sp.org/signed-note vkey), one line.
    @Sendable func checkpointKey(_ request: Request, context: ValidatorRequestContext) async throws
        -> Response
    {
        let key = try await core.karma.checkpointKey()
        return bytesResponse(Data((key + "\n").utf8), contentType: "text/plain; charset=utf-8")
    }

    /// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`, exactly as c2sp.org/tlog-tiles
    /// writes them: the route's catch-all is everything after `/tile/`, and the tile path the ledger
    /// parses starts with `tile/` again.
    @Sendable func tile(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let rest = context.parameters.getCatchAll().joined(separator: "/")
        guard !rest.isEmpty, rest.utf8.count <= 128 else {
            throw ValidatorError.badParameter(
                name: "tile", reason: "expected /tile/<L>/<N>[.p/<W>] or /tile/entries/<N>[.p/<W>]")
        }
        let path = "tile/" + rest
        let data = try await core.karma.tile(path: path)
        var response = bytesResponse(data, contentType: "application/octet-stream")
        // Full tiles never change (C2SP tlog-tiles); partial ones do.
        response.headers[.cacheControl] =
            path.contains(".p/") ? "no-cache" : "public, max-age=31536000, immutable"
        return response
    }

    @Sendable func inclusion(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let index = try query(request, "index", required: true)
        let size = try query(request, "size", required: false)
        return jsonResponse(try await core.karma.inclusionProof(index: index ?? 0, size: size))
    }

    @Sendable func consistency(_ request: Request, context: ValidatorRequestContext) async throws -> Response
    {
        let old = try query(request, "old", required: true) ?? 0
        let new = try query(request, "new", required: true) ?? 0
        return jsonResponse(try await core.karma.consistencyProof(old: old, new: new))
    }

    private func query(_ request: Request, _ name: String, required: Bool) throws(ValidatorError) -> UInt64? {
        guard let text = request.uri.queryParameters.get(name) else {
            if required { throw .badParameter(name: name, reason: "missing (a non-negative integer)") }
            return nil
        }
        guard let value = UInt64(text), text.first != "+" else {
            throw .badParameter(name: name, reason: "'\(text)' is not a non-negative integer")
        }
        return value
    }
}
