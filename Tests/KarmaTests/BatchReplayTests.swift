import Foundation
import Karma
import Receipts
import Testing

/// The batched replay (``KarmaReplayer/apply(batch:threads:)``) against the one-entry-at-a-time
/// replay on a generated grid ledger: same state hash, same history, same refusals at the same
/// index (specs/karma.md §9).
struct BatchReplayTests {
    /// A few thousand entries of every kind the grid generator makes.
    static let ledger: (entries: [Data], grid: SyntheticGrid) = {
        // Parameters are the built-in v1; the seed and sizes below cannot make the engine refuse.
        var grid = try! SyntheticGrid(seed: 7, nodes: 12, jobsPerWindow: 60, offencesPer10kJobs: 300)
        var entries: [Data] = []
        while entries.count < 4_000 { entries += try! grid.nextWindow().map(\.canonicalBytes) }
        return (entries, grid)
    }()

    func oneByOne(_ entries: [Data], tracking node: XOnlyPublicKey? = nil) -> (
        KarmaReplayer, KarmaReplayFailure?
    ) {
        var r = KarmaReplayer(engine: try! KarmaEngine(), trackingNode: node)
        for e in entries {
            do { try r.apply(canonicalBytes: e) } catch { return (r, error) }
        }
        return (r, nil)
    }

    func batched(_ entries: [Data], size: Int = 512, threads: Int = 2, tracking node: XOnlyPublicKey? = nil)
        -> (KarmaReplayer, KarmaReplayFailure?)
    {
        var r = KarmaReplayer(engine: try! KarmaEngine(), trackingNode: node)
        var i = 0
        while i < entries.count {
            let batch = Array(entries[i..<min(entries.count, i + size)])
            do { try r.apply(batch: batch, threads: threads) } catch { return (r, error) }
            i += size
        }
        return (r, nil)
    }

    @Test func generatedLedgerHasEveryKindOfEntry() {
        var types = Set<UInt8>()
        for e in Self.ledger.entries { types.insert(e[0]) }
        let want: [KarmaEntry.EntryType] = [
            .genesis, .inference, .redundancy, .validation, .uptime, .seeding, .bond, .unbond, .slash, .jail,
            .unjail,
        ]
        for t in want { #expect(types.contains(t.rawValue), "no \(t) entry in the generated ledger") }
    }

    @Test(arguments: [(512, 2), (1, 1), (97, 3), (5000, 2)])
    func batchedReplayEqualsOneByOne(size: Int, threads: Int) {
        let (entries, grid) = Self.ledger
        let (reference, refError) = oneByOne(entries)
        let (fast, fastError) = batched(entries, size: size, threads: threads)
        #expect(refError == nil)
        #expect(fastError == nil)
        #expect(fast.count == UInt64(entries.count))
        #expect(fast.state.stateHash == reference.state.stateHash)
        #expect(reference.state.stateHash == grid.state.stateHash)
    }

    @Test func batchedHistoryEqualsOneByOne() {
        let (entries, grid) = Self.ledger
        let node = grid.keys[3].publicKey
        let (reference, _) = oneByOne(entries, tracking: node)
        let (fast, _) = batched(entries, tracking: node)
        #expect(!reference.history.isEmpty)
        #expect(fast.history == reference.history)
    }

    /// Index of the first entry of `type`.
    func first(_ type: KarmaEntry.EntryType, after start: Int = 1) -> Int {
        Self.ledger.entries.indices.first { $0 >= start && Self.ledger.entries[$0][0] == type.rawValue }!
    }

    /// Flips the last byte of entry `i` (the last signature byte, for entries that end in one).
    func tampered(at i: Int) -> [Data] {
        var entries = Self.ledger.entries
        entries[i][entries[i].count - 1] ^= 0x01
        return entries
    }

    @Test(arguments: [KarmaEntry.EntryType.uptime, .seeding, .bond, .slash])
    func aBadSignatureIsRefusedAtTheSameIndexWithTheSameError(type: KarmaEntry.EntryType) throws {
        var i = first(type, after: 200)
        var entries = tampered(at: i)
        if type == .slash {
            // A wrong-output slash ends in the re-executed output digest: break the receipt's
            // signature instead (the 64 bytes before that digest).
            i = try #require(
                Self.ledger.entries.indices.first { k in
                    guard case .slash(let s) = try? KarmaEntry(canonicalBytes: Self.ledger.entries[k]).body,
                        case .wrongOutput = s.offence
                    else { return false }
                    return true
                })
            entries = Self.ledger.entries
            entries[i][entries[i].count - 33] ^= 0x01
        }
        if type == .seeding {
            // A seeding entry ends with the last receipt's chunk proof (u32 count, 32-byte hashes):
            // break the signature before it.
            guard case .seeding(let a) = try KarmaEntry(canonicalBytes: Self.ledger.entries[i]).body,
                let last = a.receipts.last
            else { throw ReadFailure(range: UInt64(i)..<UInt64(i + 1)) }
            entries = Self.ledger.entries
            entries[i][entries[i].count - 1 - 4 - 32 * last.proof.count] ^= 0x01
        }
        let (reference, refError) = oneByOne(entries)
        let (fast, fastError) = batched(entries)
        let want = try #require(refError)
        #expect(want.index == UInt64(i))
        guard case .invalidSignature = want.error else {
            Issue.record("reference refused entry \(i) with \(want.error), not a signature error")
            return
        }
        let got = try #require(fastError)
        #expect(got.index == want.index)
        #expect("\(got.error)" == "\(want.error)")
        #expect(fast.state.stateHash == reference.state.stateHash)
    }

