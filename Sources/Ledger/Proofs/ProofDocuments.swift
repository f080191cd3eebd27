import Foundation
import Receipts

/// The auditor's inclusion proof JSON (specs/ledger.md §4.3):
/// `{"leafIdx": I, "treeSize": N, "leafHash": b64, "root": b64, "proof": [b64, ...]}`.
///
/// Hashes are standard padded base64 of exactly 32 bytes; integers are JSON integers (no fraction
/// or exponent); an empty proof may be written `[]` or `null` (as Go encodes an empty slice).
/// Unknown keys are ignored.
public struct InclusionProofDocument: Encodable, Equatable, Sendable {
    public var proof: InclusionProof
    public var leafHash: MerkleHash
    public var root: MerkleHash

    public init(proof: InclusionProof, leafHash: MerkleHash, root: MerkleHash) {
        self.proof = proof
        self.leafHash = leafHash
        self.root = root
    }

    enum CodingKeys: String, CodingKey {
        case leafIdx, treeSize, leafHash, root, proof
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(proof.leafIndex, forKey: .leafIdx)
        try c.encode(proof.treeSize, forKey: .treeSize)
        try c.encode(leafHash.base64, forKey: .leafHash)
        try c.encode(root.base64, forKey: .root)
        try c.encode(proof.hashes.map(\.base64), forKey: .proof)
    }

    /// Parses the JSON document.
    ///
    /// - Throws: `LedgerError.malformedJSON` for invalid JSON (including bytes before or after
    ///   the object), missing keys, wrong types, or a hash that is not base64 of 32 bytes.
    public init(json: Data) throws(LedgerError) {
        var reader = try ProofJSONReader(json)
        proof = InclusionProof(
            leafIndex: try reader.integer("leafIdx"), treeSize: try reader.integer("treeSize"),
            hashes: try reader.hashes("proof"))
        leafHash = try reader.hash("leafHash")
        root = try reader.hash("root")
    }

    /// Compact JSON with sorted keys.
    public func json() -> Data { encodeProofJSON(self) }

    /// Checks the proof offline (RFC 9162 §2.1.3.2).
    public func verify() -> ProofVerdict {
        ProofVerifier.verify(proof, leafHash: leafHash, root: root)
    }
}

/// The auditor's consistency proof JSON (specs/ledger.md §4.3):
/// `{"size1": M, "size2": N, "root1": b64, "root2": b64, "proof": [b64, ...]}`.
public struct ConsistencyProofDocument: Encodable, Equatable, Sendable {
    public var proof: ConsistencyProof
    public var root1: MerkleHash
    public var root2: MerkleHash

    public init(proof: ConsistencyProof, root1: MerkleHash, root2: MerkleHash) {
        self.proof = proof
        self.root1 = root1
        self.root2 = root2
    }

    enum CodingKeys: String, CodingKey {
        case size1, size2, root1, root2, proof
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(proof.size1, forKey: .size1)
        try c.encode(proof.size2, forKey: .size2)
        try c.encode(root1.base64, forKey: .root1)
        try c.encode(root2.base64, forKey: .root2)
        try c.encode(proof.hashes.map(\.base64), forKey: .proof)
    }

    /// Parses the JSON document.
    ///
    /// - Throws: `LedgerError.malformedJSON` as for `InclusionProofDocument.init(json:)`.
    public init(json: Data) throws(LedgerError) {
        var reader = try ProofJSONReader(json)
        proof = ConsistencyProof(
            size1: try reader.integer("size1"), size2: try reader.integer("size2"),
            hashes: try reader.hashes("proof"))
        root1 = try reader.hash("root1")
        root2 = try reader.hash("root2")
    }

    /// Compact JSON with sorted keys.
    public func json() -> Data { encodeProofJSON(self) }

    /// Checks the proof offline (RFC 9162 §2.1.4.2).
    public func verify() -> ProofVerdict {
        ProofVerifier.verify(proof, root1: root1, root2: root2)
    }
}

/// Reads the members of a proof document from strict JSON (RFC 8259; one top-level object).
struct ProofJSONReader {
    private var reader: JSONObjectReader

    init(_ data: Data) throws(LedgerError) {
        do { reader = try JSONObjectReader(try StrictJSON.parse(data), what: "proof document") } catch {
            throw .malformedJSON(error.description)
        }
    }

    /// A JSON integer 0 … 2^64 − 1 written as plain digits: no sign, fraction, exponent or
    /// leading zero (`998.0` and `9.98e2` are refused).
    mutating func integer(_ key: String) throws(LedgerError) -> UInt64 {
        do { return try reader.integer(key, max: UInt64.max) } catch {
            throw .malformedJSON(error.description)
        }
    }

    /// Standard padded base64 of 32 bytes.
    mutating func hash(_ key: String) throws(LedgerError) -> MerkleHash {
        let text: String
        do { text = try reader.string(key) } catch { throw .malformedJSON(error.description) }
        return try hash(text, key)
    }

    /// An array of hashes; `null` is the empty array.
    mutating func hashes(_ key: String) throws(LedgerError) -> [MerkleHash] {
        let value: JSONValue
        do { value = try reader.value(key) } catch { throw .malformedJSON(error.description) }
        switch value {
        case .null: return []
        case .array(let items):
            var hashes: [MerkleHash] = []
            for (i, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    throw .malformedJSON("\(key)[\(i)] must be a base64 string")
                }
                hashes.append(try hash(text, "\(key)[\(i)]"))
            }
            return hashes
        default: throw .malformedJSON("\(key) must be an array of base64 hashes (or null for none)")
        }
    }

    private func hash(_ text: String, _ field: String) throws(LedgerError) -> MerkleHash {
        do { return try MerkleHash(base64: text) } catch { throw .malformedJSON("\(field): \(error)") }
    }
}

func encodeProofJSON(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data()
}
