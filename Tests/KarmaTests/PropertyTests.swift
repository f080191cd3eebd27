import Foundation
import Karma
import Receipts
import TestSupport
import Testing

/// Random entry sequences from a seeded generator: every accepted entry keeps the supply invariant,
/// a refused one changes nothing, and a replay of the accepted entries gives the same state hash.
@Suite struct PropertyTests {
    static let keys = (1...4).map { TestKeys.secret(UInt8($0)) }
    static let jobs = (1...3).map { Build.digest(UInt8($0) * 0x11) }

    /// A random entry, deliberately often invalid, at ledger time `t`.
    static func randomEntry(_ rng: inout SeededRandom, t: UInt64, nonce: inout [UInt64]) -> KarmaEntry {
        let ki = Int(rng.next() % 4)
        let key = keys[ki]
        let job = jobs[Int(rng.next() % 3)]
        let small = rng.next() % 3_000_000
        func nextNonce() -> UInt64 {
            // Mostly fresh nonces, sometimes a replay.
            if rng.next() % 8 != 0 { nonce[ki] += 1 }
            return nonce[ki]
        }
        switch rng.next() % 11 {
        case 0:
            return Build.inference(key, job: job, macs: small * 100, latencyMs: rng.next() % 2_500, at: t)
        case 1: return Build.redundancy(key, job: job, macs: small * 10, at: t)
        case 2:
            return Build.validation(key, job: job, method: rng.next() % 2 == 0 ? .reexecution : .proof, at: t)
        case 3: return Build.staking(key, .bond, amount: small, nonce: nextNonce(), at: t)
        case 4: return Build.staking(key, .unbond, amount: small / 4, nonce: nextNonce(), at: t)
        case 5: return Build.staking(key, .withdraw, amount: small / 8, nonce: nextNonce(), at: t)
        case 6: return Build.staking(key, .unjail, amount: 0, nonce: nextNonce(), at: t)
        case 7:
            let r = Build.receipt(key, job: job, output: Build.digest(0xA1))
            let offence = Offence.wrongOutput(receipt: r, reexecutedOutput: Build.digest(0xB2))
            return Build.slash(key, offence, amount: rng.next() % 4 == 0 ? small : 0, at: t)
        case 8: return Build.slash(key, .correlation(jobID: job), amount: 0, at: t)
        case 9:
            let w = t / 600_000
            return Build.slash(key, .downtime(throughWindow: w &- 1), amount: 0, at: t)
        default:
            let w = t / 600_000 &- 1
            let beats = (0..<3).map {
                Build.heartbeat(key, at: w * 600_000 + UInt64($0) * 1_000, sequence: UInt64($0))
            }
            return Build.uptime(key, window: w, beats: beats, at: t)
        }
    }

    /// Slashes and correlation entries are generated with a placeholder amount; give most of them
    /// the amount the rules assess so they exercise the accepted path.
    static func fixAmount(_ e: KarmaEntry, _ engine: KarmaEngine, _ s: KarmaState, _ rng: inout SeededRandom)
        -> KarmaEntry
    {
        guard case .slash(let x) = e.body, rng.next() % 5 != 0,
            let fixed = try? engine.slashEntry(
                node: x.node, offence: x.offence, timestampMs: e.timestampMs, in: s)
        else { return e }
        return fixed
    }

