import Foundation
import Hummingbird

/// Operator endpoints: `GET /metrics` (Prometheus text format), `GET /healthz`, `GET /v1/status`.
struct OpsController {
    let core: ValidatorCore

    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.get("metrics") { _, _ in
            bytesResponse(
                Data(core.metrics.exposition().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        routes.get("healthz") { _, _ in
            bytesResponse(Data("ok\n".utf8), contentType: "text/plain; charset=utf-8")
        }
        routes.get("v1/status") { _, _ in jsonResponse(try await core.status()) }
        return routes
    }
}
