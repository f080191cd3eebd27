import Crypto
import Foundation
import Receipts

/// A seeded generator of karma entries shaped like a live grid's ledger, for benchmarks and replay
/// tests (specs/karma.md §9).
///
/// Genesis first (every node bonded, the validator with the minimum validator bond), then one
/// heartbeat window after another: the uptime accrual of each node that was up in the previous
/// window (`heartbeatsPerWindow` signed heartbeats, 3–4 by default), then `jobsPerWindow` jobs, each
/// run by three nodes — inference for every node that agreed, redundancy for the agreeing second
/// and third slots, validation by re-execution. Some jobs (`offencesPer10kJobs` in 10,000) carry a
/// wrong output (a slash with the signed receipt and a jail), two wrong outputs (two slashes, two
/// jails, two correlation slashes) or an equivocation; some nodes seed chunks (downloader-signed
/// receipts), bond, unbond and withdraw; now and then a node goes offline long enough for a
/// downtime slash; jailed nodes unjail when their jail ends.
///
/// Every entry is applied to the engine as it is made, so the stream is valid under the rules by
/// construction, and ``state`` is what a replay of every entry handed out must end with. Same seed
/// and sizes, same entries, byte for byte (signatures use zero BIP-340 aux randomness).
public struct SyntheticGrid: Sendable {
    public let engine: KarmaEngine
    /// The state after every entry made so far.
    public private(set) var state = KarmaState()
    /// Entries handed out so far.
    public private(set) var count: UInt64 = 0
    /// The node keys; `keys[0]` is the validator.
    public let keys: [SchnorrSigningKey]
    public let jobsPerWindow: Int
    /// How many signed heartbeats an uptime accrual carries (each entry: uniform in the range).
    public let heartbeatsPerWindow: ClosedRange<Int>
    /// Jobs in 10,000 with an offence (wrong outputs, correlated wrong outputs, equivocations).
    public let offencesPer10kJobs: Int

    private var rng: SplitMix64
    /// Entries planned but not yet handed out (only the genesis entry, before the first window).
    private var queue: [KarmaEntry] = []
    private var window: UInt64
    private var sequence: [UInt64]
    private var offlineUntilWindow: [UInt64?]
    /// The next chunk each downloader attests (a downloader pays for a chunk once, §5.4).
    private var nextChunk: [UInt32]
    private static let aux = Data(count: 32)
    private let model: Digest32
    /// The synthetic model's chunk tree: ``chunkCount`` chunks of 1 MiB, chunk `i` hashing to
    /// `TaggedHash("mesh/karma/synthetic-grid/chunk", i)`.
    private let chunks: InMemoryMerkleTree
    static let chunkCount = 1 << 16

