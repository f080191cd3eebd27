import Foundation
import Hummingbird
import NIOCore

/// The web console (specs/console.md): `GET /` (the page) and `GET /console/{file}` (its
/// scripts, style and icon), read-only, from the files compiled into the binary. A name that is
/// not one of those files is 404 `not-found`: names are looked up in a fixed table, never joined
/// to a file-system path.
struct ConsoleController {
    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.get("/") { request, _ in try Self.serve("index.html", request) }
        routes.get("console/:file") { request, context in
            try Self.serve(context.parameters.get("file") ?? "", request)
        }
        return routes
    }

    // Force-unwrap of a constant, valid field name (RFC 9110 token).
    // swift-format-ignore: NeverForceUnwrap
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!

    /// The asset with `Content-Type`, `Cache-Control: no-cache` (revalidate with the `ETag`; 304
    /// when `If-None-Match` names it), the console's Content-Security-Policy, `nosniff` and
    /// `no-referrer`.
    static func serve(_ name: String, _ request: Request) throws(ValidatorError) -> Response {
        guard let asset = ConsoleAssets.all[name] else {
            throw .notFound("console file '\(name.prefix(64))'")
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = asset.etag
        headers[.contentSecurityPolicy] = ConsoleAssets.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[Self.referrerPolicy] = "no-referrer"
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == asset.etag
            })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
