import Foundation
import Receipts
import Testing

/// A malformed-input case: a mutation of a valid signed receipt's JSON text and the error it must raise.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var desc: String
    var mutate: @Sendable (String) -> String
    var want: ReceiptError
    var testDescription: String { desc }
}

private func replacing(_ a: String, _ b: String) -> @Sendable (String) -> String {
    { $0.replacingOccurrences(of: a, with: b) }
}

@Suite("Receipts: malformed input is refused with a message naming the problem")
struct MalformedReceiptTests {
    static func valid() throws -> (SignedReceipt, String) {
        let key = try exampleKey()
        let signed = try SignedReceipt.sign(try sampleReceipt(key: key), with: key)
        return (signed, String(decoding: signed.json(), as: UTF8.self))
    }

    static let cases: [MalformedCase] = [
        .init(
            desc: "not JSON", mutate: { _ in "receipt" },
            want: .malformedJSON("unexpected character at offset 0")),
        .init(
            desc: "truncated", mutate: { String($0.dropLast(40)) },
            want: .malformedJSON("unterminated string at offset 666")),
        .init(
            desc: "trailing garbage", mutate: { $0 + "x" },
            want: .malformedJSON("unexpected bytes after the value at offset 706")),
        .init(
            desc: "array instead of object", mutate: { "[\($0)]" },
            want: .malformedJSON("the receipt must be a JSON object")),
        .init(
            desc: "missing signature",
            mutate: { s in
                s.replacingOccurrences(
                    of: #",\n  "signature": "[0-9a-f]+""#, with: "", options: .regularExpression)
            }, want: .missingField("signature")),
        .init(
            desc: "missing jobId", mutate: replacing(#""jobId""#, #""jobID""#), want: .missingField("jobId")),
        .init(
            desc: "extra field", mutate: replacing(#""version": 1,"#, #""version": 1, "tip": 5,"#),
            want: .unknownField("tip")),
        .init(
            desc: "duplicate key", mutate: replacing(#""version": 1,"#, #""version": 1, "version": 1,"#),
            want: .malformedJSON("duplicate key \"version\" at offset 27")),
        .init(
            desc: "unknown version", mutate: replacing(#""version": 1,"#, #""version": 2,"#),
            want: .unsupportedVersion(2)),
        .init(
            desc: "uppercase hex",
            mutate: replacing(String(repeating: "11", count: 32), String(repeating: "AA", count: 32)),
            want: .invalidField("jobId", reason: "not lowercase hex")),
        .init(
            desc: "short hex",
            mutate: replacing(String(repeating: "22", count: 32), String(repeating: "22", count: 31)),
            want: .wrongLength("modelId", got: 31, want: 32)),
        .init(
            desc: "odd hex",
            mutate: replacing(String(repeating: "33", count: 32), String(repeating: "33", count: 32) + "3"),
            want: .invalidField("inputCommitment", reason: "not lowercase hex")),
        .init(
            desc: "signature too short",
            mutate: { s in
                s.replacingOccurrences(
                    of: #""signature": "([0-9a-f]{126})[0-9a-f]{2}""#, with: #""signature": "$1""#,
                    options: .regularExpression)
            }, want: .wrongLength("signature", got: 63, want: 64)),
        .init(
            desc: "node not on curve",
            mutate: { s in
                s.replacingOccurrences(
                    of: #""node": "[0-9a-f]+""#,
                    with: #""node": "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34""#,
                    options: .regularExpression)
            }, want: .invalidPublicKey("node")),
        .init(
            desc: "leading zero", mutate: replacing(#""sequence": 42"#, #""sequence": 042"#),
            want: .malformedJSON("expected ',' or '}' at offset 535")),
        .init(
            desc: "fraction", mutate: replacing(#""sequence": 42"#, #""sequence": 42.0"#),
            want: .invalidField(
                "sequence", reason: "must be a non-negative integer without fraction or exponent, got 42.0")),
        .init(
            desc: "exponent", mutate: replacing(#""sequence": 42"#, #""sequence": 4.2e1"#),
            want: .invalidField(
                "sequence", reason: "must be a non-negative integer without fraction or exponent, got 4.2e1")),
        .init(
            desc: "negative", mutate: replacing(#""sequence": 42"#, #""sequence": -42"#),
            want: .invalidField(
                "sequence", reason: "must be a non-negative integer without fraction or exponent, got -42")),
        .init(
            desc: "above 2^53-1", mutate: replacing(#""sequence": 42"#, #""sequence": 9007199254740992"#),
            want: .invalidField(
                "sequence", reason: "9007199254740992 is out of range (maximum 9007199254740991)")),
        .init(
            desc: "far above u64",
            mutate: replacing(#""sequence": 42"#, #""sequence": 184467440737095516160"#),
            want: .invalidField(
                "sequence", reason: "184467440737095516160 is out of range (maximum 9007199254740991)")),
        .init(
            desc: "number as string", mutate: replacing(#""sequence": 42"#, #""sequence": "42""#),
            want: .invalidField("sequence", reason: "must be a JSON number")),
        .init(
            desc: "empty layer range", mutate: replacing("[3, 9]", "[9, 9]"),
            want: .invalidField("layers", reason: "start 9 must be below end 9")),
        .init(
            desc: "layer beyond u32", mutate: replacing("[3, 9]", "[3, 4294967296]"),
            want: .invalidField("layers[1]", reason: "4294967296 is out of range (maximum 4294967295)")),
        .init(
            desc: "three layer bounds", mutate: replacing("[3, 9]", "[3, 9, 10]"),
            want: .invalidField("layers", reason: "must be an array of two integers [start, end)")),
        .init(
            desc: "finish before start", mutate: replacing("1795000000123", "1794999999999"),
            want: .invalidField("finishedAtMs", reason: "1794999999999 is before startedAtMs 1795000000000")),
        .init(
            desc: "proofRef wrong type", mutate: replacing(#""proofRef": null"#, #""proofRef": 5"#),
            want: .invalidField("proofRef", reason: "must be 64 hex characters or null")),
        .init(
            desc: "deep nesting", mutate: { _ in String(repeating: "[", count: 100) },
            want: .malformedJSON("nesting deeper than 32 at offset 33")),
        .init(
            desc: "lone surrogate", mutate: replacing(#""version": 1,"#, #""x\ud800": 1, "version": 1,"#),
            want: .malformedJSON("lone high surrogate at offset 12")),
    ]

    @Test(arguments: cases)
    func refused(_ c: MalformedCase) throws {
        let (_, text) = try Self.valid()
        let mutated = c.mutate(text)
        #expect(mutated != text, "the mutation must change the document")
        #expect(throws: c.want) { try SignedReceipt(json: Data(mutated.utf8)) }
    }

    @Test func hugeInputIsRefusedBeforeParsing() {
        let huge = Data(repeating: 0x20, count: Receipt.maxJSONSize + 1)
        #expect(throws: ReceiptError.tooLarge(size: Receipt.maxJSONSize + 1, limit: Receipt.maxJSONSize)) {
            try SignedReceipt(json: huge)
        }
    }

    @Test func canonicalBytesRefuseTruncationAndTrailingBytes() throws {
        let (signed, _) = try Self.valid()
        let bytes = signed.receipt.canonicalBytes
        #expect(throws: ReceiptError.truncated(field: "proofRef", offset: 194)) {
            try Receipt(canonicalBytes: bytes.dropLast())
        }
        #expect(throws: ReceiptError.trailingBytes(count: 1)) { try Receipt(canonicalBytes: bytes + [0]) }
        var badTag = bytes
        badTag[badTag.count - 1] = 2
        #expect(throws: ReceiptError.invalidField("proofRef", reason: "option tag 2 is neither 0 nor 1")) {
            try Receipt(canonicalBytes: badTag)
        }
    }

    @Test func errorMessagesNameTheField() {
        #expect(ReceiptError.wrongLength("modelId", got: 31, want: 32).description.contains("modelId"))
        #expect(ReceiptError.unknownField("tip").description == "unknown field \"tip\"")
    }
}
