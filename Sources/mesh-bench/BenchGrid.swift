import ArgumentParser
import Foundation
import Receipts
import Validator

/// A validator running in this process on a fresh data directory, with an orchestrator and
/// node keys, for the service and settlement benchmarks.
///
/// Jobs are announced and receipts signed through the real HTTP API (`setup`, a blocking loopback
/// client: call it off Swift's cooperative pool when timing matters, see ``offPool(_:)``).
struct BenchGrid {
    let orchestrator: SchnorrSigningKey
    let executor: KernelShardExecutor
    let server: RunningValidator
    let setup: LoopbackHTTPClient
    let directory: URL

    /// Starts a validator on `config` (its data directory and listen address are set here).
    static func start(config base: ValidatorConfig, executor: KernelShardExecutor, tag: String) async throws
        -> BenchGrid
    {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-\(tag)-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let orchestrator = SchnorrSigningKey.generate()
        var config = base
        config.listen = .init(host: "127.0.0.1", port: 0)
        config.dataDirectory = dir.path
        config.orchestrators = [orchestrator.publicKey.hex]
        config.logLevel = "error"
        let deps = try await ValidatorDependencies.open(config: config, executor: executor)
        let server = try await RunningValidator.start(config: config, dependencies: deps, logLevel: "error")
        return BenchGrid(
            orchestrator: orchestrator, executor: executor, server: server,
            setup: try LoopbackHTTPClient(port: server.port), directory: dir)
    }

    private init(
        orchestrator: SchnorrSigningKey, executor: KernelShardExecutor, server: RunningValidator,
        setup: LoopbackHTTPClient, directory: URL
    ) {
        self.orchestrator = orchestrator
        self.executor = executor
        self.server = server
        self.setup = setup
        self.directory = directory
    }

    /// A benchmark config: the given keys and policy, everything else the validator's defaults.
    static func config(settlement: ValidatorConfig.Settlement = .init()) -> ValidatorConfig {
        var config = ValidatorConfig(
            listen: .init(host: "127.0.0.1", port: 0), dataDirectory: "",
            identityKey: .init(hex: Hex.encode(SchnorrSigningKey.generate().rawRepresentation)),
            checkpointKey: .init(hex: String(repeating: "77", count: 32)), logOrigin: "bench.local/log",
            orchestrators: [])
        config.settlement = settlement
        return config
    }

    /// Shuts the validator down and removes its data.
    func stop() async throws {
        try await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A job of `layers` of `model` on `input`, announced over HTTP with its input, for `nodes`.
    func announce(
        tag: String, model: Digest32, layers: Range<UInt32>, input: Data, nodes: [XOnlyPublicKey]
    ) throws -> JobAnnouncement {
        let id = TaggedHash.hash(tag: "bench/job", Data("\(tag)-\(UUID())".utf8))
        let a = JobAnnouncement(
            jobID: id, modelID: model, layerStart: layers.lowerBound, layerEnd: layers.upperBound,
            inputCommitment: try executor.commitment(ofTensor: input), nodes: nodes,
            deadlineMs: ValidatorCore.systemNowMs() + 3_600_000, slaMs: 60_000,
            orchestrator: orchestrator.publicKey)
        let r = try setup.post(
            "/v1/jobs", json: JobSubmission(signed: try .sign(a, with: orchestrator), input: input).json())
        guard r.status == 201 else { throw ValidationError("announce: HTTP \(r.status) \(r.text)") }
        return a
    }

    /// The `POST /v1/receipts` body of `key`'s receipt for job `a` claiming `output`.
    func receiptBody(_ a: JobAnnouncement, by key: SchnorrSigningKey, output: Data, sequence: UInt64 = 0)
        throws
        -> Data
    {
        let receipt = Receipt(
            jobID: a.jobID, modelID: a.modelID, layerStart: a.layers.lowerBound,
            layerEnd: a.layers.upperBound,
            inputCommitment: a.inputCommitment, outputCommitment: try executor.commitment(ofTensor: output),
            node: key.publicKey, startedAtMs: 1, finishedAtMs: 2, sequence: sequence)
        return ReceiptSubmission(signed: try .sign(receipt, with: key), output: output).json()
    }

    /// The job's view, decoded.
    func job(_ id: Digest32) throws -> JobView {
        try JSONDecoder().decode(JobView.self, from: try setup.get("/v1/jobs/\(id.hex)").body)
    }

    /// Polls `/v1/status` until `count` jobs are final (settled or disputed).
    func waitFinal(_ count: Int) async throws {
        while true {
            let s = try JSONDecoder().decode(StatusView.self, from: try setup.get("/v1/status").body)
            if (s.jobs["settled"] ?? 0) + (s.jobs["disputed"] ?? 0) >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Polls `/v1/status` until no job is pending or settling.
    func drain() async throws {
        while true {
            let s = try JSONDecoder().decode(StatusView.self, from: try setup.get("/v1/status").body)
            if (s.jobs["pending"] ?? 0) == 0, (s.jobs["settling"] ?? 0) == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Runs blocking client code on a thread of its own: blocking a thread of Swift's cooperative
/// pool (two threads on this machine) would take it from the validator under test.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
