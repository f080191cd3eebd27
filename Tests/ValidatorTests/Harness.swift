import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Validator

/// Keys, jobs and receipts for settlement tests, and a validator core on a fresh job store (an
/// SQLite file, or a fresh PostgreSQL database) with the fake kernel and a recording karma ledger.
final class Harness: Sendable {
    let orchestrator = SchnorrSigningKey.generate()
    let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }
    let validatorKey = SchnorrSigningKey.generate()
    let model = FakeExecutor.sha(Data("model".utf8))
    let karma: RecordingKarmaLedger
    let clock = TestClock()
    let core: ValidatorCore
    let config: ValidatorConfig
    let directory: URL

    /// - Parameter karmaLedger: the core's karma store instead of the recording one (`karma`
    ///   then stays empty), e.g. a `LedgerKarmaBook` for tests of the ledger views.
    ///   `executor`: instead of `FakeExecutor(models: [model])`; `computeThreads`: the settlement
    ///   batch's parallelism (default 1, so tests see one job planned at a time); `reExecute`:
    ///   the policy for unanimous jobs (default `always`, so tests see every job re-executed).
    init(
        mode: ValidatorConfig.Settlement.Mode = .reExecute, limits: ValidatorConfig.Limits = .init(),
        karmaLedger: (any KarmaLedger)? = nil, executor: (any ShardExecutor)? = nil, computeThreads: Int = 1,
        reExecute: ValidatorConfig.Settlement.ReExecute = .always, auditPPM: Int = 50_000,
        backend: StorageBackend = .sqlite
    ) throws {
        directory = try RepoPaths.temporaryDirectory(prefix: "validator-test")
        karma = RecordingKarmaLedger(bonded: [validatorKey.publicKey])
        var config = ValidatorConfig(
            dataDirectory: directory.path,
            identityKey: .init(hex: Hex.encode(validatorKey.rawRepresentation)),
            checkpointKey: .init(hex: String(repeating: "11", count: 32)),
            orchestrators: [orchestrator.publicKey.hex])
        config.settlement.mode = mode
        config.settlement.computeThreads = computeThreads
        config.settlement.reExecute = reExecute
        config.settlement.auditPPM = auditPPM
        config.limits = limits
        self.config = config
        let repository: any JobRepository =
            switch backend {
            case .sqlite:
                try SQLiteJobRepository(path: directory.appendingPathComponent("validator.sqlite").path)
            case .postgres: try PostgresJobRepository(link: try PostgresTestServer.freshLink())
            }
        let clock = self.clock
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        core = try buildCore(
            config: config,
            dependencies: ValidatorDependencies(
                repository: repository, karma: karmaLedger ?? karma,
                executor: executor ?? FakeExecutor(models: [model]),
                proofs: FakeProofChecker(), validatorKey: validatorKey),
            logger: logger, nowMs: { clock.now })
    }

    var now: UInt64 { clock.now }
    func advance(ms: UInt64) { clock.advance(ms: ms) }

    var router: Router<ValidatorRequestContext> { buildRouter(core: core, limits: config.limits) }

    /// Input tensor bytes for job number `n`.
    func input(_ n: Int) -> Data { Data("input-\(n)".utf8) }

    /// The honest output for `input` over `layers`.
    func honestOutput(_ input: Data, layers: Range<UInt32> = 0..<2) -> Data {
        FakeExecutor.run(layers: layers, input: input)
    }

    func jobID(_ n: Int) -> Digest32 { FakeExecutor.sha(Data("job-\(n)".utf8)) }

    func announcement(_ n: Int, deadlineIn: UInt64 = 60_000, layers: Range<UInt32> = 0..<2) -> JobAnnouncement
    {
        JobAnnouncement(
            jobID: jobID(n), modelID: model, layerStart: layers.lowerBound, layerEnd: layers.upperBound,
            inputCommitment: FakeExecutor.sha(input(n)), nodes: nodes.map(\.publicKey),
            deadlineMs: now + deadlineIn, slaMs: 500, orchestrator: orchestrator.publicKey)
    }

    func jobBody(_ n: Int, withInput: Bool = true, deadlineIn: UInt64 = 60_000) throws -> Data {
        let signed = try SignedJobAnnouncement.sign(
            announcement(n, deadlineIn: deadlineIn), with: orchestrator)
        return JobSubmission(signed: signed, input: withInput ? input(n) : nil).json()
    }

    func signedReceipt(
        job n: Int, node i: Int, output: Data, sequence: UInt64 = 1, proof: Data? = nil,
        layers: Range<UInt32> = 0..<2
    ) throws -> SignedReceipt {
        let receipt = Receipt(
            version: Receipt.currentVersion, jobID: jobID(n), modelID: model, layerStart: layers.lowerBound,
            layerEnd: layers.upperBound, inputCommitment: FakeExecutor.sha(input(n)),
            outputCommitment: FakeExecutor.sha(output), node: nodes[i].publicKey, startedAtMs: 1000,
            finishedAtMs: 1100, sequence: sequence,
            proofRef: proof.map { ReceiptSubmission.proofReference(for: $0) })
        return try SignedReceipt.sign(receipt, with: nodes[i])
    }

    func receiptBody(
        job n: Int, node i: Int, output: Data? = nil, sequence: UInt64 = 1, withInput: Bool = false,
        proof: Data? = nil
    ) throws -> Data {
        let out = output ?? honestOutput(input(n))
        let signed = try signedReceipt(job: n, node: i, output: out, sequence: sequence, proof: proof)
        return ReceiptSubmission(signed: signed, output: out, input: withInput ? input(n) : nil, proof: proof)
            .json()
    }
}

/// Response status and decoded JSON body.
struct Reply {
    var status: Int
    var body: Data

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: body) }
    var errorCode: String? { (try? decode(ErrorBody.self))?.error.code }
}

extension TestClientProtocol {
    /// Sends `body` as JSON (`Content-Type: application/json` on a POST, as the API requires).
    func send(_ method: HTTPRequest.Method, _ uri: String, _ body: Data? = nil) async throws -> Reply {
        var headers = HTTPFields()
        if method == .post { headers[.contentType] = "application/json" }
        return try await execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }
        ) { response in
            Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView))
        }
    }
}

/// A settable wall clock (Unix ms) for deadline tests.
final class TestClock: Sendable {
    private let value = Mutex<UInt64>(1_700_000_000_000)
    var now: UInt64 { value.withLock { $0 } }
    func advance(ms: UInt64) { value.withLock { $0 += ms } }
    func set(_ ms: UInt64) { value.withLock { $0 = ms } }
}
