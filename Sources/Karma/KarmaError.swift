import Receipts

/// Everything that can make a karma entry, state or parameters file unacceptable (specs/karma.md).
///
/// Two families share this enum. *Malformed* input (bad JSON or canonical bytes, wrong lengths,
/// unknown type tags) cannot be read at all. *Refused* entries are well formed but break a rule of
/// the state machine (a duplicate claim, a bad signature in evidence, too little stake); ``KarmaEngine``
/// throws them from `apply` and leaves the state unchanged. Every case carries what a user needs to
/// find the problem: the field, the value got and the value wanted.
public enum KarmaError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Malformed input
    /// Bytes or JSON that do not decode (wraps the Receipts codec's message).
    case malformed(String)
    /// An entry type tag or JSON `type` this version does not define.
    case unknownEntryType(String)
    /// An entry or message version this implementation does not speak.
    case unsupportedVersion(what: String, got: UInt16, want: UInt16)
    /// A field whose value is out of its documented range (`layerStart >= layerEnd`, `slaMs == 0`).
    case invalidField(String, reason: String)
    /// A list longer than its parameter limit.
    case tooManyItems(String, got: Int, limit: Int)
    /// A parameters file that is missing a field, has an unknown one, or breaks a documented bound.
    case invalidParameters(String)
    /// A state document whose figures do not add up (invariant) or that is otherwise inconsistent.
    case invalidState(String)

    // MARK: Refused entries
    /// Checked arithmetic overflowed (amounts never wrap, specs/karma.md §2).
    case overflow(String)
    /// The entry's timestamp is earlier than the last applied entry's (ledger time never goes back).
    case timestampRegressed(got: UInt64, last: UInt64)
    /// The same work, chunk, window or jail was already credited or applied; `claim` is its claim key.
    case duplicateClaim(kind: String, claim: Digest32)
    /// The offence identified by `offence` has already been slashed.
    case offenceAlreadySlashed(offence: Digest32)
    /// A signature inside the entry does not verify.
    case invalidSignature(String)
    /// Evidence that is well formed but does not prove the offence it claims.
    case invalidEvidence(String)
    /// An audit draw whose VRF proof does not verify, whose probability is below the rule's
    /// minimum, or whose `audited` flag disagrees with the draw (specs/karma.md §5.8).
    case invalidAuditDraw(String)
    /// The node is jailed until `untilMs` and may not earn karma or validate.
    case nodeJailed(node: String, untilMs: UInt64)
    /// An unjail request from a node that is not jailed.
    case notJailed(node: String)
    /// An unjail request before the jail period ends.
    case jailNotExpired(node: String, untilMs: UInt64, nowMs: UInt64)
    /// Not enough liquid balance for a bond.
    case insufficientBalance(node: String, have: UInt64, want: UInt64)
    /// Not enough bonded stake for an unbond.
    case insufficientBonded(node: String, have: UInt64, want: UInt64)
    /// Not enough matured unbonding stake for a withdrawal.
    case insufficientMatured(node: String, have: UInt64, want: UInt64)
    /// The node already has the maximum number of unbonding entries.
    case tooManyUnbondingEntries(node: String, limit: Int)
    /// A staking request whose nonce is not above the node's last used nonce (a replay).
    case staleNonce(node: String, got: UInt64, last: UInt64)
    /// A validation accrual for a node that does not meet the validator eligibility rules.
    case notEligibleValidator(node: String, bonded: UInt64, minimum: UInt64)
    /// The slash amount written in the entry is not the amount the rules give.
    case slashAmountMismatch(got: UInt64, want: UInt64)
    /// A jail entry naming an offence that was not slashed, or slashed for another node.
    case unknownOffence(offence: Digest32)
    /// The offence's kind carries no jail period.
    case offenceNotJailable(offence: Digest32)
    /// A correlation penalty for a job with fewer than two slashed quorum members, or for a node
    /// that was not among them.
    case noCorrelation(job: Digest32, slashedMembers: Int)
    /// A correlation penalty that the node has already paid at this quorum size.
    case correlationAlreadyApplied(job: Digest32, node: String, bps: UInt64)
    /// A downtime slash before enough heartbeat windows were missed.
    case notEnoughMissedWindows(node: String, missed: UInt64, want: UInt64)
    /// An uptime or downtime claim about a window that has not closed yet.
    case windowNotClosed(window: UInt64, closesAtMs: UInt64, nowMs: UInt64)
    /// An uptime claim for a window before the node's first unjudged window `next`.
    case windowAlreadyJudged(window: UInt64, next: UInt64)
    /// A downtime slash for a node with no liveness record (never bonded nor credited uptime).
    case noLivenessRecord(node: String)
    /// A genesis entry after karma exists (only `parameters` and `model` entries may precede it).
    case genesisNotFirst
    /// A node with less than `minNodeBond` bonded asked for what needs it (uptime pay, attesting
    /// chunks as a downloader).
    case insufficientBond(node: String, bonded: UInt64, minimum: UInt64)
    /// An uptime entry appended after the window's grace period (`closes(w) + uptimeGraceMs`).
    case windowExpired(window: UInt64, deadlineMs: UInt64, nowMs: UInt64)
    /// A seeding receipt for a model no `model` entry registered.
    case unknownModel(Digest32)
    /// A second `model` entry for an already registered model id.
    case modelAlreadyRegistered(Digest32)
    /// A downloader attesting more chunk bytes in one window than `seedingMaxBytesPerWindow`.
    case seedingCapExceeded(downloader: String, window: UInt64, bytes: UInt64, cap: UInt64)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed: \(why)"
        case .unknownEntryType(let t): "unknown karma entry type \(t)"
        case .unsupportedVersion(let what, let got, let want):
            "\(what) version \(got) is not supported (want \(want))"
        case .invalidField(let f, let reason): "field \"\(f)\": \(reason)"
        case .tooManyItems(let f, let got, let limit): "\(f) has \(got) items; the limit is \(limit)"
        case .invalidParameters(let why): "invalid karma parameters: \(why)"
        case .invalidState(let why): "invalid karma state: \(why)"
        case .overflow(let what): "arithmetic overflow in \(what)"
        case .timestampRegressed(let got, let last):
            "entry timestamp \(got) ms is before the last entry's \(last) ms"
        case .duplicateClaim(let kind, let claim): "duplicate \(kind) claim \(claim.hex)"
        case .offenceAlreadySlashed(let id): "offence \(id.hex) was already slashed"
        case .invalidSignature(let what): "invalid signature: \(what)"
        case .invalidEvidence(let why): "invalid evidence: \(why)"
        case .invalidAuditDraw(let why): "invalid audit draw: \(why)"
        case .nodeJailed(let node, let until): "node \(node) is jailed until \(until) ms"
        case .notJailed(let node): "node \(node) is not jailed"
        case .jailNotExpired(let node, let until, let now):
            "node \(node) is jailed until \(until) ms; now is \(now) ms"
        case .insufficientBalance(let node, let have, let want):
            "node \(node) has balance \(have) µK; \(want) µK needed"
        case .insufficientBonded(let node, let have, let want):
            "node \(node) has \(have) µK bonded; \(want) µK needed"
        case .insufficientMatured(let node, let have, let want):
            "node \(node) has \(have) µK of matured unbonding stake; \(want) µK requested"
        case .tooManyUnbondingEntries(let node, let limit):
            "node \(node) already has \(limit) unbonding entries"
        case .staleNonce(let node, let got, let last):
            "node \(node) request nonce \(got) is not above the last used \(last)"
        case .notEligibleValidator(let node, let bonded, let minimum):
            "node \(node) is not an eligible validator: \(bonded) µK bonded, \(minimum) µK needed, and not jailed"
        case .slashAmountMismatch(let got, let want): "slash amount \(got) µK, the rules give \(want) µK"
        case .unknownOffence(let id): "offence \(id.hex) was not slashed for this node"
        case .offenceNotJailable(let id): "offence \(id.hex) carries no jail period"
        case .noCorrelation(let job, let n):
            "job \(job.hex) has \(n) slashed quorum member(s) including this node; 2 needed"
        case .correlationAlreadyApplied(let job, let node, let bps):
            "node \(node) already paid \(bps) bps of correlation penalty for job \(job.hex)"
        case .notEnoughMissedWindows(let node, let missed, let want):
            "node \(node) missed \(missed) heartbeat windows; \(want) needed for a downtime slash"
        case .windowNotClosed(let w, let closes, let now):
            "window \(w) closes at \(closes) ms; now is \(now) ms"
        case .windowAlreadyJudged(let w, let next):
            "window \(w) was already judged; the node's first open window is \(next)"
        case .noLivenessRecord(let node):
            "node \(node) has no liveness record (never bonded nor credited uptime)"
        case .genesisNotFirst:
            "a genesis entry is only valid before any karma exists (after parameters and model entries only)"
        case .insufficientBond(let node, let bonded, let minimum):
            "node \(node) has \(bonded) µK bonded; \(minimum) µK (minNodeBond) needed"
        case .windowExpired(let w, let deadline, let now):
            "window \(w) could be judged until \(deadline) ms; now is \(now) ms"
        case .unknownModel(let id): "model \(id.hex) is not registered in the ledger"
        case .modelAlreadyRegistered(let id): "model \(id.hex) is already registered"
        case .seedingCapExceeded(let d, let w, let bytes, let cap):
            "downloader \(d) would attest \(bytes) chunk bytes in window \(w); the cap is \(cap)"
        }
    }

    /// A short stable code for the case (used by fixtures' `wantError`), e.g. `duplicateClaim`.
    public var code: String {
        switch self {
        case .malformed: "malformed"
        case .unknownEntryType: "unknownEntryType"
        case .unsupportedVersion: "unsupportedVersion"
        case .invalidField: "invalidField"
        case .tooManyItems: "tooManyItems"
        case .invalidParameters: "invalidParameters"
        case .invalidState: "invalidState"
        case .overflow: "overflow"
        case .timestampRegressed: "timestampRegressed"
        case .duplicateClaim: "duplicateClaim"
        case .offenceAlreadySlashed: "offenceAlreadySlashed"
        case .invalidSignature: "invalidSignature"
        case .invalidEvidence: "invalidEvidence"
        case .invalidAuditDraw: "invalidAuditDraw"
        case .nodeJailed: "nodeJailed"
        case .notJailed: "notJailed"
        case .jailNotExpired: "jailNotExpired"
        case .insufficientBalance: "insufficientBalance"
        case .insufficientBonded: "insufficientBonded"
        case .insufficientMatured: "insufficientMatured"
        case .tooManyUnbondingEntries: "tooManyUnbondingEntries"
        case .staleNonce: "staleNonce"
        case .notEligibleValidator: "notEligibleValidator"
        case .slashAmountMismatch: "slashAmountMismatch"
        case .unknownOffence: "unknownOffence"
        case .offenceNotJailable: "offenceNotJailable"
        case .noCorrelation: "noCorrelation"
        case .correlationAlreadyApplied: "correlationAlreadyApplied"
        case .notEnoughMissedWindows: "notEnoughMissedWindows"
        case .windowNotClosed: "windowNotClosed"
        case .windowAlreadyJudged: "windowAlreadyJudged"
        case .noLivenessRecord: "noLivenessRecord"
        case .genesisNotFirst: "genesisNotFirst"
        case .insufficientBond: "insufficientBond"
        case .windowExpired: "windowExpired"
        case .unknownModel: "unknownModel"
        case .modelAlreadyRegistered: "modelAlreadyRegistered"
        case .seedingCapExceeded: "seedingCapExceeded"
        }
    }

    /// Wraps a codec error from the Receipts module as ``malformed(_:)``.
    init(_ error: ReceiptError) { self = .malformed(error.description) }
}
