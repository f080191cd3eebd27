import Foundation
import Karma
import Receipts
import Testing

/// Canonical bytes and JSON of entries and signed messages (specs/karma.md §4).
@Suite struct EntryCodecTests {
    /// One sample of every entry type, taken from the fixture generator.
    static let samples: [KarmaEntry] =
        FixtureCases.all.flatMap(\.events) + [
            Build.auditDraw(TestKeys.erin, nodes: [TestKeys.alice, TestKeys.bob])
        ]

    @Test func everyEntryTypeIsCovered() {
        let types = Set(Self.samples.map(\.type))
        #expect(types == Set(KarmaEntry.EntryType.allCases))
    }

    @Test func canonicalAndJSONRoundTrip() throws {
        for e in Self.samples {
            let bytes = e.canonicalBytes
            #expect(try KarmaEntry(canonicalBytes: bytes) == e)
            #expect(try KarmaEntry(json: Data(e.jsonLine().utf8)) == e)
            #expect(bytes.first == e.type.rawValue)
        }
    }

    @Test func everyTruncationIsRefusedWithoutCrashing() throws {
        // One sample per type keeps this quick; each prefix must be refused as malformed.
        var seen = Set<KarmaEntry.EntryType>()
        for e in Self.samples where seen.insert(e.type).inserted {
            let bytes = e.canonicalBytes
            for n in 0..<bytes.count {
                #expect(throws: KarmaError.self) { try KarmaEntry(canonicalBytes: bytes.prefix(n)) }
            }
            #expect(throws: KarmaError.self) { try KarmaEntry(canonicalBytes: bytes + Data([0])) }
        }
    }

    @Test func unknownTypeAndVersionAreRefused() throws {
        var bytes = Build.inference(TestKeys.alice).canonicalBytes
        bytes[0] = 0
        #expect(throws: KarmaError.unknownEntryType("tag 0")) { try KarmaEntry(canonicalBytes: bytes) }
        bytes[0] = 16
        #expect(throws: KarmaError.unknownEntryType("tag 16")) { try KarmaEntry(canonicalBytes: bytes) }
        bytes[0] = 1
        bytes[2] = 3  // version 0x0003
        #expect(throws: KarmaError.unsupportedVersion(what: "entry", got: 3, want: 2)) {
            try KarmaEntry(canonicalBytes: bytes)
        }
    }

    @Test func inferenceLayoutIsTheDocumentedOne() {
        // specs/karma.md §4.4: type 01, version 0002, timestamp, node, job, receipt digest,
        // layerStart, layerEnd, macs, latency, sla — written out by hand here.
        let e = Build.inference(TestKeys.alice, layers: 2..<6, macs: 7, latencyMs: 8, slaMs: 9, at: 0x0102)
        var want = Data([0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x02])
        want += TestKeys.alice.publicKey.rawRepresentation
        want += Data(repeating: 0x11, count: 32) + Data(repeating: 0xEE, count: 32)
        want += Data([0, 0, 0, 2, 0, 0, 0, 6])
        want += Data([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 9])
        #expect(e.canonicalBytes == want)
    }

    @Test func heartbeatDigestIsTaggedHashOfHandWrittenBytes() {
        let h = Heartbeat(node: TestKeys.carol.publicKey, timestampMs: 0x0A0B, sequence: 3)
        var bytes = Data([0x00, 0x01]) + TestKeys.carol.publicKey.rawRepresentation
        bytes += Data([0, 0, 0, 0, 0, 0, 0x0A, 0x0B, 0, 0, 0, 0, 0, 0, 0, 3])
        #expect(h.canonicalBytes == bytes)
        #expect(h.digest == TaggedHash.hash(tag: "mesh/karma/heartbeat/v1", bytes))
    }

    @Test func signaturesAreDomainSeparated() throws {
        // A staking request and a heartbeat never share a digest, so one signature cannot be replayed
        // as the other even when the field bytes line up.
        let key = TestKeys.alice
        let req = StakingRequest(node: key.publicKey, action: .bond, amount: 1, nonce: 1)
        let signed = try Signed.sign(req, with: key, auxiliaryRandom32: TestKeys.aux)
        #expect(signed.isValid)
        let hb = Heartbeat(node: key.publicKey, timestampMs: 1, sequence: 1)
        #expect(!hb.isValidSignature(signed.signature, by: key.publicKey))
        var tampered = signed
        tampered.message.amount = 2
        #expect(!tampered.isValid)
    }

    @Test func jsonIsStrict() throws {
        let line = Build.inference(TestKeys.alice).jsonLine()
        let extra = line.replacingOccurrences(of: "{\"jobID\"", with: "{\"extra\":1,\"jobID\"")
        #expect(throws: KarmaError.self) { try KarmaEntry(json: Data(extra.utf8)) }
        let missing = line.replacingOccurrences(of: "\"slaMs\":\"1000\",", with: "")
        #expect(throws: KarmaError.self) { try KarmaEntry(json: Data(missing.utf8)) }
        let leadingZero = line.replacingOccurrences(of: "\"slaMs\":\"1000\"", with: "\"slaMs\":\"01000\"")
        #expect(throws: KarmaError.self) { try KarmaEntry(json: Data(leadingZero.utf8)) }
        let duplicate = line.replacingOccurrences(of: "{\"jobID\"", with: "{\"macs\":\"1\",\"jobID\"")
        #expect(throws: KarmaError.self) { try KarmaEntry(json: Data(duplicate.utf8)) }
    }

    @Test func oversizedListsAreRefusedBeforeAllocation() {
        // A seeding entry claiming 2^32−1 receipts.
        var bytes = Data([0x04, 0x00, 0x02]) + Data(count: 8) + TestKeys.alice.publicKey.rawRepresentation
        bytes += Data([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: KarmaError.tooManyItems("receipts", got: Int(UInt32.max), limit: 4096)) {
            try KarmaEntry(canonicalBytes: bytes)
        }
    }
}

/// The API the validator service uses to turn an HTTP staking request into an entry.
@Suite struct StakingRequestAPITests {
    @Test func signedRequestJSONRoundTripsAndPicksTheEntryType() throws {
        for action in StakingAction.allCases {
            let signed = Build.request(TestKeys.bob, action, amount: action == .unjail ? 0 : 5, nonce: 9)
            let parsed = try SignedStakingRequest(json: signed.json())
            #expect(parsed == signed)
            #expect(parsed.isValid)
            let entry = KarmaEntry(timestampMs: 1, stakingRequest: parsed)
            #expect(entry.type.description == action.description)
        }
        #expect(throws: KarmaError.self) { try SignedStakingRequest(json: Data("{\"message\":{}}".utf8)) }
    }
}
