import Foundation
import Karma
import Receipts
import TestSupport
import Testing

/// Engine behaviour beyond the fixtures: purity, formulas against a naive reference, parameters.
@Suite struct EngineTests {
    let engine = try! KarmaEngine(parameters: .v2)

    @Test func applyDoesNotTouchItsInputAndRefusalLeavesNothing() throws {
        let pre = Build.genesis([(TestKeys.alice, Build.account(balance: 10))])
        let before = pre.stateHash
        let post = try engine.apply(Build.inference(TestKeys.alice), to: pre)
        #expect(pre.stateHash == before)
        // alice holds no node bond: the accrual goes to escrow, the balance is untouched (§5.0).
        #expect(post.account(TestKeys.alice.publicKey).balance == 10)
        #expect(post.account(TestKeys.alice.publicKey).escrow == 50_000)
        // A refused entry throws; the caller still holds the old state.
        #expect(throws: KarmaError.self) { try engine.apply(Build.inference(TestKeys.alice), to: post) }
    }

    /// Naive reference of §5.1 written with 128-bit integers and the formula as the spec words it.
    @available(macOS 15.0, *)
    static func naiveInference(macs: UInt64, latency: UInt64, sla: UInt64, rate: UInt64) -> UInt64? {
        let base = UInt128(macs) * UInt128(rate) / 1_000_000
        guard base <= UInt128(UInt64.max) else { return nil }
        if latency <= sla { return UInt64(base) }
        if latency >= 2 * UInt128(sla) { return 0 }
        return UInt64(base * (2 * UInt128(sla) - UInt128(latency)) / UInt128(sla))
    }

    @available(macOS 15.0, *)
    @Test func inferenceRewardMatchesNaiveReference() {
        var rng = SeededRandom(seed: 51)
        let slas: [UInt64] = [1, 2, 999, 1_000, 60_000, .max / 2, .max]
        for _ in 0..<5_000 {
            let macs = rng.next() >> (rng.next() % 64)
            let sla = slas[Int(rng.next() % UInt64(slas.count))]
            let latency = rng.next() % 3 == 0 ? rng.next() : sla &+ (rng.next() % (sla / 2 + 2))
            let got = try? engine.inferenceReward(macs: macs, latencyMs: latency, slaMs: sla)
            #expect(got == Self.naiveInference(macs: macs, latency: latency, sla: sla, rate: 1_000))
        }
    }

    @Test func parametersOutOfRangeAreRefused() {
        var p = KarmaParameters.v2
        p.equivocationSlashBps = 10_001
        #expect(throws: KarmaError.self) { try KarmaEngine(parameters: p) }
        p = .v2
        p.heartbeatWindowMs = 0
        #expect(throws: KarmaError.self) { try KarmaEngine(parameters: p) }
        p = .v2
        p.minHeartbeatsPerWindow = p.maxHeartbeatsPerEntry + 1
        #expect(throws: KarmaError.self) { try KarmaEngine(parameters: p) }
    }

    @Test func parametersFileIsStrict() throws {
        let good = KarmaParameters.v2.json()
        #expect(try KarmaParameters(json: good) == .v2)
        let text = String(decoding: good, as: UTF8.self)
        let unknown = text.replacingOccurrences(of: "{", with: "{\"bonus\": 1,")
        #expect(throws: KarmaError.self) { try KarmaParameters(json: Data(unknown.utf8)) }
        let missing = text.replacingOccurrences(of: "\"downtimeSlashBps\": 10,", with: "")
        #expect(throws: KarmaError.self) { try KarmaParameters(json: Data(missing.utf8)) }
        let v3 = text.replacingOccurrences(of: "\"version\": 2", with: "\"version\": 3")
        #expect(v3 != text)
        #expect(throws: KarmaError.self) { try KarmaParameters(json: Data(v3.utf8)) }
    }

