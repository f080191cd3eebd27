import Foundation
import Receipts

/// The karma state machine: `apply(entry, state) -> state`, pure and deterministic
/// (specs/karma.md §5–§8).
///
/// No I/O, no clocks, no randomness, no floating point: the result depends only on the entry, the
/// state and the parameters, so anyone replaying the ledger gets the same ``KarmaState/stateHash``.
/// An entry that breaks a rule is refused with a ``KarmaError`` and the input state is unchanged
/// (states are values; a refused entry's partial work is discarded).
public struct KarmaEngine: Sendable {
    public let parameters: KarmaParameters

    /// Domain tag of claim keys (§8.3).
    public static let claimTag = "mesh/karma/claim/v1"
    /// Domain tag of offence ids (§6.7).
    public static let offenceTag = "mesh/karma/offence/v1"

    /// - Throws: ``KarmaError/invalidParameters(_:)`` when `parameters` break a documented bound.
    public init(parameters: KarmaParameters = .v2) throws(KarmaError) {
        try parameters.validate()
        self.parameters = parameters
    }

    /// Applies one entry (specs/karma.md §5–§7).
    ///
    /// - Returns: the new state; `state` itself is not modified.
    /// - Throws: a ``KarmaError`` naming the broken rule; nothing is applied then.
    /// - Complexity: copies the state's storage when the caller keeps `state` alive; use
    ///   the `inout` overload to apply in place (constant work per entry, whatever the state size).
    public func apply(_ entry: KarmaEntry, to state: KarmaState) throws(KarmaError) -> KarmaState {
        var s = state
        try apply(entry, to: &s)
        return s
    }

    /// Applies one entry in place, atomically: when it throws, `state` is exactly as it was.
    ///
    /// Every rule checks everything (and computes every checked sum) before it changes the state,
    /// so a refusal never leaves a partial update behind (specs/karma.md §8.6).
    /// - Throws: a ``KarmaError`` naming the broken rule.
    ///
    /// The parameters that apply are the state's (set by the last `parameters` entry) when it has
    /// any, else this engine's: a ledger is always replayed under the parameters it recorded.
    public func apply(_ entry: KarmaEntry, to s: inout KarmaState) throws(KarmaError) {
        if let recorded = s.parameters, recorded != parameters {
            return try KarmaEngine(parameters: recorded).apply(entry, to: &s)
        }
        let now = entry.timestampMs
        guard now >= s.lastTimestampMs else {
            throw .timestampRegressed(got: now, last: s.lastTimestampMs)
        }
        switch entry.body {
        case .inference(let a): try applyInference(a, &s)
        case .redundancy(let a): try applyRedundancy(a, &s)
        case .validation(let a): try applyValidation(a, &s)
        case .seeding(let a): try applySeeding(a, now: now, &s)
        case .uptime(let a): try applyUptime(a, now: now, &s)
        case .bond(let r): try applyStaking(r, as: .bond, now: now, &s)
        case .unbond(let r): try applyStaking(r, as: .unbond, now: now, &s)
        case .withdraw(let r): try applyStaking(r, as: .withdraw, now: now, &s)
        case .unjail(let r): try applyStaking(r, as: .unjail, now: now, &s)
        case .slash(let x): try applySlash(x, now: now, &s)
        case .jail(let j): try applyJail(j, now: now, &s)
        case .genesis(let g): try applyGenesis(g, now: now, &s)
        case .model(let m): try applyModel(m, &s)
        case .parameters(let p):
            try p.validate()
            s.parameters = p
        case .auditDraw(let d): try applyAuditDraw(d, &s)
        }
        s.lastTimestampMs = now
        for node in entry.nodes where s.account(node).isEmpty { s.accounts[node] = nil }
    }

