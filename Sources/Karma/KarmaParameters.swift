import Foundation
import Receipts

/// Every number the karma rules use, loaded from a versioned parameters file (specs/karma.md §3).
///
/// Amounts are micro-karma (µK), times and periods are milliseconds of ledger time, rates in basis
/// points (bps) are parts of 10,000. In the JSON file every field is a JSON number no larger than
/// 2^53 − 1; unknown and missing fields are refused. ``v1`` is the built-in copy of
/// `Fixtures/karma/params/v2.json`, and a test keeps the two identical.
public struct KarmaParameters: Sendable, Equatable {
    /// The parameters file version; this implementation reads 2.
    public var version: UInt16 = 2

    // MARK: Accrual rates (§5)
    /// µK per 10^6 multiply-accumulates of an inference shard served on time.
    public var inferenceRatePerMegaMAC: UInt64
    /// µK per 10^6 multiply-accumulates for a redundant slot that agreed with the verdict.
    public var redundancyRatePerMegaMAC: UInt64
    /// µK per 10^6 multiply-accumulates the validator re-executed.
    public var validationRatePerMegaMAC: UInt64
    /// µK for one succinct-proof verification by the validator (flat).
    public var proofVerificationReward: UInt64
    /// µK per MiB (2^20 bytes) of model chunks served to other nodes.
    public var seedingRatePerMiB: UInt64
    /// µK for one heartbeat window in which the node was up.
    public var uptimeRewardPerWindow: UInt64

    // MARK: Heartbeats and seeding limits (§5.4, §5.5)
    /// Length of one heartbeat window; window `w` is `[w·heartbeatWindowMs, (w+1)·heartbeatWindowMs)`.
    public var heartbeatWindowMs: UInt64
    /// Heartbeats needed in a window for it to count as up.
    public var minHeartbeatsPerWindow: UInt64
    /// Most heartbeats one uptime entry may carry.
    public var maxHeartbeatsPerEntry: UInt64
    /// Most chunk receipts one seeding entry may carry.
    public var maxSeedingReceiptsPerEntry: UInt64
    /// Largest chunk a seeding receipt may claim, in bytes.
    public var maxChunkBytes: UInt64
    /// Longest reason string of an invalid-proof offence, in UTF-8 bytes.
    public var maxReasonBytes: UInt64

    // MARK: Offences (§6)
    /// Consecutive missed windows that make a downtime offence.
    public var downtimeMissedWindows: UInt64
    public var downtimeSlashBps: UInt64
    public var downtimeJailMs: UInt64
    public var equivocationSlashBps: UInt64
    public var equivocationJailMs: UInt64
    public var wrongOutputSlashBps: UInt64
    public var wrongOutputJailMs: UInt64
    public var invalidProofSlashBps: UInt64
    public var invalidProofJailMs: UInt64
    /// Extra bps of slashable stake per *other* slashed member of the same job's quorum.
    public var correlationBpsPerPeer: UInt64
    /// Cap on the total correlation penalty of one node for one job, in bps.
    public var correlationMaxBps: UInt64

    // MARK: Staking (§7)
    /// How long unbonding stake stays slashable before it can be withdrawn.
    public var unbondingPeriodMs: UInt64
    /// Bonded stake a node needs to be an eligible validator.
    public var minValidatorBond: UInt64
    /// Most unbonding entries a node may have at once.
    public var maxUnbondingEntries: UInt64

    // MARK: Stake at risk (§5.0, §5.4, §5.5; version 2)
    /// Bonded stake below which a node's accruals go to escrow instead of its balance, and which a
    /// node needs to be paid uptime or to attest chunks as a seeding downloader.
    public var minNodeBond: UInt64
    /// How long after window `w` closes an uptime entry for `w` may still be appended.
    public var uptimeGraceMs: UInt64
    /// Most chunk bytes one downloader may attest (across all seeders) per heartbeat window.
    public var seedingMaxBytesPerWindow: UInt64

