import Foundation
import Karma
import Ledger
import Receipts
import Synchronization
import Testing

@testable import Validator

/// Seeded random traffic against a running validator, and the audit that must agree with it
/// afterwards (issue 12 item 2; specs/service.md, specs/karma.md §9).
///
/// One round sends, concurrently: heartbeats of every node (timestamps near the validator's
/// clock, so rounds that move the clock across a window edge close windows while other nodes'
/// heartbeats are in flight), receipts of the round's jobs (three nodes each; some jobs with a
/// wrong output, an equivocation or a missing receipt that leaves 2 of 3), and staking requests
/// (bond, unbond; some with a reused nonce). The seed decides every request; the interleaving is
/// up to the scheduler.
final class ServiceTraffic: @unchecked Sendable {
    let seed: UInt64
    let orchestrator: SchnorrSigningKey
    let nodes: [SchnorrSigningKey]
    let validatorKey: SchnorrSigningKey
    let executor: KernelShardExecutor
    let model: KernelShardExecutor.HeldModel
    /// The validator's clock (Unix ms).
    let now: @Sendable () -> UInt64
    private var rng: SplitMix64
    private var heartbeatSequence: [UInt64]
    private var lastHeartbeatMs: [UInt64]
    private var nonces: [UInt64]
    private(set) var jobs: [Digest32] = []
    private var jobCounter = 0

    init(seed: UInt64, nodes count: Int, executor: KernelShardExecutor, now: @escaping @Sendable () -> UInt64)
        throws
    {
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        func key() -> SchnorrSigningKey {
            while true {
                var bytes = Data()
                for _ in 0..<4 { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }
                if let k = try? SchnorrSigningKey(rawRepresentation: bytes) { return k }
            }
        }
        orchestrator = key()
        validatorKey = key()
        nodes = (0..<max(3, count)).map { _ in key() }
        self.rng = rng
        self.executor = executor
        model = try KernelShardExecutor.tinyModel()
        self.now = now
        heartbeatSequence = Array(repeating: 0, count: nodes.count)
        lastHeartbeatMs = Array(repeating: 0, count: nodes.count)
        nonces = Array(repeating: 0, count: nodes.count)
    }

    /// Genesis: the validator bonded at the minimum validator bond, every node some liquid karma.
    var genesis: [ValidatorConfig.GenesisAllocation] {
        [.init(node: validatorKey.publicKey.hex, balance: 0, bonded: KarmaParameters.v2.minValidatorBond)]
            + nodes.map { .init(node: $0.publicKey.hex, balance: 50_000_000, bonded: 0) }
    }

    func config(directory: URL, parametersFile: String? = nil) -> ValidatorConfig {
        var c = ValidatorConfig(
            listen: .init(host: "127.0.0.1", port: 0), dataDirectory: directory.path,
            identityKey: .init(hex: Hex.encode(validatorKey.rawRepresentation)),
            checkpointKey: .init(hex: String(repeating: "3b", count: 32)), logOrigin: "property.test/log",
            orchestrators: [orchestrator.publicKey.hex], karmaParametersFile: parametersFile,
            genesis: genesis)
        c.settlement.reExecute = .always
        c.settlement.sweepIntervalMs = 20
        c.logLevel = "error"
        return c
    }

    struct Request: Sendable {
        var method: String
        var path: String
        var body: Data?
    }

    /// One round's requests, in groups sent concurrently with each other; requests inside a group
    /// are sent in order on one connection (a node's own heartbeats, a job's announcement first).
    func round(deadlineInMs: UInt64) async throws -> [[Request]] {
        var groups: [[Request]] = []
        // Heartbeats: one or two per node, most nodes, timestamps near the clock.
        for i in nodes.indices where rng.chance(7, in: 8) {
            var lane: [Request] = []
            for _ in 0..<(1 + Int(rng.below(2))) {
                let t = max(lastHeartbeatMs[i] + 1, now() &- rng.below(1500))
                lastHeartbeatMs[i] = t
                heartbeatSequence[i] += 1
                let beat = try Signed.sign(
                    Heartbeat(node: nodes[i].publicKey, timestampMs: t, sequence: heartbeatSequence[i]),
                    with: nodes[i])
                lane.append(Request(method: "POST", path: "/v1/heartbeats", body: beat.json()))
            }
            groups.append(lane)
        }
        // Jobs: announce, then each assigned node's receipt(s) on its own lane.
        for _ in 0..<Int(rng.below(3)) {
            let (announce, receiptLanes) = try await job(deadlineInMs: deadlineInMs)
            groups.append([announce] + receiptLanes.flatMap { $0 })
        }
        // Staking.
        for _ in 0..<Int(rng.below(3)) {
            let i = Int(rng.below(UInt64(nodes.count)))
            let action: StakingAction = rng.chance(2, in: 3) ? .bond : .unbond
            let reuse = rng.chance(1, in: 6) && nonces[i] > 0
            if !reuse { nonces[i] += 1 + rng.below(2) }
            let request = StakingRequest(
                node: nodes[i].publicKey, action: action, amount: 1 + rng.below(5_000_000), nonce: nonces[i])
            let signed = try Signed.sign(request, with: nodes[i])
            groups.append([Request(method: "POST", path: "/v1/staking/\(action)", body: signed.json())])
        }
        return groups
    }

