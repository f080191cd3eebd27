import Foundation
import GRDB
import Receipts

/// `JobRepository` on SQLite through GRDB: WAL journal, `synchronous=FULL`, receipts written with
/// group commit (many concurrent requests share one transaction and one fsync).
///
/// Schema (specs/service.md §5): `jobs(id, announcement, signature, status, deadline_ms, input,
/// created_ms, settlement)`, `receipts(job, node, digest, output, json, proof, received_ms)`,
/// `tensors(commitment, bytes)`, `heartbeats(node, timestamp_ms, json)` (`HeartbeatJournal`).
public final class SQLiteJobRepository: JobRepository {
    let pool: DatabasePool
    private let committer: GroupCommitter<ReceiptToStore, ReceiptStoreResult>
    /// Heartbeat journal changes, group-committed in order (`HeartbeatJournal`).
    let journal: GroupCommitter<HeartbeatJournalChange, Void>
    private let announcements = AnnouncementCache()

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(ValidatorError) {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Reads of hot pages (jobs, receipts of pending jobs) from the page cache without a
            // read(2) copy each; 16 MiB of SQLite page cache per connection.
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        config.busyMode = .timeout(10)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE jobs(
                          id BLOB PRIMARY KEY NOT NULL,
                          announcement BLOB NOT NULL,
                          signature BLOB NOT NULL,
                          status TEXT NOT NULL,
                          deadline_ms INTEGER NOT NULL,
                          input BLOB,
                          created_ms INTEGER NOT NULL,
                          settlement BLOB
                        ) WITHOUT ROWID;
                        CREATE INDEX jobs_by_status ON jobs(status, deadline_ms);
                        CREATE TABLE receipts(
                          job BLOB NOT NULL,
                          node BLOB NOT NULL,
                          digest BLOB NOT NULL,
                          output BLOB NOT NULL,
                          json BLOB NOT NULL,
                          proof BLOB,
                          received_ms INTEGER NOT NULL,
                          seq INTEGER NOT NULL,
                          PRIMARY KEY(job, node, digest)
                        ) WITHOUT ROWID;
                        CREATE TABLE tensors(
                          commitment BLOB PRIMARY KEY NOT NULL,
                          bytes BLOB NOT NULL
                        ) WITHOUT ROWID;
                        """)
            }
            migrator.registerMigration("v2-heartbeats") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE heartbeats(
                          node BLOB NOT NULL,
                          timestamp_ms INTEGER NOT NULL,
                          json BLOB NOT NULL,
                          PRIMARY KEY(node, timestamp_ms)
                        ) WITHOUT ROWID;
                        """)
            }
            // Rows of jobs, receipts and tensors are kilobytes: as WITHOUT ROWID tables keyed by
            // random digests every insert split a leaf holding one or two rows. Rowid tables append
            // to the right-most leaf; the keys move to unique indexes of small entries.
            migrator.registerMigration("v3-rowid-tables") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE jobs_v3(
                          id BLOB NOT NULL UNIQUE,
                          announcement BLOB NOT NULL,
                          signature BLOB NOT NULL,
                          status TEXT NOT NULL,
                          deadline_ms INTEGER NOT NULL,
                          input BLOB,
                          created_ms INTEGER NOT NULL,
                          settlement BLOB
                        );
                        INSERT INTO jobs_v3(id, announcement, signature, status, deadline_ms, input, created_ms, settlement)
                          SELECT id, announcement, signature, status, deadline_ms, input, created_ms, settlement
                          FROM jobs ORDER BY created_ms;
                        DROP TABLE jobs;
                        ALTER TABLE jobs_v3 RENAME TO jobs;
                        CREATE INDEX jobs_by_status ON jobs(status, deadline_ms);
                        CREATE TABLE receipts_v3(
                          job BLOB NOT NULL,
                          node BLOB NOT NULL,
                          digest BLOB NOT NULL,
                          output BLOB NOT NULL,
                          json BLOB NOT NULL,
                          proof BLOB,
                          received_ms INTEGER NOT NULL,
                          seq INTEGER NOT NULL,
                          UNIQUE(job, node, digest)
                        );
                        INSERT INTO receipts_v3(job, node, digest, output, json, proof, received_ms, seq)
                          SELECT job, node, digest, output, json, proof, received_ms, seq
                          FROM receipts ORDER BY received_ms, job, seq;
                        DROP TABLE receipts;
                        ALTER TABLE receipts_v3 RENAME TO receipts;
                        CREATE TABLE tensors_v3(
                          commitment BLOB NOT NULL UNIQUE,
                          bytes BLOB NOT NULL
                        );
                        INSERT INTO tensors_v3(commitment, bytes) SELECT commitment, bytes FROM tensors;
                        DROP TABLE tensors;
                        ALTER TABLE tensors_v3 RENAME TO tensors;
                        """)
            }
            // The console's lists (specs/service.md §3.6): settlements in the order they were
            // recorded, per-minute counts, a node's receipts. Existing final jobs are numbered by
            // settlement time (then row order).
            migrator.registerMigration("v4-console-indexes") { db in
                try db.execute(
                    sql: """
                        ALTER TABLE jobs ADD COLUMN settled_seq INTEGER;
                        ALTER TABLE jobs ADD COLUMN settled_ms INTEGER;
                        ALTER TABLE jobs ADD COLUMN settled_method TEXT;
                        UPDATE jobs SET
                          settled_ms = json_extract(CAST(settlement AS TEXT), '$.settledAtMs'),
                          settled_method = json_extract(CAST(settlement AS TEXT), '$.method')
                          WHERE settlement IS NOT NULL;
                        CREATE TEMP TABLE console_order(r INTEGER PRIMARY KEY, n INTEGER NOT NULL);
                        INSERT INTO console_order(r, n)
                          SELECT rowid, ROW_NUMBER() OVER (ORDER BY settled_ms, rowid) FROM jobs
                          WHERE settled_ms IS NOT NULL;
                        UPDATE jobs SET settled_seq = (SELECT n FROM console_order WHERE r = jobs.rowid)
                          WHERE settled_ms IS NOT NULL;
                        DROP TABLE console_order;
                        CREATE UNIQUE INDEX jobs_by_settled_seq ON jobs(settled_seq);
                        CREATE INDEX jobs_by_settled_ms ON jobs(settled_ms);
                        CREATE INDEX receipts_by_node ON receipts(node);
                        """)
            }
            try migrator.migrate(pool)
        } catch {
            throw .storage("opening \(path): \(error)")
        }
        self.pool = pool
        committer = GroupCommitter(label: "mesh.validator.receipts") { batch throws(ValidatorError) in
            do {
                return try pool.write { db in try Self.storeBatch(batch, db: db) }
            } catch let error as ValidatorError {
                throw error
            } catch {
                throw .storage("storing receipts: \(error)")
            }
        }
        journal = GroupCommitter(label: "mesh.validator.heartbeats") { batch throws(ValidatorError) in
            do {
                try pool.write { db in try Self.apply(batch, db: db) }
            } catch {
                throw .storage("journaling heartbeats: \(error)")
            }
            return batch.map { _ in .success(()) }
        }
    }

    // MARK: Jobs

    public func insertJob(_ signed: SignedJobAnnouncement, input: Data?, nowMs: UInt64)
        async throws(ValidatorError)
        -> Bool
    {
        let a = signed.announcement
        let json = JSONOutput.data(a.jsonObject(), pretty: false)
        let created: Bool = try await storage("storing job \(a.jobID)") {
            try await pool.write { db in
                if let row = try Row.fetchOne(
                    db, sql: "SELECT announcement, signature FROM jobs WHERE id = ?",
                    arguments: [a.jobID.bytes])
                {
                    let storedJSON: Data = row["announcement"]
                    let storedSig: Data = row["signature"]
                    guard storedJSON == json, storedSig == signed.signature.rawRepresentation else {
                        throw ValidatorError.conflictingAnnouncement(a.jobID.hex)
                    }
                    if let input {
                        try db.execute(
                            sql: "UPDATE jobs SET input = ? WHERE id = ? AND input IS NULL",
                            arguments: [input, a.jobID.bytes])
                    }
                    return false
                }
                try db.execute(
                    sql: """
                        INSERT INTO jobs(id, announcement, signature, status, deadline_ms, input, created_ms)
                        VALUES (?, ?, ?, 'pending', ?, ?, ?)
                        """,
                    arguments: [
                        a.jobID.bytes, json, signed.signature.rawRepresentation,
                        Int64(clamping: a.deadlineMs), input, Int64(clamping: nowMs),
                    ])
                return true
            }
        }
        announcements.insert(signed)
        return created
    }

    /// The announcement of a job (cached; announcements never change).
    public func announcement(_ id: Digest32) async throws(ValidatorError) -> SignedJobAnnouncement? {
        try await announcements.announcement(id) { () async throws(ValidatorError) in try await job(id) }
    }

    public func job(_ id: Digest32) async throws(ValidatorError) -> JobRecord? {
        let columns: JobRows.JobColumns? = try await storage("reading job \(id)") {
            try await pool.read { db in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT announcement, signature, status, input IS NOT NULL AS has_input, created_ms, settlement
                        FROM jobs WHERE id = ?
                        """,
                    arguments: [id.bytes]
                ).map {
                    JobRows.JobColumns(
                        announcement: $0["announcement"], signature: $0["signature"], status: $0["status"],
                        hasInput: $0["has_input"], createdMs: $0["created_ms"], settlement: $0["settlement"])
                }
            }
        }
        guard let columns else { return nil }
        return try JobRows.decodeJob(columns)
    }

    public func input(of id: Digest32) async throws(ValidatorError) -> Data? {
        try await storage("reading input of \(id)") {
            try await pool.read { db in
                try Data.fetchOne(db, sql: "SELECT input FROM jobs WHERE id = ?", arguments: [id.bytes])
            }
        }
    }

    public func tensor(_ commitment: Digest32) async throws(ValidatorError) -> Data? {
        try await storage("reading tensor \(commitment)") {
            try await pool.read { db in
                try Data.fetchOne(
                    db, sql: "SELECT bytes FROM tensors WHERE commitment = ?", arguments: [commitment.bytes])
            }
        }
    }

    // MARK: Receipts

    public func receipts(of id: Digest32) async throws(ValidatorError) -> [StoredReceipt] {
        let rows: [JobRows.ReceiptColumns] = try await storage("reading receipts of \(id)") {
            try await pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: "SELECT digest, json, proof, received_ms FROM receipts WHERE job = ? ORDER BY seq",
                    arguments: [id.bytes]
                ).map { ($0["digest"], $0["json"], $0["proof"], $0["received_ms"]) }
            }
        }
        return try JobRows.decodeReceipts(rows, of: id)
    }

    public func store(_ receipt: ReceiptToStore) async throws(ValidatorError) -> ReceiptStoreResult {
        try await committer.submit(receipt)
    }

    /// Stores a batch inside one write transaction (``JobRows/storeBatch(_:into:)``).
    private static func storeBatch(_ batch: [ReceiptToStore], db: Database) throws -> [Result<
        ReceiptStoreResult, ValidatorError
    >] {
        try JobRows.storeBatch(batch, into: ReceiptWriter(db: db))
    }

    /// The receipt statements on one SQLite write transaction (cached prepared statements).
    private struct ReceiptWriter: ReceiptRowWriter {
        let db: Database

        func lockedJobStatus(_ job: Data) throws -> String? {
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT status FROM jobs WHERE id = ?"), arguments: [job])
        }

        func prior(job: Data, node: Data) throws -> [(digest: Data, output: Data)] {
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT digest, output FROM receipts WHERE job = ? AND node = ?"),
                arguments: [job, node]
            ).map { (digest: $0["digest"] as Data, output: $0["output"] as Data) }
        }

        func insert(_ item: ReceiptToStore) throws {
            let r = item.signed.receipt
            let job = r.jobID.bytes
            let output = r.outputCommitment.bytes
            try db.cachedStatement(
                sql: """
                    INSERT INTO receipts(job, node, digest, output, json, proof, received_ms, seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM receipts WHERE job = ?))
                    """
            ).execute(arguments: [
                job, r.node.rawRepresentation, item.digest.bytes, output, item.signed.json(), item.proof,
                Int64(clamping: item.receivedMs), job,
            ])
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO tensors(commitment, bytes) VALUES (?, ?)")
                .execute(arguments: [output, item.output])
            if let input = item.input {
                try db.cachedStatement(sql: "UPDATE jobs SET input = ? WHERE id = ? AND input IS NULL")
                    .execute(arguments: [input, job])
            }
        }

        func nodesReported(job: Data) throws -> Int {
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(DISTINCT node) FROM receipts WHERE job = ?"),
                arguments: [job]
            ) ?? 0
        }
    }

    // MARK: Settlement

    public func freeze(_ ids: [Digest32]) async throws(ValidatorError) -> [Digest32: JobStatus] {
        let pairs: [(Data, String)] = try await storage("freezing \(ids.count) job(s)") {
            try await pool.write { db in
                let update = try db.cachedStatement(
                    sql: "UPDATE jobs SET status = 'settling' WHERE id = ? AND status = 'pending'")
                let read = try db.cachedStatement(sql: "SELECT status FROM jobs WHERE id = ?")
                var out: [(Data, String)] = []
                for id in ids {
                    try update.execute(arguments: [id.bytes])
                    if let status = try String.fetchOne(read, arguments: [id.bytes]) {
                        out.append((id.bytes, status))
                    }
                }
                return out
            }
        }
        return try JobRows.statuses(pairs)
    }

    public func finish(_ updates: [(Digest32, JobStatus, SettlementRecord)]) async throws(ValidatorError) {
        let prepared = try JobRows.finishColumns(updates)
        try await storage("finishing \(updates.count) job(s)") {
            try await pool.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        UPDATE jobs SET status = ?, settlement = ?, settled_ms = ?, settled_method = ?,
                          settled_seq = (SELECT COALESCE(MAX(settled_seq), 0) + 1 FROM jobs)
                        WHERE id = ? AND status = 'settling'
                        """)
                for (id, status, json, ms, method) in prepared {
                    try statement.execute(arguments: [status, json, ms, method, id])
                }
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
        let ids: [Data] = try await storage("listing jobs to settle") {
            try await pool.read { db in
                try Data.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM jobs WHERE status = 'settling'
                        UNION
                        SELECT id FROM jobs WHERE status = 'pending' AND deadline_ms <= ?
                        \(includeComplete ? complete : "")
                        """,
                    arguments: [Int64(clamping: nowMs)])
            }
        }
        return try JobRows.jobIDs(ids)
    }

    public func statusCounts() async throws(ValidatorError) -> [JobStatus: Int] {
        let rows: [(String, Int)] = try await storage("counting jobs") {
            try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").map {
                    ($0["status"], $0["n"])
                }
            }
        }
        return JobRows.statusCounts(rows)
    }

    // MARK: Console lists

    public func settledJobs(before: UInt64?, limit: Int) async throws(ValidatorError) -> [SettledJob] {
        typealias Columns = (sequence: Int64, job: JobRows.JobColumns)
        let rows: [Columns] = try await storage("listing settled jobs") {
            try await pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT settled_seq, announcement, signature, status, input IS NOT NULL AS has_input,
                          created_ms, settlement
                        FROM jobs WHERE settled_seq IS NOT NULL AND settled_seq < ?
                        ORDER BY settled_seq DESC LIMIT ?
                        """,
                    arguments: [Int64(clamping: before ?? UInt64(Int64.max)), max(0, limit)]
                ).map {
                    (
                        $0["settled_seq"],
                        JobRows.JobColumns(
                            announcement: $0["announcement"], signature: $0["signature"],
                            status: $0["status"],
                            hasInput: $0["has_input"], createdMs: $0["created_ms"],
                            settlement: $0["settlement"])
                    )
                }
            }
        }
        var out: [SettledJob] = []
        for row in rows {
            out.append(
                SettledJob(sequence: UInt64(clamping: row.sequence), job: try JobRows.decodeJob(row.job)))
        }
        return out
    }

    public func settlementsPerMinute(fromMinute: UInt64) async throws(ValidatorError) -> [SettlementMinute] {
        let fromMs = JobRows.firstMs(ofMinute: fromMinute)
        let rows: [JobRows.MinuteColumns] = try await storage("counting settlements per minute") {
            try await pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT settled_ms / 60000 AS minute, status, settled_method, COUNT(*) AS n
                        FROM jobs WHERE settled_ms >= ?
                        GROUP BY minute, status, settled_method ORDER BY minute
                        """,
                    arguments: [fromMs]
                ).map { ($0["minute"], $0["status"], $0["settled_method"], $0["n"]) }
            }
        }
        return JobRows.minutes(rows)
    }

    public func receipts(ofNode node: XOnlyPublicKey, before: UInt64?, limit: Int)
        async throws(ValidatorError)
        -> [NodeReceipt]
    {
        let rows: [JobRows.NodeReceiptColumns] = try await storage("listing receipts of node \(node.hex)") {
            try await pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT r.rowid AS sequence, r.json, r.digest, r.received_ms, r.proof IS NOT NULL AS has_proof,
                          j.status
                        FROM receipts r LEFT JOIN jobs j ON j.id = r.job
                        WHERE r.node = ? AND r.rowid < ? ORDER BY r.rowid DESC LIMIT ?
                        """,
                    arguments: [
                        node.rawRepresentation, Int64(clamping: before ?? UInt64(Int64.max)), max(0, limit),
                    ]
                ).map {
                    (
                        $0["sequence"], $0["json"], $0["digest"], $0["received_ms"], $0["has_proof"],
                        $0["status"]
                    )
                }
            }
        }
        return try JobRows.nodeReceipts(rows, of: node)
    }

    // MARK: Helpers

    private func storage<T: Sendable>(_ what: String, _ body: () async throws -> T)
        async throws(ValidatorError) -> T
    {
        try await JobRows.storage(what, body)
    }
}
