import Foundation

/// Client side of c2sp.org/tlog-tiles: roots and proofs computed from fetched tiles alone, the
/// way a mirror or monitor checks a tiled log against its checkpoint.
public enum TileReader {
    /// Fetches the bytes of one tile resource (from HTTP, a mirror directory, or `Ledger.tile`).
    public typealias Fetch = (TilePath) throws -> Data

    /// The root of the tree of `size` leaves, from the partial tiles of that size.
    ///
    /// - Throws: `.tileNotFound` when `fetch` fails; `.corrupted` for a tile of the wrong length.
    public static func root(size: UInt64, fetch: @escaping Fetch) throws(LedgerError) -> MerkleHash {
        try ProofBuilder.root(size: size, from: FetchedNodes(size: size, fetch: fetch))
    }

    /// The inclusion proof of `index` in the tree of `size` leaves, from tiles.
    public static func inclusionProof(index: UInt64, size: UInt64, fetch: @escaping Fetch) throws(LedgerError)
        -> InclusionProof
    {
        try ProofBuilder.inclusionProof(
            index: index, size: size, from: FetchedNodes(size: size, fetch: fetch))
    }

    /// The consistency proof from `size1` to `size2` leaves, from tiles of the tree of `size2`.
    public static func consistencyProof(size1: UInt64, size2: UInt64, fetch: @escaping Fetch)
        throws(LedgerError)
        -> ConsistencyProof
    {
        try ProofBuilder.consistencyProof(
            size1: size1, size2: size2, from: FetchedNodes(size: size2, fetch: fetch))
    }

    /// The tile that holds perfect subtree (`level`, `index`) in a tree of `size` leaves, and the
    /// subtree's position inside it.
    static func locate(level: Int, index: UInt64, size: UInt64) -> (
        path: TilePath, height: Int, position: Int
    ) {
        let tileLevel = level / TileNodes.height
        let height = level % TileNodes.height
        let first = index << UInt64(height)
        let tileIndex = first >> 8
        let full = TreeState.fullTileCount(size: size, level: tileLevel)
        let width = tileIndex < full ? nil : TreeState.partialWidth(size: size, level: tileLevel)
        return (
            TilePath(kind: .hashes(level: tileLevel), index: tileIndex, partialWidth: width), height,
            Int(first & 0xff) >> height
        )
    }

    final class TileMemo {
        var tiles: [TilePath: TileNodes] = [:]
    }

    struct FetchedNodes: PerfectNodeSource {
        let size: UInt64
        let fetch: Fetch
        let memo = TileMemo()

        func perfectNode(level: Int, index: UInt64) throws(LedgerError) -> MerkleHash {
            let (path, height, position) = TileReader.locate(level: level, index: index, size: size)
            let tile: TileNodes
            if let t = memo.tiles[path] {
                tile = t
            } else {
                let data: Data
                do { data = try fetch(path) } catch { throw .tileNotFound("\(path): \(error)") }
                tile = try TileNodes(tileBytes: data, width: path.width)
                memo.tiles[path] = tile
            }
            guard let node = tile.node(height: height, index: position) else {
                throw .tileNotFound("\(path) lacks subtree \(level)/\(index)")
            }
            return node
        }
    }
}
