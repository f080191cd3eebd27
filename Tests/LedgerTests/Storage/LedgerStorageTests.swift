import Foundation
import GRDB
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Ledger

/// A fresh ledger: a file in a temporary directory (SQLite) or a fresh database on the test
/// server (PostgreSQL, ``PostgresTestServer``).
///
/// The tests call the Ledger's synchronous reads from async test functions. On PostgreSQL that
/// blocks a cooperative thread while a query runs, which production code avoids
/// (``Ledger/reading(_:)``); here it is safe, since completing a query never needs the
/// cooperative pool (``PostgresLink``), only slower.
struct TempLedger {
    let backend: StorageBackend
    let dir: URL
    let path: String
    /// The PostgreSQL database's URL (`.postgres` only).
    let url: String?
    let signer: NoteSigner
    let ledger: Ledger

    init(backend: StorageBackend = .sqlite, origin: String = "test.mesh/ledger") throws {
        self.backend = backend
        dir = try RepoPaths.temporaryDirectory(prefix: "ledger")
        path = dir.appendingPathComponent("ledger.sqlite").path
        url = backend == .postgres ? try PostgresTestServer.freshDatabase() : nil
        signer = try NoteSigner(name: origin, ed25519Seed32: Data(repeating: 7, count: 32))
        ledger = try Ledger(
            store: try Self.store(backend, path: path, url: url, readOnly: false), signer: signer)
    }

