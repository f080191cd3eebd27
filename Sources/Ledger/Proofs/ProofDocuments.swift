import Foundation

/// The auditor's inclusion proof JSON (specs/ledger.md §4.3):
/// `{"leafIdx": I, "treeSize": N, "leafHash": b64, "root": b64, "proof": [b64, ...]}`.
///
/// Hashes are standard padded base64 of exactly 32 bytes. Unknown keys are ignored.
public struct InclusionProofDocument: Codable, Equatable, Sendable {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let hashes = try c.decode([String].self, forKey: .proof).map(MerkleHash.init(base64:))
        proof = InclusionProof(
            leafIndex: try c.decode(UInt64.self, forKey: .leafIdx),
            treeSize: try c.decode(UInt64.self, forKey: .treeSize),
            hashes: hashes)
        leafHash = try MerkleHash(base64: try c.decode(String.self, forKey: .leafHash))
        root = try MerkleHash(base64: try c.decode(String.self, forKey: .root))
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
        self = try decodeProofJSON(Self.self, from: json)
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
public struct ConsistencyProofDocument: Codable, Equatable, Sendable {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let hashes = try c.decode([String].self, forKey: .proof).map(MerkleHash.init(base64:))
        proof = ConsistencyProof(
            size1: try c.decode(UInt64.self, forKey: .size1),
            size2: try c.decode(UInt64.self, forKey: .size2),
            hashes: hashes)
        root1 = try MerkleHash(base64: try c.decode(String.self, forKey: .root1))
        root2 = try MerkleHash(base64: try c.decode(String.self, forKey: .root2))
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
        self = try decodeProofJSON(Self.self, from: json)
    }

    /// Compact JSON with sorted keys.
    public func json() -> Data { encodeProofJSON(self) }

    /// Checks the proof offline (RFC 9162 §2.1.4.2).
    public func verify() -> ProofVerdict {
        ProofVerifier.verify(proof, root1: root1, root2: root2)
    }
}

func decodeProofJSON<T: Decodable>(_ type: T.Type, from data: Data) throws(LedgerError) -> T {
    // Only an object may be the top-level value; whitespace around it is allowed, nothing else.
    let trimmed = data.drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
    guard trimmed.first == UInt8(ascii: "{") else { throw .malformedJSON("expected a JSON object") }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as LedgerError {
        throw .malformedJSON(error.description)
    } catch DecodingError.keyNotFound(let key, _) {
        throw .malformedJSON("missing key \(key.stringValue.debugDescription)")
    } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw .malformedJSON("wrong type at \(path.isEmpty ? "top level" : path.debugDescription)")
    } catch DecodingError.dataCorrupted(let context) {
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw .malformedJSON(path.isEmpty ? "not valid JSON" : "bad value at \(path.debugDescription)")
    } catch {
        throw .malformedJSON("not valid JSON")
    }
}

func encodeProofJSON(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Data()
}
