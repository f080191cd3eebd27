import Foundation
import Karma
import Ledger
import Receipts

/// A node's account proven against a signed checkpoint (specs/ledger.md §10.3): the account, its
/// leaf in the karma-state account tree, the inclusion proof, and the checkpoint note whose
/// `karma-state` line commits to that tree. Served by `GET /v1/nodes/{pubkey}/proof`, checked
/// offline by `mesh-validator audit verify-balance`.
public struct BalanceProofDocument: Equatable, Sendable {
    /// The document version.
    public static let version: UInt64 = 1
    /// The largest document accepted, in bytes (a proof has at most 64 hashes; a note at most 1 MiB).
    public static let maxBytes = 2 << 20

    /// The account, its leaf bytes, index, tree size and audit path.
    public var inclusion: AccountInclusion
    /// The signed checkpoint note (c2sp.org/signed-note), exactly as the log issued it.
    public var checkpointNote: String

    public init(inclusion: AccountInclusion, checkpointNote: String) {
        self.inclusion = inclusion
        self.checkpointNote = checkpointNote
    }

    // MARK: JSON

    /// The JSON form: `{"version": 1, "node", "account" (specs/karma.md §8.5), "leaf" (hex),
    /// "leafIndex", "treeSize" (JSON integers), "proof" (base64 hashes), "checkpoint" (note text)}`.
    public func jsonObject() -> JSONValue {
        .object([
            "version": .number(String(Self.version)),
            "node": .string(inclusion.node.hex),
            "account": inclusion.account.jsonObject(),
            "leaf": .string(Hex.encode(inclusion.leafBytes)),
            "leafIndex": .number(String(inclusion.leafIndex)),
            "treeSize": .number(String(inclusion.treeSize)),
            "proof": .array(inclusion.proof.map { .string($0.bytes.base64EncodedString()) }),
            "checkpoint": .string(checkpointNote),
        ])
    }

    /// The pretty JSON document with a trailing newline.
    public func json() -> Data { JSONOutput.data(jsonObject()) + Data("\n".utf8) }

    /// Parses a document.
    ///
    /// - Throws: `ValidatorError.malformedBody` naming the first problem: not one strict JSON
    ///   object, a missing, unknown or mistyped field, a version other than 1, an account object
    ///   that is not §8.5, hex or base64 that does not decode (hashes must be 32 bytes), more than
    ///   64 proof hashes, or a checkpoint that is not a signed note with a tlog-checkpoint body.
    public init(json: some DataProtocol) throws(ValidatorError) {
        guard json.count <= Self.maxBytes else {
            throw .malformedBody("document is over \(Self.maxBytes) bytes")
        }
        do {
            var r = try JSONObjectReader(try StrictJSON.parse(json), what: "balance proof")
            let version = try r.integer("version")
            guard version == Self.version else {
                throw ValidatorError.malformedBody("version \(version) is not \(Self.version)")
            }
            let node = try XOnlyPublicKey(hex: try r.string("node"), field: "node")
            let account = try Account(jsonObject: try r.value("account"))
            guard let leaf = Hex.decode(try r.string("leaf")) else {
                throw ValidatorError.malformedBody("leaf: not lowercase hex")
            }
            let leafIndex = try r.integer("leafIndex", max: UInt64.max)
            let treeSize = try r.integer("treeSize", max: UInt64.max)
            guard case .array(let items) = try r.value("proof") else {
                throw ValidatorError.malformedBody("proof: must be an array of base64 hashes")
            }
            guard items.count <= 64 else { throw ValidatorError.malformedBody("proof: more than 64 hashes") }
            var proof: [Digest32] = []
            for item in items {
                guard case .string(let text) = item, let bytes = Data(base64Encoded: text),
                    bytes.base64EncodedString() == text, bytes.count == 32
                else { throw ValidatorError.malformedBody("proof: every hash must be base64 of 32 bytes") }
                proof.append(try Digest32(bytes: bytes, field: "proof"))
            }
            let note = try r.string("checkpoint")
            try r.finish()
            // The note must parse as a signed checkpoint; its signature is checked by `verify`.
            _ = try Checkpoint(parsing: try SignedNote(parsing: note).text)
            self.init(
                inclusion: AccountInclusion(
                    node: node, account: account, leafBytes: leaf, leafIndex: leafIndex, treeSize: treeSize,
                    proof: proof),
                checkpointNote: note)
        } catch let e as ValidatorError {
            throw e
        } catch {
            throw .malformedBody("\(error)")
        }
    }

    // MARK: Verification

    /// The outcome of ``verify(with:)``. Not an error.
    public enum Verdict: Equatable, Sendable {
        /// The account is in the state the checkpoint commits to.
        case valid(checkpoint: Checkpoint, commitment: KarmaStateCommitment)
        /// Why not.
        case invalid(String)
    }

    /// Checks the document against the log's verifier key, in the order of specs/ledger.md §10.4:
    /// the checkpoint's signature, its `karma-state` line, then the account's leaf bytes and
    /// inclusion proof against that line. O(log n) hashes.
    public func verify(with verifier: NoteVerifier) -> Verdict {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(note: checkpointNote, verifier: verifier, origin: verifier.name)
        } catch {
            return .invalid("checkpoint: \(error) (key \(verifier.verifierKey))")
        }
        let commitment: KarmaStateCommitment
        do {
            guard let found = try KarmaStateCommitment.find(in: checkpoint.extensions) else {
                return .invalid("checkpoint of size \(checkpoint.size) carries no karma-state line")
            }
            commitment = found
        } catch {
            return .invalid("checkpoint of size \(checkpoint.size): \(error)")
        }
        switch inclusion.verify(against: commitment) {
        case .valid: return .valid(checkpoint: checkpoint, commitment: commitment)
        case .invalid(let why): return .invalid(why)
        }
    }
}
