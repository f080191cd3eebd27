import Foundation
import Karma
import Receipts
import Synchronization

/// What the SQL backends of `JobRepository` (SQLite, PostgreSQL) share: the columns they read,
/// how those decode into domain values, and the receipt rules applied inside the write
/// transaction. The backends only run SQL; the meaning of the rows is written once, here.
enum JobRows {
    /// The stored columns of a job row, read inside the database call (rows are not Sendable).
    struct JobColumns: Sendable {
        var announcement: Data
        var signature: Data
        var status: String
        var hasInput: Bool
        var createdMs: Int64
        var settlement: Data?
    }

    /// The stored columns of a receipt of a job.
    typealias ReceiptColumns = (digest: Data, json: Data, proof: Data?, receivedMs: Int64)

    /// The columns of a receipt on a node's page.
    typealias NodeReceiptColumns = (
        sequence: Int64, json: Data, digest: Data, receivedMs: Int64, hasProof: Bool, status: String?
    )

    /// One group of the per-minute settlement counts.
    typealias MinuteColumns = (minute: Int64, status: String, method: String?, count: Int)

    /// One settlement as the `finish` update writes it: id, status, settlement JSON, settled-at
    /// ms, method.
    typealias FinishColumns = (id: Data, status: String, settlement: Data, settledMs: Int64, method: String)

    static func decodeJob(_ row: JobColumns) throws(ValidatorError) -> JobRecord {
        do {
            let announcement = try JobAnnouncement(jsonObject: try StrictJSON.parse(row.announcement))
            let signature = try SchnorrSignature(rawRepresentation: row.signature)
            guard let status = JobStatus(rawValue: row.status) else {
                throw ValidatorError.storage("job \(announcement.jobID): unknown status \(row.status)")
            }
            let settlement = try row.settlement.map {
                try JSONDecoder().decode(SettlementRecord.self, from: $0)
            }
            return JobRecord(
                signed: SignedJobAnnouncement(announcement: announcement, signature: signature),
                status: status,
                hasInput: row.hasInput, createdMs: UInt64(clamping: row.createdMs), settlement: settlement)
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .storage("a stored job does not decode: \(error)")
        }
    }

    static func decodeReceipts(_ rows: [ReceiptColumns], of id: Digest32) throws(ValidatorError)
        -> [StoredReceipt]
    {
        var out: [StoredReceipt] = []
        for row in rows {
            do {
                out.append(
                    StoredReceipt(
                        signed: try SignedReceipt(json: row.json), digest: try Digest32(bytes: row.digest),
                        receivedMs: UInt64(clamping: row.receivedMs), proof: row.proof))
            } catch {
                throw .storage("a stored receipt of job \(id) does not decode: \(error)")
            }
        }
        return out
    }

    /// What to do with a receipt for a pending job, given the `(digest, output)` of the receipts
    /// its node already has stored for the job (specs/service.md §4.3).
    enum ReceiptPlan {
        /// Already held (same receipt, or same output): store nothing.
        case duplicate
        /// Store it, with this disposition (`accepted` or `equivocation`).
        case insert(ReceiptDisposition)
        /// Refuse it: the first receipt and one equivocating receipt already prove the offence;
        /// storing more would let one node grow the store without bound.
        case refuse(ValidatorError)
    }

    static func plan(_ item: ReceiptToStore, prior: [(digest: Data, output: Data)]) -> ReceiptPlan {
        let r = item.signed.receipt
        let output = r.outputCommitment.bytes
        if prior.contains(where: { $0.digest == item.digest.bytes || $0.output == output }) {
            return .duplicate
        }
        if prior.count >= 2 { return .refuse(.equivocationAlreadyHeld(node: r.node.hex, job: r.jobID.hex)) }
        return .insert(prior.isEmpty ? .accepted : .equivocation)
    }