    /// Applies `entries` in order starting from `state` (the empty state by default).
    /// - Throws: the first entry's error, wrapped with nothing: the caller knows its index from
    ///   how far it got (use ``apply(_:to:)`` in a loop to report it).
    public func replay(_ entries: some Sequence<KarmaEntry>, from state: KarmaState = KarmaState())
        throws(KarmaError)
        -> KarmaState
    {
        var s = state
        for e in entries { try apply(e, to: &s) }
        return s
    }

    // MARK: Formulas (§5)

    /// Inference pay: `base = floor(macs · inferenceRatePerMegaMAC / 10^6)`; on time
    /// (`latencyMs ≤ slaMs`) the node gets `base`; late by `d = latencyMs − slaMs < slaMs` it gets
    /// `floor(base · (slaMs − d) / slaMs)`; at `d ≥ slaMs` it gets 0 (§5.1). Two roundings, both down.
    /// - Throws: ``KarmaError/overflow(_:)``; ``KarmaError/invalidField(_:reason:)`` when `slaMs == 0`.
    public func inferenceReward(macs: UInt64, latencyMs: UInt64, slaMs: UInt64) throws(KarmaError)
        -> MicroKarma
    {
        guard slaMs > 0 else { throw .invalidField("slaMs", reason: "must be positive") }
        let base = try CheckedMath.mulDiv(
            macs, parameters.inferenceRatePerMegaMAC, 1_000_000, "inference reward")
        guard latencyMs > slaMs else { return base }
        let late = latencyMs - slaMs
        guard late < slaMs else { return 0 }
        return try CheckedMath.mulDiv(base, slaMs - late, slaMs, "inference latency adjustment")
    }

    /// Whether `node` may validate: not jailed and at least ``KarmaParameters/minValidatorBond``
    /// bonded (§7.3).
    public func isEligibleValidator(_ node: XOnlyPublicKey, in state: KarmaState) -> Bool {
        let a = state.account(node)
        return !a.isJailed && a.bonded >= parameters.minValidatorBond
    }

    /// The heartbeat window containing ledger time `ms`.
    public func window(containing ms: UInt64) -> UInt64 { ms / parameters.heartbeatWindowMs }

    /// The ledger time at which window `w` closes: `(w + 1) · heartbeatWindowMs`.
    public func closingTime(ofWindow w: UInt64) throws(KarmaError) -> UInt64 {
        try CheckedMath.mul(
            try CheckedMath.add(w, 1, "window index"), parameters.heartbeatWindowMs, "window closing time")
    }

    /// What a slash at ledger time `now` can reach (§6.1): bonded stake, unbonding entries that
    /// have not matured (`maturesAtMs > now`), escrow and the liquid balance — everything the node
    /// holds except matured unbonding stake.
    public func slashableStake(of account: Account, now: UInt64) throws(KarmaError) -> MicroKarma {
        let unbonding = try CheckedMath.sum(
            account.unbonding.filter { $0.maturesAtMs > now }.map(\.amount), "unbonding")
        let stake = try CheckedMath.add(account.bonded, unbonding, "slashable stake")
        let earned = try CheckedMath.add(account.escrow, account.balance, "slashable stake")
        return try CheckedMath.add(stake, earned, "slashable stake")
    }

    /// Whether `node` holds the bond that makes its accruals spendable (§5.0).
    public func holdsNodeBond(_ node: XOnlyPublicKey, in state: KarmaState) -> Bool {
        state.account(node).bonded >= parameters.minNodeBond
    }

    // MARK: Accruals (§5)

    /// Credits an accrual (§5.0): to the balance when the node holds `minNodeBond` bonded, else to
    /// its escrow, which is slashable and can only be bonded.
    private func credit(
        _ node: XOnlyPublicKey, _ amount: MicroKarma, _ score: WritableKeyPath<Scores, UInt64>,
        _ s: inout KarmaState
    ) throws(KarmaError) {
        var a = s.account(node)
        if a.bonded >= parameters.minNodeBond {
            a.balance = try CheckedMath.add(a.balance, amount, "balance of \(node.hex)")
        } else {
            a.escrow = try CheckedMath.add(a.escrow, amount, "escrow of \(node.hex)")
        }
        a.scores[keyPath: score] = try CheckedMath.add(
            a.scores[keyPath: score], amount, "score of \(node.hex)")
        s.minted = try CheckedMath.add(s.minted, amount, "total minted")
        s.accounts[node] = a
    }

