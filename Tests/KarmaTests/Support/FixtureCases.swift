import Foundation
import Karma
import Receipts

/// One generated fixture case: the pre-state, the events and the hand-derived expectations.
///
/// `expect` values are worked out by hand from specs/karma.md and the v1 parameters (the
/// arithmetic is in `desc`), never copied from the engine's output; the generator refuses to write a
/// case whose engine result disagrees with them.
struct GeneratedCase {
    var suite: String
    var name: String
    var desc: String
    var pre: KarmaState
    var events: [KarmaEntry]
    var expect: [String: String] = [:]
    var wantError: String?
    /// Rewrites the last JSON line (to build malformed-entry cases).
    var editLastLine: (@Sendable (String) -> String)?
}

/// The karma fixture suite (Fixtures/karma/<suite>/<case>). v1 parameters: inference 1000 µK/MMAC,
/// redundancy 250 µK/MMAC, validation 500 µK/MMAC, proof 20000 µK, seeding 2000 µK/MiB, uptime
/// 10000 µK/window of 600000 ms (3 heartbeats), downtime 36 windows → 10 bps + 1 h jail,
/// equivocation 500 bps + 7 d jail, wrong output and invalid proof 1000 bps + 1 d jail, correlation
/// 1000 bps per other slashed member (cap 5000), unbonding 14 d, validator bond 10,000 karma.
enum FixtureCases {
    static let engine = try! KarmaEngine(parameters: .v2)
    static let t0 = Build.t0
    static let (alice, bob, carol, dave, erin) = (
        TestKeys.alice, TestKeys.bob, TestKeys.carol, TestKeys.dave, TestKeys.erin
    )
    static let job1 = Build.digest(0x11)
    static let job2 = Build.digest(0x22)
    static let outA = Build.digest(0xA1)
    static let outB = Build.digest(0xB2)
    static let outC = Build.digest(0xC3)
    static let proof = Build.digest(0x9F)

    /// The offence id a slash entry would record, given the state before it.
    static func offenceID(_ state: KarmaState, _ entry: KarmaEntry) -> Digest32 {
        guard case .slash(let s) = entry.body,
            let x = try? engine.assess(
                node: s.node, offence: s.offence, timestampMs: entry.timestampMs, in: state)
        else { return Digest32.zero }
        return x.offenceID
    }

    static var all: [GeneratedCase] {
        genesis + inference + redundancy + validation + seeding + model + uptime + staking + slashing
            + correlation + downtime + ordering + audit
    }

    // MARK: audit draws (§5.8)
    static var audit: [GeneratedCase] {
        let quorum = [alice, bob, carol]
        // A quorum that has earned 2 karma of inference each: seasoned, so the 5% floor applies.
        func seasoned(offender: SchnorrSigningKey? = nil) -> KarmaState {
            var s = Build.genesis(quorum.map { ($0, Build.account(balance: 2_000_000)) })
            for k in quorum { s.accounts[k.publicKey]?.scores.inference = 2_000_000 }
            if let offender {
                s.recordOffence(
                    Build.digest(0x0F),
                    OffenceRecord(node: offender.publicKey, kind: .wrongOutput, jobID: job2))
            }
            return s
        }
        return [
            GeneratedCase(
                suite: "audit", name: "new_nodes_at_a_quarter",
                desc:
                    "erin's ECVRF draw over job 0x11 and the receipts 0x21, 0x22, 0x23 of alice, bob, carol (new: no inference earned) at 250,000 ppm, the rules' minimum for them; accepted, no account changes.",
                pre: KarmaState(), events: [Build.auditDraw(erin, nodes: quorum)], expect: ["minted": "0"]),
            GeneratedCase(
                suite: "audit", name: "seasoned_quorum_at_the_floor",
                desc:
                    "The same draw at 50,000 ppm (5%) for a quorum that has each earned 2,000,000 µK of inference.",
                pre: seasoned(), events: [Build.auditDraw(erin, nodes: quorum, ppm: AuditRule.floorPPM)],
                expect: ["alice.balance": "2000000"]),
            GeneratedCase(
                suite: "audit", name: "certain_audit",
                desc: "At 1,000,000 ppm every draw audits: the entry must say audited = true.",
                pre: KarmaState(), events: [Build.auditDraw(erin, nodes: quorum, ppm: AuditDraw.certain)]),
            GeneratedCase(
                suite: "audit", name: "invalid_flag_disagrees_with_the_draw",
                desc:
                    "The entry claims the opposite of what its VRF output draws (a validator skipping or picking an audit).",
                pre: KarmaState(), events: [Build.auditDraw(erin, nodes: quorum, flip: true)],
                wantError: "invalidAuditDraw"),
            GeneratedCase(
                suite: "audit", name: "invalid_new_nodes_at_the_floor",
                desc: "5% is below the 25% minimum for a quorum of new nodes.",
                pre: KarmaState(), events: [Build.auditDraw(erin, nodes: quorum, ppm: AuditRule.floorPPM)],
                wantError: "invalidAuditDraw"),
            GeneratedCase(
                suite: "audit", name: "invalid_offender_at_a_quarter",
                desc: "bob has an offence record: the minimum is 50%, so 25% is refused.",
                pre: seasoned(offender: bob),
                events: [Build.auditDraw(erin, nodes: quorum, ppm: AuditRule.newNodePPM)],
                wantError: "invalidAuditDraw"),
            GeneratedCase(
                suite: "audit", name: "invalid_second_draw_for_the_job",
                desc: "One draw per job: claim (0x0F, jobID).",
                pre: KarmaState(),
                events: [Build.auditDraw(erin, nodes: quorum), Build.auditDraw(erin, nodes: quorum)],
                wantError: "duplicateClaim"),
        ]
    }

    // MARK: genesis
    static var genesis: [GeneratedCase] {
        let allocations: [(SchnorrSigningKey, UInt64, UInt64)] = [
            (alice, 1_000_000, 0), (erin, 0, 10_000_000_000),
        ]
        return [
            GeneratedCase(
                suite: "genesis", name: "allocations_then_validation",
                desc:
                    "Genesis gives alice 1 karma liquid and erin the 10,000 karma validator bond (liveness from window 3,000,000); erin can then earn 40,000,000 MACs · 500 µK/10^6 = 20,000 µK for a validation.",
                pre: KarmaState(), events: [Build.genesisEntry(allocations), Build.validation(erin)],
                expect: [
                    "alice.balance": "1000000", "erin.bonded": "10000000000", "erin.balance": "20000",
                    "erin.nextLivenessWindow": "3000000", "minted": "10001020000",
                    "alice.score.inference": "0",
                ]),
            GeneratedCase(
                suite: "genesis", name: "after_parameters_and_model",
                desc:
                    "A ledger records its rules first: a `parameters` entry (the v2 parameters) and a `model` entry may precede genesis, which is valid while no karma exists.",
                pre: KarmaState(),
                events: [
                    KarmaEntry(timestampMs: t0, body: .parameters(.v2)), Build.modelEntry(),
                    Build.genesisEntry(allocations),
                ],
                expect: ["alice.balance": "1000000", "erin.bonded": "10000000000", "models": "1"]),
            GeneratedCase(
                suite: "genesis", name: "invalid_not_first",
                desc: "Genesis is only valid on the empty state, as the ledger's first entry.",
                pre: KarmaState(), events: [Build.inference(alice), Build.genesisEntry(allocations)],
                wantError: "genesisNotFirst"),
            GeneratedCase(
                suite: "genesis", name: "invalid_unsorted",
                desc: "Allocations must be sorted by key bytes (erin 2f8b… before alice 79be…).",
                pre: KarmaState(), events: [Build.genesisEntry(allocations, sorted: false)],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "genesis", name: "invalid_duplicate_node",
                desc: "A node may appear once.",
                pre: KarmaState(),
                events: [Build.genesisEntry([(alice, 1, 0), (alice, 2, 0)], sorted: false)],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "genesis", name: "invalid_overflow",
                desc: "Allocations summing past 2^64−1 µK overflow total minted.",
                pre: KarmaState(), events: [Build.genesisEntry([(alice, UInt64.max, 0), (erin, 1, 0)])],
                wantError: "overflow"),
        ]
    }

