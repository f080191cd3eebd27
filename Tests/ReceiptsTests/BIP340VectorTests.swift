import Foundation
import Receipts
import TestSupport
import Testing

/// One row of a BIP-340 test-vector CSV file.
struct BIP340Vector: CustomTestStringConvertible, Sendable {
    var index: Int
    var secretKey: Data?
    var publicKey: Data
    var auxRand: Data?
    var message: Data
    var signature: Data
    var expected: Bool
    var comment: String

    var testDescription: String { "vector \(index) \(comment)" }

    static func load(_ name: String) throws -> [BIP340Vector] {
        let text = try String(contentsOf: RepoPaths.fixture("receipts/\(name)"), encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",", maxSplits: 7, omittingEmptySubsequences: false).map(
                String.init)
            func hex(_ s: String) throws -> Data { try #require(Hex.decode(s.lowercased())) }
            return BIP340Vector(
                index: Int(f[0])!, secretKey: f[1].isEmpty ? nil : try hex(f[1]), publicKey: try hex(f[2]),
                auxRand: f[3].isEmpty ? nil : try hex(f[3]), message: try hex(f[4]), signature: try hex(f[5]),
                expected: f[6] == "TRUE", comment: f.count > 7 ? f[7] : "")
        }
    }
}

/// BIP-340 verification through our API, with a malformed public key counting as "does not verify".
private func verifies(_ v: BIP340Vector) throws -> Bool {
    guard let key = try? XOnlyPublicKey(rawRepresentation: v.publicKey) else { return false }
    return key.isValidSignature(try SchnorrSignature(rawRepresentation: v.signature), for: v.message)
}

@Suite("BIP-340 test vectors (bitcoin/bips bip-0340/test-vectors.csv)")
struct BIP340VectorTests {
    static let vectors = (try? BIP340Vector.load("bip340-test-vectors.csv")) ?? []

    @Test func allRowsLoaded() {
        #expect(Self.vectors.count == 19)
        #expect(Self.vectors.filter { !$0.expected }.count == 10)
    }

    @Test("verification gives the listed result", arguments: vectors)
    func verification(_ v: BIP340Vector) throws {
        #expect(try verifies(v) == v.expected)
    }

    @Test(
        "signing reproduces the listed signature and public key",
        arguments: vectors.filter { $0.secretKey != nil })
    func signing(_ v: BIP340Vector) throws {
        let key = try SchnorrSigningKey(rawRepresentation: try #require(v.secretKey))
        #expect(key.publicKey.rawRepresentation == v.publicKey)
        let sig = try key.signature(for: v.message, auxiliaryRandom32: v.auxRand)
        #expect(sig.rawRepresentation == v.signature)
    }

    /// The file in ../shared/vectors is the 2019 draft of BIP-340 (`has_square_y`, before the switch to
    /// even y and the new nonce derivation). The final BIP-340 that libsecp256k1 implements must not
    /// accept the draft's signatures: this pins that we implement the final scheme.
    @Test func draftVectorsAreNotFinalBIP340() throws {
        let draft = try BIP340Vector.load("bip340-draft-square-y-vectors.csv")
        #expect(draft.count == 15)
        for v in draft where v.expected {
            #expect(try !verifies(v), "draft vector \(v.index) verified under final BIP-340")
        }
        for v in draft where v.secretKey != nil {
            let key = try SchnorrSigningKey(rawRepresentation: v.secretKey!)
            #expect(
                key.publicKey.rawRepresentation == v.publicKey, "key derivation is unchanged by the revision")
        }
    }

    @Test func invalidSecretKeysAreRefused() {
        #expect(throws: ReceiptError.invalidSecretKey) {
            try SchnorrSigningKey(rawRepresentation: Data(count: 32))
        }
        let order = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
        #expect(throws: ReceiptError.invalidSecretKey) { try SchnorrSigningKey(rawRepresentation: order) }
        #expect(throws: ReceiptError.wrongLength("secret key", got: 31, want: 32)) {
            try SchnorrSigningKey(rawRepresentation: Data(count: 31))
        }
    }

    @Test func taggedHashMatchesDefinition() {
        // Expected values from Python hashlib: sha256(sha256(tag) + sha256(tag) + msg).
        #expect(
            TaggedHash.hash(tag: "BIP0340/challenge", Data()).hex
                == "c216d352f5818b7b4beacd4ae0a26fe888080823d2a598856661bcd54f1b3713")
        #expect(
            TaggedHash.hash(tag: "mesh/receipt/v1", Data(0..<100)).hex
                == "174d542089a0f97a1d6cac8d2fb850d3aaa3ffdeed567cd0588c4c3135daacfc")
    }
}
