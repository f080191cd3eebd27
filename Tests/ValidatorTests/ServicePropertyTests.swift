import Foundation
import Karma
import Ledger
import Logging
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The whole service under seeded random concurrent traffic (issue 12 item 2): after every run,
/// the audit replays the ledger without error, its state hash equals the service's
/// (`/v1/status` `karmaStateHash`) and every `GET /v1/nodes/{pubkey}` equals the audit's account.
///
/// `MESH_PROPERTY_RUNS` (default 100, about two minutes) in-process runs on
/// the production store (SQLite job repository, Merkle ledger, karma rules, tiny model) with a
/// settable clock, each with a graceful restart midway; `MESH_PROPERTY_KILL_RUNS` (default 2) runs
/// against the `mesh-validator serve` binary with 1-second heartbeat windows, SIGKILLed midway and
/// restarted. `MESH_PROPERTY_SEED` sets the first seed (default: fixed); each failing run prints its
/// seed.
@Suite(.serialized)
struct ServicePropertyTests {
    static let environment = ProcessInfo.processInfo.environment
    static let runs = Int(environment["MESH_PROPERTY_RUNS"] ?? "") ?? 100
    static let killRuns = Int(environment["MESH_PROPERTY_KILL_RUNS"] ?? "") ?? 2
    static let firstSeed = UInt64(environment["MESH_PROPERTY_SEED"] ?? "") ?? 0x5EED_0012

