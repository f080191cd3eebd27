import Foundation
import GRDB

/// The result of one durable append.
public struct AppendResult: Equatable, Sendable {
    /// Zero-based leaf index of the entry.
    public var index: UInt64
    /// `SHA-256(0x00 || entry)`.
    public var leafHash: MerkleHash

    public init(index: UInt64, leafHash: MerkleHash) {
        self.index = index
        self.leafHash = leafHash
    }
}

/// A checkpoint the log signed, as stored.
public struct StoredCheckpoint: Equatable, Sendable {
    /// Signing order, from 1.
    public var sequence: Int64
    /// The parsed checkpoint body.
    public var checkpoint: Checkpoint
    /// The signed note, exactly as issued.
    public var note: String
}

/// An append-only Merkle log of opaque entries stored in SQLite (RFC 9162 tree, c2sp.org
/// tlog-tiles layout, signed c2sp.org tlog-checkpoints). See specs/ledger.md.
///
/// Thread-safe. Appends are group-committed by one writer queue: `append` returns only after the
/// transaction holding the entry, its tiles and the new tree state is durable (WAL,
/// `synchronous=FULL`). Reads and proofs run concurrently with appends and see the last
/// committed tree.
public final class Ledger: Sendable {
    /// Defaults and limits.
    public struct Options: Sendable {
        /// Most entries committed in one transaction.
        public var maxBatchEntries = 16_384
        /// Full tiles kept in memory (each about 16 KiB expanded).
        public var tileCacheCapacity = 4_096

        public init() {}
    }

    /// The log's origin line (c2sp.org/tlog-checkpoint).
    public let origin: String
    /// The database file path.
    public let path: String
    /// `true` when opened without write access.
    public let isReadOnly: Bool

    let pool: DatabasePool
    let signer: NoteSigner?
    let published: Locked<Snapshot>
    let cache: TileCache
    let writer: GroupCommitter

    /// The committed tree as readers see it.
    struct Snapshot: Sendable {
        var state: TreeState
        var root: MerkleHash
    }

