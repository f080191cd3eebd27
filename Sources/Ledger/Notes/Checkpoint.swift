/// A c2sp.org/tlog-checkpoint note body: origin, tree size, root hash, optional extension lines,
/// each ending in a newline. See specs/ledger.md §5.
public struct Checkpoint: Equatable, Sendable {
    /// The log's identity (for example `mesh.example/ledger`).
    public var origin: String
    /// Number of leaves.
    public var size: UInt64
    /// RFC 9162 root hash of the first `size` leaves.
    public var rootHash: MerkleHash
    /// Opaque, non-empty extension lines after the root hash, in order (the karma service writes
    /// one, `karma-state …`, specs/ledger.md §10.2).
    public var extensions: [String]

    public init(origin: String, size: UInt64, rootHash: MerkleHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` plus extension lines.
    public var body: String {
        ([origin, String(size), rootHash.base64] + extensions).map { $0 + "\n" }.joined()
    }

    /// Checks extension lines before they are signed: each is non-empty UTF-8 without control
    /// characters (so no newline), as c2sp.org/tlog-checkpoint and c2sp.org/signed-note require.
    ///
    /// - Throws: `LedgerError.malformedCheckpoint` naming the first offending line by position.
    public static func checkExtensions(_ lines: [String]) throws(LedgerError) {
        for (i, line) in lines.enumerated() {
            guard !line.isEmpty else { throw .malformedCheckpoint("extension line \(i + 1) is empty") }
            guard !line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw .malformedCheckpoint("extension line \(i + 1) holds a newline or control character")
            }
        }
    }

    /// Parses a checkpoint body (the text of a signed note, after verification).
    ///
    /// - Throws: `LedgerError.malformedCheckpoint` when the text holds an ASCII control
    ///   character other than newline (c2sp.org/signed-note forbids them in note text; a `\r`
    ///   would also hide a line break inside one line), there are fewer than three lines, a
    ///   line is empty, the text does not end in a newline, the size is not canonical decimal
    ///   (no sign, no leading zeros, at most 2^64 − 1), or the root is not base64 of 32 bytes.
    public init(parsing body: String) throws(LedgerError) {
        if let offset = body.utf8.firstIndex(where: { $0 < 0x20 && $0 != 0x0A }) {
            let byte = body.utf8[offset]
            throw .malformedCheckpoint(
                "control character 0x\(String(byte, radix: 16)) at byte \(body.utf8.distance(from: body.utf8.startIndex, to: offset))"
            )
        }
        guard body.hasSuffix("\n") else { throw .malformedCheckpoint("text does not end in a newline") }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else { throw .malformedCheckpoint("fewer than three lines") }
        guard !lines.contains(where: \.isEmpty) else { throw .malformedCheckpoint("empty line") }
        let sizeText = lines[1]
        guard sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            sizeText == "0" || !sizeText.hasPrefix("0"),
            let size = UInt64(sizeText)
        else {
            throw .malformedCheckpoint(
                "tree size \(sizeText.prefix(30).debugDescription) is not canonical decimal")
        }
        let root: MerkleHash
        do { root = try MerkleHash(base64: lines[2]) } catch {
            throw .malformedCheckpoint("root hash is not base64 of 32 bytes")
        }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: Array(lines.dropFirst(3)))
    }

    /// Verifies `note` with `verifier` and parses its text as a checkpoint of `origin`.
    ///
    /// - Throws: `.malformedNote`, `.signatureNotVerified`, `.malformedCheckpoint`, or
    ///   `.originMismatch` when the checkpoint's origin differs from `origin`.
    public static func open(note: String, verifier: NoteVerifier, origin: String? = nil) throws(LedgerError)
        -> Checkpoint
    {
        let parsed = try SignedNote(parsing: note)
        let checkpoint = try Checkpoint(parsing: try parsed.verifiedText(by: verifier))
        if let origin, checkpoint.origin != origin {
            throw .originMismatch(stored: checkpoint.origin, requested: origin)
        }
        return checkpoint
    }
}
