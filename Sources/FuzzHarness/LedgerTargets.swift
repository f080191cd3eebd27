import Foundation
import Ledger

/// Targets for the ledger's proof documents and signed checkpoints.
enum LedgerTargets {
    /// The input as an inclusion proof document and as a consistency proof document (what
    /// `ledger verify-inclusion` / `verify-consistency` read). An accepted document must give a
    /// verdict and survive `json()` and a second parse unchanged.
    @Sendable static func ledgerProof(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let data = Data(input)
        var reasons: [String] = []
        let inclusion = try document(
            data, "inclusion", &reasons, parse: InclusionProofDocument.init(json:), json: { $0.json() },
            verify: { _ = $0.verify() })
        let consistency = try document(
            data, "consistency", &reasons, parse: ConsistencyProofDocument.init(json:), json: { $0.json() },
            verify: { _ = $0.verify() })
        return inclusion || consistency ? .accepted : .rejected(reason: reasons.joined(separator: "; "))
    }

    /// Parses `data` as one kind of proof document; if it parses, verifies it and checks that
    /// `json` of it parses back to an equal document. Returns whether it parsed.
    private static func document<D: Equatable>(
        _ data: Data, _ kind: String, _ reasons: inout [String],
        parse: (Data) throws(LedgerError) -> D, json: (D) -> Data, verify: (D) -> Void
    ) throws(InvariantViolation) -> Bool {
        let doc: D
        do { doc = try parse(data) } catch {
            reasons.append("\(kind): \(error)")
            return false
        }
        verify(doc)
        let again: D
        do { again = try parse(json(doc)) } catch {
            throw InvariantViolation(target: "ledger-proof", message: "\(kind) json() is refused: \(error)")
        }
        try require(again == doc, "ledger-proof", "\(kind) document JSON round trip changed the value")
        return true
    }

    /// The verifier of `Fixtures/ledger/checkpoint-example.json` (`example.mesh/ledger`).
    static let exampleVerifier = Result { () throws(LedgerError) in
        try NoteVerifier(
            verifierKey: "example.mesh/ledger+7ea33a00+AYl/sTQoSJlNpxIrI3UhrsFr2dZ+eVWg9haYkuJFv6mv")
    }

    /// The input (as UTF-8, invalid sequences replaced, as a reader of untrusted text would see
    /// it) as a signed note, its text and the whole input as checkpoint bodies, and its first line
    /// as a verifier key. Accepted values must format back to exactly their source text, and a
    /// checkpoint's lines must hold no ASCII control character (c2sp.org/signed-note; a `\r` would
    /// hide a line break).
    @Sendable static func checkpoint(_ input: [UInt8]) throws(InvariantViolation) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        let verifier: NoteVerifier
        switch exampleVerifier {
        case .success(let v): verifier = v
        case .failure(let e):
            throw InvariantViolation(
                target: "checkpoint", message: "the example verifier key is refused: \(e)")
        }
        var accepted = false
        var reasons: [String] = []
        var bodies = [text]
        switch Result(catching: { () throws(LedgerError) in try SignedNote(parsing: text) }) {
        case .success(let note):
            try require(
                note.formatted == text, "checkpoint", "signed note formats differently from its source")
            switch Result(catching: { () throws(LedgerError) in try SignedNote(parsing: note.formatted) }) {
            case .success(let again):
                try require(again == note, "checkpoint", "signed note round trip changed it")
            case .failure(let e):
                throw InvariantViolation(target: "checkpoint", message: "formatted note is refused: \(e)")
            }
            _ = note.isVerified(by: verifier)
            bodies.append(note.text)
            accepted = true
        case .failure(let e): reasons.append("note: \(e)")
        }
        for body in bodies {
            switch Result(catching: { () throws(LedgerError) in try Checkpoint(parsing: body) }) {
            case .success(let cp):
                try require(
                    cp.body == body, "checkpoint", "checkpoint body formats differently from its source")
                for line in [cp.origin] + cp.extensions {
                    try require(
                        !line.unicodeScalars.contains { $0.value < 0x20 }, "checkpoint",
                        "checkpoint line \(line.debugDescription) holds a control character")
                }
                accepted = true
            case .failure(let e): reasons.append("checkpoint: \(e)")
            }
        }
        let firstLine = String(text.prefix { $0 != "\n" })
        switch Result(catching: { () throws(LedgerError) in try NoteVerifier(verifierKey: firstLine) }) {
        case .success(let key):
            try require(
                key.verifierKey == firstLine, "checkpoint", "verifier key formats differently from its source"
            )
            accepted = true
        case .failure(let e): reasons.append("verifier key: \(e)")
        }
        return accepted ? .accepted : .rejected(reason: reasons.joined(separator: "; "))
    }
}