    /// - Parameters:
    ///   - seed: selects keys and every random choice.
    ///   - nodes: grid size including the validator (at least 4).
    ///   - jobsPerWindow: jobs settled per heartbeat window.
    ///   - offencesPer10kJobs: jobs in 10,000 with an offence (each jails for a day or a week, so
    ///     a high rate leaves most of a small grid in jail).
    ///   - heartbeatsPerWindow: signed heartbeats per uptime accrual; clamped to
    ///     `minHeartbeatsPerWindow ... maxHeartbeatsPerEntry`.
    ///   - startMs: ledger time of the genesis entry.
    /// - Throws: ``KarmaError`` when `parameters` are invalid.
    public init(
        seed: UInt64, nodes: Int = 64, jobsPerWindow: Int = 100,
        heartbeatsPerWindow: ClosedRange<Int> = 3...4,
        offencesPer10kJobs: Int = 10, parameters: KarmaParameters = .v2,
        startMs: UInt64 = 1_800_000_000_000
    ) throws(KarmaError) {
        engine = try KarmaEngine(parameters: parameters)
        rng = SplitMix64(seed: seed)
        var keys: [SchnorrSigningKey] = []
        var i: UInt64 = 0
        while keys.count < max(4, nodes) {
            var material = Data("mesh/karma/synthetic-grid/key".utf8)
            withUnsafeBytes(of: seed.bigEndian) { material.append(contentsOf: $0) }
            withUnsafeBytes(of: i.bigEndian) { material.append(contentsOf: $0) }
            i += 1
            // A hash that is not a valid secret scalar (zero or ≥ the group order, probability
            // ~2^-128) is skipped on purpose: the next counter value gives the key instead.
            if let k = try? SchnorrSigningKey(rawRepresentation: Data(SHA256.hash(data: material))) {
                keys.append(k)
            }
        }
        self.keys = keys
        self.jobsPerWindow = max(1, jobsPerWindow)
        self.offencesPer10kJobs = min(max(0, offencesPer10kJobs), 10_000)
        let least = Int(parameters.minHeartbeatsPerWindow)
        let most = max(least, Int(parameters.maxHeartbeatsPerEntry))
        self.heartbeatsPerWindow =
            min(
                max(heartbeatsPerWindow.lowerBound, least), most)...min(
                max(heartbeatsPerWindow.upperBound, least), most)
        sequence = Array(repeating: 0, count: keys.count)
        offlineUntilWindow = Array(repeating: nil, count: keys.count)
        model = TaggedHash.hash(tag: "mesh/karma/synthetic-grid/model", Data())
        nextChunk = Array(repeating: 0, count: keys.count)
        chunks = InMemoryMerkleTree(
            leafHashes: (0..<UInt32(Self.chunkCount)).map {
                var i = $0.bigEndian
                return TaggedHash.hash(
                    tag: "mesh/karma/synthetic-grid/chunk", withUnsafeBytes(of: &i) { Data($0) })
            })
        window = startMs / parameters.heartbeatWindowMs
        let allocations = keys.enumerated().map { i, k in
            GenesisAllocation(
                node: k.publicKey, balance: i == 0 ? 0 : 5_000_000_000,
                bonded: i == 0 ? parameters.minValidatorBond : 2_000_000_000)
        }.sorted { KarmaState.keyOrder($0.node, $1.node) }
        // The log records its rules and the model it pays seeding for before the first karma.
        queue = [
            KarmaEntry(timestampMs: startMs, body: .parameters(parameters)),
            KarmaEntry(
                timestampMs: startMs,
                body: .model(
                    ModelRegistration(
                        modelID: model, chunkRoot: chunks.root, chunkSize: 1 << 20,
                        payloadBytes: UInt64(Self.chunkCount) << 20))),
            KarmaEntry(timestampMs: startMs, body: .genesis(allocations)),
        ]
    }

    /// The entries of the next heartbeat window (the first call: the genesis entry and the first
    /// window), already applied to ``state``.
    /// - Throws: ``KarmaError`` if the engine refuses a generated entry (a generator bug).
    public mutating func nextWindow() throws(KarmaError) -> [KarmaEntry] {
        // Plan on the state itself (moved out, so no copy of its storage): every planned entry is
        // applied as it is planned, and a refusal is a generator bug that ends the stream.
        var scratch = KarmaState()
        swap(&scratch, &state)
        for e in queue { try engine.apply(e, to: &scratch) }
        try planWindow(&scratch)
        let out = queue
        queue = []
        state = scratch
        count += UInt64(out.count)
        return out
    }

    // MARK: Planning

    private var p: KarmaParameters { engine.parameters }

