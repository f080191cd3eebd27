import ArgumentParser
import Foundation
import Ledger

/// `mesh-validator ledger …`: the auditor's and operator's tools for the Merkle ledger
/// (specs/ledger.md §8).
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Inspect, prove and audit the append-only Merkle ledger (RFC 9162, C2SP checkpoints).",
        subcommands: [
            LedgerCheckpoint.self, LedgerProveInclusion.self, LedgerProveConsistency.self,
            LedgerVerifyInclusion.self, LedgerVerifyConsistency.self, LedgerVerify.self, LedgerTile.self,
            LedgerKeygen.self, LedgerKey.self, LedgerAppend.self, LedgerStressAppend.self,
            LedgerLeafHashes.self, LedgerMigrate.self,
        ]
    )
}

/// Reads a signer key file (`PRIVATE+KEY+…`).
private func readSigner(_ path: String) throws -> NoteSigner {
    let text = String(decoding: try readInput(path, maxBytes: 4096), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    do {
        return try NoteSigner(signerKey: text)
    } catch {
        throw malformed("\(path): \(error)")
    }
}

/// Runs a ledger call whose failure is a bad request (exit 2 with the reason).
private func request<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as LedgerError {
        throw malformed("\(error)")
    }
}

struct LedgerCheckpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Print the latest signed checkpoint (a C2SP signed note).")

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String

    func run() async throws {
        let ledger = try openLedger(db)
        guard let note = try request({ try ledger.latestCheckpoint() }) else {
            throw malformed("\(db): the log has not signed a checkpoint yet")
        }
        FileHandle.standardOutput.write(Data(note.utf8))
    }
}

struct LedgerProveInclusion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove-inclusion", abstract: "Print an inclusion proof as JSON (specs/ledger.md §4.3).")

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String
    @Option(help: "Leaf index (0-based).") var index: UInt64
    @Option(help: "Tree size (default: the current size).") var size: UInt64?

    func run() async throws {
        let ledger = try openLedger(db)
        let doc = try request { try ledger.inclusionProofDocument(index: index, size: size) }
        try printJSON(doc)
    }
}

struct LedgerProveConsistency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove-consistency",
        abstract: "Print a consistency proof as JSON (specs/ledger.md §4.3).")

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String
    @Option(help: "The older tree size.") var old: UInt64
    @Option(help: "The newer tree size (default: the current size).") var new: UInt64?

    func run() async throws {
        let ledger = try openLedger(db)
        let doc = try request { try ledger.consistencyProofDocument(from: old, to: new) }
        try printJSON(doc)
    }
}

struct LedgerVerifyInclusion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-inclusion",
        abstract: "Check an inclusion proof JSON file offline.",
        discussion: "Exit 0 valid, 1 invalid (reason printed), 2 malformed. Use - for standard input.")

    @Argument(help: "Proof JSON file.") var file: String

    func run() async throws {
        let data = try readInput(file, maxBytes: 1 << 20)
        let doc: InclusionProofDocument
        do { doc = try InclusionProofDocument(json: data) } catch { throw malformed("\(file): \(error)") }
        if case .invalid(let reason) = doc.verify() { throw invalid("\(reason)") }
        print(
            "valid: leaf \(doc.proof.leafIndex) is in the tree of size \(doc.proof.treeSize) with root \(doc.root.base64)"
        )
    }
}

struct LedgerVerifyConsistency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-consistency",
        abstract: "Check a consistency proof JSON file offline.",
        discussion: "Exit 0 valid, 1 invalid (reason printed), 2 malformed. Use - for standard input.")

    @Argument(help: "Proof JSON file.") var file: String

    func run() async throws {
        let data = try readInput(file, maxBytes: 1 << 20)
        let doc: ConsistencyProofDocument
        do { doc = try ConsistencyProofDocument(json: data) } catch { throw malformed("\(file): \(error)") }
        if case .invalid(let reason) = doc.verify() { throw invalid("\(reason)") }
        print("valid: the tree of size \(doc.proof.size2) extends the tree of size \(doc.proof.size1)")
    }
}

struct LedgerVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the whole tree from the stored entries and check everything stored against it.",
        discussion: """
            Checks every tile, the tree state and every signed checkpoint (signature under --key, or \
            the key recorded in the database, and root); with --checkpoint also a given signed \
            checkpoint. Exit 0 intact, 1 corrupted (first corrupted entry or checkpoint named; a \
            ledger with entries but no signed checkpoint, or no key to check them with, is \
            corrupted), 2 not a ledger. Progress goes to standard error.
            """)

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String
    @Option(help: "A signed checkpoint note file to check against the entries.") var checkpoint: String?
    @Option(help: "Verifier key for --checkpoint and the stored checkpoints: <name>+<id>+<base64>.") var key:
        String?
    @Flag(help: "Print no progress.") var quiet = false

    func run() async throws {
        var extra: (note: String, verifier: NoteVerifier)?
        var verifier: NoteVerifier?
        if let key {
            do { verifier = try NoteVerifier(verifierKey: key) } catch { throw malformed("--key: \(error)") }
        }
        if let checkpoint {
            guard let verifier else { throw malformed("--checkpoint needs --key") }
            extra = (String(decoding: try readInput(checkpoint, maxBytes: 1 << 20), as: UTF8.self), verifier)
        }
        let quiet = quiet
        let start = Date()
        let report: AuditReport
        do {
            let progress: (UInt64, UInt64) -> Void = { done, total in
                guard !quiet, total >= 1 << 16 else { return }
                let pct = total == 0 ? 100 : Double(done) * 100 / Double(total)
                printError(String(format: "verified %llu / %llu entries (%.1f%%)", done, total, pct))
            }
            if db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") {
                report = try LedgerAuditor.audit(
                    store: try openLedgerStore(db), checkpoint: extra, verifier: verifier, progress: progress)
            } else {
                report = try LedgerAuditor.audit(
                    path: db, checkpoint: extra, verifier: verifier, progress: progress)
            }
        } catch {
            throw malformed("\(db): \(error)")
        }
        guard report.isValid else {
            if let first = report.firstCorruptedEntry { printError("first corrupted entry: \(first)") }
            for p in report.problems.dropFirst() { printError("also: \(p)") }
            throw invalid("\(report.problems[0])")
        }
        print(
            "ok: \(report.entriesScanned) entries, root \(report.recomputedRoot.base64), "
                + "\(report.checkpointsChecked) checkpoints (\(report.signaturesVerified) signatures) verified "
                + String(format: "in %.1f s", Date().timeIntervalSince(start)))
    }
}

