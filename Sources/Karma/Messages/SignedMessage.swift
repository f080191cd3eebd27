import Foundation
import Receipts

/// A message a node signs for the karma rules: a ``SignableMessage`` that also knows its signer and
/// reads back from canonical bytes and JSON (specs/karma.md §4).
public protocol KarmaMessage: SignableMessage, Equatable {
    /// The version written as the message's first field; this implementation speaks only this one.
    static var messageVersion: UInt16 { get }
    /// The key whose signature makes the message count (the heartbeat's node, the downloader of a
    /// chunk, the node asking to bond).
    var signer: XOnlyPublicKey { get }
    /// Reads the fields ``SignableMessage/encode(to:)`` writes, in the same order.
    init(from reader: inout CanonicalReader) throws(KarmaError)
    /// Reads the JSON object form; unknown fields are refused.
    init(jsonObject: JSONValue) throws(KarmaError)
    /// The JSON object form (64-bit integers as decimal strings, keys and digests as lowercase hex).
    func jsonObject() -> JSONValue
}

/// A karma message and its signer's BIP-340 signature over `message.digest`.
///
/// Canonical bytes: the message's canonical bytes, then the 64-byte signature. JSON:
/// `{"message": {...}, "signature": "<128 hex>"}`.
public struct Signed<Message: KarmaMessage>: Equatable, Sendable {
    public var message: Message
    public var signature: SchnorrSignature

    public init(message: Message, signature: SchnorrSignature) {
        self.message = message
        self.signature = signature
    }

    /// Signs `message` with `key` (BIP-340 over the message digest).
    ///
    /// - Parameter auxiliaryRandom32: BIP-340 aux randomness; nil draws fresh randomness. Fixtures
    ///   pass 32 zero bytes so their signatures are reproducible.
    /// - Throws: ``KarmaError/malformed(_:)`` if signing fails in libsecp256k1 or aux is not 32 bytes.
    public static func sign(
        _ message: Message, with key: SchnorrSigningKey, auxiliaryRandom32: Data? = nil
    ) throws(KarmaError) -> Signed {
        do {
            return Signed(
                message: message,
                signature: try message.signature(with: key, auxiliaryRandom32: auxiliaryRandom32))
        } catch { throw KarmaError(error) }
    }

    /// Whether `signature` is `message.signer`'s valid signature of the message.
    public var isValid: Bool { message.isValidSignature(signature, by: message.signer) }

    /// Writes the message's canonical bytes then the signature.
    public func encode(to writer: inout CanonicalWriter) {
        message.encode(to: &writer)
        writer.signature(signature)
    }

    /// Reads what ``encode(to:)`` writes.
    public init(from reader: inout CanonicalReader) throws(KarmaError) {
        message = try Message(from: &reader)
        do { signature = try reader.signature("signature") } catch { throw KarmaError(error) }
    }

    public init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "signed \(Message.self)")
        message = try Message(jsonObject: try r.value("message"))
        signature = try r.signature("signature")
        try r.finish()
    }

    public func jsonObject() -> JSONValue {
        .object(["message": message.jsonObject(), "signature": .string(signature.hex)])
    }

    /// Largest JSON document accepted by ``init(json:)``, in bytes.
    public static var maxJSONSize: Int { 64 * 1024 }

    /// Reads the JSON document form (what a node POSTs to the validator).
    /// - Throws: ``KarmaError/malformed(_:)`` for bad JSON, unknown or missing fields, oversized input.
    public init(json: some DataProtocol) throws(KarmaError) {
        guard json.count <= Self.maxJSONSize else {
            throw .malformed("document is \(json.count) bytes; the limit is \(Self.maxJSONSize)")
        }
        try self.init(jsonObject: try KarmaJSON.parse(json))
    }

    /// The JSON document form (pretty, keys sorted).
    public func json() -> Data { JSONOutput.data(jsonObject()) }
}

extension CanonicalReader {
    /// Reads a field, mapping codec errors to ``KarmaError``.
    mutating func karma<T>(_ read: (inout CanonicalReader) throws(ReceiptError) -> T) throws(KarmaError) -> T
    {
        do { return try read(&self) } catch { throw KarmaError(error) }
    }

    /// Reads a message version and refuses any other than `want`.
    mutating func version(_ what: String, want: UInt16) throws(KarmaError) {
        let got = try karma { r throws(ReceiptError) in try r.u16("\(what).version") }
        guard got == want else { throw .unsupportedVersion(what: what, got: got, want: want) }
    }
}

extension KarmaObjectReader {
    /// Reads `version` and refuses any other than `want`.
    mutating func version(want: UInt16) throws(KarmaError) {
        let got = try number("version", max: UInt64(UInt16.max))
        guard got == want else { throw .unsupportedVersion(what: what, got: UInt16(got), want: want) }
    }
}
