import Foundation
import GRDB

/// What a full audit of a ledger database found.
public struct AuditReport: Sendable {
    /// The log's origin.
    public var origin: String
    /// Entries scanned (equals the stored tree size when nothing is missing).
    public var entriesScanned: UInt64
    /// The stored tree size.
    public var storedSize: UInt64
    /// Root recomputed from the stored entries.
    public var recomputedRoot: MerkleHash
    /// Signed checkpoints whose size and root were checked against the recomputed tree.
    public var checkpointsChecked: Int
    /// Signed checkpoints whose signature was verified with a known key.
    public var signaturesVerified: Int
    /// The first entry whose bytes do not hash to the stored leaf hash (or that is missing).
    public var firstCorruptedEntry: UInt64?
    /// Every problem found, in the order found (at most `LedgerAuditor.maxProblems`).
    public var problems: [LedgerError]

    /// `true` when nothing is wrong.
    public var isValid: Bool { problems.isEmpty }
}

/// Recomputes a whole ledger from its stored entries and checks every stored structure against
/// it: level-0 and upper tiles, partial tiles, the tree state, every signed checkpoint, and
/// optionally an externally supplied checkpoint. Never writes.
///
/// It reads through the ``LedgerStore`` port, so a log another process is appending to (a
/// validator serving it, a PostgreSQL cluster) audits as the tree it had when the audit read its
/// tree state: the checkpoints are read first (every one of them covers at most that tree), the
/// entries and full tiles it covers never change, and a partial tile stored wider since is
/// compared over the hashes the tree had.
public enum LedgerAuditor {
    /// Problems recorded before the audit stops listing more.
    public static let maxProblems = 32
    /// Entries read per store call.
    static let batchEntries: UInt64 = 4096

    /// Audits the SQLite ledger database at `path` (``audit(store:checkpoint:verifier:progress:)``
    /// after SQLite's own `quick_check`).
    ///
    /// - Throws: `.notALedger` or `.database` when the file cannot be read as a ledger at all.
    public static func audit(
        path: String, checkpoint: (note: String, verifier: NoteVerifier)? = nil,
        verifier: NoteVerifier? = nil,
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(LedgerError) -> AuditReport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .notALedger("\(path) does not exist")
        }
        let queue = try withDatabase { try DatabaseQueue(path: path, configuration: Configuration()) }
        let check = try withDatabase {
            try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        }
        let store = try SQLiteLedgerStore(path: path, readOnly: true)
        var report = try audit(store: store, checkpoint: checkpoint, verifier: verifier, progress: progress)
        if check != ["ok"] {
            report.problems.insert(
                .corrupted("SQLite quick_check: \(check.prefix(3).joined(separator: "; "))"), at: 0)
        }
        return report
    }

    /// Audits the ledger kept in `store` (opened read-only here).
    ///
    /// - Parameters:
    ///   - checkpoint: an extra signed checkpoint note to check, with the key that must sign it.
    ///   - verifier: the log key for stored checkpoints; defaults to the key recorded in the
    ///     store, if any.
    ///   - progress: called with (entries done, total) every 65,536 entries and at the end.
    /// - Returns: the report; `report.isValid` is `false` when anything is corrupted.
    /// - Throws: `.notALedger` or `.database` when the store cannot be read as a ledger at all.
    public static func audit(
        store: any LedgerStore, checkpoint: (note: String, verifier: NoteVerifier)? = nil,
        verifier: NoteVerifier? = nil,
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(LedgerError) -> AuditReport {
        let origin = try store.open(origin: nil, verifierKey: nil, readOnly: true)
        let run = AuditRun(store: store, origin: origin)
        do { try run.run(extra: checkpoint, verifier: verifier, progress: progress) } catch let e
            as LedgerError
        {
            throw e
        } catch {
            throw .database("\(error)")
        }
        return run.report
    }
}

/// The mutable state of one audit.
private final class AuditRun {
    let store: any LedgerStore
    var report: AuditReport
    var state = TreeState()
    /// Checkpoints still to check, by tree size.
    var wanted: [UInt64: [(what: String, root: MerkleHash)]] = [:]

    init(store: any LedgerStore, origin: String) {
        self.store = store
        self.report = AuditReport(
            origin: origin, entriesScanned: 0, storedSize: 0, recomputedRoot: RFC9162.emptyRoot,
            checkpointsChecked: 0, signaturesVerified: 0, firstCorruptedEntry: nil, problems: [])
    }

    func problem(_ e: LedgerError) {
        if report.problems.count < LedgerAuditor.maxProblems { report.problems.append(e) }
    }

    func corruptEntry(_ index: UInt64) {
        if report.firstCorruptedEntry.map({ index < $0 }) ?? true { report.firstCorruptedEntry = index }
        problem(.corruptedEntry(index: index))
    }

