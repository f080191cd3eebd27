import Foundation
import Receipts

/// Reads an optional base64 member of a request object.
private func base64Member(_ o: inout JSONObjectReader, _ key: String, required: Bool) throws(ValidatorError)
    -> Data?
{
    switch o.optionalValue(key) {
    case nil, .null?:
        if required { throw .malformedBody("missing field \"\(key)\" (standard base64)") }
        return nil
    case .string(let text)?:
        do { return try CanonicalBase64.decode(text) } catch {
            throw .malformedBody("field \"\(key)\" \(error.reason)")
        }
    default:
        throw .malformedBody("field \"\(key)\" must be a base64 string")
    }
}

/// Strict base64 for request members (specs/openapi.yaml `Base64`): the standard alphabet of RFC
/// 4648 §4 with `=` padding, canonical — exactly what encoding the decoded bytes gives back, so
/// no missing padding, no white space or line breaks, no URL-safe letters, and zero pad bits.
/// Each byte string therefore has one accepted text.
public enum CanonicalBase64 {
    /// Why a text is not canonical padded base64.
    public struct Problem: Error, Sendable, Equatable {
        public var reason: String
    }

    /// Decodes `text`.
    ///
    /// - Throws: `Problem` naming what is wrong: a length that is not a multiple of 4 (missing
    ///   padding), a character outside the standard alphabet, or non-zero pad bits.
    public static func decode(_ text: String) throws(Problem) -> Data {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else {
            throw Problem(
                reason:
                    "is not padded base64: \(bytes.count) characters, not a multiple of 4 (RFC 4648 §4 with '=' padding)"
            )
        }
        let alphabet = { (c: UInt8) in
            (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2b
                || c == 0x2f
        }
        let padding = bytes.reversed().prefix { $0 == 0x3d }.count
        guard padding <= 2, bytes.dropLast(padding).allSatisfy(alphabet) else {
            throw Problem(
                reason:
                    "holds a character outside standard base64 (A-Z a-z 0-9 + / and at most two trailing '=')"
            )
        }
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else {
            throw Problem(reason: "is not canonical base64 (the bits after the last byte must be zero)")
        }
        return data
    }
}

private func parseObject(_ body: Data, what: String) throws(ValidatorError) -> JSONValue {
    do {
        return try StrictJSON.parse(body)
    } catch {
        throw .malformedBody("\(what): \(error)")
    }
}

/// The body of `POST /v1/jobs` (specs/openapi.yaml `JobSubmission`):
/// `{"announcement": {...}, "signature": "<128 hex>", "input": "<base64>"?}`.
public struct JobSubmission: Sendable {
    public var signed: SignedJobAnnouncement
    /// The input tensor (canonical bytes), when the orchestrator supplies it.
    public var input: Data?

    public init(signed: SignedJobAnnouncement, input: Data?) {
        self.signed = signed
        self.input = input
    }

    /// Parses a request body (strict JSON; unknown members refused).
    public init(json body: Data) throws(ValidatorError) {
        var o: JSONObjectReader
        let announcementValue: JSONValue
        let signatureHex: String
        do {
            o = try JSONObjectReader(try parseObject(body, what: "job submission"), what: "job submission")
            announcementValue = try o.value("announcement")
            signatureHex = try o.string("signature")
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .malformedBody("job submission: \(error)")
        }
        let announcement = try JobAnnouncement(jsonObject: announcementValue)
        let signature: SchnorrSignature
        do {
            signature = try SchnorrSignature(hex: signatureHex)
        } catch {
            throw .malformedBody("job submission: \(error)")
        }
        input = try base64Member(&o, "input", required: false)
        do { try o.finish() } catch { throw .malformedBody("job submission: \(error)") }
        signed = SignedJobAnnouncement(announcement: announcement, signature: signature)
    }

    /// The request body for this submission.
    public func json() -> Data {
        var members: [String: JSONValue] = [
            "announcement": signed.announcement.jsonObject(),
            "signature": .string(signed.signature.hex),
        ]
        if let input { members["input"] = .string(input.base64EncodedString()) }
        return JSONOutput.data(.object(members), pretty: false)
    }
}

/// The body of `POST /v1/receipts` (specs/openapi.yaml `ReceiptSubmission`):
/// `{"receipt": {signed receipt}, "output": "<base64>", "input": "<base64>"?, "proof": "<base64>"?}`.
public struct ReceiptSubmission: Sendable {
    public var signed: SignedReceipt
    /// The canonical output tensor whose commitment the receipt signs.
    public var output: Data
    /// The input tensor, when the validator may not have it.
    public var input: Data?
    /// A succinct proof whose SHA-256 is the receipt's `proofRef`.
    public var proof: Data?