    // MARK: inference
    static var inference: [GeneratedCase] {
        let empty = KarmaState()
        return [
            GeneratedCase(
                suite: "inference", name: "on_time",
                desc:
                    "50,000,000 MACs at 1000 µK per 10^6 MACs = 50,000 µK; latency 800 ms ≤ SLA 1000 ms pays in full, to escrow (alice holds no node bond).",
                pre: empty, events: [Build.inference(alice)],
                expect: [
                    "alice.escrow": "50000", "alice.score.inference": "50000", "minted": "50000",
                    "claims": "1",
                ]),
            GeneratedCase(
                suite: "inference", name: "bonded_node_paid_to_balance",
                desc:
                    "alice holds the node bond (100 karma): 50,000 µK go to her balance (the other cases pay unbonded nodes, whose accruals go to escrow, §5.0).",
                pre: Build.genesis([
                    (alice, Build.account(bonded: 100_000_000, nextLivenessWindow: 3_000_000))
                ]),
                events: [Build.inference(alice)],
                expect: ["alice.balance": "50000", "alice.escrow": "0", "minted": "100050000"]),
            GeneratedCase(
                suite: "inference", name: "late_quarter",
                desc: "Base 50,000 µK; 250 ms late on a 1000 ms SLA pays floor(50000·750/1000) = 37,500 µK.",
                pre: empty, events: [Build.inference(alice, latencyMs: 1_250)],
                expect: ["alice.escrow": "37500", "alice.score.inference": "37500", "minted": "37500"]),
            GeneratedCase(
                suite: "inference", name: "rounding_down_twice",
                desc:
                    "1,234,567 MACs: base floor(1234567·1000/10^6) = 1234; 700 ms late: floor(1234·300/1000) = floor(370.2) = 370 µK.",
                pre: empty, events: [Build.inference(alice, macs: 1_234_567, latencyMs: 1_700)],
                expect: ["alice.escrow": "370", "minted": "370"]),
            GeneratedCase(
                suite: "inference", name: "late_double_sla_pays_zero",
                desc:
                    "Latency 2000 ms = 2·SLA: late by a full SLA pays 0; the claim is still used (claims 1) and the empty account is omitted.",
                pre: empty, events: [Build.inference(alice, latencyMs: 2_000)],
                expect: ["alice.escrow": "0", "minted": "0", "claims": "1"]),
            GeneratedCase(
                suite: "inference", name: "two_shards_same_job",
                desc: "Layers [0,8) and [8,16) of one job are separate claims: 2 × 50,000 = 100,000 µK.",
                pre: empty,
                events: [Build.inference(alice, layers: 0..<8), Build.inference(alice, layers: 8..<16)],
                expect: ["alice.escrow": "100000", "claims": "2"]),
            GeneratedCase(
                suite: "inference", name: "max_macs_exact",
                desc:
                    "macs = 2^64−1: the 128-bit product gives floor((2^64−1)·1000/10^6) = 18446744073709551 µK exactly, no overflow.",
                pre: empty, events: [Build.inference(alice, macs: .max)],
                expect: ["alice.escrow": "18446744073709551", "minted": "18446744073709551"]),
            GeneratedCase(
                suite: "inference", name: "invalid_duplicate",
                desc: "The same accrual twice: the second is a replay of claim (alice, job, [0,8)).",
                pre: empty, events: [Build.inference(alice), Build.inference(alice)],
                expect: ["alice.escrow": "50000"], wantError: "duplicateClaim"),
            GeneratedCase(
                suite: "inference", name: "invalid_duplicate_other_figures",
                desc: "Same node, job and layers with different MACs and latency: still one claim, refused.",
                pre: empty,
                events: [Build.inference(alice), Build.inference(alice, macs: 99_000_000, latencyMs: 10)],
                wantError: "duplicateClaim"),
            GeneratedCase(
                suite: "inference", name: "invalid_jailed_node",
                desc: "A jailed node earns nothing until it unjails.",
                pre: Build.genesis([(alice, Build.account(bonded: 1_000_000, jailedUntilMs: t0 + 1))]),
                events: [Build.inference(alice)], wantError: "nodeJailed"),
            GeneratedCase(
                suite: "inference", name: "invalid_zero_sla",
                desc: "slaMs must be positive (the latency formula divides by it).",
                pre: empty, events: [Build.inference(alice, slaMs: 0)], wantError: "invalidField"),
            GeneratedCase(
                suite: "inference", name: "invalid_empty_layer_range",
                desc: "Layer range [4,4) is empty.",
                pre: empty, events: [Build.inference(alice, layers: 4..<4)], wantError: "invalidField"),
            GeneratedCase(
                suite: "inference", name: "invalid_balance_overflow",
                desc:
                    "alice holds 2^64−1−49,999 µK; 50,000 more would exceed 2^64−1: overflow is an error, never a wrap.",
                pre: Build.genesis([(alice, Build.account(balance: UInt64.max - 49_999))]),
                events: [Build.inference(alice)], wantError: "overflow"),
            GeneratedCase(
                suite: "inference", name: "invalid_minted_overflow",
                desc:
                    "bob holds 2^64−1−10 µK so minted is 2^64−1−10; crediting alice 50,000 µK overflows total minted.",
                pre: Build.genesis([(bob, Build.account(balance: UInt64.max - 10))]),
                events: [Build.inference(alice)], wantError: "overflow"),
        ]
    }

    // MARK: redundancy
    static var redundancy: [GeneratedCase] {
        [
            GeneratedCase(
                suite: "redundancy", name: "bonus",
                desc: "40,000,000 MACs at 250 µK per 10^6 = 10,000 µK, scored as redundancy.",
                pre: KarmaState(), events: [Build.redundancy(bob)],
                expect: ["bob.escrow": "10000", "bob.score.redundancy": "10000", "bob.score.inference": "0"]),
            GeneratedCase(
                suite: "redundancy", name: "with_inference_same_job",
                desc:
                    "Inference and redundancy for the same job and layers are different claims: 50,000 + 10,000.",
                pre: KarmaState(), events: [Build.inference(bob), Build.redundancy(bob)],
                expect: ["bob.escrow": "60000", "claims": "2"]),
            GeneratedCase(
                suite: "redundancy", name: "invalid_duplicate",
                desc: "A second bonus for the same (node, job, layers).",
                pre: KarmaState(), events: [Build.redundancy(bob), Build.redundancy(bob, macs: 1)],
                wantError: "duplicateClaim"),
        ]
    }

