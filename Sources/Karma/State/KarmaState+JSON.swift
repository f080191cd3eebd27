import Foundation
import Receipts

/// The JSON form of a state, used by fixtures (`pre.json`, `post.json`) and the auditor CLI
/// (specs/karma.md §8.5).
///
/// Writing always emits every field, with 64-bit integers as decimal strings and `stateHash` added.
/// Reading accepts omitted fields (absent = zero, empty or null) so hand-written `pre.json` files
/// stay short; `stateHash`, when present, must match the state read. Unknown fields are refused.
extension KarmaState {
    public func jsonObject() -> JSONValue {
        var accountsJSON: [String: JSONValue] = [:]
        for (node, a) in accounts where !a.isEmpty { accountsJSON[node.hex] = a.jsonObject() }
        var offencesJSON: [String: JSONValue] = [:]
        for (id, o) in offences {
            offencesJSON[id.hex] = .object([
                "node": KarmaJSON.hex(o.node), "kind": .string(o.kind.description),
                "jobID": o.jobID.map(KarmaJSON.hex) ?? .null,
            ])
        }
        var modelsJSON: [String: JSONValue] = [:]
        for (id, m) in models {
            modelsJSON[id.hex] = .object([
                "chunkRoot": KarmaJSON.hex(m.chunkRoot), "chunkSize": KarmaJSON.number(m.chunkSize),
                "payloadBytes": KarmaJSON.u64(m.payloadBytes),
            ])
        }
        var jobsJSON: [String: JSONValue] = [:]
        for (job, members) in jobs {
            var m: [String: JSONValue] = [:]
            for (node, bps) in members { m[node.hex] = KarmaJSON.u64(bps) }
            jobsJSON[job.hex] = .object(m)
        }
        return .object([
            "version": KarmaJSON.number(Self.version),
            "lastTimestampMs": KarmaJSON.u64(lastTimestampMs),
            "minted": KarmaJSON.u64(minted),
            "slashed": KarmaJSON.u64(slashed),
            "parameters": parameters?.jsonObject() ?? .null,
            "accounts": .object(accountsJSON),
            "models": .object(modelsJSON),
            "claims": .array(claims.sorted().map(KarmaJSON.hex)),
            "offences": .object(offencesJSON),
            "jobs": .object(jobsJSON),
            "stateHash": KarmaJSON.hex(stateHash),
        ])
    }

    /// The pretty JSON document with a trailing newline.
    public func json() -> Data { JSONOutput.data(jsonObject()) + Data("\n".utf8) }

    /// Reads a state document and checks ``checkInvariants()``.
    /// - Throws: ``KarmaError/malformed(_:)`` for bad JSON or fields, ``KarmaError/invalidState(_:)``
    ///   when the invariant fails or `stateHash` does not match.
    public init(json: some DataProtocol) throws(KarmaError) {
        try self.init(jsonObject: try KarmaJSON.parse(json))
    }

    public init(jsonObject: JSONValue) throws(KarmaError) {
        self.init()
        var r = try KarmaObjectReader(jsonObject, what: "state")
        if r.has("version") { try r.version(want: Self.version) }
        lastTimestampMs = try Self.optionalU64(&r, "lastTimestampMs")
        minted = try Self.optionalU64(&r, "minted")
        slashed = try Self.optionalU64(&r, "slashed")
        if let p = r.optionalValue("parameters") { parameters = try KarmaParameters(jsonObject: p) }
        if r.has("models") {
            for (hex, value) in try r.object("models") {
                var m = try KarmaObjectReader(value, what: "models.\(hex)")
                let model = RegisteredModel(
                    chunkRoot: try m.digest("chunkRoot"),
                    chunkSize: UInt32(try m.number("chunkSize", max: UInt64(UInt32.max))),
                    payloadBytes: try m.u64("payloadBytes"))
                try m.finish()
                models[try Self.digest(hex, "models key")] = model
            }
        }
        if r.has("accounts") {
            for (hex, value) in try r.object("accounts") {
                let node: XOnlyPublicKey
                do { node = try XOnlyPublicKey(hex: hex, field: "accounts key") } catch {
                    throw KarmaError(error)
                }
                accounts[node] = try Self.account(value, what: "accounts.\(hex)")
            }
        }
        if r.has("claims") {
            for item in try r.array("claims") {
                guard case .string(let hex) = item else {
                    throw .malformed("state.claims: items must be hex strings")
                }
                claims.insert(try Self.digest(hex, "claims"))
            }
        }
        if r.has("offences") {
            for (hex, value) in try r.object("offences") {
                var o = try KarmaObjectReader(value, what: "offences.\(hex)")
                let node = try o.publicKey("node")
                let kind = try OffenceKind(name: try o.string("kind"))
                var job: Digest32?
                if case .string(let jobHex)? = o.optionalValue("jobID") {
                    job = try Self.digest(jobHex, "jobID")
                }
                try o.finish()
                recordOffence(
                    try Self.digest(hex, "offences key"), OffenceRecord(node: node, kind: kind, jobID: job))
            }
        }
        if r.has("jobs") {
            for (hex, value) in try r.object("jobs") {
                guard case .object(let members) = value else {
                    throw .malformed("state.jobs.\(hex): must be an object")
                }
                var m: [XOnlyPublicKey: UInt64] = [:]
                for (nodeHex, bps) in members {
                    let node: XOnlyPublicKey
                    do { node = try XOnlyPublicKey(hex: nodeHex, field: "jobs member") } catch {
                        throw KarmaError(error)
                    }
                    m[node] = try KarmaObjectReader.u64(bps, field: "jobs.\(hex).\(nodeHex)")
                }
                jobs[try Self.digest(hex, "jobs key")] = m
            }
        }
        var claimedHash: Digest32?
        if case .string(let hex)? = r.optionalValue("stateHash") {
            claimedHash = try Self.digest(hex, "stateHash")
        }
        try r.finish()
        try checkInvariants()
        if let claimedHash, claimedHash != stateHash {
            throw .invalidState(
                "stateHash \(claimedHash.hex) does not match the state's hash \(stateHash.hex)")
        }
    }

