import Foundation

/// A JSON value as parsed by ``StrictJSON``: numbers keep their exact source text.
public enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// A number's exact text as written (checked against the RFC 8259 grammar).
    case number(String)
    case bool(Bool)
    case null
}

/// An RFC 8259 JSON parser for wire objects, stricter than Foundation's where ambiguity could hide:
/// duplicate keys, nesting deeper than `maxDepth`, lone surrogates and bytes after the value are
/// errors, and numbers keep their text so integer fields can insist on the canonical form.
public enum StrictJSON {
    /// Parses one JSON value filling all of `data` (surrounding white space allowed).
    public static func parse(_ data: some DataProtocol, maxDepth: Int = 32) throws(ReceiptError) -> JSONValue
    {
        var p = Parser(bytes: [UInt8](data), maxDepth: maxDepth)
        p.skipSpace()
        let value = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else {
            throw .malformedJSON("unexpected bytes after the value at offset \(p.i)")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0a, 0x0d: i += 1
                default: return
                }
            }
        }

        func fail(_ what: String) -> ReceiptError { .malformedJSON("\(what) at offset \(i)") }

        mutating func value(depth: Int) throws(ReceiptError) -> JSONValue {
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
            guard i < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws(ReceiptError) {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
                throw fail("invalid literal")
            }
            i += w.count
        }

        mutating func object(depth: Int) throws(ReceiptError) -> JSONValue {
            i += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                guard members[key] == nil else { throw fail("duplicate key \"\(key)\"") }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(members)
                } else {
                    throw fail("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(ReceiptError) -> JSONValue {
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                } else {
                    throw fail("expected ',' or ']'")
                }
            }
        }

        mutating func number() throws(ReceiptError) -> String {
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid fraction") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid exponent") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

        mutating func string() throws(ReceiptError) -> String {
            i += 1
            // Fast path for a string without escapes (every string the wire formats write): one
            // UTF-8 validation of the whole run instead of per-byte appends.
            var end = i
            while end < bytes.count {
                let c = bytes[end]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                guard let s = String(validating: bytes[i..<end], as: UTF8.self) else {
                    throw .malformedJSON("invalid UTF-8 in string")
                }
                i = end + 1
                return s
            }
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws(ReceiptError) {
                guard !raw.isEmpty else { return }
                guard let s = String(validating: raw, as: UTF8.self) else {
                    throw .malformedJSON("invalid UTF-8 in string")
                }
                scalars.append(contentsOf: s.unicodeScalars)
                raw.removeAll()
            }
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    try flush()
                    return String(scalars)
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") {
                    raw.append(c)
                    i += 1
                    continue
                }
                try flush()
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try hex4()
                    if (0xD800..<0xDC00).contains(unit) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                            bytes[i + 1] == UInt8(ascii: "u")
                        else { throw fail("lone high surrogate") }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
                        let v = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        scalars.append(Unicode.Scalar(v)!)
                    } else {
                        guard let s = Unicode.Scalar(unit) else { throw fail("lone low surrogate") }
                        scalars.append(s)
                    }
                default: throw fail("invalid escape")
                }
            }
        }

        mutating func hex4() throws(ReceiptError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for c in bytes[i..<i + 4] {
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
            }
            i += 4
            return v
        }
    }
}

/// Reads the members of one JSON object for a wire type, tracking which keys were used so that
/// unknown keys can be refused.
public struct JSONObjectReader {
    private let members: [String: JSONValue]
    private var used: Set<String> = []

    /// The largest integer a JSON number field may hold: 2^53 − 1, exact in every JSON implementation.
    public static let maxSafeInteger: UInt64 = (1 << 53) - 1

    /// - Throws: ``ReceiptError/malformedJSON(_:)`` when `value` is not an object.
    public init(_ value: JSONValue, what: String = "document") throws(ReceiptError) {
        guard case .object(let m) = value else { throw .malformedJSON("the \(what) must be a JSON object") }
        members = m
    }

    /// Whether the key is present (null counts as present).
    public func has(_ key: String) -> Bool { members[key] != nil }

    /// The raw value of an optional member; nil when absent.
    public mutating func optionalValue(_ key: String) -> JSONValue? {
        used.insert(key)
        return members[key]
    }

    /// The raw value of a required member.
    public mutating func value(_ key: String) throws(ReceiptError) -> JSONValue {
        guard let v = optionalValue(key) else { throw .missingField(key) }
        return v
    }

    public mutating func string(_ key: String) throws(ReceiptError) -> String {
        guard case .string(let s) = try value(key) else {
            throw .invalidField(key, reason: "must be a string")
        }
        return s
    }

    /// A non-negative integer in canonical decimal form (no sign, leading zeros, fraction or exponent),
    /// at most `max` (default 2^53 − 1).
    public mutating func integer(_ key: String, max: UInt64 = maxSafeInteger) throws(ReceiptError) -> UInt64 {
        guard case .number(let text) = try value(key) else {
            throw .invalidField(key, reason: "must be a JSON number")
        }
        return try Self.canonicalInteger(text, field: key, max: max)
    }

    public mutating func bool(_ key: String) throws(ReceiptError) -> Bool {
        guard case .bool(let b) = try value(key) else {
            throw .invalidField(key, reason: "must be true or false")
        }
        return b
    }

    /// Refuses members that were never read.
    public func finish() throws(ReceiptError) {
        if let extra = members.keys.filter({ !used.contains($0) }).sorted().first {
            throw .unknownField(extra)
        }
    }

    /// Parses canonical non-negative decimal integer text.
    public static func canonicalInteger(_ text: String, field: String, max: UInt64) throws(ReceiptError)
        -> UInt64
    {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw .invalidField(
                field, reason: "must be a non-negative integer without fraction or exponent, got \(text)")
        }
        guard digits.count == 1 || digits[0] != UInt8(ascii: "0") else {
            throw .invalidField(field, reason: "leading zeros are not canonical: \(text)")
        }
        guard digits.count <= 20, let v = UInt64(text), v <= max else {
            throw .invalidField(field, reason: "\(text) is out of range (maximum \(max))")
        }
        return v
    }
}
