import Foundation
import Ledger
import Receipts
import Synchronization

@testable import Validator

/// A stand-in kernel: a "tensor" is any non-empty byte string; its commitment is the BIP-340
/// tagged hash `TaggedHash("fake/commitment", bytes)`; running layers [s, e) on input X outputs
/// `TaggedHash("fake/run", s ‖ e ‖ X)`. Independent of the validator's code, so tests compute
/// expected outputs themselves.
struct FakeExecutor: ShardExecutor {
    var models: Set<Digest32>
    var macsPerLayer: UInt64 = 1000

    static func sha(_ data: some DataProtocol) -> Digest32 {
        TaggedHash.hash(tag: "fake/commitment", data)
    }

    static func run(layers: Range<UInt32>, input: Data) -> Data {
        var message = Data()
        message.append(contentsOf: withUnsafeBytes(of: layers.lowerBound.bigEndian, Array.init))
        message.append(contentsOf: withUnsafeBytes(of: layers.upperBound.bigEndian, Array.init))
        message.append(input)
        return TaggedHash.hash(tag: "fake/run", message).bytes
    }

    func commitment(ofTensor bytes: Data) throws(ValidatorError) -> Digest32 {
        guard !bytes.isEmpty else { throw .invalidTensor("empty tensor") }
        return Self.sha(bytes)
    }

    func canExecute(modelID: Digest32, layers: Range<UInt32>) -> Bool {
        models.contains(modelID) && !layers.isEmpty && layers.upperBound <= 8
    }

    func multiplyAccumulates(modelID: Digest32, layers: Range<UInt32>, input: Data) throws(ValidatorError)
        -> UInt64
    {
        UInt64(layers.count) * macsPerLayer
    }

    func execute(modelID: Digest32, layers: Range<UInt32>, input: Data) async throws(ValidatorError)
        -> ShardExecution
    {
        guard canExecute(modelID: modelID, layers: layers) else { throw .unknownModel(modelID.hex) }
        let output = Self.run(layers: layers, input: input)
        return ShardExecution(
            output: output, commitment: Self.sha(output),
            multiplyAccumulates: UInt64(layers.count) * macsPerLayer)
    }
}

/// A proof checker whose "valid proof" for (input, output) is `TaggedHash("fake/proof", input ‖ output)`.
struct FakeProofChecker: ProofChecker {
    static func proof(input: Data, output: Data) -> Data {
        TaggedHash.hash(tag: "fake/proof", input + output).bytes
    }

    func hasCircuit(modelID: Digest32, layers: Range<UInt32>) -> Bool { true }

    func verify(proof: Data, modelID: Digest32, layers: Range<UInt32>, input: Data, output: Data) async
        -> ProofCheck
    {
        proof == Self.proof(input: input, output: output)
            ? .valid : .invalid(reason: "fake proof does not match")
    }
}

/// An in-memory karma ledger that records events (idempotently) and keeps simple balances.
final class RecordingKarmaLedger: KarmaLedger {
    struct State {
        var events: [KarmaEvent] = []
        var requests: [(NodeRequestKind, Data)] = []
    }

    let state = Mutex(State())

    var events: [KarmaEvent] { state.withLock { $0.events } }

    func record(_ events: [KarmaEvent]) async throws(ValidatorError) -> RecordOutcome {
        state.withLock { s in
            RecordOutcome(
                entries: events.map { event in
                    let node = event.subject.hex
                    if let i = s.events.firstIndex(of: event) {
                        return RecordedEntry(
                            index: UInt64(i), type: event.kind, node: node, duplicate: true,
                            job: event.job.hex)
                    }
                    s.events.append(event)
                    return RecordedEntry(
                        index: UInt64(s.events.count - 1), type: event.kind, node: node, duplicate: false,
                        job: event.job.hex)
                })
        }
    }

    func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry] {
        guard (try? StrictJSON.parse(body)) != nil else { throw .malformedBody("not JSON") }
        return state.withLock { s in
            s.requests.append((kind, body))
            return [
                RecordedEntry(index: UInt64(s.events.count), type: kind.rawValue, node: "", duplicate: false)
            ]
        }
    }

    func account(of node: XOnlyPublicKey, recent: Int) async throws(ValidatorError) -> NodeAccount? {
        let mine = events.filter { $0.subject == node }
        if mine.isEmpty { return nil }
        var balance: UInt64 = 0
        var offences: UInt64 = 0
        for e in mine {
            switch e {
            case .inference, .redundancy, .validation: balance += 10
            case .slash: offences += 1
            case .slaMiss: break
            }
        }
        return NodeAccount(
            node: node.hex, balance: balance, bonded: 0, unbonding: 0, jailed: false, jailedUntilMs: nil,
            scores: [:], offences: offences, recentEntries: [])
    }

    func accounts() async throws(ValidatorError) -> [NodeAccount] { [] }
    func checkpoint() async throws(ValidatorError) -> String {
        "fake.log\n\(events.count)\nAAAA\n\n— fake sig\n"
    }
    func tile(path: String) async throws(ValidatorError) -> Data {
        guard path == "0/000.p/1" else { throw .notFound("tile \(path)") }
        return Data(count: 32)
    }
    func inclusionProof(index: UInt64, size: UInt64?) async throws(ValidatorError) -> InclusionProofDocument {
        let n = UInt64(events.count)
        guard index < (size ?? n), (size ?? n) <= n else {
            throw .badParameter(name: "index", reason: "index \(index) is not below size \(size ?? n)")
        }
        return InclusionProofDocument(
            proof: InclusionProof(leafIndex: index, treeSize: size ?? n, hashes: []), leafHash: Self.zeroHash,
            root: Self.zeroHash)
    }
    func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError) -> ConsistencyProofDocument {
        guard old <= new, new <= UInt64(events.count) else {
            throw .badParameter(name: "new", reason: "beyond size")
        }
        return ConsistencyProofDocument(
            proof: ConsistencyProof(size1: old, size2: new, hashes: []), root1: Self.zeroHash,
            root2: Self.zeroHash)
    }
    /// A placeholder hash (this fake keeps no tree).
    static var zeroHash: MerkleHash {
        // 32 bytes is always a valid hash.
        (try? MerkleHash(bytes: Data(count: 32)))!
    }
    func size() async throws(ValidatorError) -> UInt64 { UInt64(events.count) }
    func balanceProof(of node: XOnlyPublicKey) async throws(ValidatorError) -> BalanceProofDocument? { nil }
    func checkpointKey() async throws(ValidatorError) -> String {
        "fake.log+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    }
    func sweepLiveness() async throws(ValidatorError) -> [RecordedEntry] { [] }
}
