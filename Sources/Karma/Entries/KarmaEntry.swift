import Foundation
import Receipts

/// One karma ledger entry: the type tag, version 2, the ledger time and the type's fields
/// (specs/karma.md §4).
///
/// Canonical bytes (what the Merkle ledger stores as the leaf's data): `type` u8, `version` u16
/// (= 2), `timestampMs` u64, then the body's fields in the order its type documents. Entries are
/// applied in ledger order by ``KarmaEngine/apply(_:to:)``; `timestampMs` is *ledger time* (ms since
/// the Unix epoch, assigned by the validator that appends the entry) and never decreases.
public struct KarmaEntry: Equatable, Sendable {
    /// The only entry version this implementation speaks (karma rules version 2).
    public static let version: UInt16 = 2
    /// Domain tag of ``entryID``.
    public static let idTag = "mesh/karma/entry/v1"
    /// Largest canonical entry accepted, in bytes.
    public static let maxCanonicalSize = 4 << 20

    /// Ledger time of the entry, ms since the Unix epoch.
    public var timestampMs: UInt64
    public var body: Body

    public init(timestampMs: UInt64, body: Body) {
        self.timestampMs = timestampMs
        self.body = body
    }

    /// The staking entry for a signed request: `bond`, `unbond`, `withdraw` or `unjail` by its action.
    /// The signature is checked when the entry is applied, not here.
    public init(timestampMs: UInt64, stakingRequest r: SignedStakingRequest) {
        self.timestampMs = timestampMs
        switch r.message.action {
        case .bond: body = .bond(r)
        case .unbond: body = .unbond(r)
        case .withdraw: body = .withdraw(r)
        case .unjail: body = .unjail(r)
        }
    }

    /// The entry's content, one case per entry type.
    public enum Body: Equatable, Sendable {
        case inference(InferenceAccrual)
        case redundancy(RedundancyBonus)
        case validation(ValidationAccrual)
        case seeding(SeedingAccrual)
        case uptime(UptimeAccrual)
        case bond(SignedStakingRequest)
        case unbond(SignedStakingRequest)
        case withdraw(SignedStakingRequest)
        case slash(Slash)
        case jail(Jail)
        case unjail(SignedStakingRequest)
        /// Initial allocations; only before any karma exists (§5.6).
        case genesis([GenesisAllocation])
        /// A model package the validator holds (§5.4).
        case model(ModelRegistration)
        /// The parameters in force from this entry on (§3).
        case parameters(KarmaParameters)
        /// The validator's verifiable audit draw for a unanimous job (§5.8).
        case auditDraw(AuditDraw)
    }

    /// Entry type tags (the first canonical byte) and JSON names.
    public enum EntryType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case inference = 1
        case redundancy = 2
        case validation = 3
        case seeding = 4
        case uptime = 5
        case bond = 6
        case unbond = 7
        case withdraw = 8
        case slash = 9
        case jail = 10
        case unjail = 11
        case genesis = 12
        case model = 13
        case parameters = 14
        case auditDraw = 15

