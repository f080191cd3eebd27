import Foundation
import Karma
import Ledger
import Receipts
import TestSupport
import Testing

@testable import Validator

/// The liveness sweep (specs/karma.md §5.5, §6.5) on the production ledger and heartbeat journal.
@Suite struct LivenessTests {
    let windowMs = KarmaParameters.v2.heartbeatWindowMs
    let alive = SchnorrSigningKey.generate()
    let silent = SchnorrSigningKey.generate()
    let directory: URL
    let clock = TestClock()

    init() throws {
        directory = try RepoPaths.temporaryDirectory(prefix: "liveness")
        clock.set(100 * windowMs + 5)
    }

    func openBook(selfHeartbeatKey: SchnorrSigningKey? = nil) throws -> LedgerKarmaBook {
        let repository = try SQLiteJobRepository(
            path: directory.appendingPathComponent("validator.sqlite").path)
        let clock = self.clock
        return try LedgerKarmaBook(
            path: directory.appendingPathComponent("ledger.sqlite").path, origin: "test.local/log",
            checkpointSeed32: Data(repeating: 7, count: 32), heartbeats: repository,
            selfHeartbeatKey: selfHeartbeatKey, nowMs: { clock.now })
    }

    /// The book on the storage of `backend`: SQLite files in `directory`, or the PostgreSQL
    /// database at `url` (the same database at every reopening, like a restart).
    func openBook(_ backend: StorageBackend, url: String?) async throws -> LedgerKarmaBook {
        guard backend == .postgres, let url else { return try openBook() }
        let clock = self.clock
        return try await LedgerKarmaBook.open(
            store: PostgresLedgerStore(link: try await PostgresLink.open(url: url, size: 2)),
            origin: "test.local/log", checkpointSeed32: Data(repeating: 7, count: 32),
            heartbeats: try await PostgresJobRepository.open(
                link: try await PostgresLink.open(url: url, size: 2)),
            nowMs: { clock.now })
    }

    func setTime(window: UInt64) { clock.set(window * windowMs + 5) }

    func heartbeat(_ book: LedgerKarmaBook, at t: UInt64, sequence: UInt64) async throws -> [RecordedEntry] {
        let signed = try Signed.sign(
            Heartbeat(node: alive.publicKey, timestampMs: t, sequence: sequence), with: alive)
        return try await book.submit(.heartbeat, body: signed.json())
    }

    @Test func closedWindowsAreCreditedAndLongSilenceIsSlashedOnce() async throws {
        var book = try openBook()
        try await book.writeGenesis([
            (alive.publicKey, 0, KarmaParameters.v2.minNodeBond),
            (silent.publicKey, 0, KarmaParameters.v2.minNodeBond),
        ])
        for k in UInt64(1)...3 {
            #expect(try await heartbeat(book, at: 100 * windowMs + k * 1000, sequence: k).isEmpty)
        }
        // Window 100 is still open: nothing to judge.
        #expect(try await book.sweepLiveness().isEmpty)

        // Window 100 closed with no later heartbeat: the sweep credits it (the node stopped).
        setTime(window: 101)
        let credited = try await book.sweepLiveness()
        #expect(credited.map(\.type) == ["uptime"])
        #expect(credited.first?.node == alive.publicKey.hex)
        #expect(try await book.sweepLiveness().isEmpty)  // once per window
        let aliveAccount = try #require(try await book.account(of: alive.publicKey, recent: 0))
        #expect(aliveAccount.scores["uptime"] == KarmaParameters.v2.uptimeRewardPerWindow)

        // 36 missed windows (100 … 135) for the silent node; 35 (101 … 135) for the other.
        setTime(window: 100 + KarmaParameters.v2.downtimeMissedWindows)
        let slashed = try await book.sweepLiveness()
        #expect(slashed.map(\.type) == ["slash/downtime", "jail"])
        #expect(slashed.allSatisfy { $0.node == silent.publicKey.hex })
        let silentAccount = try #require(try await book.account(of: silent.publicKey, recent: 0))
        #expect(silentAccount.jailed)
        #expect(silentAccount.bonded < KarmaParameters.v2.minNodeBond)

        // After a restart (state replayed from the ledger) the same stretch is not charged again;
        // one window later the other node's stretch reaches the threshold.
        book = try openBook()
        setTime(window: 101 + KarmaParameters.v2.downtimeMissedWindows)
        let next = try await book.sweepLiveness()
        #expect(next.map(\.type) == ["slash/downtime", "jail"])
        #expect(next.allSatisfy { $0.node == alive.publicKey.hex })
    }

