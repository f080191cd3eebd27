import Foundation
import GRDB
import Karma
import Receipts

extension SQLiteJobRepository: HeartbeatJournal {
    public func pendingHeartbeats() throws(ValidatorError) -> [SignedHeartbeat] {
        let blobs: [Data]
        do {
            blobs = try pool.read { db in
                try Data.fetchAll(db, sql: "SELECT json FROM heartbeats ORDER BY node, timestamp_ms")
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
    static func apply(_ changes: [HeartbeatJournalChange], db: Database) throws {
        for change in changes {
            switch change {
            case .add(let beat, let replacing):
                let node = beat.message.node.rawRepresentation
                if replacing {
                    try db.execute(sql: "DELETE FROM heartbeats WHERE node = ?", arguments: [node])
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO heartbeats(node, timestamp_ms, json) VALUES (?, ?, ?)",
                    arguments: [node, Int64(clamping: beat.message.timestampMs), beat.json()])
            case .forget(let node, let through):
                try db.execute(
                    sql: "DELETE FROM heartbeats WHERE node = ? AND timestamp_ms <= ?",
                    arguments: [node.rawRepresentation, Int64(clamping: through)])
            }
        }
    }
}
