import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A PostgreSQL server as a `postgres://` URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// (`postgresql://` too; port 5432 by default). TLS is not offered yet: `sslmode` may only be
/// `disable`, so run the server on loopback or a private network.
public struct PostgresEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    /// Parses `url`.
    ///
    /// - Throws: `.database` naming what is wrong (scheme, host, user, database, port, sslmode).
    public init(url: String) throws(LedgerError) {
        func bad(_ why: String) -> LedgerError {
            .database(
                "bad PostgreSQL URL \(Self.redacted(url)): \(why) (want postgres://USER@HOST:PORT/DATABASE)")
        }
        guard let parts = URLComponents(string: url) else { throw bad("not a URL") }
        guard parts.scheme == "postgres" || parts.scheme == "postgresql" else {
            throw bad("the scheme must be postgres or postgresql")
        }
        guard let host = parts.host, !host.isEmpty else { throw bad("no host") }
        guard let user = parts.user, !user.isEmpty else { throw bad("no user") }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw bad("no database name after the host") }
        let port = parts.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }
        for item in parts.queryItems ?? [] {
            guard item.name == "sslmode", item.value == "disable" else {
                throw bad("unsupported parameter \(item.name)=\(item.value ?? "") (only sslmode=disable)")
            }
        }
        self.host = host
        self.port = port
        self.username = user.removingPercentEncoding ?? user
        self.password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
    }

    /// `host:port/database`, never the password.
    public var description: String { "\(host):\(port)/\(database)" }

    /// The same server with another database.
    public func with(database: String) -> PostgresEndpoint {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL of this endpoint (with the password, percent-encoded).
    public var url: String {
        var parts = URLComponents()
        parts.scheme = "postgres"
        parts.user = username
        parts.password = password
        parts.host = host
        parts.port = port
        parts.path = "/" + database
        return parts.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// `url` without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? "(unprintable URL)"
    }
}

/// A small pool of connections to one PostgreSQL database, used **synchronously** from dedicated
/// threads (the Ledger's writer queue, ``Ledger/reading(_:)``'s reader queue, the validator's
/// commit queues) and asynchronously through ``perform(_:)``, which hops onto such a thread.
///
/// Why blocking: the storage ports are synchronous (``LedgerStore`` says why). A call here waits
/// for a NIO future with `wait()`, which is safe on any thread that is neither a NIO event loop
/// (NIO traps) nor one of Swift's cooperative threads (a blocked cooperative thread is one fewer
/// for every task of the process; two on this machine). Only the future-based PostgresNIO API is
/// used, so completing a query never needs the cooperative pool.
///
/// At most `size` connections are open; a caller beyond that waits for one to be returned.
/// A connection that failed (closed by the server, a network error) is dropped, not reused.
public final class PostgresLink: Sendable {
    public let endpoint: PostgresEndpoint
    public let size: Int
    /// The logger queries log into (warnings and worse).
    public let logger: Logger
    private let idle = Locked<[PostgresConnection]>([])
    private let slots: DispatchSemaphore
    private let workers = DispatchQueue(label: "mesh.postgres.workers", attributes: .concurrent)
    private let nextID = Locked(0)

    /// Opens a first connection to check the server answers.
    ///
    /// - Parameters:
    ///   - url: a `postgres://` URL (``PostgresEndpoint``).
    ///   - size: most connections open at once (at least 1).
    /// - Throws: `.database` for a bad URL, or naming `host:port` when the server cannot be
    ///   reached or refuses the login.
    public init(url: String, size: Int = 4) throws(LedgerError) {
        endpoint = try PostgresEndpoint(url: url)
        self.size = max(1, size)
        slots = DispatchSemaphore(value: self.size)
        var logger = Logger(label: "mesh.postgres")
        logger.logLevel = .warning
        self.logger = logger
        try withConnection { _ in }
    }

    /// ``init(url:size:)`` on a dispatch thread, for async callers (connecting blocks).
    public static func open(url: String, size: Int = 4) async throws(LedgerError) -> PostgresLink {
        try await runBlocking { () throws(LedgerError) in try PostgresLink(url: url, size: size) }
    }

    /// Closes the idle connections (in use ones are checked in by their callers, who hold the link).
    /// A connection must stay alive until it is closed (PostgresNIO asserts it), so each closing
    /// future holds its connection.
    deinit {
        for connection in idle.withLock({ $0 }) { connection.close().whenComplete { _ in _ = connection } }
    }

