import Foundation
import Karma
import Ledger
import Logging
import NIOCore
import PostgresNIO
import Receipts
import Synchronization

/// `JobRepository` and `HeartbeatJournal` on PostgreSQL: the tables of `SQLiteJobRepository`
/// (specs/service.md §5) created by versioned migrations (component `validator`), receipts and
/// heartbeats group-committed as on SQLite (one transaction per batch).
///
/// Threads: every query blocks a `PostgresLink` thread, never a cooperative one — async methods
/// hop through `PostgresLink.perform`, group commits run on their own dispatch queues
/// (``PostgresLink`` explains why the storage ports block). Receipts lock their job's row
/// (`FOR UPDATE`) before reading it, so a receipt racing a `freeze` from another process sees
/// the frozen status, and two copies of one receipt never both count.
public final class PostgresJobRepository: JobRepository, HeartbeatJournal {
    public let link: PostgresLink
    private let committer: GroupCommitter<ReceiptToStore, ReceiptStoreResult>
    private let journal: GroupCommitter<HeartbeatJournalChange, Void>
    private let announcements = AnnouncementCache()
    /// Run first in every transaction only the log's leader may write (the heartbeat journal,
    /// freezing and finishing jobs); see ``fenceLeaderWrites(with:)``.
    private let leaderFence = LeaderFence()

    /// The schema, oldest first. Released migrations never change; add new ones at the end.
    static let migrations: [PostgresMigrations.Migration] = [
        .init(
            "v1",
            [
                """
                CREATE TABLE jobs (
                  id BYTEA PRIMARY KEY, announcement BYTEA NOT NULL, signature BYTEA NOT NULL,
                  status TEXT NOT NULL, deadline_ms BIGINT NOT NULL, input BYTEA, created_ms BIGINT NOT NULL,
                  settlement BYTEA, settled_seq BIGINT UNIQUE, settled_ms BIGINT, settled_method TEXT)
                """,
                "CREATE INDEX jobs_by_status ON jobs(status, deadline_ms)",
                "CREATE INDEX jobs_by_settled_ms ON jobs(settled_ms)",
                """
                CREATE TABLE receipts (
                  rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job BYTEA NOT NULL,
                  node BYTEA NOT NULL, digest BYTEA NOT NULL, output BYTEA NOT NULL, json BYTEA NOT NULL,
                  proof BYTEA, received_ms BIGINT NOT NULL, seq BIGINT NOT NULL, UNIQUE (job, node, digest))
                """,
                "CREATE INDEX receipts_by_node ON receipts(node, rowid)",
                "CREATE TABLE tensors (commitment BYTEA PRIMARY KEY, bytes BYTEA NOT NULL)",
                """
                CREATE TABLE heartbeats (node BYTEA NOT NULL, timestamp_ms BIGINT NOT NULL,
                  json BYTEA NOT NULL, PRIMARY KEY (node, timestamp_ms))
                """,
            ]),
        // A job whose assigned nodes have all reported, marked by the process that stored the last
        // receipt, so the leader's sweep finds it whichever process took it (specs/service.md §8.3).
        .init(
            "v2-ready",
            [
                "ALTER TABLE jobs ADD COLUMN ready BOOLEAN NOT NULL DEFAULT FALSE",
                "CREATE INDEX jobs_ready ON jobs(id) WHERE status = 'pending' AND ready",
            ]),
    ]

    /// Uses `link`'s database, creating or upgrading the schema (blocks: call it off the
    /// cooperative pool, or through ``open(link:)``).
    ///
    /// - Throws: `.storage` naming the server when the migrations cannot run.
    public init(link: PostgresLink) throws(ValidatorError) {
        self.link = link
        do { try PostgresMigrations.migrate("validator", Self.migrations, on: link) } catch {
            throw .storage("opening the job store: \(error)")
        }
        let logger = link.logger
        committer = GroupCommitter(label: "mesh.validator.pg.receipts") { batch throws(ValidatorError) in
            do {
                return try link.retryingTransaction { c in try Self.storeBatch(batch, c, logger: logger) }
            } catch {
                throw .storage("storing receipts: \(error)")
            }
        }
        let fence = leaderFence
        journal = GroupCommitter(label: "mesh.validator.pg.heartbeats") { batch throws(ValidatorError) in
            do {
                try link.retryingTransaction { c in
                    try fence.check(c)
                    try Self.apply(batch, c, logger: logger)
                }
            } catch LedgerError.fenced, LedgerError.noLease {
                // Deposed (it will step down within a renewal): the node sends it to the leader.
                throw .notLeader(leader: nil)
            } catch {
                throw .storage("journaling heartbeats: \(error)")
            }
            return batch.map { _ in .success(()) }
        }
    }