    @Test func inProcessRunsAgreeWithTheAudit() async throws {
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        for run in 0..<Self.runs {
            let seed = Self.firstSeed &+ UInt64(run)
            let problems: [String]
            do { problems = try await inProcessRun(seed: seed, executor: executor) } catch {
                Issue.record("seed \(seed) (MESH_PROPERTY_SEED=\(seed) MESH_PROPERTY_RUNS=1): \(error)")
                continue
            }
            #expect(
                problems.isEmpty,
                "seed \(seed) (MESH_PROPERTY_SEED=\(seed) MESH_PROPERTY_RUNS=1): \(problems.joined(separator: "\n"))"
            )
        }
    }

    /// One in-process run: 12 rounds, the clock moving 0–4 minutes a round (10-minute windows, so
    /// edges are crossed with heartbeats in flight), a graceful restart after round 6.
    func inProcessRun(seed: UInt64, executor: KernelShardExecutor) async throws
        -> [String]
    {
        let directory = try RepoPaths.temporaryDirectory(prefix: "property-\(seed)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = TestClock()
        // Start a little before a window edge.
        clock.set(1_800_000_000_000 - 30_000)
        let traffic = try ServiceTraffic(seed: seed, nodes: 6, executor: executor, now: { clock.now })
        let config = traffic.config(directory: directory)
        var logger = Logger(label: "property")
        logger.logLevel = .critical
        func start() async throws -> RunningValidator {
            let deps = try await ValidatorDependencies.open(
                config: config, executor: executor, nowMs: { clock.now })
            return try await RunningValidator.start(
                config: config, dependencies: deps, logger: logger, nowMs: { clock.now })
        }
        var server: RunningValidator? = try await start()
        do {
            return try await drive(&server, start, traffic, clock, seed, directory)
        } catch {
            try? await server?.shutdown()
            throw error
        }
    }

    /// The rounds, restart, quiesce and audit of ``inProcessRun``; `server` is nil while stopped.
    private func drive(
        _ server: inout RunningValidator?, _ start: () async throws -> RunningValidator,
        _ traffic: ServiceTraffic, _ clock: TestClock, _ seed: UInt64, _ directory: URL
    ) async throws -> [String] {
        var serverErrors: [String] = []
        var rng = SplitMix64(seed: seed ^ 0xC10C)
        for round in 0..<12 {
            let groups = try await traffic.round(deadlineInMs: 90_000)
            // Move the clock while the round is in flight.
            let port = try #require(server).port
            async let sent = ServiceTraffic.send(groups, port: port)
            try await Task.sleep(for: .milliseconds(Int(rng.below(15))))
            clock.advance(ms: rng.below(240_000))
            serverErrors += await sent
            if round == 6 {
                let running = server
                server = nil
                try await running?.shutdown()
                server = try await start()
            }
        }
        // Past every deadline and the last window; let settlement and the liveness sweep finish.
        clock.advance(ms: 1_300_000)
        let port = try #require(server).port
        try await traffic.quiesce(port: port)
        let view = try await traffic.serviceView(port: port)
        let running = server
        server = nil
        try await running?.shutdown()
        let problems = traffic.audit(
            ledgerPath: directory.appendingPathComponent("ledger.sqlite").path, parameters: .v2, against: view
        )
        return problems + serverErrors.map { "server error: \($0)" }
    }

    @Test(.enabled(if: ServeBinary.url != nil, "needs the built mesh-validator binary"))
    func sigkilledProcessRunsAgreeWithTheAudit() async throws {
        let binary = try #require(ServeBinary.url)
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        for run in 0..<Self.killRuns {
            let seed = Self.firstSeed &+ 1000 &+ UInt64(run)
            let problems: [String]
            do { problems = try await killRun(seed: seed, binary: binary, executor: executor) } catch {
                Issue.record(
                    "kill run, seed \(seed) (MESH_PROPERTY_SEED=\(seed - 1000) MESH_PROPERTY_KILL_RUNS=1): \(error)"
                )
                continue
            }
            #expect(
                problems.isEmpty,
                "kill run, seed \(seed) (MESH_PROPERTY_SEED=\(seed - 1000) MESH_PROPERTY_KILL_RUNS=1): \(problems.joined(separator: "\n"))"
            )
        }
    }

    /// One run against `mesh-validator serve` on the system clock with 1-second windows (2
    /// heartbeats needed): 10 rounds about 250 ms apart, SIGKILL at a random round, restart, and
    /// the `audit balances` command as well as the library replay at the end.
    func killRun(seed: UInt64, binary: URL, executor: KernelShardExecutor) async throws -> [String] {
        let directory = try RepoPaths.temporaryDirectory(prefix: "property-kill-\(seed)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var parameters = KarmaParameters.v2
        parameters.heartbeatWindowMs = 1_000
        parameters.minHeartbeatsPerWindow = 2
        let paramsURL = directory.appendingPathComponent("params.json")
        try parameters.json().write(to: paramsURL)
        let traffic = try ServiceTraffic(
            seed: seed, nodes: 6, executor: executor, now: { ValidatorCore.systemNowMs() })
        let config = traffic.config(
            directory: directory.appendingPathComponent("data"), parametersFile: paramsURL.path)
        let configURL = directory.appendingPathComponent("config.json")
        try JSONEncoder().encode(config).write(to: configURL)
        var rng = SplitMix64(seed: seed ^ 0x4B11)
        let killAt = 2 + Int(rng.below(6))
        var server = try await onThread { try Self.serve(binary, configURL) }
        // Never leave a `serve` behind, whatever fails below.
        defer { if server.process.isRunning { server.kill9() } }
        for round in 0..<10 {
            let groups = try await traffic.round(deadlineInMs: 2_500)
            if round == killAt {
                // Kill with requests in flight; what was acknowledged must survive.
                let port = server.port
                async let sent = ServiceTraffic.send(groups, port: port)
                try await Task.sleep(for: .milliseconds(Int(rng.below(40))))
                server.kill9()
                _ = await sent
                server = try await onThread { try Self.serve(binary, configURL) }
            } else {
                _ = await ServiceTraffic.send(groups, port: server.port)
            }
            try await Task.sleep(for: .milliseconds(150 + Int(rng.below(200))))
        }
        try await Task.sleep(for: .milliseconds(3_000))
        try await traffic.quiesce(port: server.port)
        let view = try await traffic.serviceView(port: server.port)
        let finalServer = server
        #expect(try await onThread { finalServer.terminate() } == 0)
        let ledgerPath = directory.appendingPathComponent("data/ledger.sqlite").path
        var problems = traffic.audit(ledgerPath: ledgerPath, parameters: parameters, against: view)
        // The CLI auditor agrees too.
        let audit = try await onThread {
            try runProcess(
                binary.path, ["audit", "balances", "--db", ledgerPath, "--params", paramsURL.path, "--json"])
        }
        if audit.status != 0 {
            problems.append("mesh-validator audit balances exited \(audit.status): \(audit.stderrText)")
        } else if let doc = try? JSONSerialization.jsonObject(with: audit.stdout) as? [String: Any],
            doc["stateHash"] as? String != Self.replayHash(ledgerPath, parameters)
        {
            problems.append("audit balances state hash \(doc["stateHash"] ?? "none") ≠ the library replay's")
        }
        return problems
    }

    /// Starts `serve`, its standard error appended to `serve.log` beside the config (quoted when
    /// it does not come up).
    static func serve(_ binary: URL, _ config: URL) throws -> ServeProcess {
        try ServeProcess(
            binary: binary, config: config,
            log: config.deletingLastPathComponent().appendingPathComponent("serve.log"))
    }

    /// The state hash of a library replay of the whole ledger (nil when it does not replay).
    static func replayHash(_ path: String, _ parameters: KarmaParameters) -> String? {
        guard let ledger = try? Ledger(path: path, readOnly: true),
            let engine = try? KarmaEngine(parameters: parameters)
        else { return nil }
        var r = KarmaReplayer(engine: engine)
        guard (try? r.apply(upTo: ledger.size) { try ledger.entries(in: $0) }) != nil else { return nil }
        return r.state.stateHash.hex
    }
}
