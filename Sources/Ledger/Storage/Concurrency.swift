import Dispatch
import Foundation

/// A value guarded by a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// Group commit: appends from any number of tasks queue up while one transaction is being
/// committed, and the next transaction takes all of them. One dedicated serial queue does every
/// write, so storage code never runs on (or blocks) the cooperative thread pool.
final class GroupCommitter: @unchecked Sendable {
    typealias Commit = @Sendable ([Data]) throws -> [AppendResult]

    private struct Pending {
        var entries: [Data]
        var continuation: CheckedContinuation<[AppendResult], any Error>
    }

    private let lock = NSLock()
    private var pending: [Pending] = []
    private var running = false
    private let queue = DispatchQueue(label: "mesh.ledger.writer", qos: .userInitiated)
    private let maxBatchEntries: Int
    private let commit: Commit

    init(maxBatchEntries: Int, commit: @escaping Commit) {
        self.maxBatchEntries = maxBatchEntries
        self.commit = commit
    }

    /// Queues `entries` for the next group commit and returns their results once durable.
    func submit(_ entries: [Data]) async throws -> [AppendResult] {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            pending.append(Pending(entries: entries, continuation: continuation))
            let start = !running
            running = true
            lock.unlock()
            if start { queue.async { self.drainOnce() } }
        }
    }

    /// Runs `work` on the writer queue, between two group commits.
    func perform<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try work()) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Runs `work` on the writer queue and waits (for synchronous callers).
    func performSync<T>(_ work: () throws -> T) rethrows -> T {
        try queue.sync(execute: work)
    }

    private func drainOnce() {
        lock.lock()
        guard !pending.isEmpty else {
            running = false
            lock.unlock()
            return
        }
        var batch: [Pending] = []
        var count = 0
        var taken = 0
        while taken < pending.count, count < maxBatchEntries {
            count += pending[taken].entries.count
            taken += 1
        }
        batch = Array(pending[0..<taken])
        pending.removeFirst(taken)
        lock.unlock()

        var all: [Data] = []
        all.reserveCapacity(count)
        for p in batch { all.append(contentsOf: p.entries) }
        do {
            let results = try commit(all)
            var offset = 0
            for p in batch {
                p.continuation.resume(returning: Array(results[offset..<(offset + p.entries.count)]))
                offset += p.entries.count
            }
        } catch {
            for p in batch { p.continuation.resume(throwing: error) }
        }
        // Yield the queue so that work queued with `perform` (checkpoint signing) interleaves.
        queue.async { self.drainOnce() }
    }
}

/// A bounded cache of expanded full tiles (full tiles are immutable, so entries never go stale).
final class TileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tiles: [UInt64: TileNodes] = [:]
    private var fifo: [UInt64] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func get(_ key: UInt64) -> TileNodes? {
        lock.lock()
        defer { lock.unlock() }
        return tiles[key]
    }

    func insert(_ key: UInt64, _ tile: TileNodes) {
        lock.lock()
        defer { lock.unlock() }
        guard tiles.updateValue(tile, forKey: key) == nil else { return }
        if fifo.count < capacity {
            fifo.append(key)
        } else {
            tiles.removeValue(forKey: fifo[head])
            fifo[head] = key
            head = (head + 1) % capacity
        }
    }
}

/// Runs blocking work (a storage call that waits on the network, see ``LedgerStore``) on a
/// dispatch queue and suspends the calling task until it is done, so that no cooperative thread
/// blocks.
///
/// - Parameters:
///   - queue: where `body` runs (default: the global queue; GCD adds threads for blocked work).
///   - body: the blocking work; its typed error is rethrown.
public func runBlocking<T: Sendable, E: Error>(
    on queue: DispatchQueue = .global(qos: .userInitiated), _ body: @escaping @Sendable () throws(E) -> T
) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        queue.async {
            do throws(E) { continuation.resume(returning: .success(try body())) } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}
