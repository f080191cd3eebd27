import ArgumentParser
import Foundation
import Groth16
import Karma
import Kernel
import Ledger
import Proofs
import Receipts
import Validator

/// `mesh-validator demo`: a validator and three simulated nodes, one faulty, running real shard
/// jobs end to end over HTTP; prints what happened so a person can follow it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a validator with three simulated nodes (one faulty) and show what it settles.",
        discussion: """
            Starts a validator on a temporary SQLite data directory, creates keys for an \
            orchestrator and three nodes, and runs real jobs over HTTP: a shard of a model, all \
            honest; a registered dense-layer circuit where nodes attach sumcheck proofs and node C \
            attaches a proof of another output; a groth16 circuit settled by the nodes' Groth16 \
            proofs; node C returns a wrong output; node C stays silent \
            past the deadline; nodes A and B collude on a wrong output. Prints each settlement, a \
            karma table, the signed checkpoint, a verified inclusion proof of the first slash and a \
            node's balance proven against the checkpoint, \
            then shuts down cleanly. With --serve the validator keeps running after the narrative \
            and prints the address of its web console (specs/console.md) until SIGINT or SIGTERM.
            """
    )

    @Flag(
        name: .long,
        help:
            "Keep the validator running after the narrative and print its console's address (stop with Ctrl-C)."
    )
    var serve = false

    @Option(name: .long, help: "Port to listen on (default: a free port).")
    var port: Int = 0

    @Option(
        name: .long,
        help: """
            An imported model package directory (for SmolLM2: `mesh-validator model import --gguf \
            FILE --out DIR`). Default: the project's seeded tiny model.
            """)
    var model: String?

    @Option(
        name: .long,
        help: "Directory of registered circuits; the demo's proof job uses dense-256-silu.json from it.")
    var circuits: String = "Circuits"

    @Option(
        name: .long, help: "Keep the validator's data in this directory (default: a temporary one, removed).")
    var dataDir: String?

    func run() async throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not 0–65535") }
        var demo = try Demo(
            modelDirectory: model, circuitDirectory: circuits, dataDirectory: dataDir, serve: serve,
            port: port)
        try await demo.run()
    }
}

/// The demo's state: keys, the running validator, and what each job produced.
private struct Demo {
    let orchestrator = SchnorrSigningKey.generate()
    let nodes = (0..<3).map { _ in SchnorrSigningKey.generate() }
    let names = ["node-A", "node-B", "node-C"]
    let validatorKey = SchnorrSigningKey.generate()
    let checkpointSeed = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    let origin = "demo.mesh-validator.local/log"
    let executor: KernelShardExecutor
    let held: KernelShardExecutor.HeldModel
    /// The circuit of the proof job (nil when the circuit directory has no dense-256-silu).
    let circuit: CircuitRegistry.Entry?
    let circuitProblem: String?
    /// The groth16 circuit of the Groth16 job (nil when the directory has none).
    let groth16Circuit: CircuitRegistry.Entry?
    let usingTiny: Bool
    let directory: URL
    let removeDirectory: Bool
    var firstSlashIndex: UInt64?
    var sequence: UInt64 = 0
    let serve: Bool
    let port: Int

    static let circuitName = "dense-256-silu"
    static let groth16CircuitName = "dense-8x8-groth16-test"
    /// The public seed of the registered test key (Circuits/README.md): insecure by design.
    static let groth16InsecureSeed: UInt64 = 1