    @Test func eligibilityNeedsBondAndFreedom() {
        let min = KarmaParameters.v2.minValidatorBond
        let key = TestKeys.erin.publicKey
        #expect(
            !engine.isEligibleValidator(
                key, in: Build.genesis([(TestKeys.erin, Build.account(bonded: min - 1))])))
        #expect(
            engine.isEligibleValidator(key, in: Build.genesis([(TestKeys.erin, Build.account(bonded: min))])))
        #expect(
            !engine.isEligibleValidator(
                key, in: Build.genesis([(TestKeys.erin, Build.account(bonded: min, jailedUntilMs: 1))])))
    }

    @Test func slashEntryStatesTheAssessedAmount() throws {
        let pre = Build.genesis([(TestKeys.alice, Build.account(bonded: 12_345_678))])
        let r = Build.receipt(TestKeys.alice, output: Build.digest(0xA1))
        let offence = Offence.wrongOutput(receipt: r, reexecutedOutput: Build.digest(0xB2))
        let entry = try engine.slashEntry(
            node: TestKeys.alice.publicKey, offence: offence, timestampMs: Build.t0, in: pre)
        guard case .slash(let s) = entry.body else {
            Issue.record("not a slash")
            return
        }
        #expect(s.amount == 1_234_567)  // floor(12,345,678 · 1000 / 10000)
        let post = try engine.apply(entry, to: pre)
        #expect(post.slashed == 1_234_567)
        #expect(post.account(TestKeys.alice.publicKey).bonded == 12_345_678 - 1_234_567)
    }

    @Test func correlationIsCappedAtTheMaximum() throws {
        // Seven members slashed for one job: 1000 · 6 = 6000 bps, capped at 5000.
        let keys = (1...7).map { TestKeys.secret(UInt8($0)) }
        var s = Build.genesis(keys.map { ($0, Build.account(bonded: 1_000_000)) })
        for k in keys {
            let offence = Offence.wrongOutput(
                receipt: Build.receipt(k, output: Build.digest(0xA1)), reexecutedOutput: Build.digest(0xB2))
            s = try engine.apply(
                try engine.slashEntry(node: k.publicKey, offence: offence, timestampMs: Build.t0, in: s),
                to: s)
        }
        let x = try engine.assess(
            node: keys[0].publicKey, offence: .correlation(jobID: Build.digest(0x11)), timestampMs: Build.t0,
            in: s)
        #expect(x.bps == 5_000)
        #expect(x.amount == 450_000)  // 5000 bps of the 900,000 left after the 10% slash
    }
}

/// Every refusal of the fixture suite, applied in place, leaves the state byte-for-byte unchanged.
@Suite struct AtomicityTests {
    @Test func refusedEntriesLeaveTheStateUntouched() throws {
        let engine = try KarmaEngine(parameters: .v2)
        var checked = 0
        for c in FixtureCases.all where c.wantError != nil && c.editLastLine == nil {
            var state = c.pre
            for e in c.events.dropLast() { try engine.apply(e, to: &state) }
            let before = state.canonicalBytes
            guard let last = c.events.last else { continue }
            #expect(throws: KarmaError.self, "\(c.suite)/\(c.name)") { try engine.apply(last, to: &state) }
            #expect(state.canonicalBytes == before, "\(c.suite)/\(c.name) changed the state")
            checked += 1
        }
        #expect(checked >= 40)
    }
}

/// A settlement planned again on the state it produced (a validator that crashed after the ledger
/// append, before it stored the job as settled) writes nothing and names every entry of the first
/// run, the jail included, as already applied.
@Suite struct ReplanTests {
    @Test func aSettlementPlannedAgainNamesEveryEntryOfTheFirstRun() throws {
        let engine = try KarmaEngine(parameters: .v2)
        let keys = [TestKeys.alice, TestKeys.bob, TestKeys.carol]
        let pre = Build.genesis(keys.map { ($0, Build.account(bonded: 500_000_000)) })
        let job = Build.digest(0x77)
        let wrong = Build.receipt(TestKeys.carol, output: Build.digest(0xBB))
        let settlement = JobSettlement(
            jobID: job, layerStart: 0, layerEnd: 2, macs: 1_000_000, slaMs: 1_000, truth: Build.digest(0xAA),
            validator: TestKeys.erin.publicKey, method: nil,
            nodes: [
                (TestKeys.alice.publicKey, .agreed(receiptDigest: Build.digest(0x01), latencyMs: 10)),
                (TestKeys.bob.publicKey, .agreed(receiptDigest: Build.digest(0x02), latencyMs: 10)),
                (
                    TestKeys.carol.publicKey,
                    .offence(.wrongOutput(receipt: wrong, reexecutedOutput: Build.digest(0xAA)))
                ),
            ])
        let first = try engine.plan(settlements: [settlement], at: Build.t0, on: pre)
        #expect(first.steps.contains { if case .jail = $0.entry.body { true } else { false } })
        let again = try engine.plan(settlements: [settlement], at: Build.t0 + 5_000, on: first.state)
        #expect(again.steps.isEmpty)
        #expect(again.left.allSatisfy { $0.alreadyApplied })
        func key(_ e: KarmaEntry) -> Data {
            var e = e
            e.timestampMs = 0
            if case .slash(var s) = e.body {
                s.amount = 0
                e.body = .slash(s)
            }
            return e.canonicalBytes
        }
        #expect(Set(again.left.map { key($0.entry) }) == Set(first.steps.map { key($0.entry) }))
    }
}