    /// Opens the ledger at `path`, creating it when the file does not exist.
    ///
    /// - Parameters:
    ///   - origin: the log's origin; required to create a ledger (defaults to the signer's key
    ///     name); when given for an existing ledger it must match the stored origin.
    ///   - signer: the log's note key, needed by `signCheckpoint()`. Its name must equal the origin.
    ///   - readOnly: open for reading only (auditors); appends and signing then fail.
    /// - Throws: `.originMismatch`, `.notALedger`, `.malformedKey`, `.database`, or `.corrupted`
    ///   when the stored tree state does not match the stored tiles.
    public init(
        path: String, origin: String? = nil, signer: NoteSigner? = nil, readOnly: Bool = false,
        options: Options = Options()
    ) throws(LedgerError) {
        let requested = origin ?? signer?.name
        if let signer, let requested, signer.name != requested {
            throw .malformedKey("signer key name \(signer.name.debugDescription) is not the origin")
        }
        if readOnly, !FileManager.default.fileExists(atPath: path) {
            throw .notALedger("\(path) does not exist")
        }
        let pool: DatabasePool = try withDatabase {
            try DatabasePool(path: path, configuration: LedgerSchema.configuration(readOnly: readOnly))
        }
        let storedOrigin: String = try withDatabase {
            if readOnly {
                return try pool.read { db in try Self.readMeta(db) }
            }
            return try pool.write { db in
                for s in LedgerSchema.statements { try db.execute(sql: s) }
                if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'") == nil {
                    guard let requested else {
                        throw LedgerError.notALedger("\(path) is empty; give an origin to create a ledger")
                    }
                    guard !requested.isEmpty, !requested.contains("\n") else {
                        throw LedgerError.malformedCheckpoint("origin must be one non-empty line")
                    }
                    try db.execute(
                        sql: "INSERT INTO meta(key, value) VALUES ('schema', ?), ('origin', ?)",
                        arguments: [LedgerSchema.version, requested])
                    try db.execute(
                        sql: "INSERT INTO tree_state(id, size, root) VALUES (0, 0, ?)",
                        arguments: [RFC9162.emptyRoot.bytes])
                }
                if let signer {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('verifier_key', ?)",
                        arguments: [signer.verifier.verifierKey])
                }
                return try Self.readMeta(db)
            }
        }
        if let requested, requested != storedOrigin {
            throw .originMismatch(stored: storedOrigin, requested: requested)
        }
        if !readOnly {
            let mode = try withDatabase {
                // GRDB's DatabasePool chooses synchronous=NORMAL for WAL; durability needs FULL.
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    return try Int.fetchOne(db, sql: "PRAGMA synchronous")
                }
            }
            guard mode == 2 else { throw .database("could not set synchronous=FULL (got \(mode ?? -1))") }
        }
        let snapshot = try withDatabase { try pool.read { db in try Self.loadSnapshot(db) } }

        self.origin = storedOrigin
        self.path = path
        self.isReadOnly = readOnly
        self.pool = pool
        self.signer = signer
        self.published = Locked(snapshot)
        self.cache = TileCache(capacity: options.tileCacheCapacity)
        let box = WeakBox()
        self.writer = GroupCommitter(maxBatchEntries: options.maxBatchEntries) { entries in
            guard let ledger = box.ledger else { throw LedgerError.database("ledger was closed") }
            return try ledger.commit(entries)
        }
        box.ledger = self
    }

    /// Breaks the reference cycle between the ledger and its writer.
    private final class WeakBox: @unchecked Sendable {
        weak var ledger: Ledger?
    }

    static func readMeta(_ db: Database) throws -> String {
        guard let schema = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema'") else {
            throw LedgerError.notALedger("no schema version in meta")
        }
        guard schema == LedgerSchema.version else { throw LedgerError.notALedger("unknown schema \(schema)") }
        guard let origin = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'origin'") else {
            throw LedgerError.notALedger("no origin in meta")
        }
        return origin
    }

    /// Loads the committed size and root and the partial tiles; checks they agree.
    static func loadSnapshot(_ db: Database) throws -> Snapshot {
        guard let row = try Row.fetchOne(db, sql: "SELECT size, root FROM tree_state WHERE id = 0") else {
            throw LedgerError.corrupted("tree_state row is missing")
        }
        let size = try UInt64(sqlite: row["size"], what: "tree size")
        let storedRoot = try MerkleHash(bytes: (row["root"] as Data?) ?? Data())
        var partial: [TileNodes] = []
        for level in 0..<TreeState.levelCount(size: size) {
            let width = TreeState.partialWidth(size: size, level: level)
            guard width > 0 else {
                partial.append(TileNodes())
                continue
            }
            let index = TreeState.fullTileCount(size: size, level: level)
            let key = LedgerSchema.tileKey(level: level, index: index)
            guard
                let data = try Data.fetchOne(
                    db, sql: "SELECT hashes FROM tiles WHERE id = ?", arguments: [key])
            else { throw LedgerError.corrupted("partial tile \(level)/\(index) is missing") }
            partial.append(try TileNodes(tileBytes: data, width: width))
        }
        let state = try TreeState(size: size, partial: partial)
        let root = state.root
        guard root == storedRoot else {
            throw LedgerError.corrupted(
                "stored root \(storedRoot.base64) of size \(size) does not match the tiles (\(root.base64))")
        }
        return Snapshot(state: state, root: root)
    }

    // MARK: - Reading

    /// Number of committed entries.
    public var size: UInt64 { published.current.state.size }

    /// The root of the committed tree.
    public var root: MerkleHash { published.current.root }

    /// The current committed checkpoint body (unsigned).
    public var checkpoint: Checkpoint {
        let s = published.current
        return Checkpoint(origin: origin, size: s.state.size, rootHash: s.root)
    }

    /// The verifier key of the log's signer, when this ledger was opened with one or the
    /// database records one.
    public var verifierKey: String? {
        if let signer { return signer.verifier.verifierKey }
        return try? withDatabase {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'verifier_key'")
            }
        }
    }

    /// The root of the first `size` entries.
    ///
    /// - Throws: `.sizeBeyondTree` when `size` exceeds the committed size.
    public func root(at size: UInt64) throws(LedgerError) -> MerkleHash {
        let snap = published.current
        guard size <= snap.state.size else { throw .sizeBeyondTree(requested: size, size: snap.state.size) }
        if size == snap.state.size { return snap.root }
        return try ProofBuilder.root(size: size, from: Nodes(ledger: self, state: snap.state))
    }

    /// The entry at `index`.
    ///
    /// - Throws: `.indexOutOfRange` when `index >= size`.
    public func entry(at index: UInt64) throws(LedgerError) -> Data {
        let entries = try self.entries(in: index..<(index + 1))
        guard let first = entries.first else { throw .indexOutOfRange(index: index, size: size) }
        return first
    }

    /// The entries in `range` (half-open).
    ///
    /// - Throws: `.indexOutOfRange` when the range reaches beyond the committed size;
    ///   `.corrupted` when a row is missing.
    public func entries(in range: Range<UInt64>) throws(LedgerError) -> [Data] {
        let size = self.size
        guard range.upperBound <= size else {
            throw .indexOutOfRange(index: range.upperBound == 0 ? 0 : range.upperBound - 1, size: size)
        }
        guard !range.isEmpty else { return [] }
        let rows = try withDatabase {
            try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                    arguments: [Int64(range.lowerBound), Int64(range.upperBound)])
            }
        }
        guard rows.count == range.count else {
            throw .corrupted("entries \(range.lowerBound)..<\(range.upperBound): \(rows.count) rows found")
        }
        return rows.map { $0["data"] as Data? ?? Data() }
    }

    /// The stored leaf hash of entry `index` (from the level-0 tiles).
    public func leafHash(at index: UInt64) throws(LedgerError) -> MerkleHash {
        let snap = published.current
        guard index < snap.state.size else { throw .indexOutOfRange(index: index, size: snap.state.size) }
        return try Nodes(ledger: self, state: snap.state).perfectNode(level: 0, index: index)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries (default: current).
    /// The proof is verified against the tree's root before it is returned.
    ///
    /// - Throws: `.indexOutOfRange` when `index >= size`; `.sizeBeyondTree` when `size` is beyond
    ///   the committed tree; `.corrupted` if the stored tiles are inconsistent.
    public func inclusionProof(index: UInt64, size: UInt64? = nil) throws(LedgerError) -> InclusionProof {
        let snap = published.current
        let treeSize = size ?? snap.state.size
        guard treeSize <= snap.state.size else {
            throw .sizeBeyondTree(requested: treeSize, size: snap.state.size)
        }
        guard index < treeSize else { throw .indexOutOfRange(index: index, size: treeSize) }
        let nodes = Nodes(ledger: self, state: snap.state)
        let proof = try ProofBuilder.inclusionProof(index: index, size: treeSize, from: nodes)
        let root =
            treeSize == snap.state.size ? snap.root : try ProofBuilder.root(size: treeSize, from: nodes)
        let leaf = try nodes.perfectNode(level: 0, index: index)
        if case .invalid(let reason) = ProofVerifier.verify(proof, leafHash: leaf, root: root) {
            throw .corrupted("inclusion proof for \(index) in \(treeSize) does not verify: \(reason)")
        }
        return proof
    }

    /// The consistency proof from the tree of `size1` entries to the tree of `size2` entries
    /// (default: current), verified against both roots before it is returned.
    ///
    /// - Throws: `.sizeDecreased` when `size1 > size2`; `.sizeBeyondTree` when `size2` is beyond
    ///   the committed tree.
    public func consistencyProof(from size1: UInt64, to size2: UInt64? = nil) throws(LedgerError)
        -> ConsistencyProof
    {
        let snap = published.current
        return try consistencyProof(from: size1, to: size2 ?? snap.state.size, snapshot: snap)
    }

    func consistencyProof(from size1: UInt64, to size2: UInt64, snapshot snap: Snapshot) throws(LedgerError)
        -> ConsistencyProof
    {
        guard size2 <= snap.state.size else { throw .sizeBeyondTree(requested: size2, size: snap.state.size) }
        guard size1 <= size2 else { throw .sizeDecreased(old: size1, new: size2) }
        let nodes = Nodes(ledger: self, state: snap.state)
        let proof = try ProofBuilder.consistencyProof(size1: size1, size2: size2, from: nodes)
        let root1 = try ProofBuilder.root(size: size1, from: nodes)
        let root2 = size2 == snap.state.size ? snap.root : try ProofBuilder.root(size: size2, from: nodes)
        if case .invalid(let reason) = ProofVerifier.verify(proof, root1: root1, root2: root2) {
            throw .corrupted("consistency proof \(size1)→\(size2) does not verify: \(reason)")
        }
        return proof
    }

    /// The inclusion proof of `index` in the tree of `size` entries (default: current) with its
    /// leaf hash and root, as the proof JSON of specs/ledger.md §4.3.
    ///
    /// - Throws: as `inclusionProof(index:size:)`.
    public func inclusionProofDocument(index: UInt64, size: UInt64? = nil) throws(LedgerError)
        -> InclusionProofDocument
    {
        let proof = try inclusionProof(index: index, size: size)
        return InclusionProofDocument(
            proof: proof, leafHash: try leafHash(at: index), root: try root(at: proof.treeSize))
    }

    /// The consistency proof from `size1` to `size2` entries (default: current) with both roots,
    /// as the proof JSON of specs/ledger.md §4.3.
    ///
    /// - Throws: as `consistencyProof(from:to:)`.
    public func consistencyProofDocument(from size1: UInt64, to size2: UInt64? = nil) throws(LedgerError)
        -> ConsistencyProofDocument
    {
        let proof = try consistencyProof(from: size1, to: size2)
        return ConsistencyProofDocument(
            proof: proof, root1: try root(at: proof.size1), root2: try root(at: proof.size2))
    }

    /// Perfect subtrees of a snapshot: partial tiles from memory, full tiles from the cache or
    /// the database.
    struct Nodes: PerfectNodeSource {
        let ledger: Ledger
        let state: TreeState

        func perfectNode(level: Int, index: UInt64) throws(LedgerError) -> MerkleHash {
            if let h = state.partialNode(level: level, index: index) { return h }
            let tileLevel = level / TileNodes.height
            let height = level % TileNodes.height
            let first = index << UInt64(height)
            let tileIndex = first >> 8
            guard tileIndex < TreeState.fullTileCount(size: state.size, level: tileLevel) else {
                throw .corrupted("node \(level)/\(index) is outside the tree of size \(state.size)")
            }
            let tile = try ledger.fullTile(level: tileLevel, index: tileIndex)
            guard let node = tile.node(height: height, index: Int(first & 0xff) >> height) else {
                throw .corrupted("tile \(tileLevel)/\(tileIndex) lacks node \(level)/\(index)")
            }
            return node
        }
    }

    /// A full tile, from the cache or the database.
    func fullTile(level: Int, index: UInt64) throws(LedgerError) -> TileNodes {
        let key = LedgerSchema.tileKey(level: level, index: index)
        if let tile = cache.get(UInt64(bitPattern: key)) { return tile }
        let data = try withDatabase {
            try pool.read { db in
                try Data.fetchOne(db, sql: "SELECT hashes FROM tiles WHERE id = ?", arguments: [key])
            }
        }
        guard let data else { throw .corrupted("full tile \(level)/\(index) is missing") }
        let tile = try TileNodes(tileBytes: data, width: TileNodes.width)
        cache.insert(UInt64(bitPattern: key), tile)
        return tile
    }

    // MARK: - Tiles

    /// The bytes of a c2sp.org/tlog-tiles resource: `tile/<L>/<N>[.p/<W>]` (hashes) or
    /// `tile/entries/<N>[.p/<W>]` (entry bundle).
    ///
    /// A partial path is served for any width the committed tree has reached (the first `W`
    /// hashes never change).
    /// - Throws: `.badTilePath` for a non-canonical path; `.tileNotFound` for a tile beyond the tree.
    public func tile(path: String) throws(LedgerError) -> Data {
        let p = try TilePath(parsing: path)
        let state = published.current.state
        switch p.kind {
        case .hashes(let level):
            let full = TreeState.fullTileCount(size: state.size, level: level)
            if p.index < full { return try fullTile(level: level, index: p.index).bytes(width: p.width) }
            guard p.index == full, let w = p.partialWidth, level < state.partial.count,
                w <= state.partial[level].count
            else { throw .tileNotFound(p.description) }
            return state.partial[level].bytes(width: w)
        case .entries:
            let begin = p.index &* 256
            guard p.index < (UInt64.max >> 8), begin + UInt64(p.width) <= state.size else {
                throw .tileNotFound(p.description)
            }
            return try EntryBundle.encode(entries(in: begin..<(begin + UInt64(p.width))))
        }
    }

    // MARK: - Appending

    /// Appends one entry; returns once it is durable.
    ///
    /// - Throws: `LedgerError.entryTooLarge` (over 65,535 bytes), `.readOnly`, `.database`.
    public func append(_ entry: Data) async throws -> AppendResult {
        let results = try await append(contentsOf: [entry])
        guard let first = results.first else { throw LedgerError.database("append returned no result") }
        return first
    }

    /// Appends entries in order, at consecutive indices; returns once all are durable.
    ///
    /// - Throws: `LedgerError.entryTooLarge` (over 65,535 bytes; nothing is appended),
    ///   `.readOnly`, `.database`.
    public func append(contentsOf entries: [Data]) async throws -> [AppendResult] {
        guard !isReadOnly else { throw LedgerError.readOnly }
        for e in entries where e.count > EntryBundle.maxEntryBytes {
            throw LedgerError.entryTooLarge(bytes: e.count, max: EntryBundle.maxEntryBytes)
        }
        guard !entries.isEmpty else { return [] }
        return try await writer.submit(entries)
    }

    /// Writes one group of entries in one transaction. Runs on the writer queue only.
    func commit(_ entries: [Data]) throws(LedgerError) -> [AppendResult] {
        var snap = published.current
        let start = snap.state.size
        var completed: [TreeState.CompletedTile] = []
        var results: [AppendResult] = []
        results.reserveCapacity(entries.count)
        for (i, e) in entries.enumerated() {
            let h = e.withUnsafeBytes { RFC9162.hashLeaf(bytes: $0) }
            results.append(AppendResult(index: start + UInt64(i), leafHash: h))
            snap.state.append(leafHash: h, completed: &completed)
        }
        snap.root = snap.state.root
        let state = snap.state
        let root = snap.root
        try withDatabase {
            try pool.write { db in
                let insert = try db.cachedStatement(sql: "INSERT INTO entries(idx, data) VALUES (?, ?)")
                for (i, e) in entries.enumerated() {
                    try insert.execute(arguments: [Int64(start) + Int64(i), e])
                }
                let putTile = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO tiles(id, hashes) VALUES (?, ?)")
                for c in completed {
                    try putTile.execute(arguments: [
                        LedgerSchema.tileKey(level: c.level, index: c.index), c.tile.bytes(),
                    ])
                }
                for (level, tile) in state.partial.enumerated() where tile.count > 0 {
                    let index = TreeState.fullTileCount(size: state.size, level: level)
                    try putTile.execute(arguments: [
                        LedgerSchema.tileKey(level: level, index: index), tile.bytes(),
                    ])
                }
                try db.execute(
                    sql: "UPDATE tree_state SET size = ?, root = ? WHERE id = 0",
                    arguments: [Int64(state.size), root.bytes])
            }
        }
        published.withLock { $0 = snap }
        for c in completed {
            cache.insert(UInt64(bitPattern: LedgerSchema.tileKey(level: c.level, index: c.index)), c.tile)
        }
        return results
    }

    // MARK: - Checkpoints

    /// Signs a checkpoint of the committed tree (or of its first `size` entries) and stores it.
    ///
    /// Before signing, checks with a consistency proof that the tree extends the last checkpoint
    /// this log signed; refuses otherwise. Signing again at an unchanged size with the same
    /// extension lines returns the last signed note, unless that note carries no signature by
    /// this signer's key (the log's key was changed): then the same checkpoint is signed again.
    ///
    /// - Parameters:
    ///   - size: the tree size to sign (default: the committed size); at least the size of the
    ///     last signed checkpoint and at most the committed size. A caller whose extension lines
    ///     describe the log after exactly `size` entries passes that size, so that appends racing
    ///     with the signature do not pair the lines with a larger tree.
    ///   - extensions: c2sp.org/tlog-checkpoint extension lines, written after the root hash in
    ///     this order. The log treats them as opaque (specs/ledger.md §5, §10.2).
    /// - Throws: `.noSigner`, `.readOnly`, `.sizeBeyondTree`, `.malformedCheckpoint` (an empty
    ///   extension line or one holding a newline or control character),
    ///   `.inconsistentWithSignedCheckpoint`, `.database`.
    @discardableResult
    public func signCheckpoint(size: UInt64? = nil, extensions: [String] = []) async throws -> SignedNote {
        guard !isReadOnly else { throw LedgerError.readOnly }
        guard let signer else { throw LedgerError.noSigner }
        try Checkpoint.checkExtensions(extensions)
        return try await writer.perform {
            try self.signCheckpointOnWriter(signer, size: size, extensions: extensions)
        }
    }

    func signCheckpointOnWriter(_ signer: NoteSigner, size: UInt64? = nil, extensions: [String] = [])
        throws(LedgerError) -> SignedNote
    {
        let snap = published.current
        let size = size ?? snap.state.size
        guard size <= snap.state.size else { throw .sizeBeyondTree(requested: size, size: snap.state.size) }
        let nodes = Nodes(ledger: self, state: snap.state)
        let root = size == snap.state.size ? snap.root : try ProofBuilder.root(size: size, from: nodes)
        let next = Checkpoint(origin: origin, size: size, rootHash: root, extensions: extensions)
        if let last = try latestStoredCheckpoint() {
            let old = last.checkpoint
            guard old.size <= next.size else {
                throw .inconsistentWithSignedCheckpoint(
                    signedSize: old.size, reason: "the tree has only \(next.size) entries")
            }
            let proof = try ProofBuilder.consistencyProof(size1: old.size, size2: next.size, from: nodes)
            if case .invalid(let reason) = ProofVerifier.verify(
                proof, root1: old.rootHash, root2: next.rootHash)
            {
                throw .inconsistentWithSignedCheckpoint(signedSize: old.size, reason: reason.description)
            }
            // The same checkpoint again: the stored note, unless the log's key has changed since it
            // was signed (a note its current verifier key cannot check is no checkpoint of it).
            if old == next {
                let stored = try SignedNote(parsing: last.note)
                if stored.signatures.contains(where: {
                    $0.keyName == signer.verifier.name && $0.keyID == signer.verifier.keyID
                }) {
                    return stored
                }
            }
        }
        let note = try signer.sign(next.body)
        let text = note.formatted
        try withDatabase {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO checkpoints(size, note) VALUES (?, ?)",
                    arguments: [Int64(next.size), text])
            }
        }
        return note
    }

    /// The last checkpoint the log signed, as a signed note in wire form; `nil` before the first.
    public func latestCheckpoint() throws(LedgerError) -> String? {
        try latestStoredCheckpoint()?.note
    }

    /// The last checkpoint the log signed, with its sequence number; `nil` before the first.
    public func latestStoredCheckpoint() throws(LedgerError) -> StoredCheckpoint? {
        let row = try withDatabase {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT seq, note FROM checkpoints ORDER BY seq DESC LIMIT 1")
            }
        }
        guard let row else { return nil }
        return try Self.storedCheckpoint(row)
    }

    /// Every checkpoint the log signed, oldest first.
    public func signedCheckpoints() throws(LedgerError) -> [StoredCheckpoint] {
        let rows = try withDatabase {
            try pool.read { db in try Row.fetchAll(db, sql: "SELECT seq, note FROM checkpoints ORDER BY seq")
            }
        }
        var out: [StoredCheckpoint] = []
        for row in rows { out.append(try Self.storedCheckpoint(row)) }
        return out
    }

    static func storedCheckpoint(_ row: Row) throws(LedgerError) -> StoredCheckpoint {
        let seq: Int64 = row["seq"]
        let note: String = row["note"] ?? ""
        let parsed = try SignedNote(parsing: note)
        return StoredCheckpoint(sequence: seq, checkpoint: try Checkpoint(parsing: parsed.text), note: note)
    }
}