    static func account(_ value: JSONValue, what: String) throws(KarmaError) -> Account {
        var r = try KarmaObjectReader(value, what: what)
        var a = Account()
        a.balance = try optionalU64(&r, "balance")
        a.escrow = try optionalU64(&r, "escrow")
        a.bonded = try optionalU64(&r, "bonded")
        if r.has("unbonding") {
            for item in try r.array("unbonding") {
                var e = try KarmaObjectReader(item, what: "\(what).unbonding[]")
                a.unbonding.append(
                    UnbondingEntry(amount: try e.u64("amount"), maturesAtMs: try e.u64("maturesAtMs")))
                try e.finish()
            }
        }
        if let v = r.optionalValue("jailedUntilMs") {
            a.jailedUntilMs = try KarmaObjectReader.u64(v, field: "\(what).jailedUntilMs")
        }
        a.nonce = try optionalU64(&r, "nonce")
        if r.has("scores") {
            var s = try KarmaObjectReader(try r.value("scores"), what: "\(what).scores")
            for (name, path) in Scores.fields { a.scores[keyPath: path] = try optionalU64(&s, name) }
            try s.finish()
        }
        if let v = r.optionalValue("nextLivenessWindow") {
            a.nextLivenessWindow = try KarmaObjectReader.u64(v, field: "\(what).nextLivenessWindow")
        }
        if let v = r.optionalValue("seeding") {
            var s = try KarmaObjectReader(v, what: "\(what).seeding")
            a.seeding = SeedingAllowance(window: try s.u64("window"), bytes: try s.u64("bytes"))
            try s.finish()
        }
        try r.finish()
        return a
    }

    private static func optionalU64(_ r: inout KarmaObjectReader, _ key: String) throws(KarmaError) -> UInt64
    {
        guard let v = r.optionalValue(key) else { return 0 }
        return try KarmaObjectReader.u64(v, field: "\(r.what).\(key)")
    }

    private static func digest(_ hex: String, _ field: String) throws(KarmaError) -> Digest32 {
        do { return try Digest32(hex: hex, field: field) } catch { throw KarmaError(error) }
    }
}

extension Account {
    /// The account object of the state JSON (specs/karma.md §8.5), every field present.
    public func jsonObject() -> JSONValue {
        var scores: [String: JSONValue] = [:]
        for (name, path) in Scores.fields { scores[name] = KarmaJSON.u64(self.scores[keyPath: path]) }
        return .object([
            "balance": KarmaJSON.u64(balance),
            "escrow": KarmaJSON.u64(escrow),
            "bonded": KarmaJSON.u64(bonded),
            "unbonding": .array(
                unbonding.map {
                    .object([
                        "amount": KarmaJSON.u64($0.amount), "maturesAtMs": KarmaJSON.u64($0.maturesAtMs),
                    ])
                }),
            "jailedUntilMs": jailedUntilMs.map(KarmaJSON.u64) ?? .null,
            "nonce": KarmaJSON.u64(nonce),
            "scores": .object(scores),
            "nextLivenessWindow": nextLivenessWindow.map(KarmaJSON.u64) ?? .null,
            "seeding": seeding.map {
                .object(["window": KarmaJSON.u64($0.window), "bytes": KarmaJSON.u64($0.bytes)])
            } ?? .null,
        ])
    }

    /// Reads an account object of the state JSON (specs/karma.md §8.5); omitted fields are zero,
    /// empty or null, unknown fields are refused.
    /// - Throws: ``KarmaError/malformed(_:)`` naming the field (prefixed with `what`).
    public init(jsonObject: JSONValue, what: String = "account") throws(KarmaError) {
        self = try KarmaState.account(jsonObject, what: what)
    }
}
