import Foundation
import Receipts
import Synchronization
import TestSupport
import Testing

@testable import Validator

/// CPU-heavy work runs on dedicated threads with a bound (specs/service.md §2.3), and journal
/// writes are queued in order and group-committed off the caller.
@Suite struct ComputePoolTests {
    /// Blocks the pool's only thread until `release` is signalled.
    static func occupy(_ pool: ComputePool, until release: DispatchSemaphore) -> Task<Void, Never> {
        Task { await pool.run { release.wait() } }
    }

    @Test func shardsRunOnTheExecutorsPoolNotOnTheCallersThread() async throws {
        let pool = ComputePool(threads: 1)
        let executor = try KernelShardExecutor.open(modelDirectory: nil, includeTiny: true).running(on: pool)
        let model = try KernelShardExecutor.tinyModel()
        let input = try KernelShardExecutor.tokenTensor([1, 2, 3])
        let release = DispatchSemaphore(value: 0)
        let blocker = Self.occupy(pool, until: release)
        try await Task.sleep(for: .milliseconds(50))
        let finished = Atomic(false)
        let shard = Task {
            let result = try await executor.execute(modelID: model.id, layers: 0..<2, input: input)
            finished.store(true, ordering: .sequentiallyConsistent)
            return result
        }
        // The pool's one thread is taken: the shard waits for it, while this task (on the
        // cooperative pool) keeps running.
        try await Task.sleep(for: .milliseconds(200))
        let early = finished.load(ordering: .sequentiallyConsistent)
        #expect(!early, "the shard ran outside its pool")
        release.signal()
        await blocker.value
        let result = try await shard.value
        let late = finished.load(ordering: .sequentiallyConsistent)
        #expect(late)
        #expect(result.commitment == (try executor.commitment(ofTensor: result.output)))
    }

    @Test func theBoundIsTheThreadCount() async {
        let pool = ComputePool(threads: 2)
        final class Occupancy: Sendable {
            let state = Mutex((running: 0, peak: 0))
        }
        let occupancy = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await pool.run {
                        occupancy.state.withLock {
                            $0.running += 1
                            $0.peak = max($0.peak, $0.running)
                        }
                        Thread.sleep(forTimeInterval: 0.02)
                        occupancy.state.withLock { $0.running -= 1 }
                    }
                }
            }
        }
        let highest = occupancy.state.withLock { $0.peak }
        #expect(highest == 2)
    }

    @Test func queuedWritesKeepTheirOrderAndShareCommits() async throws {
        let release = DispatchSemaphore(value: 0)
        let batches = Mutex<[[Int]]>([])
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit") { batch throws(ValidatorError) in
            if batch == [0] { release.wait() }
            batches.withLock { $0.append(batch) }
            return batch.map { .success($0 * 10) }
        }
        // The first write holds the drain; the next 99 queue behind it and commit together.
        let tickets = (0..<100).map { committer.enqueue($0) }
        release.signal()
        for (i, ticket) in tickets.enumerated().reversed() {
            #expect(try await ticket.outcome() == i * 10)
        }
        let seen = batches.withLock { $0 }
        #expect(seen.flatMap { $0 } == Array(0..<100))
        #expect(seen.count <= 3, "\(seen.count) commits for 100 queued writes")
    }
}
