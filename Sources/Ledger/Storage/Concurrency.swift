import Dispatch
import Foundation
import NIOPosix

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

/// Threads of their own for blocking work: storage calls that wait on the network or the disk
/// (``LedgerStore`` explains why the ports are synchronous), called from async code.
///
/// Not Swift's cooperative threads (as many as cores; each blocked one stalls the process's
/// tasks), nor GCD's global or concurrent queues: while blocked work holds their threads, GCD
/// adds threads slowly — about one a second on Linux — so work queued behind sixteen blocked
/// calls, a deadline's timer included, waits some sixteen seconds. A pool's threads run only its
/// own work; they are started with the pool and end when it is released.
public final class BlockingPool: Sendable {
    /// Threads in the pool: at most this many bodies run at once, the others wait in order.
    public let threads: Int
    private let pool: NIOThreadPool

    /// - Parameter threads: at least 1.
    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Lets queued bodies run, then the threads end.
    deinit { pool.shutdownGracefully { _ in } }

    /// For one-off blocking calls without a pool of their own (opening a store, a lease
    /// renewal, a migration step): 16 threads, kept for the life of the process.
    public static let shared = BlockingPool(threads: 16)

    /// Runs `body` on one of the pool's threads and suspends the calling task until it is done.
    /// A pool that is being released runs `body` on the caller's thread instead.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T
    {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            pool.submit { _ in
                do throws(E) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// Runs blocking work (a storage call that waits on the network, see ``LedgerStore``) on the
/// threads of `pool` and suspends the calling task until it is done, so that no cooperative
/// thread blocks.
///
/// - Parameters:
///   - pool: whose threads run `body` (default: ``BlockingPool/shared``).
///   - body: the blocking work; its typed error is rethrown.
public func runBlocking<T: Sendable, E: Error>(
    on pool: BlockingPool = .shared, _ body: @escaping @Sendable () throws(E) -> T
) async throws(E) -> T {
    try await pool.run(body)
}