    /// Stores a batch of receipts inside the backend's open write transaction, in order: each is
    /// refused (its job unknown or no longer pending, or a third receipt of an equivocating node),
    /// found already held, or inserted with its output tensor and the job's input; per-item faults
    /// are results, not throws (specs/service.md §4.3).
    ///
    /// - Throws: what the backend's statements throw (the whole batch then fails).
    static func storeBatch(_ batch: [ReceiptToStore], into rows: some ReceiptRowWriter) throws
        -> [Result<ReceiptStoreResult, ValidatorError>]
    {
        var results: [Result<ReceiptStoreResult, ValidatorError>] = []
        results.reserveCapacity(batch.count)
        for item in batch {
            let r = item.signed.receipt
            let job = r.jobID.bytes
            if let refusal = refusal(jobStatus: try rows.lockedJobStatus(job), job: r.jobID) {
                results.append(.failure(refusal))
                continue
            }
            let disposition: ReceiptDisposition
            switch plan(item, prior: try rows.prior(job: job, node: r.node.rawRepresentation)) {
            case .duplicate: disposition = .duplicate
            case .refuse(let error):
                results.append(.failure(error))
                continue
            case .insert(let d):
                disposition = d
                try rows.insert(item)
            }
            results.append(
                .success(
                    ReceiptStoreResult(
                        disposition: disposition, nodesReported: try rows.nodesReported(job: job)))
            )
        }
        return results
    }

    /// The status a receipt's job must have for the receipt to be stored, as a refusal otherwise.
    static func refusal(jobStatus: String?, job: Digest32) -> ValidatorError? {
        guard let jobStatus else { return .unknownJob(job.hex) }
        return jobStatus == JobStatus.pending.rawValue ? nil : .jobAlreadySettled(job.hex)
    }

    static func finishColumns(_ updates: [(Digest32, JobStatus, SettlementRecord)]) throws(ValidatorError)
        -> [FinishColumns]
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var rows: [FinishColumns] = []
        for (id, status, settlement) in updates {
            do {
                rows.append(
                    (
                        id.bytes, status.rawValue, try encoder.encode(settlement),
                        Int64(clamping: settlement.settledAtMs), settlement.method
                    ))
            } catch {
                throw .internalFailure("encoding settlement: \(error)")
            }
        }
        return rows
    }

    /// The stored statuses of frozen jobs. A row with a bad id or an unknown status is a damaged
    /// store: refused by name (skipping it would leave that job unsettled without a word).
    static func statuses(_ pairs: [(Data, String)]) throws(ValidatorError) -> [Digest32: JobStatus] {
        var result: [Digest32: JobStatus] = [:]
        for (bytes, text) in pairs {
            let id: Digest32
            do { id = try Digest32(bytes: bytes) } catch { throw .storage("bad stored job id: \(error)") }
            guard let status = JobStatus(rawValue: text) else {
                throw .storage("job \(id.hex) has an unknown stored status \"\(text)\"")
            }
            result[id] = status
        }
        return result
    }

    static func jobIDs(_ ids: [Data]) throws(ValidatorError) -> [Digest32] {
        var out: [Digest32] = []
        for id in ids {
            do { out.append(try Digest32(bytes: id)) } catch { throw .storage("bad stored job id: \(error)") }
        }
        return out
    }

    static func statusCounts(_ rows: [(String, Int)]) -> [JobStatus: Int] {
        var counts: [JobStatus: Int] = [:]
        for (status, n) in rows {
            if let status = JobStatus(rawValue: status) { counts[status] = n }
        }
        return counts
    }

    /// The first Unix ms of `minute`, clamped to `Int64.max`.
    static func firstMs(ofMinute minute: UInt64) -> Int64 {
        minute > UInt64(Int64.max) / 60_000 ? Int64.max : Int64(minute * 60_000)
    }

    static func minutes(_ rows: [MinuteColumns]) -> [SettlementMinute] {
        var byMinute: [UInt64: SettlementMinute] = [:]
        for row in rows {
            let minute = UInt64(clamping: row.minute)
            var m =
                byMinute[minute] ?? SettlementMinute(minute: minute, settled: 0, disputed: 0, methods: [:])
            if row.status == JobStatus.settled.rawValue {
                m.settled += row.count
            } else {
                m.disputed += row.count
            }
            m.methods[row.method ?? "none", default: 0] += row.count
            byMinute[minute] = m
        }
        return byMinute.keys.sorted().compactMap { byMinute[$0] }
    }

    static func nodeReceipts(_ rows: [NodeReceiptColumns], of node: XOnlyPublicKey) throws(ValidatorError)
        -> [NodeReceipt]
    {
        var out: [NodeReceipt] = []
        for row in rows {
            do {
                let signed = try SignedReceipt(json: row.json)
                guard let status = row.status.flatMap(JobStatus.init(rawValue:)) else {
                    throw ValidatorError.storage("receipt of job \(signed.receipt.jobID.hex) has no job")
                }
                out.append(
                    NodeReceipt(
                        sequence: UInt64(clamping: row.sequence), jobId: signed.receipt.jobID.hex,
                        receiptDigest: try Digest32(bytes: row.digest).hex,
                        outputCommitment: signed.receipt.outputCommitment.hex,
                        receivedAtMs: UInt64(clamping: row.receivedMs), hasProof: row.hasProof,
                        jobStatus: status))
            } catch let error as ValidatorError {
                throw error
            } catch {
                throw .storage("a stored receipt of node \(node.hex) does not decode: \(error)")
            }
        }
        return out
    }

    static func heartbeats(_ blobs: [Data]) throws(ValidatorError) -> [SignedHeartbeat] {
        var beats: [SignedHeartbeat] = []
        for blob in blobs {
            do { beats.append(try SignedHeartbeat(json: blob)) } catch {
                throw .storage("a journaled heartbeat does not decode: \(error)")
            }
        }
        return beats
    }

    /// Runs `body`, mapping any error that is not a `ValidatorError` to `.storage("what: …")`.
    static func storage<T>(_ what: String, _ body: () async throws -> T) async throws(ValidatorError) -> T {
        do {
            return try await body()
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .storage("\(what): \(error)")
        }
    }
}

