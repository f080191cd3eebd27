import Foundation

/// Every fault the validator service reports, with a machine-readable code and a message a
/// person can act on. Mapped once to HTTP in `HTTP/APIError.swift` (specs/openapi.yaml lists the
/// codes); client faults are 4xx, and only `.internalFailure` / `.storage` are 5xx.
public enum ValidatorError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: Malformed input (400)
    /// The request body is not the JSON the endpoint expects.
    case malformedBody(String)
    /// A path or query parameter is missing or not of the right form.
    case badParameter(name: String, reason: String)
    // MARK: Too large (413)
    /// The body exceeds the configured limit for the endpoint.
    case bodyTooLarge(limit: Int)
    // MARK: Unsupported media type (415)
    /// A JSON body sent with another `Content-Type` (or none); `got` is the header, if any.
    case unsupportedMediaType(got: String?)
    // MARK: Authorisation (403)
    /// A job announcement signed by a key that is not a configured orchestrator.
    case unknownOrchestrator(String)
    /// A receipt from a node that the job did not assign.
    case nodeNotAssigned(node: String, job: String)
    // MARK: Not found (404)
    case unknownJob(String)
    case unknownNode(String)
    case notFound(String)
    // MARK: Conflict (409)
    /// The job is settled (or settling); it accepts no more receipts.
    case jobAlreadySettled(String)
    /// Another announcement with the same job id but different content exists.
    case conflictingAnnouncement(String)
    /// The node's equivocation for this job is already proven by two stored receipts; more
    /// receipts with other outputs add no evidence and are not stored (specs/service.md §4.3).
    case equivocationAlreadyHeld(node: String, job: String)
    // MARK: Unprocessable (422)
    case invalidSignature(String)
    /// A field of the receipt does not match the announced job (model, layers, input).
    case receiptMismatch(field: String, got: String, want: String)
    /// The attached tensor's commitment differs from the one the signed object commits to.
    case commitmentMismatch(what: String, got: String, want: String)
    case invalidAnnouncement(String)
    case invalidTensor(String)
    case unknownModel(String)
    /// A node request (heartbeat, seeding receipt, staking request) the karma rules reject.
    case rejectedByKarma(String)
    case proofRefMismatch(got: String, want: String)
    // MARK: Server side (500 / 503)
    case storage(String)
    case unavailable(String)
    /// The memory budget for request bodies in flight is spent (specs/service.md §2.2); retry.
    case busy(String)
    /// This process follows its cluster's leader and does not write the log: a node request
    /// goes to the leader, named when a lease is running (specs/service.md §8.1).
    case notLeader(leader: String?)
    case internalFailure(String)

    /// Stable machine-readable code, as listed in specs/openapi.yaml.
    public var code: String {
        switch self {
        case .malformedBody: "malformed-body"
        case .badParameter: "bad-parameter"
        case .bodyTooLarge: "body-too-large"
        case .unsupportedMediaType: "unsupported-media-type"
        case .unknownOrchestrator: "unknown-orchestrator"
        case .nodeNotAssigned: "node-not-assigned"
        case .unknownJob: "unknown-job"
        case .unknownNode: "unknown-node"
        case .notFound: "not-found"
        case .jobAlreadySettled: "job-settled"
        case .conflictingAnnouncement: "conflicting-announcement"
        case .equivocationAlreadyHeld: "equivocation-already-held"
        case .invalidSignature: "invalid-signature"
        case .receiptMismatch: "receipt-mismatch"
        case .commitmentMismatch: "commitment-mismatch"
        case .invalidAnnouncement: "invalid-announcement"
        case .invalidTensor: "invalid-tensor"
        case .unknownModel: "unknown-model"
        case .rejectedByKarma: "rejected-by-karma"
        case .proofRefMismatch: "proof-ref-mismatch"
        case .storage: "storage-failure"
        case .unavailable: "unavailable"
        case .busy: "busy"
        case .notLeader: "not-leader"
        case .internalFailure: "internal-failure"
        }
    }

    /// HTTP status code for this error (400–422 for client faults, 5xx for ours).
    public var httpStatus: Int {
        switch self {
        case .malformedBody, .badParameter: 400
        case .bodyTooLarge: 413
        case .unsupportedMediaType: 415
        case .unknownOrchestrator, .nodeNotAssigned: 403
        case .unknownJob, .unknownNode, .notFound: 404
        case .jobAlreadySettled, .conflictingAnnouncement, .equivocationAlreadyHeld: 409
        case .invalidSignature, .receiptMismatch, .commitmentMismatch, .invalidAnnouncement, .invalidTensor,
            .unknownModel, .rejectedByKarma, .proofRefMismatch:
            422
        case .unavailable, .busy, .notLeader: 503
        case .storage, .internalFailure: 500
        }
    }

    public var description: String {
        switch self {
        case .malformedBody(let why): "malformed request body: \(why)"
        case .badParameter(let name, let reason): "bad parameter '\(name)': \(reason)"
        case .bodyTooLarge(let limit): "request body exceeds the limit of \(limit) bytes"
        case .unsupportedMediaType(let got):
            "the body must be sent with Content-Type application/json (parameters such as charset=utf-8 allowed); got \(got.map { "'\($0)'" } ?? "no Content-Type")"
        case .unknownOrchestrator(let key):
            "announcement signed by \(key), which is not a configured orchestrator key"
        case .nodeNotAssigned(let node, let job): "node \(node) is not assigned to job \(job)"
        case .unknownJob(let job): "no job \(job) has been announced to this validator"
        case .unknownNode(let node): "node \(node) has no ledger history"
        case .notFound(let what): "not found: \(what)"
        case .equivocationAlreadyHeld(let node, let job):
            "node \(node) already has two receipts with different outputs stored for job \(job) (equivocation is proven); further receipts are not stored"
        case .jobAlreadySettled(let job): "job \(job) is already settled; it accepts no more receipts"
        case .conflictingAnnouncement(let job):
            "job \(job) was already announced with different content"
        case .invalidSignature(let what): "invalid signature on \(what)"
        case .receiptMismatch(let field, let got, let want):
            "receipt field \(field) is \(got) but the job announced \(want)"
        case .commitmentMismatch(let what, let got, let want):
            "\(what) has commitment \(got) but \(want) was signed"
        case .invalidAnnouncement(let why): "invalid job announcement: \(why)"
        case .invalidTensor(let why): "invalid tensor: \(why)"
        case .unknownModel(let model): "this validator does not hold model \(model)"
        case .rejectedByKarma(let why): "rejected by the karma rules: \(why)"
        case .proofRefMismatch(let got, let want):
            "attached proof hashes to \(got) but the receipt's proofRef is \(want)"
        case .storage(let why): "storage failure: \(why)"
        case .unavailable(let why): "service unavailable: \(why)"
        case .busy(let why): "busy: \(why)"
        case .notLeader(let leader):
            "this validator follows its cluster's leader and does not write the ledger: send node requests to the leader"
                + (leader.map { " (\($0))" } ?? " (none holds the lease right now; retry shortly)")
        case .internalFailure(let why): "internal failure: \(why)"
        }
    }
}