    private func requireNotJailed(_ node: XOnlyPublicKey, _ s: KarmaState) throws(KarmaError) {
        if let until = s.account(node).jailedUntilMs { throw .nodeJailed(node: node.hex, untilMs: until) }
    }

    /// Refuses a claim key already used; the caller inserts it once nothing else can fail. Checked
    /// before the node's status and the amount: a claim already used is a settlement run again,
    /// whatever the state now says (a node jailed since, a draw's minimum raised since).
    private func requireUnclaimed(_ kind: String, _ key: Digest32, _ s: KarmaState) throws(KarmaError) {
        guard !s.claims.contains(key) else { throw .duplicateClaim(kind: kind, claim: key) }
    }

    private func checkLayers(_ start: UInt32, _ end: UInt32) throws(KarmaError) {
        guard start < end else {
            throw .invalidField("layerEnd", reason: "layer range [\(start), \(end)) is empty")
        }
    }

    private func applyInference(_ a: InferenceAccrual, _ s: inout KarmaState) throws(KarmaError) {
        try checkLayers(a.layerStart, a.layerEnd)
        let key = Self.claimKey(1, a.node, a.jobID, a.layerStart, a.layerEnd)
        try requireUnclaimed("inference", key, s)
        try requireNotJailed(a.node, s)
        let amount = try inferenceReward(macs: a.macs, latencyMs: a.latencyMs, slaMs: a.slaMs)
        try credit(a.node, amount, \.inference, &s)
        s.claims.insert(key)
    }

    private func applyRedundancy(_ a: RedundancyBonus, _ s: inout KarmaState) throws(KarmaError) {
        try checkLayers(a.layerStart, a.layerEnd)
        let key = Self.claimKey(2, a.node, a.jobID, a.layerStart, a.layerEnd)
        try requireUnclaimed("redundancy", key, s)
        try requireNotJailed(a.node, s)
        let amount = try CheckedMath.mulDiv(
            a.macs, parameters.redundancyRatePerMegaMAC, 1_000_000, "redundancy bonus")
        try credit(a.node, amount, \.redundancy, &s)
        s.claims.insert(key)
    }

    /// §5.8: one draw per job; the probability at least the rule's minimum for the quorum in the
    /// state before the entry; the VRF proof valid under the validator's key for the job and its
    /// receipts; `audited` exactly what the proof's output draws. Changes no account.
    private func applyAuditDraw(_ d: AuditDraw, _ s: inout KarmaState) throws(KarmaError) {
        // The claim first: a draw the log already holds for the job is a settlement run again
        // (`duplicateClaim`), whatever the state now says of its probability.
        var w = CanonicalWriter()
        w.u8(15)
        w.digest(d.jobID)
        let key = TaggedHash.hash(tag: Self.claimTag, w.bytes)
        try requireUnclaimed("auditDraw", key, s)
        guard !d.receipts.isEmpty, d.receipts.count <= AuditDraw.maxNodes else {
            throw .invalidAuditDraw(
                "a draw names 1 to \(AuditDraw.maxNodes) receipts, not \(d.receipts.count)")
        }
        guard Set(d.receipts.map(\.node)).count == d.receipts.count else {
            throw .invalidAuditDraw("a node appears twice in the quorum")
        }
        guard d.probabilityPPM <= AuditDraw.certain else {
            throw .invalidAuditDraw("probability \(d.probabilityPPM) ppm exceeds 10^6")
        }
        let minimum = AuditRule.minimumPPM(nodes: d.receipts.map(\.node), in: s)
        guard d.probabilityPPM >= minimum else {
            throw .invalidAuditDraw(
                "probability \(d.probabilityPPM) ppm is below the rule's minimum \(minimum) ppm for this quorum"
            )
        }
        let alpha = AuditDraw.alpha(jobID: d.jobID, receipts: d.receipts)
        guard let beta = d.validator.vrfVerify(alpha, proof: d.proof) else {
            throw .invalidAuditDraw("the VRF proof does not verify under validator \(d.validator.hex)")
        }
        let drawn = AuditDraw.isAudited(beta: beta, probabilityPPM: d.probabilityPPM)
        guard drawn == d.audited else {
            throw .invalidAuditDraw("the draw says audited = \(drawn), the entry says \(d.audited)")
        }
        s.claims.insert(key)
    }