    /// Plans window `window + 1`: judges `window`, then its jobs. Entries that depend on state
    /// changes made earlier in the same plan are planned against a scratch copy of the state.
    private mutating func planWindow(_ scratch: inout KarmaState) throws(KarmaError) {
        let judged = window
        window += 1
        let start = window * p.heartbeatWindowMs
        var t = start
        // Unjail those whose jail is over (before anything that needs them unjailed).
        for i in keys.indices {
            let a = scratch.account(keys[i].publicKey)
            if let until = a.jailedUntilMs, until <= t {
                try plan(staking(i, .unjail, amount: 0, nonce: a.nonce + 1, t: t), &scratch)
            }
        }
        // Liveness of the window that just closed.
        for i in keys.indices {
            let a = scratch.account(keys[i].publicKey)
            if a.isJailed { continue }
            if let off = offlineUntilWindow[i] {
                if judged < off {
                    // Offline: once the missed stretch is long enough, a downtime slash and a jail.
                    if let next = a.nextLivenessWindow, a.bonded > 0, judged >= next,
                        judged - next + 1 >= p.downtimeMissedWindows
                    {
                        try planSlash(i, .downtime(throughWindow: judged), t: t, &scratch)
                        offlineUntilWindow[i] = nil
                    }
                    continue
                }
                offlineUntilWindow[i] = nil
            }
            if let next = a.nextLivenessWindow, judged < next { continue }
            // Uptime is paid to nodes holding the node bond (§5.5).
            guard a.bonded >= p.minNodeBond, a.nextLivenessWindow != nil else { continue }
            try plan(uptime(i, window: judged, t: t), &scratch)
        }
        // Now and then a bonded worker goes offline for longer than the downtime threshold.
        if rng.chance(1, in: 150) {
            let i = 1 + Int(rng.below(UInt64(keys.count - 1)))
            if offlineUntilWindow[i] == nil { offlineUntilWindow[i] = window + p.downtimeMissedWindows + 2 }
        }
        // Jobs, evenly spread over the window.
        let step = max(1, p.heartbeatWindowMs / UInt64(jobsPerWindow + 1))
        for _ in 0..<jobsPerWindow {
            t += step
            try planJob(t: t, &scratch)
            if rng.chance(1, in: 20) { try planSeeding(t: t, &scratch) }
            if rng.chance(1, in: 40) { try planStaking(t: t, &scratch) }
        }
    }

    /// Applies `e` to the scratch state `s` (refused: a generator bug) and queues it.
    private mutating func plan(_ e: KarmaEntry, _ s: inout KarmaState) throws(KarmaError) {
        try engine.apply(e, to: &s)
        queue.append(e)
    }

    private func online(_ i: Int, _ s: KarmaState) -> Bool {
        !s.account(keys[i].publicKey).isJailed && offlineUntilWindow[i] == nil
    }

