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
    /// How long one use of a connection (``withConnection(deadline:_:)``: a query, a transaction)
    /// and the opening of a connection may take before the connection is closed and the call
    /// fails: a server that stopped answering (restarted, partitioned, frozen) fails calls
    /// instead of blocking their threads for ever.
    public let deadline: Duration
    private let idle = Locked<[PostgresConnection]>([])
    private let slots: DispatchSemaphore
    /// Runs ``perform(_:)``'s bodies: one thread per connection.
    private let workers: BlockingPool
    private let nextID = Locked(0)

    /// Opens a first connection to check the server answers.
    ///
    /// - Parameters:
    ///   - url: a `postgres://` URL (``PostgresEndpoint``).
    ///   - size: most connections open at once (at least 1).
    ///   - deadline: see ``deadline`` (default 30 s).
    /// - Throws: `.database` for a bad URL, or naming `host:port` when the server cannot be
    ///   reached or refuses the login.
    public init(url: String, size: Int = 4, deadline: Duration = .seconds(30)) throws(LedgerError) {
        endpoint = try PostgresEndpoint(url: url)
        self.size = max(1, size)
        self.deadline = deadline
        slots = DispatchSemaphore(value: self.size)
        workers = BlockingPool(threads: self.size)
        var logger = Logger(label: "mesh.postgres")
        logger.logLevel = .warning
        self.logger = logger
        try withConnection { _ in }
    }

    /// ``init(url:size:deadline:)`` on a ``BlockingPool`` thread, for async callers (connecting
    /// blocks).
    public static func open(url: String, size: Int = 4, deadline: Duration = .seconds(30))
        async throws(LedgerError)
        -> PostgresLink
    {
        try await runBlocking { () throws(LedgerError) in
            try PostgresLink(url: url, size: size, deadline: deadline)
        }
    }

    /// Closes the idle connections (in use ones are checked in by their callers, who hold the link).
    /// A connection must stay alive until it is closed (PostgresNIO asserts it), so each closing
    /// future holds its connection.
    deinit {
        for connection in idle.withLock({ $0 }) { connection.close().whenComplete { _ in _ = connection } }
    }

    /// Runs `body` with a connection of the pool, blocking the calling thread (see the type's
    /// contract on threads). The whole call — waiting for a free connection, opening one, and
    /// `body` — has `deadline` (default: the link's ``deadline``): past it, the connection is
    /// closed, which fails the query `body` waits for, and the connection is not reused.
    ///
    /// - Throws: `.database` when no connection can be opened (naming the server), when `body`
    ///   throws (the server's message is kept), or naming the deadline when it passed.
    @discardableResult
    public func withConnection<T>(deadline: Duration? = nil, _ body: (PostgresConnection) throws -> T)
        throws(LedgerError) -> T
    {
        let limit = deadline ?? self.deadline
        let end = DispatchTime.now() + Self.interval(limit)
        guard slots.wait(timeout: end) == .success else {
            throw .database("PostgreSQL \(endpoint): no free connection of \(size) within \(limit)")
        }
        defer { slots.signal() }
        let connection = try checkOut(until: end, limit: limit)
        // Whoever moves the call out of `running` first decides: the watchdog closes the
        // connection, or the caller returns it to the pool — never both.
        let state = Locked(CallState.running)
        // On the connection's event loop, a thread of NIO's own: a timer on a GCD global queue
        // fires late — seconds late — while blocked calls hold that pool's threads (BlockingPool).
        let remaining = Int64(end.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)
        let watchdog = connection.eventLoop.scheduleTask(in: .nanoseconds(max(0, remaining))) {
            let fire = state.withLock { s in
                guard s == .running else { return false }
                s = .expired
                return true
            }
            // The closing future holds the connection until it is closed (PostgresNIO asserts it).
            if fire { connection.close().whenComplete { _ in _ = connection } }
        }
        let finish = { () -> Bool in
            watchdog.cancel()
            return state.withLock { s in
                guard s == .running else { return false }
                s = .done
                return true
            }
        }
        do {
            let result = try body(connection)
            if finish() { checkIn(connection) }
            return result
        } catch {
            guard finish() else {
                throw .database(
                    "PostgreSQL \(endpoint) did not answer within \(limit); the connection was closed (\(Self.describe(error)))"
                )
            }
            checkIn(connection)
            throw Self.failure(error, at: endpoint)
        }
    }

    /// A call of ``withConnection(deadline:_:)``: running, returned in time, or past its deadline.
    private enum CallState { case running, done, expired }

    /// `duration` as a dispatch interval (whole milliseconds, at least 1).
    static func interval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        return .milliseconds(max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`, `ROLLBACK` when it throws), blocking.
    ///
    /// - Throws: as ``withConnection(_:)``; nothing of the transaction is kept when it throws.
    @discardableResult
    public func transaction<T>(deadline: Duration? = nil, _ body: (PostgresConnection) throws -> T)
        throws(LedgerError) -> T
    {
        try withConnection(deadline: deadline) { connection in try inTransaction(connection, body) }
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

    /// An idle connection of the pool, or a new one opened by `end` (`limit` names it in errors).
    private func checkOut(until end: DispatchTime, limit: Duration) throws(LedgerError) -> PostgresConnection
    {
        while let connection = idle.withLock({ $0.popLast() }) {
            if !connection.isClosed { return connection }
        }
        let id = nextID.withLock { n in
            n += 1
            return n
        }
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username,
            password: endpoint.password, database: endpoint.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let opening = PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id,
            logger: logger)
        // The TCP connect has its own timeout; the login that follows needs this one.
        let outcome = Locked<Result<PostgresConnection, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        opening.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        let cannot =
            "cannot connect to PostgreSQL at \(endpoint.host):\(endpoint.port) as \(endpoint.username) (database \(endpoint.database))"
        guard done.wait(timeout: end) == .success, let result = outcome.current
        else {
            // Closed when it opens after all: nobody will use it.
            opening.whenSuccess { connection in connection.close().whenComplete { _ in _ = connection } }
            throw .database("\(cannot): no answer within \(limit)")
        }
        switch result {
        case .success(let connection):
            do {
                for setting in Self.sessionSettings { _ = try connection.rows(setting, logger: logger) }
            } catch {
                connection.close().whenComplete { _ in _ = connection }
                throw .database("\(cannot): setting up the session: \(Self.describe(error))")
            }
            return connection
        case .failure(let error): throw .database("\(cannot): \(Self.describe(error))")
        }
    }

    /// Set on every session this link opens, so the server itself lets go of what a client
    /// that vanished without closing its socket (power loss, partition) holds: a transaction left
    /// open — with the log's lease row locked `FOR SHARE`, which a takeover waits for — is ended
    /// after 5 s idle; a query whose client is gone is cancelled within 1 s; TCP keepalives find
    /// a dead peer of an idle session within about 25 s. Our transactions never idle: their
    /// statements are sent back to back.
    static let sessionSettings: [PostgresQuery] = [
        """
        SELECT set_config('idle_in_transaction_session_timeout', '5s', false),
          set_config('client_connection_check_interval', '1s', false),
          set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false),
          set_config('tcp_keepalives_count', '3', false)
        """
    ]

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