    private func applyValidation(_ a: ValidationAccrual, _ s: inout KarmaState) throws(KarmaError) {
        var w = CanonicalWriter()
        w.u8(3)
        w.publicKey(a.validator)
        w.digest(a.jobID)
        w.u8(a.method.rawValue)
        let key = TaggedHash.hash(tag: Self.claimTag, w.bytes)
        try requireUnclaimed("validation", key, s)
        try requireNotJailed(a.validator, s)
        guard isEligibleValidator(a.validator, in: s) else {
            throw .notEligibleValidator(
                node: a.validator.hex, bonded: s.account(a.validator).bonded,
                minimum: parameters.minValidatorBond)
        }
        let amount: MicroKarma
        switch a.method {
        case .reexecution:
            amount = try CheckedMath.mulDiv(
                a.macs, parameters.validationRatePerMegaMAC, 1_000_000, "validation reward")
        case .proof:
            amount = parameters.proofVerificationReward
        }
        try credit(a.validator, amount, \.validation, &s)
        s.claims.insert(key)
    }

    private func applySeeding(_ a: SeedingAccrual, now: UInt64, _ s: inout KarmaState) throws(KarmaError) {
        guard !a.receipts.isEmpty else {
            throw .invalidField("receipts", reason: "at least one chunk receipt is needed")
        }
        let limit = Int(parameters.maxSeedingReceiptsPerEntry)
        guard a.receipts.count <= limit else {
            throw .tooManyItems("receipts", got: a.receipts.count, limit: limit)
        }
        try requireNotJailed(a.seeder, s)
        let w = window(containing: now)
        var bytes: UInt64 = 0
        var keys = Set<Digest32>()
        var allowances: [XOnlyPublicKey: SeedingAllowance] = [:]
        for (i, attestation) in a.receipts.enumerated() {
            let signed = attestation.receipt
            let r = signed.message
            guard r.seeder == a.seeder else {
                throw .invalidEvidence("chunk receipt \(i) names seeder \(r.seeder.hex), not \(a.seeder.hex)")
            }
            guard r.downloader != r.seeder else {
                throw .invalidEvidence("chunk receipt \(i): a node cannot download from itself")
            }
            guard let model = s.models[r.modelID] else { throw .unknownModel(r.modelID) }
            guard r.chunkRoot == model.chunkRoot else {
                throw .invalidEvidence(
                    "chunk receipt \(i) names chunk root \(r.chunkRoot.hex); model \(r.modelID.hex) has \(model.chunkRoot.hex)"
                )
            }
            guard let length = model.chunkLength(UInt64(r.chunkIndex)) else {
                throw .invalidField(
                    "receipts[\(i)].chunkIndex",
                    reason: "\(r.chunkIndex) is not below the model's \(model.chunkCount) chunks")
            }
            guard UInt64(r.chunkBytes) == length, length <= parameters.maxChunkBytes else {
                throw .invalidField(
                    "receipts[\(i)].chunkBytes",
                    reason: "\(r.chunkBytes) claimed; chunk \(r.chunkIndex) of the model is \(length) bytes")
            }
            guard r.servedAtMs <= now else {
                throw .invalidEvidence(
                    "chunk receipt \(i) is dated \(r.servedAtMs) ms, after the entry (\(now) ms)")
            }
            guard
                MerkleTree.rootFromInclusionProof(
                    index: UInt64(r.chunkIndex), size: model.chunkCount, leafHash: r.chunkHash,
                    proof: attestation.proof) == model.chunkRoot
            else {
                throw .invalidEvidence(
                    "chunk receipt \(i): the proof does not place hash \(r.chunkHash.hex) at chunk \(r.chunkIndex) under the model's chunk root"
                )
            }
            let downloader = s.account(r.downloader)
            guard downloader.bonded >= parameters.minNodeBond else {
                throw .insufficientBond(
                    node: r.downloader.hex, bonded: downloader.bonded, minimum: parameters.minNodeBond)
            }
            guard signed.isValid else {
                throw .invalidSignature(
                    "chunk receipt \(i) is not signed by its downloader \(r.downloader.hex)")
            }
            let key = Self.seedingClaimKey(
                downloader: r.downloader, modelID: r.modelID, chunkIndex: r.chunkIndex)
            try requireUnclaimed("seeding", key, s)
            guard keys.insert(key).inserted else { throw .duplicateClaim(kind: "seeding", claim: key) }
            // The downloader's allowance for this window (§5.4): reset when a new window starts.
            var allowance =
                allowances[r.downloader] ?? downloader.seeding.flatMap { $0.window == w ? $0 : nil }
                ?? SeedingAllowance(window: w, bytes: 0)
            allowance.bytes = try CheckedMath.add(allowance.bytes, length, "seeded bytes")
            guard allowance.bytes <= parameters.seedingMaxBytesPerWindow else {
                throw .seedingCapExceeded(
                    downloader: r.downloader.hex, window: w, bytes: allowance.bytes,
                    cap: parameters.seedingMaxBytesPerWindow)
            }
            allowances[r.downloader] = allowance
            bytes = try CheckedMath.add(bytes, length, "seeded bytes")
        }
        let amount = try CheckedMath.mulDiv(bytes, parameters.seedingRatePerMiB, 1 << 20, "seeding reward")
        try credit(a.seeder, amount, \.seeding, &s)
        s.claims.formUnion(keys)
        for (node, allowance) in allowances { s.accounts[node, default: Account()].seeding = allowance }
    }

