import Foundation
import GRDB
import Receipts
import TestSupport
import Testing

@testable import Validator

/// `validator.sqlite` written by an earlier schema opens under the current one with nothing lost.
@Suite struct StorageMigrationTests {
    /// The first released schema (migration "v1"), verbatim.
    static let v1Schema = """
        CREATE TABLE jobs(
          id BLOB PRIMARY KEY NOT NULL, announcement BLOB NOT NULL, signature BLOB NOT NULL,
          status TEXT NOT NULL, deadline_ms INTEGER NOT NULL, input BLOB, created_ms INTEGER NOT NULL,
          settlement BLOB
        ) WITHOUT ROWID;
        CREATE INDEX jobs_by_status ON jobs(status, deadline_ms);
        CREATE TABLE receipts(
          job BLOB NOT NULL, node BLOB NOT NULL, digest BLOB NOT NULL, output BLOB NOT NULL,
          json BLOB NOT NULL, proof BLOB, received_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
          PRIMARY KEY(job, node, digest)
        ) WITHOUT ROWID;
        CREATE TABLE tensors(commitment BLOB PRIMARY KEY NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1');
        """

    @Test func aVersion1DatabaseKeepsEveryJobReceiptAndTensor() async throws {
        let h = try Harness()
        let path = h.directory.appendingPathComponent("old.sqlite").path
        let signed = try SignedJobAnnouncement.sign(h.announcement(1), with: h.orchestrator)
        let output = h.honestOutput(h.input(1))
        let receipt = try h.signedReceipt(job: 1, node: 0, output: output)
        do {
            let old = try DatabaseQueue(path: path)
            try await old.write { db in
                try db.execute(sql: Self.v1Schema)
                try db.execute(
                    sql: """
                        INSERT INTO jobs(id, announcement, signature, status, deadline_ms, input, created_ms)
                        VALUES (?, ?, ?, 'pending', ?, ?, ?)
                        """,
                    arguments: [
                        h.jobID(1).bytes, JSONOutput.data(signed.announcement.jsonObject(), pretty: false),
                        signed.signature.rawRepresentation, Int64(h.now + 60_000), h.input(1), Int64(h.now),
                    ])
                try db.execute(
                    sql: "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, NULL, ?, 1)",
                    arguments: [
                        h.jobID(1).bytes, h.nodes[0].publicKey.rawRepresentation,
                        receipt.receipt.digest.bytes,
                        receipt.receipt.outputCommitment.bytes, receipt.json(), Int64(h.now),
                    ])
                try db.execute(
                    sql: "INSERT INTO tensors VALUES (?, ?)",
                    arguments: [receipt.receipt.outputCommitment.bytes, output])
            }
        }

        let repository = try SQLiteJobRepository(path: path)
        let job = try #require(try await repository.job(h.jobID(1)))
        #expect(job.signed.announcement == signed.announcement)
        #expect(job.status == .pending)
        #expect(try await repository.input(of: h.jobID(1)) == h.input(1))
        let stored = try await repository.receipts(of: h.jobID(1))
        #expect(stored.map(\.digest) == [receipt.receipt.digest])
        #expect(try await repository.tensor(receipt.receipt.outputCommitment) == output)
        // The migrated tables take new rows with the same rules: node 1 reports, node 0's
        // receipt again is a duplicate.
        let second = try h.signedReceipt(job: 1, node: 1, output: output)
        let added = try await repository.store(
            ReceiptToStore(
                signed: second, digest: second.receipt.digest, output: output, input: nil, proof: nil,
                receivedMs: h.now))
        #expect(added.disposition == .accepted)
        #expect(added.nodesReported == 2)
        let again = try await repository.store(
            ReceiptToStore(
                signed: receipt, digest: receipt.receipt.digest, output: output, input: nil, proof: nil,
                receivedMs: h.now))
        #expect(again.disposition == .duplicate)
    }
}
