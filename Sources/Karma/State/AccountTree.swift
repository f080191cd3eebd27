import Foundation
import Receipts

extension KarmaState {
    /// The canonical bytes of one account: exactly the bytes ``canonicalBytes`` writes for it
    /// (specs/karma.md §8.4: `key 32`, then the account's fields). The leaf data of the account
    /// tree (specs/ledger.md §10.1).
    public static func accountLeafBytes(node: XOnlyPublicKey, account: Account) -> Data {
        var w = CanonicalWriter()
        writeAccount(node, account, to: &w)
        return w.bytes
    }
}

/// The Merkle commitment to a karma state's accounts (specs/ledger.md §10.1): an RFC 9162 tree
/// whose leaves are the non-empty accounts in ascending order of their 32 key bytes, each leaf's
/// data being ``KarmaState/accountLeafBytes(node:account:)``.
///
/// Building costs one encoding and one leaf hash per account plus n − 1 node hashes; a proof is
/// then O(log n).
public struct AccountTree: Sendable {
    /// The accounts' keys in leaf order.
    public let nodes: [XOnlyPublicKey]
    private let tree: InMemoryMerkleTree

    /// Builds the tree of `state`'s non-empty accounts.
    public init(state: KarmaState) {
        let nodes = state.accounts.filter { !$0.value.isEmpty }.keys.sorted(by: KarmaState.keyOrder)
        self.nodes = nodes
        self.tree = InMemoryMerkleTree(
            leafHashes: nodes.map {
                MerkleTree.hashLeaf(KarmaState.accountLeafBytes(node: $0, account: state.account($0)))
            })
    }

    /// Number of leaves (non-empty accounts).
    public var size: UInt64 { UInt64(nodes.count) }

    /// The account root (`SHA-256("")` when there are no accounts).
    public var root: Digest32 { tree.root }

    /// The leaf index of `node`, or `nil` when it has no (non-empty) account. O(log n).
    public func index(of node: XOnlyPublicKey) -> Int? {
        var lo = 0
        var hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if KarmaState.keyOrder(nodes[mid], node) { lo = mid + 1 } else { hi = mid }
        }
        return lo < nodes.count && nodes[lo] == node ? lo : nil
    }

    /// The audit path of the leaf at `index` (RFC 9162 `PATH(index, D[size])`), leaf sibling
    /// first; `nil` unless `0 <= index < size`.
    public func inclusionProof(index: Int) -> [Digest32]? { tree.inclusionProof(index: index) }
}

/// What a checkpoint's `karma-state` extension line commits to (specs/ledger.md §10.2): the
/// account tree's size and root, and the state hash (§8.4) of the karma state after exactly the
/// checkpoint's tree size entries.
///
/// Line grammar: `karma-state <account count> <account root, base64> <state hash, base64>`, one
/// space between fields, count in canonical decimal, base64 standard and padded (44 characters).
public struct KarmaStateCommitment: Equatable, Sendable {
    /// The first word of the extension line.
    public static let keyword = "karma-state"

    /// Leaves in the account tree.
    public var accountCount: UInt64
    /// The account tree's root.
    public var accountRoot: Digest32
    /// ``KarmaState/stateHash`` of the same state.
    public var stateHash: Digest32

    public init(accountCount: UInt64, accountRoot: Digest32, stateHash: Digest32) {
        self.accountCount = accountCount
        self.accountRoot = accountRoot
        self.stateHash = stateHash
    }

    /// The commitment to `state` (builds its ``AccountTree``).
    public init(state: KarmaState) {
        self.init(tree: AccountTree(state: state), state: state)
    }

    /// The commitment to `state`, whose account tree `tree` the caller has already built.
    /// - Precondition: `tree` was built from `state`.
    public init(tree: AccountTree, state: KarmaState) {
        self.init(accountCount: tree.size, accountRoot: tree.root, stateHash: state.stateHash)
    }

    /// The extension line, without its newline.
    public var extensionLine: String {
        "\(Self.keyword) \(accountCount) \(accountRoot.bytes.base64EncodedString()) "
            + stateHash.bytes.base64EncodedString()
    }