    private static func store(_ backend: StorageBackend, path: String, url: String?, readOnly: Bool) throws
        -> any LedgerStore
    {
        switch backend {
        case .sqlite: try SQLiteLedgerStore(path: path, readOnly: readOnly)
        case .postgres: PostgresLedgerStore(link: try PostgresLink(url: try #require(url), size: 2))
        }
    }

    /// A second store on the same rows, as another process would open them.
    func store(readOnly: Bool = false) throws -> any LedgerStore {
        try Self.store(backend, path: path, url: url, readOnly: readOnly)
    }

    func reopen(readOnly: Bool = false) throws -> Ledger {
        try Ledger(store: try store(readOnly: readOnly), signer: readOnly ? nil : signer, readOnly: readOnly)
    }

    /// Reads the database directly (SQLite only).
    func query<T>(_ body: (Database) throws -> T) throws -> T {
        try #require(backend == .sqlite, "raw SQL in these tests is SQLite's")
        let queue = try DatabaseQueue(path: path)
        return try queue.read(body)
    }

    /// Runs raw SQL against the database, as an attacker or a disk fault would (SQLite only).
    func tamper(_ sql: String, _ arguments: StatementArguments = []) throws {
        try #require(backend == .sqlite, "raw SQL in these tests is SQLite's")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
    }
}

@Suite("Ledger storage")
struct LedgerStorageTests {
    @Test(
        "Concurrent appends get distinct consecutive indices and the tree matches the reference",
        arguments: PostgresTestServer.backends)
    func concurrentAppends(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        let results = try await withThrowingTaskGroup(of: [(Data, AppendResult)].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var out: [(Data, AppendResult)] = []
                    for i in 0..<40 {
                        let e = Data("task-\(task)-\(i)".utf8)
                        out.append((e, try await t.ledger.append(e)))
                    }
                    return out
                }
            }
            group.addTask {
                let batch = sampleEntries(300, prefix: "batch-")
                let r = try await t.ledger.append(contentsOf: batch)
                return Array(zip(batch, r))
            }
            var all: [(Data, AppendResult)] = []
            for try await part in group { all += part }
            return all
        }
        #expect(results.count == 940)
        #expect(t.ledger.size == 940)
        let sorted = results.sorted { $0.1.index < $1.1.index }
        #expect(sorted.map(\.1.index) == Array(0..<940))
        let batchIndices = results.filter { $0.0.starts(with: Data("batch-".utf8)) }.map(\.1.index)
        #expect(batchIndices == Array(batchIndices[0]..<(batchIndices[0] + 300)), "a batch is contiguous")
        for (e, r) in results {
            #expect(r.leafHash == RFC9162.hashLeaf(e))
        }
        let entries = sorted.map(\.0)
        #expect(try t.ledger.entries(in: 0..<940) == entries)
        let ref = ReferenceTree(leaves: entries)
        #expect(t.ledger.root == ref.root(size: 940))
        var rng = SeededRandom(seed: 42)
        for _ in 0..<25 {
            let size = Int.random(in: 1...940, using: &rng)
            let index = Int.random(in: 0..<size, using: &rng)
            let proof = try t.ledger.inclusionProof(index: UInt64(index), size: UInt64(size))
            #expect(proof.hashes == ref.inclusionProof(index: index, size: size))
            let old = Int.random(in: 0...size, using: &rng)
            let cproof = try t.ledger.consistencyProof(from: UInt64(old), to: UInt64(size))
            #expect(cproof.hashes == ref.consistencyProof(old: old, size: size))
            #expect(try t.ledger.root(at: UInt64(size)) == ref.root(size: size))
        }

        // A second process-like open sees the same committed tree and serves the same proofs
        // from storage (cold cache).
        let again = try t.reopen(readOnly: true)
        #expect(again.size == 940 && again.root == t.ledger.root)
        #expect(
            try again.inclusionProof(index: 3, size: 700).hashes == ref.inclusionProof(index: 3, size: 700))
        #expect(try again.leafHash(at: 939) == RFC9162.hashLeaf(entries[939]))
        await #expect(throws: LedgerError.readOnly) { try await again.append(Data("x".utf8)) }
    }

    @Test("Bad requests get clear errors", arguments: PostgresTestServer.backends)
    func badRequests(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        #expect(t.ledger.root == RFC9162.emptyRoot)
        #expect(throws: LedgerError.indexOutOfRange(index: 0, size: 0)) {
            try t.ledger.inclusionProof(index: 0)
        }
        _ = try await t.ledger.append(contentsOf: sampleEntries(10))
        #expect(throws: LedgerError.indexOutOfRange(index: 10, size: 10)) {
            try t.ledger.inclusionProof(index: 10)
        }
        #expect(throws: LedgerError.indexOutOfRange(index: 5, size: 5)) {
            try t.ledger.inclusionProof(index: 5, size: 5)
        }
        #expect(throws: LedgerError.sizeBeyondTree(requested: 11, size: 10)) {
            try t.ledger.inclusionProof(index: 1, size: 11)
        }
        #expect(throws: LedgerError.sizeDecreased(old: 6, new: 5)) {
            try t.ledger.consistencyProof(from: 6, to: 5)
        }
        #expect(throws: LedgerError.sizeBeyondTree(requested: 12, size: 10)) {
            try t.ledger.consistencyProof(from: 6, to: 12)
        }
        #expect(throws: LedgerError.indexOutOfRange(index: 10, size: 10)) { try t.ledger.entry(at: 10) }
        await #expect(throws: LedgerError.entryTooLarge(bytes: 65_536, max: 65_535)) {
            try await t.ledger.append(Data(count: 65_536))
        }
        #expect(t.ledger.size == 10)
        #expect(throws: LedgerError.originMismatch(stored: "test.mesh/ledger", requested: "other")) {
            try Ledger(store: try t.store(), origin: "other")
        }
        let empty = try TempLedger(backend: backend)
        switch backend {
        case .sqlite:
            let missing = t.dir.appendingPathComponent("missing.sqlite").path
            #expect(throws: LedgerError.self) { try Ledger(path: missing, readOnly: true) }
            #expect(throws: LedgerError.self) { try Ledger(path: missing) }  // no origin to create with
        case .postgres:
            let url = try PostgresTestServer.freshDatabase()
            #expect(
                throws: LedgerError.notALedger(
                    "postgres \(try PostgresEndpoint(url: url)) holds no ledger tables")
            ) {
                try Ledger(
                    store: PostgresLedgerStore(link: try PostgresLink(url: url, size: 1)), readOnly: true)
            }
            #expect(throws: LedgerError.self) {  // no origin to create with
                try Ledger(store: PostgresLedgerStore(link: try PostgresLink(url: url, size: 1)))
            }
        }
        #expect(empty.ledger.size == 0)
    }

    @Test(
        "Tiles of a 70,000-entry log match the independently computed fixture",
        arguments: PostgresTestServer.backends)
    func tilesMatchFixture(backend: StorageBackend) async throws {
        struct Fixture: Decodable {
            struct Tile: Decodable {
                var path: String
                var sha256: String
            }
            var treeSize: UInt64
            var root: String
            var tiles: [Tile]
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: LedgerFixtures.data("tiles-70000.json"))
        let t = try TempLedger(backend: backend)
        let entries = sampleEntries(Int(fixture.treeSize))
        var offset = 0
        while offset < entries.count {
            let end = min(offset + 5000, entries.count)
            _ = try await t.ledger.append(contentsOf: Array(entries[offset..<end]))
            offset = end
        }
        #expect(t.ledger.root == (try MerkleHash(base64: fixture.root)))
        for tile in fixture.tiles {
            let bytes = try t.ledger.tile(path: tile.path)
            #expect(Hex.encode(sha256Digest(bytes)) == tile.sha256, "\(tile.path)")
        }
        // Entry bundles decode to the entries.
        #expect(
            try EntryBundle.decode(t.ledger.tile(path: "tile/entries/273.p/112")) == Array(entries[69_888...])
        )
        #expect(try EntryBundle.decode(t.ledger.tile(path: "tile/entries/001")) == Array(entries[256..<512]))
        // A client holding only tiles recomputes the root and proofs.
        let fetch: TileReader.Fetch = { path in try t.ledger.tile(path: path.description) }
        #expect(try TileReader.root(size: 70_000, fetch: fetch) == t.ledger.root)
        #expect(try TileReader.root(size: 65_536, fetch: fetch) == t.ledger.root(at: 65_536))
        #expect(
            try TileReader.inclusionProof(index: 12_345, size: 70_000, fetch: fetch)
                == t.ledger.inclusionProof(index: 12_345))
        #expect(
            try TileReader.consistencyProof(size1: 1000, size2: 70_000, fetch: fetch)
                == t.ledger.consistencyProof(from: 1000))
        // Tiles that do not exist.
        #expect(throws: LedgerError.tileNotFound("tile/0/274")) { try t.ledger.tile(path: "tile/0/274") }
        #expect(throws: LedgerError.tileNotFound("tile/0/273")) { try t.ledger.tile(path: "tile/0/273") }
        #expect(throws: LedgerError.tileNotFound("tile/0/273.p/113")) {
            try t.ledger.tile(path: "tile/0/273.p/113")
        }
        #expect(throws: LedgerError.tileNotFound("tile/entries/274.p/1")) {
            try t.ledger.tile(path: "tile/entries/274.p/1")
        }
        #expect(throws: LedgerError.badTilePath("tile/0/0273")) { try t.ledger.tile(path: "tile/0/0273") }
        // A partial request for a full tile serves its prefix (those hashes never change).
        #expect(try t.ledger.tile(path: "tile/0/000.p/10") == t.ledger.tile(path: "tile/0/000").prefix(320))
        // Merkle bytes stored beyond the entries: level-0 hashes plus about 1/255 more.
        let statistics = try t.ledger.storageStatistics()
        #expect(statistics.entries == 70_000)
        #expect(statistics.tileBytesPerEntry < 32.2)
        #expect(statistics.entryBytes == UInt64(entries.reduce(0) { $0 + $1.count }))
    }

    @Test(
        "Checkpoints are signed, stored, consistent, and refused when inconsistent",
        arguments: PostgresTestServer.backends)
    func checkpoints(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        #expect(try t.ledger.latestCheckpoint() == nil)
        let first = try await t.ledger.signCheckpoint()
        #expect(first.text == "test.mesh/ledger\n0\n\(RFC9162.emptyRoot.base64)\n")
        _ = try await t.ledger.append(contentsOf: sampleEntries(300))
        let second = try await t.ledger.signCheckpoint()
        let again = try await t.ledger.signCheckpoint()
        #expect(again == second, "no new checkpoint without new entries")
        let opened = try Checkpoint.open(
            note: try #require(try t.ledger.latestCheckpoint()), verifier: t.signer.verifier,
            origin: "test.mesh/ledger")
        #expect(opened.size == 300 && opened.rootHash == t.ledger.root)
        #expect(try t.ledger.signedCheckpoints().map(\.checkpoint.size) == [0, 300])
        #expect(t.ledger.verifierKey == t.signer.verifier.verifierKey)
        #expect(try t.reopen(readOnly: true).verifierKey == t.signer.verifier.verifierKey)

        // Forge a checkpoint the log "signed" with a different root at size 200; the log must now
        // refuse to sign anything, since no later tree is consistent with both.
        let forged = try t.signer.sign(
            Checkpoint(origin: "test.mesh/ledger", size: 200, rootHash: RFC9162.hashLeaf(Data())).body)
        try t.ledger.store.insertCheckpoint(size: 200, note: forged.formatted)
        _ = try await t.ledger.append(Data("more".utf8))
        await #expect(throws: LedgerError.self) { try await t.ledger.signCheckpoint() }
        do {
            try await t.ledger.signCheckpoint()
        } catch let error as LedgerError {
            guard case .inconsistentWithSignedCheckpoint(let size, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(size == 200)
        }
        // A checkpoint claiming a larger tree than the log has is also refused.
        let ahead = try t.signer.sign(
            Checkpoint(origin: "test.mesh/ledger", size: 5000, rootHash: t.ledger.root).body)
        try t.ledger.store.insertCheckpoint(size: 5000, note: ahead.formatted)
        await #expect(
            throws: LedgerError.inconsistentWithSignedCheckpoint(
                signedSize: 5000, reason: "the tree has only 301 entries")
        ) {
            try await t.ledger.signCheckpoint()
        }
        let noSigner = try t.reopen(readOnly: true)
        await #expect(throws: LedgerError.readOnly) { try await noSigner.signCheckpoint() }
    }

    @Test(
        "After a key change the same checkpoint is signed again with the new key",
        arguments: PostgresTestServer.backends)
    func checkpointAfterKeyChange(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        _ = try await t.ledger.append(contentsOf: sampleEntries(5))
        let old = try await t.ledger.signCheckpoint()
        let newSigner = try NoteSigner(name: "test.mesh/ledger", ed25519Seed32: Data(repeating: 8, count: 32))
        let reopened = try Ledger(store: try t.store(), signer: newSigner)
        let note = try await reopened.signCheckpoint()
        #expect(note.text == old.text, "the same checkpoint")
        #expect(note != old)
        let opened = try Checkpoint.open(
            note: note.formatted, verifier: newSigner.verifier, origin: "test.mesh/ledger")
        #expect(opened.size == 5)
        #expect(throws: (any Error).self) {
            try Checkpoint.open(note: note.formatted, verifier: t.signer.verifier, origin: "test.mesh/ledger")
        }
        // Stored, and returned as it is from then on.
        #expect(try reopened.latestCheckpoint() == note.formatted)
        #expect(try await reopened.signCheckpoint() == note)
    }

    @Test(
        "A damaged tree state is detected when the ledger is opened", arguments: PostgresTestServer.backends)
    func damagedTreeState(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        _ = try await t.ledger.append(contentsOf: sampleEntries(600))
        // The store's own write, bypassing the Ledger: a tree state that the tiles contradict.
        let store = try t.store()
        try store.write(
            LedgerCommit(start: 600, entries: [], tiles: [], size: 600, root: RFC9162.hashLeaf(Data())))
        #expect(throws: LedgerError.self) { try t.reopen() }
        try store.write(LedgerCommit(start: 600, entries: [], tiles: [], size: 599, root: t.ledger.root))
        #expect(throws: LedgerError.self) { try t.reopen() }
    }

    @Test(
        "A second writer that appended since this one read the tree makes its commit fail whole",
        arguments: PostgresTestServer.backends)
    func staleWriterIsRefused(backend: StorageBackend) async throws {
        let t = try TempLedger(backend: backend)
        _ = try await t.ledger.append(contentsOf: sampleEntries(300))
        let other = try t.reopen()
        let moved = try await other.append(Data("from the other writer".utf8))
        #expect(moved.index == 300)
        await #expect(throws: LedgerError.conflictingWriter(expectedSize: 300, storedSize: 301)) {
            try await t.ledger.append(contentsOf: sampleEntries(3, prefix: "stale-"))
        }
        // Nothing of the refused commit was written: a fresh open sees the other writer's tree.
        let fresh = try t.reopen(readOnly: true)
        #expect(fresh.size == 301 && fresh.root == other.root)
        #expect(try fresh.entry(at: 300) == Data("from the other writer".utf8))
        let ref = ReferenceTree(leaves: sampleEntries(300) + [Data("from the other writer".utf8)])
        #expect(fresh.root == ref.root(size: 301))
    }
}

