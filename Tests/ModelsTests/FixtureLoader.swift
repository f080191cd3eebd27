import Foundation
import TestSupport

/// Loads files from `Fixtures/models/`.
enum ModelFixtures {
    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: RepoPaths.fixture("models/\(name)"))
    }

    static func json(_ name: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: try data(name))
        guard let dict = object as? [String: Any] else { throw FixtureError.notAnObject(name) }
        return dict
    }

    enum FixtureError: Error { case notAnObject(String) }
}

extension Array where Element == Float {
    /// The IEEE bit patterns, for exact comparisons that also distinguish -0 and NaN payloads.
    var bitPatterns: [UInt32] { map(\.bitPattern) }
}

/// Little-endian byte builders for hand-made malformed inputs.
struct LEBytes {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }
    var data: Data { Data(bytes) }
}