        public var description: String {
            switch self {
            case .inference: "inference"
            case .redundancy: "redundancy"
            case .validation: "validation"
            case .seeding: "seeding"
            case .uptime: "uptime"
            case .bond: "bond"
            case .unbond: "unbond"
            case .withdraw: "withdraw"
            case .slash: "slash"
            case .jail: "jail"
            case .unjail: "unjail"
            case .genesis: "genesis"
            case .model: "model"
            case .parameters: "parameters"
            case .auditDraw: "auditDraw"
            }
        }
    }

    public var type: EntryType {
        switch body {
        case .inference: .inference
        case .redundancy: .redundancy
        case .validation: .validation
        case .seeding: .seeding
        case .uptime: .uptime
        case .bond: .bond
        case .unbond: .unbond
        case .withdraw: .withdraw
        case .slash: .slash
        case .jail: .jail
        case .unjail: .unjail
        case .genesis: .genesis
        case .model: .model
        case .parameters: .parameters
        case .auditDraw: .auditDraw
        }
    }

    /// The node whose account the entry changes (the seeder of a seeding entry; the slashed node;
    /// the first allocation of a genesis entry; a placeholder for `model` and `parameters`, which
    /// change no account).
    public var node: XOnlyPublicKey {
        switch body {
        case .inference(let a): a.node
        case .redundancy(let a): a.node
        case .validation(let a): a.validator
        case .seeding(let a): a.seeder
        case .uptime(let a): a.node
        case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r): r.message.node
        case .slash(let s): s.node
        case .jail(let j): j.node
        case .genesis(let g): g.first?.node ?? Self.noNode
        case .model, .parameters: Self.noNode
        case .auditDraw(let d): d.validator
        }
    }

    /// All nodes whose accounts the entry may change (downloaders too, whose seeding allowance a
    /// seeding entry counts).
    public var nodes: [XOnlyPublicKey] {
        switch body {
        case .genesis(let g): g.map(\.node)
        case .seeding(let a): [a.seeder] + a.receipts.map(\.receipt.message.downloader)
        case .model, .parameters: []
        default: [node]
        }
    }

    /// Placeholder for an empty genesis (refused when applied): the generator point's x.
    static let noNode = try! XOnlyPublicKey(
        hex: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")

    /// `TaggedHash("mesh/karma/entry/v1", canonicalBytes)`: names the entry in logs and audits.
    public var entryID: Digest32 { TaggedHash.hash(tag: Self.idTag, canonicalBytes) }
}

// MARK: - Canonical bytes (specs/karma.md §4.4)

extension KarmaEntry {
    /// The canonical encoding (the ledger leaf data).
    public var canonicalBytes: Data {
        var w = CanonicalWriter()
        encode(to: &w)
        return w.bytes
    }