    /// The v2 parameters (identical to `Fixtures/karma/params/v2.json`).
    public static let v2 = KarmaParameters(
        inferenceRatePerMegaMAC: 1_000, redundancyRatePerMegaMAC: 250, validationRatePerMegaMAC: 500,
        proofVerificationReward: 20_000, seedingRatePerMiB: 2_000, uptimeRewardPerWindow: 10_000,
        heartbeatWindowMs: 600_000, minHeartbeatsPerWindow: 3, maxHeartbeatsPerEntry: 64,
        maxSeedingReceiptsPerEntry: 256, maxChunkBytes: 16_777_216, maxReasonBytes: 256,
        downtimeMissedWindows: 36, downtimeSlashBps: 10, downtimeJailMs: 3_600_000,
        equivocationSlashBps: 500, equivocationJailMs: 604_800_000,
        wrongOutputSlashBps: 1_000, wrongOutputJailMs: 86_400_000,
        invalidProofSlashBps: 1_000, invalidProofJailMs: 86_400_000,
        correlationBpsPerPeer: 1_000, correlationMaxBps: 5_000,
        unbondingPeriodMs: 1_209_600_000, minValidatorBond: 10_000_000_000, maxUnbondingEntries: 7,
        minNodeBond: 100_000_000, uptimeGraceMs: 600_000, seedingMaxBytesPerWindow: 268_435_456)

    /// Memberwise initializer; call ``validate()`` before using values from outside.
    public init(
        inferenceRatePerMegaMAC: UInt64, redundancyRatePerMegaMAC: UInt64, validationRatePerMegaMAC: UInt64,
        proofVerificationReward: UInt64, seedingRatePerMiB: UInt64, uptimeRewardPerWindow: UInt64,
        heartbeatWindowMs: UInt64, minHeartbeatsPerWindow: UInt64, maxHeartbeatsPerEntry: UInt64,
        maxSeedingReceiptsPerEntry: UInt64, maxChunkBytes: UInt64, maxReasonBytes: UInt64,
        downtimeMissedWindows: UInt64, downtimeSlashBps: UInt64, downtimeJailMs: UInt64,
        equivocationSlashBps: UInt64, equivocationJailMs: UInt64,
        wrongOutputSlashBps: UInt64, wrongOutputJailMs: UInt64,
        invalidProofSlashBps: UInt64, invalidProofJailMs: UInt64,
        correlationBpsPerPeer: UInt64, correlationMaxBps: UInt64,
        unbondingPeriodMs: UInt64, minValidatorBond: UInt64, maxUnbondingEntries: UInt64,
        minNodeBond: UInt64, uptimeGraceMs: UInt64, seedingMaxBytesPerWindow: UInt64
    ) {
        self.inferenceRatePerMegaMAC = inferenceRatePerMegaMAC
        self.redundancyRatePerMegaMAC = redundancyRatePerMegaMAC
        self.validationRatePerMegaMAC = validationRatePerMegaMAC
        self.proofVerificationReward = proofVerificationReward
        self.seedingRatePerMiB = seedingRatePerMiB
        self.uptimeRewardPerWindow = uptimeRewardPerWindow
        self.heartbeatWindowMs = heartbeatWindowMs
        self.minHeartbeatsPerWindow = minHeartbeatsPerWindow
        self.maxHeartbeatsPerEntry = maxHeartbeatsPerEntry
        self.maxSeedingReceiptsPerEntry = maxSeedingReceiptsPerEntry
        self.maxChunkBytes = maxChunkBytes
        self.maxReasonBytes = maxReasonBytes
        self.downtimeMissedWindows = downtimeMissedWindows
        self.downtimeSlashBps = downtimeSlashBps
        self.downtimeJailMs = downtimeJailMs
        self.equivocationSlashBps = equivocationSlashBps
        self.equivocationJailMs = equivocationJailMs
        self.wrongOutputSlashBps = wrongOutputSlashBps
        self.wrongOutputJailMs = wrongOutputJailMs
        self.invalidProofSlashBps = invalidProofSlashBps
        self.invalidProofJailMs = invalidProofJailMs
        self.correlationBpsPerPeer = correlationBpsPerPeer
        self.correlationMaxBps = correlationMaxBps
        self.unbondingPeriodMs = unbondingPeriodMs
        self.minValidatorBond = minValidatorBond
        self.maxUnbondingEntries = maxUnbondingEntries
        self.minNodeBond = minNodeBond
        self.uptimeGraceMs = uptimeGraceMs
        self.seedingMaxBytesPerWindow = seedingMaxBytesPerWindow
    }

