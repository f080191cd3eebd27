import Foundation
import Groth16
import Kernel
import Proofs
import Receipts
import TestSupport
import Testing

@testable import Validator

/// A validator on real HTTP (127.0.0.1, port 0) with the production adapters: the job store (SQLite,
/// or PostgreSQL),
/// the Merkle ledger with the karma rules, and the integer kernel running the tiny model.
final class LiveHarness: @unchecked Sendable {
    let orchestrator = SchnorrSigningKey.generate()
    let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }
    let validatorKey = SchnorrSigningKey.generate()
    let directory: URL
    var config: ValidatorConfig
    let executor: KernelShardExecutor
    let model: KernelShardExecutor.HeldModel
    var server: RunningValidator!
    var client: LoopbackHTTPClient!
    private var counter = 0

    /// - Parameter circuits: circuit files (under Circuits/) to register.
    init(
        limits: ValidatorConfig.Limits = .init(), mode: ValidatorConfig.Settlement.Mode = .reExecute,
        circuits: [String] = [], genesis: [ValidatorConfig.GenesisAllocation] = [],
        backend: StorageBackend = .sqlite, cluster: ValidatorConfig.Cluster? = nil
    ) async throws {
        directory = try RepoPaths.temporaryDirectory(prefix: "validator-live")
        var config = ValidatorConfig(
            listen: .init(host: "127.0.0.1", port: 0), dataDirectory: directory.path,
            identityKey: .init(hex: Hex.encode(validatorKey.rawRepresentation)),
            checkpointKey: .init(hex: String(repeating: "2a", count: 32)), logOrigin: "test.local/log",
            orchestrators: [orchestrator.publicKey.hex])
        config.settlement.reExecute = .always
        if !circuits.isEmpty {
            let dir = directory.appendingPathComponent("circuits")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // A groth16 circuit's verifying key NAME.vk.json travels with it.
            let keys = circuits.map { String($0.dropLast(5)) + ".vk.json" }
            for name in circuits + keys
            where FileManager.default.fileExists(
                atPath: RepoPaths.root().appendingPathComponent("Circuits/\(name)").path)
            {
                try FileManager.default.copyItem(
                    at: RepoPaths.root().appendingPathComponent("Circuits/\(name)"),
                    to: dir.appendingPathComponent(name))
            }
            config.circuitDirectory = dir.path
        }
        config.settlement.mode = mode
        config.settlement.sweepIntervalMs = 20
        config.limits = limits
        config.logLevel = "error"
        config.genesis = genesis
        if backend == .postgres {
            config.storage = .postgres(url: try PostgresTestServer.freshDatabase(), pool: 4)
        }
        config.cluster = cluster
        self.config = config
        executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true)
        model = try KernelShardExecutor.tinyModel()
        try await start()
    }

    func start() async throws {
        let deps = try await ValidatorDependencies.open(config: config, executor: executor)
        server = try await RunningValidator.start(config: config, dependencies: deps, logLevel: "error")
        client = try LoopbackHTTPClient(port: server.port)
    }

    func stop() async throws { try await server.shutdown() }

    /// A fresh token input of `n` tokens.
    func input(_ seed: Int, tokens n: Int = 6) throws -> Data {
        try KernelShardExecutor.tokenTensor((0..<n).map { Int32(($0 * 7 + seed) % 64) })
    }

    struct Job {
        var id: Digest32
        var modelID: Digest32
        var layers: Range<UInt32>
        var input: Data
        var honest: ShardExecution
    }

    func announce(layers: Range<UInt32> = 0..<2, deadlineIn: UInt64 = 60_000, sendInput: Bool = true)
        async throws
        -> Job
    {
        counter += 1
        return try await announce(
            modelID: model.id, input: try input(counter), layers: layers, deadlineIn: deadlineIn,
            sendInput: sendInput)
    }

    func announce(
        modelID: Digest32, input: Data, layers: Range<UInt32>, deadlineIn: UInt64 = 60_000,
        sendInput: Bool = true
    ) async throws -> Job {
        counter += 1
        let id = TaggedHash.hash(tag: "test/job", Data("\(counter)-\(UUID())".utf8))
        let a = JobAnnouncement(
            jobID: id, modelID: modelID, layerStart: layers.lowerBound, layerEnd: layers.upperBound,
            inputCommitment: try executor.commitment(ofTensor: input), nodes: nodes.map(\.publicKey),
            deadlineMs: ValidatorCore.systemNowMs() + deadlineIn, slaMs: 1000,
            orchestrator: orchestrator.publicKey)
        let body = JobSubmission(signed: try .sign(a, with: orchestrator), input: sendInput ? input : nil)
            .json()
        let r = try await client.send("POST", "/v1/jobs", body: body)
        #expect(r.status == 201, "\(r.text)")
        let honest = try await server.core.executor.execute(modelID: modelID, layers: layers, input: input)
        return Job(id: id, modelID: modelID, layers: layers, input: input, honest: honest)
    }

    func receiptBody(
        _ job: Job, node i: Int, output: Data? = nil, sequence: UInt64 = 1, withInput: Bool = false,
        proof: Data? = nil
    )
        throws -> Data
    {
        let out = output ?? job.honest.output
        let r = Receipt(
            jobID: job.id, modelID: job.modelID, layerStart: job.layers.lowerBound,
            layerEnd: job.layers.upperBound,
            inputCommitment: try executor.commitment(ofTensor: job.input),
            outputCommitment: try executor.commitment(ofTensor: out), node: nodes[i].publicKey,
            startedAtMs: 10,
            finishedAtMs: 20, sequence: sequence,
            proofRef: proof.map { ReceiptSubmission.proofReference(for: $0) })
        return ReceiptSubmission(
            signed: try SignedReceipt.sign(r, with: nodes[i]), output: out,
            input: withInput ? job.input : nil,
            proof: proof
        ).json()
    }

    @discardableResult
    func post(
        _ job: Job, node i: Int, output: Data? = nil, sequence: UInt64 = 1, withInput: Bool = false,
        proof: Data? = nil
    )
        async throws -> LoopbackHTTPClient.Response
    {
        try await client.send(
            "POST", "/v1/receipts",
            body: receiptBody(
                job, node: i, output: output, sequence: sequence, withInput: withInput, proof: proof))
    }

    func settled(_ job: Job, timeout: Duration = .seconds(30)) async throws -> JobView {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            let view = try JSONDecoder().decode(
                JobView.self, from: try await client.send("GET", "/v1/jobs/\(job.id.hex)").body)
            if view.status.isFinal { return view }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidatorError.unavailable("job \(job.id.hex) did not settle")
    }

    func account(_ i: Int) async throws -> NodeAccount? {
        let r = try await client.send("GET", "/v1/nodes/\(nodes[i].publicKey.hex)")
        return r.status == 200 ? try JSONDecoder().decode(NodeAccount.self, from: r.body) : nil
    }
}

