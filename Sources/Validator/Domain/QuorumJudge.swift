/// The pure 2-of-3 settlement rule (specs/service.md §4): given who was assigned, what each node
/// claimed and the validator's own answer, decide each node's outcome.
///
/// Generic over the node and output types so the rule is tested on plain values; the service uses
/// `XOnlyPublicKey` and `Digest32`. No I/O, no clock, deterministic: the same inputs always give
/// the same `Judgement`.
public enum QuorumJudge<Node: Hashable & Sendable, Output: Hashable & Sendable> {
    /// What one node claimed for the job, in arrival order.
    public struct Claim: Sendable, Equatable {
        /// The distinct output commitments this node signed for the job, first one first.
        /// Two or more means equivocation.
        public var outputs: [Output]
        /// `true` when this node attached a proof that failed verification.
        public var invalidProof: Bool

        public init(outputs: [Output], invalidProof: Bool = false) {
            self.outputs = outputs
            self.invalidProof = invalidProof
        }
    }

    /// The judged outcome for one assigned node.
    public enum Outcome: Sendable, Equatable {
        /// The node's only output equals the truth: it earns inference (and, in a quorum,
        /// redundancy) karma.
        case agreed
        /// The node signed an output that differs from the truth: slashed for wrong output.
        case wrongOutput(claimed: Output)
        /// The node signed two or more different outputs for the job: slashed for equivocation.
        case equivocated(outputs: [Output])
        /// The node attached a proof that does not verify: slashed for an invalid proof.
        case invalidProof
        /// No receipt arrived before settlement: an SLA miss, no slash.
        case absent
        /// The truth could not be established (no input tensor, model unavailable): neither
        /// credited nor slashed.
        case unjudged

        /// `true` for the outcomes that are offences (slashes).
        public var isOffence: Bool {
            switch self {
            case .wrongOutput, .equivocated, .invalidProof: true
            case .agreed, .absent, .unjudged: false
            }
        }
    }

    /// The result of judging one job.
    public struct Judgement: Sendable, Equatable {
        /// One outcome per assigned node, in assignment order.
        public var outcomes: [(node: Node, outcome: Outcome)]
        /// The output that two or more non-equivocating nodes agreed on, if any.
        public var majority: Output?
        /// `true` when a majority exists and differs from the truth (a colluding or correlated
        /// majority). What that costs is the karma rules' decision (specs/karma.md §6.6).
        public var majorityOverruled: Bool

        /// Nodes whose outcome is an offence, in assignment order.
        public var offenders: [Node] { outcomes.filter { $0.outcome.isOffence }.map(\.node) }
        /// Nodes that agreed with the truth, in assignment order.
        public var agreeing: [Node] { outcomes.filter { $0.outcome == .agreed }.map(\.node) }
        /// `true` when every submitted claim matched the truth and there was no offence.
        public var isClean: Bool { outcomes.allSatisfy { $0.outcome == .agreed || $0.outcome == .absent } }

        public static func == (lhs: Judgement, rhs: Judgement) -> Bool {
            lhs.outcomes.count == rhs.outcomes.count
                && zip(lhs.outcomes, rhs.outcomes).allSatisfy {
                    $0.node == $1.node && $0.outcome == $1.outcome
                }
                && lhs.majority == rhs.majority && lhs.majorityOverruled == rhs.majorityOverruled
        }
    }

    /// Judges one job.
    ///
    /// Rules, applied per assigned node in order (specs/service.md §4.2):
    /// 1. no claim → `.absent`;
    /// 2. two or more distinct outputs → `.equivocated` (its outputs are not counted for the majority);
    /// 3. an attached proof that failed → `.invalidProof`;
    /// 4. `truth == nil` → `.unjudged`;
    /// 5. output == truth → `.agreed`, otherwise `.wrongOutput`.
    ///
    /// - Parameters:
    ///   - assigned: the job's assigned nodes, in announcement order (duplicates are ignored).
    ///   - claims: what each node claimed; claims from nodes not in `assigned` are ignored.
    ///   - truth: the validator's own output (re-execution or a verified proof), or `nil` when it
    ///     could not be established.
    public static func judge(assigned: [Node], claims: [Node: Claim], truth: Output?) -> Judgement {
        var seen = Set<Node>()
        var outcomes: [(node: Node, outcome: Outcome)] = []
        var votes: [Output: Int] = [:]
        for node in assigned where seen.insert(node).inserted {
            guard let claim = claims[node], let first = claim.outputs.first else {
                outcomes.append((node, .absent))
                continue
            }
            if Set(claim.outputs).count > 1 {
                outcomes.append((node, .equivocated(outputs: claim.outputs)))
                continue
            }
            votes[first, default: 0] += 1
            if claim.invalidProof {
                outcomes.append((node, .invalidProof))
            } else if let truth {
                outcomes.append((node, first == truth ? .agreed : .wrongOutput(claimed: first)))
            } else {
                outcomes.append((node, .unjudged))
            }
        }
        // With at most three assigned nodes at most one output can have two or more votes; for
        // larger quorums pick the largest count (ties: none).
        let ranked = votes.filter { $0.value >= 2 }.sorted { $0.value > $1.value }
        var majority: Output? = ranked.first?.key
        if ranked.count > 1, ranked[0].value == ranked[1].value { majority = nil }
        let overruled = majority != nil && truth != nil && majority != truth
        return Judgement(outcomes: outcomes, majority: majority, majorityOverruled: overruled)
    }
}