    /// Registers a model package (§4.3 `model`): once per model id.
    private func applyModel(_ m: ModelRegistration, _ s: inout KarmaState) throws(KarmaError) {
        guard s.models[m.modelID] == nil else { throw .modelAlreadyRegistered(m.modelID) }
        guard m.chunkSize.nonzeroBitCount == 1, m.chunkSize >= 4096, m.chunkSize <= 1 << 26 else {
            throw .invalidField("chunkSize", reason: "\(m.chunkSize) is not a power of two in [4096, 2^26]")
        }
        guard m.payloadBytes >= 1, m.registered.chunkCount <= UInt64(UInt32.max) + 1 else {
            throw .invalidField("payloadBytes", reason: "\(m.payloadBytes) gives no chunk or more than 2^32")
        }
        s.models[m.modelID] = m.registered
    }

    private func applyUptime(_ a: UptimeAccrual, now: UInt64, _ s: inout KarmaState) throws(KarmaError) {
        let limit = Int(parameters.maxHeartbeatsPerEntry)
        guard a.heartbeats.count <= limit else {
            throw .tooManyItems("heartbeats", got: a.heartbeats.count, limit: limit)
        }
        try requireNotJailed(a.node, s)
        let account = s.account(a.node)
        let bonded = account.bonded >= parameters.minNodeBond
        guard let next = account.nextLivenessWindow else {
            guard bonded else {
                throw .insufficientBond(
                    node: a.node.hex, bonded: account.bonded, minimum: parameters.minNodeBond)
            }
            throw .noLivenessRecord(node: a.node.hex)
        }
        let closes = try closingTime(ofWindow: a.window)
        guard closes <= now else { throw .windowNotClosed(window: a.window, closesAtMs: closes, nowMs: now) }
        guard a.window >= next else { throw .windowAlreadyJudged(window: a.window, next: next) }
        let deadline = try CheckedMath.add(closes, parameters.uptimeGraceMs, "uptime deadline")
        guard now < deadline else { throw .windowExpired(window: a.window, deadlineMs: deadline, nowMs: now) }
        guard bonded else {
            throw .insufficientBond(node: a.node.hex, bonded: account.bonded, minimum: parameters.minNodeBond)
        }
        var previous: UInt64?
        for (i, beat) in a.heartbeats.enumerated() {
            let h = beat.message
            guard h.node == a.node else {
                throw .invalidEvidence("heartbeat \(i) is from \(h.node.hex), not \(a.node.hex)")
            }
            guard window(containing: h.timestampMs) == a.window else {
                throw .invalidEvidence("heartbeat \(i) at \(h.timestampMs) ms is outside window \(a.window)")
            }
            if let previous, h.timestampMs <= previous {
                throw .invalidEvidence("heartbeat \(i): timestamps must strictly increase")
            }
            previous = h.timestampMs
            guard beat.isValid else {
                throw .invalidSignature("heartbeat \(i) is not signed by \(a.node.hex)")
            }
        }
        guard UInt64(a.heartbeats.count) >= parameters.minHeartbeatsPerWindow else {
            throw .invalidEvidence(
                "window \(a.window) has \(a.heartbeats.count) heartbeats; \(parameters.minHeartbeatsPerWindow) needed"
            )
        }
        let following = try CheckedMath.add(a.window, 1, "window index")
        try credit(a.node, parameters.uptimeRewardPerWindow, \.uptime, &s)
        s.accounts[a.node, default: Account()].nextLivenessWindow = following
    }

