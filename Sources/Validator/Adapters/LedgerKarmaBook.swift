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
    /// How many ledger entries `state` is the replay of. Equal to the ledger's size except while a
    /// write is between its durable append and publishing its state; checkpoints read the two
    /// together, so a checkpoint always commits to the state at its own size.
    private var stateSize: UInt64 = 0
    /// The last checkpoint this book signed, and its size.
    private var lastCheckpoint: (size: UInt64, note: String)?
    private var keys: [Digest32: UInt64] = [:]
    /// The audit draw of each job the log holds one for (``recordedAuditDraw(job:)``).
    private var draws: [Digest32: AuditDraw] = [:]
    private var recent: [XOnlyPublicKey: [NodeAccount.Entry]] = [:]
    /// Every entry's index by node, and the slash entries (the console's paged lists).
    var consoleIndex = ConsoleIndex()
    private var pendingHeartbeats: [XOnlyPublicKey: [SignedHeartbeat]] = [:]
    private let heartbeatJournal: (any HeartbeatJournal)?
    /// The heartbeat window of the last liveness sweep.
    private var lastLivenessSweep: UInt64?
    /// The validator's own identity, which heartbeats through the same rules as any node (a
    /// bonded validator that did not would be slashed for downtime).
    private let selfHeartbeatKey: SchnorrSigningKey?
    private var lastSelfHeartbeatMs: UInt64?
    private let nowMs: @Sendable () -> UInt64
    /// How far a heartbeat's own timestamp may be from ledger time when it arrives (specs/service.md
    /// §5.3): older or newer heartbeats are refused, so no window can be claimed after the fact.
    public nonisolated let heartbeatToleranceMs: UInt64
    /// The model packages this validator holds, by model id: seeding receipts are accepted only for
    /// their chunks, with the chunk proof built from these hashes.
    private var heldChunks: [Digest32: HeldChunks] = [:]
    /// Held from staging to publishing by every step that writes (see ``serialized(_:)``).
    private var gate = SerialGate()
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
        path: String, origin: String, checkpointSeed32: Data, parameters: KarmaParameters = .v2,
        heartbeats: (any HeartbeatJournal)? = nil, selfHeartbeatKey: SchnorrSigningKey? = nil,
        heartbeatToleranceMs: UInt64 = 30_000,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) throws(ValidatorError) {
        let store: SQLiteLedgerStore
        do { store = try SQLiteLedgerStore(path: path) } catch {
            throw .storage("opening the karma ledger at \(path): \(error)")
        }
        try self.init(
            store: store, origin: origin, checkpointSeed32: checkpointSeed32, parameters: parameters,
            heartbeats: heartbeats, selfHeartbeatKey: selfHeartbeatKey,
            heartbeatToleranceMs: heartbeatToleranceMs, nowMs: nowMs)
    }

    /// Opens (or creates) the ledger kept in `store` and replays it; otherwise as
    /// ``init(path:origin:checkpointSeed32:parameters:heartbeats:selfHeartbeatKey:heartbeatToleranceMs:nowMs:)``.
    ///
    /// Blocks while it replays: async callers with a store that blocks on the network open the
    /// book through ``open(store:origin:checkpointSeed32:parameters:heartbeats:selfHeartbeatKey:heartbeatToleranceMs:nowMs:)``.
    public init(
        store: any LedgerStore, origin: String, checkpointSeed32: Data, parameters: KarmaParameters = .v2,
        heartbeats: (any HeartbeatJournal)? = nil, selfHeartbeatKey: SchnorrSigningKey? = nil,
        heartbeatToleranceMs: UInt64 = 30_000,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) throws(ValidatorError) {
        self.heartbeatToleranceMs = heartbeatToleranceMs
        let path = store.location
        do {
            let signer = try NoteSigner(name: origin, ed25519Seed32: checkpointSeed32)
            ledger = try Ledger(store: store, origin: origin, signer: signer)
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
        // The auditor's replay (KarmaReplayer, pipelined), observed to index the log and keep each
        // node's recent history: the book's state is by construction the audit's.
        var keys: [Digest32: UInt64] = [:]
        var draws: [Digest32: AuditDraw] = [:]
        var recent: [XOnlyPublicKey: [NodeAccount.Entry]] = [:]
        var consoleIndex = ConsoleIndex()
        var replayer = KarmaReplayer(engine: engine)
        let ledger = self.ledger
        do {
            try replayer.apply(upTo: ledger.size, read: { try ledger.entries(in: $0) }) {
                index, entry, before, after in
                keys[Self.key(entry)] = index
                if case .auditDraw(let draw) = entry.body { draws[draw.jobID] = draw }
                Self.remember(entry, index: index, before: before, after: after, in: &recent)
                consoleIndex.observe(entry, index: index, before: before, after: after)
            }
        } catch let failure as KarmaReplayFailure {
            throw .storage("\(failure): the ledger holds an entry the karma rules refuse")
        } catch {
            throw .storage("reading the karma ledger at \(path): \(error)")
        }
        let state = replayer.state
        let index = replayer.count
        self.state = state
        self.stateSize = index
        self.keys = keys
        self.draws = draws
        self.recent = recent
        self.consoleIndex = consoleIndex
    }

    /// ``init(store:origin:checkpointSeed32:parameters:heartbeats:selfHeartbeatKey:heartbeatToleranceMs:nowMs:)``
    /// on a dispatch thread, for async callers: opening replays the whole log, which with a store
    /// that blocks on the network must not hold a cooperative thread.
    public static func open(
        store: any LedgerStore, origin: String, checkpointSeed32: Data, parameters: KarmaParameters = .v2,
        heartbeats: (any HeartbeatJournal)? = nil, selfHeartbeatKey: SchnorrSigningKey? = nil,
        heartbeatToleranceMs: UInt64 = 30_000,
        nowMs: @escaping @Sendable () -> UInt64 = ValidatorCore.systemNowMs
    ) async throws(ValidatorError) -> LedgerKarmaBook {
        try await runBlocking { () throws(ValidatorError) in
            try LedgerKarmaBook(
                store: store, origin: origin, checkpointSeed32: checkpointSeed32, parameters: parameters,
                heartbeats: heartbeats, selfHeartbeatKey: selfHeartbeatKey,
                heartbeatToleranceMs: heartbeatToleranceMs, nowMs: nowMs)
        }
    }

    /// Records the karma parameters when the ledger has none or others (specs/karma.md §3: the log
    /// says which rules it was written under), then the genesis entry when no karma exists yet.
    ///
    /// - Throws: `.rejectedByKarma` for invalid allocations, `.storage` when the append fails.
    public func writeGenesis(_ allocations: [(node: XOnlyPublicKey, balance: UInt64, bonded: UInt64)])
        async throws(ValidatorError)
    {
        try await serialized { () async throws(ValidatorError) in
            try await writeGenesisHoldingGate(allocations)
        }
    }

    private func writeGenesisHoldingGate(
        _ allocations: [(node: XOnlyPublicKey, balance: UInt64, bonded: UInt64)]
    )
        async throws(ValidatorError)
    {
        if state.parameters != engine.parameters {
            _ = try await append([KarmaEntry(timestampMs: ledgerTime(), body: .parameters(engine.parameters))]
            )
        }
        guard state.holdsNoKarma, !allocations.isEmpty else { return }
        let sorted = allocations.sorted {
            $0.node.rawRepresentation.lexicographicallyPrecedes($1.node.rawRepresentation)
        }
        let entry = KarmaEntry(
            timestampMs: ledgerTime(),
            body: .genesis(
                sorted.map { GenesisAllocation(node: $0.node, balance: $0.balance, bonded: $0.bonded) }))
        _ = try await append([entry])
    }

    /// Runs `body` holding the book's write gate, after every earlier writer has finished.
    ///
    /// Every step that stages from `state`, appends to the ledger and then publishes the staged
    /// state runs inside this, so the ledger order, the ledger times (never decreasing) and the
    /// published state are exactly those of one-at-a-time application: the live state is the
    /// auditor's replay of the same entries.
    private func serialized<T>(_ body: () async throws(ValidatorError) -> T) async throws(ValidatorError) -> T
    {
        if !gate.tryTake() { await withCheckedContinuation { gate.wait($0) } }
        defer { gate.leave() }
        return try await body()
    }

    /// Registers the model packages this validator holds: appends a `model` entry for each one the
    /// ledger does not know yet (specs/karma.md §5.4), and accepts seeding receipts for their chunks
    /// from now on.
    ///
    /// - Throws: `.rejectedByKarma` when the ledger registered the same model id with other chunk
    ///   data, `.storage` when the append fails.
    public func register(models: [HeldChunks]) async throws(ValidatorError) {
        try await serialized { () async throws(ValidatorError) in
            var entries: [KarmaEntry] = []
            for held in models.sorted(by: { $0.registration.modelID < $1.registration.modelID }) {
                let r = held.registration
                if let known = state.models[r.modelID] {
                    guard known == r.registered else {
                        throw .rejectedByKarma(
                            "model \(r.modelID.hex) is registered in the ledger with other chunk data")
                    }
                } else {
                    entries.append(KarmaEntry(timestampMs: ledgerTime(), body: .model(r)))
                }
                heldChunks[r.modelID] = held
            }
            _ = try await append(entries)
        }
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
        if entry.nodes.isEmpty { return }  // `model` and `parameters` entries change no account
        // Earned karma, spendable or escrowed (specs/karma.md §5.0).
        let delta =
            Int64(clamping: after.balance &+ after.escrow) &- Int64(clamping: before.balance &+ before.escrow)
        var list = recent[entry.node] ?? []
        list.append(
            .init(index: index, type: RecordedEntry.typeName(entry), delta: delta, detail: detail(entry)))
        if list.count > recentLimit { list.removeFirst(list.count - recentLimit) }
        recent[entry.node] = list
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

    // MARK: Following (specs/service.md §8)

    /// Whether this book follows a log another process appends to (a follower of a cluster):
    /// ``checkpoint()`` then serves the leader's latest stored note and balance proofs carry a
    /// note signed here but not stored (specs/service.md §8.4).
    private var following = false

    /// Sets whether the book follows (``following``). A process that takes the lease sets it to
    /// `false` after ``catchUp()`` and ``reloadHeartbeats()``.
    public func setFollowing(_ value: Bool) { following = value }

    /// Brings the book up to the log as stored: re-reads the tree (which must extend the one read
    /// before), then replays the entries appended since by another process through the engine,
    /// as at open, indexing them the same way. A follower calls it periodically; a process that
    /// takes the lease calls it before it appends anything.
    ///
    /// - Returns: the ledger size now applied.
    /// - Throws: `.storage` when the log cannot be read, does not extend what this process read
    ///   before, or holds an entry the karma rules refuse.
    @discardableResult
    public func catchUp() async throws(ValidatorError) -> UInt64 {
        try await serialized { () async throws(ValidatorError) in try await catchUpHoldingGate() }
    }

    private func catchUpHoldingGate() async throws(ValidatorError) -> UInt64 {
        let ledger = self.ledger
        let size: UInt64
        do { size = try await ledger.refresh() } catch {
            throw .storage("following the karma ledger at \(ledger.path): \(error)")
        }
        while stateSize < size {
            let range = stateSize..<min(size, stateSize + Self.catchUpBatch)
            let rows: [Data]
            do { rows = try await ledger.reading { l throws(LedgerError) in try l.entries(in: range) } } catch
            {
                throw .storage("reading karma ledger entries \(range): \(error)")
            }
            var replayer = KarmaReplayer(engine: engine, resuming: state, count: stateSize)
            var observed: [(index: UInt64, entry: KarmaEntry, before: Account, after: Account)] = []
            do {
                try replayer.apply(prepared: KarmaBatch(rows, threads: 1)) { index, entry, before, after in
                    observed.append((index, entry, before, after))
                }
            } catch {
                throw .storage("\(error): the ledger holds an entry the karma rules refuse")
            }
            for o in observed {
                keys[Self.key(o.entry)] = o.index
                if case .auditDraw(let draw) = o.entry.body { draws[draw.jobID] = draw }
                Self.remember(o.entry, index: o.index, before: o.before, after: o.after, in: &recent)
                consoleIndex.observe(o.entry, index: o.index, before: o.before, after: o.after)
            }
            guard replayer.count == range.upperBound else {
                throw .storage("the karma ledger returned \(rows.count) entries for \(range)")
            }
            state = replayer.state
            stateSize = replayer.count
        }
        return size
    }

    /// Entries read and replayed per step of ``catchUp()``.
    private static let catchUpBatch: UInt64 = 4096

    /// Replaces the heartbeats of open windows with the journal's (a process taking the lease
    /// judges the windows its predecessor journaled) and forgets when liveness was last swept.
    public func reloadHeartbeats() async throws(ValidatorError) {
        try await serialized { () async throws(ValidatorError) in
            var pending: [XOnlyPublicKey: [SignedHeartbeat]] = [:]
            for beat in try heartbeatJournal?.pendingHeartbeats() ?? [] {
                pending[beat.message.node, default: []].append(beat)
            }
            if heartbeatJournal != nil { pendingHeartbeats = pending }
            lastLivenessSweep = nil
        }
    }

    // MARK: Recording

    /// Ledger time for the next batch: never before the last entry's.
    /// `ms` (Unix milliseconds) as an ISO 8601 UTC time, for messages.
    static func utc(_ ms: UInt64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }

    private func ledgerTime() -> UInt64 { max(nowMs(), state.lastTimestampMs) }

    /// Records settled jobs: the karma rules derive every entry (``KarmaEngine/plan(settlements:at:on:)``),
    /// and the book appends exactly those, in one durable write, and publishes the state the plan
    /// reached. Entries the ledger already holds (a settlement run again after a crash) are
    /// reported as duplicates with their index; credits the rules refuse for a node's status are
    /// reported as skipped with the reason.
    ///
    /// - Throws: `.rejectedByKarma` when a settlement is inconsistent with the rules (nothing is
    ///   appended), `.storage` when the append fails.
    public func record(_ settlements: [JobSettlement]) async throws(ValidatorError) -> RecordOutcome {
        try await serialized { () async throws(ValidatorError) in try await recordHoldingGate(settlements) }
    }

    private func recordHoldingGate(_ settlements: [JobSettlement]) async throws(ValidatorError)
        -> RecordOutcome
    {
        let plan: KarmaPlan
        do { plan = try engine.plan(settlements: settlements, at: ledgerTime(), on: state) } catch {
            throw .rejectedByKarma("settling \(settlements.count) job(s): \(error)")
        }
        var entries = try await commit(plan)
        var skipped: [SkippedEvent] = []
        for left in plan.left {
            if left.alreadyApplied, let index = keys[Self.key(left.entry)] {
                entries.append(RecordedEntry(left.entry, index: index, duplicate: true, job: left.jobID))
            } else if !left.alreadyApplied {
                skipped.append(
                    SkippedEvent(
                        job: left.jobID?.hex,
                        reason:
                            "\(RecordedEntry.typeName(left.entry)) for \(left.entry.node.hex.prefix(12)) not credited: \(Self.explain(left.reason))"
                    ))
            }
        }
        return RecordOutcome(entries: entries, skipped: skipped)
    }

    /// A refusal in words for settlement notes (jail ends as UTC times).
    static func explain(_ reason: KarmaError) -> String {
        if case .nodeJailed(_, let until) = reason { return "jailed until \(utc(until)) (\(until) ms)" }
        if case .notEligibleValidator(_, let bonded, let minimum) = reason {
            return "bonded \(bonded) µK < minimum \(minimum) µK"
        }
        return "\(reason)"
    }

    /// Appends the plan's entries in one durable write; then the plan's state (every entry applied
    /// once, by the engine) becomes the current state and each entry is indexed. Returns the
    /// entries written, in order.
    private func commit(_ plan: KarmaPlan) async throws(ValidatorError) -> [RecordedEntry] {
        guard !plan.steps.isEmpty else { return [] }
        let appended: [AppendResult]
        do { appended = try await ledger.append(contentsOf: plan.steps.map(\.entry.canonicalBytes)) } catch {
            // A write can fail here and still have committed (the connection dropped after the
            // server's COMMIT, a deadline passed), or the log can have moved without this process
            // (`conflictingWriter`): read it back, so the state is the stored log's whichever way
            // it went — a retried settlement then finds its entries by their keys — instead of
            // every later append failing the tree's compare-and-set.
            do { _ = try await catchUpHoldingGate() } catch let resync {
                throw .storage(
                    "appending \(plan.steps.count) karma entries: \(error); reading the log back failed too: \(resync)"
                )
            }
            throw .storage("appending \(plan.steps.count) karma entries: \(error)")
        }
        var out: [RecordedEntry] = []
        for (step, result) in zip(plan.steps, appended) {
            keys[Self.key(step.entry)] = result.index
            if case .auditDraw(let draw) = step.entry.body { draws[draw.jobID] = draw }
            Self.remember(
                step.entry, index: result.index, before: step.before, after: step.after, in: &recent)
            consoleIndex.observe(step.entry, index: result.index, before: step.before, after: step.after)
            out.append(RecordedEntry(step.entry, index: result.index, duplicate: false, job: step.jobID))
        }
        state = plan.state
        stateSize = (appended.last?.index ?? stateSize) + 1
        return out
    }

    // MARK: Node requests

    /// Judges and records a node request. A heartbeat's journal write is queued under the gate
    /// and awaited after it (group-committed with other heartbeats', off the actor): the request
    /// is answered once it is durable.
    public func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry] {
        let accepted = try await serialized { () async throws(ValidatorError) in
            try await submitHoldingGate(kind, body: body)
        }
        try await accepted.journaled?.outcome()
        return accepted.written
    }

    /// What a request wrote to the ledger, and the journal write still to await.
    private struct Accepted {
        var written: [RecordedEntry]
        var journaled: DurableWrite<Void>?
    }

    private func submitHoldingGate(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError)
        -> Accepted
    {
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
                    body: .seeding(
                        SeedingAccrual(seeder: receipt.message.seeder, receipts: [try attestation(receipt)])))
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
        return Accepted(written: try await append([entry]), journaled: nil)
    }

    /// Journals a heartbeat; when a later window's heartbeat arrives, the node's closed window is
    /// written as one uptime entry (specs/karma.md uptime accrual) and its heartbeats leave the
    /// journal. The journal write is queued in gate order; the caller awaits it. A crash between the ledger append
    /// and the journal update leaves the closed window in the journal; writing it again is a
    /// duplicate entry (same entry key) and changes nothing.
    private func acceptHeartbeat(_ beat: SignedHeartbeat) async throws(ValidatorError) -> Accepted {
        let node = beat.message.node
        let now = ledgerTime()
        let t = beat.message.timestampMs
        guard t <= now + heartbeatToleranceMs, t + heartbeatToleranceMs >= now else {
            throw .rejectedByKarma(
                "heartbeat at \(t) ms is \(t > now ? t - now : now - t) ms from ledger time \(now) ms; the tolerance is \(heartbeatToleranceMs) ms"
            )
        }
        let account = state.account(node)
        guard account.bonded >= engine.parameters.minNodeBond, account.nextLivenessWindow != nil else {
            throw .rejectedByKarma(
                "\(KarmaError.insufficientBond(node: node.hex, bonded: account.bonded, minimum: engine.parameters.minNodeBond)): uptime is paid to bonded nodes only"
            )
        }
        let window = engine.window(containing: beat.message.timestampMs)
        var list = pendingHeartbeats[node] ?? []
        if let last = list.last, last.message.timestampMs >= beat.message.timestampMs {
            if list.contains(where: { $0.message == beat.message }) {
                return Accepted(written: [], journaled: nil)
            }
            throw .rejectedByKarma("heartbeat timestamps must increase (last \(last.message.timestampMs) ms)")
        }
        var written: [RecordedEntry] = []
        var closing = false
        if let first = list.first, engine.window(containing: first.message.timestampMs) < window {
            closing = true
            let closed = engine.window(containing: first.message.timestampMs)
            let accrual = UptimeAccrual(node: node, window: closed, heartbeats: list)
            list = []
            // A window the rules do not pay (too few heartbeats, past its grace) earns nothing;
            // the heartbeat itself is still taken.
            written = try await commit(try livenessPlan([accrual], chargeDowntime: false))
        }
        let journaled = heartbeatJournal?.record(.add(beat, replacingNode: closing))
        list.append(beat)
        pendingHeartbeats[node] = list
        return Accepted(written: written, journaled: journaled)
    }

    /// Applies and appends entries (all or nothing); an entry already in the ledger is reported
    /// as a duplicate and nothing is appended.
    private func append(_ entries: [KarmaEntry]) async throws(ValidatorError) -> [RecordedEntry] {
        var plan = KarmaPlan(state: state)
        for entry in entries {
            if let index = keys[Self.key(entry)] {
                return [RecordedEntry(entry, index: index, duplicate: true)]
            }
            let before = plan.state.account(entry.node)
            do { try engine.apply(entry, to: &plan.state) } catch { throw .rejectedByKarma("\(error)") }
            plan.steps.append(.init(entry: entry, before: before, after: plan.state.account(entry.node)))
        }
        return try await commit(plan)
    }

    /// The liveness plan at ledger time (``KarmaEngine/livenessPlan(closedWindows:at:on:chargeDowntime:)``).
    private func livenessPlan(_ closed: [UptimeAccrual], chargeDowntime: Bool) throws(ValidatorError)
        -> KarmaPlan
    {
        do {
            return try engine.livenessPlan(
                closedWindows: closed, at: ledgerTime(), on: state, chargeDowntime: chargeDowntime)
        } catch {
            throw .rejectedByKarma("judging heartbeat windows: \(error)")
        }
    }

    /// A seeding receipt with its chunk proof, for a chunk of a model this validator holds.
    ///
    /// - Throws: `.rejectedByKarma` naming the model or chunk this validator does not hold.
    private func attestation(_ receipt: SignedSeedingChunkReceipt) throws(ValidatorError) -> ChunkAttestation
    {
        let r = receipt.message
        guard let held = heldChunks[r.modelID] else {
            throw .rejectedByKarma("seeding receipt: this validator does not hold model \(r.modelID.hex)")
        }
        guard
            let proof = held.tree.inclusionProof(index: Int(r.chunkIndex))
        else {
            throw .rejectedByKarma(
                "seeding receipt: model \(r.modelID.hex) has \(held.tree.size) chunks; index \(r.chunkIndex) is not one"
            )
        }
        return ChunkAttestation(receipt: receipt, proof: proof)
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
        try await serialized { () async throws(ValidatorError) in try await sweepLivenessHoldingGate() }
    }

    private func sweepLivenessHoldingGate() async throws(ValidatorError) -> [RecordedEntry] {
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
            // Only a validator holding the node bond is paid uptime (and can be slashed for
            // downtime); one that does not takes no heartbeats.
            if engine.holdsNodeBond(key.publicKey, in: state) {
                do {
                    let accepted = try await acceptHeartbeat(beat)
                    written += accepted.written
                    try await accepted.journaled?.outcome()
                } catch .rejectedByKarma {
                    // An older heartbeat of the same key is journaled (clock stepped back): skip.
                }
            }
        }
        let current = engine.window(containing: t)
        if let last = lastLivenessSweep, last >= current { return written }
        // Closed windows of nodes that sent nothing since: one uptime accrual each; then the
        // downtime the rules find (specs/karma.md §5.5, §6.5).
        var closed: [(node: XOnlyPublicKey, through: UInt64)] = []
        var accruals: [UptimeAccrual] = []
        for node in pendingHeartbeats.keys.sorted(by: { $0.hex < $1.hex }) {
            guard let list = pendingHeartbeats[node], let first = list.first, let last = list.last,
                engine.window(containing: first.message.timestampMs) < current
            else { continue }
            closed.append((node, last.message.timestampMs))
            accruals.append(
                UptimeAccrual(
                    node: node, window: engine.window(containing: first.message.timestampMs), heartbeats: list
                ))
        }
        written += try await commit(try livenessPlan(accruals, chargeDowntime: true))
        // The judged heartbeats leave the journal (later ones that arrived meanwhile stay).
        for (node, through) in closed {
            try await heartbeatJournal?.record(.forget(node: node, through: through)).outcome()
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
            node: node.hex, balance: a.balance, escrow: a.escrow, bonded: a.bonded, unbonding: unbonding,
            jailed: a.isJailed,
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
        if following { return try await followerCheckpoint() }
        for _ in 0..<Self.signingAttempts {
            let state = self.state
            let size = stateSize
            // Nothing appended since the last note: it is still the checkpoint (the sweep asks every
            // second; the account tree is not rebuilt for an unchanged log).
            if let last = lastCheckpoint, last.size == size { return last.note }
            if let note = try await signCheckpoint(size: size, tree: AccountTree(state: state), state: state)
            {
                if size >= lastCheckpoint?.size ?? 0 { lastCheckpoint = (size, note) }
                return note
            }
        }
        throw .unavailable("checkpoint signing raced with newer checkpoints \(Self.signingAttempts) times")
    }

    /// `node`'s account with its inclusion proof in the account tree of the current state, and
    /// the checkpoint whose `karma-state` line commits to that state (specs/ledger.md §10.3);
    /// `nil` when the node has no (non-empty) account. State and size are read as in
    /// ``checkpoint()``.
    public func auditMinimumPPM(nodes: [XOnlyPublicKey]) async -> UInt32 {
        AuditRule.minimumPPM(nodes: nodes, in: state)
    }

    public func recordedAuditDraw(job: Digest32) async -> AuditDraw? { draws[job] }

    public func balanceProof(of node: XOnlyPublicKey) async throws(ValidatorError) -> BalanceProofDocument? {
        for _ in 0..<Self.signingAttempts {
            let state = self.state
            let size = stateSize
            let tree = AccountTree(state: state)
            guard let inclusion = AccountInclusion(node: node, state: state, tree: tree) else { return nil }
            if let note = try await signCheckpoint(size: size, tree: tree, state: state) {
                return BalanceProofDocument(inclusion: inclusion, checkpointNote: note)
            }
        }
        throw .unavailable("checkpoint signing raced with newer checkpoints \(Self.signingAttempts) times")
    }

    /// A follower's checkpoint: the latest one the leader stored, read before the book catches
    /// up, so every proof this process serves reaches it.
    private func followerCheckpoint() async throws(ValidatorError) -> String {
        let ledger = self.ledger
        let note: String?
        do { note = try await ledger.reading { l throws(LedgerError) in try l.latestCheckpoint() } } catch {
            throw .storage("reading the latest checkpoint: \(error)")
        }
        guard let note else { throw .unavailable("the cluster's leader has signed no checkpoint yet") }
        try await catchUp()
        return note
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
    private func signCheckpoint(size: UInt64, tree: AccountTree, state: KarmaState)
        async throws(ValidatorError) -> String?
    {
        let line = KarmaStateCommitment(tree: tree, state: state).extensionLine
        if following {
            // Not stored: only the leader writes the log (specs/service.md §8.4).
            do {
                return try await ledger.signDetachedCheckpoint(size: size, extensions: [line]).formatted
            } catch {
                throw .storage("signing a checkpoint: \(error)")
            }
        }
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
            return try await ledger.reading { l throws(LedgerError) in try l.tile(path: path) }
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
        do {
            return try await ledger.reading { l throws(LedgerError) in
                try l.inclusionProofDocument(index: index, size: size)
            }
        } catch {
            throw Self.proofError(error)
        }
    }

    public nonisolated func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError)
        -> ConsistencyProofDocument
    {
        do {
            return try await ledger.reading { l throws(LedgerError) in
                try l.consistencyProofDocument(from: old, to: new)
            }
        } catch {
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
