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
        var beats: [SignedHeartbeat] = []
        for blob in blobs {
            do { beats.append(try SignedHeartbeat(json: blob)) } catch {
                throw .storage("a journaled heartbeat does not decode: \(error)")
            }
        }
        return beats
    }

    public func journal(_ beat: SignedHeartbeat, replacing: Bool) throws(ValidatorError) {
        let node = beat.message.node.rawRepresentation
        let json = beat.json()
        do {
            try pool.write { db in
                if replacing {
                    try db.execute(sql: "DELETE FROM heartbeats WHERE node = ?", arguments: [node])
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO heartbeats(node, timestamp_ms, json) VALUES (?, ?, ?)",
                    arguments: [node, Int64(clamping: beat.message.timestampMs), json])
            }
        } catch {
            throw .storage("journaling a heartbeat: \(error)")
        }
    }

    public func forgetHeartbeats(of node: XOnlyPublicKey, through: UInt64) throws(ValidatorError) {
        do {
            try pool.write { db in
                try db.execute(
                    sql: "DELETE FROM heartbeats WHERE node = ? AND timestamp_ms <= ?",
                    arguments: [node.rawRepresentation, Int64(clamping: through)])
            }
        } catch {
            throw .storage("removing journaled heartbeats: \(error)")
        }
    }
}
