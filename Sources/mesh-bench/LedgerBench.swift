import ArgumentParser
import Foundation
import Ledger
import PostgresNIO

/// `mesh-bench ledger`: durable append throughput with group commit, proof latency at large
/// sizes, and Merkle bytes per entry. Build with `-c release`.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Ledger: durable appends/s (group commit), proof latency p50/p99, Merkle bytes/entry.",
        discussion: """
            Example: swift run -c release mesh-bench ledger --appends 200000 --appenders 256 \
            --proof-sizes 1000000,10000000 --dir /tmp/ledger-bench
            Databases for --proof-sizes are kept in --dir and reused when they already hold that many entries.
            """)

    @Option(help: "Durable appends for the throughput run.") var appends = 200_000
    @Option(help: "Concurrent appending tasks.") var appenders = 256
    @Option(help: "Appends for the one-appender reference run (one commit per append).") var serialAppends =
        2_000
    @Option(help: "Entry size in bytes.") var entryBytes = 128
    @Option(help: "Comma-separated tree sizes for proof latency (0 or empty: skip).") var proofSizes =
        "1000000"
    @Option(help: "Proofs measured per size.") var proofs = 20_000
    @Option(help: "Directory for the benchmark databases (default: a temporary directory).") var dir: String?
    @Option(
        help: """
            PostgreSQL server URL (postgres://USER@HOST:PORT/DB): run every measurement on fresh \
            databases created there instead of SQLite files.
            """)
    var postgres: String?

    /// A fresh ledger named `name`: an SQLite file in `base`, or a new database on `--postgres`.
    func freshLedger(_ name: String, in base: URL, signer: NoteSigner) throws -> (
        Ledger, cleanup: @Sendable () -> Void
    ) {
        guard let postgres else {
            let path = base.appendingPathComponent("\(name)-\(UUID()).sqlite").path
            return (
                try Ledger(path: path, signer: signer),
                {
                    for suffix in ["", "-wal", "-shm"] {
                        try? FileManager.default.removeItem(atPath: path + suffix)
                    }
                }
            )
        }
        let link = try PostgresLink(url: try freshBenchDatabase(name, on: postgres), size: 4)
        return (try Ledger(store: PostgresLedgerStore(link: link), signer: signer), {})
    }

    func run() async throws {
        let base = URL(fileURLWithPath: dir ?? NSTemporaryDirectory()).appendingPathComponent(
            dir == nil ? "mesh-ledger-bench-\(UUID())" : "")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let signer = try NoteSigner(name: "bench.mesh/ledger", ed25519Seed32: Data(repeating: 1, count: 32))
        print(
            "ledger benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores); appends on "
                + (postgres.map { "PostgreSQL \((try? PostgresEndpoint(url: $0))?.description ?? $0)" }
                    ?? "SQLite")
                + "; databases in \(base.path)")

        // 1. Reference: one appender, so every append waits for its own commit (fsync).
        // Opening a PostgreSQL ledger blocks (PostgresLink): off the cooperative pool.
        let (serial, dropSerial) = try await runBlocking {
            try freshLedger("serial", in: base, signer: signer)
        }
        let serialTime = try await timed {
            for i in 0..<serialAppends { _ = try await serial.append(entry(i)) }
        }
        let serialRate = Double(serialAppends) / serialTime
        print(
            String(
                format: "one appender (one commit per append):  %8.0f appends/s  (%d appends)", serialRate,
                serialAppends))

        // 2. Group commit: many concurrent appenders share each commit.
        let (group, dropGroup) = try await runBlocking { try freshLedger("group", in: base, signer: signer) }
        let perTask = max(1, appends / appenders)
        let total = perTask * appenders
        let appenders = appenders
        let groupTime = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { g in
                for t in 0..<appenders {
                    g.addTask {
                        for i in 0..<perTask { _ = try await group.append(entry(t * perTask + i)) }
                    }
                }
                try await g.waitForAll()
            }
        }
        let groupRate = Double(total) / groupTime
        print(
            String(
                format:
                    "%d appenders (group commit):         %8.0f appends/s  (%d appends, %.1fx the one-appender rate)",
                appenders, groupRate, total, groupRate / serialRate))
        let stats = try await group.reading { l throws(LedgerError) in try l.storageStatistics() }
        printStats(stats)
        dropSerial()
        dropGroup()

        // 3. Proof latency at large sizes.
        let sizes = proofSizes.split(separator: ",").compactMap {
            UInt64($0.trimmingCharacters(in: .whitespaces))
        }
        for size in sizes where size > 0 {
            // A ledger to fill (an SQLite file kept for the next run, or a fresh PostgreSQL
            // database), and how to open it read-only as an auditor or the HTTP service would.
            let path = base.appendingPathComponent("proofs-\(size).sqlite").path
            let ledger: Ledger
            let openReader: @Sendable () throws -> Ledger
            if let postgres {
                let url = try await runBlocking { try freshBenchDatabase("proofs\(size)", on: postgres) }
                ledger = try await runBlocking {
                    try Ledger(
                        store: PostgresLedgerStore(link: try PostgresLink(url: url, size: 4)), signer: signer)
                }
                openReader = {
                    try Ledger(
                        store: PostgresLedgerStore(link: try PostgresLink(url: url, size: 2)), readOnly: true)
                }
            } else {
                ledger = try Ledger(path: path, signer: signer)
                openReader = { try Ledger(path: path, readOnly: true) }
            }
            if ledger.size < size {
                let start = Date()
                var next = ledger.size
                while next < size {
                    let n = min(UInt64(16_384), size - next)
                    _ = try await ledger.append(contentsOf: (0..<n).map { entry(Int(next + $0)) })
                    next += n
                    if next % 1_048_576 < 16_384 {
                        FileHandle.standardError.write(Data("  loading: \(next) / \(size)\n".utf8))
                    }
                }
                print(
                    String(
                        format: "loaded %llu entries in %.1f s (%.0f appends/s in batches of 16384)", size,
                        Date().timeIntervalSince(start), Double(size) / Date().timeIntervalSince(start)))
            }
            guard ledger.size == size else {
                print("  \(path) holds \(ledger.size) entries, not \(size); remove it to rebuild")
                continue
            }
            // Measure on a fresh read-only open, as an auditor or the HTTP service would see it.
            let reader = try await runBlocking { try openReader() }
            var rng = SystemRandomNumberGenerator()
            // Wall clock, and this thread's CPU time (which leaves out time spent descheduled on a
            // busy machine).
            var inclusion: [Double] = []
            var inclusionCPU: [Double] = []
            var consistency: [Double] = []
            for _ in 0..<proofs {
                let index = UInt64.random(in: 0..<size, using: &rng)
                let (t0, c0) = (DispatchTime.now().uptimeNanoseconds, threadCPUSeconds())
                _ = try reader.inclusionProof(index: index)
                inclusionCPU.append((threadCPUSeconds() - c0) * 1e6)
                inclusion.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            }
            for _ in 0..<(proofs / 10) {
                let old = UInt64.random(in: 1...size, using: &rng)
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try reader.consistencyProof(from: old)
                consistency.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            }
            print(
                String(
                    format: "size %llu, inclusion proof (verified before return), %d random leaves: %@", size,
                    proofs, summary(inclusion)))
            print("size \(size), inclusion proof, thread CPU time only: \(summary(inclusionCPU))")
            print(
                String(
                    format: "size %llu, consistency proof (verified), %d random old sizes:        %@", size,
                    proofs / 10, summary(consistency)))
            printStats(try reader.storageStatistics())
        }
    }

    func entry(_ i: Int) -> Data {
        var d = Data("karma entry \(i) ".utf8)
        if d.count < entryBytes {
            d.append(Data(repeating: UInt8(truncatingIfNeeded: i), count: entryBytes - d.count))
        }
        return d
    }

    func timed(_ body: () async throws -> Void) async throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func summary(_ micros: [Double]) -> String {
        let s = micros.sorted()
        guard !s.isEmpty else { return "-" }
        func q(_ p: Double) -> Double { s[min(s.count - 1, Int(p * Double(s.count)))] }
        return String(format: "p50 %.1f µs, p99 %.1f µs, max %.1f µs", q(0.5), q(0.99), s.last ?? 0)
    }

    func printStats(_ stats: StorageStatistics) {
        var line = String(
            format: "  storage: %llu entries, %.2f Merkle bytes/entry (tile blobs)", stats.entries,
            stats.tileBytesPerEntry)
        if let pages = stats.tilePageBytes, stats.entries > 0 {
            line += String(
                format: postgres == nil
                    ? ", %.2f bytes/entry on SQLite pages"
                    : ", %.2f bytes/entry in the tiles relation (with index, TOAST)",
                Double(pages) / Double(stats.entries))
        }
        line += String(
            format: postgres == nil ? ", file %.1f MiB" : ", ledger tables %.1f MiB",
            Double(stats.fileBytes) / 1_048_576)
        print(line)
    }
}
