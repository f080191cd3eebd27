import Hummingbird

/// Counts every request and records its latency by method, route template and status
/// (`mesh_http_requests_total`, `mesh_http_request_duration_seconds`; specs/service.md §7), through
/// the validator's own metrics factory so `/metrics` shows them with or without a global bootstrap.
///
/// Installed outermost, so the status is the one the client sees, error bodies included.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ValidatorMetrics

    func handle(_ input: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let method = input.method.rawValue
        do {
            let response = try await next(input, context)
            metrics.request(
                method: method, route: route(context), status: response.status.code,
                duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(
                method: method, route: route(context), status: status, duration: ContinuousClock.now - start)
            throw error
        }
    }

    /// The matched route template (`/v1/jobs/{id}`), or `unmatched` (Hummingbird names a path
    /// no route matches `NotFound`).
    private func route(_ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return path
    }
}
