/// The right edge of the tree: for each tile level, the partial tile not yet full.
///
/// Together with the immutable full tiles in storage this is the whole tree. Appending a leaf
/// hash costs amortised O(1) hashes; when a tile fills up it is reported as completed and its
/// root moves one tile level up. See specs/ledger.md §3.
struct TreeState: Sendable, Equatable {
    /// Number of leaves.
    private(set) var size: UInt64 = 0
    /// `partial[L]` holds the `(size >> 8L) % 256` hashes of tile level `L` that do not yet fill
    /// a tile. Its tile index is `size >> 8(L+1)`.
    private(set) var partial: [TileNodes] = []

    /// A tile that became full during `append`.
    struct CompletedTile: Sendable {
        var level: Int
        var index: UInt64
        var tile: TileNodes
    }

    init() {}

    /// Rebuilds the right edge of a tree of `size` leaves from its partial tiles.
    ///
    /// - Throws: `LedgerError.corrupted` when a partial tile's width does not match `size`.
    init(size: UInt64, partial tiles: [TileNodes]) throws(LedgerError) {
        self.size = size
        for (level, tile) in tiles.enumerated()
        where tile.count != Self.partialWidth(size: size, level: level) {
            throw .corrupted(
                "partial tile at level \(level) holds \(tile.count) hashes; tree size \(size) needs "
                    + "\(Self.partialWidth(size: size, level: level))")
        }
        self.partial = tiles
    }

    /// Number of tile levels a tree of `size` leaves touches.
    static func levelCount(size: UInt64) -> Int {
        var levels = 0
        var s = size
        while s > 0 {
            levels += 1
            s >>= 8
        }
        return levels
    }

    /// Width of the partial tile at `level` for a tree of `size` leaves: `floor(size / 256^L) mod 256`.
    static func partialWidth(size: UInt64, level: Int) -> Int {
        let shift = 8 * level
        return shift >= 64 ? 0 : Int((size >> UInt64(shift)) & 0xff)
    }

    /// Number of full tiles at `level` for a tree of `size` leaves: `floor(size / 256^(L+1))`.
    static func fullTileCount(size: UInt64, level: Int) -> UInt64 {
        let shift = 8 * (level + 1)
        return shift >= 64 ? 0 : size >> UInt64(shift)
    }

    /// Appends one leaf hash; tiles that fill up are appended to `completed`.
    mutating func append(leafHash: MerkleHash, completed: inout [CompletedTile]) {
        let newSize = size + 1
        var carry = leafHash
        var level = 0
        while true {
            if partial.count == level { partial.append(TileNodes()) }
            partial[level].append(carry)
            guard partial[level].isFull, let root = partial[level].root else { break }
            completed.append(
                CompletedTile(
                    level: level, index: Self.fullTileCount(size: newSize, level: level) - 1,
                    tile: partial[level]))
            partial[level] = TileNodes()
            carry = root
            level += 1
        }
        size = newSize
    }

    /// The root of the whole tree, from the partial tiles alone (their perfect subtrees are
    /// exactly the tree's compact range).
    var root: MerkleHash {
        var nodes: [MerkleHash] = []  // perfect subtrees, left to right
        for level in stride(from: partial.count - 1, through: 0, by: -1) {
            let tile = partial[level]
            var offset = 0
            for h in stride(from: TileNodes.height - 1, through: 0, by: -1) where tile.count & (1 << h) != 0 {
                if let node = tile.node(height: h, index: offset >> h) { nodes.append(node) }
                offset += 1 << h
            }
        }
        guard var r = nodes.last else { return RFC9162.emptyRoot }
        for n in nodes.dropLast().reversed() { r = RFC9162.hashChildren(n, r) }
        return r
    }

    /// A perfect subtree that lies in a partial tile, if it does.
    func partialNode(level: Int, index: UInt64) -> MerkleHash? {
        let tileLevel = level / TileNodes.height
        let height = level % TileNodes.height
        guard tileLevel < partial.count else { return nil }
        let first = index << UInt64(height)  // position at tree level 8·tileLevel
        guard first >> 8 == Self.fullTileCount(size: size, level: tileLevel) else { return nil }
        return partial[tileLevel].node(height: height, index: Int(first & 0xff) >> height)
    }
}
