import Foundation

/// The canonical JSON used for package manifests and tokenizer sections
/// (specs/model-package.md §2).
///
/// Rules: no whitespace; object keys sorted by their UTF-8 bytes, no duplicates; integers in
/// shortest decimal form (`-0` never appears); no floating-point numbers (reals are stored as
/// 16 lowercase hex digits of their IEEE 754 binary64 bits, in a string); strings escape only
/// `"` as `\"`, `\` as `\\` and U+0000–U+001F as `\u00xx` (lowercase hex), everything else is
/// raw UTF-8. One value has exactly one encoding, so equal values hash equally.
public indirect enum CanonicalJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The canonical bytes.
    public func encoded() -> Data {
        var out: [UInt8] = []
        write(&out)
        return Data(out)
    }

    private func write(_ out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .string(let s): Self.writeString(s, &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(&out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, &out)
                out.append(UInt8(ascii: ":"))
                members[key]?.write(&out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, _ out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Parses canonical JSON, rejecting any input that is not exactly the canonical encoding
    /// of the value it denotes (whitespace, unsorted or duplicate keys, floats, other escapes).
    ///
    /// - Throws: `ModelError.badManifest` naming the byte offset of the first problem.
    public init(canonical data: Data) throws(ModelError) {
        var parser = Parser(bytes: Array(data))
        let value = try parser.value(depth: 0)
        guard parser.index == parser.bytes.count else {
            throw .badManifest("trailing bytes at offset \(parser.index)")
        }
        self = value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func fail(_ reason: String) -> ModelError { .badManifest("\(reason) at offset \(index)") }

        mutating func expect(_ literal: String) throws(ModelError) {
            let l = Array(literal.utf8)
            guard index + l.count <= bytes.count, Array(bytes[index..<(index + l.count)]) == l else {
                throw fail("expected \(literal)")
            }
            index += l.count
        }

        mutating func value(depth: Int) throws(ModelError) -> CanonicalJSON {
            guard depth < 32 else { throw fail("nesting deeper than 32") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [CanonicalJSON] = []
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(items)
                }
                while true {
                    items.append(try value(depth: depth + 1))
                    guard index < bytes.count else { throw fail("unterminated array") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("]")
                    return .array(items)
                }
            case UInt8(ascii: "{"):
                index += 1
                var members: [String: CanonicalJSON] = [:]
                var lastKey: [UInt8]? = nil
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    let key = try string()
                    let keyBytes = Array(key.utf8)
                    if let lastKey, !lastKey.lexicographicallyPrecedes(keyBytes) {
                        throw fail("key \"\(key)\" is out of order or duplicated")
                    }
                    lastKey = keyBytes
                    try expect(":")
                    members[key] = try value(depth: depth + 1)
                    guard index < bytes.count else { throw fail("unterminated object") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("}")
                    return .object(members)
                }
            default:
                return .int(try integer())
            }
        }

        mutating func integer() throws(ModelError) -> Int64 {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digitsStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                index += 1
            }
            let digits = bytes[digitsStart..<index]
            guard !digits.isEmpty else { throw fail("expected a value") }
            guard digits.count == 1 || digits.first != UInt8(ascii: "0") else { throw fail("leading zero") }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard text != "-0", let v = Int64(text) else {
                throw fail("integer \(text) is not canonical or too large")
            }
            if index < bytes.count,
                [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index])
            {
                throw fail("floating-point numbers are not allowed")
            }
            return v
        }

        mutating func string() throws(ModelError) -> String {
            try expect("\"")
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    index += 1
                    break
                }
                if b < 0x20 { throw fail("raw control byte in string") }
                if b == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[index + 1]
                    if e == UInt8(ascii: "\"") || e == UInt8(ascii: "\\") {
                        out.append(e)
                        index += 2
                        continue
                    }
                    guard e == UInt8(ascii: "u"), index + 6 <= bytes.count,
                        bytes[(index + 2)..<(index + 4)].elementsEqual("00".utf8),
                        let v = UInt8(
                            String(decoding: bytes[(index + 4)..<(index + 6)], as: UTF8.self), radix: 16),
                        v < 0x20,
                        bytes[(index + 4)..<(index + 6)].allSatisfy({
                            !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
                        })
                    else { throw fail("non-canonical escape") }
                    out.append(v)
                    index += 6
                    continue
                }
                out.append(b)
                index += 1
            }
            guard let s = String(validating: out, as: UTF8.self) else {
                throw fail("invalid UTF-8 in string")
            }
            return s
        }
    }

    // MARK: Typed access (throwing `badManifest` with the key path)

    public subscript(key: String) -> CanonicalJSON? {
        if case .object(let m) = self { return m[key] }
        return nil
    }

    func field(_ key: String, in path: String) throws(ModelError) -> CanonicalJSON {
        guard case .object(let m) = self else { throw .badManifest("\(path) is not an object") }
        guard let v = m[key] else { throw .badManifest("missing \(path).\(key)") }
        return v
    }

    func int(_ key: String, in path: String) throws(ModelError) -> Int {
        guard case .int(let v) = try field(key, in: path), let i = Int(exactly: v) else {
            throw .badManifest("\(path).\(key) is not an integer")
        }
        return i
    }

    func string(_ key: String, in path: String) throws(ModelError) -> String {
        guard case .string(let s) = try field(key, in: path) else {
            throw .badManifest("\(path).\(key) is not a string")
        }
        return s
    }

    func bool(_ key: String, in path: String) throws(ModelError) -> Bool {
        guard case .bool(let b) = try field(key, in: path) else {
            throw .badManifest("\(path).\(key) is not a boolean")
        }
        return b
    }

    func array(_ key: String, in path: String) throws(ModelError) -> [CanonicalJSON] {
        guard case .array(let a) = try field(key, in: path) else {
            throw .badManifest("\(path).\(key) is not an array")
        }
        return a
    }

    func stringArray(_ key: String, in path: String) throws(ModelError) -> [String] {
        var out: [String] = []
        for item in try array(key, in: path) {
            guard case .string(let s) = item else {
                throw .badManifest("\(path).\(key) has a non-string element")
            }
            out.append(s)
        }
        return out
    }

    func intArray(_ key: String, in path: String) throws(ModelError) -> [Int64] {
        var out: [Int64] = []
        for item in try array(key, in: path) {
            guard case .int(let v) = item else {
                throw .badManifest("\(path).\(key) has a non-integer element")
            }
            out.append(v)
        }
        return out
    }

    /// A binary64 stored as 16 lowercase hex digits of its bits.
    func float64(_ key: String, in path: String) throws(ModelError) -> Double {
        let s = try string(key, in: path)
        guard s.count == 16, s == s.lowercased(), let bits = UInt64(s, radix: 16) else {
            throw .badManifest("\(path).\(key) is not 16 lowercase hex digits")
        }
        return Double(bitPattern: bits)
    }

    /// The canonical string form of a binary64: 16 lowercase hex digits of its bits.
    static func float64(_ value: Double) -> CanonicalJSON {
        let hex = String(value.bitPattern, radix: 16)
        return .string(String(repeating: "0", count: 16 - hex.count) + hex)
    }
}

/// Lowercase hex of bytes.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes from exactly `2 · count` lowercase hex digits, or `nil`.
func bytesFromHex(_ s: String, count: Int) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count == 2 * count else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(count)
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
    var i = 0
    while i < u.count {
        guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
