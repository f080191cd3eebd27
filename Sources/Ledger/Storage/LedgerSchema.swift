import Foundation
import GRDB

/// The SQLite schema (informative; specs/ledger.md §3).
///
/// - `meta(key, value)`: `schema` = `mesh-ledger/1`, `origin`, and `verifier_key` when known.
/// - `entries(idx, data)`: one row per entry, `idx` = 0-based leaf index.
/// - `tiles(id, hashes)`: c2sp.org/tlog-tiles hash tiles, `id = level << 56 | index`; full tiles
///   are 8,192 bytes and never change; the rightmost (partial) tile of each level is rewritten
///   at each commit and replaced by the full tile once it fills up.
/// - `tree_state(id = 0, size, root)`: the committed tree size and root.
/// - `checkpoints(seq, size, note)`: every checkpoint the log signed, in signing order.
enum LedgerSchema {
    static let version = "mesh-ledger/1"

    static let statements = [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY NOT NULL, data BLOB NOT NULL)",
        "CREATE TABLE IF NOT EXISTS tiles (id INTEGER PRIMARY KEY NOT NULL, hashes BLOB NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS tree_state (id INTEGER PRIMARY KEY NOT NULL CHECK (id = 0),
            size INTEGER NOT NULL, root BLOB NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY NOT NULL,
            size INTEGER NOT NULL, note TEXT NOT NULL)
        """,
    ]

    /// The origin of a new ledger at `location`: the requested one, which must be one non-empty line.
    ///
    /// - Throws: `.notALedger` when none was requested; `.malformedCheckpoint` for a bad origin.
    static func originToCreate(_ requested: String?, in location: String) throws(LedgerError) -> String {
        guard let requested else {
            throw .notALedger("\(location) is empty; give an origin to create a ledger")
        }
        guard !requested.isEmpty, !requested.contains("\n") else {
            throw .malformedCheckpoint("origin must be one non-empty line")
        }
        return requested
    }

    /// Checks the stored schema version and returns the stored origin.
    ///
    /// - Throws: `.notALedger` when either is missing or the schema is not ``version``.
    static func checkMeta(schema: String?, origin: String?) throws(LedgerError) -> String {
        guard let schema else { throw .notALedger("no schema version in meta") }
        guard schema == version else { throw .notALedger("unknown schema \(schema)") }
        guard let origin else { throw .notALedger("no origin in meta") }
        return origin
    }

    /// Row id of the tile at (`level`, `index`).
    static func tileKey(level: Int, index: UInt64) -> Int64 {
        Int64(bitPattern: UInt64(level) << 56 | index)
    }

    /// GRDB configuration: WAL (DatabasePool), `synchronous=FULL` on every connection, and a
    /// busy timeout so that an auditor can read while the validator writes.
    static func configuration(readOnly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }
}

/// Runs a GRDB operation, mapping its errors to `LedgerError.database`.
func withDatabase<T>(_ body: () throws -> T) throws(LedgerError) -> T {
    do {
        return try body()
    } catch let error as LedgerError {
        throw error
    } catch {
        throw .database(String(describing: error))
    }
}

extension UInt64 {
    /// Converts an SQLite integer that must be non-negative.
    init(sqlite value: Int64, what: String) throws(LedgerError) {
        guard value >= 0 else { throw .corrupted("\(what) is negative (\(value))") }
        self.init(value)
    }
}