    public init(signed: SignedReceipt, output: Data, input: Data? = nil, proof: Data? = nil) {
        self.signed = signed
        self.output = output
        self.input = input
        self.proof = proof
    }

    /// Parses a request body (strict JSON; the receipt member is read by the Receipts module's
    /// strict decoder, specs/receipt.md §2).
    public init(json body: Data) throws(ValidatorError) {
        try self.init(jsonObject: try parseObject(body, what: "receipt submission"))
    }

    /// Reads a parsed submission object (the body of `POST /v1/receipts`, or one element of a
    /// batch).
    public init(jsonObject value: JSONValue) throws(ValidatorError) {
        var o: JSONObjectReader
        let receiptValue: JSONValue
        do {
            o = try JSONObjectReader(value, what: "receipt submission")
            receiptValue = try o.value("receipt")
        } catch {
            throw .malformedBody("receipt submission: \(error)")
        }
        do {
            signed = try SignedReceipt(jsonObject: receiptValue)
        } catch {
            throw .malformedBody("receipt: \(error)")
        }
        guard let output = try base64Member(&o, "output", required: true) else {
            throw .malformedBody("missing field \"output\"")
        }
        self.output = output
        input = try base64Member(&o, "input", required: false)
        proof = try base64Member(&o, "proof", required: false)
        do { try o.finish() } catch { throw .malformedBody("receipt submission: \(error)") }
    }

    /// The `proofRef` a receipt must carry for `proof`: SHA-256 of the proof bytes
    /// (specs/service.md §3.2 rule 6).
    public static func proofReference(for proof: some DataProtocol) -> Digest32 { Digest32.sha256(proof) }

    /// The request body for this submission.
    public func json() -> Data {
        var parts = [
            "{\"receipt\":", String(decoding: signed.json(), as: UTF8.self),
            ",\"output\":\"", output.base64EncodedString(), "\"",
        ]
        if let input { parts += [",\"input\":\"", input.base64EncodedString(), "\""] }
        if let proof { parts += [",\"proof\":\"", proof.base64EncodedString(), "\""] }
        parts.append("}")
        return Data(parts.joined().utf8)
    }
}

/// The body of `POST /v1/receipts/batch` (specs/service.md §3.2.1): `{"receipts": [submission, …]}`
/// with 1 … `maxItems` elements, each the body of `POST /v1/receipts`. An element that does not
/// parse is that element's error; the others stand.
public struct ReceiptBatch: Sendable {
    /// Most submissions in one batch.
    public static let maxItems = 1024

    public var items: [Result<ReceiptSubmission, ValidatorError>]

    public init(items: [Result<ReceiptSubmission, ValidatorError>]) { self.items = items }

    /// - Throws: `ValidatorError.malformedBody` when the body is not a JSON object with a
    ///   `receipts` array of 1 … `maxItems` elements (and no other member).
    public init(json body: Data) throws(ValidatorError) {
        let elements: [JSONValue]
        do {
            var o = try JSONObjectReader(try parseObject(body, what: "receipt batch"), what: "receipt batch")
            guard case .array(let list) = try o.value("receipts") else {
                throw ValidatorError.malformedBody("receipt batch: \"receipts\" must be an array")
            }
            try o.finish()
            elements = list
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .malformedBody("receipt batch: \(error)")
        }
        guard (1...Self.maxItems).contains(elements.count) else {
            throw .malformedBody(
                "receipt batch: \(elements.count) receipts; a batch holds 1 to \(Self.maxItems)")
        }
        items = elements.map { element in
            Result { () throws(ValidatorError) -> ReceiptSubmission in
                try ReceiptSubmission(jsonObject: element)
            }
        }
    }

    /// The request body for these submissions (the failed ones are left out).
    public func json() -> Data {
        var out = Data("{\"receipts\":[".utf8)
        var first = true
        for case .success(let item) in items {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(item.json())
            first = false
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }
}
