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
        @Flag(help: "Print one JSON verdict object per line (JSON Lines), one per file in argument order.")
        var json = false

        struct Verdict: Encodable {
            enum Status: String, Encodable { case valid, invalid, malformed }
            var file: String
            var status: Status
            var reason: String?
            var digest: String?
        }

        func run() async throws {
            // Parse every file first (keeping argument order), then verify the parsed ones in parallel.
            var verdicts: [Verdict?] = Array(repeating: nil, count: files.count)
            var parsed: [(index: Int, receipt: SignedReceipt)] = []
            for (index, file) in files.enumerated() {
                do {
                    let data = try readInputFile(file, maxBytes: Receipt.maxJSONSize)
                    parsed.append((index, try SignedReceipt(json: data)))
                } catch let error as InputFileError {
                    verdicts[index] = Verdict(file: file, status: .malformed, reason: error.description)
                } catch {
                    verdicts[index] = Verdict(file: file, status: .malformed, reason: "\(error)")
                }
            }
            var receipts: [SignedReceipt?] = Array(repeating: nil, count: files.count)
            for (index, receipt) in parsed { receipts[index] = receipt }
            let results = ReceiptBatchVerifier.verify(
                parsed.map(\.receipt), threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            for ((index, receipt), result) in zip(parsed, results) {
                let digest = receipt.receipt.digest.hex
                switch result {
                case .valid:
                    verdicts[index] = Verdict(file: files[index], status: .valid, digest: digest)
                case .invalid(let reason):
                    verdicts[index] = Verdict(
                        file: files[index], status: .invalid, reason: reason, digest: digest)
                }
            }
            var worst = CLIExit.valid
            for (index, verdict) in verdicts.enumerated() {
                guard let verdict else { continue }
                if json {
                    try printJSON(verdict, compact: true)
                } else if verdict.status == .valid, let receipt = receipts[index] {
                    print(
                        "\(verdict.file): valid (job \(receipt.receipt.jobID.hex), node \(receipt.receipt.node.hex))"
                    )
                } else {
                    printError("\(verdict.file): \(verdict.status.rawValue): \(verdict.reason ?? "")")
                }
                switch verdict.status {
                case .malformed: worst = CLIExit.malformed
                case .invalid where worst == CLIExit.valid: worst = CLIExit.invalid
                case .valid, .invalid: break
                }
            }
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
