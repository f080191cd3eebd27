import Foundation
import Karma
import Ledger
import Receipts

/// What the console lists page through, kept beside the karma state as entries are replayed and
/// appended: each node's entries (index and the change to its earned karma) and the slash
/// entries. 16 bytes per entry that changes an account, 40 per slash.
struct ConsoleIndex: Sendable {
    /// Per node, in ledger order.
    private(set) var history: [XOnlyPublicKey: [(index: UInt64, delta: Int64)]] = [:]
    /// Slash entries in ledger order, with the slashed node.
    private(set) var slashes: [(index: UInt64, node: XOnlyPublicKey)] = []

    mutating func observe(_ entry: KarmaEntry, index: UInt64, before: Account, after: Account) {
        if entry.nodes.isEmpty { return }  // `model` and `parameters` entries change no account
        if case .genesis(let allocations) = entry.body {
            // One entry, every allocated node: each one's earned karma starts at its balance.
            for a in allocations { history[a.node, default: []].append((index, Int64(clamping: a.balance))) }
            return
        }
        let delta =
            Int64(clamping: after.balance &+ after.escrow) &- Int64(clamping: before.balance &+ before.escrow)
        history[entry.node, default: []].append((index, delta))
        if case .slash = entry.body { slashes.append((index, entry.node)) }
    }

    /// Up to `limit` items of `items` (ascending by index) with index below `before`, newest first.
    static func page<T>(_ items: [T], index: (T) -> UInt64, before: UInt64?, limit: Int) -> [T] {
        guard limit > 0 else { return [] }
        // First position whose index is ≥ before (binary search; items ascend).
        var end = items.count
        if let before {
            var lo = 0
            var hi = items.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if index(items[mid]) < before { lo = mid + 1 } else { hi = mid }
            }
            end = lo
        }
        return Array(items[max(0, end - limit)..<end].reversed())
    }
}

extension LedgerKarmaBook {
    /// A page of `node`'s entries, newest first (see `KarmaLedger.history`).
    public func history(of node: XOnlyPublicKey, before: UInt64?, limit: Int) async throws(ValidatorError)
        -> NodeHistoryPage?
    {
        guard let all = consoleIndex.history[node] else {
            return currentState.accounts[node] == nil
                ? nil : NodeHistoryPage(node: node.hex, entries: [], next: nil)
        }
        let page = ConsoleIndex.page(all, index: \.index, before: before, limit: limit)
        var entries: [NodeHistoryPage.Entry] = []
        for item in page {
            let entry = try await decodedEntry(at: item.index)
            entries.append(
                .init(
                    index: item.index, type: RecordedEntry.typeName(entry), delta: item.delta,
                    detail: Self.detail(entry), timestampMs: entry.timestampMs,
                    job: Self.jobID(of: entry)?.hex))
        }
        let next = page.last.flatMap { last in all.first?.index == last.index ? nil : last.index }
        return NodeHistoryPage(node: node.hex, entries: entries, next: next)
    }

    /// Slash entries, newest first, optionally only `node`'s (see `KarmaLedger.slashes`).
    public func slashes(node: XOnlyPublicKey?, before: UInt64?, limit: Int) async throws(ValidatorError)
        -> EntryPage
    {
        let all = node.map { n in consoleIndex.slashes.filter { $0.node == n } } ?? consoleIndex.slashes
        let page = ConsoleIndex.page(all, index: \.index, before: before, limit: limit)
        var entries: [LedgerEntryView] = []
        for item in page { entries.append(try await entry(at: item.index)) }
        let next = page.last.flatMap { last in all.first?.index == last.index ? nil : last.index }
        return EntryPage(entries: entries, next: next)
    }

    /// Entry `index` with its canonical bytes and JSON form (see `KarmaLedger.entry(at:)`).
    public func entry(at index: UInt64) async throws(ValidatorError) -> LedgerEntryView {
        let size = ledger.size
        guard index < size else {
            throw .notFound("ledger entry \(index) (the ledger holds \(size) entries)")
        }
        let data: Data
        do { data = try await ledger.reading { l throws(LedgerError) in try l.entry(at: index) } } catch {
            throw .storage("reading ledger entry \(index): \(error)")
        }
        let entry: KarmaEntry
        do { entry = try KarmaEntry(canonicalBytes: data) } catch {
            throw .storage("ledger entry \(index) is no karma entry: \(error)")
        }
        return LedgerEntryView(
            index: index, data: data, type: RecordedEntry.typeName(entry),
            node: entry.nodes.isEmpty ? nil : entry.node.hex, job: Self.jobID(of: entry)?.hex,
            entry: entry.jsonObject())
    }

    private func decodedEntry(at index: UInt64) async throws(ValidatorError) -> KarmaEntry {
        do {
            let bytes = try await ledger.reading { l throws(LedgerError) in try l.entry(at: index) }
            return try KarmaEntry(canonicalBytes: bytes)
        } catch {
            throw .storage("reading ledger entry \(index): \(error)")
        }
    }

    /// The job an entry is about: accruals of a job, its audit draw, and slashes whose evidence
    /// is a receipt of one (or a correlation penalty for one).
    static func jobID(of entry: KarmaEntry) -> Digest32? {
        switch entry.body {
        case .auditDraw(let d): d.jobID
        case .inference(let a): a.jobID
        case .redundancy(let a): a.jobID
        case .validation(let a): a.jobID
        case .slash(let s):
            switch s.offence {
            case .equivocation(let first, _): first.receipt.jobID
            case .wrongOutput(let receipt, _): receipt.receipt.jobID
            case .invalidProof(let receipt, _, _): receipt.receipt.jobID
            case .correlation(let job): job
            case .downtime: nil
            }
        default: nil
        }
    }
}
