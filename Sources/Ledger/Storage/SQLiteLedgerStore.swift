import Foundation
import GRDB

/// The ledger in one SQLite file (``LedgerSchema``): WAL (a GRDB `DatabasePool`, so readers run
/// beside the writer) and `synchronous=FULL`, so a returned ``write(_:)`` is on disk. A commit moves
/// the tree state from the size its writer started from (compare-and-set), as on PostgreSQL.
public final class SQLiteLedgerStore: LedgerStore {
    public let path: String
    public var location: String { path }
    public var blocksOnNetwork: Bool { false }
    /// One validator process writes a SQLite ledger (readers of a live one open it `readOnly`).
    public var isShared: Bool { false }
    let pool: DatabasePool
    private let readOnly: Bool

    /// Opens the file at `path` (created when missing, unless `readOnly`).
    ///
    /// - Throws: `.notALedger` when `readOnly` and the file does not exist; `.database`.
    public init(path: String, readOnly: Bool = false) throws(LedgerError) {
        if readOnly, !FileManager.default.fileExists(atPath: path) {
            throw .notALedger("\(path) does not exist")
        }
        self.path = path
        self.readOnly = readOnly
        pool = try withDatabase {
            try DatabasePool(path: path, configuration: LedgerSchema.configuration(readOnly: readOnly))
        }
    }

    public func open(origin requested: String?, verifierKey: String?, readOnly: Bool) throws(LedgerError)
        -> String
    {
        let origin: String = try withDatabase {
            if readOnly {
                return try pool.read { db in try Self.readMeta(db) }
            }
            return try pool.write { db in
                for s in LedgerSchema.statements { try db.execute(sql: s) }
                if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'") == nil {
                    let origin = try LedgerSchema.originToCreate(requested, in: path)
                    try db.execute(
                        sql: "INSERT INTO meta(key, value) VALUES ('schema', ?), ('origin', ?)",
                        arguments: [LedgerSchema.version, origin])
                    try db.execute(
                        sql: "INSERT INTO tree_state(id, size, root) VALUES (0, 0, ?)",
                        arguments: [RFC9162.emptyRoot.bytes])
                }
                if let verifierKey {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('verifier_key', ?)",
                        arguments: [verifierKey])
                }
                return try Self.readMeta(db)
            }
        }
        if !readOnly {
            let mode = try withDatabase {
                // GRDB's DatabasePool chooses synchronous=NORMAL for WAL; durability needs FULL.
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    return try Int.fetchOne(db, sql: "PRAGMA synchronous")
                }
            }
            guard mode == 2 else { throw .database("could not set synchronous=FULL (got \(mode ?? -1))") }
        }
        return origin
    }

    static func readMeta(_ db: Database) throws -> String {
        let schema = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'")
        let origin = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'origin'")
        return try LedgerSchema.checkMeta(schema: schema, origin: origin)
    }

    public func treeState() throws(LedgerError) -> (size: UInt64, root: Data) {
        let row = try withDatabase {
            try pool.read { db in try Row.fetchOne(db, sql: "SELECT size, root FROM tree_state WHERE id = 0")
            }
        }
        guard let row else { throw .corrupted("tree_state row is missing") }
        return (try UInt64(sqlite: row["size"], what: "tree size"), (row["root"] as Data?) ?? Data())
    }

    public func tile(id: Int64) throws(LedgerError) -> Data? {
        try withDatabase {
            try pool.read { db in
                try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE id = ?", arguments: [id])
            }
        }
    }

    public func entries(in range: Range<UInt64>) throws(LedgerError) -> [Data] {
        let rows = try withDatabase {
            try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                    arguments: [Int64(range.lowerBound), Int64(range.upperBound)])
            }
        }
        return rows.map { $0["data"] as Data? ?? Data() }
    }

    public func write(_ commit: LedgerCommit) throws(LedgerError) {
        try withDatabase {
            try pool.write { db in
                // Compare-and-set on the tree size: a second writer on the same file (another
                // process, or a second Ledger) that appended since this one read the tree is
                // refused before anything is written.
                try db.execute(
                    sql: "UPDATE tree_state SET size = ?, root = ? WHERE id = 0 AND size = ?",
                    arguments: [Int64(commit.size), commit.root.bytes, Int64(commit.start)])
                guard db.changesCount == 1 else {
                    let stored = try Int64.fetchOne(db, sql: "SELECT size FROM tree_state WHERE id = 0")
                    throw LedgerError.conflictingWriter(
                        expectedSize: commit.start, storedSize: stored.map { UInt64(clamping: $0) })
                }
                let insert = try db.cachedStatement(sql: "INSERT INTO entries(idx, data) VALUES (?, ?)")
                for (i, e) in commit.entries.enumerated() {
                    try insert.execute(arguments: [Int64(commit.start) + Int64(i), e])
                }
                let putTile = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO tiles(id, hashes) VALUES (?, ?)")
                for t in commit.tiles { try putTile.execute(arguments: [t.id, t.bytes]) }
            }
        }
    }

    public func insertCheckpoint(size: UInt64, note: String) throws(LedgerError) {
        try withDatabase {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO checkpoints(size, note) VALUES (?, ?)", arguments: [Int64(size), note])
            }
        }
    }

    public func checkpoints(latestOnly: Bool) throws(LedgerError) -> [(sequence: Int64, note: String)] {
        let sql =
            latestOnly
            ? "SELECT seq, note FROM checkpoints ORDER BY seq DESC LIMIT 1"
            : "SELECT seq, note FROM checkpoints ORDER BY seq"
        let rows = try withDatabase { try pool.read { db in try Row.fetchAll(db, sql: sql) } }
        return rows.map { (sequence: $0["seq"], note: $0["note"] ?? "") }
    }

    public func verifierKey() throws(LedgerError) -> String? {
        try withDatabase {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'verifier_key'")
            }
        }
    }

    public func statistics(entries: UInt64) throws(LedgerError) -> StorageStatistics {
        try withDatabase {
            try pool.read { db in
                let entryBytes =
                    try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM entries") ?? 0
                let tileBytes =
                    try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(hashes)), 0) FROM tiles") ?? 0
                // dbstat is a compile-time option of SQLite: absent means "unknown", not a failure.
                let pages = try? Int64.fetchOne(
                    db, sql: "SELECT SUM(pgsize) FROM dbstat WHERE name = 'tiles'")
                let pageCount = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
                return StorageStatistics(
                    entries: entries, entryBytes: UInt64(max(0, entryBytes)),
                    tileBytes: UInt64(max(0, tileBytes)),
                    tilePageBytes: pages.flatMap { $0 }.map { UInt64(max(0, $0)) },
                    fileBytes: UInt64(max(0, pageCount * pageSize)))
            }
        }
    }
}