    /// Parses one extension line.
    /// - Throws: ``KarmaError/malformed(_:)`` saying which field breaks the grammar.
    public init(extensionLine line: String) throws(KarmaError) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.keyword else {
            throw .malformed(
                "karma-state line is not '\(Self.keyword) <count> <base64 root> <base64 state hash>'")
        }
        let countText = parts[1]
        guard countText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            countText == "0" || !countText.hasPrefix("0"), let count = UInt64(countText)
        else {
            throw .malformed("karma-state account count \(countText.prefix(24)) is not canonical decimal")
        }
        self.init(
            accountCount: count, accountRoot: try Self.hash(parts[2], "account root"),
            stateHash: try Self.hash(parts[3], "state hash"))
    }

    /// The commitment carried by a checkpoint's extension lines: `nil` when no line starts with
    /// `karma-state `.
    /// - Throws: ``KarmaError/malformed(_:)`` when such a line is malformed or there are two.
    public static func find(in extensions: [String]) throws(KarmaError) -> KarmaStateCommitment? {
        let lines = extensions.filter { $0.hasPrefix(keyword + " ") }
        guard lines.count <= 1 else {
            throw .malformed("checkpoint carries \(lines.count) karma-state lines")
        }
        guard let line = lines.first else { return nil }
        return try KarmaStateCommitment(extensionLine: line)
    }

    private static func hash(_ text: Substring, _ what: String) throws(KarmaError) -> Digest32 {
        let s = String(text)
        guard let data = Data(base64Encoded: s), data.count == 32, data.base64EncodedString() == s else {
            throw .malformed("karma-state \(what) is not canonical base64 of 32 bytes")
        }
        do { return try Digest32(bytes: data) } catch { throw KarmaError(error) }
    }
}

/// The outcome of checking one account against a karma-state commitment: valid, or invalid with
/// the reason. Not an error (specs/ledger.md §10.4).
public enum AccountProofVerdict: Equatable, Sendable {
    case valid
    case invalid(String)
}

/// An account with its inclusion proof in an account tree (specs/ledger.md §10.3).
public struct AccountInclusion: Equatable, Sendable {
    public var node: XOnlyPublicKey
    public var account: Account
    /// The leaf data: ``KarmaState/accountLeafBytes(node:account:)``.
    public var leafBytes: Data
    public var leafIndex: UInt64
    /// Leaves in the tree.
    public var treeSize: UInt64
    /// `PATH(leafIndex, D[treeSize])`, leaf sibling first.
    public var proof: [Digest32]

    public init(
        node: XOnlyPublicKey, account: Account, leafBytes: Data, leafIndex: UInt64, treeSize: UInt64,
        proof: [Digest32]
    ) {
        self.node = node
        self.account = account
        self.leafBytes = leafBytes
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.proof = proof
    }

    /// The inclusion of `node`'s account in `state`'s account tree `tree`; `nil` when `node` has
    /// no non-empty account.
    /// - Precondition: `tree` was built from `state`.
    public init?(node: XOnlyPublicKey, state: KarmaState, tree: AccountTree) {
        guard let index = tree.index(of: node), let proof = tree.inclusionProof(index: index) else {
            return nil
        }
        let account = state.account(node)
        self.init(
            node: node, account: account,
            leafBytes: KarmaState.accountLeafBytes(node: node, account: account),
            leafIndex: UInt64(index), treeSize: tree.size, proof: proof)
    }

    /// Checks this inclusion against a commitment (specs/ledger.md §10.4 steps 4–6): the tree
    /// size equals the committed account count, the leaf bytes are exactly the encoding of
    /// `node` and `account`, and the proof leads from the leaf's hash to the committed root.
    public func verify(against commitment: KarmaStateCommitment) -> AccountProofVerdict {
        guard treeSize == commitment.accountCount else {
            return .invalid(
                "proof is for an account tree of \(treeSize) leaves; the checkpoint commits to "
                    + "\(commitment.accountCount)")
        }
        guard !account.isEmpty else { return .invalid("an empty account is never a leaf") }
        guard leafBytes == KarmaState.accountLeafBytes(node: node, account: account) else {
            return .invalid("the leaf bytes do not encode the stated account of \(node.hex)")
        }
        guard
            let root = MerkleTree.rootFromInclusionProof(
                index: leafIndex, size: treeSize, leafHash: MerkleTree.hashLeaf(leafBytes), proof: proof)
        else {
            let want = MerkleTree.inclusionProofCount(index: leafIndex, size: treeSize)
            return .invalid(
                want.map { "proof has \(proof.count) hashes; leaf \(leafIndex) of \(treeSize) needs \($0)" }
                    ?? "leaf index \(leafIndex) is not below the tree size \(treeSize)")
        }
        guard root == commitment.accountRoot else {
            return .invalid(
                "proof leads to account root \(root.bytes.base64EncodedString()); the checkpoint commits to "
                    + commitment.accountRoot.bytes.base64EncodedString())
        }
        return .valid
    }
}