/// The statements ``JobRows/storeBatch(_:into:)`` runs, inside one write transaction of a backend.
protocol ReceiptRowWriter {
    /// The job's status, its row locked against concurrent writers where the backend can
    /// (PostgreSQL: `FOR UPDATE`; SQLite's write transaction already excludes them).
    func lockedJobStatus(_ job: Data) throws -> String?
    /// `(digest, output)` of the receipts `node` has stored for `job`.
    func prior(job: Data, node: Data) throws -> [(digest: Data, output: Data)]
    /// Inserts the receipt (next sequence number of its job), its output tensor unless held, and
    /// the job's input when the job has none.
    func insert(_ item: ReceiptToStore) throws
    /// Distinct nodes with a receipt stored for `job`.
    func nodesReported(job: Data) throws -> Int
}

/// Announcements are immutable once stored: a bounded cache of them for the receipt hot path
/// (cleared whole when full).
final class AnnouncementCache: Sendable {
    private let entries = Mutex<[Digest32: SignedJobAnnouncement]>([:])
    private static let limit = 200_000

    func insert(_ signed: SignedJobAnnouncement) {
        entries.withLock { c in
            if c.count >= Self.limit { c.removeAll(keepingCapacity: true) }
            c[signed.announcement.jobID] = signed
        }
    }

    /// The announcement of job `id`: cached, or read with `load` and cached; `nil` for an unknown job.
    func announcement(
        _ id: Digest32, load: () async throws(ValidatorError) -> JobRecord?
    ) async throws(ValidatorError) -> SignedJobAnnouncement? {
        if let hit = entries.withLock({ $0[id] }) { return hit }
        guard let record = try await load() else { return nil }
        insert(record.signed)
        return record.signed
    }
}