/// PostgreSQL is reachable when configured; reported as skipped, with the reason, when not.
@Suite("PostgreSQL test server")
struct PostgresServerTests {
    @Test(
        "The test server answers and the ledger schema migrates once",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func serverAnswers() throws {
        let link = try PostgresTestServer.freshLink(size: 1)
        let first = try PostgresMigrations.migrate("ledger", PostgresLedgerStore.migrations, on: link)
        #expect(first == PostgresLedgerStore.migrations.map(\.version))
        #expect(try PostgresMigrations.migrate("ledger", PostgresLedgerStore.migrations, on: link).isEmpty)
        // A database migrated by a newer build is refused by name.
        let newer = PostgresLedgerStore.migrations + [.init("v99-future", ["SELECT 1"])]
        try PostgresMigrations.migrate("ledger", newer, on: link)
        #expect(throws: LedgerError.self) {
            try PostgresMigrations.migrate("ledger", PostgresLedgerStore.migrations, on: link)
        }
    }

    @Test(
        "A deposed leader's appends and checkpoints are fenced off; the new leader's are not",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func leaseFencesADeposedWriter() async throws {
        let t = try TempLedger(backend: .postgres)
        let a = try #require(t.ledger.store as? PostgresLedgerStore)
        // Leases of an hour: a loaded machine can stall the test for a minute between two steps.
        #expect(try a.acquireLease(holder: "a", seconds: 3600) == 1)
        _ = try await t.ledger.append(contentsOf: sampleEntries(10))
        let bStore = PostgresLedgerStore(link: try PostgresLink(url: try #require(t.url), size: 2))
        #expect(try bStore.acquireLease(holder: "b", seconds: 3600) == nil, "a's lease is running")
        // a renews with no time left (the token stays), so the lease has expired when b asks.
        #expect(try a.acquireLease(holder: "a", seconds: 0) == 1)
        #expect(try bStore.acquireLease(holder: "b", seconds: 3600) == 2, "a takeover increments the token")
        await #expect(throws: LedgerError.fenced(token: 1, current: 2)) {
            try await t.ledger.append(Data("from the deposed leader".utf8))
        }
        await #expect(throws: LedgerError.fenced(token: 1, current: 2)) {
            try await t.ledger.signCheckpoint()
        }
        let b = try Ledger(store: bStore, signer: t.signer)
        #expect(b.size == 10, "nothing of the fenced append was written")
        #expect(try await b.append(Data("from the new leader".utf8)).index == 10)
        #expect(try b.signedCheckpoints().isEmpty)
        #expect(try await b.signCheckpoint().text.hasPrefix("test.mesh/ledger\n11\n"))
        #expect(try a.acquireLease(holder: "a", seconds: 3600) == nil, "b's lease is running")
    }

    @Test(
        "A process opening the log while another appends reads the tree state it read, not a torn one",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func openWhileAnotherProcessAppends() async throws {
        let t = try TempLedger(backend: .postgres)
        _ = try await t.ledger.append(contentsOf: sampleEntries(300))
        let (size, root) = try t.ledger.store.treeState()
        _ = try await t.ledger.append(contentsOf: sampleEntries(10, prefix: "later-"))
        // What an opener sees when the writer commits between its read of the tree state and its
        // read of the partial tiles: the state of size 300, level-0 tile 1 already 54 hashes wide.
        let link = try PostgresLink(url: try #require(t.url), size: 1)
        _ = try link.withConnection { c in
            try c.run(
                "UPDATE ledger_tree_state SET size = \(Int64(size)), root = \(root) WHERE id = 0",
                logger: link.logger)
        }
        for readOnly in [false, true] {
            let opened = try Ledger(
                store: PostgresLedgerStore(link: try PostgresLink(url: try #require(t.url), size: 1)),
                readOnly: readOnly)
            #expect(opened.size == 300)
            #expect(opened.root == ReferenceTree(leaves: sampleEntries(300)).root(size: 300))
        }
    }

    @Test(
        "A server that stops answering fails calls at the link's deadline; the link recovers with it",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func silentServerFailsCallsAtTheDeadline() throws {
        let url = try PostgresTestServer.freshDatabase()
        let port = try PostgresEndpoint(url: url).port
        let proxy = try FreezableProxy(upstreamPort: port)
        defer { proxy.close() }
        let link = try PostgresLink(
            url: url.replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/"), size: 2,
            deadline: .milliseconds(500))
        let select = { @Sendable () throws -> Int in
            try link.withConnection { c in try c.rows("SELECT 1", logger: link.logger).count }
        }
        #expect(try select() == 1)
        proxy.freeze()
        // A call on the pooled connection, and one that must open a connection (the pool has two).
        for _ in 0..<3 {
            guard let outcome = finishing(within: 10, select) else {
                Issue.record("a call to a server that does not answer blocked for 10 s")
                return
            }
            #expect(throws: LedgerError.self) { try outcome.get() }
            if case .failure(let error) = outcome { #expect("\(error)".contains("within")) }
        }
        proxy.thaw()
        #expect(try finishing(within: 10, select)?.get() == 1, "the link opens a new connection")
    }

    /// The deadline must not wait for a thread of GCD's global queues: while blocked work holds
    /// them, GCD adds threads only slowly (about one a second here), so a timer queued behind
    /// sixteen blocked items fired some seventeen seconds late — and a validator whose database
    /// froze under load would hold its calls that long past their deadline.
    @Test(
        "The deadline fires while every thread of GCD's global queues is blocked",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func deadlineFiresWhileTheGlobalQueuesAreBlocked() throws {
        let url = try PostgresTestServer.freshDatabase()
        let port = try PostgresEndpoint(url: url).port
        let proxy = try FreezableProxy(upstreamPort: port)
        defer { proxy.close() }
        let link = try PostgresLink(
            url: url.replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/"), size: 1,
            deadline: .seconds(1))
        proxy.freeze()
        let release = DispatchSemaphore(value: 0)
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 16
        for _ in 0..<blockers { DispatchQueue.global().async { release.wait() } }
        defer { for _ in 0..<blockers { release.signal() } }
        let outcome = finishing(within: 6) {
            try link.withConnection { c in try c.rows("SELECT 1", logger: link.logger).count }
        }
        guard let outcome else {
            Issue.record(
                "the call outlived its 1 s deadline by 15 s: its timer waits for a global-queue thread")
            return
        }
        #expect(throws: LedgerError.self) { try outcome.get() }
    }

    @Test(
        "A writer that vanishes inside a transaction does not hold the lease row for ever",
        .enabled(
            if: PostgresTestServer.url != nil || PostgresTestServer.isRequired,
            "\(PostgresTestServer.missingNote)"))
    func vanishedWriterLetsGoOfTheLeaseRow() async throws {
        let t = try TempLedger(backend: .postgres)
        let url = try #require(t.url)
        let port = try PostgresEndpoint(url: url).port
        let proxy = try FreezableProxy(upstreamPort: port)
        defer { proxy.close() }
        let store = PostgresLedgerStore(link: try PostgresLink(url: url, size: 2))
        #expect(try store.acquireLease(holder: "a", seconds: 1) == 1)
        // Leader "a" is inside a write (the fence holds the lease row FOR SHARE) when its machine
        // loses power: its bytes stop, and no FIN or RST reaches the server.
        let a = try PostgresLink(
            url: url.replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/"), size: 1,
            deadline: .seconds(60))
        let locked = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        Thread {
            var holding = false
            do {
                try a.withConnection { c in
                    try c.run("BEGIN", logger: a.logger)
                    _ = try c.rows("SELECT token FROM ledger_lease WHERE id = 0 FOR SHARE", logger: a.logger)
                    proxy.freeze()
                    holding = true
                    locked.signal()
                    _ = try c.rows("SELECT 1", logger: a.logger)  // never reaches the server
                }
            } catch {
                // Once the row is held, an error is expected (the server ends the session) and
                // the test looks at the lease; before that, it is the test's failure.
                if !holding {
                    failure.withLock { $0 = error }
                    locked.signal()
                }
            }
        }.start()
        // Waited for on a thread of its own: a cooperative thread must not block.
        let signalled = try await onThread { locked.wait(timeout: .now() + 60) == .success }
        try #require(signalled, "the writer did not take the lease row within 60 s")
        if let error = failure.withLock({ $0 }) { throw error }
        // The lease has run out (1 s); the takeover waits for a's lock until the server ends a's
        // idle transaction (idle_in_transaction_session_timeout, 5 s).
        var granted: Int64?
        let start = ContinuousClock.now
        while granted == nil, ContinuousClock.now - start < .seconds(60) {
            do {
                granted = try store.acquireLease(holder: "b", seconds: 60, deadline: .seconds(5))
            } catch {
                // A takeover that waited its deadline on the lock: try again.
            }
            if granted == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(granted == 2, "the takeover is not blocked for ever by a vanished writer's lock")
        proxy.thaw()
    }

    @Test("A server that is not there is named with host and port")
    func unreachableServer() throws {
        #expect(throws: LedgerError.self) {
            try PostgresLink(url: "postgres://mesh@127.0.0.1:1/mesh", size: 1)
        }
        do {
            _ = try PostgresLink(url: "postgres://mesh@127.0.0.1:1/mesh", size: 1)
        } catch {
            #expect("\(error)".contains("cannot connect to PostgreSQL at 127.0.0.1:1"), "\(error)")
        }
        for bad in ["mysql://u@h/db", "postgres://h/db", "postgres://u@h", "postgres://u@h:99999/db"] {
            #expect(throws: LedgerError.self, "\(bad)") { try PostgresEndpoint(url: bad) }
        }
        let endpoint = try PostgresEndpoint(url: "postgresql://mesh:s%40cret@db.internal:6543/ledger")
        #expect(endpoint.description == "db.internal:6543/ledger")
        #expect(endpoint.password == "s@cret")
    }
}

/// SHA-256 of `data` as bytes (test helper).
func sha256Digest(_ data: Data) -> Data {
    ReferenceTree.sha256(Array(data)).bytes
}

/// The test proxy owns its descriptors: closing it, then releasing it, never closes a number the
/// process has opened since (an earlier version closed its listener twice, which closed other
/// tests' sockets and run-loop timers and hung the suite).
@Suite struct FreezableProxyTests {
    @Test func closingAndReleasingTheProxyLeavesOtherDescriptorsOpen() throws {
        for _ in 0..<20 {
            var proxy: FreezableProxy? = try FreezableProxy(upstreamPort: 9)
            proxy?.close()
            // The lowest free numbers: the ones the proxy's listener had, when it let go of it.
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            proxy = nil
            usleep(2_000)  // let the proxy's thread end
            for fd in fds { #expect(fcntl(fd, F_GETFD) != -1, "descriptor \(fd) was closed by the proxy") }
            for fd in fds { close(fd) }
        }
    }
}
