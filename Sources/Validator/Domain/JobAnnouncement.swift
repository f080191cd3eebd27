import Foundation
import Receipts

/// A shard job as announced by an orchestrator: which model layers to run on which input, the three
/// nodes assigned to run it redundantly, and when results are due (specs/service.md §3.1).
///
/// Signed by the orchestrator under the BIP-340 tag `mesh/job-announcement/v1` over the canonical
/// bytes (specs/receipt.md §3 encoding):
/// `u16 version ‖ jobId ‖ modelId ‖ u32 layerStart ‖ u32 layerEnd ‖ inputCommitment ‖
///  u8 nodeCount ‖ node × nodeCount ‖ u64 deadlineMs ‖ u64 slaMs ‖ orchestrator`.
public struct JobAnnouncement: SignableMessage, Hashable {
    public static let domainTag = "mesh/job-announcement/v1"
    /// The only version this implementation speaks.
    public static let currentVersion: UInt16 = 1
    /// Number of redundant nodes per job.
    public static let quorumSize = 3

    public var version: UInt16
    /// Unique job id chosen by the orchestrator.
    public var jobID: Digest32
    public var modelID: Digest32
    /// First layer run (inclusive).
    public var layerStart: UInt32
    /// End of the layer range (exclusive): layers `[layerStart, layerEnd)`.
    public var layerEnd: UInt32
    /// Commitment (specs/kernel.md) to the shard's input tensor.
    public var inputCommitment: Digest32
    /// The three assigned nodes, distinct.
    public var nodes: [XOnlyPublicKey]
    /// Unix time in milliseconds after which the job settles with the receipts that arrived.
    public var deadlineMs: UInt64
    /// Latency target in milliseconds (finishedAtMs − startedAtMs) for full inference karma.
    public var slaMs: UInt64
    /// The orchestrator that signs this announcement.
    public var orchestrator: XOnlyPublicKey

    public init(
        version: UInt16 = JobAnnouncement.currentVersion, jobID: Digest32, modelID: Digest32,
        layerStart: UInt32, layerEnd: UInt32, inputCommitment: Digest32, nodes: [XOnlyPublicKey],
        deadlineMs: UInt64, slaMs: UInt64, orchestrator: XOnlyPublicKey
    ) {
        self.version = version
        self.jobID = jobID
        self.modelID = modelID
        self.layerStart = layerStart
        self.layerEnd = layerEnd
        self.inputCommitment = inputCommitment
        self.nodes = nodes
        self.deadlineMs = deadlineMs
        self.slaMs = slaMs
        self.orchestrator = orchestrator
    }

    /// Layers `[layerStart, layerEnd)`; empty when the bounds are inverted (see `validate()`).
    public var layers: Range<UInt32> { layerStart..<max(layerStart, layerEnd) }

    /// Checks the invariants a well-formed announcement has.
    ///
    /// - Throws: `ValidatorError.invalidAnnouncement` naming the first violated rule.
    public func validate() throws(ValidatorError) {
        guard version == Self.currentVersion else {
            throw .invalidAnnouncement("version \(version) is not supported (want \(Self.currentVersion))")
        }
        guard layerStart < layerEnd else {
            throw .invalidAnnouncement("layers [\(layerStart), \(layerEnd)) is empty")
        }
        guard nodes.count == Self.quorumSize else {
            throw .invalidAnnouncement(
                "\(nodes.count) nodes assigned; a job needs exactly \(Self.quorumSize)")
        }
        guard Set(nodes).count == nodes.count else {
            throw .invalidAnnouncement("the assigned nodes are not distinct")
        }
        guard slaMs > 0 else { throw .invalidAnnouncement("slaMs must be positive") }
        guard deadlineMs > 0 else { throw .invalidAnnouncement("deadlineMs must be positive") }
    }

