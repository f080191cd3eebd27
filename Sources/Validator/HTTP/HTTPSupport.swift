import Foundation
import Hummingbird
import NIOCore

/// The request context of the validator's router.
public struct ValidatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are read by the controllers with per-endpoint limits (`ValidatorConfig.Limits`); this
    /// is only the ceiling for Hummingbird's own decoding helpers.
    public var maxUploadSize: Int { 64 << 10 }
}

/// The JSON error body every endpoint returns: `{"error": {"code": "...", "message": "..."}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    public var error: Detail
}

extension ValidatorError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse(ErrorBody(error: .init(code: code, message: description)), status: status)
    }
}

/// Maps every error leaving a route to the JSON error body, once (specs/openapi.yaml `Error`):
/// `ValidatorError` keeps its status and code; Hummingbird's own HTTP errors (unknown route,
/// oversized body) keep their status; anything else is a 500 `internal-failure` and is logged.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ValidatorMetrics

    func handle(_ input: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws
        -> Response
    {
        do {
            return try await next(input, context)
        } catch let error as ValidatorError {
            metrics.rejected(error, endpoint: context.endpointPath ?? "unmatched")
            if error.httpStatus == 500 { context.logger.error("request failed: \(error)") }
            var response = jsonResponse(
                ErrorBody(error: .init(code: error.code, message: error.description)), status: error.status)
            if error.httpStatus == 503 { response.headers[.retryAfter] = "1" }
            return response
        } catch is NIOTooManyBytesError {
            return jsonResponse(
                ErrorBody(
                    error: .init(code: "body-too-large", message: "request body is larger than the limit")),
                status: .contentTooLarge)
        } catch let error as HTTPError {
            let code =
                switch error.status.code {
                case 404: "not-found"
                case 405: "method-not-allowed"
                case 413: "body-too-large"
                case 400..<500: "bad-request"
                default: "internal-failure"
                }
            let message =
                error.body
                ?? (error.status.code == 404
                    ? "no such endpoint: \(input.uri.path)" : error.status.reasonPhrase)
            return jsonResponse(ErrorBody(error: .init(code: code, message: message)), status: error.status)
        } catch let error as any HTTPResponseError {
            let code = error.status.code >= 500 ? "internal-failure" : "bad-request"
            return jsonResponse(
                ErrorBody(error: .init(code: code, message: error.status.reasonPhrase)), status: error.status)
        } catch {
            context.logger.error("unexpected error: \(error)")
            return jsonResponse(
                ErrorBody(
                    error: .init(code: "internal-failure", message: "internal failure; see the server log")),
                status: .internalServerError)
        }
    }
}

private let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}()

/// A JSON response (sorted keys).
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A response with raw bytes and a content type.
func bytesResponse(_ data: Data, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = contentType
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// Reads the whole body, refusing more than `limit` bytes with `ValidatorError.bodyTooLarge`
    /// (checked against `Content-Length` first, so an oversized upload is refused unread) and
    /// charging the request's `BodyBudget` lease as it goes (`ValidatorError.busy` when spent).
    func collectBody(limit: Int) async throws(ValidatorError) -> Data {
        let lease = BodyBudget.current
        if let length = headers[.contentLength].flatMap({ Int($0) }) {
            guard length <= limit else { throw .bodyTooLarge(limit: limit) }
            try lease?.cover(bodyBytes: length)
        }
        var collected = ByteBuffer()
        do {
            for try await chunk in body {
                guard chunk.readableBytes <= limit - collected.readableBytes else {
                    throw ValidatorError.bodyTooLarge(limit: limit)
                }
                try lease?.cover(bodyBytes: collected.readableBytes + chunk.readableBytes)
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .malformedBody("could not read the request body: \(error)")
        }
        return Data(collected.readableBytesView)
    }
}