    /// Runs `body` with a connection of the pool, blocking the calling thread (see the type's
    /// contract on threads).
    ///
    /// - Throws: `.database` when no connection can be opened (naming the server) or `body` throws
    ///   (the server's message is kept).
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws(LedgerError) -> T {
        slots.wait()
        defer { slots.signal() }
        let connection = try checkOut()
        do {
            let result = try body(connection)
            checkIn(connection)
            return result
        } catch {
            checkIn(connection)
            throw Self.failure(error, at: endpoint)
        }
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`, `ROLLBACK` when it throws), blocking.
    ///
    /// - Throws: as ``withConnection(_:)``; nothing of the transaction is kept when it throws.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws(LedgerError) -> T {
        try withConnection { connection in try inTransaction(connection, body) }
    }

    /// ``transaction(_:)``, run again — at most `attempts` times in all, after a short random
    /// pause — when PostgreSQL aborts it to break a deadlock or a serialization conflict
    /// (SQLSTATE `40P01`, `40001`): what group-committed writers in several processes meet when
    /// their transactions lock the same rows in different orders. Every other error is thrown at
    /// once. `body` must keep its effects in the database: it may run more than once.
    public func retryingTransaction<T>(attempts: Int = 8, _ body: (PostgresConnection) throws -> T)
        throws(LedgerError) -> T
    {
        var attempt = 1
        while true {
            var transient = false
            do {
                return try withConnection { connection in
                    do { return try inTransaction(connection, body) } catch {
                        transient = attempt < attempts && Self.isTransient(error)
                        throw error
                    }
                }
            } catch {
                guard transient else { throw error }
                Thread.sleep(forTimeInterval: Double.random(in: 0.001...0.005) * Double(attempt))
                attempt += 1
            }
        }
    }

    /// `BEGIN`, `body`, `COMMIT` on `connection`; `ROLLBACK` when anything throws.
    private func inTransaction<T>(_ connection: PostgresConnection, _ body: (PostgresConnection) throws -> T)
        throws -> T
    {
        try connection.run("BEGIN", logger: logger)
        do {
            let result = try body(connection)
            try connection.run("COMMIT", logger: logger)
            return result
        } catch {
            // The transaction's own error is the one to report; a ROLLBACK that fails too
            // (connection lost) leaves nothing kept: the server discards an open transaction.
            if !connection.isClosed { _ = try? connection.run("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// `true` for the server's deadlock and serialization-failure aborts, which a retry resolves.
    static func isTransient(_ error: any Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Runs `body` (blocking work on this link) on a dedicated worker thread and suspends the
    /// calling task until it is done: async code never blocks a cooperative thread.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresLink) throws(LedgerError) -> T)
        async throws(LedgerError) -> T
    {
        try await runBlocking(on: workers) { () throws(LedgerError) in try body(self) }
    }

    private func checkOut() throws(LedgerError) -> PostgresConnection {
        if let connection = idle.withLock({ $0.popLast() }) { return connection }
        let id = nextID.withLock { n in
            n += 1
            return n
        }
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username,
            password: endpoint.password, database: endpoint.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id,
                logger: logger
            ).wait()
        } catch {
            throw .database(
                "cannot connect to PostgreSQL at \(endpoint.host):\(endpoint.port) as \(endpoint.username) "
                    + "(database \(endpoint.database)): \(Self.describe(error))")
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        idle.withLock { $0.append(connection) }
    }

    /// `error` as a `LedgerError`, with the server's own message when there is one.
    static func failure(_ error: any Error, at endpoint: PostgresEndpoint) -> LedgerError {
        if let error = error as? LedgerError { return error }
        return .database("PostgreSQL \(endpoint): \(describe(error))")
    }

    /// The useful part of a PostgresNIO error: SQLSTATE and message from the server, else the
    /// error's own description (`PSQLError.description` hides them on purpose).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo, let message = info[.message] {
            let detail = info[.detail].map { " (\($0))" } ?? ""
            return "\(message)\(detail) [SQLSTATE \(info[.sqlState] ?? "?")]"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}

extension PostgresConnection {
    /// Runs `query` and returns every row, blocking (a ``PostgresLink`` thread only).
    public func rows(_ query: PostgresQuery, logger: Logger) throws -> [PostgresRow] {
        try self.query(query, logger: logger).wait().rows
    }

    /// Runs `query` and returns the number of rows it changed, blocking.
    @discardableResult
    public func run(_ query: PostgresQuery, logger: Logger) throws -> Int {
        try self.query(query, logger: logger).wait().metadata.rows ?? 0
    }
}
