import Foundation
import Ledger
import PostgresNIO

/// A storage backend the storage, ledger, settlement and end-to-end suites run on.
public enum StorageBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }
}

/// The PostgreSQL server the tests use: `MESH_POSTGRES_URL` (scripts/test.sh starts a throwaway
/// cluster with scripts/postgres.sh and exports it). Each test gets a fresh database on it, so
/// tests run in parallel without seeing each other's rows; the databases are left to the
/// throwaway cluster, which is deleted after the run.
///
/// Without `MESH_POSTGRES_URL` the suites run on SQLite only and the test
/// `PostgresServerTests.serverAnswers` is reported as skipped with the reason; with
/// `MESH_REQUIRE_POSTGRES=1` (scripts/test.sh sets it) a missing or unreachable server fails
/// every PostgreSQL case instead, so CI cannot silently skip them.
public enum PostgresTestServer {
    /// The server's URL (a database on it the tests may create databases from).
    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["MESH_POSTGRES_URL"], !value.isEmpty else {
            return nil
        }
        return value
    }

    /// `true` when the PostgreSQL cases must run (`MESH_REQUIRE_POSTGRES=1`).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["MESH_REQUIRE_POSTGRES"] == "1" }

    /// The backends the storage suites run on: SQLite, and PostgreSQL when configured or required.
    public static var backends: [StorageBackend] {
        url != nil || isRequired ? [.sqlite, .postgres] : [.sqlite]
    }

    /// Why the PostgreSQL cases are not run, for the skip message.
    public static let missingNote =
        "MESH_POSTGRES_URL is not set, so the storage suites run on SQLite only: "
        + "eval \"$(bash scripts/postgres.sh start)\" runs them on PostgreSQL too (scripts/test.sh always does)"

    /// A problem with the test server, with what to do about it.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates a fresh, empty database on the test server and returns its URL.
    ///
    /// - Throws: ``Unavailable`` when `MESH_POSTGRES_URL` is not set; `LedgerError` when the
    ///   server cannot be reached.
    public static func freshDatabase() throws -> String {
        guard let url else { throw Unavailable(description: missingNote) }
        let admin = try PostgresLink(url: url, size: 1)
        let name = "mesh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try admin.withConnection { c in try c.run("CREATE DATABASE \(unescaped: name)", logger: admin.logger)
        }
        return admin.endpoint.with(database: name).url
    }

    /// A link (connection pool) to a fresh database.
    public static func freshLink(size: Int = 4) throws -> PostgresLink {
        try PostgresLink(url: try freshDatabase(), size: size)
    }
}