    public func encode(to w: inout CanonicalWriter) {
        w.u8(type.rawValue)
        w.u16(Self.version)
        w.u64(timestampMs)
        switch body {
        case .inference(let a):
            w.publicKey(a.node)
            w.digest(a.jobID)
            w.digest(a.receiptDigest)
            w.u32(a.layerStart)
            w.u32(a.layerEnd)
            w.u64(a.macs)
            w.u64(a.latencyMs)
            w.u64(a.slaMs)
        case .redundancy(let a):
            w.publicKey(a.node)
            w.digest(a.jobID)
            w.u32(a.layerStart)
            w.u32(a.layerEnd)
            w.u64(a.macs)
            w.digest(a.agreedOutput)
        case .validation(let a):
            w.publicKey(a.validator)
            w.digest(a.jobID)
            w.u8(a.method.rawValue)
            w.u64(a.macs)
        case .seeding(let a):
            w.publicKey(a.seeder)
            w.u32(UInt32(clamping: a.receipts.count))
            for r in a.receipts {
                r.receipt.encode(to: &w)
                w.u32(UInt32(clamping: r.proof.count))
                for h in r.proof { w.digest(h) }
            }
        case .uptime(let a):
            w.publicKey(a.node)
            w.u64(a.window)
            w.u32(UInt32(clamping: a.heartbeats.count))
            for h in a.heartbeats { h.encode(to: &w) }
        case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r):
            r.encode(to: &w)
        case .slash(let s):
            w.publicKey(s.node)
            w.u64(s.amount)
            w.u8(s.offence.kind.rawValue)
            switch s.offence {
            case .equivocation(let first, let second):
                w.signedReceipt(first)
                w.signedReceipt(second)
            case .wrongOutput(let receipt, let reexecuted):
                w.signedReceipt(receipt)
                w.digest(reexecuted)
            case .invalidProof(let receipt, let proofHash, let reason):
                w.signedReceipt(receipt)
                w.digest(proofHash)
                w.string(reason)
            case .downtime(let through):
                w.u64(through)
            case .correlation(let job):
                w.digest(job)
            }
        case .jail(let j):
            w.publicKey(j.node)
            w.digest(j.offenceID)
        case .genesis(let allocations):
            w.u32(UInt32(clamping: allocations.count))
            for a in allocations {
                w.publicKey(a.node)
                w.u64(a.balance)
                w.u64(a.bonded)
            }
        case .model(let m):
            w.digest(m.modelID)
            w.digest(m.chunkRoot)
            w.u32(m.chunkSize)
            w.u64(m.payloadBytes)
        case .parameters(let p):
            p.encode(to: &w)
        case .auditDraw(let d):
            w.publicKey(d.validator)
            w.digest(d.jobID)
            w.u32(UInt32(clamping: d.receipts.count))
            for r in d.receipts {
                w.publicKey(r.node)
                w.digest(r.receiptDigest)
            }
            w.u32(d.probabilityPPM)
            w.fixedBytes(d.proof.rawRepresentation)
            w.bool(d.audited)
        }
    }

    /// Decodes canonical bytes, refusing unknown types or versions, truncation and trailing bytes.
    ///
    /// Lists are refused above ``KarmaParameters/maxListLimit`` items before any allocation; the
    /// tighter per-parameter limits are checked by ``KarmaEngine/apply(_:to:)``.
    /// - Throws: ``KarmaError/malformed(_:)``, ``KarmaError/unknownEntryType(_:)``,
    ///   ``KarmaError/unsupportedVersion(what:got:want:)``, ``KarmaError/tooManyItems(_:got:limit:)``.
    public init(canonicalBytes: some DataProtocol) throws(KarmaError) {
        guard canonicalBytes.count <= Self.maxCanonicalSize else {
            throw .malformed("entry is \(canonicalBytes.count) bytes; the limit is \(Self.maxCanonicalSize)")
        }
        var r = CanonicalReader(canonicalBytes)
        let tag = try r.readU8("type")
        guard let type = EntryType(rawValue: tag) else { throw .unknownEntryType("tag \(tag)") }
        try r.version("entry", want: Self.version)
        timestampMs = try r.readU64("timestampMs")
        let limit = Int(KarmaParameters.maxListLimit)
        switch type {
        case .inference:
            body = .inference(
                InferenceAccrual(
                    node: try r.readPublicKey("node"), jobID: try r.readDigest("jobID"),
                    receiptDigest: try r.readDigest("receiptDigest"), layerStart: try r.readU32("layerStart"),
                    layerEnd: try r.readU32("layerEnd"), macs: try r.readU64("macs"),
                    latencyMs: try r.readU64("latencyMs"), slaMs: try r.readU64("slaMs")))
        case .redundancy:
            body = .redundancy(
                RedundancyBonus(
                    node: try r.readPublicKey("node"), jobID: try r.readDigest("jobID"),
                    layerStart: try r.readU32("layerStart"), layerEnd: try r.readU32("layerEnd"),
                    macs: try r.readU64("macs"), agreedOutput: try r.readDigest("agreedOutput")))
        case .validation:
            let validator = try r.readPublicKey("validator")
            let job = try r.readDigest("jobID")
            let raw = try r.readU8("method")
            guard let method = ValidationMethod(rawValue: raw) else {
                throw .invalidField("method", reason: "\(raw) is not 1 (reexecution) or 2 (proof)")
            }
            body = .validation(
                ValidationAccrual(
                    validator: validator, jobID: job, method: method, macs: try r.readU64("macs")))
        case .seeding:
            let seeder = try r.readPublicKey("seeder")
            let n = try r.readCount("receipts", limit: limit)
            var receipts: [ChunkAttestation] = []
            for _ in 0..<n {
                let receipt = try SignedSeedingChunkReceipt(from: &r)
                let m = try r.readCount("receipt.proof", limit: ChunkAttestation.maxProofHashes)
                var proof: [Digest32] = []
                for _ in 0..<m { proof.append(try r.readDigest("receipt.proof[]")) }
                receipts.append(ChunkAttestation(receipt: receipt, proof: proof))
            }
            body = .seeding(SeedingAccrual(seeder: seeder, receipts: receipts))
        case .uptime:
            let node = try r.readPublicKey("node")
            let window = try r.readU64("window")
            let n = try r.readCount("heartbeats", limit: limit)
            var beats: [SignedHeartbeat] = []
            for _ in 0..<n { beats.append(try SignedHeartbeat(from: &r)) }
            body = .uptime(UptimeAccrual(node: node, window: window, heartbeats: beats))
        case .bond: body = .bond(try SignedStakingRequest(from: &r))
        case .unbond: body = .unbond(try SignedStakingRequest(from: &r))
        case .withdraw: body = .withdraw(try SignedStakingRequest(from: &r))
        case .unjail: body = .unjail(try SignedStakingRequest(from: &r))
        case .slash:
            let node = try r.readPublicKey("node")
            let amount = try r.readU64("amount")
            let raw = try r.readU8("offence.kind")
            guard let kind = OffenceKind(rawValue: raw) else {
                throw .invalidField("offence.kind", reason: "\(raw) is not an offence kind (1...5)")
            }
            let offence: Offence
            switch kind {
            case .equivocation:
                offence = .equivocation(
                    first: try r.readSignedReceipt("offence.first"),
                    second: try r.readSignedReceipt("offence.second"))
            case .wrongOutput:
                offence = .wrongOutput(
                    receipt: try r.readSignedReceipt("offence.receipt"),
                    reexecutedOutput: try r.readDigest("offence.reexecutedOutput"))
            case .invalidProof:
                offence = .invalidProof(
                    receipt: try r.readSignedReceipt("offence.receipt"),
                    proofHash: try r.readDigest("offence.proofHash"),
                    reason: try r.readString("offence.reason", limit: limit))
            case .downtime:
                offence = .downtime(throughWindow: try r.readU64("offence.throughWindow"))
            case .correlation:
                offence = .correlation(jobID: try r.readDigest("offence.jobID"))
            }
            body = .slash(Slash(node: node, offence: offence, amount: amount))
        case .jail:
            body = .jail(Jail(node: try r.readPublicKey("node"), offenceID: try r.readDigest("offenceID")))
        case .genesis:
            let n = try r.readCount("allocations", limit: limit)
            var allocations: [GenesisAllocation] = []
            for _ in 0..<n {
                allocations.append(
                    GenesisAllocation(
                        node: try r.readPublicKey("allocation.node"),
                        balance: try r.readU64("allocation.balance"),
                        bonded: try r.readU64("allocation.bonded")))
            }
            body = .genesis(allocations)
        case .model:
            body = .model(
                ModelRegistration(
                    modelID: try r.readDigest("modelID"), chunkRoot: try r.readDigest("chunkRoot"),
                    chunkSize: try r.readU32("chunkSize"), payloadBytes: try r.readU64("payloadBytes")))
        case .parameters:
            body = .parameters(try KarmaParameters(from: &r))
        case .auditDraw:
            let validator = try r.readPublicKey("validator")
            let job = try r.readDigest("jobID")
            let n = try r.readCount("receipts", limit: AuditDraw.maxNodes)
            var receipts: [AuditDraw.QuorumReceipt] = []
            for _ in 0..<n {
                receipts.append(
                    AuditDraw.QuorumReceipt(
                        node: try r.readPublicKey("receipts.node"),
                        receiptDigest: try r.readDigest("receipts.receiptDigest")))
            }
            let ppm = try r.readU32("probabilityPPM")
            let proof: VRFProof
            let audited: Bool
            do {
                proof = try VRFProof(
                    rawRepresentation: try r.fixedBytes(VRFProof.byteCount, "proof"), field: "proof")
                audited = try r.bool("audited")
            } catch { throw KarmaError(error) }
            body = .auditDraw(
                AuditDraw(
                    validator: validator, jobID: job, receipts: receipts, probabilityPPM: ppm, proof: proof,
                    audited: audited))
        }
        try r.finishKarma()
    }
}