    /// Fences the leader's writes of this store with the log's lease (specs/service.md §8.2):
    /// from now on the heartbeat journal, ``freeze(_:)`` and ``finish(_:)`` check in their own
    /// transaction that `store` still holds the lease, so a deposed leader that has not noticed
    /// yet neither journals heartbeats the new leader would not see, nor strands a job in
    /// `settling` after the new leader's takeover scan. Ingest (receipts, jobs, tensors) stays
    /// open to every process of the cluster.
    public func fenceLeaderWrites(with store: PostgresLedgerStore) {
        leaderFence.set { c in try store.checkFence(c) }
    }

    /// The check ``fenceLeaderWrites(with:)`` installs (none until then).
    private final class LeaderFence: Sendable {
        private let check = Mutex<(@Sendable (PostgresConnection) throws -> Void)?>(nil)
        func set(_ body: @escaping @Sendable (PostgresConnection) throws -> Void) {
            check.withLock { $0 = body }
        }
        func check(_ c: PostgresConnection) throws { try check.withLock { $0 }?(c) }
    }

    /// ``init(link:)`` on a link thread, for async callers.
    public static func open(link: PostgresLink) async throws(ValidatorError) -> PostgresJobRepository {
        try await runBlocking { () throws(ValidatorError) in try PostgresJobRepository(link: link) }
    }

