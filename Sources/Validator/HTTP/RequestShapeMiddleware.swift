import Foundation
import Hummingbird

/// Checks what every endpoint shares before a controller runs (specs/service.md §3, §6):
/// - a `POST` to an endpoint must carry `Content-Type: application/json` (`JSONContentType`),
///   else 415 `unsupported-media-type`, before the body is read;
/// - a path the API serves, asked with a method it does not serve there, is 405
///   `method-not-allowed` with an `Allow` header (`APIRoutes`), not 404.
///
/// Requests for unknown paths pass through (404 `not-found`).
struct RequestShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ input: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws
        -> Response
    {
        if context.endpointPath == nil {
            let allowed = APIRoutes.methods(servingPath: input.uri.path)
            if !allowed.isEmpty, !allowed.contains(input.method) {
                return APIRoutes.methodNotAllowed(input.method, path: input.uri.path, allowed: allowed)
            }
        } else if input.method == .post {
            try JSONContentType.check(input.headers[.contentType])
        }
        return try await next(input, context)
    }
}

/// The `Content-Type` rule for JSON bodies.
enum JSONContentType {
    /// - Throws: `ValidatorError.unsupportedMediaType` unless `header` is `application/json`, possibly
    ///   with parameters (`; charset=utf-8`).
    static func check(_ header: String?) throws(ValidatorError) {
        guard let header, isJSON(header) else { throw .unsupportedMediaType(got: header) }
    }

    /// `true` when the media type of a `Content-Type` value (RFC 9110 §8.3: `type/subtype`, then
    /// optional `;` parameters, optional white space) is `application/json`, in any case.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingCharacters(in: [" ", "\t"]).lowercased() == "application/json"
    }
}

/// The API's routes as method and path template (`:name` one segment, `**` the rest), for the
/// 405 answer. `APIRoutesTests` checks this list against the router, so the two cannot drift.
enum APIRoutes {
    static let table: [(method: HTTPRequest.Method, path: String)] = [
        (.post, "/v1/jobs"), (.get, "/v1/jobs/:id"), (.post, "/v1/receipts"), (.post, "/v1/receipts/batch"),
        (.get, "/v1/nodes/:pubkey"), (.get, "/v1/nodes/:pubkey/proof"), (.post, "/v1/heartbeats"),
        (.post, "/v1/seeding-receipts"), (.post, "/v1/staking/:action"), (.get, "/checkpoint"),
        (.get, "/checkpoint.vkey"), (.get, "/tile/**"), (.get, "/v1/proofs/inclusion"),
        (.get, "/v1/proofs/consistency"), (.get, "/metrics"), (.get, "/healthz"), (.get, "/v1/status"),
        (.get, "/v1/nodes"), (.get, "/v1/nodes/:pubkey/history"), (.get, "/v1/nodes/:pubkey/receipts"),
        (.get, "/v1/settlements"), (.get, "/v1/settlements/per-minute"), (.get, "/v1/slashes"),
        (.get, "/v1/entries/:index"), (.get, "/v1/events"), (.get, "/"), (.get, "/console/:file"),
    ]

    /// The methods served at `path` (empty when no route matches it).
    static func methods(servingPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return table.filter { route in
            let pattern = route.path.split(separator: "/")
            for (i, part) in pattern.enumerated() {
                if part == "**" { return segments.count > i }
                guard i < segments.count, part.hasPrefix(":") || part == segments[i] else { return false }
            }
            return pattern.count == segments.count
        }.map(\.method)
    }

    /// 405 with `Allow` and the JSON error body.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method])
        -> Response
    {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        var response = jsonResponse(
            ErrorBody(
                error: .init(
                    code: "method-not-allowed", message: "\(method) is not served at \(path); use \(allow)")),
            status: .methodNotAllowed)
        response.headers[.allow] = allow
        return response
    }
}
