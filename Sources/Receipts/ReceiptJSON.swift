import Foundation

/// The JSON transport form of receipts (specs/receipt.md §2).
///
/// Decoding is strict: every field named, none extra, hex lowercase and of exact length, integers
/// canonical and at most 2^53 − 1. JSON form is for transport only; signatures cover the canonical bytes.
extension Receipt {
    /// The largest receipt JSON document accepted, in bytes.
    public static let maxJSONSize = 64 * 1024

    /// Decodes an unsigned receipt document. `node` may be omitted only when `defaultNode` is given.
    public init(json data: some DataProtocol, defaultNode: XOnlyPublicKey? = nil) throws(ReceiptError) {
        guard data.count <= Self.maxJSONSize else {
            throw .tooLarge(size: data.count, limit: Self.maxJSONSize)
        }
        var o = try JSONObjectReader(try StrictJSON.parse(data), what: "receipt")
        try self.init(reading: &o, defaultNode: defaultNode)
        try o.finish()
    }

    init(reading o: inout JSONObjectReader, defaultNode: XOnlyPublicKey?) throws(ReceiptError) {
        let version = try o.integer("version", max: UInt64(UInt16.max))
        guard version == UInt64(Self.currentVersion) else { throw .unsupportedVersion(version) }
        let layers = try o.value("layers")
        guard case .array(let bounds) = layers, bounds.count == 2,
            case .number(let startText) = bounds[0], case .number(let endText) = bounds[1]
        else { throw .invalidField("layers", reason: "must be an array of two integers [start, end)") }
        let node: XOnlyPublicKey
        if o.has("node") || defaultNode == nil {
            node = try XOnlyPublicKey(hex: try o.string("node"), field: "node")
        } else {
            node = defaultNode!
        }
        var proofRef: Digest32?
        switch o.optionalValue("proofRef") {
        case nil, .null?: proofRef = nil
        case .string(let s)?: proofRef = try Digest32(hex: s, field: "proofRef")
        default: throw .invalidField("proofRef", reason: "must be 64 hex characters or null")
        }
        self.init(
            version: UInt16(version),
            jobID: try Digest32(hex: try o.string("jobId"), field: "jobId"),
            modelID: try Digest32(hex: try o.string("modelId"), field: "modelId"),
            layerStart: UInt32(
                try JSONObjectReader.canonicalInteger(startText, field: "layers[0]", max: UInt64(UInt32.max))),
            layerEnd: UInt32(
                try JSONObjectReader.canonicalInteger(endText, field: "layers[1]", max: UInt64(UInt32.max))),
            inputCommitment: try Digest32(hex: try o.string("inputCommitment"), field: "inputCommitment"),
            outputCommitment: try Digest32(hex: try o.string("outputCommitment"), field: "outputCommitment"),
            node: node,
            startedAtMs: try o.integer("startedAtMs"),
            finishedAtMs: try o.integer("finishedAtMs"),
            sequence: try o.integer("sequence"),
            proofRef: proofRef)
        try validate()
    }

    /// JSON members in the order the spec lists them.
    func jsonMembers() -> [(String, String)] {
        [
            ("version", "\(version)"),
            ("jobId", quoted(jobID.hex)),
            ("modelId", quoted(modelID.hex)),
            ("layers", "[\(layerStart), \(layerEnd)]"),
            ("inputCommitment", quoted(inputCommitment.hex)),
            ("outputCommitment", quoted(outputCommitment.hex)),
            ("node", quoted(node.hex)),
            ("startedAtMs", "\(startedAtMs)"),
            ("finishedAtMs", "\(finishedAtMs)"),
            ("sequence", "\(sequence)"),
            ("proofRef", proofRef.map { quoted($0.hex) } ?? "null"),
        ]
    }

    /// The unsigned receipt as a JSON document (pretty, members in spec order, trailing newline).
    public func json() -> Data { renderJSON(jsonMembers()) }
}

extension SignedReceipt {
    /// Decodes a signed receipt document: a receipt's members plus `signature` (128 hex characters).
    public init(json data: some DataProtocol) throws(ReceiptError) {
        guard data.count <= Receipt.maxJSONSize else {
            throw .tooLarge(size: data.count, limit: Receipt.maxJSONSize)
        }
        try self.init(jsonObject: try StrictJSON.parse(data))
    }

    /// Decodes a signed receipt that is a member of a larger JSON document, by the same rules as
    /// ``init(json:)``; the enclosing document's size limit takes the place of the receipt's.
    public init(jsonObject value: JSONValue) throws(ReceiptError) {
        var o = try JSONObjectReader(value, what: "receipt")
        let receipt = try Receipt(reading: &o, defaultNode: nil)
        let signature = try SchnorrSignature(hex: try o.string("signature"))
        try o.finish()
        self.init(receipt: receipt, signature: signature)
    }

    /// The signed receipt as a JSON document (pretty, members in spec order, trailing newline).
    public func json() -> Data {
        renderJSON(receipt.jsonMembers() + [("signature", quoted(signature.hex))])
    }
}

private func quoted(_ s: String) -> String { "\"\(s)\"" }

private func renderJSON(_ members: [(String, String)]) -> Data {
    let body = members.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n")
    return Data("{\n\(body)\n}\n".utf8)
}
