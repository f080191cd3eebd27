import Receipts

/// What a fuzz target made of one input. Rejection is a normal outcome: only a trap, an
/// AddressSanitizer report or an ``InvariantViolation`` is a bug.
public enum FuzzOutcome: Equatable, Sendable {
    /// The parser accepted the input and every invariant held.
    case accepted
    /// The parser refused the input with a typed error; `reason` is that error's text.
    case rejected(reason: String)
}

/// A property the harness checks on an accepted input that did not hold (a re-encoding that
/// differs from the input, a round trip that changes the value). The fuzzing driver turns it
/// into a crash; the regression tests report it.
public struct InvariantViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// The target that found it.
    public var target: String
    /// The property that failed, with the values involved.
    public var message: String

    public init(target: String, message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target): invariant violated: \(message)" }
}

/// One fuzz target: a parser and the invariants checked on what it accepts.
///
/// `run` must not trap on any input: it returns ``FuzzOutcome/rejected(reason:)`` for input the
/// parser refuses with its typed error, and throws ``InvariantViolation`` only when an accepted
/// input breaks a checked property.
public struct FuzzTarget: Sendable {
    /// The name used by `scripts/fuzz.sh`, `MESH_FUZZ_TARGET` and `Fixtures/fuzz/<name>/`.
    public let name: String
    /// What the target parses (one line).
    public let summary: String
    /// libFuzzer's `-max_len` for this target: larger than every seed, small enough to stay fast.
    public let maxLength: Int
    /// Feeds one input to the parser and checks the invariants.
    public let run: @Sendable ([UInt8]) throws(InvariantViolation) -> FuzzOutcome

    public init(
        name: String, summary: String, maxLength: Int,
        run: @escaping @Sendable ([UInt8]) throws(InvariantViolation) -> FuzzOutcome
    ) {
        self.name = name
        self.summary = summary
        self.maxLength = maxLength
        self.run = run
    }
}

/// Every fuzz target, one per parser of untrusted bytes (issue 13, item 4).
public enum FuzzTargets {
    /// The targets in the order `scripts/fuzz.sh all` runs them.
    public static let all: [FuzzTarget] = [
        FuzzTarget(
            name: "json", summary: "StrictJSON.parse, then JSONOutput round trip", maxLength: 4096,
            run: ReceiptsTargets.json),
        FuzzTarget(
            name: "receipts",
            summary: "Receipt / SignedReceipt JSON and Receipt canonical bytes, with round trips",
            maxLength: 2048, run: ReceiptsTargets.receipts),
        FuzzTarget(
            name: "tensor", summary: "CanonicalTensor(decoding:) (.mvt), re-encoding must equal the input",
            maxLength: 4096, run: ModelsTargets.tensor),
        FuzzTarget(
            name: "gguf", summary: "GGUFFile(data:), metadata accessors, raw data and dequantization",
            maxLength: 32768, run: ModelsTargets.gguf),
        FuzzTarget(
            name: "safetensors", summary: "SafetensorsFile(data:) and floats(_:) of every tensor",
            maxLength: 4096, run: ModelsTargets.safetensors),
        FuzzTarget(
            name: "proof",
            summary: "ProofFormat decoding and LayerProof.verify against the dense-16x8-test statement",
            maxLength: 2048, run: ProofTarget.proof),
        FuzzTarget(
            name: "ledger-proof",
            summary: "inclusion and consistency proof JSON (ledger verify-inclusion / verify-consistency)",
            maxLength: 8192, run: LedgerTargets.ledgerProof),
        FuzzTarget(
            name: "checkpoint",
            summary: "C2SP signed notes, checkpoint bodies and verifier keys, with round trips",
            maxLength: 4096, run: LedgerTargets.checkpoint),
        FuzzTarget(
            name: "groth16",
            summary:
                "snarkjs verification key, proof and public-input JSON; proofs verified (specs/groth16.md)",
            maxLength: 8192, run: Groth16Targets.snarkjs),
        FuzzTarget(
            name: "circom",
            summary: "circom .r1cs and .wtns readers, with writer round trips (specs/groth16.md §12)",
            maxLength: 8192, run: Groth16FileTargets.circom),
        FuzzTarget(
            name: "ptau", summary: "prepared powers-of-tau reader (specs/groth16.md §12)", maxLength: 16384,
            run: Groth16FileTargets.ptau),
        FuzzTarget(
            name: "proving-key",
            summary: "MVZK proving-key file reader, re-serialization equal (specs/groth16.md §9.4)",
            maxLength: 16384, run: Groth16FileTargets.provingKey),
        FuzzTarget(
            name: "vrf", summary: "ECVRF proof decoding and verification (specs/vrf.md), no malleable s",
            maxLength: 1024, run: KarmaTargets.vrf),
        FuzzTarget(
            name: "karma-entry",
            summary: "ledger entries, canonical bytes and JSON, with round trips (specs/karma.md §4)",
            maxLength: 8192, run: KarmaTargets.entry),
        FuzzTarget(
            name: "node-request",
            summary: "signed heartbeat, chunk receipt and staking request JSON (specs/karma.md §2)",
            maxLength: 4096, run: KarmaTargets.nodeRequest),
    ]

    /// The target called `name`, if any.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Throws an ``InvariantViolation`` for `target` unless `condition` holds.
func require(
    _ condition: Bool, _ target: String, _ message: @autoclosure () -> String
) throws(InvariantViolation) {
    guard condition else { throw InvariantViolation(target: target, message: message()) }
}

/// The first `count` bytes of `bytes` as lowercase hex, for messages.
func hexPrefix(_ bytes: [UInt8], _ count: Int = 48) -> String {
    Hex.encode(bytes.prefix(count)) + (bytes.count > count ? "…" : "")
}
