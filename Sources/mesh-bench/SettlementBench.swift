import ArgumentParser
import Foundation
import Receipts
import Synchronization
import Validator

/// `mesh-bench settlement`: settled jobs per second under each settlement policy, settlement
/// latency, and how responsive `POST /v1/receipts` stays while shards run (issue 15, items 2 and
/// 4). Build with `-c release`.
struct SettlementBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settlement",
        abstract:
            "Settled jobs/s for always vs audited (and with disputes); latency; receipt p99 under load.",
        discussion: """
            Example: mesh-bench settlement --model /tmp/smol/smollm2 --layers 15 --tokens 16 --jobs 200
            Each scenario starts a fresh validator in this process (real SQLite, ledger, karma rules, \
            kernel). Honest outputs are computed before timing. Backlog: the first two receipts of \
            every job are posted untimed, then the completing receipts of all jobs at once; the rate \
            is jobs / (first completing receipt → last job final). Disputed jobs have a fresh third \
            node that claims a perturbed output (so its slash makes no other quorum an offender's). \
            While the backlog settles, a probe posts single receipts (of jobs that never complete) at \
            --probe-rate and records each round trip; the same probe runs first on the idle validator. \
            Latency: --latency-jobs jobs completed one at a time on the idle validator, from the \
            completing receipt's acknowledgement to the verdict (server side).
            """)

    @Option(help: "Model package directory (default: the project's tiny model).") var model: String?
    @Option(help: "Shard: layers [0, --layers).") var layers: UInt32 = 15
    @Option(help: "Tokens per job input.") var tokens = 16
    @Option(help: "Distinct inputs (their honest outputs are computed before timing).") var inputs = 4
    @Option(help: "Jobs in each backlog.") var jobs = 200
    @Option(help: "Audit probability for `audited`, ppm (the rules' minimums apply when higher).")
    var auditPPM = 50_000
    @Option(help: "Percent of jobs disputed in the disputed scenarios.") var disputedPercent = 10
    @Option(
        help: "Scenarios, comma separated: always, audited, audited-disputed, always-disputed, on-dispute.")
    var scenarios = "always,audited,audited-disputed"
    @Option(help: "Compute threads of the validator (settlement.computeThreads).")
    var computeThreads = ComputePool.defaultThreads
    @Option(help: "Jobs settled before timing, so the nodes are established (not new) for the audit rule.")
    var warmup = 3
    @Option(help: "Jobs completed one at a time for the latency figure.") var latencyJobs = 40
    @Option(help: "Single receipts per second posted by the responsiveness probe.") var probeRate = 20

    struct Scenario {
        var name: String
        var policy: ValidatorConfig.Settlement.ReExecute
        var disputed: Bool
    }

    func run() async throws {
        let executor = try KernelShardExecutor.open(modelDirectory: model, includeTiny: model == nil)
        guard let held = executor.models.values.first(where: { model == nil || !$0.name.hasPrefix("tiny-") })
        else { throw ValidationError("no model loaded from \(model ?? "the tiny model")") }
        let shard: Range<UInt32> = 0..<(model == nil ? min(layers, 2) : layers)
        print(
            "settlement benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, compute threads \(computeThreads); "
                + "model \(held.name), layers \(shard), \(tokens) tokens, \(jobs) jobs per backlog")
        var honest: [(input: Data, output: Data)] = []
        var kernelMs: [Double] = []
        for i in 0..<max(1, inputs) {
            let input = try KernelShardExecutor.tokenTensor(
                (0..<tokens).map { Int32(($0 * 7 + i * 13) % 60 + 1) })
            let start = DispatchTime.now().uptimeNanoseconds
            let e = try await executor.execute(modelID: held.id, layers: shard, input: input)
            kernelMs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            honest.append((input, e.output))
        }
        let macs = try executor.multiplyAccumulates(modelID: held.id, layers: shard, input: honest[0].input)
        print(
            String(
                format: "one re-execution: %.1f ms (best of %d; %.0f MMACs); output %d bytes",
                kernelMs.min() ?? 0, kernelMs.count, Double(macs) / 1e6, honest[0].output.count))
        var rates: [String: Double] = [:]
        for name in scenarios.split(separator: ",").map(String.init) {
            let scenario: Scenario
            switch name {
            case "always": scenario = .init(name: name, policy: .always, disputed: false)
            case "audited": scenario = .init(name: name, policy: .audited, disputed: false)
            case "audited-disputed": scenario = .init(name: name, policy: .audited, disputed: true)
            case "always-disputed": scenario = .init(name: name, policy: .always, disputed: true)
            case "on-dispute": scenario = .init(name: name, policy: .onDispute, disputed: false)
            default: throw ValidationError("unknown scenario \(name)")
            }
            rates[name] = try await run(scenario, model: held.id, shard: shard, honest: honest)
        }
        if let always = rates["always"] {
            for (name, rate) in rates.sorted(by: { $0.key < $1.key }) where name != "always" {
                print(String(format: "%@ ÷ always: %.1f×", name, rate / always))
            }
        }
    }

    /// One scenario on a fresh validator; returns its backlog rate in jobs/s.
    func run(_ s: Scenario, model: Digest32, shard: Range<UInt32>, honest: [(input: Data, output: Data)])
        async throws -> Double
    {
        var settlement = ValidatorConfig.Settlement(
            sweepIntervalMs: 50, computeThreads: computeThreads, reExecute: s.policy, auditPPM: auditPPM)
        settlement.mode = .reExecute
        let grid = try await BenchGrid.start(
            config: BenchGrid.config(settlement: settlement), executor: try executorFor(), tag: "settlement")
        let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }

        /// Job `n`: announced with its first two receipts posted; returns the completing receipt.
        func stage(_ n: Int, disputed: Bool) throws -> (Digest32, Data) {
            let (input, output) = honest[n % honest.count]
            let third = disputed ? SchnorrSigningKey.generate() : nodes[2]
            let a = try grid.announce(
                tag: "\(s.name)-\(n)", model: model, layers: shard, input: input,
                nodes: [nodes[0].publicKey, nodes[1].publicKey, third.publicKey])
            for i in 0..<2 {
                let r = try grid.setup.post(
                    "/v1/receipts", json: try grid.receiptBody(a, by: nodes[i], output: output))
                guard r.status == 202 else { throw ValidationError("receipt: HTTP \(r.status) \(r.text)") }
            }
            let claimed = disputed ? (KernelShardExecutor.perturb(output) ?? output) : output
            return (a.jobID, try grid.receiptBody(a, by: third, output: claimed, sequence: 2))
        }

        // Warm-up: the nodes earn their first inference karma, so the audit rule treats them as
        // established (specs/karma.md §5.8).
        for n in 0..<warmup {
            let (_, last) = try stage(n, disputed: false)
            _ = try grid.setup.post("/v1/receipts", json: last)
        }
        try await grid.waitFinal(warmup)

        // The probe on the idle validator; its jobs never complete.
        let probeJobs = try (0..<(40 + probeRate * 60)).map { n -> Data in
            let a = try grid.announce(
                tag: "\(s.name)-probe-\(n)", model: model, layers: shard, input: honest[0].input,
                nodes: nodes.map(\.publicKey))
            return try grid.receiptBody(a, by: nodes[0], output: honest[0].output)
        }
        let idle = try await probe(grid, bodies: Array(probeJobs.prefix(40)), until: nil)

        // Backlog.
        let disputedEvery = s.disputed ? max(1, 100 / max(1, disputedPercent)) : 0
        var staged: [(Digest32, Data)] = []
        for n in 0..<jobs {
            staged.append(try stage(warmup + n, disputed: disputedEvery > 0 && n % disputedEvery == 0))
        }
        let done = StopFlag()
        async let loaded = probe(grid, bodies: Array(probeJobs.dropFirst(40)), until: done)
        let port = grid.server.port
        let requests = staged.map {
            ServiceBench.Request(
                bytes: LoopbackHTTPClient.encode(method: "POST", path: "/v1/receipts", body: $0.1),
                receipts: 1)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let posted = await ServiceBench.blast(requests, ports: [port], lanes: 4, depth: 2)
        try await grid.waitFinal(warmup + jobs)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        done.stop()
        let underLoad = try await loaded

        var methods: [String: Int] = [:]
        var audited = 0
        var drawnPPM: [Double] = []
        var backlogMs: [Double] = []
        var disputedJobs = 0
        for (id, _) in staged {
            let view = try grid.job(id)
            guard let record = view.settlement else { throw ValidationError("job \(id.hex) is not final") }
            methods[record.method, default: 0] += 1
            if let draw = record.audit {
                drawnPPM.append(Double(draw.probabilityPPM))
                if draw.audited { audited += 1 }
            }
            if view.status == .disputed { disputedJobs += 1 }
            if let micros = record.latencyMicros { backlogMs.append(Double(micros) / 1000) }
        }
        let rate = Double(jobs) / seconds
        print(
            "── \(s.name): policy \(s.policy.rawValue)\(s.disputed ? ", \(disputedPercent)% disputed" : "")")
        print(
            String(
                format:
                    "  backlog: %d jobs settled in %.2f s = %.1f jobs/s (%d completing receipts acknowledged, %d refused)",
                jobs, seconds, rate, posted.ok, posted.failed))
        print(
            "  how: \(methods.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
                + "draws \(drawnPPM.count) at mean p = \(String(format: "%.1f%%", drawnPPM.reduce(0, +) / Double(max(1, drawnPPM.count)) / 1e4)), "
                + "\(audited) audited; disputed verdicts \(disputedJobs)")
        print(
            String(
                format:
                    "  latency in the backlog (completing receipt → verdict, server): p50 %.1f ms, p99 %.1f ms",
                percentile(backlogMs, 0.5), percentile(backlogMs, 0.99)))
        print(
            String(
                format:
                    "  POST /v1/receipts round trip at %d/s: idle p50 %.2f ms, p99 %.2f ms; during the backlog p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)",
                probeRate, percentile(idle, 0.5), percentile(idle, 0.99), percentile(underLoad, 0.5),
                percentile(underLoad, 0.99), underLoad.max() ?? 0, underLoad.count))

        // Latency, one job at a time.
        var serial: [Double] = []
        for n in 0..<latencyJobs {
            let (id, last) = try stage(
                warmup + jobs + n, disputed: disputedEvery > 0 && n % disputedEvery == 0)
            _ = try grid.setup.post("/v1/receipts", json: last)
            while true {
                let view = try grid.job(id)
                if view.status.isFinal {
                    if let micros = view.settlement?.latencyMicros { serial.append(Double(micros) / 1000) }
                    break
                }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        print(
            String(
                format: "  latency one job at a time (%d jobs, server): p50 %.1f ms, p99 %.1f ms",
                serial.count, percentile(serial, 0.5), percentile(serial, 0.99)))
        try await grid.stop()
        return rate
    }

    /// The executor for a scenario's validator (each loads the model afresh: no shared caches).
    func executorFor() throws -> KernelShardExecutor {
        try KernelShardExecutor.open(modelDirectory: model, includeTiny: model == nil)
    }

    /// Posts `bodies` one at a time at `probeRate` per second on a thread of its own, until
    /// `until` is set (or, when nil, until they are all posted); returns round trips in ms.
    func probe(_ grid: BenchGrid, bodies: [Data], until: StopFlag?) async throws -> [Double] {
        let port = grid.server.port
        let interval = 1.0 / Double(max(1, probeRate))
        return try await offPool { () throws -> [Double] in
            let client = try LoopbackHTTPClient(port: port)
            var out: [Double] = []
            for body in bodies {
                if let until, until.isStopped { break }
                let start = DispatchTime.now().uptimeNanoseconds
                let r = try client.post("/v1/receipts", json: body)
                guard r.status == 202 else {
                    throw ValidationError("probe receipt: HTTP \(r.status) \(r.text)")
                }
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                out.append(ms)
                Thread.sleep(forTimeInterval: max(0, interval - ms / 1000))
            }
            if let until, !until.isStopped {
                print("  (the probe ran out of prepared receipts before the backlog settled)")
            }
            return out
        }
    }

    /// Set once by the benchmark, read by the probe's thread.
    final class StopFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func stop() { value.store(true, ordering: .releasing) }
        var isStopped: Bool { value.load(ordering: .acquiring) }
    }
}