    /// A job's announcement and its receipts: all honest, one wrong output, one equivocation
    /// (two receipts with different outputs) or one receipt missing (settled 2 of 3 at the deadline).
    private func job(deadlineInMs: UInt64) async throws -> (Request, [[Request]]) {
        jobCounter += 1
        let input = try KernelShardExecutor.tokenTensor(
            (0..<5).map { _ in Int32(rng.below(64)) })
        let id = TaggedHash.hash(tag: "test/property/job", Data("\(seed)-\(jobCounter)".utf8))
        let a = JobAnnouncement(
            jobID: id, modelID: model.id, layerStart: 0, layerEnd: 2,
            inputCommitment: try executor.commitment(ofTensor: input),
            nodes: Array(nodes.prefix(3).map(\.publicKey)),
            deadlineMs: now() + deadlineInMs, slaMs: 1000, orchestrator: orchestrator.publicKey)
        let honest = try await executor.execute(modelID: model.id, layers: 0..<2, input: input).output
        let announce = Request(
            method: "POST", path: "/v1/jobs",
            body: JobSubmission(signed: try .sign(a, with: orchestrator), input: input).json())
        jobs.append(id)
        let kind = rng.below(5)  // 0, 1: honest; 2: wrong output; 3: equivocation; 4: 2 of 3
        let odd = Int(rng.below(3))
        var lanes: [[Request]] = []
        for i in 0..<3 {
            if kind == 4, i == odd { continue }
            var outputs = [honest]
            if kind == 2, i == odd { outputs = [KernelShardExecutor.perturb(honest)!] }
            if kind == 3, i == odd { outputs.append(KernelShardExecutor.perturb(honest)!) }
            var lane: [Request] = []
            for (k, out) in outputs.enumerated() {
                let r = Receipt(
                    jobID: id, modelID: model.id, layerStart: 0, layerEnd: 2,
                    inputCommitment: a.inputCommitment,
                    outputCommitment: try executor.commitment(ofTensor: out), node: nodes[i].publicKey,
                    startedAtMs: 1, finishedAtMs: 2, sequence: UInt64(jobCounter * 2 + k))
                lane.append(
                    Request(
                        method: "POST", path: "/v1/receipts",
                        body: ReceiptSubmission(signed: try .sign(r, with: nodes[i]), output: out).json()))
            }
            lanes.append(lane)
        }
        return (announce, lanes)
    }

    /// Sends `groups` concurrently (one connection per group); returns the 5xx answers seen.
    static func send(_ groups: [[Request]], port: Int) async -> [String] {
        await withTaskGroup(of: [String].self) { g in
            for lane in groups {
                g.addTask {
                    guard let client = try? LoopbackHTTPClient(port: port) else { return ["cannot connect"] }
                    var errors: [String] = []
                    for r in lane {
                        do {
                            let response = try await client.send(r.method, r.path, body: r.body)
                            if response.status >= 500 {
                                errors.append("\(r.path): \(response.status) \(response.text)")
                            }
                        } catch {
                            errors.append("\(r.path): \(error)")
                        }
                    }
                    return errors
                }
            }
            var all: [String] = []
            for await e in g { all += e }
            return all
        }
    }

