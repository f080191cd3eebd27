import Foundation
import Karma
import Receipts
import TestSupport
import Testing

/// A naive RFC 9162 tree straight from §2.1.1 and §2.1.3.1 (recursive MTH and PATH, recomputing
/// every hash), sharing no code with ``MerkleTree`` or ``InMemoryMerkleTree``.
private enum NaiveTree {
    static func sha(_ bytes: [UInt8]) -> Data { Data(ReferenceSHA256.sha256(bytes)) }

    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func mth(_ leaves: ArraySlice<Data>) -> Data {
        switch leaves.count {
        case 0: return sha([])
        case 1: return sha([0] + Array(leaves.first!))
        default:
            let k = k(leaves.count)
            let lo = leaves.startIndex
            return sha([1] + Array(mth(leaves[lo..<(lo + k)])) + Array(mth(leaves[(lo + k)...])))
        }
    }

    static func path(_ m: Int, _ leaves: ArraySlice<Data>) -> [Data] {
        let n = leaves.count
        if n == 1 { return [] }
        let k = k(n)
        let lo = leaves.startIndex
        if m < k { return path(m, leaves[lo..<(lo + k)]) + [mth(leaves[(lo + k)...])] }
        return path(m - k, leaves[(lo + k)...]) + [mth(leaves[lo..<(lo + k)])]
    }
}

/// SHA-256 from FIPS 180-4, written out so the reference shares no code with the code under test
/// (the test target does not link swift-crypto). Checked against `SHA-256("")` below.
private enum ReferenceSHA256 {
    static func sha256(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab,
            0x5be0_cd19,
        ]
        let k: [UInt32] = [
            0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
            0xab1c_5ed5,
            0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7,
            0xc19b_f174,
            0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc,
            0x76f9_88da,
            0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351,
            0x1429_2967,
            0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e,
            0x9272_2c85,
            0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585,
            0x106a_a070,
            0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f,
            0x682e_6ff3,
            0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
            0xc671_78f2,
        ]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: m.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(m[chunk + 4 * i + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let t1 =
                    hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }
}

@Suite("Account tree (specs/ledger.md §10)")
struct AccountTreeTests {
    /// Keys of secret scalars 1…n (valid x-only keys, distinct).
    static let keys = (1...64).map { TestKeys.secret(UInt8($0)).publicKey }

    /// A state with `n` accounts of seeded random contents.
    static func randomState(accounts n: Int, seed: UInt64) -> KarmaState {
        var rng = SeededRandom(seed: seed)
        var state = KarmaState()
        for key in keys.shuffled(using: &rng).prefix(n) {
            var a = Account()
            a.balance = UInt64.random(in: 1...1_000_000, using: &rng)
            a.bonded = UInt64.random(in: 0...10, using: &rng) * 1000
            if Bool.random(using: &rng) {
                a.unbonding = [UnbondingEntry(amount: 5, maturesAtMs: UInt64.random(in: 0...9, using: &rng))]
            }
            if Bool.random(using: &rng) { a.jailedUntilMs = rng.next() >> 1 }
            a.nonce = UInt64.random(in: 0...3, using: &rng)
            a.scores = Scores(inference: rng.next() >> 40, uptime: rng.next() >> 40)
            if Bool.random(using: &rng) { a.nextLivenessWindow = UInt64.random(in: 0...99, using: &rng) }
            state.accounts[key] = a
        }
        return state
    }

    static func leaves(_ state: KarmaState) -> [Data] {
        state.accounts.keys.sorted { $0.rawRepresentation.lexicographicallyPrecedes($1.rawRepresentation) }
            .map { KarmaState.accountLeafBytes(node: $0, account: state.account($0)) }
    }

    @Test("Leaf bytes are exactly the account's slice of the state's canonical encoding (§8.4)")
    func leafIsStateEncodingSlice() {
        let state = Self.randomState(accounts: 9, seed: 1)
        let encoding = state.canonicalBytes
        // u16 version, 3 × u64, optional parametersHash (absent: one 0x00 byte), u32 n: accounts
        // start at byte 31 and follow each other in key order.
        #expect(state.parameters == nil)
        var at = encoding.startIndex + 31
        for leaf in Self.leaves(state) {
            #expect(encoding[at..<(at + leaf.count)] == leaf)
            at += leaf.count
        }
    }

