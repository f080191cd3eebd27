/// Every error the Ledger module reports, with payloads a user can act on.
///
/// Proof verifiers do not throw these for wrong proofs: they return `ProofVerdict.invalid(_)`
/// carrying one of these cases as the reason. Functions throw only for malformed input or
/// storage failures.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Encodings
    /// A hash was not exactly 32 bytes.
    case wrongHashLength(got: Int)
    /// Not canonical standard base64 (RFC 4648 §4, padded).
    case badBase64(String)
    /// Not an even-length string of hex digits.
    case badHex(String)
    /// Proof JSON could not be parsed; the payload says where.
    case malformedJSON(String)

    // MARK: Proof requests and verification
    /// A leaf index at or beyond the tree size.
    case indexOutOfRange(index: UInt64, size: UInt64)
    /// A tree size larger than the log (or than the proof's tree).
    case sizeBeyondTree(requested: UInt64, size: UInt64)
    /// A consistency proof whose second size is smaller than its first.
    case sizeDecreased(old: UInt64, new: UInt64)
    /// The proof has the wrong number of hashes for its index and size.
    case wrongProofSize(got: Int, want: Int)
    /// The proof recomputes a different root.
    case rootMismatch(computed: MerkleHash, expected: MerkleHash)
    /// A consistency proof recomputes a different first (old) root.
    case oldRootMismatch(computed: MerkleHash, expected: MerkleHash)
    /// A consistency proof recomputes a different second (new) root.
    case newRootMismatch(computed: MerkleHash, expected: MerkleHash)

    // MARK: Appends and storage
    /// An entry longer than a C2SP entry bundle can carry (16-bit length prefix).
    case entryTooLarge(bytes: Int, max: Int)
    /// An SQLite / GRDB failure; the payload is the underlying message.
    case database(String)
    /// Another writer moved the shared tree (PostgreSQL) since this process last read it: the
    /// commit was refused whole. Two processes must not append to one log at once.
    case conflictingWriter(expectedSize: UInt64, storedSize: UInt64?)
    /// This process's lease on the log (PostgreSQL) was taken over: the store holds fencing token
    /// `token` but the log's lease is at `current`; nothing was written.
    case fenced(token: Int64, current: Int64?)
    /// A process of a cluster (PostgreSQL, several processes) tried to write without holding the
    /// log's lease; nothing was written.
    case noLease
    /// The database does not hold a ledger, or its schema version is unknown.
    case notALedger(String)
    /// The database opened belongs to another log.
    case originMismatch(stored: String, requested: String)
    /// Stored data disagree with each other; the payload names what and where.
    case corrupted(String)
    /// The entry at `index` does not hash to the stored leaf hash (tampered entry or tile).
    case corruptedEntry(index: UInt64)
    /// The operation needs a writable ledger opened with a signer.
    case noSigner
    /// The operation needs a writable ledger.
    case readOnly
    /// The log refuses to sign a checkpoint that is inconsistent with one it signed before.
    case inconsistentWithSignedCheckpoint(signedSize: UInt64, reason: String)

    // MARK: Notes, keys, checkpoints, tiles
    /// A signed note that breaks c2sp.org/signed-note.
    case malformedNote(String)
    /// A checkpoint body that breaks c2sp.org/tlog-checkpoint.
    case malformedCheckpoint(String)
    /// A verifier or signer key string that cannot be parsed.
    case malformedKey(String)
    /// No signature by the given key verifies on the note.
    case signatureNotVerified(keyName: String)
    /// A tile path that is not a canonical c2sp.org/tlog-tiles path.
    case badTilePath(String)
    /// A well-formed tile path for a tile this log does not (yet) have.
    case tileNotFound(String)

    public var description: String {
        switch self {
        case .wrongHashLength(let got): "hash is \(got) bytes; want 32"
        case .badBase64(let s): "not canonical standard base64: \(s.prefix(80).debugDescription)"
        case .badHex(let s): "not hex: \(s.prefix(80).debugDescription)"
        case .malformedJSON(let s): "malformed proof JSON: \(s)"
        case .indexOutOfRange(let index, let size): "leaf index \(index) is not below tree size \(size)"
        case .sizeBeyondTree(let requested, let size):
            "tree size \(requested) is beyond the tree size \(size)"
        case .sizeDecreased(let old, let new):
            "second tree size \(new) is smaller than first tree size \(old)"
        case .wrongProofSize(let got, let want): "proof has \(got) hashes; want \(want)"
        case .rootMismatch(let computed, let expected):
            "proof computes root \(computed.base64); expected \(expected.base64)"
        case .oldRootMismatch(let computed, let expected):
            "proof computes first root \(computed.base64); expected \(expected.base64)"
        case .newRootMismatch(let computed, let expected):
            "proof computes second root \(computed.base64); expected \(expected.base64)"
        case .entryTooLarge(let bytes, let max): "entry is \(bytes) bytes; the limit is \(max)"
        case .database(let s): "database error: \(s)"
        case .fenced(let token, let current):
            "this process's lease (fencing token \(token)) was taken over (the log's token is "
                + "\(current.map(String.init) ?? "none")): nothing was written; only the lease holder appends"
        case .noLease:
            "this process does not hold the log's lease: only the cluster's leader appends and signs checkpoints; nothing was written"
        case .conflictingWriter(let expected, let stored):
            "another writer appended to this log: the tree has \(stored.map(String.init) ?? "no") entries, "
                + "this process expected \(expected); nothing was written (reopen the ledger to continue)"
        case .notALedger(let s): "not a ledger database: \(s)"
        case .originMismatch(let stored, let requested):
            "database holds log \(stored.debugDescription), not \(requested.debugDescription)"
        case .corrupted(let s): "ledger is corrupted: \(s)"
        case .corruptedEntry(let index): "entry \(index) does not match its stored leaf hash"
        case .noSigner: "this ledger was opened without a signer key"
        case .readOnly: "this ledger was opened read-only"
        case .inconsistentWithSignedCheckpoint(let size, let reason):
            "refusing to sign: inconsistent with the signed checkpoint of size \(size): \(reason)"
        case .malformedNote(let s): "malformed signed note: \(s)"
        case .malformedCheckpoint(let s): "malformed checkpoint: \(s)"
        case .malformedKey(let s): "malformed key: \(s)"
        case .signatureNotVerified(let name): "no valid signature by key \(name.debugDescription)"
        case .badTilePath(let s): "not a tile path: \(s.prefix(120).debugDescription)"
        case .tileNotFound(let s): "no such tile: \(s)"
        }
    }
}

/// The outcome of checking a proof: valid, or invalid with the reason. Not an error.
public enum ProofVerdict: Equatable, Sendable {
    case valid
    case invalid(LedgerError)

    /// `true` for `.valid`.
    public var isValid: Bool { self == .valid }
}