/// Every settlement case end to end, with the real kernel, the storage (SQLite and PostgreSQL) and
/// the karma ledger.
@Suite(.serialized) struct EndToEndTests {
    func types(_ view: JobView, node: SchnorrSigningKey) -> [String] {
        view.settlement?.entries.filter { $0.node == node.publicKey.hex }.map(\.type) ?? []
    }

    @Test(arguments: PostgresTestServer.backends)
    func settlementCasesOverRealHTTP(backend: StorageBackend) async throws {
        let h = try await LiveHarness(backend: backend)
        let wrong = { (job: LiveHarness.Job) in KernelShardExecutor.perturb(job.honest.output, delta: 1)! }

        // 1. All three agree.
        let j1 = try await h.announce()
        for i in 0..<3 { #expect(try await h.post(j1, node: i).status == 202) }
        let v1 = try await h.settled(j1)
        #expect(v1.status == .settled)
        #expect(v1.settlement?.truth == j1.honest.commitment.hex)
        for node in h.nodes { #expect(types(v1, node: node) == ["inference", "redundancy"]) }

        // 2. Two agree, one wrong: slashed and jailed, with the receipt as evidence in the ledger.
        let j2 = try await h.announce()
        try await h.post(j2, node: 0)
        try await h.post(j2, node: 1, output: wrong(j2))
        try await h.post(j2, node: 2)
        let v2 = try await h.settled(j2)
        #expect(v2.status == .disputed)
        #expect(v2.settlement?.outcomes.map(\.outcome) == ["agreed", "wrongOutput", "agreed"])
        #expect(types(v2, node: h.nodes[1]) == ["slash/wrongOutput", "jail"])
        let slashIndex = try #require(v2.settlement?.offences.first?.ledgerIndex)
        #expect(
            v2.settlement?.entries.contains { $0.index == slashIndex && $0.type == "slash/wrongOutput" }
                == true)
        let inclusion = try await h.client.send("GET", "/v1/proofs/inclusion?index=\(slashIndex)")
        #expect(inclusion.status == 200)

        // 3. Three different outputs: each judged against re-execution (node 0 is jailed, so it
        //    is judged but not credited).
        let j3 = try await h.announce()
        try await h.post(j3, node: 0)
        try await h.post(j3, node: 1, output: KernelShardExecutor.perturb(j3.honest.output, delta: 3)!)
        try await h.post(j3, node: 2, output: KernelShardExecutor.perturb(j3.honest.output, delta: 5)!)
        let v3 = try await h.settled(j3)
        #expect(v3.settlement?.outcomes.map(\.outcome) == ["agreed", "wrongOutput", "wrongOutput"])
        #expect(v3.settlement?.correlated == true)
        #expect(types(v3, node: h.nodes[2]).contains("slash/correlation"))

        // 4. Equivocation: node 0 signs two different outputs.
        let j4 = try await h.announce()
        #expect(try await h.post(j4, node: 0).status == 202)
        let second = try await h.post(j4, node: 0, output: wrong(j4), sequence: 2)
        #expect(second.status == 202)
        #expect(second.text.contains("\"equivocation\""))
        try await h.post(j4, node: 1)
        try await h.post(j4, node: 2)
        let v4 = try await h.settled(j4)
        #expect(v4.settlement?.outcomes.first?.outcome == "equivocation")
        #expect(types(v4, node: h.nodes[0]).first == "slash/equivocation")

        // 5. Deadline with one receipt (input supplied by the receipt): absent nodes miss the SLA.
        // The deadline leaves room for the receipt on a loaded machine (at 300 ms the sweep once
        // settled the job before the receipt arrived); a late receipt fails the post's status here.
        let j5 = try await h.announce(deadlineIn: 3_000, sendInput: false)
        #expect(try await h.post(j5, node: 0, withInput: true).status == 202)
        let v5 = try await h.settled(j5)
        #expect(v5.settlement?.outcomes.map(\.outcome) == ["agreed", "absent", "absent"])
        #expect(v5.settlement?.method == "re-execution")

        // 6. Majority overruled: nodes 1 and 2 agree on a wrong output.
        let j6 = try await h.announce(layers: 0..<3)
        let colluding = KernelShardExecutor.perturb(j6.honest.output, delta: 9)!
        try await h.post(j6, node: 0)
        try await h.post(j6, node: 1, output: colluding)
        try await h.post(j6, node: 2, output: colluding)
        let v6 = try await h.settled(j6)
        #expect(v6.settlement?.majorityOverruled == true)
        #expect(v6.settlement?.outcomes.map(\.outcome) == ["agreed", "wrongOutput", "wrongOutput"])

        // Replays after settlement change nothing.
        let before = try await h.client.send("GET", "/v1/status").text
        #expect(try await h.post(j1, node: 0).status == 409)
        #expect(try await h.client.send("GET", "/v1/status").text == before)

        // The checkpoint covers every entry and the ledger replays to the same accounts.
        let checkpoint = try await h.client.send("GET", "/checkpoint").text
        let status = try JSONDecoder().decode(
            StatusView.self, from: try await h.client.send("GET", "/v1/status").body)
        #expect(checkpoint.split(separator: "\n")[1] == "\(status.ledgerSize)")
        let accountsBefore = try await [h.account(0), h.account(1), h.account(2)]
        try await h.stop()
        try await h.start()
        let accountsAfter = try await [h.account(0), h.account(1), h.account(2)]
        #expect(accountsBefore == accountsAfter)
        try await h.stop()
    }

    /// Circuit jobs (specs/service.md §3.4) in verify-proofs mode: a valid proof settles the job
    /// without re-execution; a proof for another output is an offence; without proofs the
    /// validator re-executes the circuit with the kernel.
    @Test func circuitJobsSettleByProofOverRealHTTP() async throws {
        let h = try await LiveHarness(mode: .verifyProofs, circuits: ["dense-16x8-test.json"])
        let circuit = try Circuit(
            json: try Data(
                contentsOf: RepoPaths.root().appendingPathComponent("Circuits/dense-16x8-test.json")))
        let weights = try LayerWeights(seededFor: circuit)
        let circuitID = try Digest32(bytes: Data(circuit.id))
        func hidden(_ seed: Int32) throws -> CanonicalTensor {
            try CanonicalTensor(
                kind: .hidden, fractionBits: 16, shape: [3, 16],
                values: .int32((0..<48).map { ($0 &* 7919 &+ seed &* 104_729) % 200_000 - 100_000 }))
        }
        func prove(_ x: CanonicalTensor, _ y: CanonicalTensor) throws -> Data {
            try LayerProof.prove(LayerStatement(circuit: circuit, weights: weights, input: x, output: y))
        }

        // 1. Honest outputs with proofs: settled by the first valid proof, the kernel not run.
        let x1 = try hidden(1)
        let j1 = try await h.announce(modelID: circuitID, input: x1.encoded(), layers: 0..<1)
        let y1 = try CanonicalTensor(decoding: j1.honest.output)
        #expect(y1 == (try LayerProof.output(circuit: circuit, weights: weights, input: x1)))
        let proof1 = try prove(x1, y1)
        for i in 0..<3 { #expect(try await h.post(j1, node: i, proof: proof1).status == 202) }
        let v1 = try await h.settled(j1)
        #expect(v1.status == .settled)
        #expect(v1.settlement?.method == "proof")
        #expect(v1.settlement?.truth == j1.honest.commitment.hex)

        // 2. Node 1 claims a wrong output with the honest output's proof: invalid proof, slashed;
        //    the others' valid proof establishes the truth.
        let x2 = try hidden(2)
        let j2 = try await h.announce(modelID: circuitID, input: x2.encoded(), layers: 0..<1)
        let y2 = try CanonicalTensor(decoding: j2.honest.output)
        let proof2 = try prove(x2, y2)
        let wrong = KernelShardExecutor.perturb(j2.honest.output, delta: 1)!
        try await h.post(j2, node: 0, proof: proof2)
        #expect(try await h.post(j2, node: 1, output: wrong, proof: proof2).status == 202)
        try await h.post(j2, node: 2, proof: proof2)
        let v2 = try await h.settled(j2)
        #expect(v2.status == .disputed)
        #expect(v2.settlement?.method == "proof")
        #expect(v2.settlement?.outcomes.map(\.outcome) == ["agreed", "invalidProof", "agreed"])
        #expect(types(v2, node: h.nodes[1]).first == "slash/invalidProof")

        // 3. No proofs: the validator re-executes the circuit and judges the outputs.
        let x3 = try hidden(3)
        let j3 = try await h.announce(modelID: circuitID, input: x3.encoded(), layers: 0..<1)
        try await h.post(j3, node: 0)
        try await h.post(j3, node: 1)
        try await h.post(j3, node: 2, output: KernelShardExecutor.perturb(j3.honest.output, delta: 2)!)
        let v3 = try await h.settled(j3)
        #expect(v3.settlement?.method == "re-execution")
        #expect(v3.settlement?.outcomes.map(\.outcome) == ["agreed", "agreed", "wrongOutput"])

        // 4. A circuit that is not registered is refused like an unknown model.
        let other = try Digest32(bytes: Data(repeating: 0x5a, count: 32))
        let a = JobAnnouncement(
            jobID: TaggedHash.hash(tag: "test/job", Data("unregistered".utf8)), modelID: other, layerStart: 0,
            layerEnd: 1, inputCommitment: j3.honest.commitment, nodes: h.nodes.map(\.publicKey),
            deadlineMs: ValidatorCore.systemNowMs() + 60_000, slaMs: 1000,
            orchestrator: h.orchestrator.publicKey)
        let refused = try await h.client.send(
            "POST", "/v1/jobs",
            body: JobSubmission(signed: try .sign(a, with: h.orchestrator), input: nil).json())
        #expect(refused.status == 422)
        #expect(refused.text.contains("unknown-model"))
        try await h.stop()
    }

    /// A groth16 circuit (specs/groth16.md §10) in verify-proofs mode: nodes attach snarkjs
    /// `proof.json`; valid proofs settle the job without re-execution, a node whose proof does
    /// not show its output is slashed, and a garbled proof is an invalid proof, not an error.
    @Test func groth16CircuitJobsSettleByProofOverRealHTTP() async throws {
        let h = try await LiveHarness(mode: .verifyProofs, circuits: ["dense-8x8-groth16-test.json"])
        let circuit = try Circuit(
            json: try Data(
                contentsOf: RepoPaths.root().appendingPathComponent("Circuits/dense-8x8-groth16-test.json")))
        let weights = try LayerWeights(seededFor: circuit)
        let circuitID = try Digest32(bytes: Data(circuit.id))
        // The registered key is the insecure seed-1 setup (Circuits/README.md).
        let zero = try DenseLayerR1CS.synthesize(
            circuit: circuit, weights: weights,
            input: try CanonicalTensor(
                kind: .hidden, fractionBits: 16, shape: [1, 8], values: .int32(Array(repeating: 0, count: 8)))
        )
        let key = try Groth16Setup.generate(zero.r1cs, waste: .seeded(1))
        func prove(_ x: CanonicalTensor) throws -> Data {
            let s = try DenseLayerR1CS.synthesize(circuit: circuit, weights: weights, input: x)
            var rng = SeededFieldGenerator(seed: 99)
            let p = try Groth16Prover.prove(key: key, r1cs: s.r1cs, witness: s.witness, using: &rng)
            return Data(p.snarkjsJSON.utf8)
        }
        let x = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [1, 8],
            values: .int32([5 << 16, -(1 << 16), 77, 0, 3 << 15, -9, 1 << 20, 2]))

        // 1. Three valid proofs: settled by proof.
        let j1 = try await h.announce(modelID: circuitID, input: x.encoded(), layers: 0..<1)
        let proof = try prove(x)
        for i in 0..<3 { #expect(try await h.post(j1, node: i, proof: proof).status == 202) }
        let v1 = try await h.settled(j1)
        #expect(v1.status == .settled)
        #expect(v1.settlement?.method == "proof")
        #expect(v1.settlement?.truth == j1.honest.commitment.hex)

        // 2. Node 1 claims another output with the honest proof; node 2's proof is garbled.
        let j2 = try await h.announce(modelID: circuitID, input: x.encoded(), layers: 0..<1)
        let wrong = KernelShardExecutor.perturb(j2.honest.output, delta: 1)!
        var garbled = proof
        garbled[garbled.count / 2] ^= 0x01
        try await h.post(j2, node: 0, proof: proof)
        #expect(try await h.post(j2, node: 1, output: wrong, proof: proof).status == 202)
        try await h.post(j2, node: 2, proof: garbled)
        let v2 = try await h.settled(j2)
        #expect(v2.settlement?.method == "proof")
        #expect(v2.settlement?.outcomes.map(\.outcome) == ["agreed", "invalidProof", "invalidProof"])
        #expect(types(v2, node: h.nodes[1]).first == "slash/invalidProof")
        try await h.stop()
    }

    /// `POST /v1/receipts/batch` (specs/service.md §3.2.1): each element answered as
    /// `POST /v1/receipts` would answer it alone, in order.
    @Test func receiptBatchesOverRealHTTP() async throws {
        let h = try await LiveHarness()
        let job = try await h.announce()
        var unknown = job
        unknown.id = TaggedHash.hash(tag: "test/job", Data("never announced".utf8))
        let first = try h.receiptBody(job, node: 0)
        let elements = [
            first, try h.receiptBody(job, node: 1), Data("{\"receipt\":{}}".utf8),
            try h.receiptBody(unknown, node: 2), first,
        ]
        let body =
            Data("{\"receipts\":[".utf8) + Data(elements.joined(separator: Data(",".utf8))) + Data("]}".utf8)
        let r = try await h.client.send("POST", "/v1/receipts/batch", body: body)
        #expect(r.status == 200, "\(r.text)")
        let ack = try JSONDecoder().decode(ReceiptBatchAck.self, from: r.body)
        #expect(ack.results.count == 5)
        // The same receipt twice in one batch: stored once, the other answer is a duplicate.
        #expect([ack.results[0].status, ack.results[4].status].sorted() == [200, 202])
        #expect(ack.results[1].status == 202)
        #expect(ack.results[1].receipt?.jobId == job.id.hex)
        #expect(ack.results[2].status == 400)
        #expect(ack.results[2].error?.code == "malformed-body")
        #expect(ack.results[3].status == 404)
        #expect(ack.results[3].error?.code == "unknown-job")
        // The third node's receipt in a batch of one completes the job.
        let last = try await h.client.send(
            "POST", "/v1/receipts/batch",
            body: Data("{\"receipts\":[".utf8) + (try h.receiptBody(job, node: 2)) + Data("]}".utf8))
        #expect(
            try JSONDecoder().decode(ReceiptBatchAck.self, from: last.body).results.map(\.status) == [202])
        let view = try await h.settled(job)
        #expect(view.status == .settled)
        #expect(view.receipts.count == 3)
        // Bodies that are not a batch are refused whole.
        for bad in ["{\"receipts\":[]}", "[]", "{\"receipts\":[],\"extra\":1}", "not json"] {
            let refused = try await h.client.send("POST", "/v1/receipts/batch", body: Data(bad.utf8))
            #expect(refused.status == 400, "\(bad)")
        }
        let tooMany =
            Data("{\"receipts\":[".utf8)
            + Data(Array(repeating: "{}", count: ReceiptBatch.maxItems + 1).joined(separator: ",").utf8)
            + Data("]}".utf8)
        let refused = try await h.client.send("POST", "/v1/receipts/batch", body: tooMany)
        #expect(refused.status == 400)
        #expect(refused.text.contains("1 to 1024"))
        try await h.stop()
    }

    @Test func malformedAndOversizedBodiesOverRealHTTP() async throws {
        let h = try await LiveHarness(
            limits: .init(maxReceiptBodyBytes: 2048, maxJobBodyBytes: 4096, maxSmallBodyBytes: 1024))
        let job = try await h.announce()
        let big = try await h.client.send("POST", "/v1/receipts", body: Data(repeating: 0x41, count: 4096))
        #expect(big.status == 413)
        #expect(big.text.contains("body-too-large"))
        let garbage = try await h.client.send("POST", "/v1/receipts", body: Data([0xff, 0x00, 0x7b]))
        #expect(garbage.status == 400)
        let badTensor = try await h.client.send(
            "POST", "/v1/receipts",
            body: ReceiptSubmission(
                signed: try SignedReceipt(json: try h.receiptBody(job, node: 0).prefixReceipt()),
                output: Data("x".utf8)
            ).json())
        #expect(badTensor.status == 422)
        #expect(badTensor.text.contains("invalid-tensor"))
        let heartbeat = try await h.client.send("POST", "/v1/heartbeats", body: Data("{\"message\":{}}".utf8))
        #expect(heartbeat.status == 400)
        // The connection is still usable and the server healthy.
        #expect(try await h.client.send("GET", "/healthz").status == 200)
        try await h.stop()
    }
}

extension Data {
    /// The signed receipt member of a receipt submission body (test helper).
    func prefixReceipt() throws -> Data {
        guard case .object(let members) = try StrictJSON.parse(self), let receipt = members["receipt"] else {
            throw ValidatorError.malformedBody("no receipt")
        }
        return JSONOutput.data(receipt, pretty: false)
    }
}