// MARK: - JSON form (specs/karma.md §4.5)

extension KarmaEntry {
    /// The JSON object form: `type`, `version`, `timestampMs`, then the body's fields by name.
    public func jsonObject() -> JSONValue {
        var m: [String: JSONValue] = [
            "type": .string(type.description), "version": KarmaJSON.number(Self.version),
            "timestampMs": KarmaJSON.u64(timestampMs),
        ]
        switch body {
        case .inference(let a):
            m["node"] = KarmaJSON.hex(a.node)
            m["jobID"] = KarmaJSON.hex(a.jobID)
            m["receiptDigest"] = KarmaJSON.hex(a.receiptDigest)
            m["layerStart"] = KarmaJSON.number(a.layerStart)
            m["layerEnd"] = KarmaJSON.number(a.layerEnd)
            m["macs"] = KarmaJSON.u64(a.macs)
            m["latencyMs"] = KarmaJSON.u64(a.latencyMs)
            m["slaMs"] = KarmaJSON.u64(a.slaMs)
        case .redundancy(let a):
            m["node"] = KarmaJSON.hex(a.node)
            m["jobID"] = KarmaJSON.hex(a.jobID)
            m["layerStart"] = KarmaJSON.number(a.layerStart)
            m["layerEnd"] = KarmaJSON.number(a.layerEnd)
            m["macs"] = KarmaJSON.u64(a.macs)
            m["agreedOutput"] = KarmaJSON.hex(a.agreedOutput)
        case .validation(let a):
            m["validator"] = KarmaJSON.hex(a.validator)
            m["jobID"] = KarmaJSON.hex(a.jobID)
            m["method"] = .string(a.method.description)
            m["macs"] = KarmaJSON.u64(a.macs)
        case .seeding(let a):
            m["seeder"] = KarmaJSON.hex(a.seeder)
            m["receipts"] = .array(
                a.receipts.map {
                    .object([
                        "receipt": $0.receipt.jsonObject(), "proof": .array($0.proof.map(KarmaJSON.hex)),
                    ])
                })
        case .uptime(let a):
            m["node"] = KarmaJSON.hex(a.node)
            m["window"] = KarmaJSON.u64(a.window)
            m["heartbeats"] = .array(a.heartbeats.map { $0.jsonObject() })
        case .bond(let r), .unbond(let r), .withdraw(let r), .unjail(let r):
            m["request"] = r.jsonObject()
        case .slash(let s):
            m["node"] = KarmaJSON.hex(s.node)
            m["amount"] = KarmaJSON.u64(s.amount)
            var o: [String: JSONValue] = ["kind": .string(s.offence.kind.description)]
            switch s.offence {
            case .equivocation(let first, let second):
                o["first"] = ReceiptJSONBridge.value(first)
                o["second"] = ReceiptJSONBridge.value(second)
            case .wrongOutput(let receipt, let reexecuted):
                o["receipt"] = ReceiptJSONBridge.value(receipt)
                o["reexecutedOutput"] = KarmaJSON.hex(reexecuted)
            case .invalidProof(let receipt, let proofHash, let reason):
                o["receipt"] = ReceiptJSONBridge.value(receipt)
                o["proofHash"] = KarmaJSON.hex(proofHash)
                o["reason"] = .string(reason)
            case .downtime(let through):
                o["throughWindow"] = KarmaJSON.u64(through)
            case .correlation(let job):
                o["jobID"] = KarmaJSON.hex(job)
            }
            m["offence"] = .object(o)
        case .jail(let j):
            m["node"] = KarmaJSON.hex(j.node)
            m["offenceID"] = KarmaJSON.hex(j.offenceID)
        case .genesis(let allocations):
            m["allocations"] = .array(
                allocations.map {
                    .object([
                        "node": KarmaJSON.hex($0.node), "balance": KarmaJSON.u64($0.balance),
                        "bonded": KarmaJSON.u64($0.bonded),
                    ])
                })
        case .model(let x):
            m["modelID"] = KarmaJSON.hex(x.modelID)
            m["chunkRoot"] = KarmaJSON.hex(x.chunkRoot)
            m["chunkSize"] = KarmaJSON.number(x.chunkSize)
            m["payloadBytes"] = KarmaJSON.u64(x.payloadBytes)
        case .parameters(let p):
            m["parameters"] = p.jsonObject()
        case .auditDraw(let d):
            m["validator"] = KarmaJSON.hex(d.validator)
            m["jobID"] = KarmaJSON.hex(d.jobID)
            m["receipts"] = .array(
                d.receipts.map {
                    .object([
                        "node": KarmaJSON.hex($0.node), "receiptDigest": KarmaJSON.hex($0.receiptDigest),
                    ])
                })
            m["probabilityPPM"] = KarmaJSON.number(d.probabilityPPM)
            m["proof"] = .string(d.proof.hex)
            m["audited"] = .bool(d.audited)
        }
        return .object(m)
    }