    @Test("The root equals the naive recursive root on seeded random states of 0…64 accounts")
    func rootMatchesReference() {
        for n in 0...64 {
            let state = Self.randomState(accounts: n, seed: UInt64(n) &* 7919)
            let tree = AccountTree(state: state)
            #expect(tree.size == UInt64(n))
            #expect(tree.root.bytes == NaiveTree.mth(Self.leaves(state)[...]), "\(n) accounts")
        }
        #expect(AccountTree(state: KarmaState()).root == MerkleTree.emptyRoot)
        #expect(MerkleTree.emptyRoot.bytes == Data(ReferenceSHA256.sha256([])))
    }

    @Test("Empty accounts are not leaves")
    func emptyAccountsOmitted() {
        var state = Self.randomState(accounts: 5, seed: 3)
        state.accounts[Self.keys[63]] = Account()
        let tree = AccountTree(state: state)
        #expect(tree.size == 5 && tree.index(of: Self.keys[63]) == nil)
    }

    @Test("Every leaf of every tree of 1…33 accounts has the reference audit path and verifies")
    func proofsForEveryLeaf() throws {
        for n in 1...33 {
            let state = Self.randomState(accounts: n, seed: UInt64(n))
            let tree = AccountTree(state: state)
            let commitment = KarmaStateCommitment(state: state)
            let leaves = Self.leaves(state)
            for (i, node) in tree.nodes.enumerated() {
                #expect(tree.index(of: node) == i)
                let inclusion = try #require(AccountInclusion(node: node, state: state, tree: tree))
                #expect(inclusion.leafIndex == UInt64(i) && inclusion.treeSize == UInt64(n))
                #expect(inclusion.proof.map(\.bytes) == NaiveTree.path(i, leaves[...]), "leaf \(i) of \(n)")
                #expect(inclusion.verify(against: commitment) == .valid, "leaf \(i) of \(n)")
            }
        }
    }

    @Test("Mutated proofs, leaves, indices, sizes and roots are rejected")
    func mutationsFail() throws {
        let state = Self.randomState(accounts: 13, seed: 42)
        let tree = AccountTree(state: state)
        let commitment = KarmaStateCommitment(state: state)
        for node in tree.nodes {
            let good = try #require(AccountInclusion(node: node, state: state, tree: tree))
            var mutants: [(String, AccountInclusion, KarmaStateCommitment)] = []
            for j in good.proof.indices {
                var m = good
                var bytes = m.proof[j].bytes
                bytes[bytes.startIndex + j % 32] ^= 0x01
                m.proof[j] = try Digest32(bytes: bytes)
                mutants.append(("proof[\(j)] flipped", m, commitment))
            }
            var short = good
            short.proof.removeLast()
            mutants.append(("proof truncated", short, commitment))
            var long = good
            long.proof.append(MerkleTree.emptyRoot)
            mutants.append(("proof extended", long, commitment))
            var richer = good
            richer.account.balance += 1
            mutants.append(("balance + 1 (leaf unchanged)", richer, commitment))
            richer.leafBytes = KarmaState.accountLeafBytes(node: node, account: richer.account)
            mutants.append(("balance + 1 (leaf re-encoded)", richer, commitment))
            var moved = good
            moved.leafIndex = (good.leafIndex + 1) % good.treeSize
            mutants.append(("index moved", moved, commitment))
            var grown = good
            grown.treeSize += 1
            mutants.append(("tree size + 1", grown, commitment))
            var otherRoot = commitment
            otherRoot.accountRoot = MerkleTree.emptyRoot
            mutants.append(("other root", good, otherRoot))
            var otherCount = commitment
            otherCount.accountCount -= 1
            mutants.append(("other count", good, otherCount))
            for (what, m, c) in mutants {
                #expect(m.verify(against: c) != .valid, "\(what) must be rejected")
            }
        }
    }

