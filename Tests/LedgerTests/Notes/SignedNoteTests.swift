import Foundation
import Receipts
import Testing

@testable import Ledger

@Suite("Signed notes and checkpoints (c2sp.org/signed-note, tlog-checkpoint)")
struct SignedNoteTests {
    // Known-answer vectors from golang.org/x/mod/sumdb/note (its package documentation and tests)
    // and from c2sp.org/signed-note.
    static let goVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let goSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let goText =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let goNote =
        goText
        + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let specVerifierKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let specNote =
        "This is an example message.\n\n\u{2014} example.com/foo "
        + "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

    @Test("The Go reference key, key ID and signature match byte for byte")
    func goVectors() throws {
        let signer = try NoteSigner(signerKey: Self.goSignerKey)
        #expect(signer.verifier.verifierKey == Self.goVerifierKey)
        #expect(signer.signerKey == Self.goSignerKey)
        #expect(keyIDHex(signer.keyID) == "c74f20a3")
        let verifier = try NoteVerifier(verifierKey: Self.goVerifierKey)
        let note = try SignedNote(parsing: Self.goNote)
        #expect(note.text == Self.goText)
        #expect(note.isVerified(by: verifier))
        #expect(note.formatted == Self.goNote)
        #if !canImport(Darwin)
            // BoringSSL's Ed25519 is deterministic (RFC 8032); CryptoKit's is randomised.
            #expect(try signer.sign(Self.goText).formatted == Self.goNote)
        #endif
        #expect(try signer.sign(Self.goText).isVerified(by: verifier))
        let altered = try SignedNote(parsing: Self.goNote.replacingOccurrences(of: "answer", with: "answers"))
        #expect(!altered.isVerified(by: verifier))
    }

    @Test("The c2sp.org/signed-note example verifies")
    func specVector() throws {
        let verifier = try NoteVerifier(verifierKey: Self.specVerifierKey)
        let note = try SignedNote(parsing: Self.specNote)
        #expect(try note.verifiedText(by: verifier) == "This is an example message.\n")
    }

