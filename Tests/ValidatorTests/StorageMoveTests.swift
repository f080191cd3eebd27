import Foundation
import Kernel
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// `ledger migrate` (issue 16 item 5): a validator that ran on SQLite is copied into PostgreSQL,
/// the copy is proven, and the validator started on the copy serves the same state.
@Suite(.serialized) struct StorageMoveTests {
    @Test(
        "A validator moved from SQLite to PostgreSQL serves the same jobs, accounts and checkpoint",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func movedValidatorServesTheSameState() async throws {
        let h = try await LiveHarness()
        let agreed = try await h.announce()
        for i in 0..<3 { try await h.post(agreed, node: i) }
        let disputed = try await h.announce()
        try await h.post(disputed, node: 0)
        try await h.post(
            disputed, node: 1, output: KernelShardExecutor.perturb(disputed.honest.output, delta: 1)!)
        try await h.post(disputed, node: 2)
        _ = try await h.settled(agreed)
        _ = try await h.settled(disputed)
        let views = [
            try await h.client.send("GET", "/v1/jobs/\(agreed.id.hex)").text,
            try await h.client.send("GET", "/v1/jobs/\(disputed.id.hex)").text,
        ]
        let accounts = try await [h.account(0), h.account(1), h.account(2)]
        let checkpoint = try await h.client.send("GET", "/checkpoint").text
        try await h.stop()

        let url = try PostgresTestServer.freshDatabase()
        let report = try await StorageMigration.copy(sqliteDirectory: h.directory.path, postgresURL: url)
        let sqlite = try Ledger(
            path: h.directory.appendingPathComponent("ledger.sqlite").path, readOnly: true)
        #expect(report.entries == sqlite.size && report.root == sqlite.root)
        #expect(report.checkpoints == (try sqlite.signedCheckpoints().count))
        // Two jobs, six receipts, three output tensors (two honest outputs and the wrong one).
        #expect(report.rows["jobs"] == 2 && report.rows["receipts"] == 6 && report.rows["tensors"] == 3)

        h.config.storage = .postgres(url: url, pool: 2)
        try await h.start()
        #expect(try await h.client.send("GET", "/v1/jobs/\(agreed.id.hex)").text == views[0])
        #expect(try await h.client.send("GET", "/v1/jobs/\(disputed.id.hex)").text == views[1])
        #expect(try await [h.account(0), h.account(1), h.account(2)] == accounts)
        let moved = try await h.client.send("GET", "/checkpoint").text
        #expect(moved == checkpoint, "the same log signs the same checkpoint")
        try await h.stop()

        // Into a database that is not empty: refused, nothing changed.
        await #expect(throws: ValidatorError.self) {
            try await StorageMigration.copy(sqliteDirectory: h.directory.path, postgresURL: url)
        }
    }
}
