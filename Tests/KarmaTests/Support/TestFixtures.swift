import Foundation
import Karma
import Receipts

/// Fixed test keys and builders shared by the karma tests and the fixture generator.
///
/// Secret key `i` is 31 zero bytes then the byte `i` (valid secp256k1 scalars); every signature uses
/// BIP-340 aux randomness of 32 zero bytes, so signed fixtures are reproducible byte for byte.
enum TestKeys {
    static let aux = Data(count: 32)

    static func secret(_ i: UInt8) -> SchnorrSigningKey {
        var bytes = Data(count: 32)
        bytes[31] = i
        // Scalars 1...255 are valid secret keys; this cannot fail.
        return try! SchnorrSigningKey(rawRepresentation: bytes)
    }

    static let alice = secret(1)
    static let bob = secret(2)
    static let carol = secret(3)
    static let dave = secret(4)
    static let erin = secret(5)

    /// Aliases used in fixture `case.json` files.
    static let aliases: [(String, SchnorrSigningKey)] = [
        ("alice", alice), ("bob", bob), ("carol", carol), ("dave", dave), ("erin", erin),
    ]
}

/// Builders for states, entries and signed evidence.
enum Build {
    /// Ledger time used by most fixtures: 1.8·10^12 ms, the start of heartbeat window 3,000,000.
    static let t0: UInt64 = 1_800_000_000_000

    /// 32 bytes of `byte`.
    static func digest(_ byte: UInt8) -> Digest32 { try! Digest32(bytes: Data(repeating: byte, count: 32)) }

    static func account(
        balance: UInt64 = 0, escrow: UInt64 = 0, bonded: UInt64 = 0, unbonding: [UnbondingEntry] = [],
        jailedUntilMs: UInt64? = nil,
        nonce: UInt64 = 0, nextLivenessWindow: UInt64? = nil
    ) -> Account {
        var a = Account()
        a.balance = balance
        a.escrow = escrow
        a.bonded = bonded
        a.unbonding = unbonding
        a.jailedUntilMs = jailedUntilMs
        a.nonce = nonce
        a.nextLivenessWindow = nextLivenessWindow
        return a
    }

    /// A genesis state holding `accounts`, with `minted` set so the supply invariant holds.
    static func genesis(
        _ accounts: [(SchnorrSigningKey, Account)], lastTimestampMs: UInt64 = 0, slashed: UInt64 = 0,
        withModel: Bool = false
    ) -> KarmaState {
        var s = KarmaState()
        if withModel { s.models[modelID] = model }
        s.lastTimestampMs = lastTimestampMs
        var minted = slashed
        for (k, a) in accounts {
            s.accounts[k.publicKey] = a
            minted += a.balance + a.escrow + a.bonded + a.unbonding.reduce(0) { $0 + $1.amount }
        }
        s.minted = minted
        s.slashed = slashed
        return s
    }

    static func inference(
        _ key: SchnorrSigningKey, job: Digest32 = digest(0x11), layers: Range<UInt32> = 0..<8,
        macs: UInt64 = 50_000_000, latencyMs: UInt64 = 800, slaMs: UInt64 = 1_000, at t: UInt64 = t0
    ) -> KarmaEntry {
        KarmaEntry(
            timestampMs: t,
            body: .inference(
                InferenceAccrual(
                    node: key.publicKey, jobID: job, receiptDigest: digest(0xEE),
                    layerStart: layers.lowerBound,
                    layerEnd: layers.upperBound, macs: macs, latencyMs: latencyMs, slaMs: slaMs)))
    }

    static func redundancy(
        _ key: SchnorrSigningKey, job: Digest32 = digest(0x11), macs: UInt64 = 40_000_000, at t: UInt64 = t0
    ) -> KarmaEntry {
        KarmaEntry(
            timestampMs: t,
            body: .redundancy(
                RedundancyBonus(
                    node: key.publicKey, jobID: job, layerStart: 0, layerEnd: 8, macs: macs,
                    agreedOutput: digest(0xA1))))
    }