struct LedgerTile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tile",
        abstract: "Write one C2SP tlog-tiles resource (tile/<L>/<N>[.p/<W>]) to standard output.")

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String
    @Argument(help: "Tile path, e.g. tile/0/x001/234 or tile/entries/000.p/7.") var path: String

    func run() async throws {
        let ledger = try openLedger(db)
        let data = try request { try ledger.tile(path: path) }
        FileHandle.standardOutput.write(data)
    }
}

struct LedgerKeygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Create the log's Ed25519 note key; print its verifier key.")

    @Option(help: "Key name: the log's origin, e.g. mesh.example/ledger.") var name: String
    @Option(help: "Signer key file to create (mode 0600).") var out: String

    func run() async throws {
        let signer: NoteSigner
        do { signer = try NoteSigner.generate(name: name) } catch { throw malformed("--name: \(error)") }
        guard !FileManager.default.fileExists(atPath: out) else { throw malformed("\(out) already exists") }
        guard
            FileManager.default.createFile(
                atPath: out, contents: Data((signer.signerKey + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw malformed("cannot create \(out)") }
        print(signer.verifier.verifierKey)
    }
}

struct LedgerKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the checkpoint verifier key recorded in a ledger (<name>+<id>+<base64>).",
        discussion: """
            The key the log signs its checkpoints with, as recorded in the database's meta table. \
            Compare it with the key the operator publishes (GET /checkpoint.vkey, `serve`'s first \
            line) before trusting it. Exit 2 when the file is not a ledger or records no key.
            """)

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String

    func run() async throws {
        let ledger = try openLedger(db)
        guard let key = ledger.verifierKey else {
            throw malformed("\(db): the ledger records no verifier key")
        }
        do { _ = try NoteVerifier(verifierKey: key) } catch {
            throw malformed("\(db): the recorded verifier key is malformed: \(error)")
        }
        print(key)
    }
}

struct LedgerAppend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append files (or standard input) as entries, then sign a checkpoint.",
        discussion:
            "Creates the ledger if needed, with the key's name as origin. Prints index and leaf hash per entry."
    )

    @Option(help: "Ledger database: an SQLite file, or a postgres:// URL.") var db: String
    @Option(help: "Signer key file.") var key: String
    @Argument(help: "Entry files; - or none for one entry from standard input.") var files: [String] = []

    func run() async throws {
        let signer = try readSigner(key)
        let entries = try (files.isEmpty ? ["-"] : files).map { try readInput($0, maxBytes: 65_535) }
        let ledger: Ledger
        do { ledger = try Ledger(path: db, signer: signer) } catch { throw malformed("\(db): \(error)") }
        for r in try await ledger.append(contentsOf: entries) { print("\(r.index) \(r.leafHash.base64)") }
        let note = try await ledger.signCheckpoint()
        FileHandle.standardError.write(Data(note.formatted.utf8))
    }
}

/// Hidden: the child process of the crash-safety test. Appends from many tasks and prints
/// `<index> <leaf hash hex>` for each acknowledged (durable) append, flushed at once.
struct LedgerStressAppend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress-append", abstract: "Append test entries until killed (crash tests).",
        shouldDisplay: false)

    @Option var db: String
    @Option var key: String
    @Option var count = 100_000
    @Option var concurrency = 32
    @Option(help: "Sign a checkpoint every N acknowledged appends (0: never).") var signEvery = 500

    func run() async throws {
        let signer = try readSigner(key)
        let ledger = try Ledger(path: db, signer: signer)
        let pid = ProcessInfo.processInfo.processIdentifier
        let perTask = max(1, count / max(1, concurrency))
        let signEvery = signEvery
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    for i in 0..<perTask {
                        let r = try await ledger.append(Data("stress \(pid) \(task) \(i)".utf8))
                        FileHandle.standardOutput.write(Data("\(r.index) \(r.leafHash.hex)\n".utf8))
                        if signEvery > 0, task == 0, i % max(1, signEvery / concurrency) == 0 {
                            try await ledger.signCheckpoint()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await ledger.signCheckpoint()
    }
}

/// Hidden: prints `<index> <leaf hash hex>` for every stored entry, recomputed from its bytes.
struct LedgerLeafHashes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaf-hashes", abstract: "Print every entry's leaf hash (tests).", shouldDisplay: false)

    @Option var db: String

    func run() async throws {
        let ledger = try openLedger(db)
        var out = ""
        var start: UInt64 = 0
        while start < ledger.size {
            let end = min(start + 4096, ledger.size)
            for (i, e) in try request({ try ledger.entries(in: start..<end) }).enumerated() {
                out += "\(start + UInt64(i)) \(RFC9162.hashLeaf(e).hex)\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            out = ""
            start = end
        }
    }
}
