import ArgumentParser
import Foundation
import Ledger
import Validator

/// `mesh-validator ledger migrate --from sqlite:DIR --to postgres:URL`: moves a stopped validator's
/// state (ledger and job store) into an empty PostgreSQL database and proves the copy
/// (specs/service.md §5.2).
struct LedgerMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract:
            "Copy a validator's SQLite data directory into an empty PostgreSQL database and prove the copy.",
        discussion: """
            Stop the validator first. Copies every ledger entry and signed checkpoint, then jobs, receipts, \
            tensors and journaled heartbeats; checks that both ledgers have the same size and root, that every \
            signed checkpoint's root matches the copy, that a full karma replay of each gives the same state \
            hash, and the row count of every table. Exit status 0 when the copy is proven, 1 when it differs, \
            2 when a side cannot be opened or the destination is not empty.
            """)

    @Option(help: "Source: sqlite:DIR (the validator's data directory).") var from: String
    @Option(help: "Destination: postgres:URL (postgres://USER@HOST:PORT/DATABASE, empty).") var to: String

    func run() async throws {
        guard from.hasPrefix("sqlite:"), !from.dropFirst(7).isEmpty else {
            throw malformed("--from must be sqlite:DIR (got \(from))")
        }
        guard to.hasPrefix("postgres:"), !to.dropFirst(9).isEmpty else {
            throw malformed("--to must be postgres:URL (got \(to))")
        }
        let directory = String(from.dropFirst(7))
        let url = String(to.dropFirst(9))
        do { _ = try PostgresEndpoint(url: url) } catch { throw malformed("--to: \(error)") }
        let report: StorageMigration.Report
        do {
            report = try await StorageMigration.copy(sqliteDirectory: directory, postgresURL: url) { step in
                FileHandle.standardError.write(Data("migrate: \(step)\n".utf8))
            }
        } catch {
            let text = "\(error)"
            if text.contains("differ") || text.contains("does not match") { throw invalid(text) }
            throw malformed(text)
        }
        let rows = report.rows.keys.sorted().map { "\($0) \(report.rows[$0] ?? 0)" }.joined(separator: ", ")
        print(
            """
            copied and proven: \(report.entries) entries, root \(report.root.base64), \
            \(report.checkpoints) checkpoints, karma state \(report.karmaStateHash.hex); rows: \(rows)
            """)
    }
}