    static func validation(
        _ key: SchnorrSigningKey, job: Digest32 = digest(0x11), method: ValidationMethod = .reexecution,
        macs: UInt64 = 40_000_000, at t: UInt64 = t0
    ) -> KarmaEntry {
        KarmaEntry(
            timestampMs: t,
            body: .validation(
                ValidationAccrual(validator: key.publicKey, jobID: job, method: method, macs: macs)))
    }

    /// A genuine audit draw by `validator` over `nodes` (receipt digests `0x21`, `0x22`, …) at
    /// `ppm`, its `audited` flag what the VRF decides unless `flip`.
    static func auditDraw(
        _ validator: SchnorrSigningKey, nodes: [SchnorrSigningKey], job: Digest32 = digest(0x11),
        ppm: UInt32 = AuditRule.newNodePPM, flip: Bool = false, at t: UInt64 = t0
    ) -> KarmaEntry {
        let receipts = nodes.enumerated().map {
            AuditDraw.QuorumReceipt(node: $1.publicKey, receiptDigest: digest(0x21 + UInt8($0)))
        }
        let (proof, beta) = try! validator.vrfProve(AuditDraw.alpha(jobID: job, receipts: receipts))
        let audited = AuditDraw.isAudited(beta: beta, probabilityPPM: ppm) != flip
        return KarmaEntry(
            timestampMs: t,
            body: .auditDraw(
                AuditDraw(
                    validator: validator.publicKey, jobID: job, receipts: receipts, probabilityPPM: ppm,
                    proof: proof,
                    audited: audited)))
    }

    /// The fixtures' model package: ten chunks of 4 MiB except the last, 1,000,000 bytes; chunk
    /// `i` hashes to 32 bytes of `0x60 + i`.
    static let modelID = digest(0x4D)
    static let chunkHashes = (0..<10).map { digest(UInt8(0x60 + $0)) }
    static let chunkTree = InMemoryMerkleTree(leafHashes: chunkHashes)
    static let model = RegisteredModel(
        chunkRoot: chunkTree.root, chunkSize: 4_194_304,
        payloadBytes: 9 * 4_194_304 + 1_000_000)

    /// The `model` entry registering ``model``.
    static func modelEntry(at t: UInt64 = t0) -> KarmaEntry {
        KarmaEntry(
            timestampMs: t,
            body: .model(
                ModelRegistration(
                    modelID: modelID, chunkRoot: model.chunkRoot, chunkSize: model.chunkSize,
                    payloadBytes: model.payloadBytes)))
    }

    /// A downloader-signed receipt for chunk `index` of ``model`` (its true length and hash unless
    /// overridden).
    static func chunk(
        seeder: SchnorrSigningKey, downloader: SchnorrSigningKey, index: UInt32, bytes: UInt32? = nil,
        hash: Digest32? = nil, servedAtMs: UInt64 = t0 - 1_000, signer: SchnorrSigningKey? = nil
    ) -> SignedSeedingChunkReceipt {
        let length = model.chunkLength(UInt64(index)) ?? 4_194_304
        let r = SeedingChunkReceipt(
            seeder: seeder.publicKey, downloader: downloader.publicKey, modelID: modelID,
            chunkRoot: model.chunkRoot, chunkIndex: index, chunkBytes: bytes ?? UInt32(length),
            chunkHash: hash ?? digest(UInt8(truncatingIfNeeded: 0x60 &+ index)), servedAtMs: servedAtMs)
        return try! Signed.sign(r, with: signer ?? downloader, auxiliaryRandom32: TestKeys.aux)
    }

    /// A seeding entry; each receipt carries the true chunk proof of its index (none past the end).
    static func seeding(
        _ seeder: SchnorrSigningKey, _ receipts: [SignedSeedingChunkReceipt], at t: UInt64 = t0
    ) -> KarmaEntry {
        let attested = receipts.map {
            ChunkAttestation(
                receipt: $0,
                proof: chunkTree.inclusionProof(index: Int($0.message.chunkIndex))
                    ?? [])
        }
        return KarmaEntry(
            timestampMs: t, body: .seeding(SeedingAccrual(seeder: seeder.publicKey, receipts: attested)))
    }

