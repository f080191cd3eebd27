import Foundation
import Testing

@testable import Models

@Suite("canonical JSON")
struct CanonicalJSONTests {
    @Test("encoding: sorted keys by UTF-8 bytes, minimal escapes, no whitespace")
    func encoding() throws {
        let value: CanonicalJSON = .object([
            "b": .int(-5), "a": .array([.null, .bool(true), .bool(false)]), "é": .string("q\"\\\n\u{1}é"),
            "Z": .object([:]),
        ])
        let text = String(decoding: value.encoded(), as: UTF8.self)
        #expect(text == #"{"Z":{},"a":[null,true,false],"b":-5,"é":"q\"\\\u000a\u0001é"}"#)
        #expect(try CanonicalJSON(canonical: value.encoded()) == value)
        #expect(CanonicalJSON.float64(1e-5) == .string("3ee4f8b588e368f1"))
        #expect(CanonicalJSON.float64(100_000) == .string("40f86a0000000000"))
    }

    @Test(
        "non-canonical inputs are rejected",
        arguments: [
            #"{"b":1,"a":2}"#, #"{"a":1,"a":2}"#, #"{ "a":1}"#, #"[1,2] "#, #"1.5"#, #"1e3"#, #"-0"#, #"01"#,
            #""\u000A""#, #""\n""#, #""\/""#, #""\u0041""#, "\"\u{1}\"", #"{"a":1"#, #"[1,"#, "", #"tru"#,
            #"99999999999999999999"#,
        ])
    func rejects(_ text: String) {
        #expect(throws: ModelError.self) { try CanonicalJSON(canonical: Data(text.utf8)) }
    }
}