    private mutating func planJob(
        t: UInt64, _ s: inout KarmaState
    ) throws(KarmaError) {
        let candidates = (1..<keys.count).filter { online($0, s) }
        guard candidates.count >= 3 else { return }
        var picked: [Int] = []
        while picked.count < 3 {
            let c = candidates[Int(rng.below(UInt64(candidates.count)))]
            if !picked.contains(c) { picked.append(c) }
        }
        let job = rng.digest()
        let layers: (UInt32, UInt32) = (0, UInt32(2 + rng.below(6)))
        let macs = 100_000_000 + rng.below(9_900_000_000)
        let agreed = rng.digest()
        // 0: all agree; 1: one wrong; 2: two wrong (correlated); 3: one equivocates (20 : 3 : 5).
        var kind = 0
        if rng.below(10_000) < UInt64(offencesPer10kJobs) {
            let roll = rng.below(28)
            kind = roll < 20 ? 1 : roll < 23 ? 2 : 3
        }
        let wrong = kind == 1 ? [picked[2]] : kind == 2 ? [picked[1], picked[2]] : []
        let honest = picked.filter { !wrong.contains($0) }
        for (slot, i) in honest.enumerated() {
            let node = keys[i].publicKey
            let sla: UInt64 = 1000
            try plan(
                KarmaEntry(
                    timestampMs: t,
                    body: .inference(
                        InferenceAccrual(
                            node: node, jobID: job, receiptDigest: rng.digest(), layerStart: layers.0,
                            layerEnd: layers.1, macs: macs, latencyMs: 200 + rng.below(1200), slaMs: sla))),
                &s)
            if slot > 0 {
                try plan(
                    KarmaEntry(
                        timestampMs: t,
                        body: .redundancy(
                            RedundancyBonus(
                                node: node, jobID: job, layerStart: layers.0, layerEnd: layers.1, macs: macs,
                                agreedOutput: agreed))), &s)
            }
        }
        if engine.isEligibleValidator(keys[0].publicKey, in: s) {
            try plan(
                KarmaEntry(
                    timestampMs: t,
                    body: .validation(
                        ValidationAccrual(
                            validator: keys[0].publicKey, jobID: job, method: .reexecution, macs: macs))),
                &s)
        }
        var offences: [(Int, Offence)] = []
        for i in wrong {
            offences.append(
                (
                    i,
                    .wrongOutput(
                        receipt: try receipt(i, job, layers, output: rng.digest(), t: t),
                        reexecutedOutput: agreed)
                ))
        }
        if kind == 3 {
            let i = honest[honest.count - 1]
            let first = try receipt(i, job, layers, output: agreed, t: t)
            let second = try receipt(i, job, layers, output: rng.digest(), t: t)
            offences.append((i, .equivocation(first: first, second: second)))
        }
        for (i, offence) in offences { try planSlash(i, offence, t: t, &s) }
        if wrong.count >= 2 {
            for i in wrong { try planSlash(i, .correlation(jobID: job), t: t, &s) }
        }
    }

    private mutating func planSlash(
        _ i: Int, _ offence: Offence, t: UInt64, _ s: inout KarmaState,
    ) throws(KarmaError) {
        let node = keys[i].publicKey
        let x = try engine.assess(node: node, offence: offence, timestampMs: t, in: s)
        try plan(
            KarmaEntry(timestampMs: t, body: .slash(Slash(node: node, offence: offence, amount: x.amount))),
            &s)
        if engine.jailPeriodMs(for: offence.kind) > 0, !s.account(node).isJailed {
            try plan(KarmaEntry(timestampMs: t, body: .jail(Jail(node: node, offenceID: x.offenceID))), &s)
        }
    }

    private mutating func planSeeding(
        t: UInt64, _ s: inout KarmaState
    ) throws(KarmaError) {
        let seeder = Int(rng.below(UInt64(keys.count)))
        guard online(seeder, s) else { return }
        var receipts: [ChunkAttestation] = []
        var taken: [Int: UInt64] = [:]
        for _ in 0..<(1 + Int(rng.below(4))) {
            var d = Int(rng.below(UInt64(keys.count)))
            if d == seeder { d = (d + 1) % keys.count }
            // Only bonded downloaders attest, within their allowance for the window (§5.4).
            let account = s.account(keys[d].publicKey)
            let used = account.seeding.flatMap { $0.window == t / p.heartbeatWindowMs ? $0.bytes : nil } ?? 0
            guard account.bonded >= p.minNodeBond, Int(nextChunk[d]) < Self.chunkCount,
                used + (taken[d] ?? 0) + (1 << 20) <= p.seedingMaxBytesPerWindow
            else { continue }
            taken[d, default: 0] += 1 << 20
            let index = nextChunk[d]
            nextChunk[d] += 1
            let r = SeedingChunkReceipt(
                seeder: keys[seeder].publicKey, downloader: keys[d].publicKey, modelID: model,
                chunkRoot: chunks.root, chunkIndex: index, chunkBytes: UInt32(1 << 20),
                chunkHash: chunks.leafHash(Int(index)), servedAtMs: t - rng.below(1000))
            receipts.append(
                ChunkAttestation(
                    receipt: try Signed.sign(r, with: keys[d], auxiliaryRandom32: Self.aux),
                    proof: chunks.inclusionProof(index: Int(index)) ?? []))
        }
        guard !receipts.isEmpty else { return }
        try plan(
            KarmaEntry(
                timestampMs: t,
                body: .seeding(SeedingAccrual(seeder: keys[seeder].publicKey, receipts: receipts))),
            &s)
    }

