import Foundation
import Receipts
import TestSupport

@testable import Ledger

/// Loads JSON fixtures from Fixtures/ledger/.
enum LedgerFixtures {
    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: RepoPaths.fixture("ledger/" + relative))
    }

    static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(relative))
    }

    /// The RFC 6962 vectors (transparency-dev/merkle testonly constants).
    struct RFC6962: Decodable {
        struct Inclusion: Decodable {
            var leafIndex: UInt64
            var treeSize: UInt64
            var proof: [String]
        }
        struct Consistency: Decodable {
            var oldSize: UInt64
            var newSize: UInt64
            var proof: [String]
        }
        var emptyTreeRoot: String
        var leavesHex: [String]
        var rootsBySize: [String: String]
        var inclusion: [Inclusion]
        var consistency: [Consistency]

        var leaves: [Data] { leavesHex.map { Hex.decode($0)! } }
        func root(_ size: Int) throws -> MerkleHash { try MerkleHash(hex: rootsBySize[String(size)]!) }
    }

    static func rfc6962() throws -> RFC6962 {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RFC6962.self, from: data("rfc6962.json"))
    }

    /// One probe of Fixtures/ledger/probes/<kind>/MANIFEST.json.
    struct Probe: Decodable, CustomStringConvertible {
        var file: String
        var desc: String
        var want: String
        var description: String { file }
    }

    static func probes(_ kind: String) throws -> [Probe] {
        try JSONDecoder().decode([Probe].self, from: data("probes/\(kind)/MANIFEST.json"))
    }
}

/// Paths of spec files (specs/<name>).
enum RepoPathsShim {
    static func spec(_ name: String) -> URL {
        RepoPaths.root().appendingPathComponent("specs").appendingPathComponent(name)
    }
}
