import Foundation

/// An execution receipt: a node's statement that it ran layers `[layerStart, layerEnd)` of a model on
/// an input and got an output (specs/receipt.md §1).
///
/// A receipt says nothing by itself; a ``SignedReceipt`` binds it to the node's key.
public struct Receipt: Hashable, Sendable, SignableMessage {
    /// The BIP-340 tag for receipt digests.
    public static let domainTag = "mesh/receipt/v1"
    /// The only version this implementation speaks.
    public static let currentVersion: UInt16 = 1

    /// Protocol version; must be ``currentVersion``.
    public var version: UInt16
    /// The shard job this receipt answers (assigned by the orchestrator).
    public var jobID: Digest32
    /// The model, by id (SHA-256 of its package manifest, specs/model-package.md).
    public var modelID: Digest32
    /// First layer run (inclusive).
    public var layerStart: UInt32
    /// One past the last layer run (exclusive); greater than `layerStart`.
    public var layerEnd: UInt32
    /// SHA-256 of the canonical bytes of the input tensor (specs/kernel.md).
    public var inputCommitment: Digest32
    /// SHA-256 of the canonical bytes of the output tensor the node computed.
    public var outputCommitment: Digest32
    /// The signing node.
    public var node: XOnlyPublicKey
    /// Wall-clock start, milliseconds since the Unix epoch (UTC).
    public var startedAtMs: UInt64
    /// Wall-clock finish, milliseconds since the Unix epoch; not before `startedAtMs`.
    public var finishedAtMs: UInt64
    /// The node's own counter, strictly increasing over the receipts it signs.
    public var sequence: UInt64
    /// SHA-256 of an attached succinct proof (specs/proofs.md), if the node attached one.
    public var proofRef: Digest32?

    public init(
        version: UInt16 = Receipt.currentVersion, jobID: Digest32, modelID: Digest32,
        layerStart: UInt32, layerEnd: UInt32, inputCommitment: Digest32, outputCommitment: Digest32,
        node: XOnlyPublicKey, startedAtMs: UInt64, finishedAtMs: UInt64, sequence: UInt64,
        proofRef: Digest32? = nil
    ) {
        self.version = version
        self.jobID = jobID
        self.modelID = modelID
        self.layerStart = layerStart
        self.layerEnd = layerEnd
        self.inputCommitment = inputCommitment
        self.outputCommitment = outputCommitment
        self.node = node
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.sequence = sequence
        self.proofRef = proofRef
    }

    /// The half-open layer range `[layerStart, layerEnd)`.
    public var layers: Range<UInt32> { layerStart..<max(layerStart, layerEnd) }

    /// Checks the rules the types cannot express (specs/receipt.md §1.2).
    public func validate() throws(ReceiptError) {
        guard version == Self.currentVersion else { throw .unsupportedVersion(UInt64(version)) }
        guard layerStart < layerEnd else {
            throw .invalidField("layers", reason: "start \(layerStart) must be below end \(layerEnd)")
        }
        guard startedAtMs <= finishedAtMs else {
            throw .invalidField(
                "finishedAtMs", reason: "\(finishedAtMs) is before startedAtMs \(startedAtMs)")
        }
        let limit = JSONObjectReader.maxSafeInteger
        for (name, v) in [
            ("startedAtMs", startedAtMs), ("finishedAtMs", finishedAtMs), ("sequence", sequence),
        ]
        where v > limit {
            throw .invalidField(name, reason: "\(v) is out of range (maximum \(limit))")
        }
    }

    /// Canonical bytes, specs/receipt.md §3.2: the fields in declaration order.
    public func encode(to w: inout CanonicalWriter) {
        w.u16(version)
        w.digest(jobID)
        w.digest(modelID)
        w.u32(layerStart)
        w.u32(layerEnd)
        w.digest(inputCommitment)
        w.digest(outputCommitment)
        w.publicKey(node)
        w.u64(startedAtMs)
        w.u64(finishedAtMs)
        w.u64(sequence)
        w.optional(proofRef) { $0.digest($1) }
    }

    /// Decodes canonical bytes, refusing truncation, trailing bytes and any value ``validate()`` refuses.
    public init(canonicalBytes: some DataProtocol) throws(ReceiptError) {
        var r = CanonicalReader(canonicalBytes)
        let version = try r.u16("version")
        guard version == Self.currentVersion else { throw .unsupportedVersion(UInt64(version)) }
        self.init(
            version: version, jobID: try r.digest("jobId"), modelID: try r.digest("modelId"),
            layerStart: try r.u32("layerStart"), layerEnd: try r.u32("layerEnd"),
            inputCommitment: try r.digest("inputCommitment"),
            outputCommitment: try r.digest("outputCommitment"),
            node: try r.publicKey("node"), startedAtMs: try r.u64("startedAtMs"),
            finishedAtMs: try r.u64("finishedAtMs"), sequence: try r.u64("sequence"),
            proofRef: try r.optional("proofRef") { (r: inout CanonicalReader) throws(ReceiptError) in
                try r.digest("proofRef")
            })
        try r.finish()
        try validate()
    }
}

/// Whether a well-formed signed receipt holds up.
public enum ReceiptVerdict: Equatable, Sendable {
    case valid
    /// Well formed but not acceptable; `reason` says why in words a node operator can act on.
    case invalid(reason: String)

    public var isValid: Bool { self == .valid }
}

/// A receipt and the node's BIP-340 signature over its digest (specs/receipt.md §4).
public struct SignedReceipt: Hashable, Sendable {
    public var receipt: Receipt
    public var signature: SchnorrSignature

    public init(receipt: Receipt, signature: SchnorrSignature) {
        self.receipt = receipt
        self.signature = signature
    }

    /// Signs `receipt` with `key`, whose public key must be `receipt.node`.
    /// - Throws: ``ReceiptError/invalidField(_:reason:)`` when the key is not the receipt's node, or
    ///   when the receipt breaks a rule of ``Receipt/validate()``.
    public static func sign(
        _ receipt: Receipt, with key: SchnorrSigningKey, auxiliaryRandom32: Data? = nil
    ) throws(ReceiptError) -> SignedReceipt {
        try receipt.validate()
        guard key.publicKey == receipt.node else {
            throw .invalidField(
                "node",
                reason: "the signing key's public key is \(key.publicKey.hex), not \(receipt.node.hex)")
        }
        let sig = try receipt.signature(with: key, auxiliaryRandom32: auxiliaryRandom32)
        return SignedReceipt(receipt: receipt, signature: sig)
    }

    /// Checks the signature against `receipt.node` over `TaggedHash("mesh/receipt/v1", canonicalBytes)`.
    public func verify() -> ReceiptVerdict {
        if receipt.isValidSignature(signature, by: receipt.node) { return .valid }
        return .invalid(
            reason: "signature does not verify for node \(receipt.node.hex) over digest \(receipt.digest.hex)"
        )
    }
}