    @Test func aTruncatedEntryIsRefusedAtTheSameIndex() throws {
        var entries = Self.ledger.entries
        let i = first(.inference, after: 1000)
        entries[i].removeLast()
        let (reference, refError) = oneByOne(entries)
        let (fast, fastError) = batched(entries)
        let want = try #require(refError)
        let got = try #require(fastError)
        #expect(want.index == UInt64(i))
        #expect(got.index == want.index)
        #expect("\(got.error)" == "\(want.error)")
        #expect(fast.count == reference.count)
        #expect(fast.state.stateHash == reference.state.stateHash)
    }

    /// The pipelined replay `mesh-validator audit` runs.
    func pipelined(_ entries: [Data], batchSize: Int = 300, failReadAt: UInt64? = nil)
        -> (KarmaReplayer, (any Error)?)
    {
        var r = KarmaReplayer(engine: try! KarmaEngine())
        do {
            try r.apply(upTo: UInt64(entries.count), batchSize: batchSize, threads: 2) { range in
                if let bad = failReadAt, range.contains(bad) { throw ReadFailure(range: range) }
                return Array(entries[Int(range.lowerBound)..<Int(range.upperBound)])
            }
        } catch { return (r, error) }
        return (r, nil)
    }

    struct ReadFailure: Error { var range: Range<UInt64> }

    @Test func pipelinedReplayEqualsOneByOne() {
        let (entries, _) = Self.ledger
        let (reference, _) = oneByOne(entries)
        let (fast, error) = pipelined(entries)
        #expect(error == nil)
        #expect(fast.count == reference.count)
        #expect(fast.state.stateHash == reference.state.stateHash)
    }

    @Test func pipelinedReplayStopsAtTheRefusedEntry() throws {
        let i = first(.uptime, after: 700)
        let entries = tampered(at: i)
        let (reference, refError) = oneByOne(entries)
        let (fast, error) = pipelined(entries)
        let got = try #require(error as? KarmaReplayFailure)
        #expect(got.index == UInt64(i))
        #expect(got.index == refError?.index)
        #expect(fast.state.stateHash == reference.state.stateHash)
    }

    @Test func pipelinedReplayReportsAReadErrorAfterApplyingWhatCameBefore() throws {
        let (entries, _) = Self.ledger
        let (fast, error) = pipelined(entries, batchSize: 300, failReadAt: 1000)
        let failure = try #require(error as? ReadFailure)
        #expect(failure.range == 900..<1200)
        #expect(fast.count == 900)
        let (reference, _) = oneByOne(Array(entries.prefix(900)))
        #expect(fast.state.stateHash == reference.state.stateHash)
    }

    @Test func generatorIsDeterministic() throws {
        var grid = try SyntheticGrid(seed: 7, nodes: 12, jobsPerWindow: 60, offencesPer10kJobs: 300)
        let first = try grid.nextWindow() + grid.nextWindow()
        #expect(first.map(\.canonicalBytes) == Array(Self.ledger.entries.prefix(first.count)))
    }
}

/// ``VerifiedSignatures`` answers only for signatures it verified.
struct VerifiedSignaturesTests {
    let key = try! SchnorrSigningKey(rawRepresentation: Data(repeating: 7, count: 32))

    func claim(_ message: UInt8, forged: Bool = false) throws -> VerifiedSignatures.Claim {
        let m = try Digest32(bytes: Data(repeating: message, count: 32))
        var sig = try key.signature(for: m.bytes, auxiliaryRandom32: Data(count: 32)).rawRepresentation
        if forged { sig[63] ^= 1 }
        return .init(
            key: key.publicKey, message32: m, signature: try SchnorrSignature(rawRepresentation: sig))
    }

    @Test func keepsOnlyValidSignatures() throws {
        let good = try claim(1)
        let bad = try claim(2, forged: true)
        let set = VerifiedSignatures.verify([good, bad, good])
        #expect(set.count == 1)
        #expect(set.contains(good))
        #expect(!set.contains(bad))
    }

    @Test func aForgedSignatureFailsInsideAPreverifiedScope() throws {
        let good = try claim(1)
        let bad = try claim(2, forged: true)
        let set = VerifiedSignatures.verify([good, bad])
        VerifiedSignatures.withPreverified(set) {
            #expect(good.key.isValidSignature(good.signature, for: good.message32.bytes))
            #expect(!bad.key.isValidSignature(bad.signature, for: bad.message32.bytes))
        }
    }
}
