import Foundation
import Karma
import Ledger
import Receipts

/// The production `KarmaLedger`: karma rules from the Karma module (`KarmaEngine`) over the
/// Merkle log of the Ledger module, one canonical `KarmaEntry` per leaf.
///
/// On open it replays the whole ledger through the engine, so the in-memory state always equals
/// what an auditor's `mesh-validator audit balances` computes. Appends are serialised by the actor:
/// entries are applied to a staged state first (all or nothing), then appended durably, then the
/// staged state becomes current.
///
/// Idempotence (specs/service.md §4.6): every entry has an *entry key*, the tagged hash of its
/// canonical bytes with the ledger time (and, for slashes, the amount) set to zero. An event whose
/// entry key is already in the ledger is reported as a duplicate with its existing index and not
/// appended again.
public actor LedgerKarmaBook: KarmaLedger {
    public nonisolated let ledger: Ledger
    public nonisolated let engine: KarmaEngine
    private var state: KarmaState
    private var keys: [Digest32: UInt64] = [:]
    private var recent: [XOnlyPublicKey: [NodeAccount.Entry]] = [:]
    private var pendingHeartbeats: [XOnlyPublicKey: [SignedHeartbeat]] = [:]
    private let heartbeatJournal: (any HeartbeatJournal)?
    /// The heartbeat window of the last liveness sweep.
    private var lastLivenessSweep: UInt64?
    /// The validator's own identity, which heartbeats through the same rules as any node (a
    /// bonded validator that did not would be slashed for downtime).
    private let selfHeartbeatKey: SchnorrSigningKey?
    private var lastSelfHeartbeatMs: UInt64?
    private let nowMs: @Sendable () -> UInt64
    private static let recentLimit = 200
    static let keyTag = "mesh/validator/entry-key/v1"

    /// Opens (or creates) the ledger at `path` and replays it.
    ///
    /// - Throws: `ValidatorError.storage` when the ledger cannot be opened or an entry does not
    ///   replay (a corrupted or foreign log).
    /// A new ledger starts empty; `writeGenesis` then appends the genesis entry if configured.
    ///
    /// - Parameters:
    ///   - heartbeats: where heartbeats of open windows are kept durably (without one they are kept
    ///     in memory and a restart loses them).
    ///   - selfHeartbeatKey: the validator's identity key; `sweepLiveness` then heartbeats for it.
    public init(
        path: String, origin: String, checkpointSeed32: Data, parameters: KarmaParameters = .v1,
        heartbeats: (any HeartbeatJournal)? = nil, selfHeartbeatKey: SchnorrSigningKey? = nil,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) throws(ValidatorError) {
        do {
            let signer = try NoteSigner(name: origin, ed25519Seed32: checkpointSeed32)
            ledger = try Ledger(path: path, origin: origin, signer: signer)
            engine = try KarmaEngine(parameters: parameters)
        } catch {
            throw .storage("opening the karma ledger at \(path): \(error)")
        }
        self.nowMs = nowMs
        heartbeatJournal = heartbeats
        self.selfHeartbeatKey = selfHeartbeatKey
        for beat in try heartbeats?.pendingHeartbeats() ?? [] {
            pendingHeartbeats[beat.message.node, default: []].append(beat)
        }
        var state = KarmaState()
        var keys: [Digest32: UInt64] = [:]
        var recent: [XOnlyPublicKey: [NodeAccount.Entry]] = [:]
        var index: UInt64 = 0
        let size = ledger.size
        let batch: UInt64 = 4096
        while index < size {
            let end = min(size, index + batch)
            let blobs: [Data]
            do { blobs = try ledger.entries(in: index..<end) } catch {
                throw .storage("reading ledger entries \(index)..<\(end): \(error)")
            }
            for blob in blobs {
                do {
                    let entry = try KarmaEntry(canonicalBytes: blob)
                    let before = state.account(entry.node)
                    try engine.apply(entry, to: &state)
                    keys[Self.key(entry)] = index
                    Self.remember(
                        entry, index: index, before: before, after: state.account(entry.node), in: &recent)
                } catch {
                    throw .storage("ledger entry \(index) does not replay under the karma rules: \(error)")
                }
                index += 1
            }
        }
        self.state = state
        self.keys = keys
        self.recent = recent
    }

    /// Appends the genesis entry when the ledger is empty (does nothing otherwise).
    ///
    /// - Throws: `.rejectedByKarma` for invalid allocations, `.storage` when the append fails.
    public func writeGenesis(_ allocations: [(node: XOnlyPublicKey, balance: UInt64, bonded: UInt64)])
        async throws(ValidatorError)
    {
        guard ledger.size == 0, !allocations.isEmpty else { return }
        let sorted = allocations.sorted {
            $0.node.rawRepresentation.lexicographicallyPrecedes($1.node.rawRepresentation)
        }
        let entry = KarmaEntry(
            timestampMs: ledgerTime(),
            body: .genesis(
                sorted.map { GenesisAllocation(node: $0.node, balance: $0.balance, bonded: $0.bonded) }))
        _ = try await append([entry])
    }

    /// The karma state after every entry (for audits and tests).
    public var currentState: KarmaState { state }

    /// The entry key (see the type's documentation).
    static func key(_ entry: KarmaEntry) -> Digest32 {
        var e = entry
        e.timestampMs = 0
        if case .slash(var s) = e.body {
            s.amount = 0
            e.body = .slash(s)
        }
        return TaggedHash.hash(tag: keyTag, e.canonicalBytes)
    }

    private static func remember(
        _ entry: KarmaEntry, index: UInt64, before: Account, after: Account,
        in recent: inout [XOnlyPublicKey: [NodeAccount.Entry]]
    ) {
        let delta = Int64(clamping: after.balance) &- Int64(clamping: before.balance)
        var list = recent[entry.node] ?? []
        list.append(.init(index: index, type: entry.type.description, delta: delta, detail: detail(entry)))
        if list.count > recentLimit { list.removeFirst(list.count - recentLimit) }
        recent[entry.node] = list
    }

    /// The entry type name reported in `RecordedEntry`: the specs/karma.md type, and for slashes
    /// the offence (`slash/wrongOutput`, `slash/correlation`, ...).
    static func typeName(_ entry: KarmaEntry) -> String {
        if case .slash(let s) = entry.body { return "slash/\(s.offence.kind)" }
        return entry.type.description
    }

    static func detail(_ entry: KarmaEntry) -> String {
        switch entry.body {
        case .inference(let a):
            "job \(a.jobID.hex.prefix(12)) layers [\(a.layerStart),\(a.layerEnd)) \(a.macs) MAC"
        case .redundancy(let a): "job \(a.jobID.hex.prefix(12)) agreed \(a.agreedOutput.hex.prefix(12))"
        case .validation(let a): "job \(a.jobID.hex.prefix(12)) by \(a.method)"
        case .seeding(let a): "\(a.receipts.count) chunk receipt(s)"
        case .uptime(let a): "window \(a.window), \(a.heartbeats.count) heartbeat(s)"
        case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r): "\(r.message.amount) µK"
        case .slash(let s): "\(s.offence.kind) burned \(s.amount) µK"
        case .jail(let j): "offence \(j.offenceID.hex.prefix(12))"
        default: entry.type.description
        }
    }

    // MARK: Recording

    /// Ledger time for the next batch: never before the last entry's.
    /// `ms` (Unix milliseconds) as an ISO 8601 UTC time, for messages.
    static func utc(_ ms: UInt64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }

    private func ledgerTime() -> UInt64 { max(nowMs(), state.lastTimestampMs) }

    public func record(_ events: [KarmaEvent]) async throws(ValidatorError) -> RecordOutcome {
        let t = ledgerTime()
        var staged = state
        var planned: [Planned] = []
        var results: [RecordedEntry] = []
        var skipped: [SkippedEvent] = []
        var currentJob: String?
        var stagedKeys: [Digest32: Int] = [:]
        var correlated: [(XOnlyPublicKey, Digest32)] = []

        /// Applies `entry` to the staged state unless already recorded; `softFail` turns a
        /// status refusal (jailed, not eligible) into a skip.
        func stage(_ entry: KarmaEntry, what: String) throws(ValidatorError) {
            let key = Self.key(entry)
            if let index = keys[key] {
                results.append(
                    RecordedEntry(
                        index: index, type: Self.typeName(entry), node: entry.node.hex, duplicate: true,
                        job: currentJob))
                return
            }
            if stagedKeys[key] != nil { return }
            let before = staged.account(entry.node)
            do {
                try engine.apply(entry, to: &staged)
            } catch .nodeJailed(let node, let until) {
                skipped.append(
                    SkippedEvent(
                        job: currentJob,
                        reason:
                            "\(what) for \(node.prefix(12)) not credited: jailed until \(Self.utc(until)) (\(until) ms)"
                    ))
                return
            } catch .notEligibleValidator(let node, let bonded, let minimum) {
                skipped.append(
                    SkippedEvent(
                        job: currentJob,
                        reason:
                            "\(what) for \(node.prefix(12)) not credited: bonded \(bonded) µK < minimum \(minimum) µK"
                    ))
                return
            } catch {
                throw .rejectedByKarma("\(what): \(error)")
            }
            stagedKeys[key] = planned.count
            planned.append((entry, key, before, staged.account(entry.node)))
            results.append(
                RecordedEntry(
                    index: UInt64.max, type: Self.typeName(entry), node: entry.node.hex, duplicate: false,
                    job: currentJob))
        }

        func stageSlash(
            node: XOnlyPublicKey, offence: Karma.Offence, t: UInt64,
            stage: (KarmaEntry, String) throws(ValidatorError) -> Void
        ) throws(ValidatorError) {
            let probe = KarmaEntry(
                timestampMs: t, body: .slash(Slash(node: node, offence: offence, amount: 0)))
            if let index = keys[Self.key(probe)] {
                results.append(
                    RecordedEntry(
                        index: index, type: Self.typeName(probe), node: node.hex, duplicate: true,
                        job: currentJob))
                return
            }
            let assessment: OffenceAssessment
            do {
                assessment = try engine.assess(node: node, offence: offence, timestampMs: t, in: staged)
            } catch .offenceAlreadySlashed {
                return
            } catch {
                throw .rejectedByKarma("\(offence.kind) slash for \(node.hex): \(error)")
            }
            try stage(
                KarmaEntry(
                    timestampMs: t,
                    body: .slash(Slash(node: node, offence: offence, amount: assessment.amount))),
                "slash")
            if engine.jailPeriodMs(for: offence.kind) > 0, staged.account(node).jailedUntilMs == nil {
                try stage(
                    KarmaEntry(
                        timestampMs: t, body: .jail(Jail(node: node, offenceID: assessment.offenceID))),
                    "jail")
            }
        }

        for event in events {
            currentJob = event.job.hex
            switch event {
            case .inference(let c):
                try stage(
                    KarmaEntry(
                        timestampMs: t,
                        body: .inference(
                            InferenceAccrual(
                                node: c.node, jobID: c.job, receiptDigest: c.receiptDigest,
                                layerStart: c.layers.lowerBound, layerEnd: c.layers.upperBound,
                                macs: c.multiplyAccumulates,
                                latencyMs: c.latencyMs, slaMs: c.slaMs))), what: "inference")
            case .redundancy(let node, let job, let layers, let macs, let agreed):
                try stage(
                    KarmaEntry(
                        timestampMs: t,
                        body: .redundancy(
                            RedundancyBonus(
                                node: node, jobID: job, layerStart: layers.lowerBound,
                                layerEnd: layers.upperBound,
                                macs: macs, agreedOutput: agreed))), what: "redundancy")
            case .validation(let validator, let job, let byProof, let macs):
                try stage(
                    KarmaEntry(
                        timestampMs: t,
                        body: .validation(
                            ValidationAccrual(
                                validator: validator, jobID: job, method: byProof ? .proof : .reexecution,
                                macs: macs))),
                    what: "validation")
            case .slash(let node, let job, let offence, let count, let evidence):
                guard let karmaOffence = Self.offence(offence, evidence: evidence) else {
                    throw .rejectedByKarma("\(offence.rawValue) slash for \(node.hex) lacks its evidence")
                }
                try stageSlash(node: node, offence: karmaOffence, t: t, stage: stage)
                if count >= 2 { correlated.append((node, job)) }
            case .slaMiss:
                // specs/karma.md has no SLA-miss entry: the miss is recorded in the job's
                // settlement only (specs/service.md §4.5).
                break
            }
        }
        // Correlation penalties come after every primary slash of the job is staged.
        for (node, job) in correlated {
            currentJob = job.hex
            try stageSlash(node: node, offence: .correlation(jobID: job), t: t, stage: stage)
        }

        let written = try await commit(planned, staged: staged)
        var next = 0
        for i in results.indices where results[i].index == UInt64.max {
            results[i].index = written[next].index
            next += 1
        }
        return RecordOutcome(entries: results, skipped: skipped)
    }

    /// An entry applied to a staged state: its entry key and the account before and after it (kept
    /// for the node's recent history, so nothing is applied twice).
    private typealias Planned = (entry: KarmaEntry, key: Digest32, before: Account, after: Account)

    /// Appends `planned` in one durable write; then `staged` (every planned entry applied once)
    /// becomes the current state and each entry is indexed. Returns the entries written, in order.
    private func commit(_ planned: [Planned], staged: KarmaState) async throws(ValidatorError)
        -> [RecordedEntry]
    {
        guard !planned.isEmpty else { return [] }
        let appended: [AppendResult]
        do { appended = try await ledger.append(contentsOf: planned.map(\.entry.canonicalBytes)) } catch {
            throw .storage("appending \(planned.count) karma entries: \(error)")
        }
        var out: [RecordedEntry] = []
        for (p, result) in zip(planned, appended) {
            keys[p.key] = result.index
            Self.remember(p.entry, index: result.index, before: p.before, after: p.after, in: &recent)
            out.append(
                RecordedEntry(
                    index: result.index, type: Self.typeName(p.entry), node: p.entry.node.hex,
                    duplicate: false))
        }
        state = staged
        return out
    }

    static func offence(_ offence: Validator.Offence, evidence: OffenceEvidence) -> Karma.Offence? {
        switch offence {
        case .equivocation:
            guard evidence.receipts.count >= 2 else { return nil }
            return .equivocation(first: evidence.receipts[0], second: evidence.receipts[1])
        case .wrongOutput:
            guard let receipt = evidence.receipts.first, let truth = evidence.truth else { return nil }
            return .wrongOutput(receipt: receipt, reexecutedOutput: truth)
        case .invalidProof:
            guard let receipt = evidence.receipts.first, let hash = evidence.proofHash else { return nil }
            let reason =
                String((evidence.note ?? "proof did not verify").utf8.prefix(200)) ?? "proof did not verify"
            return .invalidProof(
                receipt: receipt, proofHash: hash, reason: reason.isEmpty ? "proof did not verify" : reason)
        }
    }

    // MARK: Node requests

    public func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry] {
        let value: JSONValue
        do { value = try StrictJSON.parse(body) } catch { throw .malformedBody("\(kind.rawValue): \(error)") }
        let t = ledgerTime()
        let entry: KarmaEntry
        do {
            switch kind {
            case .heartbeat:
                let beat = try SignedHeartbeat(jsonObject: value)
                guard beat.isValid else { throw ValidatorError.invalidSignature("heartbeat") }
                return try await acceptHeartbeat(beat)
            case .seedingReceipt:
                let receipt = try SignedSeedingChunkReceipt(jsonObject: value)
                guard receipt.isValid else { throw ValidatorError.invalidSignature("seeding chunk receipt") }
                entry = KarmaEntry(
                    timestampMs: t,
                    body: .seeding(SeedingAccrual(seeder: receipt.message.seeder, receipts: [receipt])))
            case .bond, .unbond, .withdraw:
                let request = try SignedStakingRequest(jsonObject: value)
                guard request.isValid else { throw ValidatorError.invalidSignature("staking request") }
                let want: StakingAction = kind == .bond ? .bond : kind == .unbond ? .unbond : .withdraw
                guard request.message.action == want else {
                    throw ValidatorError.malformedBody(
                        "the request's action is \(request.message.action), but it was posted to /v1/staking/\(kind.rawValue)"
                    )
                }
                entry = KarmaEntry(
                    timestampMs: t,
                    body: kind == .bond
                        ? .bond(request) : kind == .unbond ? .unbond(request) : .withdraw(request))
            }
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .malformedBody("\(kind.rawValue): \(error)")
        }
        return try await append([entry])
    }

    /// Journals a heartbeat; when a later window's heartbeat arrives, the node's closed window is
    /// written as one uptime entry (specs/karma.md uptime accrual) and its heartbeats leave the
    /// journal. The heartbeat is durable before this returns. A crash between the ledger append
    /// and the journal update leaves the closed window in the journal; writing it again is a
    /// duplicate entry (same entry key) and changes nothing.
    private func acceptHeartbeat(_ beat: SignedHeartbeat) async throws(ValidatorError) -> [RecordedEntry] {
        let node = beat.message.node
        let window = engine.window(containing: beat.message.timestampMs)
        var list = pendingHeartbeats[node] ?? []
        if let last = list.last, last.message.timestampMs >= beat.message.timestampMs {
            if list.contains(where: { $0.message == beat.message }) { return [] }
            throw .rejectedByKarma("heartbeat timestamps must increase (last \(last.message.timestampMs) ms)")
        }
        var written: [RecordedEntry] = []
        var closing = false
        if let first = list.first, engine.window(containing: first.message.timestampMs) < window {
            closing = true
            let closed = engine.window(containing: first.message.timestampMs)
            let entry = KarmaEntry(
                timestampMs: ledgerTime(),
                body: .uptime(UptimeAccrual(node: node, window: closed, heartbeats: list)))
            list = []
            do {
                written = try await append([entry])
            } catch .rejectedByKarma(let why) {
                // Too few heartbeats in the window (or already judged): nothing to credit.
                _ = why
            }
        }
        try heartbeatJournal?.journal(beat, replacing: closing)
        list.append(beat)
        pendingHeartbeats[node] = list
        return written
    }

    /// Applies and appends entries (all or nothing); an entry already in the ledger is reported
    /// as a duplicate and nothing is appended.
    private func append(_ entries: [KarmaEntry]) async throws(ValidatorError) -> [RecordedEntry] {
        var staged = state
        var planned: [Planned] = []
        for entry in entries {
            let key = Self.key(entry)
            if let index = keys[key] {
                return [
                    RecordedEntry(
                        index: index, type: Self.typeName(entry), node: entry.node.hex, duplicate: true)
                ]
            }
            let before = staged.account(entry.node)
            do { try engine.apply(entry, to: &staged) } catch { throw .rejectedByKarma("\(error)") }
            planned.append((entry, key, before, staged.account(entry.node)))
        }
        return try await commit(planned, staged: staged)
    }

    /// Applies, in order, every entry the karma rules accept to one staged state and appends those
    /// in one durable write; an entry the rules refuse or the ledger already holds is left out.
    private func appendAccepted(_ entries: [KarmaEntry]) async throws(ValidatorError) -> [RecordedEntry] {
        var staged = state
        var planned: [Planned] = []
        for entry in entries {
            let key = Self.key(entry)
            guard keys[key] == nil else { continue }
            let before = staged.account(entry.node)
            do { try engine.apply(entry, to: &staged) } catch { continue }
            planned.append((entry, key, before, staged.account(entry.node)))
        }
        return try await commit(planned, staged: staged)
    }

    // MARK: Liveness

    /// How often the validator heartbeats for itself: `minHeartbeatsPerWindow + 1` times a window,
    /// so every whole window it runs through counts as up.
    var selfHeartbeatIntervalMs: UInt64 {
        max(1, engine.parameters.heartbeatWindowMs / (engine.parameters.minHeartbeatsPerWindow + 1))
    }

    /// Judges heartbeat windows that have closed (specs/karma.md §5.5, §6.5), at most once per
    /// window: writes the uptime accrual of every node whose journaled heartbeats lie in a closed
    /// window (a node that stopped sending has no later heartbeat to close it), then slashes and
    /// jails every bonded, unjailed node whose missed stretch has reached
    /// `downtimeMissedWindows`. Called by the service's periodic sweep.
    ///
    /// First, when a `selfHeartbeatKey` is set and `selfHeartbeatIntervalMs` has passed since the
    /// last one, it takes a heartbeat of the validator itself, signed with that key.
    public func sweepLiveness() async throws(ValidatorError) -> [RecordedEntry] {
        let t = ledgerTime()
        var written: [RecordedEntry] = []
        if let key = selfHeartbeatKey, lastSelfHeartbeatMs.map({ t >= $0 + selfHeartbeatIntervalMs }) ?? true
        {
            lastSelfHeartbeatMs = t
            let beat: SignedHeartbeat
            do {
                beat = try Signed.sign(Heartbeat(node: key.publicKey, timestampMs: t, sequence: t), with: key)
            } catch {
                throw .internalFailure("signing the validator's heartbeat: \(error)")
            }
            do { written += try await acceptHeartbeat(beat) } catch .rejectedByKarma {
                // An older heartbeat of the same key is journaled (clock stepped back): skip this one.
            }
        }
        let current = engine.window(containing: t)
        if let last = lastLivenessSweep, last >= current { return written }
        // Closed windows of nodes that sent nothing since: one uptime accrual each.
        var closed: [(node: XOnlyPublicKey, through: UInt64)] = []
        var entries: [KarmaEntry] = []
        for node in pendingHeartbeats.keys.sorted(by: { $0.hex < $1.hex }) {
            guard let list = pendingHeartbeats[node], let first = list.first, let last = list.last,
                engine.window(containing: first.message.timestampMs) < current
            else { continue }
            closed.append((node, last.message.timestampMs))
            entries.append(
                KarmaEntry(
                    timestampMs: t,
                    body: .uptime(
                        UptimeAccrual(
                            node: node, window: engine.window(containing: first.message.timestampMs),
                            heartbeats: list))))
        }
        // Bonded nodes whose missed stretch reached the threshold (and that are not credited a
        // window just now): a downtime slash and a jail.
        let closedNodes = Set(closed.map(\.node))
        if current > 0 {
            let through = current - 1
            let needed = engine.parameters.downtimeMissedWindows
            for (node, account) in state.accounts.sorted(by: { $0.key.hex < $1.key.hex }) {
                guard account.bonded > 0, !account.isJailed, let next = account.nextLivenessWindow,
                    through >= next, through - next + 1 >= needed,
                    !closedNodes.contains(node)
                else { continue }
                let offence = Karma.Offence.downtime(throughWindow: through)
                guard
                    let assessment = try? engine.assess(
                        node: node, offence: offence, timestampMs: t, in: state)
                else { continue }
                entries.append(
                    KarmaEntry(
                        timestampMs: t,
                        body: .slash(Slash(node: node, offence: offence, amount: assessment.amount))))
                if engine.jailPeriodMs(for: .downtime) > 0 {
                    entries.append(
                        KarmaEntry(
                            timestampMs: t, body: .jail(Jail(node: node, offenceID: assessment.offenceID))))
                }
            }
        }
        written += try await appendAccepted(entries)
        // The judged heartbeats leave the journal (later ones that arrived meanwhile stay).
        for (node, through) in closed {
            try heartbeatJournal?.forgetHeartbeats(of: node, through: through)
            let rest = (pendingHeartbeats[node] ?? []).filter { $0.message.timestampMs > through }
            pendingHeartbeats[node] = rest.isEmpty ? nil : rest
        }
        lastLivenessSweep = current
        return written
    }

    // MARK: Queries

    public func account(of node: XOnlyPublicKey, recent count: Int) async throws(ValidatorError)
        -> NodeAccount?
    {
        guard state.accounts[node] != nil || recent[node] != nil else { return nil }
        return view(node, recent: count)
    }

    private func view(_ node: XOnlyPublicKey, recent count: Int) -> NodeAccount {
        let a = state.account(node)
        let s = a.scores
        let offences = UInt64(state.offences.values.filter { $0.node == node }.count)
        let unbonding = (try? a.unbondingTotal()) ?? 0
        return NodeAccount(
            node: node.hex, balance: a.balance, bonded: a.bonded, unbonding: unbonding, jailed: a.isJailed,
            jailedUntilMs: a.jailedUntilMs,
            scores: [
                "inference": s.inference, "seeding": s.seeding, "uptime": s.uptime,
                "redundancy": s.redundancy,
                "validation": s.validation,
            ], offences: offences, recentEntries: Array((recent[node] ?? []).suffix(count)))
    }

    public func accounts() async throws(ValidatorError) -> [NodeAccount] {
        let nodes = Set(state.accounts.keys).union(recent.keys)
        return nodes.sorted { $0.hex < $1.hex }.map { view($0, recent: 0) }
    }

    /// Signs (or returns) the checkpoint of the ledger with the `karma-state` line of the state
    /// after exactly its size entries (specs/ledger.md §10.2).
    ///
    /// Contract: whenever the actor is not suspended, `state` is the replay of exactly the
    /// ledger's `size` entries (the write path appends and publishes the state in one step). Both
    /// are read in one synchronous turn, before any suspension, and the size is passed to the
    /// ledger, so appends landing while it signs are never paired with this state.
    public func checkpoint() async throws(ValidatorError) -> String {
        for _ in 0..<Self.signingAttempts {
            let state = self.state
            let size = ledger.size
            if let note = try await signCheckpoint(size: size, tree: AccountTree(state: state), state: state)
            {
                return note
            }
        }
        throw .unavailable("checkpoint signing raced with newer checkpoints \(Self.signingAttempts) times")
    }

    /// `node`'s account with its inclusion proof in the account tree of the current state, and
    /// the checkpoint whose `karma-state` line commits to that state (specs/ledger.md §10.3);
    /// `nil` when the node has no (non-empty) account. State and size are read as in
    /// ``checkpoint()``.
    public func balanceProof(of node: XOnlyPublicKey) async throws(ValidatorError) -> BalanceProofDocument? {
        for _ in 0..<Self.signingAttempts {
            let state = self.state
            let size = ledger.size
            let tree = AccountTree(state: state)
            guard let inclusion = AccountInclusion(node: node, state: state, tree: tree) else { return nil }
            if let note = try await signCheckpoint(size: size, tree: tree, state: state) {
                return BalanceProofDocument(inclusion: inclusion, checkpointNote: note)
            }
        }
        throw .unavailable("checkpoint signing raced with newer checkpoints \(Self.signingAttempts) times")
    }

    /// Reads of state and size tried before giving up when concurrent requests keep signing
    /// newer checkpoints first.
    private static let signingAttempts = 8

    /// The checkpoint verifier key (c2sp.org/signed-note vkey form).
    public nonisolated func checkpointKey() async throws(ValidatorError) -> String {
        guard let key = ledger.verifierKey else { throw .storage("the ledger has no checkpoint key") }
        return key
    }

    /// Signs the checkpoint of the first `size` entries with the `karma-state` line of `state`.
    /// - Precondition: `state` is the replay of exactly those entries and `tree` its account tree.
    /// - Returns: the note, or `nil` when a concurrent request has meanwhile signed a larger
    ///   checkpoint (the log never signs a smaller one): read state and size again.
    private nonisolated func signCheckpoint(size: UInt64, tree: AccountTree, state: KarmaState)
        async throws(ValidatorError) -> String?
    {
        let line = KarmaStateCommitment(tree: tree, state: state).extensionLine
        do {
            return try await ledger.signCheckpoint(size: size, extensions: [line]).formatted
        } catch LedgerError.inconsistentWithSignedCheckpoint(let signed, _) where signed > size {
            return nil
        } catch {
            throw .storage("signing a checkpoint: \(error)")
        }
    }

    public nonisolated func tile(path: String) async throws(ValidatorError) -> Data {
        do {
            return try ledger.tile(path: path)
        } catch .badTilePath(let why) {
            throw .badParameter(name: "tile", reason: why)
        } catch .tileNotFound(let what) {
            throw .notFound("tile \(what)")
        } catch {
            throw .badParameter(name: "tile", reason: "\(error)")
        }
    }

    public nonisolated func inclusionProof(index: UInt64, size: UInt64?) async throws(ValidatorError)
        -> InclusionProofDocument
    {
        do { return try ledger.inclusionProofDocument(index: index, size: size) } catch {
            throw Self.proofError(error)
        }
    }

    public nonisolated func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError)
        -> ConsistencyProofDocument
    {
        do { return try ledger.consistencyProofDocument(from: old, to: new) } catch {
            throw Self.proofError(error)
        }
    }

    private static func proofError(_ error: LedgerError) -> ValidatorError {
        switch error {
        case .indexOutOfRange, .sizeBeyondTree, .sizeDecreased:
            .badParameter(name: "size", reason: "\(error)")
        default: .storage("\(error)")
        }
    }

    public nonisolated func size() async throws(ValidatorError) -> UInt64 { ledger.size }
}
