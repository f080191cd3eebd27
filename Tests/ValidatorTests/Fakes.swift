import Foundation
import Karma
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

/// An in-memory karma ledger: the real karma rules (`KarmaEngine.plan`) over an in-memory state,
/// with the entries kept in a list instead of the Merkle log.
final class RecordingKarmaLedger: KarmaLedger {
    struct State {
        var karma: KarmaState
        var entries: [KarmaEntry] = []
        var keys: [Digest32: UInt64] = [:]
        var requests: [(NodeRequestKind, Data)] = []
        var clock: UInt64 = 1_700_000_000_000
    }

    let state: Mutex<State>
    let engine = try! KarmaEngine(parameters: .v2)

    /// - Parameter bonded: nodes that start with the validator bond (the settling validator).
    init(bonded: [XOnlyPublicKey] = []) {
        var s = KarmaState()
        for node in bonded {
            var a = Account()
            a.bonded = KarmaParameters.v2.minValidatorBond
            s.accounts[node] = a
            s.minted += a.bonded
        }
        state = Mutex(State(karma: s))
    }

    /// Every entry recorded, in order.
    var entries: [KarmaEntry] { state.withLock { $0.entries } }

    /// The slash entries recorded, in order.
    var slashes: [Slash] {
        entries.compactMap {
            if case .slash(let s) = $0.body { return s }
            return nil
        }
    }

    func auditMinimumPPM(nodes: [XOnlyPublicKey]) async -> UInt32 {
        state.withLock { AuditRule.minimumPPM(nodes: nodes, in: $0.karma) }
    }

    func recordedAuditDraw(job: Digest32) async -> AuditDraw? {
        state.withLock { s in
            s.entries.lazy.compactMap { entry -> AuditDraw? in
                if case .auditDraw(let draw) = entry.body, draw.jobID == job { return draw }
                return nil
            }.last
        }
    }

    func record(_ settlements: [JobSettlement]) async throws(ValidatorError) -> RecordOutcome {
        try state.withLock { (s) throws(ValidatorError) -> RecordOutcome in
            s.clock += 1
            let plan: KarmaPlan
            do { plan = try engine.plan(settlements: settlements, at: s.clock, on: s.karma) } catch {
                throw .rejectedByKarma("\(error)")
            }
            var out: [RecordedEntry] = []
            for step in plan.steps {
                let index = UInt64(s.entries.count)
                s.entries.append(step.entry)
                s.keys[LedgerKarmaBook.key(step.entry)] = index
                out.append(RecordedEntry(step.entry, index: index, duplicate: false, job: step.jobID))
            }
            var skipped: [SkippedEvent] = []
            for left in plan.left {
                if left.alreadyApplied, let index = s.keys[LedgerKarmaBook.key(left.entry)] {
                    out.append(RecordedEntry(left.entry, index: index, duplicate: true, job: left.jobID))
                } else if !left.alreadyApplied {
                    skipped.append(SkippedEvent(job: left.jobID?.hex, reason: "\(left.reason)"))
                }
            }
            s.karma = plan.state
            return RecordOutcome(entries: out, skipped: skipped)
        }
    }

    func submit(_ kind: NodeRequestKind, body: Data) async throws(ValidatorError) -> [RecordedEntry] {
        guard (try? StrictJSON.parse(body)) != nil else { throw .malformedBody("not JSON") }
        return state.withLock { s in
            s.requests.append((kind, body))
            return [
                RecordedEntry(index: UInt64(s.entries.count), type: kind.rawValue, node: "", duplicate: false)
            ]
        }
    }

    func account(of node: XOnlyPublicKey, recent: Int) async throws(ValidatorError) -> NodeAccount? {
        let (a, known, offences) = state.withLock {
            (
                $0.karma.account(node), $0.entries.contains { $0.nodes.contains(node) },
                UInt64($0.karma.offences.values.filter { $0.node == node }.count)
            )
        }
        guard known else { return nil }
        return NodeAccount(
            node: node.hex, balance: a.balance, bonded: a.bonded, unbonding: 0, jailed: a.isJailed,
            jailedUntilMs: a.jailedUntilMs, scores: [:], offences: offences, recentEntries: [])
    }

    func accounts() async throws(ValidatorError) -> [NodeAccount] { [] }
    func checkpoint() async throws(ValidatorError) -> String {
        "fake.log\n\(entries.count)\nAAAA\n\n— fake sig\n"
    }
    func tile(path: String) async throws(ValidatorError) -> Data {
        guard path == "tile/0/000.p/1" else { throw .notFound("tile \(path)") }
        return Data(count: 32)
    }
    func inclusionProof(index: UInt64, size: UInt64?) async throws(ValidatorError) -> InclusionProofDocument {
        let n = UInt64(entries.count)
        guard index < (size ?? n), (size ?? n) <= n else {
            throw .badParameter(name: "index", reason: "index \(index) is not below size \(size ?? n)")
        }
        return InclusionProofDocument(
            proof: InclusionProof(leafIndex: index, treeSize: size ?? n, hashes: []), leafHash: Self.zeroHash,
            root: Self.zeroHash)
    }
    func consistencyProof(old: UInt64, new: UInt64) async throws(ValidatorError) -> ConsistencyProofDocument {
        guard old <= new, new <= UInt64(entries.count) else {
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
    func size() async throws(ValidatorError) -> UInt64 { UInt64(entries.count) }
    func balanceProof(of node: XOnlyPublicKey) async throws(ValidatorError) -> BalanceProofDocument? { nil }
    func checkpointKey() async throws(ValidatorError) -> String {
        "fake.log+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    }
    func sweepLiveness() async throws(ValidatorError) -> [RecordedEntry] { [] }
}
