import Foundation
import Receipts

/// Helpers shared by the karma JSON forms: 64-bit integers travel as decimal strings (JSON numbers are
/// only exact to 2^53 − 1 in most implementations), small integers as numbers.
enum KarmaJSON {
    static func u64(_ v: UInt64) -> JSONValue { .string(String(v)) }
    static func number(_ v: some BinaryInteger) -> JSONValue { .number(String(v)) }
    static func hex(_ d: Digest32) -> JSONValue { .string(d.hex) }
    static func hex(_ k: XOnlyPublicKey) -> JSONValue { .string(k.hex) }

    /// Parses a JSON document strictly (duplicate keys refused), mapping errors to ``KarmaError``.
    static func parse(_ data: some DataProtocol) throws(KarmaError) -> JSONValue {
        do { return try StrictJSON.parse(data) } catch { throw KarmaError(error) }
    }
}

/// A ``JSONObjectReader`` that throws ``KarmaError`` and reads the karma field forms.
struct KarmaObjectReader {
    private var inner: JSONObjectReader
    let what: String

    init(_ value: JSONValue, what: String) throws(KarmaError) {
        do { inner = try JSONObjectReader(value, what: what) } catch { throw KarmaError(error) }
        self.what = what
    }

    func has(_ key: String) -> Bool { inner.has(key) }

    mutating func value(_ key: String) throws(KarmaError) -> JSONValue {
        do { return try inner.value(key) } catch { throw .malformed("\(what): \(error)") }
    }

    mutating func optionalValue(_ key: String) -> JSONValue? {
        let v = inner.optionalValue(key)
        if case .null = v { return nil }
        return v
    }

    mutating func string(_ key: String) throws(KarmaError) -> String {
        do { return try inner.string(key) } catch { throw .malformed("\(what): \(error)") }
    }

    /// A JSON number no larger than `max` (small integers: versions, indices, basis points).
    mutating func number(_ key: String, max: UInt64 = JSONObjectReader.maxSafeInteger) throws(KarmaError)
        -> UInt64
    {
        do { return try inner.integer(key, max: max) } catch { throw .malformed("\(what): \(error)") }
    }

    /// A 64-bit integer written as a canonical decimal string.
    mutating func u64(_ key: String) throws(KarmaError) -> UInt64 {
        try Self.u64(try value(key), field: "\(what).\(key)")
    }

    static func u64(_ value: JSONValue, field: String) throws(KarmaError) -> UInt64 {
        guard case .string(let text) = value else {
            throw .malformed("\(field): must be a decimal string (64-bit integers are strings)")
        }
        do {
            return try JSONObjectReader.canonicalInteger(text, field: field, max: .max)
        } catch { throw KarmaError(error) }
    }

    mutating func digest(_ key: String) throws(KarmaError) -> Digest32 {
        let text = try string(key)
        do { return try Digest32(hex: text, field: "\(what).\(key)") } catch { throw KarmaError(error) }
    }

    mutating func publicKey(_ key: String) throws(KarmaError) -> XOnlyPublicKey {
        let text = try string(key)
        do { return try XOnlyPublicKey(hex: text, field: "\(what).\(key)") } catch { throw KarmaError(error) }
    }

    mutating func signature(_ key: String) throws(KarmaError) -> SchnorrSignature {
        let text = try string(key)
        do { return try SchnorrSignature(hex: text, field: "\(what).\(key)") } catch {
            throw KarmaError(error)
        }
    }

    mutating func array(_ key: String) throws(KarmaError) -> [JSONValue] {
        guard case .array(let items) = try value(key) else {
            throw .malformed("\(what).\(key): must be an array")
        }
        return items
    }

    mutating func object(_ key: String) throws(KarmaError) -> [String: JSONValue] {
        guard case .object(let m) = try value(key) else {
            throw .malformed("\(what).\(key): must be an object")
        }
        return m
    }

    func finish() throws(KarmaError) {
        do { try inner.finish() } catch { throw .malformed("\(what): \(error)") }
    }
}
