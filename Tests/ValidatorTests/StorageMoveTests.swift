import Foundation
import Kernel
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// `ledger migrate` (issue 16 item 5): a validator that ran on SQLite is copied into PostgreSQL,
/// the copy is proven, and the validator started on the copy serves the same state.
///
/// The phases are separate functions: as one async function the test's frame overflowed its
/// task-allocator slab after ~50 suspension points (AddressSanitizer: heap-buffer-overflow in the
/// test's own frame, Swift 6.3.1), which showed as glibc heap corruption without the sanitizer.
@Suite(.serialized) struct StorageMoveTests {
    /// What a client sees of the validator's state.
    struct Served: Equatable {
        var views: [String]
        var accounts: [NodeAccount?]
        var checkpoint: String
    }

    /// Settles one unanimous and one disputed job (a slash) on the running validator.
    static func settleTwoJobs(_ h: LiveHarness) async throws -> [LiveHarness.Job] {
        let agreed = try await h.announce()
        for i in 0..<3 { try await h.post(agreed, node: i) }
        let disputed = try await h.announce()
        let wrong = try #require(KernelShardExecutor.perturb(disputed.honest.output, delta: 1))
        try await h.post(disputed, node: 0)
        try await h.post(disputed, node: 1, output: wrong)
        try await h.post(disputed, node: 2)
        _ = try await h.settled(agreed)
        _ = try await h.settled(disputed)
        return [agreed, disputed]
    }

    /// The job views, the nodes' accounts and the checkpoint, as served.
    static func served(_ h: LiveHarness, jobs: [LiveHarness.Job]) async throws -> Served {
        var views: [String] = []
        for job in jobs { views.append(try await h.client.send("GET", "/v1/jobs/\(job.id.hex)").text) }
        var accounts: [NodeAccount?] = []
        for i in 0..<3 { accounts.append(try await h.account(i)) }
        return Served(
            views: views, accounts: accounts, checkpoint: try await h.client.send("GET", "/checkpoint").text)
    }

    @Test(
        "A validator moved from SQLite to PostgreSQL serves the same jobs, accounts and checkpoint",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func movedValidatorServesTheSameState() async throws {
        let h = try await LiveHarness()
        let jobs = try await Self.settleTwoJobs(h)
        let before = try await Self.served(h, jobs: jobs)
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
        let after = try await Self.served(h, jobs: jobs)
        try await h.stop()
        #expect(after == before, "the same views and accounts; the same log signs the same checkpoint")

        // Into a database that is not empty: refused, nothing changed.
        await #expect(throws: ValidatorError.self) {
            try await StorageMigration.copy(sqliteDirectory: h.directory.path, postgresURL: url)
        }
    }
}