    static func heartbeat(
        _ key: SchnorrSigningKey, at t: UInt64, sequence: UInt64, signer: SchnorrSigningKey? = nil
    ) -> SignedHeartbeat {
        try! Signed.sign(
            Heartbeat(node: key.publicKey, timestampMs: t, sequence: sequence), with: signer ?? key,
            auxiliaryRandom32: TestKeys.aux)
    }

    static func uptime(
        _ key: SchnorrSigningKey, window: UInt64, beats: [SignedHeartbeat], at t: UInt64
    ) -> KarmaEntry {
        KarmaEntry(
            timestampMs: t,
            body: .uptime(UptimeAccrual(node: key.publicKey, window: window, heartbeats: beats)))
    }

    static func request(
        _ key: SchnorrSigningKey, _ action: StakingAction, amount: UInt64, nonce: UInt64,
        signer: SchnorrSigningKey? = nil
    ) -> SignedStakingRequest {
        try! Signed.sign(
            StakingRequest(node: key.publicKey, action: action, amount: amount, nonce: nonce),
            with: signer ?? key,
            auxiliaryRandom32: TestKeys.aux)
    }

    static func staking(
        _ key: SchnorrSigningKey, _ action: StakingAction, amount: UInt64, nonce: UInt64, at t: UInt64 = t0,
        signer: SchnorrSigningKey? = nil
    ) -> KarmaEntry {
        let r = request(key, action, amount: amount, nonce: nonce, signer: signer)
        switch action {
        case .bond: return KarmaEntry(timestampMs: t, body: .bond(r))
        case .unbond: return KarmaEntry(timestampMs: t, body: .unbond(r))
        case .withdraw: return KarmaEntry(timestampMs: t, body: .withdraw(r))
        case .unjail: return KarmaEntry(timestampMs: t, body: .unjail(r))
        }
    }

    /// A receipt by `key` for `job` and `layers` committing to `output`, signed (aux zero).
    static func receipt(
        _ key: SchnorrSigningKey, job: Digest32 = digest(0x11), layers: Range<UInt32> = 0..<4,
        output: Digest32, proofRef: Digest32? = nil, sequence: UInt64 = 1, signer: SchnorrSigningKey? = nil
    ) -> SignedReceipt {
        let r = Receipt(
            jobID: job, modelID: digest(0x4D), layerStart: layers.lowerBound, layerEnd: layers.upperBound,
            inputCommitment: digest(0x1C), outputCommitment: output, node: key.publicKey,
            startedAtMs: t0 - 5_000, finishedAtMs: t0 - 4_000, sequence: sequence, proofRef: proofRef)
        let s = signer ?? key
        let sig = try! r.signature(with: s, auxiliaryRandom32: TestKeys.aux)
        return SignedReceipt(receipt: r, signature: sig)
    }

    static func slash(_ key: SchnorrSigningKey, _ offence: Offence, amount: UInt64, at t: UInt64 = t0)
        -> KarmaEntry
    {
        KarmaEntry(timestampMs: t, body: .slash(Slash(node: key.publicKey, offence: offence, amount: amount)))
    }

    /// A genesis entry; `sorted` orders the allocations by key bytes as the rules require.
    static func genesisEntry(
        _ allocations: [(SchnorrSigningKey, UInt64, UInt64)], sorted: Bool = true, at t: UInt64 = t0
    ) -> KarmaEntry {
        var list = allocations.map { GenesisAllocation(node: $0.0.publicKey, balance: $0.1, bonded: $0.2) }
        if sorted {
            list.sort { $0.node.rawRepresentation.lexicographicallyPrecedes($1.node.rawRepresentation) }
        }
        return KarmaEntry(timestampMs: t, body: .genesis(list))
    }

    static func jail(_ key: SchnorrSigningKey, offence: Digest32, at t: UInt64 = t0) -> KarmaEntry {
        KarmaEntry(timestampMs: t, body: .jail(Jail(node: key.publicKey, offenceID: offence)))
    }
}