    /// Hard ceiling on list-length parameters, so one entry's work stays bounded.
    public static let maxListLimit: UInt64 = 4096

    /// Checks the documented bounds (specs/karma.md §3).
    /// - Throws: ``KarmaError/invalidParameters(_:)`` naming the first field out of range.
    public func validate() throws(KarmaError) {
        guard version == 2 else { throw .invalidParameters("version \(version) is not supported (want 2)") }
        // Both forms hold the same values: the JSON form is exact only to 2^53 − 1 (§3).
        for (name, path) in Self.fields where self[keyPath: path] > JSONObjectReader.maxSafeInteger {
            throw .invalidParameters(
                "\(name) is \(self[keyPath: path]); parameters are at most 2^53 − 1 = \(JSONObjectReader.maxSafeInteger)"
            )
        }
        for (name, bps) in [
            ("downtimeSlashBps", downtimeSlashBps), ("equivocationSlashBps", equivocationSlashBps),
            ("wrongOutputSlashBps", wrongOutputSlashBps), ("invalidProofSlashBps", invalidProofSlashBps),
            ("correlationBpsPerPeer", correlationBpsPerPeer), ("correlationMaxBps", correlationMaxBps),
        ] where bps > 10_000 {
            throw .invalidParameters("\(name) is \(bps); basis points must be at most 10000")
        }
        guard heartbeatWindowMs > 0 else { throw .invalidParameters("heartbeatWindowMs must be positive") }
        guard downtimeMissedWindows > 0 else {
            throw .invalidParameters("downtimeMissedWindows must be positive")
        }
        for (name, limit) in [
            ("maxHeartbeatsPerEntry", maxHeartbeatsPerEntry),
            ("maxSeedingReceiptsPerEntry", maxSeedingReceiptsPerEntry),
            ("maxUnbondingEntries", maxUnbondingEntries), ("maxReasonBytes", maxReasonBytes),
        ] where limit == 0 || limit > Self.maxListLimit {
            throw .invalidParameters("\(name) is \(limit); it must be in 1...\(Self.maxListLimit)")
        }
        guard minHeartbeatsPerWindow >= 1, minHeartbeatsPerWindow <= maxHeartbeatsPerEntry else {
            throw .invalidParameters(
                "minHeartbeatsPerWindow is \(minHeartbeatsPerWindow); it must be in 1...maxHeartbeatsPerEntry"
            )
        }
        guard maxChunkBytes >= 1, maxChunkBytes <= UInt64(UInt32.max) else {
            throw .invalidParameters("maxChunkBytes is \(maxChunkBytes); it must be in 1...\(UInt32.max)")
        }
        guard minNodeBond >= 1 else { throw .invalidParameters("minNodeBond must be positive") }
        guard uptimeGraceMs >= 1 else { throw .invalidParameters("uptimeGraceMs must be positive") }
        guard seedingMaxBytesPerWindow >= 1 else {
            throw .invalidParameters("seedingMaxBytesPerWindow must be positive")
        }
    }

