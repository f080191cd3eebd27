import Foundation
import PostgresNIO

/// Versioned schema migrations on PostgreSQL, like GRDB's `DatabaseMigrator` on SQLite: each
/// component (`ledger`, `validator`) has an ordered list of named migrations; the names applied
/// are recorded in `mesh_migrations(component, version)`, and each runs once: all pending ones of
/// a component in one transaction with their records. Concurrent openers (several validator
/// processes starting together) are serialised by a transaction-scoped advisory lock.
public enum PostgresMigrations {
    /// One migration: a name that never changes once released, and its statements (one SQL
    /// statement each: the extended query protocol takes one at a time).
    public struct Migration: Sendable {
        public var version: String
        public var statements: [String]

        public init(_ version: String, _ statements: [String]) {
            self.version = version
            self.statements = statements
        }
    }

    /// Key of the advisory lock that serialises migrations (any constant; "mesh" in ASCII).
    static let lockKey: Int64 = 0x6d65_7368

    /// Applies the migrations of `component` not applied yet, in order.
    ///
    /// - Returns: the versions applied by this call.
    /// - Throws: `.notALedger` when the database records a migration of `component` this build
    ///   does not know (a newer build wrote it: upgrade, do not run an older one against it);
    ///   `.database` when a statement fails (nothing of that migration is kept).
    @discardableResult
    public static func migrate(_ component: String, _ migrations: [Migration], on link: PostgresLink)
        throws(LedgerError) -> [String]
    {
        let logger = link.logger
        return try link.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try connection.run(
                """
                CREATE TABLE IF NOT EXISTS mesh_migrations (
                  component TEXT NOT NULL, version TEXT NOT NULL,
                  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))
                """, logger: logger)
            let applied = Set(
                try connection.rows(
                    "SELECT version FROM mesh_migrations WHERE component = \(component)", logger: logger
                ).map { try $0.decode(String.self) })
            let known = Set(migrations.map(\.version))
            if let unknown = applied.subtracting(known).sorted().first {
                throw LedgerError.notALedger(
                    "PostgreSQL \(link.endpoint) has \(component) migration \(unknown), which this build does "
                        + "not know (written by a newer version)")
            }
            var done: [String] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try connection.run(
                    "INSERT INTO mesh_migrations(component, version) VALUES (\(component), \(migration.version))",
                    logger: logger)
                done.append(migration.version)
            }
            return done
        }
    }
}
