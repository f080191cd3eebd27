import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The ledger in PostgreSQL: the SQLite schema's tables with a `ledger_` prefix (specs/ledger.md
/// §3), created by versioned migrations (``PostgresMigrations``, component `ledger`).
///
/// A commit is one transaction: the entries and tiles as two array inserts (`unnest`), then the
/// tree state moved from the size the writer started from — a compare-and-set: when another
/// writer has moved the tree since (two processes appending to one log), nothing is written and
/// the commit fails with `.conflictingWriter`.
///
/// Calls block (``LedgerStore``, ``PostgresLink``): ``blocksOnNetwork`` is `true`.
public final class PostgresLedgerStore: LedgerStore {
    public let link: PostgresLink
    public var location: String { "postgres \(link.endpoint)" }
    public var blocksOnNetwork: Bool { true }
    public var isShared: Bool { true }

    /// The schema, oldest first. Released migrations never change; add new ones at the end.
    public static let migrations: [PostgresMigrations.Migration] = [
        .init(
            "v1",
            [
                "CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE ledger_entries (idx BIGINT PRIMARY KEY CHECK (idx >= 0), data BYTEA NOT NULL)",
                "CREATE TABLE ledger_tiles (id BIGINT PRIMARY KEY, hashes BYTEA NOT NULL)",
                """
                CREATE TABLE ledger_tree_state (id INTEGER PRIMARY KEY CHECK (id = 0),
                  size BIGINT NOT NULL CHECK (size >= 0), root BYTEA NOT NULL)
                """,
                """
                CREATE TABLE ledger_checkpoints (seq BIGINT PRIMARY KEY, size BIGINT NOT NULL,
                  note TEXT NOT NULL)
                """,
            ]),
        .init(
            "v2-lease",
            [
                """
                CREATE TABLE ledger_lease (id INTEGER PRIMARY KEY CHECK (id = 0), holder TEXT NOT NULL,
                  token BIGINT NOT NULL CHECK (token > 0), expires_at TIMESTAMPTZ NOT NULL)
                """
            ]),
    ]

    /// The fencing token of the lease this store holds (``acquireLease(holder:seconds:)``), checked
    /// in the same transaction as every write; `nil` until a lease is taken (no check).
    private let fencingToken = Locked<Int64?>(nil)

    /// Whether writes need a lease: set for a process of a cluster (specs/service.md §8), so a
    /// process that never took the lease cannot write either (`.noLease`).
    public let requiresLease: Bool

    /// Uses `link`'s database (the schema is created or checked by ``open(origin:verifierKey:readOnly:)``).
    ///
    /// - Parameter requiresLease: refuse every write until ``acquireLease(holder:seconds:)`` has
    ///   granted one (several processes share the database).
    public init(link: PostgresLink, requiresLease: Bool = false) {
        self.link = link
        self.requiresLease = requiresLease
    }

    var logger: Logger { link.logger }