    @Test("Every truncation and every single-byte change of a key is rejected")
    func keyManglings() throws {
        for (key, parse) in [
            (Self.goVerifierKey, { (s: String) throws -> Void in _ = try NoteVerifier(verifierKey: s) }),
            (Self.goSignerKey, { (s: String) throws -> Void in _ = try NoteSigner(signerKey: s) }),
        ] {
            var bytes = Array(key.utf8)
            for i in 0...bytes.count {
                for j in (i + 1)...max(i + 1, bytes.count)
                where !(i == 0 && j == bytes.count) && j <= bytes.count {
                    let s = String(decoding: bytes[i..<j], as: UTF8.self)
                    #expect(throws: LedgerError.self, "\(s)") { try parse(s) }
                }
            }
            for i in bytes.indices {
                bytes[i] &+= 1
                let s = String(decoding: bytes, as: UTF8.self)
                #expect(throws: LedgerError.self, "\(s)") { try parse(s) }
                bytes[i] &-= 1
            }
        }
        // Wrong length and unknown algorithm, each with an adjusted key ID (from the Go tests).
        #expect(throws: LedgerError.self) {
            try NoteVerifier(
                verifierKey: "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
        }
        #expect(throws: LedgerError.self) {
            try NoteVerifier(
                verifierKey: "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
    }

    @Test("Malformed notes are rejected with a reason")
    func malformedNotes() throws {
        let sig =
            "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        for bad in [
            "", "text\n", "text\n\n", "text\n\n" + sig.dropLast(), "text\n" + sig, "te\u{7}xt\n\n" + sig,
            "text\n\n- PeterNeumann AAAA\n", "text\n\n\u{2014} Peter Neumann AAAAAAA=\n",
            "text\n\n\u{2014} PeterNeumann AAAA\n", "text\n\n\u{2014} PeterNeumann not-base64!\n",
            "text\n\n" + sig + "\n", "text\r\n\n" + sig,
        ] {
            #expect(throws: LedgerError.self, "\(bad.debugDescription)") { try SignedNote(parsing: bad) }
        }
        // Unknown keys are ignored; a known key's bad signature rejects the note.
        let verifier = try NoteVerifier(verifierKey: Self.goVerifierKey)
        let other = try NoteSigner(name: "other", ed25519Seed32: Data(repeating: 1, count: 32))
        var note = try SignedNote(parsing: Self.goNote)
        note.signatures.insert(try other.signature(for: note.text), at: 0)
        #expect(note.isVerified(by: verifier))
        var broken = note
        broken.signatures[1].signature[0] ^= 1
        #expect(!broken.isVerified(by: verifier))
        let onlyOther = SignedNote(text: note.text, signatures: [note.signatures[0]])
        #expect(throws: LedgerError.signatureNotVerified(keyName: "PeterNeumann")) {
            try onlyOther.verifiedText(by: verifier)
        }
    }

    @Test("The worked checkpoint example of specs/ledger.md is reproduced and verifies")
    func checkpointExample() throws {
        struct Example: Decodable {
            var seedHex: String
            var signerKey: String
            var verifierKey: String
            var keyIDHex: String
            var leavesHex: [String]
            var body: String
            var note: String
        }
        let ex = try JSONDecoder().decode(Example.self, from: LedgerFixtures.data("checkpoint-example.json"))
        let signer = try NoteSigner(name: "example.mesh/ledger", ed25519Seed32: Hex.decode(ex.seedHex)!)
        #expect(signer.signerKey == ex.signerKey)
        #expect(signer.verifier.verifierKey == ex.verifierKey)
        #expect(keyIDHex(signer.keyID) == ex.keyIDHex)
        var state = TreeState()
        var completed: [TreeState.CompletedTile] = []
        for leaf in ex.leavesHex {
            state.append(leafHash: RFC9162.hashLeaf(Hex.decode(leaf)!), completed: &completed)
        }
        let checkpoint = Checkpoint(origin: "example.mesh/ledger", size: 8, rootHash: state.root)
        #expect(checkpoint.body == ex.body)
        #if !canImport(Darwin)
            #expect(try signer.sign(checkpoint.body).formatted == ex.note)
        #endif
        let opened = try Checkpoint.open(
            note: ex.note, verifier: try NoteVerifier(verifierKey: ex.verifierKey),
            origin: "example.mesh/ledger")
        #expect(opened == checkpoint)
        // The spec shows the same note and keys.
        let spec = try String(contentsOf: RepoPathsShim.spec("ledger.md"), encoding: .utf8)
        for line in ex.note.split(separator: "\n") { #expect(spec.contains(line), "spec lacks \(line)") }
        #expect(spec.contains(ex.verifierKey) && spec.contains(ex.signerKey))
    }

    @Test("Checkpoint bodies: canonical size, base64 root, non-empty lines")
    func checkpointParsing() throws {
        let root = RFC9162.emptyRoot.base64
        #expect(
            try Checkpoint(parsing: "o\n0\n\(root)\n")
                == Checkpoint(origin: "o", size: 0, rootHash: .init(base64: root)))
        #expect(try Checkpoint(parsing: "o\n5\n\(root)\next\n").extensions == ["ext"])
        for bad in [
            "o\n5\n\(root)", "o\n05\n\(root)\n", "o\n-5\n\(root)\n", "o\n+5\n\(root)\n", "o\n5\n",
            "\n5\n\(root)\n",
            "o\n5\n\(root)\n\n", "o\n18446744073709551616\n\(root)\n", "o\n5\nAAAA\n", "o\n 5\n\(root)\n",
        ] {
            #expect(throws: LedgerError.self, "\(bad.debugDescription)") { try Checkpoint(parsing: bad) }
        }
    }

    /// Found by fuzzing (Fixtures/fuzz/checkpoint/crashers): a body read on its own accepted
    /// control characters, and `\r\n` (one Swift `Character`) hid a line break inside the origin.
    @Test("Checkpoint bodies refuse control characters other than newline")
    func checkpointControlCharacters() throws {
        let root = RFC9162.emptyRoot.base64
        #expect(throws: LedgerError.malformedCheckpoint("control character 0xd at byte 1")) {
            try Checkpoint(parsing: "o\r\nx\n8\n\(root)\n")
        }
        #expect(throws: LedgerError.malformedCheckpoint("control character 0x1 at byte 1")) {
            try Checkpoint(parsing: "e\u{01}\u{7F}o\n8\n\(root)\n")
        }
        #expect(throws: LedgerError.malformedCheckpoint("control character 0x9 at byte 52")) {
            try Checkpoint(parsing: "o\n8\n\(root)\next\tra\n")  // 4 + 44 + 1 + 3 bytes before the tab
        }
        // DEL is not an ASCII control character for c2sp.org/signed-note; the writer refuses it
        // in extension lines (`checkExtensions`), the reader accepts it.
        #expect(try Checkpoint(parsing: "o\u{7F}\n8\n\(root)\n").origin == "o\u{7F}")
    }
}