    /// Heartbeats of an open window are journaled: reopening the book (a restart) loses none, and
    /// the window is credited once when the next window's heartbeat arrives.
    @Test(arguments: PostgresTestServer.backends)
    func journaledHeartbeatsSurviveARestart(backend: StorageBackend) async throws {
        let url = backend == .postgres ? try PostgresTestServer.freshDatabase() : nil
        var book = try await openBook(backend, url: url)
        try await book.writeGenesis([(alive.publicKey, 0, KarmaParameters.v2.minNodeBond)])
        for k in UInt64(1)...3 {
            #expect(try await heartbeat(book, at: 100 * windowMs + k * 1000, sequence: k).isEmpty)
        }
        book = try await openBook(backend, url: url)
        // The same heartbeat again is accepted without effect; an older one is refused.
        #expect(try await heartbeat(book, at: 100 * windowMs + 3000, sequence: 3).isEmpty)
        await #expect(throws: ValidatorError.self) {
            _ = try await heartbeat(book, at: 100 * windowMs + 2500, sequence: 9)
        }
        setTime(window: 101)
        let closing = try await heartbeat(book, at: 101 * windowMs + 1000, sequence: 4)
        #expect(closing.map(\.type) == ["uptime"])
        let account = try #require(try await book.account(of: alive.publicKey, recent: 0))
        #expect(account.scores["uptime"] == KarmaParameters.v2.uptimeRewardPerWindow)
        // The closed window left the journal: after another restart only window 101's heartbeat
        // is pending, and closing it (one heartbeat: too few) credits nothing.
        book = try await openBook(backend, url: url)
        setTime(window: 102)
        #expect(try await book.sweepLiveness().isEmpty)
        let after = try #require(try await book.account(of: alive.publicKey, recent: 0))
        #expect(after.scores["uptime"] == KarmaParameters.v2.uptimeRewardPerWindow)
    }

    /// A bonded validator heartbeats for itself on every sweep that is due: over more windows than
    /// `downtimeMissedWindows` it is credited uptime and never slashed, while a silent bonded node
    /// is.
    @Test func theValidatorHeartbeatsForItself() async throws {
        let validator = SchnorrSigningKey.generate()
        let book = try openBook(selfHeartbeatKey: validator)
        try await book.writeGenesis([
            (validator.publicKey, 0, KarmaParameters.v2.minNodeBond),
            (silent.publicKey, 0, KarmaParameters.v2.minNodeBond),
        ])
        let p = KarmaParameters.v2
        let step = p.heartbeatWindowMs / (p.minHeartbeatsPerWindow + 1)
        var entries: [RecordedEntry] = []
        let end = (100 + p.downtimeMissedWindows + 2) * windowMs
        var t = 100 * windowMs + 5
        while t < end {
            clock.set(t)
            entries += try await book.sweepLiveness()
            t += step
        }
        let mine = entries.filter { $0.node == validator.publicKey.hex }
        #expect(mine.count >= Int(p.downtimeMissedWindows))
        #expect(mine.allSatisfy { $0.type == "uptime" })
        #expect(entries.filter { $0.node == silent.publicKey.hex }.map(\.type) == ["slash/downtime", "jail"])
        let account = try #require(try await book.account(of: validator.publicKey, recent: 0))
        #expect(!account.jailed)
        #expect(account.bonded == KarmaParameters.v2.minNodeBond)
        #expect(account.scores["uptime"] == UInt64(mine.count) * p.uptimeRewardPerWindow)
    }
}
