import Foundation

/// Where a ``Ledger`` keeps its rows (specs/ledger.md §3): the entries, the hash tiles, the
/// committed tree state, the signed checkpoints and the log's metadata. The Merkle logic stays in
/// `Ledger`; a store only reads and writes rows, and writes each commit atomically.
///
/// Implementations: ``SQLiteLedgerStore`` (the default, one file) and ``PostgresLedgerStore``.
///
/// **Synchronous by design.** The Ledger's proofs and tile reads are pure functions over a node
/// source that looks tiles up one at a time; an async port would thread `await` through every
/// Merkle walk. So the port blocks its calling thread instead, and the contract is about *which*
/// threads may call it: SQLite's calls are local file I/O (as GRDB's synchronous API always was);
/// a store whose ``blocksOnNetwork`` is `true` (PostgreSQL) waits for a server and must not be
/// called on Swift's cooperative threads nor on a NIO event loop. The Ledger's writer already runs
/// on its own dispatch queue; async callers read through ``Ledger/reading(_:)``, which hops to a
/// dedicated queue when the store blocks on the network.
public protocol LedgerStore: Sendable {
    /// Where the rows live, for messages (`/path/ledger.sqlite`, `postgres 127.0.0.1:5432/mesh`).
    var location: String { get }
    /// `true` when calls wait on a network round trip (see the type's contract).
    var blocksOnNetwork: Bool { get }
    /// `true` when other processes may append to the store while it is open (a PostgreSQL
    /// database several validators share): a ledger opened on it reads a partial tile that grew
    /// since the tree state was read as its prefix (``Ledger/init(store:origin:signer:readOnly:options:)``).
    var isShared: Bool { get }

    /// Creates the schema when missing (or checks it, when `readOnly`), records `origin` and the
    /// empty tree in a new store, and records `verifierKey` when given.
    ///
    /// - Returns: the stored origin.
    /// - Throws: `.notALedger` when the store is empty and `origin` is `nil`, or holds another
    ///   schema; `.malformedCheckpoint` for an origin that is not one non-empty line; `.database`.
    func open(origin: String?, verifierKey: String?, readOnly: Bool) throws(LedgerError) -> String

    /// The committed tree size and root hash bytes.
    ///
    /// - Throws: `.corrupted` when the tree state row is missing; `.database`.
    func treeState() throws(LedgerError) -> (size: UInt64, root: Data)

    /// The stored bytes of tile `id` (``LedgerSchema/tileKey(level:index:)``), `nil` when absent.
    func tile(id: Int64) throws(LedgerError) -> Data?

    /// The stored entries with indices in `range`, in index order (fewer when rows are missing:
    /// the caller checks the count).
    func entries(in range: Range<UInt64>) throws(LedgerError) -> [Data]

    /// Writes `commit` in one transaction, durably, or nothing of it.
    func write(_ commit: LedgerCommit) throws(LedgerError)

    /// Stores a signed checkpoint note of `size` entries after every earlier one.
    func insertCheckpoint(size: UInt64, note: String) throws(LedgerError)

    /// The stored checkpoints `(sequence, note)`, oldest first; only the newest when `latestOnly`.
    func checkpoints(latestOnly: Bool) throws(LedgerError) -> [(sequence: Int64, note: String)]

    /// The verifier key the store records, if any.
    func verifierKey() throws(LedgerError) -> String?

    /// Storage figures (scans the entries: O(n)).
    func statistics(entries: UInt64) throws(LedgerError) -> StorageStatistics
}

/// One group commit as rows: the new entries at `[start, start + entries.count)`, every tile the
/// commit completed or changed (`(id, bytes)`), and the new tree state.
public struct LedgerCommit: Sendable {
    public var start: UInt64
    public var entries: [Data]
    public var tiles: [(id: Int64, bytes: Data)]
    public var size: UInt64
    public var root: MerkleHash
}
