import Crypto
import Foundation
import Receipts

/// The RFC 9162 Merkle tree over a package's weight chunks (specs/model-package.md §4).
///
/// `hashLeaf(chunk) = SHA-256(0x00 ‖ chunk)`, `hashChildren(l, r) = SHA-256(0x01 ‖ l ‖ r)`;
/// for `n > 1` leaves the tree splits at `k`, the largest power of two smaller than `n`
/// (RFC 9162 §2.1.1). The root of zero leaves is `SHA-256("")`. All hashes are 32 bytes.
public enum ChunkTree {
    /// `SHA-256(0x00 ‖ chunk)`.
    public static func hashLeaf(_ chunk: some DataProtocol) -> [UInt8] {
        Array(MerkleTree.hashLeaf(chunk).bytes)
    }

    /// The Merkle tree hash of `leafHashes` (RFC 9162 §2.1.1), by the shared ``MerkleTree``.
    /// - Precondition: every hash is 32 bytes (see ``digest(_:)``).
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        Array(InMemoryMerkleTree(leafHashes: leafHashes.map(digest)).root.bytes)
    }

    /// The audit path of leaf `index` in a tree of `leafHashes.count` leaves (RFC 9162
    /// §2.1.3.1, `PATH(m, D[n])`), from the leaf's sibling up to the root's child.
    ///
    /// - Precondition: every hash is 32 bytes (see ``digest(_:)``).
    /// - Returns: `nil` unless `0 <= index < leafHashes.count`.
    public static func inclusionProof(index: Int, leafHashes: [[UInt8]]) -> ChunkInclusionProof? {
        guard let path = InMemoryMerkleTree(leafHashes: leafHashes.map(digest)).inclusionProof(index: index)
        else { return nil }
        return ChunkInclusionProof(
            index: index, treeSize: leafHashes.count, path: path.map { Array($0.bytes) })
    }

    /// A chunk hash as a ``Digest32``.
    ///
    /// - Precondition: `bytes` is 32 bytes long. Chunk hashes come from ``hashLeaf(_:)`` or from a
    ///   `PackageManifest`, whose initializer refuses any other length; proofs from outside are
    ///   length-checked in ``ChunkInclusionProof/root(leafHash:)`` before they get here.
    static func digest(_ bytes: [UInt8]) -> Digest32 {
        bytes.withUnsafeBytes { Digest32(exactly32: $0) }
    }
}

/// A proof that one chunk is leaf `index` of a package's chunk tree (RFC 9162 §2.1.3).
public struct ChunkInclusionProof: Sendable, Equatable, Codable {
    /// Leaf index, `0 <= index < treeSize`.
    public let index: Int
    /// Number of chunks in the package.
    public let treeSize: Int
    /// Sibling hashes from the bottom up, 32 bytes each.
    public let path: [[UInt8]]

    public init(index: Int, treeSize: Int, path: [[UInt8]]) {
        self.index = index
        self.treeSize = treeSize
        self.path = path
    }

    /// The root implied by `leafHash` and this path (RFC 9162 §2.1.3.2), or `nil` when the
    /// path has the wrong length for `index` and `treeSize`, a hash is not 32 bytes, or
    /// `index` is out of range.
    public func root(leafHash: [UInt8]) -> [UInt8]? {
        guard index >= 0, index < treeSize, leafHash.count == 32, path.allSatisfy({ $0.count == 32 }) else {
            return nil
        }
        return MerkleTree.rootFromInclusionProof(
            index: UInt64(index), size: UInt64(treeSize), leafHash: ChunkTree.digest(leafHash),
            proof: path.map(ChunkTree.digest)
        ).map { Array($0.bytes) }
    }

    /// Whether `chunk` is leaf `index` of the tree with root `root32`.
    public func verify(chunk: some DataProtocol, root32: [UInt8]) -> Bool {
        root(leafHash: ChunkTree.hashLeaf(chunk)) == root32
    }
}