    /// The parameter names in file order, with key paths (one table for reading and writing).
    static var fields: [(String, WritableKeyPath<KarmaParameters, UInt64>)] {
        [
            ("inferenceRatePerMegaMAC", \.inferenceRatePerMegaMAC),
            ("redundancyRatePerMegaMAC", \.redundancyRatePerMegaMAC),
            ("validationRatePerMegaMAC", \.validationRatePerMegaMAC),
            ("proofVerificationReward", \.proofVerificationReward),
            ("seedingRatePerMiB", \.seedingRatePerMiB),
            ("uptimeRewardPerWindow", \.uptimeRewardPerWindow),
            ("heartbeatWindowMs", \.heartbeatWindowMs),
            ("minHeartbeatsPerWindow", \.minHeartbeatsPerWindow),
            ("maxHeartbeatsPerEntry", \.maxHeartbeatsPerEntry),
            ("maxSeedingReceiptsPerEntry", \.maxSeedingReceiptsPerEntry),
            ("maxChunkBytes", \.maxChunkBytes),
            ("maxReasonBytes", \.maxReasonBytes),
            ("downtimeMissedWindows", \.downtimeMissedWindows),
            ("downtimeSlashBps", \.downtimeSlashBps),
            ("downtimeJailMs", \.downtimeJailMs),
            ("equivocationSlashBps", \.equivocationSlashBps),
            ("equivocationJailMs", \.equivocationJailMs),
            ("wrongOutputSlashBps", \.wrongOutputSlashBps),
            ("wrongOutputJailMs", \.wrongOutputJailMs),
            ("invalidProofSlashBps", \.invalidProofSlashBps),
            ("invalidProofJailMs", \.invalidProofJailMs),
            ("correlationBpsPerPeer", \.correlationBpsPerPeer),
            ("correlationMaxBps", \.correlationMaxBps),
            ("unbondingPeriodMs", \.unbondingPeriodMs),
            ("minValidatorBond", \.minValidatorBond),
            ("maxUnbondingEntries", \.maxUnbondingEntries),
            ("minNodeBond", \.minNodeBond),
            ("uptimeGraceMs", \.uptimeGraceMs),
            ("seedingMaxBytesPerWindow", \.seedingMaxBytesPerWindow),
        ]
    }

    /// Loads and validates a parameters file (specs/karma.md §3).
    /// - Throws: ``KarmaError/malformed(_:)`` for bad JSON or a missing/unknown field,
    ///   ``KarmaError/invalidParameters(_:)`` for a value out of range.
    public init(json: Data) throws(KarmaError) {
        try self.init(jsonObject: try KarmaJSON.parse(json))
    }

    /// Canonical bytes (specs/karma.md §3.1): `version` u16, then every field as u64 in table order.
    public var canonicalBytes: Data {
        var w = CanonicalWriter()
        encode(to: &w)
        return w.bytes
    }

    func encode(to w: inout CanonicalWriter) {
        w.u16(version)
        for (_, path) in Self.fields { w.u64(self[keyPath: path]) }
    }

    /// Reads what ``encode(to:)`` writes; the values are validated.
    init(from r: inout CanonicalReader) throws(KarmaError) {
        var p = KarmaParameters.v2
        let raw = try r.readU16("parameters.version")
        guard raw == 2 else { throw .unsupportedVersion(what: "parameters", got: raw, want: 2) }
        for (name, path) in Self.fields { p[keyPath: path] = try r.readU64("parameters.\(name)") }
        try p.validate()
        self = p
    }

    /// `TaggedHash("mesh/karma/parameters/v2", canonicalBytes)`: what the state hash commits to.
    public var parametersHash: Digest32 { TaggedHash.hash(tag: "mesh/karma/parameters/v2", canonicalBytes) }

    /// Reads the JSON object form (as in a parameters file).
    init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "parameters")
        let version = try r.number("version", max: UInt64(UInt16.max))
        var p = KarmaParameters.v2
        p.version = UInt16(version)
        for (name, path) in Self.fields { p[keyPath: path] = try r.number(name) }
        try r.finish()
        try p.validate()
        self = p
    }

    /// The JSON form, keys sorted, as written in `Fixtures/karma/params/v2.json`.
    public func json() -> Data { JSONOutput.data(jsonObject()) }

    /// The JSON object form.
    public func jsonObject() -> JSONValue {
        var members: [String: JSONValue] = ["version": KarmaJSON.number(version)]
        for (name, path) in Self.fields { members[name] = KarmaJSON.number(self[keyPath: path]) }
        return .object(members)
    }
}
