import Foundation

/// One signature line of a signed note: `— <key name> base64(key ID || signature)`.
public struct NoteSignature: Equatable, Sendable {
    /// The key name (non-empty; no Unicode spaces, no `+`).
    public var keyName: String
    /// The 32-bit key ID (big-endian on the wire).
    public var keyID: UInt32
    /// The signature bytes after the key ID (64 bytes for Ed25519).
    public var signature: Data

    public init(keyName: String, keyID: UInt32, signature: Data) {
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    /// The signature line, including the final newline.
    public var line: String {
        var blob = Data()
        withUnsafeBytes(of: keyID.bigEndian) { blob.append(contentsOf: $0) }
        blob.append(signature)
        return "\u{2014} \(keyName) \(blob.base64EncodedString())\n"
    }
}

/// A c2sp.org/signed-note: UTF-8 text ending in a newline, a blank line, then one or more
/// signature lines. See specs/ledger.md §5.
///
/// Parsing checks the format only; call `verify(by:)` before trusting `text`.
public struct SignedNote: Equatable, Sendable {
    /// The most signatures accepted on one note (the spec requires at least 16).
    public static let maxSignatures = 100
    /// The largest note accepted, in bytes.
    public static let maxBytes = 1 << 20

    /// The signed text, including its final newline (not the separating blank line).
    public var text: String
    /// Signatures in the order they appear.
    public var signatures: [NoteSignature]

    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Parses a signed note.
    ///
    /// - Throws: `LedgerError.malformedNote` naming the first rule broken: size limit, control
    ///   characters, missing final newline or blank-line separator, a bad signature line, or
    ///   more than `maxSignatures` signatures.
    public init(parsing note: String) throws(LedgerError) {
        let bytes = Array(note.utf8)
        guard bytes.count <= Self.maxBytes else {
            throw .malformedNote("note is over \(Self.maxBytes) bytes")
        }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0A }) else {
            throw .malformedNote("note contains a control character other than newline")
        }
        guard bytes.last == 0x0A else { throw .malformedNote("note does not end in a newline") }
        // The text is separated from the signatures by the last blank line.
        guard let sep = note.range(of: "\n\n", options: .backwards) else {
            throw .malformedNote("no blank line before the signatures")
        }
        let text = String(note[note.startIndex...sep.lowerBound])
        let sigBlock = note[sep.upperBound...]
        guard !sigBlock.isEmpty else { throw .malformedNote("no signature lines") }
        var signatures: [NoteSignature] = []
        for line in sigBlock.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard signatures.count < Self.maxSignatures else {
                throw .malformedNote("more than \(Self.maxSignatures) signatures")
            }
            signatures.append(try Self.parseSignatureLine(Substring(line)))
        }
        self.text = text
        self.signatures = signatures
    }

    static func parseSignatureLine(_ line: Substring) throws(LedgerError) -> NoteSignature {
        guard line.hasPrefix("\u{2014} ") else {
            throw .malformedNote("signature line does not start with an em dash and a space")
        }
        let rest = line.dropFirst(2)
        let parts = rest.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .malformedNote("signature line is not '— <name> <base64>'") }
        let name = String(parts[0])
        guard isValidKeyName(name) else { throw .malformedNote("bad key name \(name.debugDescription)") }
        guard let blob = strictBase64Decode(String(parts[1])), blob.count > 4 else {
            throw .malformedNote("signature of \(name) is not base64 of a key ID and a signature")
        }
        let keyID = blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return NoteSignature(keyName: name, keyID: keyID, signature: Data(blob.dropFirst(4)))
    }

    /// The note in wire form: text, blank line, signature lines.
    public var formatted: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Checks the note against one trusted key, following c2sp.org/signed-note §Signatures:
    /// signatures by other keys (name or ID differ) are ignored; a signature by this key that
    /// fails to verify rejects the note.
    ///
    /// - Returns: `true` when at least one signature by `verifier` verifies and none fails.
    public func isVerified(by verifier: NoteVerifier) -> Bool {
        var seen = false
        for s in signatures where s.keyName == verifier.name && s.keyID == verifier.keyID {
            guard verifier.isValidSignature(s.signature, for: Data(text.utf8)) else { return false }
            seen = true
        }
        return seen
    }

    /// Returns `text` when `isVerified(by:)`.
    ///
    /// - Throws: `LedgerError.signatureNotVerified(keyName:)` otherwise.
    public func verifiedText(by verifier: NoteVerifier) throws(LedgerError) -> String {
        guard isVerified(by: verifier) else { throw .signatureNotVerified(keyName: verifier.name) }
        return text
    }
}

/// A key name is non-empty and holds no Unicode whitespace and no `+` (c2sp.org/signed-note).
func isValidKeyName(_ name: String) -> Bool {
    !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
}