    public func open(origin requested: String?, verifierKey: String?, readOnly: Bool) throws(LedgerError)
        -> String
    {
        if !readOnly { try PostgresMigrations.migrate("ledger", Self.migrations, on: link) }
        let location = location
        return try link.transaction { c in
            let meta = try Self.meta(c, logger: logger, readOnly: readOnly, location: location)
            if meta["schema"] == nil {
                guard !readOnly else { throw LedgerError.notALedger("\(location) holds no ledger") }
                let origin = try LedgerSchema.originToCreate(requested, in: location)
                try c.run(
                    """
                    INSERT INTO ledger_meta(key, value) VALUES ('schema', \(LedgerSchema.version)),
                      ('origin', \(origin))
                    """, logger: logger)
                try c.run(
                    "INSERT INTO ledger_tree_state(id, size, root) VALUES (0, 0, \(RFC9162.emptyRoot.bytes))",
                    logger: logger)
            }
            if let verifierKey, !readOnly {
                try c.run(
                    """
                    INSERT INTO ledger_meta(key, value) VALUES ('verifier_key', \(verifierKey))
                    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            }
            let stored = try Self.meta(c, logger: logger, readOnly: readOnly, location: location)
            return try LedgerSchema.checkMeta(schema: stored["schema"], origin: stored["origin"])
        }
    }

    private static func meta(_ c: PostgresConnection, logger: Logger, readOnly: Bool, location: String)
        throws -> [String: String]
    {
        let exists = try c.rows("SELECT to_regclass('ledger_meta') IS NOT NULL", logger: logger)
        guard try exists.first?.decode(Bool.self) == true else {
            throw LedgerError.notALedger("\(location) holds no ledger tables")
        }
        var out: [String: String] = [:]
        for row in try c.rows("SELECT key, value FROM ledger_meta", logger: logger) {
            let (key, value) = try row.decode((String, String).self)
            out[key] = value
        }
        return out
    }

    /// Takes or renews the log's single-writer lease for `seconds` (PostgreSQL's clock): granted
    /// when nobody holds it, when it has expired, or to its holder again (the token is kept on
    /// renewal and incremented on every takeover). Once granted, every write of this store first
    /// checks, in its own transaction and holding the lease row (`FOR SHARE`, so a takeover waits
    /// for the write to commit), that the lease still carries this token: a deposed leader writes
    /// nothing (`.fenced`).
    ///
    /// - Parameter deadline: how long the statement may take (default: the link's deadline); a
    ///   leader renewing must learn of a server that stopped answering before its lease runs out.
    /// - Returns: the fencing token, or `nil` when another holder's lease is still running.
    public func acquireLease(holder: String, seconds: Double, deadline: Duration? = nil) throws(LedgerError)
        -> Int64?
    {
        let token = try link.transaction(deadline: deadline) { c in
            try c.rows(
                """
                INSERT INTO ledger_lease(id, holder, token, expires_at)
                VALUES (0, \(holder), 1, now() + make_interval(secs => \(seconds)))
                ON CONFLICT (id) DO UPDATE SET
                  token = CASE WHEN ledger_lease.holder = EXCLUDED.holder AND ledger_lease.expires_at > now()
                    THEN ledger_lease.token ELSE ledger_lease.token + 1 END,
                  holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE ledger_lease.holder = EXCLUDED.holder OR ledger_lease.expires_at <= now()
                RETURNING token
                """, logger: logger
            ).first.map { try $0.decode(Int64.self) }
        }
        if let token { fencingToken.withLock { $0 = token } }
        return token
    }

    /// The log's lease as stored: who holds it, its fencing token, and the milliseconds until it
    /// expires by the server's clock (negative once expired); `nil` before anyone took it.
    public func lease() throws(LedgerError) -> (holder: String, token: Int64, expiresInMs: Int64)? {
        try link.withConnection { c in
            try c.rows(
                """
                SELECT holder, token, (EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::BIGINT
                FROM ledger_lease WHERE id = 0
                """, logger: logger
            ).first.map { try $0.decode((String, Int64, Int64).self) }
        }
    }

    /// Ends `holder`'s lease now (a leader shutting down hands the log over at once instead of
    /// letting the lease run out). Does nothing when another holder has it. The token stays, so
    /// the next holder's is larger.
    public func releaseLease(holder: String) throws(LedgerError) {
        try link.transaction { c in
            try c.run(
                "UPDATE ledger_lease SET expires_at = now() WHERE id = 0 AND holder = \(holder)",
                logger: logger)
        }
        fencingToken.withLock { $0 = nil }
    }

    /// Checks, inside a write transaction on `c` (any connection to this database), that the
    /// lease still carries this store's fencing token, holding the lease row `FOR SHARE` until the
    /// transaction ends: the log's appends and checkpoints, and the leader-only writes of the job
    /// store (``PostgresJobRepository``), run only while this process leads. A no-op before a
    /// lease is taken, unless ``requiresLease``.
    ///
    /// - Throws: `LedgerError.fenced` when another process has taken the lease since,
    ///   `.noLease` when a lease is required and none was taken.
    public func checkFence(_ c: PostgresConnection) throws {
        guard let mine = fencingToken.current else {
            if requiresLease { throw LedgerError.noLease }
            return
        }
        let current = try c.rows("SELECT token FROM ledger_lease WHERE id = 0 FOR SHARE", logger: logger)
            .first
            .map { try $0.decode(Int64.self) }
        guard current == mine else { throw LedgerError.fenced(token: mine, current: current) }
    }

    public func treeState() throws(LedgerError) -> (size: UInt64, root: Data) {
        let row = try link.withConnection { c in
            try c.rows("SELECT size, root FROM ledger_tree_state WHERE id = 0", logger: logger).first.map {
                try $0.decode((Int64, Data).self)
            }
        }
        guard let (size, root) = row else { throw .corrupted("ledger_tree_state row is missing") }
        return (try UInt64(sqlite: size, what: "tree size"), root)
    }

    public func tile(id: Int64) throws(LedgerError) -> Data? {
        try link.withConnection { c in
            try c.rows("SELECT hashes FROM ledger_tiles WHERE id = \(id)", logger: logger).first.map {
                try $0.decode(Data.self)
            }
        }
    }

    public func entries(in range: Range<UInt64>) throws(LedgerError) -> [Data] {
        try link.withConnection { c in
            try c.rows(
                """
                SELECT data FROM ledger_entries
                WHERE idx >= \(Int64(range.lowerBound)) AND idx < \(Int64(range.upperBound)) ORDER BY idx
                """, logger: logger
            ).map { try $0.decode(Data.self) }
        }
    }

    public func write(_ commit: LedgerCommit) throws(LedgerError) {
        let indices = (0..<commit.entries.count).map { Int64(commit.start) + Int64($0) }
        let entries = commit.entries.map { ByteBuffer(bytes: $0) }
        let tileIDs = commit.tiles.map(\.id)
        let tiles = commit.tiles.map { ByteBuffer(bytes: $0.bytes) }
        try link.transaction { c in
            try checkFence(c)
            let moved = try c.run(
                """
                UPDATE ledger_tree_state SET size = \(Int64(commit.size)), root = \(commit.root.bytes)
                WHERE id = 0 AND size = \(Int64(commit.start))
                """, logger: logger)
            guard moved == 1 else {
                let now = try c.rows("SELECT size FROM ledger_tree_state WHERE id = 0", logger: logger).first
                    .map { try $0.decode(Int64.self) }
                throw LedgerError.conflictingWriter(
                    expectedSize: commit.start, storedSize: now.map { UInt64(clamping: $0) })
            }
            try c.run(
                "INSERT INTO ledger_entries(idx, data) SELECT * FROM unnest(\(indices)::bigint[], \(entries)::bytea[])",
                logger: logger)
            try c.run(
                """
                INSERT INTO ledger_tiles(id, hashes) SELECT * FROM unnest(\(tileIDs)::bigint[], \(tiles)::bytea[])
                ON CONFLICT (id) DO UPDATE SET hashes = EXCLUDED.hashes
                """, logger: logger)
        }
    }

    public func insertCheckpoint(size: UInt64, note: String) throws(LedgerError) {
        try link.transaction { c in
            try checkFence(c)
            try c.run(
                """
                INSERT INTO ledger_checkpoints(seq, size, note)
                SELECT COALESCE(MAX(seq), 0) + 1, \(Int64(size)), \(note) FROM ledger_checkpoints
                """, logger: logger)
        }
    }

    public func checkpoints(latestOnly: Bool) throws(LedgerError) -> [(sequence: Int64, note: String)] {
        let query: PostgresQuery =
            latestOnly
            ? "SELECT seq, note FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1"
            : "SELECT seq, note FROM ledger_checkpoints ORDER BY seq"
        return try link.withConnection { c in
            try c.rows(query, logger: logger).map {
                let (seq, note) = try $0.decode((Int64, String).self)
                return (sequence: seq, note: note)
            }
        }
    }

    public func verifierKey() throws(LedgerError) -> String? {
        try link.withConnection { c in
            try c.rows("SELECT value FROM ledger_meta WHERE key = 'verifier_key'", logger: logger).first.map {
                try $0.decode(String.self)
            }
        }
    }

    public func statistics(entries: UInt64) throws(LedgerError) -> StorageStatistics {
        try link.withConnection { c in
            let row = try c.rows(
                """
                SELECT (SELECT COALESCE(SUM(octet_length(data)), 0) FROM ledger_entries)::BIGINT,
                  (SELECT COALESCE(SUM(octet_length(hashes)), 0) FROM ledger_tiles)::BIGINT,
                  pg_total_relation_size('ledger_tiles')::BIGINT,
                  (pg_total_relation_size('ledger_entries') + pg_total_relation_size('ledger_tiles')
                    + pg_total_relation_size('ledger_checkpoints'))::BIGINT
                """, logger: logger)
            guard
                let (entryBytes, tileBytes, tilePages, total) = try row.first?.decode(
                    (Int64, Int64, Int64, Int64).self)
            else { throw LedgerError.database("storage statistics returned no row") }
            return StorageStatistics(
                entries: entries, entryBytes: UInt64(clamping: entryBytes),
                tileBytes: UInt64(clamping: tileBytes),
                tilePageBytes: UInt64(clamping: tilePages), fileBytes: UInt64(clamping: total))
        }
    }
}