    /// Applies `entry` in place and checks the supply invariant of the result; on a refusal checks
    /// the in-place state was left exactly as it was (atomicity). Also checks the value form agrees.
    static func step(_ engine: KarmaEngine, _ entry: KarmaEntry, _ state: KarmaState) -> Result<
        KarmaState, KarmaError
    > {
        var inPlace = state
        let before = state.canonicalBytes
        let result = Result { () throws(KarmaError) -> KarmaState in
            try engine.apply(entry, to: &inPlace)
            try inPlace.checkInvariants()
            return inPlace
        }
        if case .failure = result, inPlace.canonicalBytes != before {
            return .failure(.invalidState("a refused entry changed the state in place"))
        }
        let byValue = Result { () throws(KarmaError) -> KarmaState in try engine.apply(entry, to: state) }
        switch (result, byValue) {
        case (.success(let a), .success(let b)) where a == b: return result
        case (.failure, .failure): return result
        default: return .failure(.invalidState("the in-place and value forms of apply disagree"))
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func invariantsHoldOverRandomSequences(seed: UInt64) throws {
        let engine = try KarmaEngine(parameters: .v2)
        var rng = SeededRandom(seed: seed)
        // Every node starts well above the node bond, with a liveness record, so uptime can be paid.
        var state = Build.genesis(
            Self.keys.map {
                (
                    $0,
                    Build.account(
                        balance: 15_000_000_000, bonded: 5_000_000_000,
                        nextLivenessWindow: Build.t0 / 600_000)
                )
            })
        let genesis = state
        var accepted: [KarmaEntry] = []
        var nonce = [UInt64](repeating: 0, count: 4)
        var t = Build.t0
        var refusals = 0
        for _ in 0..<250 {
            t += rng.next() % 4 == 0 ? 400_000_000 : rng.next() % 900_000
            var entry = Self.fixAmount(Self.randomEntry(&rng, t: t, nonce: &nonce), engine, state, &rng)
            if rng.next() % 10 == 0, let (id, record) = state.offences.sorted(by: { $0.key < $1.key }).first {
                entry = Build.jail(
                    Self.keys.first { $0.publicKey == record.node } ?? Self.keys[0], offence: id, at: t)
            }
            #expect(try KarmaEntry(canonicalBytes: entry.canonicalBytes) == entry)
            switch Self.step(engine, entry, state) {
            case .success(let next):
                #expect(next.minted >= state.minted)
                #expect(next.slashed >= state.slashed)
                state = next
                accepted.append(entry)
            case .failure(let e):
                refusals += 1
                #expect(e.code != "invalidState", "\(e)")
                #expect(e.code != "overflow", "\(e)")
            }
        }
        #expect(accepted.count > 50, "only \(accepted.count) entries accepted")
        let kinds = Set(accepted.map(\.type))
        #expect(
            kinds.isSuperset(of: [.inference, .redundancy, .bond, .unbond, .withdraw, .slash, .uptime, .jail]
            ), "\(kinds)")
        #expect(refusals > 10)
        // Replaying exactly the accepted entries gives the same state, hash and JSON.
        let replayed = try engine.replay(accepted, from: genesis)
        #expect(replayed.stateHash == state.stateHash)
        let reread = try KarmaState(json: state.json())
        #expect(reread == state)
        #expect(reread.stateHash == state.stateHash)
    }

    @Test func stateHashSeesEveryField() throws {
        let base = Build.genesis([
            (TestKeys.alice, Build.account(balance: 5, bonded: 5, nextLivenessWindow: 1))
        ])
        var variants: [KarmaState] = []
        var s = base
        s.accounts[TestKeys.alice.publicKey]?.scores.seeding = 1
        variants.append(s)
        s = base
        s.accounts[TestKeys.alice.publicKey]?.nonce = 1
        variants.append(s)
        s = base
        s.accounts[TestKeys.alice.publicKey]?.nextLivenessWindow = 2
        variants.append(s)
        s = base
        s.claims.insert(Build.digest(1))
        variants.append(s)
        s = base
        s.jobs[Build.digest(1)] = [TestKeys.alice.publicKey: 0]
        variants.append(s)
        s = base
        s.lastTimestampMs = 1
        variants.append(s)
        let hashes = Set(([base] + variants).map(\.stateHash))
        #expect(hashes.count == variants.count + 1)
        // Empty accounts are not part of the state.
        s = base
        s.accounts[TestKeys.bob.publicKey] = Account()
        #expect(s.stateHash == base.stateHash)
    }

    @Test func stateJSONRefusesBrokenSupplyAndWrongHash() throws {
        var s = Build.genesis([(TestKeys.alice, Build.account(balance: 5))])
        s.minted = 6
        #expect(throws: KarmaError.self) { try KarmaState(json: s.json()) }
        let good = Build.genesis([(TestKeys.alice, Build.account(balance: 5))])
        let text = String(decoding: good.json(), as: UTF8.self)
            .replacingOccurrences(of: good.stateHash.hex, with: Build.digest(0).hex)
        #expect(throws: KarmaError.self) { try KarmaState(json: Data(text.utf8)) }
    }
}
