import Foundation
import GRDB
import Karma
import Ledger
import PostgresNIO
import Receipts

/// Moving house (issue 16 item 5): copies a validator's whole state from its SQLite directory into
/// an empty PostgreSQL database, then proves the copy — the ledger's size and root, every signed
/// checkpoint's root, the karma state hash of a full replay of each side, and the row count of
/// every job-store table must be equal.
///
/// Run it with the validator stopped: rows written to the source during the copy are not copied.
public enum StorageMigration {
    /// What was copied, and the figures the copy was proven with.
    public struct Report: Sendable, Equatable {
        public var entries: UInt64
        public var root: MerkleHash
        public var checkpoints: Int
        /// The karma state hash of the replay of the whole log (equal on both sides).
        public var karmaStateHash: Digest32
        /// Rows copied per job-store table.
        public var rows: [String: Int]
    }

    /// The job-store tables, in copy order, with their columns and types. `receipts` is copied in
    /// arrival (`rowid`) order, so the PostgreSQL identity column keeps the node page's order.
    static let tables: [(name: String, order: String, columns: [(String, Cell.Kind)])] = [
        (
            "jobs", "rowid",
            [
                ("id", .blob), ("announcement", .blob), ("signature", .blob), ("status", .text),
                ("deadline_ms", .int), ("input", .blob), ("created_ms", .int), ("settlement", .blob),
                ("settled_seq", .int), ("settled_ms", .int), ("settled_method", .text),
            ]
        ),
        (
            "receipts", "rowid",
            [
                ("job", .blob), ("node", .blob), ("digest", .blob), ("output", .blob), ("json", .blob),
                ("proof", .blob), ("received_ms", .int), ("seq", .int),
            ]
        ),
        ("tensors", "rowid", [("commitment", .blob), ("bytes", .blob)]),
        ("heartbeats", "node, timestamp_ms", [("node", .blob), ("timestamp_ms", .int), ("json", .blob)]),
    ]

    /// One SQL value of a copied row.
    enum Cell: Sendable {
        enum Kind { case blob, int, text }
        case blob(Data?)
        case int(Int64?)
        case text(String?)

        init(_ row: Row, _ column: String, _ kind: Kind) {
            switch kind {
            case .blob: self = .blob(row[column])
            case .int: self = .int(row[column])
            case .text: self = .text(row[column])
            }
        }

        func bind(into binds: inout PostgresBindings) throws {
            switch self {
            case .blob(let v): try binds.append(v)
            case .int(let v): binds.append(v)
            case .text(let v): binds.append(v)
            }
        }
    }