    /// Genesis (§5.6): only on the empty state; allocations sorted by node key, no duplicates.
    private func applyGenesis(_ allocations: [GenesisAllocation], now: UInt64, _ s: inout KarmaState)
        throws(KarmaError)
    {
        guard s.holdsNoKarma else { throw .genesisNotFirst }
        guard !allocations.isEmpty else {
            throw .invalidField("allocations", reason: "at least one is needed")
        }
        var minted: UInt64 = 0
        var accounts: [XOnlyPublicKey: Account] = [:]
        for (i, a) in allocations.enumerated() {
            if i > 0, !KarmaState.keyOrder(allocations[i - 1].node, a.node) {
                throw .invalidField("allocations", reason: "must be sorted by node key without duplicates")
            }
            var account = Account()
            account.balance = a.balance
            account.bonded = a.bonded
            if a.bonded > 0 { account.nextLivenessWindow = window(containing: now) }
            minted = try CheckedMath.add(minted, a.balance, "total minted")
            minted = try CheckedMath.add(minted, a.bonded, "total minted")
            accounts[a.node] = account
        }
        s.minted = minted
        s.accounts = accounts
    }

    /// Claim key of a seeding attestation (§8.3): one per (downloader, model, chunk).
    static func seedingClaimKey(downloader: XOnlyPublicKey, modelID: Digest32, chunkIndex: UInt32) -> Digest32
    {
        var k = CanonicalWriter()
        k.u8(4)
        k.publicKey(downloader)
        k.digest(modelID)
        k.u32(chunkIndex)
        return TaggedHash.hash(tag: claimTag, k.bytes)
    }

    // MARK: Claim keys (§8.3)

    static func claimKey(
        _ kind: UInt8, _ node: XOnlyPublicKey, _ job: Digest32, _ start: UInt32, _ end: UInt32
    ) -> Digest32 {
        var w = CanonicalWriter()
        w.u8(kind)
        w.publicKey(node)
        w.digest(job)
        w.u32(start)
        w.u32(end)
        return TaggedHash.hash(tag: claimTag, w.bytes)
    }
}