    /// Waits until every job is settled and the ledger has stopped growing.
    func quiesce(port: Int, timeout: Duration = .seconds(60)) async throws {
        let client = try LoopbackHTTPClient(port: port)
        let deadline = ContinuousClock.now + timeout
        var pending = jobs
        while !pending.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw ValidatorError.unavailable("\(pending.count) job(s) never settled")
            }
            let r = try await client.send("GET", "/v1/jobs/\(pending[0].hex)")
            // 404: the announcement was never acknowledged (the process was killed first).
            if r.status == 404 {
                pending.removeFirst()
                continue
            }
            let view = try JSONDecoder().decode(JobView.self, from: r.body)
            if view.status.isFinal {
                pending.removeFirst()
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        var last: UInt64 = .max
        var stable = 0
        while stable < 4 {
            guard ContinuousClock.now < deadline else {
                throw ValidatorError.unavailable("the ledger never settled")
            }
            let s = try JSONDecoder().decode(
                StatusView.self, from: try await client.send("GET", "/v1/status").body)
            stable = s.ledgerSize == last ? stable + 1 : 0
            last = s.ledgerSize
            try await Task.sleep(for: .milliseconds(60))
        }
    }

    /// What the service says: its state hash and the account of every key of the run.
    struct ServiceView {
        var stateHash: String?
        var ledgerSize: UInt64
        var accounts: [XOnlyPublicKey: NodeAccount]
    }

    /// Reads the status and every account until the status is the same before and after the
    /// accounts (a window may close meanwhile on a real clock), so the view is of one state.
    func serviceView(port: Int) async throws -> ServiceView {
        let client = try LoopbackHTTPClient(port: port)
        func status() async throws -> StatusView {
            try JSONDecoder().decode(StatusView.self, from: try await client.send("GET", "/v1/status").body)
        }
        for _ in 0..<50 {
            let before = try await status()
            var accounts: [XOnlyPublicKey: NodeAccount] = [:]
            for key in nodes.map(\.publicKey) + [validatorKey.publicKey] {
                let r = try await client.send("GET", "/v1/nodes/\(key.hex)")
                if r.status == 200 {
                    accounts[key] = try JSONDecoder().decode(NodeAccount.self, from: r.body)
                }
            }
            let after = try await status()
            if before.ledgerSize == after.ledgerSize, before.karmaStateHash == after.karmaStateHash {
                return ServiceView(
                    stateHash: after.karmaStateHash, ledgerSize: after.ledgerSize, accounts: accounts)
            }
        }
        throw ValidatorError.unavailable("the service's state kept changing while it was read")
    }

    /// Replays `ledger.sqlite` as `mesh-validator audit` does and compares with `view`; returns
    /// every disagreement (empty when the service and the audit agree).
    func audit(ledgerPath: String, parameters: KarmaParameters, against view: ServiceView) -> [String] {
        var problems: [String] = []
        // The service's view is of its first `ledgerSize` entries; entries written after it (a
        // window closing on a real clock) must replay too.
        let replayer: KarmaReplayer
        do {
            let ledger = try Ledger(path: ledgerPath, readOnly: true)
            var r = KarmaReplayer(engine: try KarmaEngine(parameters: parameters))
            guard ledger.size >= view.ledgerSize else {
                return ["the service reported \(view.ledgerSize) entries, the ledger holds \(ledger.size)"]
            }
            try r.apply(upTo: view.ledgerSize, batchSize: 1024) { try ledger.entries(in: $0) }
            replayer = r
            try r.apply(upTo: ledger.size, batchSize: 1024) { try ledger.entries(in: $0) }
        } catch {
            return ["audit replay failed: \(error)"]
        }
        let state = replayer.state
        if view.stateHash != state.stateHash.hex {
            problems.append("state hash: service \(view.stateHash ?? "none"), audit \(state.stateHash.hex)")
        }
        for key in nodes.map(\.publicKey) + [validatorKey.publicKey] {
            let a = state.account(key)
            guard let got = view.accounts[key] else {
                if !a.isEmpty {
                    problems.append("\(key.hex.prefix(12)): service has no account, audit has \(a)")
                }
                continue
            }
            let s = a.scores
            let want = NodeAccount(
                node: key.hex, balance: a.balance, escrow: a.escrow, bonded: a.bonded,
                unbonding: (try? a.unbondingTotal()) ?? 0,
                jailed: a.isJailed, jailedUntilMs: a.jailedUntilMs,
                scores: [
                    "inference": s.inference, "seeding": s.seeding, "uptime": s.uptime,
                    "redundancy": s.redundancy,
                    "validation": s.validation,
                ],
                offences: UInt64(state.offences.values.filter { $0.node == key }.count), recentEntries: [])
            var g = got
            g.recentEntries = []
            if g != want { problems.append("\(key.hex.prefix(12)): service \(g), audit \(want)") }
        }
        return problems
    }
}