    init(modelDirectory: String?, circuitDirectory: String, dataDirectory: String?, serve: Bool, port: Int)
        throws
    {
        self.serve = serve
        self.port = port
        var executor = try KernelShardExecutor.open(
            modelDirectory: modelDirectory, includeTiny: modelDirectory == nil)
        do {
            executor = try executor.registering(circuitDirectory: circuitDirectory)
            circuit = executor.circuits.entries.values.first { $0.circuit.name == Self.circuitName }
            circuitProblem = circuit == nil ? "\(circuitDirectory) has no \(Self.circuitName) circuit" : nil
            groth16Circuit = executor.circuits.entries.values.first {
                $0.circuit.name == Self.groth16CircuitName
            }
        } catch {
            circuit = nil
            groth16Circuit = nil
            circuitProblem = "\(error)"
        }
        self.executor = executor
        guard let chosen = executor.models.values.sorted(by: { $0.name < $1.name }).first else {
            throw ValidationError("no model could be loaded")
        }
        held = chosen
        usingTiny = modelDirectory == nil
        if let dataDirectory {
            directory = URL(fileURLWithPath: dataDirectory)
            removeDirectory = false
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "mesh-demo-\(UUID().uuidString)")
            removeDirectory = true
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func short(_ hex: String) -> String { String(hex.prefix(12)) + "…" }
    func name(of hex: String) -> String {
        if let i = nodes.firstIndex(where: { $0.publicKey.hex == hex }) { return names[i] }
        if hex == validatorKey.publicKey.hex { return "validator" }
        return short(hex)
    }

    static func nowMs() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    mutating func run() async throws {
        let c = held.model.config
        print("== Mesh Validator demo ==")
        if usingTiny {
            print("Model: the project's seeded tiny model \(held.name) (SmolLM2 was not given: pass")
            print(
                "       --model DIR with a package from `mesh-validator model import --gguf ...` to use it)")
        } else {
            print("Model: \(held.name) from the given package")
        }
        print("       id \(short(held.id.hex)), \(c.layers) layers, width \(c.width), vocab \(c.vocabSize)")

        var config = ValidatorConfig(
            listen: .init(host: "127.0.0.1", port: port), dataDirectory: directory.path,
            identityKey: .init(hex: Hex.encode(validatorKey.rawRepresentation)),
            checkpointKey: .init(hex: Hex.encode(checkpointSeed)), logOrigin: origin,
            orchestrators: [orchestrator.publicKey.hex])
        config.settlement.sweepIntervalMs = 50
        config.settlement.mode = .verifyProofs
        config.logLevel = "error"
        // Genesis: the validator starts with its minimum bond (so its re-executions earn validation
        // karma) and each node with the minimum node bond (so its karma is spendable and offences have
        // stake to burn; specs/karma.md §5.0).
        config.genesis =
            [.init(node: validatorKey.publicKey.hex, balance: 0, bonded: KarmaParameters.v2.minValidatorBond)]
            + nodes.map { .init(node: $0.publicKey.hex, balance: 0, bonded: KarmaParameters.v2.minNodeBond) }
        let dependencies = try await ValidatorDependencies.open(config: config, executor: executor)
        let server = try await RunningValidator.start(
            config: config, dependencies: dependencies, logLevel: "error")
        let client = try LoopbackHTTPClient(port: server.port)
        print("Validator: listening on 127.0.0.1:\(server.port), SQLite data in \(directory.path)")
        print("Keys (BIP-340 x-only):")
        print("  orchestrator  \(short(orchestrator.publicKey.hex))")
        print("  validator     \(short(validatorKey.publicKey.hex))")
        for (i, key) in nodes.enumerated() {
            print("  \(names[i])        \(short(key.publicKey.hex))")
        }
        print(
            "Genesis: the validator is bonded \(KarmaParameters.v2.minValidatorBond) µK (the minimum); each node 5000000 µK."
        )
        print("Node C is faulty: in job 2 it attaches a proof of another output, in job 4 it returns a")
        print("wrong output, in job 5 it stays silent. Nodes A and B collude in job 6. In job 3 every node")
        print("attaches a Groth16 proof. Every job is sent to all three nodes (2-of-3 quorum). Settlement")
        print("mode: verify-proofs (a job with a registered circuit is settled by a valid proof), policy")
        print("audited: a job every node agrees on is accepted unless the validator's verifiable draw (an")
        print("ECVRF over the job and its receipts, recorded in the ledger) audits it; every other job is")
        print("re-executed on the kernel.")

        let split = max(1, c.layers / 2)
        let first = 0..<UInt32(split)
        let second = UInt32(split)..<UInt32(c.layers)
        let (prompt1, count1) = tokens("The validator re-runs a shard of the model", limit: c.maxPositions)
        let (prompt2, _) = tokens("Every node must report the same bits", limit: c.maxPositions)

        // Job 1: everybody honest.
        let out1 = try await job(
            1,
            title:
                "layers [\(first.lowerBound),\(first.upperBound)) on a \(count1)-token prompt — all honest",
            layers: first, input: prompt1, behaviour: [.honest, .honest, .honest], client: client)
        try await bond(client: client)
        // Job 2: a registered circuit; nodes attach proofs, node C one that does not match its output.
        try await proofJob(2, client: client)
        // Job 3: a groth16 circuit; every node attaches a Groth16 proof.
        try await groth16Job(3, client: client)
        // Job 4: node C returns a wrong output.
        _ = try await job(
            4,
            title:
                "layers [\(second.lowerBound),\(second.upperBound)) on job 1's output — node C returns a wrong output",
            layers: second, input: out1, behaviour: [.honest, .honest, .wrong], client: client)
        // Job 5: node C silent; the deadline settles with two receipts.
        let out3 = try await job(
            5,
            title: "layers [\(first.lowerBound),\(first.upperBound)) on a new prompt — node C stays silent",
            layers: first, input: prompt2, behaviour: [.honest, .honest, .silent], client: client,
            deadlineMs: 1500)
        // Job 6: A and B collude on one wrong output; C is honest (but jailed after job 2).
        _ = try await job(
            6,
            title: "layers [\(second.lowerBound),\(second.upperBound)) on job 4's output — A and B collude",
            layers: second, input: out3, behaviour: [.colluding, .colluding, .honest], client: client)

        try await karmaTable(client: client)
        try await checkpointAndProof(client: client)

        if serve {
            print("\n── The validator keeps running (--serve)")
            print("console: http://127.0.0.1:\(server.port)/")
            print("  API under /v1, the log at /checkpoint and /tile; stop with Ctrl-C (SIGINT) or SIGTERM.")
            fflush(nil)
            let signal = await Self.termination()
            print("\nreceived \(signal == SIGINT ? "SIGINT" : "SIGTERM"); shutting down")
        }
        try await server.shutdown()
        print("\nValidator shut down cleanly (in-flight requests finished, settlement loop drained).")
        if removeDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    static let signalQueue = DispatchQueue(label: "mesh.demo.signals")

    /// Waits for SIGINT or SIGTERM (their default actions are replaced while it waits) and returns
    /// the signal.
    static func termination() async -> Int32 {
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            Foundation.signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: Self.signalQueue)
        }
        defer { for source in sources { source.cancel() } }
        return await withCheckedContinuation { continuation in
            let once = OnceFlag()
            for source in sources {
                let number = Int32(source.handle)
                source.setEventHandler { if once.claim() { continuation.resume(returning: number) } }
                source.resume()
            }
        }
    }