    func run(
        extra: (note: String, verifier: NoteVerifier)?, verifier: NoteVerifier?,
        progress: ((UInt64, UInt64) -> Void)?
    ) throws {
        // Checkpoints before the tree state: a checkpoint is stored after the entries it covers.
        let checkpoints = try store.checkpoints(latestOnly: false)
        let recordedKey = try store.verifierKey()
        let (storedSize, rootBytes) = try store.treeState()
        report.storedSize = storedSize
        // A stored root of the wrong length is no root: `nil` never equals the recomputed root,
        // so it is reported below as a mismatch, not skipped.
        let storedRoot = try? MerkleHash(bytes: rootBytes)

        try loadCheckpoints(checkpoints, recordedKey: recordedKey, extra: extra, verifier: verifier)
        checkCheckpoints(at: 0, root: RFC9162.emptyRoot)

        var completed: [TreeState.CompletedTile] = []
        scan: while state.size < storedSize {
            let range = state.size..<min(storedSize, state.size + LedgerAuditor.batchEntries)
            let rows = try store.entries(in: range)
            for data in rows {
                let h = data.withUnsafeBytes { RFC9162.hashLeaf(bytes: $0) }
                completed.removeAll(keepingCapacity: true)
                state.append(leafHash: h, completed: &completed)
                for c in completed { try compare(level: c.level, index: c.index, recomputed: c.tile) }
                // Checkpoints at the final size wait until the partial tiles are compared, so that a
                // damaged entry in the partial tile is reported by index first.
                if state.size < storedSize, wanted[state.size] != nil {
                    checkCheckpoints(at: state.size, root: state.root)
                }
                if state.size & 0xffff == 0 { progress?(state.size, storedSize) }
                if report.problems.count >= LedgerAuditor.maxProblems { break scan }
            }
            // Fewer rows than asked for: some are missing (the tiles name where, when they can).
            if rows.count < range.count { break }
        }
        report.entriesScanned = state.size
        progress?(state.size, storedSize)
        if state.size < storedSize {
            if report.problems.isEmpty { corruptEntry(state.size) }
            problem(.corrupted("tree size is \(storedSize) but only \(state.size) entries are stored"))
        }
        if state.size == storedSize {
            for (level, tile) in state.partial.enumerated() where tile.count > 0 {
                let index = TreeState.fullTileCount(size: state.size, level: level)
                try compare(level: level, index: index, recomputed: tile)
            }
        }
        report.recomputedRoot = state.root
        checkCheckpoints(at: state.size, root: report.recomputedRoot)
        if state.size == storedSize, storedRoot != report.recomputedRoot {
            problem(.corrupted("stored tree root does not match the root recomputed from the entries"))
        }
        for (size, list) in wanted.sorted(by: { $0.key < $1.key }) {
            for item in list {
                problem(
                    .corrupted("\(item.what) has size \(size), beyond the \(state.size) entries recomputed"))
            }
        }
    }

    func loadCheckpoints(
        _ rows: [(sequence: Int64, note: String)], recordedKey: String?,
        extra: (note: String, verifier: NoteVerifier)?, verifier: NoteVerifier?
    ) throws {
        var logVerifier = verifier
        if logVerifier == nil, let recordedKey {
            logVerifier = try NoteVerifier(verifierKey: recordedKey)
        }
        // Nothing but a signed checkpoint anchors the entries: without one (or without a key to
        // check it with) a rewritten database would pass every other check.
        if rows.isEmpty, report.storedSize > 0 {
            problem(
                .corrupted(
                    "the ledger holds \(report.storedSize) entries but no signed checkpoint: nothing anchors them"
                ))
        }
        if logVerifier == nil, !rows.isEmpty {
            problem(
                .corrupted(
                    "no verifier key to check the \(rows.count) signed checkpoints with: the database records "
                        + "none; give --key"))
        }
        for (seq, note) in rows {
            do {
                let stored = try Ledger.storedCheckpoint((seq, note))
                if let logVerifier {
                    guard try SignedNote(parsing: stored.note).isVerified(by: logVerifier) else {
                        throw LedgerError.signatureNotVerified(keyName: logVerifier.name)
                    }
                    report.signaturesVerified += 1
                }
                guard stored.checkpoint.origin == report.origin else {
                    throw LedgerError.originMismatch(
                        stored: report.origin, requested: stored.checkpoint.origin)
                }
                wanted[stored.checkpoint.size, default: []].append(
                    ("signed checkpoint #\(seq)", stored.checkpoint.rootHash))
            } catch {
                problem(.corrupted("signed checkpoint #\(seq): \(error)"))
            }
        }
        if let extra {
            do {
                let cp = try Checkpoint.open(
                    note: extra.note, verifier: extra.verifier, origin: report.origin)
                wanted[cp.size, default: []].append(("given checkpoint", cp.rootHash))
            } catch {
                problem(error)
            }
        }
    }

    func checkCheckpoints(at size: UInt64, root: MerkleHash) {
        guard let list = wanted.removeValue(forKey: size) else { return }
        for item in list {
            report.checkpointsChecked += 1
            if root != item.root {
                problem(
                    .corrupted(
                        "\(item.what) of size \(size) has root \(item.root.base64); entries give \(root.base64)"
                    ))
            }
        }
    }

    /// Compares a recomputed tile with the stored one; a level-0 difference names the entry. A
    /// stored tile wider than the recomputed one (appended to since the tree state was read) is
    /// compared over the recomputed width.
    func compare(level: Int, index: UInt64, recomputed: TileNodes) throws {
        let want = recomputed.bytes()
        let stored = try store.tile(id: LedgerSchema.tileKey(level: level, index: index)) ?? Data()
        let got = stored.count > want.count ? stored.prefix(want.count) : stored
        guard got != want else { return }
        var j = 0
        while j < recomputed.count, got.count >= (j + 1) * 32,
            got[got.startIndex + j * 32..<got.startIndex + (j + 1) * 32] == recomputed.rows[0][j].bytes
        {
            j += 1
        }
        if level == 0 {
            corruptEntry(index * 256 + UInt64(min(j, recomputed.count - 1)))
        } else {
            problem(.corrupted("stored tile \(level)/\(index) differs from the entries at hash \(j)"))
        }
    }
}