    @Test("The karma-state extension line round-trips and rejects non-canonical forms")
    func extensionLine() throws {
        let state = Self.randomState(accounts: 4, seed: 9)
        let c = KarmaStateCommitment(state: state)
        let line = c.extensionLine
        #expect(line.hasPrefix("karma-state 4 "))
        #expect(try KarmaStateCommitment(extensionLine: line) == c)
        #expect(try KarmaStateCommitment.find(in: ["other ext", line]) == c)
        #expect(try KarmaStateCommitment.find(in: ["other ext"]) == nil)
        #expect(throws: KarmaError.self) { try KarmaStateCommitment.find(in: [line, line]) }
        let parts = line.split(separator: " ").map(String.init)
        for bad in [
            "karma-state 04 \(parts[2]) \(parts[3])", "karma-state -4 \(parts[2]) \(parts[3])",
            "karma-state 4 \(parts[2])", "karma-state 4 \(parts[2]) \(parts[3]) x",
            "karma-state  4 \(parts[2]) \(parts[3])", "karma-state 4 \(parts[2].dropLast()) \(parts[3])",
            "karma-state 4 \(Hex.encode(c.accountRoot.bytes)) \(parts[3])",
        ] {
            #expect(throws: KarmaError.self, "\(bad)") { try KarmaStateCommitment(extensionLine: bad) }
        }
    }

    @Test("MerkleTree.verifyInclusion agrees with every well-formed inclusion probe of specs/ledger.md §4")
    func ledgerProbes() throws {
        let dir = RepoPaths.fixture("ledger/probes/inclusion")
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("MANIFEST.json")))
        let probes = try #require(manifest as? [[String: String]])
        var checked = 0
        for probe in probes where probe["want"] != "malformed" {
            let file = try #require(probe["file"])
            let data = try Data(contentsOf: dir.appendingPathComponent(file))
            let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(file)")
            func hash(_ text: Any?) throws -> Digest32 {
                guard let s = text as? String, let bytes = Data(base64Encoded: s) else {
                    throw ReceiptError.invalidField("\(file)", reason: "not base64")
                }
                return try Digest32(bytes: bytes)
            }
            let index = try #require((doc["leafIdx"] as? NSNumber)?.uint64Value)
            let size = try #require((doc["treeSize"] as? NSNumber)?.uint64Value)
            // `"proof": null` is the empty proof (specs/ledger.md §4.3).
            let hashes = doc["proof"] is NSNull ? [] : try #require(doc["proof"] as? [String])
            let proof = try hashes.map { try hash($0) }
            let valid = MerkleTree.verifyInclusion(
                index: index, size: size, leafHash: try hash(doc["leafHash"]), proof: proof,
                root: try hash(doc["root"]))
            #expect(valid == (probe["want"] == "valid"), "\(file): \(probe["desc"] ?? "")")
            checked += 1
        }
        #expect(checked > 15)
    }

    @Test("MerkleTree.rootFromInclusionProof refuses out-of-range indices and wrong proof lengths")
    func verifierBounds() {
        let leaf = MerkleTree.hashLeaf(Data("x".utf8))
        #expect(MerkleTree.rootFromInclusionProof(index: 0, size: 1, leafHash: leaf, proof: []) == leaf)
        #expect(MerkleTree.rootFromInclusionProof(index: 1, size: 1, leafHash: leaf, proof: []) == nil)
        #expect(MerkleTree.rootFromInclusionProof(index: 0, size: 0, leafHash: leaf, proof: []) == nil)
        #expect(MerkleTree.rootFromInclusionProof(index: 0, size: 2, leafHash: leaf, proof: []) == nil)
        #expect(MerkleTree.inclusionProofCount(index: 5, size: 6) == 2)
        #expect(MerkleTree.inclusionProofCount(index: UInt64.max - 1, size: UInt64.max) == 63)
    }
}