    /// Runs `body` in one transaction on a link thread. A `ValidatorError` thrown by `body` is
    /// rethrown as is (the transaction is rolled back); anything else becomes `.storage(what: …)`.
    private func run<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    )
        async throws(ValidatorError) -> T
    {
        let result: Result<T, ValidatorError>
        do {
            result = try await link.perform { link throws(LedgerError) in
                var refusal: ValidatorError?
                do throws(LedgerError) {
                    return .success(
                        try link.transaction { c in
                            do { return try body(c) } catch let error as ValidatorError {
                                refusal = error
                                throw error
                            }
                        })
                } catch {
                    guard let refusal else { throw error }
                    return .failure(refusal)
                }
            }
        } catch {
            throw .storage("\(what): \(error)")
        }
        return try result.get()
    }

    private var logger: Logger { link.logger }

    // MARK: Jobs

    public func insertJob(_ signed: SignedJobAnnouncement, input: Data?, nowMs: UInt64)
        async throws(ValidatorError) -> Bool
    {
        let a = signed.announcement
        let json = JSONOutput.data(a.jsonObject(), pretty: false)
        let signature = signed.signature.rawRepresentation
        let logger = logger
        let created = try await run("storing job \(a.jobID)") { c in
            let inserted = try c.run(
                """
                INSERT INTO jobs(id, announcement, signature, status, deadline_ms, input, created_ms)
                VALUES (\(a.jobID.bytes), \(json), \(signature), 'pending', \(Int64(clamping: a.deadlineMs)),
                  \(input), \(Int64(clamping: nowMs)))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
            if inserted == 1 { return true }
            let stored = try c.rows(
                "SELECT announcement, signature FROM jobs WHERE id = \(a.jobID.bytes)", logger: logger
            ).first.map { try $0.decode((Data, Data).self) }
            guard let stored, stored.0 == json, stored.1 == signature else {
                throw ValidatorError.conflictingAnnouncement(a.jobID.hex)
            }
            if let input {
                try c.run(
                    "UPDATE jobs SET input = \(input) WHERE id = \(a.jobID.bytes) AND input IS NULL",
                    logger: logger)
            }
            return false
        }
        announcements.insert(signed)
        return created
    }

    public func announcement(_ id: Digest32) async throws(ValidatorError) -> SignedJobAnnouncement? {
        try await announcements.announcement(id) { () async throws(ValidatorError) in try await job(id) }
    }

    /// The settlement sequence and a job's columns, in the order ``jobColumns(_:)`` decodes.
    private static let jobColumns = """
        settled_seq, announcement, signature, status, input IS NOT NULL AS has_input, created_ms, settlement
        """

    private static func jobColumns(_ row: PostgresRow) throws -> (sequence: Int64?, job: JobRows.JobColumns) {
        let (sequence, announcement, signature, status, hasInput, createdMs, settlement) = try row.decode(
            (Int64?, Data, Data, String, Bool, Int64, Data?).self)
        return (
            sequence,
            JobRows.JobColumns(
                announcement: announcement, signature: signature, status: status, hasInput: hasInput,
                createdMs: createdMs, settlement: settlement)
        )
    }

    public func job(_ id: Digest32) async throws(ValidatorError) -> JobRecord? {
        let logger = logger
        let columns = try await run("reading job \(id)") { c in
            try c.rows(
                "SELECT \(unescaped: Self.jobColumns) FROM jobs WHERE id = \(id.bytes)", logger: logger
            )
            .first.map { try Self.jobColumns($0) }
        }
        guard let columns else { return nil }
        return try JobRows.decodeJob(columns.job)
    }

    public func input(of id: Digest32) async throws(ValidatorError) -> Data? {
        let logger = logger
        return try await run("reading input of \(id)") { c in
            try c.rows("SELECT input FROM jobs WHERE id = \(id.bytes)", logger: logger).first
                .flatMap { try $0.decode(Data?.self) }
        }
    }

    public func tensor(_ commitment: Digest32) async throws(ValidatorError) -> Data? {
        let logger = logger
        return try await run("reading tensor \(commitment)") { c in
            try c.rows("SELECT bytes FROM tensors WHERE commitment = \(commitment.bytes)", logger: logger)
                .first
                .map { try $0.decode(Data.self) }
        }
    }

    // MARK: Receipts

    public func receipts(of id: Digest32) async throws(ValidatorError) -> [StoredReceipt] {
        let logger = logger
        let rows: [JobRows.ReceiptColumns] = try await run("reading receipts of \(id)") { c in
            try c.rows(
                "SELECT digest, json, proof, received_ms FROM receipts WHERE job = \(id.bytes) ORDER BY seq",
                logger: logger
            ).map {
                let (digest, json, proof, receivedMs) = try $0.decode((Data, Data, Data?, Int64).self)
                return (digest, json, proof, receivedMs)
            }
        }
        return try JobRows.decodeReceipts(rows, of: id)
    }

    public func store(_ receipt: ReceiptToStore) async throws(ValidatorError) -> ReceiptStoreResult {
        try await committer.submit(receipt)
    }

    /// Stores a batch inside one transaction (``JobRows/storeBatch(_:into:)``).
    private static func storeBatch(_ batch: [ReceiptToStore], _ c: PostgresConnection, logger: Logger) throws
        -> [Result<ReceiptStoreResult, ValidatorError>]
    {
        try JobRows.storeBatch(batch, into: ReceiptWriter(c: c, logger: logger))
    }

    /// The receipt statements on one PostgreSQL transaction.
    private struct ReceiptWriter: ReceiptRowWriter {
        let c: PostgresConnection
        let logger: Logger

        func lockedJobStatus(_ job: Data) throws -> String? {
            try c.rows("SELECT status FROM jobs WHERE id = \(job) FOR UPDATE", logger: logger).first.map {
                try $0.decode(String.self)
            }
        }

        func prior(job: Data, node: Data) throws -> [(digest: Data, output: Data)] {
            try c.rows(
                "SELECT digest, output FROM receipts WHERE job = \(job) AND node = \(node)", logger: logger
            )
            .map {
                let (digest, output) = try $0.decode((Data, Data).self)
                return (digest: digest, output: output)
            }
        }

        func insert(_ item: ReceiptToStore) throws {
            let r = item.signed.receipt
            let job = r.jobID.bytes
            let output = r.outputCommitment.bytes
            try c.run(
                """
                INSERT INTO receipts(job, node, digest, output, json, proof, received_ms, seq)
                SELECT \(job), \(r.node.rawRepresentation), \(item.digest.bytes), \(output), \(item.signed.json()),
                  \(item.proof), \(Int64(clamping: item.receivedMs)), COALESCE(MAX(seq), 0) + 1
                FROM receipts WHERE job = \(job)
                """, logger: logger)
            try c.run(
                "INSERT INTO tensors(commitment, bytes) VALUES (\(output), \(item.output)) ON CONFLICT DO NOTHING",
                logger: logger)
            if let input = item.input {
                try c.run(
                    "UPDATE jobs SET input = \(input) WHERE id = \(job) AND input IS NULL", logger: logger)
            }
        }

        func nodesReported(job: Data) throws -> Int {
            let n = try c.rows(
                "SELECT COUNT(DISTINCT node)::BIGINT FROM receipts WHERE job = \(job)", logger: logger
            )
            .first.map { try $0.decode(Int64.self) }
            if let n, Int(n) >= JobAnnouncement.quorumSize {
                try c.run("UPDATE jobs SET ready = TRUE WHERE id = \(job) AND NOT ready", logger: logger)
            }
            return Int(n ?? 0)
        }
    }

    // MARK: Settlement

    public func freeze(_ ids: [Digest32]) async throws(ValidatorError) -> [Digest32: JobStatus] {
        let keys = ids.map(\.bytes)
        let logger = logger
        let fence = leaderFence
        let pairs = try await run("freezing \(ids.count) job(s)") { c in
            try fence.check(c)
            try c.run(
                "UPDATE jobs SET status = 'settling' WHERE id = ANY(\(keys.map { ByteBuffer(bytes: $0) })) AND status = 'pending'",
                logger: logger)
            return try c.rows(
                "SELECT id, status FROM jobs WHERE id = ANY(\(keys.map { ByteBuffer(bytes: $0) }))",
                logger: logger
            ).map { try $0.decode((Data, String).self) }
        }
        return try JobRows.statuses(pairs)
    }

    /// The transaction-scoped advisory lock that orders ``finish(_:)`` transactions ("meshfini").
    static let finishLock: Int64 = 0x6D65_7368_6669_6E69

    public func finish(_ updates: [(Digest32, JobStatus, SettlementRecord)]) async throws(ValidatorError) {
        let prepared = try JobRows.finishColumns(updates)
        let logger = logger
        let fence = leaderFence
        try await run("finishing \(updates.count) job(s)") { c in
            try fence.check(c)
            // `settled_seq` is the next number after the largest: finishing transactions of this
            // process's settlement loop and compute lane, or of two processes around a takeover,
            // take turns, or two would compute the same number and one would fail its UNIQUE check.
            _ = try c.rows("SELECT pg_advisory_xact_lock(\(Self.finishLock))", logger: logger)
            for (id, status, json, ms, method) in prepared {
                try c.run(
                    """
                    UPDATE jobs SET status = \(status), settlement = \(json), settled_ms = \(ms),
                      settled_method = \(method),
                      settled_seq = (SELECT COALESCE(MAX(settled_seq), 0) + 1 FROM jobs)
                    WHERE id = \(id) AND status = 'settling'
                    """, logger: logger)
            }
        }
    }

    public func jobsToSettle(nowMs: UInt64, includeComplete: Bool) async throws(ValidatorError) -> [Digest32]
    {
        let complete = """
            UNION
            SELECT j.id FROM jobs j WHERE j.status = 'pending'
              AND (SELECT COUNT(DISTINCT node) FROM receipts r WHERE r.job = j.id) >= \(JobAnnouncement.quorumSize)
            """
        let extra = includeComplete ? complete : ""
        let logger = logger
        let ids = try await run("listing jobs to settle") { c in
            try c.rows(
                """
                SELECT id FROM jobs WHERE status = 'settling'
                UNION
                SELECT id FROM jobs WHERE status = 'pending' AND deadline_ms <= \(Int64(clamping: nowMs))
                UNION
                SELECT id FROM jobs WHERE status = 'pending' AND ready
                \(unescaped: extra)
                """, logger: logger
            ).map { try $0.decode(Data.self) }
        }
        return try JobRows.jobIDs(ids)
    }

    public func statusCounts() async throws(ValidatorError) -> [JobStatus: Int] {
        let logger = logger
        let rows = try await run("counting jobs") { c in
            try c.rows("SELECT status, COUNT(*)::BIGINT FROM jobs GROUP BY status", logger: logger).map {
                let (status, n) = try $0.decode((String, Int64).self)
                return (status, Int(n))
            }
        }
        return JobRows.statusCounts(rows)
    }

    // MARK: Console lists

    public func settledJobs(before: UInt64?, limit: Int) async throws(ValidatorError) -> [SettledJob] {
        let logger = logger
        let rows = try await run("listing settled jobs") { c in
            try c.rows(
                """
                SELECT \(unescaped: Self.jobColumns) FROM jobs
                WHERE settled_seq IS NOT NULL AND settled_seq < \(Int64(clamping: before ?? UInt64(Int64.max)))
                ORDER BY settled_seq DESC LIMIT \(Int64(max(0, limit)))
                """, logger: logger
            ).map { try Self.jobColumns($0) }
        }
        var out: [SettledJob] = []
        for (sequence, columns) in rows {
            out.append(
                SettledJob(sequence: UInt64(clamping: sequence ?? 0), job: try JobRows.decodeJob(columns)))
        }
        return out
    }

    public func settlementsPerMinute(fromMinute: UInt64) async throws(ValidatorError) -> [SettlementMinute] {
        let fromMs = JobRows.firstMs(ofMinute: fromMinute)
        let logger = logger
        let rows: [JobRows.MinuteColumns] = try await run("counting settlements per minute") { c in
            try c.rows(
                """
                SELECT settled_ms / 60000 AS minute, status, settled_method, COUNT(*)::BIGINT FROM jobs
                WHERE settled_ms >= \(fromMs) GROUP BY minute, status, settled_method ORDER BY minute
                """, logger: logger
            ).map {
                let (minute, status, method, n) = try $0.decode((Int64, String, String?, Int64).self)
                return (minute, status, method, Int(n))
            }
        }
        return JobRows.minutes(rows)
    }

    public func receipts(ofNode node: XOnlyPublicKey, before: UInt64?, limit: Int)
        async throws(ValidatorError) -> [NodeReceipt]
    {
        let logger = logger
        let rows: [JobRows.NodeReceiptColumns] = try await run("listing receipts of node \(node.hex)") { c in
            try c.rows(
                """
                SELECT r.rowid, r.json, r.digest, r.received_ms, r.proof IS NOT NULL, j.status
                FROM receipts r LEFT JOIN jobs j ON j.id = r.job
                WHERE r.node = \(node.rawRepresentation) AND r.rowid < \(Int64(clamping: before ?? UInt64(Int64.max)))
                ORDER BY r.rowid DESC LIMIT \(Int64(max(0, limit)))
                """, logger: logger
            ).map {
                let (sequence, json, digest, receivedMs, hasProof, status) = try $0.decode(
                    (Int64, Data, Data, Int64, Bool, String?).self)
                return (sequence, json, digest, receivedMs, hasProof, status)
            }
        }
        return try JobRows.nodeReceipts(rows, of: node)
    }

    // MARK: Heartbeat journal

    public func pendingHeartbeats() throws(ValidatorError) -> [SignedHeartbeat] {
        let logger = logger
        let blobs: [Data]
        do {
            blobs = try link.withConnection { c in
                try c.rows("SELECT json FROM heartbeats ORDER BY node, timestamp_ms", logger: logger).map {
                    try $0.decode(Data.self)
                }
            }
        } catch {
            throw .storage("reading journaled heartbeats: \(error)")
        }
        return try JobRows.heartbeats(blobs)
    }

    public func record(_ change: HeartbeatJournalChange) -> DurableWrite<Void> {
        journal.enqueue(change)
    }

    /// Applies a batch of journal changes in one transaction, in order.
    private static func apply(_ changes: [HeartbeatJournalChange], _ c: PostgresConnection, logger: Logger)
        throws
    {
        for change in changes {
            switch change {
            case .add(let beat, let replacing):
                let node = beat.message.node.rawRepresentation
                if replacing { try c.run("DELETE FROM heartbeats WHERE node = \(node)", logger: logger) }
                try c.run(
                    """
                    INSERT INTO heartbeats(node, timestamp_ms, json)
                    VALUES (\(node), \(Int64(clamping: beat.message.timestampMs)), \(beat.json()))
                    ON CONFLICT (node, timestamp_ms) DO UPDATE SET json = EXCLUDED.json
                    """, logger: logger)
            case .forget(let node, let through):
                try c.run(
                    """
                    DELETE FROM heartbeats
                    WHERE node = \(node.rawRepresentation) AND timestamp_ms <= \(Int64(clamping: through))
                    """, logger: logger)
            }
        }
    }
}
