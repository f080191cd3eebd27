import ArgumentParser
import Foundation
import Receipts
import Synchronization
import Validator

/// `mesh-bench service`: receipts ingested per second end to end (HTTP on loopback, JSON, BIP-340
/// check, output-tensor commitment, durable group-committed SQLite write), and settlement latency
/// for tiny-model jobs. Build with `-c release`.
struct ServiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Validator service: receipts/s ingested over loopback HTTP; settlement latency p50/p99.",
        discussion: """
            Example: swift run -c release mesh-bench service --receipts 30000 --connections 8 --pipeline 16
            The validator runs in this process (real SQLite, ledger, karma rules and tiny-model kernel); \
            the load generator's connections are plain blocking sockets on threads of the same process, \
            so client and server share the machine's cores. Requests are bounded by --receipts.
            """)

    @Option(help: "Receipts to ingest (3 per job; rounded down to a multiple of 3).") var receipts = 30_000
    @Option(help: "Concurrent keep-alive connections of the load generator.") var connections = 8
    @Option(help: "HTTP/1.1 pipelining depth per connection.") var pipeline = 16
    @Option(help: "Jobs for the settlement-latency run.") var settleJobs = 300
    @Option(help: "Tokens per job input (tiny model, max 64).") var tokens = 8
    @Option(help: "Receipts per request: 1 posts to /v1/receipts, more to /v1/receipts/batch.")
    var batch = 1
    @Flag(help: "Only the ingest phase without settlement (nodes A and B's receipts), e.g. for profiling.")
    var ingestOnly = false

    func run() async throws {
        var config = BenchGrid.config()
        config.settlement.sweepIntervalMs = 50
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        let model = try KernelShardExecutor.tinyModel()
        let grid = try await BenchGrid.start(config: config, executor: executor, tag: "service")
        let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }
        let server = grid.server
        let setup = grid.setup
        print(
            "service benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, validator on 127.0.0.1:\(server.port)"
        )

        // Jobs and signed receipts are prepared before timing.
        func prepare(_ count: Int, tag: String) async throws -> [(Digest32, [Data])] {
            var out: [(Digest32, [Data])] = []
            for n in 0..<count {
                let input = try KernelShardExecutor.tokenTensor((0..<tokens).map { Int32(($0 * 5 + n) % 64) })
                let honest = try await executor.execute(modelID: model.id, layers: 0..<2, input: input)
                let a = try grid.announce(
                    tag: "\(tag)-\(n)", model: model.id, layers: 0..<2, input: input,
                    nodes: nodes.map(\.publicKey))
                let bodies = try nodes.enumerated().map { i, key in
                    try grid.receiptBody(a, by: key, output: honest.output, sequence: UInt64(i))
                }
                out.append((a.jobID, bodies))
            }
            return out
        }

        // 1. Ingestion throughput. Phase a: the receipts of nodes A and B (no job is complete, so
        // nothing settles: ingestion alone). Phase b: node C's receipts, each completing a job, so
        // every request also queues a settlement that runs on the same cores.
        let jobs = try await prepare(receipts / 3, tag: "ingest")
        let perRequest = max(1, min(batch, ReceiptBatch.maxItems))
        let firstTwo = Self.requests(jobs.map { $0.1[0] } + jobs.map { $0.1[1] }, perRequest: perRequest)
        let completing = Self.requests(jobs.map { $0.1[2] }, perRequest: perRequest)
        let bodyBytes = firstTwo.map(\.bytes.count).reduce(0, +) / max(1, firstTwo.count)
        print(
            "prepared \(jobs.count) jobs, \(jobs.count * 3) receipts (\(perRequest) per request, \(bodyBytes) bytes per request)"
        )
        fflush(nil)  // the line marks the start of the timed phase, also when output is piped
        let port = server.port
        let (lanes, depth) = (connections, pipeline)
        let a = await Self.blast(firstTwo, ports: [port], lanes: lanes, depth: depth)
        print(
            "ingest without settlement: \(fmt(Double(a.ok) / a.seconds)) receipts/s (\(a.ok) acknowledged durable, \(a.failed) failed, "
                + String(
                    format: "%.2f s, %d connections × pipeline %d, %d per request)", a.seconds, lanes, depth,
                    perRequest))
        if ingestOnly {
            try await grid.stop()
            return
        }
        let b = await Self.blast(completing, ports: [port], lanes: lanes, depth: depth)
        print(
            "ingest completing jobs (settlement queued alongside): \(fmt(Double(b.ok) / b.seconds)) receipts/s (\(b.ok) acknowledged, \(b.failed) failed, "
                + String(format: "%.2f s)", b.seconds))

        // Let the settlement backlog drain before measuring latency.
        let drainStart = Date()
        try await grid.drain()
        print(
            String(
                format: "settlement backlog of %d jobs drained %.2f s after ingest", jobs.count,
                Date().timeIntervalSince(drainStart)))

        // 2. Settlement latency: one job at a time, from the last receipt's acknowledgement to the
        // verdict being recorded (server-side, microseconds) and as a client sees it (polling).
        let latencyJobs = try await prepare(settleJobs, tag: "latency")
        let (serverMs, clientMs) = try await offPool { () throws -> ([Double], [Double]) in
            var serverMs: [Double] = []
            var clientMs: [Double] = []
            for (id, bodies) in latencyJobs {
                for body in bodies.dropLast() { _ = try setup.post("/v1/receipts", json: body) }
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try setup.post("/v1/receipts", json: bodies[bodies.count - 1])
                while true {
                    let view = try JSONDecoder().decode(
                        JobView.self, from: try setup.get("/v1/jobs/\(id.hex)").body)
                    if view.status.isFinal {
                        clientMs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                        if let micros = view.settlement?.latencyMicros {
                            serverMs.append(Double(micros) / 1000)
                        }
                        break
                    }
                }
            }
            return (serverMs, clientMs)
        }
        print(
            String(
                format:
                    "settlement latency (tiny model, %d tokens, layers [0,2), %d jobs): server p50 %.2f ms, p99 %.2f ms; "
                    + "client-observed p50 %.2f ms, p99 %.2f ms",
                tokens, latencyJobs.count, percentile(serverMs, 0.5), percentile(serverMs, 0.99),
                percentile(clientMs, 0.5),
                percentile(clientMs, 0.99)))
        try await grid.stop()
    }

    /// One pre-encoded HTTP request carrying `receipts` receipts.
    struct Request: Sendable {
        var bytes: Data
        var receipts: Int
        /// Posted to /v1/receipts/batch (the body lists one result per receipt).
        var isBatch = false
    }

    /// Receipt bodies as pre-encoded requests of `perRequest` receipts each: `POST /v1/receipts`
    /// for one, `POST /v1/receipts/batch` for more.
    static func requests(_ bodies: [Data], perRequest: Int) -> [Request] {
        guard perRequest > 1 else {
            return bodies.map {
                Request(
                    bytes: LoopbackHTTPClient.encode(method: "POST", path: "/v1/receipts", body: $0),
                    receipts: 1)
            }
        }
        return stride(from: 0, to: bodies.count, by: perRequest).map { start in
            let group = bodies[start..<min(start + perRequest, bodies.count)]
            let body =
                Data("{\"receipts\":[".utf8) + Data(group.joined(separator: Data(",".utf8))) + Data("]}".utf8)
            return Request(
                bytes: LoopbackHTTPClient.encode(method: "POST", path: "/v1/receipts/batch", body: body),
                receipts: group.count, isBatch: true)
        }
    }

    /// What a blast measured: receipts acknowledged (2xx) and refused, wall seconds, and the CPU
    /// seconds the load generator's own threads used (to tell the validator's share of the
    /// process's CPU time from the client's).
    struct BlastResult: Sendable {
        var ok: Int
        var failed: Int
        var seconds: Double
        var clientCPUSeconds: Double
    }

    /// Sends pre-encoded requests over `lanes` keep-alive connections, each on its own thread
    /// (blocking sockets; `concurrentPerform` would run only one lane per core), `depth`
    /// pipelined at a time, lane `i` to `ports[i % ports.count]`, and counts the receipts
    /// acknowledged with a 2xx (for a batch, the 2xx results in its body).
    static func blast(_ requests: [Request], ports: [Int], lanes: Int, depth: Int) async -> BlastResult {
        // `blastBlocking` does not throw.
        (try? await offPool { blastBlocking(requests, ports: ports, lanes: lanes, depth: depth) })
            ?? BlastResult(ok: 0, failed: 0, seconds: 0, clientCPUSeconds: 0)
    }

    private static func blastBlocking(_ requests: [Request], ports: [Int], lanes: Int, depth: Int)
        -> BlastResult
    {
        let ok = Mutex(0)
        let failed = Mutex(0)
        let clientCPU = Mutex(0.0)
        let done = DispatchGroup()
        let seconds = time {
            for lane in 0..<lanes {
                done.enter()
                let thread = Thread {
                    let cpu0 = threadCPUSeconds()
                    defer {
                        clientCPU.withLock { $0 += threadCPUSeconds() - cpu0 }
                        done.leave()
                    }
                    guard let c = try? LoopbackHTTPClient(port: ports[lane % ports.count]) else { return }
                    let mine = Array(stride(from: lane, to: requests.count, by: lanes))
                    var k = 0
                    while k < mine.count {
                        let window = mine[k..<min(k + depth, mine.count)]
                        var batch = Data()
                        for i in window { batch.append(requests[i].bytes) }
                        do {
                            try c.send(batch)
                            for i in window {
                                let r = try c.readResponse()
                                let (good, bad) = acknowledged(r, requests[i])
                                ok.withLock { $0 += good }
                                failed.withLock { $0 += bad }
                            }
                        } catch {
                            failed.withLock { $0 += window.map { requests[$0].receipts }.reduce(0, +) }
                            return
                        }
                        k += depth
                    }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            done.wait()
        }
        return BlastResult(
            ok: ok.withLock { $0 }, failed: failed.withLock { $0 }, seconds: seconds,
            clientCPUSeconds: clientCPU.withLock { $0 })
    }

    /// Receipts acknowledged (2xx) and refused in one response.
    static func acknowledged(_ r: LoopbackHTTPClient.Response, _ request: Request) -> (ok: Int, failed: Int) {
        guard (200..<300).contains(r.status) else { return (0, request.receipts) }
        guard request.isBatch else { return (1, 0) }
        guard let ack = try? JSONDecoder().decode(ReceiptBatchAck.self, from: r.body) else {
            return (0, request.receipts)
        }
        let good = ack.results.filter { (200..<300).contains($0.status) }.count
        return (good, ack.results.count - good)
    }
}
