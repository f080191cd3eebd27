import Crypto
import Foundation

/// c2sp.org/signed-note signature type byte for Ed25519.
let ed25519SignatureType: UInt8 = 0x01

/// The key ID of an Ed25519 note key: the first four bytes, big-endian, of
/// `SHA-256(key name || 0x0A || 0x01 || 32-byte public key)`.
public func noteKeyID(name: String, ed25519PublicKey32 publicKey: Data) -> UInt32 {
    var h = SHA256()
    h.update(data: Data(name.utf8))
    h.update(data: [0x0A, ed25519SignatureType])
    h.update(data: publicKey)
    return h.finalize().prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
}

/// Formats a key ID as 8 lowercase hex digits.
func keyIDHex(_ id: UInt32) -> String {
    let s = String(id, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}

/// Parses exactly 8 hex digits.
func parseKeyIDHex(_ s: Substring) -> UInt32? {
    guard s.utf8.count == 8, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
    else { return nil }
    return UInt32(s, radix: 16)
}

/// An Ed25519 note verifier: a key name and public key, written as the verifier key text
/// `<name>+<8 hex digit key ID>+<base64(0x01 || 32-byte public key)>`.
public struct NoteVerifier: Sendable {
    /// The key name (for a log, its origin).
    public let name: String
    /// The key ID derived from name and key.
    public let keyID: UInt32
    /// The raw 32-byte Ed25519 public key.
    public let publicKey32: Data
    let key: Curve25519.Signing.PublicKey

    /// Builds a verifier from a name and a raw 32-byte Ed25519 public key.
    ///
    /// - Throws: `LedgerError.malformedKey` for a bad name or key length.
    public init(name: String, ed25519PublicKey32: Data) throws(LedgerError) {
        guard isValidKeyName(name) else { throw .malformedKey("bad key name \(name.debugDescription)") }
        guard ed25519PublicKey32.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: ed25519PublicKey32)
        else { throw .malformedKey("Ed25519 public key must be 32 bytes") }
        self.name = name
        self.key = key
        self.publicKey32 = Data(ed25519PublicKey32)
        self.keyID = noteKeyID(name: name, ed25519PublicKey32: self.publicKey32)
    }

    /// Parses verifier key text `<name>+<hex key ID>+<base64(0x01 || public key)>`.
    ///
    /// - Throws: `LedgerError.malformedKey` when a part is missing or malformed, the type byte is
    ///   not 0x01 (Ed25519), the key is not 32 bytes, or the key ID does not match.
    public init(verifierKey text: String) throws(LedgerError) {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedKey("verifier key is not <name>+<id>+<key>") }
        guard let id = parseKeyIDHex(parts[1]) else {
            throw .malformedKey("key ID is not 8 lowercase hex digits")
        }
        guard let blob = strictBase64Decode(String(parts[2])), blob.count == 33,
            blob.first == ed25519SignatureType
        else { throw .malformedKey("key is not base64 of 0x01 and a 32-byte Ed25519 public key") }
        try self.init(name: String(parts[0]), ed25519PublicKey32: Data(blob.dropFirst()))
        guard keyID == id else {
            throw .malformedKey("key ID \(parts[1]) does not match the key (want \(keyIDHex(keyID)))")
        }
    }

    /// The verifier key text.
    public var verifierKey: String {
        "\(name)+\(keyIDHex(keyID))+\((Data([ed25519SignatureType]) + publicKey32).base64EncodedString())"
    }

    /// Checks a 64-byte Ed25519 signature over `message` (RFC 8032).
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }
}

/// An Ed25519 note signer. Its key text is
/// `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte seed)>` (golang.org/x/mod/sumdb/note).
public struct NoteSigner: Sendable {
    /// The key name (for a log, its origin).
    public let name: String
    let key: Curve25519.Signing.PrivateKey
    /// The matching verifier.
    public let verifier: NoteVerifier

    /// Builds a signer from a name and a 32-byte RFC 8032 private key seed.
    ///
    /// - Throws: `LedgerError.malformedKey` for a bad name or seed length.
    public init(name: String, ed25519Seed32 seed: Data) throws(LedgerError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw .malformedKey("Ed25519 seed must be 32 bytes")
        }
        self.name = name
        self.key = key
        self.verifier = try NoteVerifier(name: name, ed25519PublicKey32: key.publicKey.rawRepresentation)
    }

    /// A fresh random key.
    public static func generate(name: String) throws(LedgerError) -> NoteSigner {
        try NoteSigner(name: name, ed25519Seed32: Curve25519.Signing.PrivateKey().rawRepresentation)
    }

    /// Parses signer key text `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`.
    ///
    /// - Throws: `LedgerError.malformedKey` when a part is missing or malformed or the key ID
    ///   does not match the key.
    public init(signerKey text: String) throws(LedgerError) {
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw .malformedKey("signer key is not PRIVATE+KEY+<name>+<id>+<key>")
        }
        guard let id = parseKeyIDHex(parts[3]) else {
            throw .malformedKey("key ID is not 8 lowercase hex digits")
        }
        guard let blob = strictBase64Decode(String(parts[4])), blob.count == 33,
            blob.first == ed25519SignatureType
        else { throw .malformedKey("key is not base64 of 0x01 and a 32-byte Ed25519 seed") }
        try self.init(name: String(parts[2]), ed25519Seed32: Data(blob.dropFirst()))
        guard verifier.keyID == id else {
            throw .malformedKey(
                "key ID \(parts[3]) does not match the key (want \(keyIDHex(verifier.keyID)))")
        }
    }

    /// The 32-byte RFC 8032 private key seed. Secret.
    public var ed25519Seed32: Data { key.rawRepresentation }

    /// The signer key text. Secret: store with file mode 0600.
    public var signerKey: String {
        let blob = Data([ed25519SignatureType]) + key.rawRepresentation
        return "PRIVATE+KEY+\(name)+\(keyIDHex(verifier.keyID))+\(blob.base64EncodedString())"
    }

    /// The key ID.
    public var keyID: UInt32 { verifier.keyID }

    /// Signs `text` (which must end in a newline to form a note).
    ///
    /// - Throws: `LedgerError.malformedNote` if the underlying signer fails.
    public func signature(for text: String) throws(LedgerError) -> NoteSignature {
        guard let sig = try? key.signature(for: Data(text.utf8)) else {
            throw .malformedNote("Ed25519 signing failed")
        }
        return NoteSignature(keyName: name, keyID: keyID, signature: Data(sig))
    }

    /// Signs `text` and returns the signed note.
    ///
    /// - Throws: `LedgerError.malformedNote` when `text` is empty or does not end in a newline.
    public func sign(_ text: String) throws(LedgerError) -> SignedNote {
        guard text.hasSuffix("\n"), !text.isEmpty else {
            throw .malformedNote("note text must end in a newline")
        }
        return SignedNote(text: text, signatures: [try signature(for: text)])
    }
}