    func tokens(_ text: String, limit: Int) -> (tensor: Data, count: Int) {
        var ids = held.tokenizer?.encode(text) ?? Array(0..<8)
        if ids.count > limit { ids = Array(ids.prefix(limit)) }
        let tensor = try? KernelShardExecutor.tokenTensor(ids.map { Int32(clamping: $0) })
        return (tensor ?? Data(), max(1, ids.count))
    }

    enum Behaviour { case honest, wrong, silent, colluding, forgedProof }

    /// A circuit job (specs/service.md §3.4): every node runs the dense layer and attaches a
    /// sumcheck proof; node C claims another output with the proof of the true one.
    mutating func proofJob(_ n: Int, client: LoopbackHTTPClient) async throws {
        guard let circuit else {
            print(
                "\n── Job \(n): skipped — no registered circuit (\(circuitProblem ?? "none")); run from the")
            print("   repository root or pass --circuits DIR")
            return
        }
        let c = circuit.circuit
        let tokens = 16
        var rng = SeededWeights(seed: 2026)
        let values = (0..<(tokens * c.inFeatures)).map { _ in
            Int32(truncatingIfNeeded: rng.next() % 131_072) - 65_536
        }
        let x = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [tokens, c.inFeatures], values: .int32(values))
        let started = ContinuousClock.now
        let y = try LayerProof.output(circuit: c, weights: circuit.weights, input: x)
        let proof = try LayerProof.prove(
            LayerStatement(circuit: c, weights: circuit.weights, input: x, output: y))
        let proveMs = milliseconds(ContinuousClock.now - started)
        _ = try await job(
            n,
            title:
                "circuit \(c.name) (\(c.inFeatures)×\(c.outFeatures) dense + SiLU, \(tokens) tokens) — proofs attached, node C's is forged",
            modelID: circuit.id, layers: CircuitRegistry.layers, input: x.encoded(),
            behaviour: [.honest, .honest, .forgedProof], client: client, proof: proof,
            proofNote:
                "each honest node proved its output: \(proof.count)-byte proof, made in \(String(format: "%.0f", proveMs)) ms"
        )
    }

    /// A groth16 circuit job (specs/groth16.md §10): the nodes make the proving key from the
    /// registered test setup's public seed (insecure, said loudly), each proves its output and
    /// attaches snarkjs `proof.json`; the validator settles by verifying the proof.
    mutating func groth16Job(_ n: Int, client: LoopbackHTTPClient) async throws {
        guard let entry = groth16Circuit, let registered = entry.verifyingKey else {
            print("\n── Job \(n): skipped — no registered groth16 circuit \(Self.groth16CircuitName)")
            return
        }
        let c = entry.circuit
        var rng = SeededWeights(seed: 2027)
        let values = (0..<(c.maxTokens * c.inFeatures)).map { _ in
            Int32(truncatingIfNeeded: rng.next() % 262_144) - 131_072
        }
        let x = try CanonicalTensor(
            kind: .hidden, fractionBits: 16, shape: [c.maxTokens, c.inFeatures], values: .int32(values))
        let setupStarted = ContinuousClock.now
        let s = try DenseLayerR1CS.synthesize(circuit: c, weights: entry.weights, input: x)
        let key = try Groth16Setup.generate(s.r1cs, waste: .seeded(Self.groth16InsecureSeed))
        let setupMs = milliseconds(ContinuousClock.now - setupStarted)
        guard key.verifyingKey.snarkjsJSON == registered.snarkjsJSON else {
            throw ValidationError(
                "the registered key of \(c.name) is not the seed-\(Self.groth16InsecureSeed) setup")
        }
        let started = ContinuousClock.now
        var proofRNG = SystemRandomNumberGenerator()
        let proof = try Groth16Prover.prove(key: key, r1cs: s.r1cs, witness: s.witness, using: &proofRNG)
        let proveMs = milliseconds(ContinuousClock.now - started)
        let proofJSON = Data(proof.snarkjsJSON.utf8)
        _ = try await job(
            n,
            title:
                "groth16 circuit \(c.name) (\(c.inFeatures)×\(c.outFeatures) dense + bias + GELU + residual) — Groth16 proofs attached",
            modelID: entry.id, layers: CircuitRegistry.layers, input: x.encoded(),
            behaviour: [.honest, .honest, .honest], client: client, proof: proofJSON,
            proofNote: """
                R1CS of the kernel's integer semantics: \(s.r1cs.constraints.count) constraints, \(s.r1cs.publicCount) \
                public inputs (X and Y packed, specs/groth16.md §8)
                  proving key: INSECURE test setup from public seed \(Self.groth16InsecureSeed) — anyone can forge \
                proofs for it (\(String(format: "%.0f", setupMs)) ms); production keys come from a ceremony
                  each node proved its output in \(String(format: "%.0f", proveMs)) ms: a \(proofJSON.count)-byte \
                snarkjs proof.json
                """
        )
    }

    /// Changes one value of a canonical tensor (a faulty node's output).
    func corrupt(_ tensor: Data, delta: Int32) -> Data {
        KernelShardExecutor.perturb(tensor, delta: delta) ?? tensor
    }

    /// Announces a job, lets each node run it as told, waits for the settlement and prints it.
    /// Returns the true output (for the next pipeline stage).
    mutating func job(
        _ n: Int, title: String, modelID: Digest32? = nil, layers: Range<UInt32>, input: Data,
        behaviour: [Behaviour], client: LoopbackHTTPClient, deadlineMs: UInt64 = 30_000, proof: Data? = nil,
        proofNote: String? = nil
    ) async throws -> Data {
        print("\n── Job \(n): \(title)")
        let modelID = modelID ?? held.id
        let jobID = TaggedHashDigest.job(n, input: input)
        let inputCommitment = try executor.commitment(ofTensor: input)
        // The nodes' run (simulated: once, then copied or corrupted per node), done before the
        // announcement so that a slow model cannot push the receipts past a short deadline.
        let started = Self.nowMs()
        let honest = try await executor.execute(modelID: modelID, layers: layers, input: input)
        let finished = Self.nowMs()
        let announcement = JobAnnouncement(
            jobID: jobID, modelID: modelID, layerStart: layers.lowerBound, layerEnd: layers.upperBound,
            inputCommitment: inputCommitment, nodes: nodes.map(\.publicKey),
            deadlineMs: Self.nowMs() + deadlineMs,
            slaMs: 2000, orchestrator: orchestrator.publicKey)
        let signed = try SignedJobAnnouncement.sign(announcement, with: orchestrator)
        let posted = try await client.send(
            "POST", "/v1/jobs", body: JobSubmission(signed: signed, input: input).json())
        guard posted.status == 201 else { throw ValidationError("announcing job \(n): \(posted.text)") }
        print("  orchestrator announced job \(short(jobID.hex)) (deadline in \(deadlineMs) ms)")

        if let proofNote { print("  \(proofNote)") }
        for (i, key) in nodes.enumerated() {
            let output: Data
            switch behaviour[i] {
            case .honest: output = honest.output
            case .wrong, .forgedProof: output = corrupt(honest.output, delta: 1)
            case .colluding: output = corrupt(honest.output, delta: 7)
            case .silent:
                print("  \(names[i]) sends nothing")
                continue
            }
            sequence += 1
            let commitment = try executor.commitment(ofTensor: output)
            let receipt = Receipt(
                jobID: jobID, modelID: modelID, layerStart: layers.lowerBound, layerEnd: layers.upperBound,
                inputCommitment: inputCommitment, outputCommitment: commitment, node: key.publicKey,
                startedAtMs: started, finishedAtMs: max(started, finished), sequence: sequence,
                proofRef: proof.map { ReceiptSubmission.proofReference(for: $0) })
            let body = ReceiptSubmission(
                signed: try SignedReceipt.sign(receipt, with: key), output: output, proof: proof
            ).json()
            let response = try await client.send("POST", "/v1/receipts", body: body)
            let verdict =
                switch behaviour[i] {
                case .honest: proof == nil ? "" : "  (with proof)"
                case .wrong: "  (faulty)"
                case .forgedProof: "  (faulty: another output, with the honest proof)"
                case .colluding: "  (colluding)"
                case .silent: ""
                }
            print(
                "  \(names[i]) ran the job, signed output \(short(commitment.hex)) → HTTP \(response.status)\(verdict)"
            )
        }
        if deadlineMs < 5000, behaviour.contains(.silent) {
            print("  … waiting for the deadline (node C never answers)")
        }
        let view = try await waitSettled(jobID, client: client)
        guard let s = view.settlement else { throw ValidationError("job \(n) did not settle") }
        print(
            "  settled: \(view.status.rawValue.uppercased()) — truth \(s.truth.map(short) ?? "unknown") by \(s.method)"
        )
        if let majority = s.majority, s.majorityOverruled {
            print("  the 2-node majority (\(short(majority))) disagrees with re-execution: both slashed")
        }
        for o in s.outcomes {
            let mark =
                switch o.outcome {
                case "agreed": "✓ agreed with the verdict"
                case "absent": "– absent: SLA miss (no receipt before the deadline)"
                case "wrongOutput": "✗ wrong output: slashed"
                case "equivocation": "✗ equivocation: slashed"
                case "invalidProof": "✗ invalid proof: slashed"
                default: o.outcome
                }
            print("    \(name(of: o.node))  \(mark)")
        }
        if !s.entries.isEmpty {
            let list = s.entries.map { "#\($0.index) \($0.type)(\(name(of: $0.node)))" }
            print("  ledger: " + list.joined(separator: ", "))
        }
        for offence in s.offences {
            if firstSlashIndex == nil { firstSlashIndex = offence.ledgerIndex }
        }
        if let note = s.note {
            for line in note.split(separator: ";") {
                var text = line.trimmingCharacters(in: .whitespaces)
                for (i, key) in nodes.enumerated() {
                    text = text.replacingOccurrences(of: String(key.publicKey.hex.prefix(12)), with: names[i])
                }
                print("  note: \(text)")
            }
        }
        return honest.output
    }

    func waitSettled(_ id: Digest32, client: LoopbackHTTPClient) async throws -> JobView {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let r = try await client.send("GET", "/v1/jobs/\(id.hex)")
            let view = try JSONDecoder().decode(JobView.self, from: r.body)
            if view.status.isFinal { return view }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw ValidationError("job \(id.hex) did not settle within 60 s")
    }

    /// Each node bonds 80% of what it earned, so that offences have stake to slash.
    func bond(client: LoopbackHTTPClient) async throws {
        print("\n── Staking: each node bonds 80% of what it earned (signed staking requests)")
        for (i, key) in nodes.enumerated() {
            let account = try await client.send("GET", "/v1/nodes/\(key.publicKey.hex)")
            guard account.status == 200 else { continue }
            let a = try JSONDecoder().decode(NodeAccount.self, from: account.body)
            let amount = a.balance / 10 * 8
            guard amount > 0 else { continue }
            let request = StakingRequest(node: key.publicKey, action: .bond, amount: amount, nonce: 1)
            let signed = try Signed.sign(request, with: key)
            let r = try await client.send("POST", "/v1/staking/bond", body: signed.json())
            print("  \(names[i]) bonds \(amount) µK → HTTP \(r.status)")
        }
    }

    func karmaTable(client: LoopbackHTTPClient) async throws {
        print("\n── Karma (µK = micro-karma)")
        let header = ["", "balance", "bonded", "jailed", "inference", "redundancy", "validation", "offences"]
        var rows: [[String]] = []
        for (label, key) in zip(names + ["validator"], nodes.map(\.publicKey) + [validatorKey.publicKey]) {
            let r = try await client.send("GET", "/v1/nodes/\(key.hex)")
            guard r.status == 200, let a = try? JSONDecoder().decode(NodeAccount.self, from: r.body) else {
                rows.append([label, "0", "0", "no", "0", "0", "0", "0"])
                continue
            }
            rows.append([
                label, "\(a.balance)", "\(a.bonded)", a.jailed ? "yes" : "no",
                "\(a.scores["inference"] ?? 0)",
                "\(a.scores["redundancy"] ?? 0)", "\(a.scores["validation"] ?? 0)", "\(a.offences)",
            ])
        }
        let widths = header.indices.map { col in ([header] + rows).map { $0[col].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == 0
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        print("  " + line(header))
        for row in rows { print("  " + line(row)) }
        print("  The validator earns validation karma for its own re-executions. A slash burns a share of")
        print("  everything the node holds (bond first, then unbonding stake, escrow and balance) and jails")
        print("  it; a jailed node earns nothing until it unjails.")
        print("  slash/correlation is the extra penalty when several members of one quorum are slashed")
        print("  for the same job.")
    }

    func checkpointAndProof(client: LoopbackHTTPClient) async throws {
        print("\n── Signed checkpoint (C2SP signed note, Ed25519)")
        let note = try await client.send("GET", "/checkpoint").text
        for line in note.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            print("  │ \(line)")
        }
        let verifier = try NoteSigner(name: origin, ed25519Seed32: checkpointSeed).verifier
        let parsed = try SignedNote(parsing: note)
        let body = parsed.text.split(separator: "\n")
        print(
            "  signature by \(verifier.verifierKey.prefix(48))…: \(parsed.isVerified(by: verifier) ? "valid ✓" : "INVALID ✗")"
        )
        guard body.count >= 3, let size = UInt64(body[1]) else {
            throw ValidationError("unreadable checkpoint")
        }
        guard let index = firstSlashIndex else {
            print("  (no slash was recorded, so there is no slash entry to prove)")
            return
        }
        print("\n── Inclusion proof of the first slash entry (#\(index)) in the checkpoint's tree of \(size)")
        let r = try await client.send("GET", "/v1/proofs/inclusion?index=\(index)&size=\(size)")
        guard r.status == 200 else { throw ValidationError("inclusion proof: \(r.text)") }
        print("  " + r.text)
        let document = try InclusionProofDocument(json: r.body)
        let rootMatches = document.root.base64 == String(body[2])
        switch document.verify() {
        case .valid where rootMatches:
            print("  verified ✓: the proof leads from the entry's leaf hash to the signed root")
        case .valid:
            print("  ✗ the proof verifies but its root is not the checkpoint's root")
        case .invalid(let reason):
            print("  ✗ the proof does not verify: \(reason)")
        }

        // A node's balance, proven against a signed checkpoint (specs/ledger.md §10): what a node
        // or auditor checks offline with `mesh-validator audit verify-balance`.
        print("\n── Balance proof of node-C (GET /v1/nodes/{pubkey}/proof), checked offline")
        let proof = try await client.send("GET", "/v1/nodes/\(nodes[2].publicKey.hex)/proof")
        guard proof.status == 200 else { throw ValidationError("balance proof: \(proof.text)") }
        let balance = try BalanceProofDocument(json: proof.body)
        let a = balance.inclusion.account
        print(
            "  account: balance \(a.balance) µK, escrow \(a.escrow) µK, bonded \(a.bonded) µK; leaf \(balance.inclusion.leafIndex) of \(balance.inclusion.treeSize)"
        )
        switch balance.verify(with: verifier) {
        case .valid(let checkpoint, _):
            print(
                "  verified ✓: the account is in the karma state the checkpoint of \(checkpoint.size) entries signs"
            )
        case .invalid(let reason):
            print("  ✗ the balance proof does not verify: \(reason)")
        }
    }
}

/// Deterministic demo job ids.
private enum TaggedHashDigest {
    static func job(_ n: Int, input: Data) -> Digest32 {
        TaggedHash.hash(tag: "mesh/demo/job", Data("job-\(n)-\(UUID().uuidString)".utf8) + input)
    }
}

/// A flag that can be claimed once, from any thread.
private final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    /// `true` for the first caller only.
    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}
