import ArgumentParser
import Foundation
import Karma
import Ledger
import Receipts
import Validator

extension AuditCommand {
    /// `audit verify-balance FILE --key VKEY`: checks a balance proof document offline
    /// (specs/ledger.md §10.4).
    struct VerifyBalance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-balance",
            abstract:
                "Check a node's balance proof (GET /v1/nodes/{pubkey}/proof) against a signed checkpoint.",
            discussion: """
                Offline, in O(log n): the checkpoint's signature under --key, its karma-state line, the \
                account's leaf bytes, and the inclusion proof against the committed account root \
                (specs/ledger.md §10.4). Exit 0 valid, 1 invalid (why), 2 malformed (what). Use - for \
                standard input.
                """)

        @Argument(help: "The proof document (JSON).") var file: String

        @Option(
            help: ArgumentHelp(
                "The log's checkpoint verifier key, <name>+<id>+<base64> (GET /checkpoint.vkey).",
                valueName: "vkey"))
        var key: String

        @Flag(help: "Print the verdict as JSON.") var json = false

        func run() async throws {
            let verifier: NoteVerifier
            do { verifier = try NoteVerifier(verifierKey: key) } catch { throw malformed("--key: \(error)") }
            let data = try readInput(file, maxBytes: BalanceProofDocument.maxBytes)
            let document: BalanceProofDocument
            do { document = try BalanceProofDocument(json: data) } catch {
                throw malformed("\(file): \(error)")
            }
            let inclusion = document.inclusion
            switch document.verify(with: verifier) {
            case .invalid(let why):
                if json {
                    print(
                        JSONOutput.text(
                            .object([
                                "valid": .bool(false), "node": .string(inclusion.node.hex),
                                "reason": .string(why),
                            ])))
                }
                throw invalid(why)
            case .valid(let checkpoint, let commitment):
                if json {
                    print(
                        JSONOutput.text(
                            .object([
                                "valid": .bool(true), "node": .string(inclusion.node.hex),
                                "account": inclusion.account.jsonObject(),
                                "leafIndex": .string(String(inclusion.leafIndex)),
                                "origin": .string(checkpoint.origin),
                                "size": .string(String(checkpoint.size)),
                                "root": .string(checkpoint.rootHash.base64),
                                "karmaState": .string(commitment.extensionLine),
                                "key": .string(verifier.verifierKey),
                            ])))
                    return
                }
                let a = inclusion.account
                print(
                    "valid: node \(inclusion.node.hex) has balance \(a.balance) µK, bonded \(a.bonded) µK, "
                        + "nonce \(a.nonce)")
                print(
                    "in the karma state that checkpoint \(checkpoint.origin) of size \(checkpoint.size) commits to "
                        + "(account \(inclusion.leafIndex) of \(commitment.accountCount), key \(verifier.verifierKey))"
                )
            }
        }
    }
}
