import ArgumentParser
import Foundation
import Ledger
import Receipts
import Validator

/// `mesh-bench ingest`: receipts ingested per second on SQLite, on PostgreSQL with one validator
/// process and with two (a leader and a follower of one cluster, specs/service.md §8), in the
/// same run, and where each receipt's CPU time goes: the validator, the load generator, the
/// PostgreSQL server.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Receipts/s on SQLite and on PostgreSQL with 1 and 2 validator processes; CPU per receipt.",
        discussion: """
            Example: swift run -c release mesh-bench ingest --postgres postgres://postgres@127.0.0.1:PORT/postgres
            Each configuration gets fresh storage (an SQLite directory, or a new database on the server) \
            and the receipts of nodes A and B of --receipts/2 jobs (no job completes, so nothing settles: \
            ingestion alone: HTTP, JSON, BIP-340, tensor commitment, durable group-committed write). \
            The configurations run interleaved, --rounds times. The validators run in this process \
            (two processes = two servers with their own pools and stores on the same database); the \
            load generator's threads are timed on their own, so the validator's CPU time is this \
            process's minus theirs. PostgreSQL's is the CPU time of every process named postgres \
            on this machine during the phase.
            """)

    @Option(help: "PostgreSQL server URL (postgres://USER@HOST:PORT/DB); fresh databases are created there.")
    var postgres: String
    @Option(help: "Receipts per configuration (2 per job).") var receipts = 10_000
    @Option(help: "Concurrent keep-alive connections of the load generator.") var connections = 8
    @Option(help: "HTTP/1.1 pipelining depth per connection.") var pipeline = 4
    @Option(help: "Receipts per request: 1 posts to /v1/receipts, more to /v1/receipts/batch.") var batch = 1
    @Option(help: "Rounds over the three configurations.") var rounds = 2

    enum Storage: CustomStringConvertible {
        case sqlite
        case postgres(processes: Int)

        var description: String {
            switch self {
            case .sqlite: "SQLite, 1 process"
            case .postgres(let n): "PostgreSQL, \(n) process\(n == 1 ? "" : "es")"
            }
        }
    }

    func run() async throws {
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        let model = try KernelShardExecutor.tinyModel()
        let honest = try await executor.execute(
            modelID: model.id, layers: 0..<2,
            input: try KernelShardExecutor.tokenTensor([1, 2, 3, 4, 5, 6, 7, 8]))
        print(
            "ingest benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(receipts) receipts per "
                + "configuration, \(connections) connections × pipeline \(pipeline), \(batch) per request")
        for round in 0..<max(1, rounds) {
            for storage in [Storage.sqlite, .postgres(processes: 1), .postgres(processes: 2)] {
                try await measure(
                    storage, round: round, executor: executor, model: model.id, output: honest.output)
            }
        }
    }

    func measure(
        _ storage: Storage, round: Int, executor: KernelShardExecutor, model: Digest32, output: Data
    ) async throws {
        var config = BenchGrid.config()
        config.settlement.sweepIntervalMs = 50
        var processes = 1
        if case .postgres(let n) = storage {
            let url = try await runBlocking { try freshBenchDatabase("ingest", on: postgres) }
            config.storage = .postgres(url: url, pool: 8)
            config.cluster = .init(name: "bench-0")
            processes = n
        }
        let grid = try await BenchGrid.start(config: config, executor: executor, tag: "ingest")
        var followers: [RunningValidator] = []
        for i in 1..<processes {
            var peer = config
            peer.orchestrators = [grid.orchestrator.publicKey.hex]
            peer.listen = .init(host: "127.0.0.1", port: 0)
            peer.logLevel = "error"
            peer.cluster = .init(name: "bench-\(i)")
            let deps = try await ValidatorDependencies.open(config: peer, executor: executor)
            followers.append(
                try await RunningValidator.start(config: peer, dependencies: deps, logLevel: "error"))
        }
        let nodes = (0..<2).map { _ in SchnorrSigningKey.generate() }
        let input = try KernelShardExecutor.tokenTensor([1, 2, 3, 4, 5, 6, 7, 8])
        var bodies: [Data] = []
        for n in 0..<(receipts / 2) {
            let a = try grid.announce(
                tag: "ingest-\(round)-\(n)", model: model, layers: 0..<2, input: input,
                nodes: nodes.map(\.publicKey) + [SchnorrSigningKey.generate().publicKey])
            for (i, key) in nodes.enumerated() {
                bodies.append(try grid.receiptBody(a, by: key, output: output, sequence: UInt64(i)))
            }
        }
        let requests = ServiceBench.requests(bodies, perRequest: max(1, min(batch, ReceiptBatch.maxItems)))
        let ports = [grid.server.port] + followers.map(\.port)
        let (process0, server0) = (processCPUSeconds(), postgresServerCPUSeconds())
        let r = await ServiceBench.blast(requests, ports: ports, lanes: connections, depth: pipeline)
        let (process1, server1) = (processCPUSeconds(), postgresServerCPUSeconds())
        let perReceipt = { (seconds: Double) in seconds / Double(max(1, r.ok)) * 1e6 }
        var line = String(
            format: "round %d, %@: %@ receipts/s (%d acknowledged, %d failed, %.2f s); CPU per receipt: "
                + "validator %.0f µs, load generator %.0f µs",
            round, storage.description, fmt(Double(r.ok) / r.seconds), r.ok, r.failed, r.seconds,
            perReceipt(process1 - process0 - r.clientCPUSeconds), perReceipt(r.clientCPUSeconds))
        if case .postgres = storage {
            line += String(format: ", PostgreSQL %.0f µs", perReceipt(server1 - server0))
        }
        print(line)
        fflush(nil)
        for follower in followers { try await follower.shutdown() }
        try await grid.stop()
    }

}
