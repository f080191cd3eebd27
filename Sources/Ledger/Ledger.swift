import Dispatch
import Foundation

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

/// An append-only Merkle log of opaque entries (RFC 9162 tree, c2sp.org tlog-tiles layout, signed
/// c2sp.org tlog-checkpoints) kept in a ``LedgerStore``: SQLite by default, or PostgreSQL. See
/// specs/ledger.md.
///
/// Thread-safe. Appends are group-committed by one writer queue: `append` returns only after the
/// transaction holding the entry, its tiles and the new tree state is durable (SQLite: WAL,
/// `synchronous=FULL`; PostgreSQL: a committed transaction). Reads and proofs run concurrently with appends and see the last
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
    /// Where the rows live: the database file path, or the PostgreSQL server and database.
    public var path: String { store.location }
    /// `true` when opened without write access.
    public let isReadOnly: Bool

    /// The rows (``LedgerStore``).
    public let store: any LedgerStore
    let signer: NoteSigner?
    let published: Locked<Snapshot>
    let cache: TileCache
    let writer: GroupCommitter
    /// Runs reads for async callers when the store blocks on the network (``reading(_:)``);
    /// `nil` for a local store, whose reads run inline.
    private let readers: BlockingPool?

    /// The committed tree as readers see it.
    struct Snapshot: Sendable {
        var state: TreeState
        var root: MerkleHash
    }

    /// Opens the SQLite ledger at `path`, creating it when the file does not exist.
    ///
    /// - Throws: as ``init(store:origin:signer:readOnly:options:)``.
    public convenience init(
        path: String, origin: String? = nil, signer: NoteSigner? = nil, readOnly: Bool = false,
        options: Options = Options()
    ) throws(LedgerError) {
        try self.init(
            store: try SQLiteLedgerStore(path: path, readOnly: readOnly), origin: origin, signer: signer,
            readOnly: readOnly, options: options)
    }

    /// Opens the ledger kept in `store`, creating it when the store is empty.
    ///
    /// - Parameters:
    ///   - origin: the log's origin; required to create a ledger (defaults to the signer's key
    ///     name); when given for an existing ledger it must match the stored origin.
    ///   - signer: the log's note key, needed by `signCheckpoint()`. Its name must equal the origin.
    ///   - readOnly: open for reading only (auditors); appends and signing then fail.
    /// - Throws: `.originMismatch`, `.notALedger`, `.malformedKey`, `.database`, or `.corrupted`
    ///   when the stored tree state does not match the stored tiles.
    public init(
        store: any LedgerStore, origin: String? = nil, signer: NoteSigner? = nil, readOnly: Bool = false,
        options: Options = Options()
    ) throws(LedgerError) {
        let requested = origin ?? signer?.name
        if let signer, let requested, signer.name != requested {
            throw .malformedKey("signer key name \(signer.name.debugDescription) is not the origin")
        }
        let storedOrigin = try store.open(
            origin: requested, verifierKey: signer?.verifier.verifierKey, readOnly: readOnly)
        if let requested, requested != storedOrigin {
            throw .originMismatch(stored: storedOrigin, requested: requested)
        }
        // Another process may be appending while this one opens: an auditor of a live validator,
        // a validator joining its cluster on PostgreSQL.
        let snapshot = try Self.loadSnapshot(store, shared: readOnly || store.isShared)

        self.origin = storedOrigin
        self.isReadOnly = readOnly
        self.store = store
        readers = store.blocksOnNetwork ? BlockingPool(threads: 4) : nil
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

    /// Loads the committed size and root and the partial tiles; checks they agree.
    ///
    /// A store another process appends to (``refresh()``) may have widened a partial tile between
    /// the two reads: its first `width` hashes are those of the tree read (an append never changes
    /// them), so a longer tile is read as its prefix there; the root check still guards the result.
    static func loadSnapshot(_ store: any LedgerStore, shared: Bool = false) throws(LedgerError) -> Snapshot {
        let (size, rootBytes) = try store.treeState()
        let storedRoot = try MerkleHash(bytes: rootBytes)
        var partial: [TileNodes] = []
        for level in 0..<TreeState.levelCount(size: size) {
            let width = TreeState.partialWidth(size: size, level: level)
            guard width > 0 else {
                partial.append(TileNodes())
                continue
            }
            let index = TreeState.fullTileCount(size: size, level: level)
            guard let data = try store.tile(id: LedgerSchema.tileKey(level: level, index: index)) else {
                throw .corrupted("partial tile \(level)/\(index) is missing")
            }
            let bytes = width * MerkleHash.byteCount
            partial.append(
                try TileNodes(
                    tileBytes: shared && data.count > bytes ? data.prefix(bytes) : data, width: width))
        }
        let state = try TreeState(size: size, partial: partial)
        let root = state.root
        guard root == storedRoot else {
            throw .corrupted(
                "stored root \(storedRoot.base64) of size \(size) does not match the tiles (\(root.base64))")
        }
        return Snapshot(state: state, root: root)
    }

    /// Re-reads the committed tree from the store, for a process that follows a log another
    /// process appends to (a PostgreSQL follower, specs/service.md §8): afterwards ``size``,
    /// ``root`` and every proof and tile describe the tree as stored. Runs on the writer queue,
    /// so it never interleaves with this process's own commits.
    ///
    /// - Returns: the committed size.
    /// - Throws: `.sizeDecreased` when the stored tree is smaller than the one this process
    ///   published, `.corrupted` when it does not extend it (the log was replaced or rolled back
    ///   under this process), `.database`.
    @discardableResult
    public func refresh() async throws(LedgerError) -> UInt64 {
        do {
            return try await writer.perform { () throws(LedgerError) -> UInt64 in
                let snapshot = try Self.loadSnapshot(self.store, shared: true)
                let current = self.published.current
                guard snapshot.state.size >= current.state.size else {
                    throw .sizeDecreased(old: current.state.size, new: snapshot.state.size)
                }
                // The tree read must extend the one published (same size: same root; larger: the
                // published root is the root of its prefix).
                let nodes = Nodes(ledger: self, state: snapshot.state)
                let prefixRoot =
                    snapshot.state.size == current.state.size
                    ? snapshot.root : try ProofBuilder.root(size: current.state.size, from: nodes)
                guard current.state.size == 0 || prefixRoot == current.root else {
                    throw .corrupted(
                        "the stored tree of size \(snapshot.state.size) does not extend the tree of size \(current.state.size) this process read before"
                    )
                }
                self.published.withLock { $0 = snapshot }
                return snapshot.state.size
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database("\(error)")
        }
    }

    /// Runs `body` (synchronous reads of this ledger) without blocking a cooperative thread: inline
    /// when the store is local, on the ledger's reader threads when it waits on the network
    /// (``LedgerStore`` explains why the port is synchronous). Async callers read through this.
    public func reading<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws(LedgerError) -> T)
        async throws(LedgerError) -> T
    {
        guard let readers else { return try body(self) }
        return try await readers.run { () throws(LedgerError) in try body(self) }
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
        return try? store.verifierKey()
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
        let rows = try store.entries(in: range)
        guard rows.count == range.count else {
            throw .corrupted("entries \(range.lowerBound)..<\(range.upperBound): \(rows.count) rows found")
        }
        return rows
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
        guard let data = try store.tile(id: key) else {
            throw .corrupted("full tile \(level)/\(index) is missing")
        }
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
        var tiles = completed.map { c in
            (id: LedgerSchema.tileKey(level: c.level, index: c.index), bytes: c.tile.bytes())
        }
        for (level, tile) in state.partial.enumerated() where tile.count > 0 {
            let index = TreeState.fullTileCount(size: state.size, level: level)
            tiles.append((id: LedgerSchema.tileKey(level: level, index: index), bytes: tile.bytes()))
        }
        try store.write(
            LedgerCommit(start: start, entries: entries, tiles: tiles, size: state.size, root: root))
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

    /// Signs a checkpoint of the first `size` entries without storing it: for a process that
    /// follows a log another process appends to (specs/service.md §8.4), whose notes are
    /// statements about the same tree but not the log's record of checkpoints.
    ///
    /// - Throws: `.noSigner`, `.sizeBeyondTree`, `.malformedCheckpoint`, `.database`.
    public func signDetachedCheckpoint(size: UInt64, extensions: [String] = []) async throws(LedgerError)
        -> SignedNote
    {
        guard let signer else { throw .noSigner }
        try Checkpoint.checkExtensions(extensions)
        return try await reading { l throws(LedgerError) in
            let snap = l.published.current
            guard size <= snap.state.size else {
                throw .sizeBeyondTree(requested: size, size: snap.state.size)
            }
            let root =
                size == snap.state.size
                ? snap.root : try ProofBuilder.root(size: size, from: Nodes(ledger: l, state: snap.state))
            return try signer.sign(
                Checkpoint(origin: l.origin, size: size, rootHash: root, extensions: extensions).body)
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
        try store.insertCheckpoint(size: next.size, note: text)
        return note
    }

    /// The last checkpoint the log signed, as a signed note in wire form; `nil` before the first.
    public func latestCheckpoint() throws(LedgerError) -> String? {
        try latestStoredCheckpoint()?.note
    }

    /// The last checkpoint the log signed, with its sequence number; `nil` before the first.
    public func latestStoredCheckpoint() throws(LedgerError) -> StoredCheckpoint? {
        guard let row = try store.checkpoints(latestOnly: true).last else { return nil }
        return try Self.storedCheckpoint(row)
    }

    /// Every checkpoint the log signed, oldest first.
    public func signedCheckpoints() throws(LedgerError) -> [StoredCheckpoint] {
        let rows = try store.checkpoints(latestOnly: false)
        var out: [StoredCheckpoint] = []
        for row in rows { out.append(try Self.storedCheckpoint(row)) }
        return out
    }

    static func storedCheckpoint(_ row: (sequence: Int64, note: String)) throws(LedgerError)
        -> StoredCheckpoint
    {
        let (seq, note) = row
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
    /// `dbstat` virtual table is available (PostgreSQL: the `tiles` table's total relation size).
    public var tilePageBytes: UInt64?
    /// The database file size in bytes (excluding the WAL; PostgreSQL: the ledger tables' total size).
    public var fileBytes: UInt64

    /// Merkle bytes stored per entry beyond the entry itself.
    public var tileBytesPerEntry: Double { entries == 0 ? 0 : Double(tileBytes) / Double(entries) }
}

extension Ledger {
    /// Measures how much the database stores (scans the `entries` table: O(n)).
    public func storageStatistics() throws(LedgerError) -> StorageStatistics {
        try store.statistics(entries: size)
    }
}