    /// Copies `sqliteDirectory` (`validator.sqlite`, `ledger.sqlite`) into the empty database at
    /// `postgresURL` and proves the copy. Every PostgreSQL call runs on a dispatch thread.
    ///
    /// - Parameters:
    ///   - batch: entries or rows per transaction.
    ///   - progress: told what is being copied.
    /// - Throws: `ValidatorError.storage` naming what differs, or why a side cannot be opened
    ///   (a destination that already holds a ledger or jobs is refused).
    public static func copy(
        sqliteDirectory: String, postgresURL: String, batch: Int = 4096,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(ValidatorError) -> Report {
        let base = URL(fileURLWithPath: sqliteDirectory)
        let step = max(1, batch)
        for file in ["ledger.sqlite", "validator.sqlite"]
        where !FileManager.default.fileExists(atPath: base.appendingPathComponent(file).path) {
            throw .storage(
                "\(base.appendingPathComponent(file).path) does not exist: not a validator's data directory")
        }
        do {
            let source = try Ledger(
                store: try SQLiteLedgerStore(
                    path: base.appendingPathComponent("ledger.sqlite").path, readOnly: true),
                readOnly: true)
            let link = try await PostgresLink.open(url: postgresURL, size: 2)
            let store = PostgresLedgerStore(link: link)
            let destination = try await runBlocking { () throws(LedgerError) in
                _ = try store.open(origin: source.origin, verifierKey: source.verifierKey, readOnly: false)
                return try Ledger(store: store, origin: source.origin)
            }
            let held = try await destination.reading { l throws(LedgerError) in
                try l.signedCheckpoints().count
            }
            guard destination.size == 0, held == 0 else {
                throw ValidatorError.storage(
                    "\(store.location) already holds a ledger (\(destination.size) entries, \(held) checkpoints): "
                        + "migrate into an empty database")
            }
            progress("ledger: \(source.size) entries")
            var start: UInt64 = 0
            while start < source.size {
                let range = start..<min(source.size, start + UInt64(step))
                _ = try await destination.append(contentsOf: try source.entries(in: range))
                start = range.upperBound
            }
            let checkpoints = try source.signedCheckpoints()
            progress("checkpoints: \(checkpoints.count)")
            try await runBlocking { () throws(LedgerError) in
                for c in checkpoints { try store.insertCheckpoint(size: c.checkpoint.size, note: c.note) }
            }
            try await runBlocking { try proveLedger(source, destination, checkpoints: checkpoints) }
            let hash = try karmaStateHash(source)
            let copiedHash = try await runBlocking { try karmaStateHash(destination) }
            guard hash == copiedHash else {
                throw ValidatorError.storage(
                    "karma state hash differs: \(hash.hex) here, \(copiedHash.hex) copied")
            }
            let rows = try await runBlocking {
                _ = try PostgresJobRepository(link: link)  // the validator schema
                return try copyJobStore(
                    from: base.appendingPathComponent("validator.sqlite").path, to: link, step: step,
                    progress: progress)
            }
            return Report(
                entries: source.size, root: source.root, checkpoints: checkpoints.count, karmaStateHash: hash,
                rows: rows)
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .storage("migrating \(sqliteDirectory): \(error)")
        }
    }

    /// The copy's size and root are the source's, and so is every signed checkpoint's root.
    static func proveLedger(_ source: Ledger, _ destination: Ledger, checkpoints: [StoredCheckpoint]) throws {
        guard destination.size == source.size, destination.root == source.root else {
            throw ValidatorError.storage(
                "copied ledger has \(destination.size) entries and root \(destination.root.base64); "
                    + "the source \(source.size) and \(source.root.base64)")
        }
        for c in checkpoints where try destination.root(at: c.checkpoint.size) != c.checkpoint.rootHash {
            throw ValidatorError.storage(
                "the copy does not match signed checkpoint \(c.sequence) (size \(c.checkpoint.size))")
        }
        guard try destination.signedCheckpoints().map(\.note) == checkpoints.map(\.note) else {
            throw ValidatorError.storage("the copied checkpoints differ from the source's")
        }
    }

    /// The karma state hash of a full replay of `ledger` (the replay an auditor runs).
    static func karmaStateHash(_ ledger: Ledger) throws -> Digest32 {
        var replayer = KarmaReplayer(engine: try KarmaEngine(parameters: .v2))
        try replayer.apply(upTo: ledger.size, read: { try ledger.entries(in: $0) })
        return replayer.state.stateHash
    }

    /// Copies every job-store table, `step` rows per insert, and checks the row counts.
    static func copyJobStore(
        from path: String, to link: PostgresLink, step: Int, progress: @Sendable (String) -> Void
    ) throws -> [String: Int] {
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: path, configuration: configuration)
        var counts: [String: Int] = [:]
        for table in tables {
            let names = table.columns.map(\.0)
            let existing = try link.withConnection { c in
                try c.rows("SELECT COUNT(*)::BIGINT FROM \(unescaped: table.name)", logger: link.logger)
                    .first?
                    .decode(Int64.self) ?? 0
            }
            guard existing == 0 else {
                throw ValidatorError.storage(
                    "\(link.endpoint) already holds \(existing) \(table.name): migrate into an empty database"
                )
            }
            let rows: [[Cell]] = try source.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT \(names.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.order)"
                ).map { row in table.columns.map { Cell(row, $0.0, $0.1) } }
            }
            progress("\(table.name): \(rows.count) rows")
            let perInsert = max(1, min(step, 60_000 / names.count))
            var offset = 0
            while offset < rows.count {
                let chunk = rows[offset..<min(rows.count, offset + perInsert)]
                var binds = PostgresBindings()
                var tuples: [String] = []
                for row in chunk {
                    let first = binds.count
                    for cell in row { try cell.bind(into: &binds) }
                    tuples.append(
                        "(" + (1...row.count).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
                }
                let sql =
                    "INSERT INTO \(table.name)(\(names.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))"
                try link.transaction { c in
                    try c.run(PostgresQuery(unsafeSQL: sql, binds: binds), logger: link.logger)
                }
                offset += chunk.count
            }
            let copied = try link.withConnection { c in
                try c.rows("SELECT COUNT(*)::BIGINT FROM \(unescaped: table.name)", logger: link.logger)
                    .first?
                    .decode(Int64.self) ?? 0
            }
            guard copied == rows.count else {
                throw ValidatorError.storage(
                    "\(table.name): \(rows.count) rows in the source, \(copied) copied")
            }
            counts[table.name] = rows.count
        }
        return counts
    }
}