/// Storage figures for operators and benchmarks.
public struct StorageStatistics: Sendable {
    /// Committed entries.
    public var entries: UInt64
    /// Sum of the entries' lengths.
    public var entryBytes: UInt64
    /// Sum of the stored hash tiles' lengths (full and partial): the Merkle data.
    public var tileBytes: UInt64
    /// Pages SQLite uses for the `tiles` table and its overflow pages, in bytes, when the
    /// `dbstat` virtual table is available.
    public var tilePageBytes: UInt64?
    /// The database file size in bytes (excluding the WAL).
    public var fileBytes: UInt64

    /// Merkle bytes stored per entry beyond the entry itself.
    public var tileBytesPerEntry: Double { entries == 0 ? 0 : Double(tileBytes) / Double(entries) }
}

extension Ledger {
    /// Measures how much the database stores (scans the `entries` table: O(n)).
    public func storageStatistics() throws(LedgerError) -> StorageStatistics {
        try withDatabase {
            try pool.read { db in
                let entryBytes =
                    try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM entries") ?? 0
                let tileBytes =
                    try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(hashes)), 0) FROM tiles") ?? 0
                let pages = try? Int64.fetchOne(
                    db, sql: "SELECT SUM(pgsize) FROM dbstat WHERE name = 'tiles'")
                let pageCount = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
                return StorageStatistics(
                    entries: self.size, entryBytes: UInt64(max(0, entryBytes)),
                    tileBytes: UInt64(max(0, tileBytes)),
                    tilePageBytes: pages.flatMap { $0 }.map { UInt64(max(0, $0)) },
                    fileBytes: UInt64(max(0, pageCount * pageSize)))
            }
        }
    }
}