    /// One line of `events.jsonl`: the compact JSON form.
    public func jsonLine() -> String { JSONOutput.text(jsonObject(), pretty: false) }

    /// Reads the JSON object form strictly: unknown, missing or mistyped fields are refused.
    public init(jsonObject: JSONValue) throws(KarmaError) {
        var r = try KarmaObjectReader(jsonObject, what: "entry")
        let name = try r.string("type")
        guard let type = EntryType.allCases.first(where: { $0.description == name }) else {
            throw .unknownEntryType("\"\(name)\"")
        }
        try r.version(want: Self.version)
        timestampMs = try r.u64("timestampMs")
        switch type {
        case .inference:
            body = .inference(
                InferenceAccrual(
                    node: try r.publicKey("node"), jobID: try r.digest("jobID"),
                    receiptDigest: try r.digest("receiptDigest"),
                    layerStart: UInt32(try r.number("layerStart", max: UInt64(UInt32.max))),
                    layerEnd: UInt32(try r.number("layerEnd", max: UInt64(UInt32.max))),
                    macs: try r.u64("macs"), latencyMs: try r.u64("latencyMs"), slaMs: try r.u64("slaMs")))
        case .redundancy:
            body = .redundancy(
                RedundancyBonus(
                    node: try r.publicKey("node"), jobID: try r.digest("jobID"),
                    layerStart: UInt32(try r.number("layerStart", max: UInt64(UInt32.max))),
                    layerEnd: UInt32(try r.number("layerEnd", max: UInt64(UInt32.max))),
                    macs: try r.u64("macs"), agreedOutput: try r.digest("agreedOutput")))
        case .validation:
            let validator = try r.publicKey("validator")
            let job = try r.digest("jobID")
            let methodName = try r.string("method")
            guard let method = ValidationMethod.allCases.first(where: { $0.description == methodName }) else {
                throw .invalidField("method", reason: "\"\(methodName)\" is not reexecution or proof")
            }
            body = .validation(
                ValidationAccrual(validator: validator, jobID: job, method: method, macs: try r.u64("macs")))
        case .seeding:
            let seeder = try r.publicKey("seeder")
            let items = try r.array("receipts")
            try Self.checkListLength(items, "receipts")
            var receipts: [ChunkAttestation] = []
            for item in items {
                var a = try KarmaObjectReader(item, what: "receipts[]")
                let receipt = try SignedSeedingChunkReceipt(jsonObject: try a.value("receipt"))
                let hashes = try a.array("proof")
                guard hashes.count <= ChunkAttestation.maxProofHashes else {
                    throw .tooManyItems("proof", got: hashes.count, limit: ChunkAttestation.maxProofHashes)
                }
                var proof: [Digest32] = []
                for h in hashes {
                    guard case .string(let hex) = h else {
                        throw .malformed("receipts[].proof: items must be hex")
                    }
                    do { proof.append(try Digest32(hex: hex, field: "proof")) } catch {
                        throw KarmaError(error)
                    }
                }
                try a.finish()
                receipts.append(ChunkAttestation(receipt: receipt, proof: proof))
            }
            body = .seeding(SeedingAccrual(seeder: seeder, receipts: receipts))
        case .uptime:
            let node = try r.publicKey("node")
            let window = try r.u64("window")
            let items = try r.array("heartbeats")
            try Self.checkListLength(items, "heartbeats")
            var beats: [SignedHeartbeat] = []
            for item in items { beats.append(try SignedHeartbeat(jsonObject: item)) }
            body = .uptime(UptimeAccrual(node: node, window: window, heartbeats: beats))
        case .bond: body = .bond(try SignedStakingRequest(jsonObject: try r.value("request")))
        case .unbond: body = .unbond(try SignedStakingRequest(jsonObject: try r.value("request")))
        case .withdraw: body = .withdraw(try SignedStakingRequest(jsonObject: try r.value("request")))
        case .unjail: body = .unjail(try SignedStakingRequest(jsonObject: try r.value("request")))
        case .slash:
            let node = try r.publicKey("node")
            let amount = try r.u64("amount")
            var o = try KarmaObjectReader(try r.value("offence"), what: "offence")
            let kind = try OffenceKind(name: try o.string("kind"))
            let offence: Offence
            switch kind {
            case .equivocation:
                offence = .equivocation(
                    first: try ReceiptJSONBridge.signedReceipt(try o.value("first"), field: "offence.first"),
                    second: try ReceiptJSONBridge.signedReceipt(
                        try o.value("second"), field: "offence.second"))
            case .wrongOutput:
                offence = .wrongOutput(
                    receipt: try ReceiptJSONBridge.signedReceipt(
                        try o.value("receipt"), field: "offence.receipt"),
                    reexecutedOutput: try o.digest("reexecutedOutput"))
            case .invalidProof:
                offence = .invalidProof(
                    receipt: try ReceiptJSONBridge.signedReceipt(
                        try o.value("receipt"), field: "offence.receipt"),
                    proofHash: try o.digest("proofHash"), reason: try o.string("reason"))
            case .downtime:
                offence = .downtime(throughWindow: try o.u64("throughWindow"))
            case .correlation:
                offence = .correlation(jobID: try o.digest("jobID"))
            }
            try o.finish()
            body = .slash(Slash(node: node, offence: offence, amount: amount))
        case .jail:
            body = .jail(Jail(node: try r.publicKey("node"), offenceID: try r.digest("offenceID")))
        case .genesis:
            let items = try r.array("allocations")
            try Self.checkListLength(items, "allocations")
            var allocations: [GenesisAllocation] = []
            for item in items {
                var a = try KarmaObjectReader(item, what: "allocation")
                allocations.append(
                    GenesisAllocation(
                        node: try a.publicKey("node"), balance: try a.u64("balance"),
                        bonded: try a.u64("bonded")))
                try a.finish()
            }
            body = .genesis(allocations)
        case .model:
            body = .model(
                ModelRegistration(
                    modelID: try r.digest("modelID"), chunkRoot: try r.digest("chunkRoot"),
                    chunkSize: UInt32(try r.number("chunkSize", max: UInt64(UInt32.max))),
                    payloadBytes: try r.u64("payloadBytes")))
        case .parameters:
            body = .parameters(try KarmaParameters(jsonObject: try r.value("parameters")))
        case .auditDraw:
            let validator = try r.publicKey("validator")
            let job = try r.digest("jobID")
            let items = try r.array("receipts")
            guard items.count <= AuditDraw.maxNodes else {
                throw .tooManyItems("receipts", got: items.count, limit: AuditDraw.maxNodes)
            }
            var receipts: [AuditDraw.QuorumReceipt] = []
            for item in items {
                var a = try KarmaObjectReader(item, what: "receipts[]")
                receipts.append(
                    AuditDraw.QuorumReceipt(
                        node: try a.publicKey("node"), receiptDigest: try a.digest("receiptDigest")))
                try a.finish()
            }
            let ppm = UInt32(try r.number("probabilityPPM", max: UInt64(UInt32.max)))
            let proof: VRFProof
            let proofHex = try r.string("proof")
            do { proof = try VRFProof(hex: proofHex, field: "proof") } catch { throw KarmaError(error) }
            guard case .bool(let audited) = try r.value("audited") else {
                throw .invalidField("audited", reason: "must be true or false")
            }
            body = .auditDraw(
                AuditDraw(
                    validator: validator, jobID: job, receipts: receipts, probabilityPPM: ppm, proof: proof,
                    audited: audited))
        }
        try r.finish()
    }

    /// Reads one entry from JSON text (one line of `events.jsonl`).
    public init(json: some DataProtocol) throws(KarmaError) {
        guard json.count <= Self.maxCanonicalSize * 4 else {
            throw .malformed("entry JSON is \(json.count) bytes; the limit is \(Self.maxCanonicalSize * 4)")
        }
        try self.init(jsonObject: try KarmaJSON.parse(json))
    }

    private static func checkListLength(_ items: [JSONValue], _ field: String) throws(KarmaError) {
        let limit = Int(KarmaParameters.maxListLimit)
        guard items.count <= limit else { throw .tooManyItems(field, got: items.count, limit: limit) }
    }
}
