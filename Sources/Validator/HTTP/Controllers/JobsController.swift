import Foundation
import Hummingbird
import Receipts

/// `POST /v1/jobs`, `GET /v1/jobs/{id}`, `POST /v1/receipts` (specs/openapi.yaml).
struct JobsController {
    let core: ValidatorCore
    let limits: ValidatorConfig.Limits

    var endpoints: RouteCollection<ValidatorRequestContext> {
        let routes = RouteCollection(context: ValidatorRequestContext.self)
        routes.post("v1/jobs", use: announce)
        routes.get("v1/jobs/:id", use: job)
        routes.post("v1/receipts", use: receipt)
        routes.post("v1/receipts/batch", use: receiptBatch)
        return routes
    }

    @Sendable func announce(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let body = try await request.collectBody(limit: limits.maxJobBodyBytes)
        let ack = try await core.announce(try JobSubmission(json: body))
        return jsonResponse(ack, status: ack.status == "created" ? .created : .ok)
    }

    @Sendable func job(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let id = try digestParameter(context, "id")
        return jsonResponse(try await core.view(of: id))
    }

    @Sendable func receipt(_ request: Request, context: ValidatorRequestContext) async throws -> Response {
        let body = try await request.collectBody(limit: limits.maxReceiptBodyBytes)
        let ack = try await core.submit(try ReceiptSubmission(json: body))
        return jsonResponse(ack, status: ack.status == .duplicate ? .ok : .accepted)
    }

    /// 200 with one result per receipt (each as `POST /v1/receipts` would answer it); a body
    /// that is not a batch at all is a 4xx for the whole request.
    @Sendable func receiptBatch(_ request: Request, context: ValidatorRequestContext) async throws -> Response
    {
        let body = try await request.collectBody(limit: limits.maxBatchBodyBytes)
        let batch = try ReceiptBatch(json: body)
        let results = await core.submit(batch: batch.items)
        return jsonResponse(
            ReceiptBatchAck(
                results: results.map { result in
                    switch result {
                    case .success(let ack):
                        .init(status: ack.status == .duplicate ? 200 : 202, receipt: ack, error: nil)
                    case .failure(let error):
                        .init(
                            status: error.httpStatus, receipt: nil,
                            error: .init(code: error.code, message: error.description))
                    }
                }))
    }
}

func digestParameter(_ context: ValidatorRequestContext, _ name: String) throws(ValidatorError) -> Digest32 {
    guard let text = context.parameters.get(name) else { throw .badParameter(name: name, reason: "missing") }
    do { return try Digest32(hex: text, field: name) } catch {
        throw .badParameter(name: name, reason: "must be 64 lowercase hex characters")
    }
}