    // MARK: validation
    static var validation: [GeneratedCase] {
        let bonded = Build.genesis([(erin, Build.account(bonded: 10_000_000_000))])
        return [
            GeneratedCase(
                suite: "validation", name: "reexecution",
                desc:
                    "erin has exactly the 10,000 karma minimum bond; 40,000,000 MACs re-executed at 500 µK/10^6 = 20,000 µK.",
                pre: bonded, events: [Build.validation(erin)],
                expect: ["erin.balance": "20000", "erin.score.validation": "20000", "minted": "10000020000"]),
            GeneratedCase(
                suite: "validation", name: "proof_flat_reward",
                desc: "A proof verification pays the flat 20,000 µK whatever the MACs field says.",
                pre: bonded, events: [Build.validation(erin, method: .proof, macs: 1)],
                expect: ["erin.balance": "20000"]),
            GeneratedCase(
                suite: "validation", name: "invalid_bond_below_minimum",
                desc: "9,999.999999 karma bonded is 1 µK short of the validator minimum.",
                pre: Build.genesis([(erin, Build.account(bonded: 9_999_999_999))]),
                events: [Build.validation(erin)], wantError: "notEligibleValidator"),
            GeneratedCase(
                suite: "validation", name: "invalid_jailed_validator",
                desc: "A jailed validator is not eligible, whatever its bond.",
                pre: Build.genesis([(erin, Build.account(bonded: 20_000_000_000, jailedUntilMs: t0))]),
                events: [Build.validation(erin)], wantError: "nodeJailed"),
            GeneratedCase(
                suite: "validation", name: "invalid_duplicate",
                desc: "One validation claim per (validator, job, method).",
                pre: bonded, events: [Build.validation(erin), Build.validation(erin)],
                wantError: "duplicateClaim"),
        ]
    }

    // MARK: seeding
    /// dave and bob hold the node bond (100 karma) and the fixtures' model is registered: the
    /// state a seeding receipt is judged against (specs/karma.md §5.4).
    static var seedingPre: KarmaState {
        let bonded = Build.account(bonded: KarmaParameters.v2.minNodeBond, nextLivenessWindow: 3_000_000)
        return Build.genesis([(dave, bonded), (bob, bonded)], withModel: true)
    }