    private mutating func planStaking(
        t: UInt64, _ s: inout KarmaState
    ) throws(KarmaError) {
        let i = 1 + Int(rng.below(UInt64(keys.count - 1)))
        let a = s.account(keys[i].publicKey)
        let matured = a.unbonding.filter { $0.maturesAtMs <= t }.reduce(0) { $0 + $1.amount }
        let action: StakingAction
        let amount: UInt64
        if matured > 0 {
            (action, amount) = (.withdraw, matured)
        } else if a.bonded > 1_000_000, rng.chance(1, in: 3),
            UInt64(a.unbonding.count) < p.maxUnbondingEntries
        {
            (action, amount) = (.unbond, a.bonded / 10)
        } else if a.balance > 1_000_000 {
            (action, amount) = (.bond, a.balance / 4)
        } else {
            return
        }
        try plan(staking(i, action, amount: amount, nonce: a.nonce + 1 + rng.below(3), t: t), &s)
    }

    // MARK: Signed material

    private func staking(_ i: Int, _ action: StakingAction, amount: UInt64, nonce: UInt64, t: UInt64)
        throws(KarmaError) -> KarmaEntry
    {
        let r = StakingRequest(node: keys[i].publicKey, action: action, amount: amount, nonce: nonce)
        return KarmaEntry(
            timestampMs: t, stakingRequest: try Signed.sign(r, with: keys[i], auxiliaryRandom32: Self.aux))
    }

    private mutating func uptime(_ i: Int, window w: UInt64, t: UInt64) throws(KarmaError) -> KarmaEntry {
        let n = heartbeatsPerWindow.lowerBound + Int(rng.below(UInt64(heartbeatsPerWindow.count)))
        let span = p.heartbeatWindowMs / UInt64(n)
        var beats: [SignedHeartbeat] = []
        for k in 0..<n {
            sequence[i] += 1
            let ts = w * p.heartbeatWindowMs + UInt64(k) * span + rng.below(max(1, span))
            let h = Heartbeat(node: keys[i].publicKey, timestampMs: ts, sequence: sequence[i])
            beats.append(try Signed.sign(h, with: keys[i], auxiliaryRandom32: Self.aux))
        }
        return KarmaEntry(
            timestampMs: t,
            body: .uptime(UptimeAccrual(node: keys[i].publicKey, window: w, heartbeats: beats)))
    }

    private mutating func receipt(
        _ i: Int, _ job: Digest32, _ layers: (UInt32, UInt32), output: Digest32, t: UInt64
    ) throws(KarmaError) -> SignedReceipt {
        sequence[i] += 1
        let r = Receipt(
            jobID: job, modelID: model, layerStart: layers.0, layerEnd: layers.1,
            inputCommitment: rng.digest(), outputCommitment: output, node: keys[i].publicKey,
            startedAtMs: t - 900, finishedAtMs: t - 100, sequence: sequence[i])
        do { return try SignedReceipt.sign(r, with: keys[i], auxiliaryRandom32: Self.aux) } catch {
            throw KarmaError(error)
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator; not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var x: UInt64

    public init(seed: UInt64) { x = seed }

    public mutating func next() -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0).
    public mutating func below(_ n: UInt64) -> UInt64 { next(upperBound: n) }

    /// True with probability `k / n`.
    public mutating func chance(_ k: UInt64, in n: UInt64) -> Bool { below(n) < k }

    /// 32 random bytes.
    public mutating func digest() -> Digest32 {
        var words = (next(), next(), next(), next())
        return withUnsafeBytes(of: &words) { Digest32(exactly32: $0) }
    }
}
