import Foundation
import Ledger

/// Dedicated threads for CPU-bound work — kernel re-execution and proof verification — so that it
/// never runs on Swift's cooperative pool (two threads on a 2-core machine), where a shard that
/// takes seconds would stall HTTP handling, heartbeats and the ledger (specs/service.md §2.3).
///
/// At most `threads` jobs run at once; more wait in the pool's queue, in order. The awaiting task
/// suspends (it does not block a cooperative thread).
public final class ComputePool: Sendable {
    /// The bound on concurrent jobs.
    public var threads: Int { pool.threads }
    private let pool: BlockingPool

    /// Starts `threads` (≥ 1) threads; they live as long as the pool.
    public init(threads: Int) { pool = BlockingPool(threads: threads) }

    /// The default for executors built without one: one thread per core less one (at least one),
    /// leaving a core for the service.
    public static let shared = ComputePool(threads: defaultThreads)

    /// `activeProcessorCount − 1`, at least 1.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    /// Runs `body` on one of the pool's threads and returns its result (or rethrows its error).
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T
    {
        try await pool.run(body)
    }
}