    static var seeding: [GeneratedCase] {
        let c0 = Build.chunk(seeder: alice, downloader: dave, index: 0)
        let c1 = Build.chunk(seeder: alice, downloader: dave, index: 1)
        let pre = seedingPre
        return [
            GeneratedCase(
                suite: "seeding", name: "two_chunks",
                desc:
                    "dave (bonded) signs receipts for chunks 0 and 1 (4 MiB each, proofs against the registered root) that alice served: 8 MiB × 2000 µK/MiB = 16,000 µK, to alice's escrow since alice holds no node bond.",
                pre: pre, events: [Build.seeding(alice, [c0, c1])],
                expect: [
                    "alice.escrow": "16000", "alice.balance": "0", "alice.score.seeding": "16000",
                    "dave.balance": "0", "claims": "2", "minted": "200016000",
                ]),
            GeneratedCase(
                suite: "seeding", name: "rounding_down",
                desc:
                    "The model's last chunk (index 9) is 1,000,000 bytes: floor(1000000·2000/1048576) = floor(1907.35) = 1907 µK.",
                pre: pre,
                events: [Build.seeding(alice, [Build.chunk(seeder: alice, downloader: dave, index: 9)])],
                expect: ["alice.escrow": "1907"]),
            GeneratedCase(
                suite: "seeding", name: "same_chunk_two_downloaders",
                desc: "Chunk 0 served to dave and to bob: two claims, 8 MiB → 16,000 µK.",
                pre: pre,
                events: [Build.seeding(alice, [c0, Build.chunk(seeder: alice, downloader: bob, index: 0)])],
                expect: ["alice.escrow": "16000", "claims": "2"]),
            GeneratedCase(
                suite: "seeding", name: "bonded_seeder_paid_to_balance",
                desc:
                    "A seeder holding the node bond is paid to its balance: 4 MiB → 8,000 µK; dave's allowance for window 3,000,000 counts 4,194,304 bytes.",
                pre: pre,
                events: [Build.seeding(bob, [Build.chunk(seeder: bob, downloader: dave, index: 3)])],
                expect: ["bob.balance": "8000", "bob.escrow": "0", "minted": "200008000"]),
            GeneratedCase(
                suite: "seeding", name: "invalid_bad_signature",
                desc: "A receipt naming dave as downloader but signed by alice (the seeder) is refused.",
                pre: pre,
                events: [
                    Build.seeding(
                        alice, [Build.chunk(seeder: alice, downloader: dave, index: 0, signer: alice)])
                ],
                wantError: "invalidSignature"),
            GeneratedCase(
                suite: "seeding", name: "invalid_self_download",
                desc: "A node cannot earn seeding karma for chunks it 'served' to itself.",
                pre: pre,
                events: [Build.seeding(dave, [Build.chunk(seeder: dave, downloader: dave, index: 0)])],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "seeding", name: "invalid_seeder_mismatch",
                desc: "bob claims a receipt that names alice as the seeder.",
                pre: pre, events: [Build.seeding(bob, [c0])], wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "seeding", name: "invalid_replayed_chunk",
                desc:
                    "The same (downloader, model, chunk) in a later entry, even re-signed with a new time and paid to another seeder: a downloader pays for a chunk once.",
                pre: pre,
                events: [
                    Build.seeding(alice, [c0]),
                    Build.seeding(
                        erin, [Build.chunk(seeder: erin, downloader: dave, index: 0, servedAtMs: t0)]),
                ],
                expect: ["alice.escrow": "8000"], wantError: "duplicateClaim"),
            GeneratedCase(
                suite: "seeding", name: "invalid_duplicate_in_entry",
                desc: "The same chunk twice in one entry.",
                pre: pre, events: [Build.seeding(alice, [c0, c0])], wantError: "duplicateClaim"),
            GeneratedCase(
                suite: "seeding", name: "invalid_served_after_entry",
                desc: "A receipt dated after the entry's ledger time.",
                pre: pre,
                events: [
                    Build.seeding(
                        alice, [Build.chunk(seeder: alice, downloader: dave, index: 0, servedAtMs: t0 + 1)])
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "seeding", name: "invalid_empty",
                desc: "A seeding entry with no receipts.",
                pre: pre, events: [Build.seeding(alice, [])], wantError: "invalidField"),
            // The attacks of issue 12: seeding from nothing mints nothing.
            GeneratedCase(
                suite: "seeding", name: "invalid_unknown_model",
                desc: "A receipt for a model no `model` entry registered (the validator does not hold it).",
                pre: Build.genesis(
                    [
                        (
                            dave,
                            Build.account(
                                bonded: KarmaParameters.v2.minNodeBond, nextLivenessWindow: 3_000_000)
                        )
                    ]),
                events: [Build.seeding(alice, [c0])], wantError: "unknownModel"),
            GeneratedCase(
                suite: "seeding", name: "invalid_chunk_index_past_end",
                desc: "Chunk index 999 of a 10-chunk model.",
                pre: pre,
                events: [Build.seeding(alice, [Build.chunk(seeder: alice, downloader: dave, index: 999)])],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "seeding", name: "invalid_bytes_inflated",
                desc:
                    "chunkBytes claimed as 16 MiB for a 4 MiB chunk: the byte count must be the manifest's.",
                pre: pre,
                events: [
                    Build.seeding(
                        alice, [Build.chunk(seeder: alice, downloader: dave, index: 0, bytes: 16_777_216)])
                ],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "seeding", name: "invalid_random_chunk_hash",
                desc:
                    "A chunk hash that is not the model's chunk 0: the chunk proof does not lead to the registered root.",
                pre: pre,
                events: [
                    Build.seeding(
                        alice,
                        [Build.chunk(seeder: alice, downloader: dave, index: 0, hash: Build.digest(0xEE))])
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "seeding", name: "invalid_unbonded_downloader",
                desc: "erin holds no node bond: a throwaway downloader key cannot attest chunks.",
                pre: pre,
                events: [Build.seeding(alice, [Build.chunk(seeder: alice, downloader: erin, index: 0)])],
                wantError: "insufficientBond"),
            GeneratedCase(
                suite: "seeding", name: "invalid_over_window_cap",
                desc:
                    "dave already attested 252 MiB in window 3,000,000; 4 MiB more would pass the 256 MiB (268,435,456-byte) cap per downloader per window.",
                pre: {
                    var s = pre
                    s.accounts[dave.publicKey]!.seeding = SeedingAllowance(
                        window: 3_000_000, bytes: 268_435_456 - 4_194_303)
                    return s
                }(),
                events: [Build.seeding(alice, [c0])], wantError: "seedingCapExceeded"),
            GeneratedCase(
                suite: "seeding", name: "cap_resets_next_window",
                desc:
                    "The same full allowance dated window 2,999,999 does not count in window 3,000,000: chunk 0 is paid (8,000 µK) and the allowance restarts at 4,194,304 bytes.",
                pre: {
                    var s = pre
                    s.accounts[dave.publicKey]!.seeding = SeedingAllowance(
                        window: 2_999_999, bytes: 268_435_456)
                    return s
                }(),
                events: [Build.seeding(alice, [c0])], expect: ["alice.escrow": "8000"]),
        ]
    }

    // MARK: model
    static var model: [GeneratedCase] {
        [
            GeneratedCase(
                suite: "model", name: "register_then_seed",
                desc:
                    "A `model` entry registers the package (10 chunks of 4 MiB, the last 1,000,000 bytes); a receipt for its chunk 2 then pays alice 8,000 µK (escrow).",
                pre: Build.genesis(
                    [
                        (
                            dave,
                            Build.account(
                                bonded: KarmaParameters.v2.minNodeBond, nextLivenessWindow: 3_000_000)
                        )
                    ]),
                events: [
                    Build.modelEntry(),
                    Build.seeding(alice, [Build.chunk(seeder: alice, downloader: dave, index: 2)]),
                ],
                expect: ["alice.escrow": "8000", "models": "1"]),
            GeneratedCase(
                suite: "model", name: "invalid_registered_twice",
                desc: "A model id is registered once.",
                pre: KarmaState(), events: [Build.modelEntry(), Build.modelEntry()],
                wantError: "modelAlreadyRegistered"),
        ]
    }

    // MARK: uptime
    static var uptime: [GeneratedCase] {
        let w: UInt64 = 3_000_000  // t0 / 600000
        let close = t0 + 600_000
        let beats = [
            Build.heartbeat(carol, at: t0 + 1_000, sequence: 1),
            Build.heartbeat(carol, at: t0 + 200_000, sequence: 2),
            Build.heartbeat(carol, at: t0 + 400_000, sequence: 3),
        ]
        // carol holds the node bond since window w (uptime is paid to bonded nodes only, §5.5).
        let bondedCarol = Build.genesis(
            [(carol, Build.account(bonded: KarmaParameters.v2.minNodeBond, nextLivenessWindow: w))])
        return [
            GeneratedCase(
                suite: "uptime", name: "window_credit",
                desc:
                    "Window 3,000,000 = [t0, t0+600000) holds 3 heartbeats (the minimum); credited at its close: 10,000 µK, next open window 3,000,001.",
                pre: bondedCarol, events: [Build.uptime(carol, window: w, beats: beats, at: close)],
                expect: [
                    "carol.balance": "10000", "carol.score.uptime": "10000",
                    "carol.nextLivenessWindow": "3000001",
                ]),
            GeneratedCase(
                suite: "uptime", name: "two_windows",
                desc: "Windows w and w+1 each with 3 heartbeats: 20,000 µK.",
                pre: bondedCarol,
                events: [
                    Build.uptime(carol, window: w, beats: beats, at: close),
                    Build.uptime(
                        carol, window: w + 1,
                        beats: [
                            Build.heartbeat(carol, at: close, sequence: 4),
                            Build.heartbeat(carol, at: close + 1, sequence: 5),
                            Build.heartbeat(carol, at: close + 599_999, sequence: 6),
                        ], at: close + 600_000),
                ],
                expect: ["carol.balance": "20000", "carol.nextLivenessWindow": "3000002"]),
            GeneratedCase(
                suite: "uptime", name: "invalid_too_few_heartbeats",
                desc: "Two heartbeats are below the minimum of three.",
                pre: bondedCarol,
                events: [Build.uptime(carol, window: w, beats: Array(beats.prefix(2)), at: close)],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "uptime", name: "invalid_window_not_closed",
                desc: "The window closes at t0+600000; an entry at t0+599999 is early.",
                pre: bondedCarol, events: [Build.uptime(carol, window: w, beats: beats, at: close - 1)],
                wantError: "windowNotClosed"),
            GeneratedCase(
                suite: "uptime", name: "invalid_window_replayed",
                desc: "A window can be credited once: the second entry is for a window already judged.",
                pre: bondedCarol,
                events: [
                    Build.uptime(carol, window: w, beats: beats, at: close),
                    Build.uptime(carol, window: w, beats: beats, at: close),
                ],
                expect: ["carol.balance": "10000"], wantError: "windowAlreadyJudged"),
            GeneratedCase(
                suite: "uptime", name: "invalid_heartbeat_outside_window",
                desc: "A heartbeat at t0+600000 belongs to window 3,000,001, not 3,000,000.",
                pre: bondedCarol,
                events: [
                    Build.uptime(
                        carol, window: w, beats: beats + [Build.heartbeat(carol, at: close, sequence: 4)],
                        at: close)
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "uptime", name: "invalid_heartbeat_bad_signature",
                desc: "The third heartbeat is signed by bob.",
                pre: bondedCarol,
                events: [
                    Build.uptime(
                        carol, window: w,
                        beats: Array(beats.prefix(2)) + [
                            Build.heartbeat(carol, at: t0 + 400_000, sequence: 3, signer: bob)
                        ], at: close)
                ],
                wantError: "invalidSignature"),
            GeneratedCase(
                suite: "uptime", name: "invalid_heartbeats_out_of_order",
                desc: "Heartbeat timestamps must strictly increase (no counting one heartbeat twice).",
                pre: bondedCarol,
                events: [Build.uptime(carol, window: w, beats: [beats[0], beats[0], beats[1]], at: close)],
                wantError: "invalidEvidence"),
            // The attacks of issue 12: uptime from the past, uptime with nothing at risk.
            GeneratedCase(
                suite: "uptime", name: "invalid_unbonded_node",
                desc:
                    "A fresh key with no bond cannot be paid uptime: it has nothing a downtime slash could take (needs minNodeBond = 100 karma bonded).",
                pre: KarmaState(), events: [Build.uptime(carol, window: w, beats: beats, at: close)],
                wantError: "insufficientBond"),
            GeneratedCase(
                suite: "uptime", name: "invalid_window_before_bond",
                desc:
                    "carol bonded in window 3,000,000; back-dated heartbeats for window 2,999,000 (before the bond) are a window already judged.",
                pre: bondedCarol,
                events: [
                    Build.uptime(
                        carol, window: w - 1_000,
                        beats: (1...3).map {
                            Build.heartbeat(
                                carol, at: (w - 1_000) * 600_000 + UInt64($0) * 1_000, sequence: UInt64($0))
                        }, at: close)
                ],
                wantError: "windowAlreadyJudged"),
            GeneratedCase(
                suite: "uptime", name: "invalid_window_expired",
                desc:
                    "Window 3,000,000 closes at t0+600000 and may be judged until t0+1200000 (uptimeGraceMs 600000); an entry at t0+1200000 is too late.",
                pre: bondedCarol, events: [Build.uptime(carol, window: w, beats: beats, at: close + 600_000)],
                wantError: "windowExpired"),
            GeneratedCase(
                suite: "uptime", name: "last_moment_of_grace",
                desc: "An entry at t0+1199999, one ms before the grace ends, is paid 10,000 µK.",
                pre: bondedCarol, events: [Build.uptime(carol, window: w, beats: beats, at: close + 599_999)],
                expect: ["carol.balance": "10000"]),
        ]
    }

    // MARK: staking
    static var staking: [GeneratedCase] {
        let period: UInt64 = 1_209_600_000
        let funded = Build.genesis([(alice, Build.account(balance: 5_000_000))])
        let bondedAlice = Build.genesis([(alice, Build.account(bonded: 3_000_000))])
        return [
            GeneratedCase(
                suite: "staking", name: "bond",
                desc:
                    "Bond 3,000,000 of 5,000,000 µK: balance 2,000,000, bonded 3,000,000, nonce 1; liveness starts at window t0/600000 = 3,000,000.",
                pre: funded, events: [Build.staking(alice, .bond, amount: 3_000_000, nonce: 1)],
                expect: [
                    "alice.balance": "2000000", "alice.bonded": "3000000", "alice.nonce": "1",
                    "alice.nextLivenessWindow": "3000000", "minted": "5000000",
                ]),
            GeneratedCase(
                suite: "staking", name: "bond_from_escrow_releases_the_rest",
                desc:
                    "alice earned 150 karma in escrow without a bond. Bonding 100 karma takes it from escrow; with 100 karma (minNodeBond) bonded the remaining 50 karma of escrow moves to the balance.",
                pre: Build.genesis([(alice, Build.account(escrow: 150_000_000))]),
                events: [Build.staking(alice, .bond, amount: 100_000_000, nonce: 1)],
                expect: [
                    "alice.bonded": "100000000", "alice.escrow": "0", "alice.balance": "50000000",
                    "minted": "150000000",
                ]),
            GeneratedCase(
                suite: "staking", name: "bond_below_minimum_keeps_escrow",
                desc:
                    "Bonding 50 karma of 60 in escrow leaves 10 karma in escrow: the bond is below minNodeBond (100 karma), so nothing is released.",
                pre: Build.genesis([(alice, Build.account(escrow: 60_000_000))]),
                events: [Build.staking(alice, .bond, amount: 50_000_000, nonce: 1)],
                expect: ["alice.bonded": "50000000", "alice.escrow": "10000000", "alice.balance": "0"]),
            GeneratedCase(
                suite: "staking", name: "invalid_withdraw_escrow",
                desc:
                    "Escrow cannot be withdrawn or spent other than by bonding: withdraw finds nothing matured.",
                pre: Build.genesis([(alice, Build.account(escrow: 60_000_000))]),
                events: [Build.staking(alice, .withdraw, amount: 1, nonce: 1)],
                wantError: "insufficientMatured"),
            GeneratedCase(
                suite: "staking", name: "unbond_then_withdraw",
                desc:
                    "Unbond 1,000,000 at t0 (matures t0+14 d = t0+1209600000), withdraw it exactly at maturity: balance 1,000,000, bonded 2,000,000, nothing unbonding.",
                pre: bondedAlice,
                events: [
                    Build.staking(alice, .unbond, amount: 1_000_000, nonce: 1),
                    Build.staking(alice, .withdraw, amount: 1_000_000, nonce: 2, at: t0 + period),
                ],
                expect: [
                    "alice.balance": "1000000", "alice.bonded": "2000000", "alice.unbonding": "0",
                    "alice.unbondingEntries": "0", "alice.nonce": "2",
                ]),
            GeneratedCase(
                suite: "staking", name: "unbond_pending",
                desc: "After unbonding 1,000,000 the stake sits in one entry maturing at t0+1209600000.",
                pre: bondedAlice, events: [Build.staking(alice, .unbond, amount: 1_000_000, nonce: 7)],
                expect: [
                    "alice.bonded": "2000000", "alice.unbonding": "1000000", "alice.unbondingEntries": "1",
                    "alice.nonce": "7",
                ]),
            GeneratedCase(
                suite: "staking", name: "partial_withdraw_two_entries",
                desc:
                    "Matured entries 100 and 200 µK; withdrawing 250 empties the first and leaves 50 in the second; the unmatured 400 stays.",
                pre: Build.genesis([
                    (
                        alice,
                        Build.account(unbonding: [
                            UnbondingEntry(amount: 100, maturesAtMs: t0 - 2),
                            UnbondingEntry(amount: 200, maturesAtMs: t0),
                            UnbondingEntry(amount: 400, maturesAtMs: t0 + 1),
                        ])
                    )
                ]),
                events: [Build.staking(alice, .withdraw, amount: 250, nonce: 1)],
                expect: ["alice.balance": "250", "alice.unbonding": "450", "alice.unbondingEntries": "2"]),
            GeneratedCase(
                suite: "staking", name: "invalid_withdraw_before_maturity",
                desc: "1 ms before maturity nothing is withdrawable.",
                pre: bondedAlice,
                events: [
                    Build.staking(alice, .unbond, amount: 1_000_000, nonce: 1),
                    Build.staking(alice, .withdraw, amount: 1_000_000, nonce: 2, at: t0 + period - 1),
                ],
                wantError: "insufficientMatured"),
            GeneratedCase(
                suite: "staking", name: "invalid_bond_exceeds_balance",
                desc: "Bonding 5,000,001 µK with 5,000,000 liquid.",
                pre: funded, events: [Build.staking(alice, .bond, amount: 5_000_001, nonce: 1)],
                wantError: "insufficientBalance"),
            GeneratedCase(
                suite: "staking", name: "invalid_unbond_exceeds_bonded",
                desc: "Unbonding 3,000,001 µK with 3,000,000 bonded.",
                pre: bondedAlice, events: [Build.staking(alice, .unbond, amount: 3_000_001, nonce: 1)],
                wantError: "insufficientBonded"),
            GeneratedCase(
                suite: "staking", name: "invalid_replayed_request",
                desc:
                    "The identical signed bond request appended twice: nonce 1 is not above the last used nonce 1.",
                pre: funded,
                events: [
                    Build.staking(alice, .bond, amount: 1_000_000, nonce: 1),
                    Build.staking(alice, .bond, amount: 1_000_000, nonce: 1),
                ],
                expect: ["alice.bonded": "1000000"], wantError: "staleNonce"),
            GeneratedCase(
                suite: "staking", name: "invalid_bad_signature",
                desc: "A bond request for alice signed by bob.",
                pre: funded, events: [Build.staking(alice, .bond, amount: 1, nonce: 1, signer: bob)],
                wantError: "invalidSignature"),
            GeneratedCase(
                suite: "staking", name: "invalid_action_mismatch",
                desc: "A bond entry carrying a signed unbond request.",
                pre: funded,
                events: [
                    KarmaEntry(
                        timestampMs: t0, body: .bond(Build.request(alice, .unbond, amount: 1, nonce: 1)))
                ],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "staking", name: "invalid_zero_amount",
                desc: "Bond, unbond and withdraw amounts must be positive.",
                pre: funded, events: [Build.staking(alice, .bond, amount: 0, nonce: 1)],
                wantError: "invalidField"),
            GeneratedCase(
                suite: "staking", name: "invalid_too_many_unbonding",
                desc: "Seven unbonding entries is the v1 maximum; an eighth unbond is refused.",
                pre: Build.genesis([
                    (
                        alice,
                        Build.account(
                            bonded: 1_000,
                            unbonding: (1...7).map {
                                UnbondingEntry(amount: 10, maturesAtMs: t0 + UInt64($0))
                            })
                    )
                ]),
                events: [Build.staking(alice, .unbond, amount: 1, nonce: 1)],
                wantError: "tooManyUnbondingEntries"),
        ]
    }

    // MARK: slashing
    static var slashing: [GeneratedCase] {
        let stake = Build.genesis([(alice, Build.account(bonded: 10_000_000))])
        let rA = Build.receipt(alice, output: outA)
        let rB = Build.receipt(alice, output: outB, sequence: 2)
        let rC = Build.receipt(alice, output: outC, sequence: 3)
        let equivocation = Build.slash(alice, .equivocation(first: rA, second: rB), amount: 500_000)
        let wrong = Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 1_000_000)
        let withProof = Build.receipt(alice, output: outA, proofRef: proof)
        let reason = "sumcheck round 3: claimed sum does not match"
        return [
            GeneratedCase(
                suite: "slashing", name: "equivocation",
                desc:
                    "Two valid receipts by alice for job 0x11.., layers [0,4), outputs A1.. and B2..: 500 bps of 10,000,000 = 500,000 µK burned.",
                pre: stake, events: [equivocation],
                expect: [
                    "alice.bonded": "9500000", "slashed": "500000", "offences": "1", "minted": "10000000",
                    "alice.correlationBps.\(job1.hex)": "0",
                ]),
            GeneratedCase(
                suite: "slashing", name: "equivocation_then_jail",
                desc: "Equivocation jails for 7 days: jailed until t0 + 604800000.",
                pre: stake,
                events: [equivocation, Build.jail(alice, offence: offenceID(stake, equivocation))],
                expect: ["alice.jailedUntilMs": String(t0 + 604_800_000), "claims": "1"]),
            GeneratedCase(
                suite: "slashing", name: "invalid_equivocation_same_output",
                desc: "Two receipts with the same output are not equivocation.",
                pre: stake,
                events: [
                    Build.slash(
                        alice,
                        .equivocation(first: rA, second: Build.receipt(alice, output: outA, sequence: 9)),
                        amount: 500_000)
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "slashing", name: "invalid_equivocation_bad_signature",
                desc:
                    "The second receipt names alice but is signed by bob: evidence signatures are re-verified.",
                pre: stake,
                events: [
                    Build.slash(
                        alice,
                        .equivocation(first: rA, second: Build.receipt(alice, output: outB, signer: bob)),
                        amount: 500_000)
                ],
                wantError: "invalidSignature"),
            GeneratedCase(
                suite: "slashing", name: "invalid_equivocation_different_layers",
                desc: "Receipts for layers [0,4) and [4,8) of one job are two shards, not equivocation.",
                pre: stake,
                events: [
                    Build.slash(
                        alice,
                        .equivocation(first: rA, second: Build.receipt(alice, layers: 4..<8, output: outB)),
                        amount: 500_000)
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "slashing", name: "invalid_equivocation_wrong_node",
                desc: "The slash names bob but the receipts are alice's.",
                pre: stake,
                events: [Build.slash(bob, .equivocation(first: rA, second: rB), amount: 0)],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "slashing", name: "invalid_double_slash_same_evidence",
                desc: "The same slash entry twice: one offence is slashed once.",
                pre: stake, events: [equivocation, equivocation], expect: ["alice.bonded": "9500000"],
                wantError: "offenceAlreadySlashed"),
            GeneratedCase(
                suite: "slashing", name: "invalid_double_slash_other_pair",
                desc:
                    "A third receipt (output C3..) for the same slot: the offence id is (node, job, layers), so the pair (A, C) is the same offence.",
                pre: stake,
                events: [
                    equivocation,
                    Build.slash(alice, .equivocation(first: rA, second: rC), amount: 475_000),
                ],
                wantError: "offenceAlreadySlashed"),
            GeneratedCase(
                suite: "slashing", name: "wrong_output",
                desc:
                    "alice's receipt says A1.., re-execution gives B2..: 1000 bps of 10,000,000 = 1,000,000 µK.",
                pre: stake, events: [wrong],
                expect: ["alice.bonded": "9000000", "slashed": "1000000", "offences": "1"]),
            GeneratedCase(
                suite: "slashing", name: "equivocation_and_wrong_output",
                desc:
                    "Equivocation and wrong output are different offences on one slot: 500,000 then 1000 bps of 9,500,000 = 950,000.",
                pre: stake,
                events: [
                    equivocation,
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 950_000),
                ],
                expect: ["alice.bonded": "8550000", "slashed": "1450000", "offences": "2"]),
            GeneratedCase(
                suite: "slashing", name: "invalid_wrong_output_matches",
                desc: "The receipt's output equals the re-execution: no offence.",
                pre: stake,
                events: [
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outA), amount: 1_000_000)
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "slashing", name: "proof_failed_verification",
                desc:
                    "A receipt whose proofRef 9F.. failed verification: 1000 bps of 10,000,000 = 1,000,000 µK.",
                pre: stake,
                events: [
                    Build.slash(
                        alice, .invalidProof(receipt: withProof, proofHash: proof, reason: reason),
                        amount: 1_000_000)
                ],
                expect: ["alice.bonded": "9000000", "slashed": "1000000"]),
            GeneratedCase(
                suite: "slashing", name: "invalid_invalid_proof_without_proof_ref",
                desc: "The receipt attached no proof, so it cannot be slashed for a bad one.",
                pre: stake,
                events: [
                    Build.slash(
                        alice, .invalidProof(receipt: rA, proofHash: proof, reason: reason), amount: 1_000_000
                    )
                ],
                wantError: "invalidEvidence"),
            GeneratedCase(
                suite: "slashing", name: "invalid_amount_mismatch",
                desc: "The entry states 500,001 µK where the rules give 500,000.",
                pre: stake,
                events: [Build.slash(alice, .equivocation(first: rA, second: rB), amount: 500_001)],
                wantError: "slashAmountMismatch"),
            GeneratedCase(
                suite: "slashing", name: "during_unbonding",
                desc:
                    "bonded 400,000 + unbonding 9,000,000 (matures t0+1000) = 9,400,000 slashable; 1000 bps = 940,000: 400,000 from bonded, 540,000 from the unbonding entry (8,460,000 left).",
                pre: Build.genesis([
                    (
                        alice,
                        Build.account(
                            bonded: 400_000,
                            unbonding: [UnbondingEntry(amount: 9_000_000, maturesAtMs: t0 + 1_000)])
                    )
                ]),
                events: [
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 940_000)
                ],
                expect: ["alice.bonded": "0", "alice.unbonding": "8460000", "slashed": "940000"]),
            GeneratedCase(
                suite: "slashing", name: "skips_matured_unbonding",
                desc:
                    "bonded 100,000; unbonding 5,000,000 matured at t0−1 (not slashable) and 4,000,000 maturing t0+5: slashable 4,100,000, 1000 bps = 410,000 = 100,000 bonded + 310,000 from the second entry.",
                pre: Build.genesis([
                    (
                        alice,
                        Build.account(
                            bonded: 100_000,
                            unbonding: [
                                UnbondingEntry(amount: 5_000_000, maturesAtMs: t0 - 1),
                                UnbondingEntry(amount: 4_000_000, maturesAtMs: t0 + 5),
                            ])
                    )
                ]),
                events: [
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 410_000)
                ],
                expect: ["alice.bonded": "0", "alice.unbonding": "8690000", "alice.unbondingEntries": "2"]),
            GeneratedCase(
                suite: "slashing", name: "unbonded_node_zero_amount",
                desc: "A node with no stake: the offence is recorded (amount 0) so it can still be jailed.",
                pre: KarmaState(),
                events: [Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 0)],
                expect: ["slashed": "0", "offences": "1"]),
            GeneratedCase(
                suite: "slashing", name: "unbonded_node_loses_earned_karma",
                desc:
                    "No bond is no escape (§6.1): alice holds 10,000 µK in escrow and 990,000 µK of balance; wrong output burns 1000 bps of 1,000,000 = 100,000 µK: all 10,000 of the escrow, then 90,000 of the balance.",
                pre: Build.genesis([(alice, Build.account(balance: 990_000, escrow: 10_000))]),
                events: [
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 100_000)
                ],
                expect: [
                    "alice.escrow": "0", "alice.balance": "900000", "slashed": "100000", "minted": "1000000",
                ]),
            GeneratedCase(
                suite: "slashing", name: "reaches_balance_after_stake",
                desc:
                    "Bonded 100,000, balance 900,000: slashable 1,000,000; wrong output burns 100,000 = the whole bond, nothing of the balance (stake goes first).",
                pre: Build.genesis([(alice, Build.account(balance: 900_000, bonded: 100_000))]),
                events: [
                    Build.slash(alice, .wrongOutput(receipt: rA, reexecutedOutput: outB), amount: 100_000)
                ],
                expect: ["alice.bonded": "0", "alice.balance": "900000", "slashed": "100000"]),
            GeneratedCase(
                suite: "slashing", name: "invalid_jail_twice",
                desc: "One jail per offence.",
                pre: stake,
                events: [
                    equivocation, Build.jail(alice, offence: offenceID(stake, equivocation)),
                    Build.jail(alice, offence: offenceID(stake, equivocation)),
                ],
                wantError: "duplicateClaim"),
            GeneratedCase(
                suite: "slashing", name: "invalid_jail_unknown_offence",
                desc: "A jail entry must cite an offence slashed for that node.",
                pre: stake, events: [Build.jail(alice, offence: Build.digest(0x77))],
                wantError: "unknownOffence"),
        ]
    }

    // MARK: correlation
    static var correlation: [GeneratedCase] {
        let three = Build.genesis([
            (alice, Build.account(bonded: 10_000_000)), (bob, Build.account(bonded: 10_000_000)),
            (carol, Build.account(bonded: 10_000_000)),
        ])
        func wrong(_ k: SchnorrSigningKey, amount: UInt64) -> KarmaEntry {
            Build.slash(
                k, .wrongOutput(receipt: Build.receipt(k, output: outA), reexecutedOutput: outB),
                amount: amount)
        }
        func corr(_ k: SchnorrSigningKey, amount: UInt64) -> KarmaEntry {
            Build.slash(k, .correlation(jobID: job1), amount: amount)
        }
        let pair = [wrong(alice, amount: 1_000_000), wrong(bob, amount: 1_000_000)]
        return [
            GeneratedCase(
                suite: "correlation", name: "two_members",
                desc:
                    "alice and bob both gave the same wrong output for job 0x11..: 1,000,000 each; then with 2 slashed members each pays 1000·(2−1) = 1000 bps of 9,000,000 = 900,000 more.",
                pre: three, events: pair + [corr(alice, amount: 900_000), corr(bob, amount: 900_000)],
                expect: [
                    "alice.bonded": "8100000", "bob.bonded": "8100000", "carol.bonded": "10000000",
                    "slashed": "3800000", "alice.correlationBps.\(job1.hex)": "1000", "offences": "4",
                ]),
            GeneratedCase(
                suite: "correlation", name: "top_up_third_member",
                desc:
                    "After alice pays 1000 bps at 2 members (900,000), carol is slashed (1,000,000): at 3 members the target is 2000 bps, so alice pays the missing 1000 bps of 8,100,000 = 810,000 (7,290,000 left). Burned: 1,000,000 × 3 + 900,000 + 810,000 = 4,710,000.",
                pre: three,
                events: pair + [
                    corr(alice, amount: 900_000), wrong(carol, amount: 1_000_000),
                    corr(alice, amount: 810_000),
                ],
                expect: [
                    "alice.bonded": "7290000", "alice.correlationBps.\(job1.hex)": "2000",
                    "carol.bonded": "9000000",
                    "slashed": "4710000",
                ]),
            GeneratedCase(
                suite: "correlation", name: "invalid_lone_fault",
                desc: "Only alice was slashed for the job: a lone fault pays no correlation penalty.",
                pre: three, events: [wrong(alice, amount: 1_000_000), corr(alice, amount: 0)],
                wantError: "noCorrelation"),
            GeneratedCase(
                suite: "correlation", name: "invalid_repeat",
                desc: "alice already paid the 1000 bps that 2 members give.",
                pre: three, events: pair + [corr(alice, amount: 900_000), corr(alice, amount: 810_000)],
                wantError: "correlationAlreadyApplied"),
            GeneratedCase(
                suite: "correlation", name: "invalid_not_member",
                desc: "carol was not slashed for the job.",
                pre: three, events: pair + [corr(carol, amount: 1_000_000)], wantError: "noCorrelation"),
            GeneratedCase(
                suite: "correlation", name: "invalid_not_jailable",
                desc: "A correlation penalty carries no jail period of its own.",
                pre: three,
                events: pair + [
                    corr(alice, amount: 900_000),
                    Build.jail(
                        alice,
                        offence: offenceID(
                            try! engine.replay(pair, from: three), corr(alice, amount: 900_000))),
                ],
                wantError: "offenceNotJailable"),
        ]
    }

    // MARK: downtime
    static var downtime: [GeneratedCase] {
        let live = Build.genesis([(alice, Build.account(bonded: 10_000_000, nextLivenessWindow: 3_000_000))])
        let closeAt35 = t0 + 36 * 600_000  // window 3,000,035 closes at (3,000,036)·600000
        let down = Build.slash(alice, .downtime(throughWindow: 3_000_035), amount: 10_000, at: closeAt35)
        let jailed = Build.genesis([
            (
                alice,
                Build.account(
                    bonded: 1_000, jailedUntilMs: t0 + 3_600_000, nonce: 4, nextLivenessWindow: 3_000_001)
            )
        ])
        return [
            GeneratedCase(
                suite: "downtime", name: "slash_and_jail",
                desc:
                    "alice's first open window is 3,000,000; windows 3,000,000…3,000,035 (36) are missed by t0+21600000: 10 bps of 10,000,000 = 10,000 µK, then jail 1 h until t0+25200000; next open window 3,000,036.",
                pre: live,
                events: [down, Build.jail(alice, offence: offenceID(live, down), at: closeAt35)],
                expect: [
                    "alice.bonded": "9990000", "slashed": "10000",
                    "alice.jailedUntilMs": String(closeAt35 + 3_600_000),
                    "alice.nextLivenessWindow": "3000036",
                ]),
            GeneratedCase(
                suite: "downtime", name: "invalid_too_few_windows",
                desc: "Through window 3,000,034 only 35 windows are missed; 36 are needed.",
                pre: live,
                events: [
                    Build.slash(alice, .downtime(throughWindow: 3_000_034), amount: 10_000, at: closeAt35)
                ],
                wantError: "notEnoughMissedWindows"),
            GeneratedCase(
                suite: "downtime", name: "invalid_window_not_closed",
                desc: "Window 3,000,035 closes at t0+21600000; the entry is 1 ms early.",
                pre: live,
                events: [
                    Build.slash(alice, .downtime(throughWindow: 3_000_035), amount: 10_000, at: closeAt35 - 1)
                ],
                wantError: "windowNotClosed"),
            GeneratedCase(
                suite: "downtime", name: "invalid_repeat",
                desc: "The same downtime slash twice: one offence, slashed once.",
                pre: live, events: [down, down], wantError: "offenceAlreadySlashed"),
            GeneratedCase(
                suite: "downtime", name: "invalid_uptime_for_judged_window",
                desc:
                    "After the downtime slash through 3,000,035, an uptime credit for window 3,000,030 is refused.",
                pre: live,
                events: [
                    down,
                    Build.uptime(
                        alice, window: 3_000_030,
                        beats: (0..<3).map {
                            Build.heartbeat(
                                alice, at: t0 + 30 * 600_000 + UInt64($0), sequence: UInt64($0) + 1)
                        }, at: closeAt35),
                ],
                wantError: "windowAlreadyJudged"),
            GeneratedCase(
                suite: "downtime", name: "invalid_no_liveness_record",
                desc:
                    "A bonded node with no liveness record (genesis stake) cannot be charged missed windows.",
                pre: Build.genesis([(alice, Build.account(bonded: 10_000_000))]),
                events: [down], wantError: "noLivenessRecord"),
            GeneratedCase(
                suite: "downtime", name: "unjail_after_period",
                desc:
                    "Jailed until t0+3600000; an unjail (nonce 5) at exactly t0+3600000 frees alice; next open window becomes 3,000,006 (the window of t0+3600000).",
                pre: jailed, events: [Build.staking(alice, .unjail, amount: 0, nonce: 5, at: t0 + 3_600_000)],
                expect: [
                    "alice.jailedUntilMs": "null", "alice.nonce": "5", "alice.nextLivenessWindow": "3000006",
                ]),
            GeneratedCase(
                suite: "downtime", name: "invalid_unjail_before_period",
                desc: "1 ms before the jail ends.",
                pre: jailed, events: [Build.staking(alice, .unjail, amount: 0, nonce: 5, at: t0 + 3_599_999)],
                wantError: "jailNotExpired"),
            GeneratedCase(
                suite: "downtime", name: "invalid_unjail_not_jailed",
                desc: "bob is not jailed.",
                pre: Build.genesis([(bob, Build.account(bonded: 1))]),
                events: [Build.staking(bob, .unjail, amount: 0, nonce: 1)], wantError: "notJailed"),
            GeneratedCase(
                suite: "downtime", name: "invalid_unjail_replayed",
                desc: "Replaying the unjail request (nonce 4 = last used nonce) is refused.",
                pre: jailed, events: [Build.staking(alice, .unjail, amount: 0, nonce: 4, at: t0 + 3_600_000)],
                wantError: "staleNonce"),
        ]
    }

    // MARK: ordering and malformed entries
    static var ordering: [GeneratedCase] {
        [
            GeneratedCase(
                suite: "ordering", name: "equal_timestamps",
                desc: "Entries may share a ledger time; lastTimestampMs becomes t0.",
                pre: KarmaState(), events: [Build.inference(alice), Build.inference(bob)],
                expect: ["lastTimestampMs": String(t0), "minted": "100000"]),
            GeneratedCase(
                suite: "ordering", name: "invalid_timestamp_regressed",
                desc: "Ledger time never goes back: t0−1 after t0.",
                pre: KarmaState(), events: [Build.inference(alice), Build.inference(bob, at: t0 - 1)],
                wantError: "timestampRegressed"),
            GeneratedCase(
                suite: "ordering", name: "invalid_unknown_version",
                desc: "An entry with version 3 is not understood by a version-2 implementation.",
                pre: KarmaState(), events: [Build.inference(alice)], wantError: "unsupportedVersion",
                editLastLine: { $0.replacingOccurrences(of: "\"version\":2", with: "\"version\":3") }),
            GeneratedCase(
                suite: "ordering", name: "invalid_unknown_type",
                desc: "An entry type this version does not define.",
                pre: KarmaState(), events: [Build.inference(alice)], wantError: "unknownEntryType",
                editLastLine: {
                    $0.replacingOccurrences(of: "\"type\":\"inference\"", with: "\"type\":\"airdrop\"")
                }),
            GeneratedCase(
                suite: "ordering", name: "invalid_amount_as_number",
                desc: "64-bit integers are decimal strings in JSON; a bare number is malformed.",
                pre: KarmaState(), events: [Build.inference(alice)], wantError: "malformed",
                editLastLine: {
                    $0.replacingOccurrences(of: "\"macs\":\"50000000\"", with: "\"macs\":50000000")
                }),
        ]
    }
}
