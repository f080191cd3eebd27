import Foundation

/// The hashes of one c2sp.org/tlog-tiles tile together with every perfect subtree inside it.
///
/// `rows[0]` holds the tile's hashes (up to 256); `rows[h][j]` is the Merkle Tree Hash of
/// `rows[0][j·2^h ..< (j+1)·2^h]` for every such range that is complete. A full tile has
/// 256 hashes and `rows[8] == [tile root]`, the hash that goes into the tile one level up.
/// Appending is amortised O(1) hashes; lookups are O(1).
public struct TileNodes: Sendable, Equatable {
    /// Hashes in a full tile.
    public static let width = 256
    /// Tree levels spanned by one tile level.
    public static let height = 8

    /// `rows[h]` are the complete perfect subtrees of height `h` inside the tile.
    public private(set) var rows: [[MerkleHash]]

    /// An empty (width 0) tile.
    public init() {
        rows = Array(repeating: [], count: Self.height + 1)
        rows[0].reserveCapacity(Self.width)
    }

    /// Expands up to 256 hashes.
    public init(hashes: some Sequence<MerkleHash>) {
        self.init()
        for h in hashes { append(h) }
    }

    /// Parses the wire form (concatenated 32-byte hashes) of a tile of `width` hashes.
    ///
    /// - Throws: `LedgerError.corrupted` when the byte count is not `32 · width` or
    ///   `width` is not in 1...256.
    public init(tileBytes data: Data, width: Int) throws(LedgerError) {
        guard (1...Self.width).contains(width), data.count == width * MerkleHash.byteCount else {
            throw .corrupted("tile is \(data.count) bytes; want \(width * MerkleHash.byteCount)")
        }
        self.init()
        data.withUnsafeBytes { raw in
            for i in 0..<width {
                append(MerkleHash(unchecked: UnsafeRawBufferPointer(rebasing: raw[(i * 32)..<(i * 32 + 32)])))
            }
        }
    }

    /// Number of hashes in the tile.
    public var count: Int { rows[0].count }

    /// `true` when the tile holds 256 hashes.
    public var isFull: Bool { rows[0].count == Self.width }

    /// The Merkle Tree Hash of the whole tile; `nil` until the tile is full.
    public var root: MerkleHash? { rows[Self.height].first }

    /// Appends one hash. Precondition (checked): the tile is not full; a full tile ignores it.
    /// Costs one `hashChildren` per perfect subtree the hash completes (amortised one).
    public mutating func append(_ hash: MerkleHash) {
        guard !isFull else { return }
        rows[0].append(hash)
        var h = 0
        while h < Self.height, rows[h].count % 2 == 0 {
            let n = rows[h].count
            rows[h + 1].append(RFC9162.hashChildren(rows[h][n - 2], rows[h][n - 1]))
            h += 1
        }
    }

    /// The perfect subtree of height `height` at position `index` within the tile, if complete.
    public func node(height: Int, index: Int) -> MerkleHash? {
        guard (0...Self.height).contains(height), index >= 0, index < rows[height].count else { return nil }
        return rows[height][index]
    }

    /// The first `width` hashes in wire form (32 bytes each, concatenated).
    public func bytes(width: Int? = nil) -> Data {
        let n = min(width ?? count, count)
        var out = Data(capacity: n * MerkleHash.byteCount)
        for h in rows[0].prefix(n) { h.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }
}