    public func encode(to w: inout CanonicalWriter) {
        w.u16(version)
        w.digest(jobID)
        w.digest(modelID)
        w.u32(layerStart)
        w.u32(layerEnd)
        w.digest(inputCommitment)
        w.u8(UInt8(truncatingIfNeeded: nodes.count))
        for node in nodes { w.publicKey(node) }
        w.u64(deadlineMs)
        w.u64(slaMs)
        w.publicKey(orchestrator)
    }

    // MARK: JSON form

    /// Reads the JSON object form (strict: every field, none extra; see specs/service.md §3.1).
    public init(jsonObject value: JSONValue) throws(ValidatorError) {
        do {
            var o = try JSONObjectReader(value, what: "announcement")
            let version = try o.integer("version", max: UInt64(UInt16.max))
            guard case .array(let bounds) = try o.value("layers"), bounds.count == 2,
                case .number(let s) = bounds[0], case .number(let e) = bounds[1]
            else {
                throw ReceiptError.invalidField(
                    "layers", reason: "must be an array of two integers [start, end)")
            }
            guard case .array(let nodeValues) = try o.value("nodes"), nodeValues.count <= 16 else {
                throw ReceiptError.invalidField("nodes", reason: "must be an array of x-only public keys")
            }
            var nodes: [XOnlyPublicKey] = []
            for (i, v) in nodeValues.enumerated() {
                guard case .string(let hex) = v else {
                    throw ReceiptError.invalidField("nodes[\(i)]", reason: "must be a hex string")
                }
                nodes.append(try XOnlyPublicKey(hex: hex, field: "nodes[\(i)]"))
            }
            self.init(
                version: UInt16(version),
                jobID: try Digest32(hex: try o.string("jobId"), field: "jobId"),
                modelID: try Digest32(hex: try o.string("modelId"), field: "modelId"),
                layerStart: UInt32(
                    try JSONObjectReader.canonicalInteger(s, field: "layers[0]", max: UInt64(UInt32.max))),
                layerEnd: UInt32(
                    try JSONObjectReader.canonicalInteger(e, field: "layers[1]", max: UInt64(UInt32.max))),
                inputCommitment: try Digest32(hex: try o.string("inputCommitment"), field: "inputCommitment"),
                nodes: nodes,
                deadlineMs: try o.integer("deadlineMs"),
                slaMs: try o.integer("slaMs"),
                orchestrator: try XOnlyPublicKey(hex: try o.string("orchestrator"), field: "orchestrator"))
            try o.finish()
        } catch let error as ReceiptError {
            throw .malformedBody("announcement: \(error)")
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .malformedBody("announcement: \(error)")
        }
        try validate()
    }

    /// The JSON object form.
    public func jsonObject() -> JSONValue {
        .object([
            "version": .number("\(version)"),
            "jobId": .string(jobID.hex),
            "modelId": .string(modelID.hex),
            "layers": .array([.number("\(layerStart)"), .number("\(layerEnd)")]),
            "inputCommitment": .string(inputCommitment.hex),
            "nodes": .array(nodes.map { .string($0.hex) }),
            "deadlineMs": .number("\(deadlineMs)"),
            "slaMs": .number("\(slaMs)"),
            "orchestrator": .string(orchestrator.hex),
        ])
    }
}

/// A job announcement with the orchestrator's signature, as posted to `POST /v1/jobs`.
public struct SignedJobAnnouncement: Sendable, Hashable {
    public var announcement: JobAnnouncement
    public var signature: SchnorrSignature

    public init(announcement: JobAnnouncement, signature: SchnorrSignature) {
        self.announcement = announcement
        self.signature = signature
    }

    /// Signs `announcement` with the orchestrator key `key`.
    public static func sign(_ announcement: JobAnnouncement, with key: SchnorrSigningKey)
        throws(ValidatorError)
        -> SignedJobAnnouncement
    {
        do {
            return SignedJobAnnouncement(
                announcement: announcement, signature: try announcement.signature(with: key))
        } catch {
            throw .internalFailure("signing the announcement: \(error)")
        }
    }

    /// Whether the signature is the announced orchestrator's valid signature.
    public var isValid: Bool { announcement.isValidSignature(signature, by: announcement.orchestrator) }
}
