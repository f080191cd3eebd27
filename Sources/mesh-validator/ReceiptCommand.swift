import ArgumentParser
import Foundation
import Receipts

/// `mesh-validator receipt`: sign, verify and inspect execution receipts (specs/receipt.md).
struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Sign, verify and inspect execution receipts (specs/receipt.md).",
        subcommands: [Sign.self, Verify.self, Inspect.self]
    )

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an unsigned receipt with a node's secret key.",
            discussion: "`node` may be omitted from the input; it is filled in from the key."
        )

        @Option(help: "Secret key file (from `mesh-validator keygen`).") var key: String
        @Option(name: .customLong("in"), help: "Unsigned receipt JSON (`-` for standard input).") var input:
            String
        @Option(help: "Where to write the signed receipt JSON (`-` for standard output).") var out: String

        func run() async throws {
            let signingKey = try readSecretKey(key)
            let data = try readInput(input, maxBytes: Receipt.maxJSONSize)
            let signed: SignedReceipt
            do {
                let receipt = try Receipt(json: data, defaultNode: signingKey.publicKey)
                signed = try SignedReceipt.sign(receipt, with: signingKey)
            } catch {
                throw malformed("\(input): \(error)")
            }
            if out == "-" {
                FileHandle.standardOutput.write(signed.json())
            } else {
                do {
                    try signed.json().write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw malformed("cannot write \(out): \(error.localizedDescription)")
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify signed receipts: exit 0 all valid, 1 one invalid, 2 one malformed.",
            discussion: "Several files are verified across all cores."
        )

        @Argument(help: "Signed receipt JSON files.") var files: [String]
        @Option(help: "Worker threads (default: all cores).") var threads: Int?
        @Flag(help: "Print one JSON verdict per file.") var json = false

        struct Verdict: Encodable {
            var file: String
            var status: String
            var reason: String?
            var digest: String?
        }

        func run() async throws {
            var parsed: [(String, SignedReceipt)] = []
            var verdicts: [Verdict] = []
            var worst = CLIExit.valid
            for file in files {
                do {
                    let data = try readInput(file, maxBytes: Receipt.maxJSONSize)
                    parsed.append((file, try SignedReceipt(json: data)))
                } catch let error as ReceiptError {
                    verdicts.append(Verdict(file: file, status: "malformed", reason: error.description))
                    if !json { printError("\(file): malformed: \(error)") }
                    worst = CLIExit.malformed
                } catch {
                    verdicts.append(Verdict(file: file, status: "malformed", reason: "unreadable"))
                    worst = CLIExit.malformed
                }
            }
            let results = ReceiptBatchVerifier.verify(
                parsed.map(\.1), threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            for ((file, receipt), verdict) in zip(parsed, results) {
                switch verdict {
                case .valid:
                    verdicts.append(Verdict(file: file, status: "valid", digest: receipt.receipt.digest.hex))
                    if !json {
                        print(
                            "\(file): valid (job \(receipt.receipt.jobID.hex), node \(receipt.receipt.node.hex))"
                        )
                    }
                case .invalid(let reason):
                    verdicts.append(
                        Verdict(
                            file: file, status: "invalid", reason: reason, digest: receipt.receipt.digest.hex)
                    )
                    if !json { printError("\(file): invalid: \(reason)") }
                    if worst == CLIExit.valid { worst = CLIExit.invalid }
                }
            }
            if json { try printJSON(verdicts) }
            if worst != CLIExit.valid { throw worst }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a receipt's canonical bytes and digest (for implementers of specs/receipt.md).")

        @Argument(help: "Signed or unsigned receipt JSON.") var file: String

        func run() async throws {
            let data = try readInput(file, maxBytes: Receipt.maxJSONSize)
            let receipt: Receipt
            if let signed = try? SignedReceipt(json: data) {
                receipt = signed.receipt
            } else {
                do { receipt = try Receipt(json: data) } catch { throw malformed("\(file): \(error)") }
            }
            try printJSON([
                "canonicalHex": Hex.encode(receipt.canonicalBytes),
                "digest": receipt.digest.hex,
                "tag": Receipt.domainTag,
            ])
        }
    }
}
