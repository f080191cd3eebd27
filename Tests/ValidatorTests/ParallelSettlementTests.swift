import Foundation
import Hummingbird
import HummingbirdTesting
import Karma
import Receipts
import Synchronization
import Testing

@testable import Validator

/// A `FakeExecutor` that takes `delay` per run (and, with `hold`, first waits at that gate) and
/// records how many runs were in flight at once.
struct GatedExecutor: ShardExecutor {
    let inner: FakeExecutor
    let delay: Duration
    var hold: KernelGate? = nil
    let counters = Counters()

    final class Counters: Sendable {
        let value = Mutex<(inFlight: Int, most: Int, runs: Int)>((0, 0, 0))
        func enter() {
            value.withLock {
                $0.inFlight += 1
                $0.most = max($0.most, $0.inFlight)
                $0.runs += 1
            }
        }
        func leave() { value.withLock { $0.inFlight -= 1 } }
        var most: Int { value.withLock { $0.most } }
        var runs: Int { value.withLock { $0.runs } }
    }

    func commitment(ofTensor bytes: Data) throws(ValidatorError) -> Digest32 {
        try inner.commitment(ofTensor: bytes)
    }
    func canExecute(modelID: Digest32, layers: Range<UInt32>) -> Bool {
        inner.canExecute(modelID: modelID, layers: layers)
    }
    func multiplyAccumulates(modelID: Digest32, layers: Range<UInt32>, input: Data) throws(ValidatorError)
        -> UInt64
    {
        try inner.multiplyAccumulates(modelID: modelID, layers: layers, input: input)
    }
    func execute(modelID: Digest32, layers: Range<UInt32>, input: Data) async throws(ValidatorError)
        -> ShardExecution
    {
        counters.enter()
        defer { counters.leave() }
        if let hold { await hold.pass() }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return try await inner.execute(modelID: modelID, layers: layers, input: input)
    }
    var most: Int { counters.most }
    /// Runs started so far.
    var runs: Int { counters.runs }
}

/// specs/service.md §2.3: the jobs of a settlement batch are planned `computeThreads` at a time,
/// and their ledger entries are appended in the batch's order whatever order the plans finish in.
@Suite struct ParallelSettlementTests {
    func settleSix(threads: Int) async throws -> (Harness, GatedExecutor, [Digest32]) {
        let executor = GatedExecutor(
            inner: FakeExecutor(models: [FakeExecutor.sha(Data("model".utf8))]), delay: .milliseconds(40))
        let h = try Harness(executor: executor, computeThreads: threads)
        let jobs = Array(1...6)
        try await Application(router: h.router).test(.router) { client in
            for n in jobs {
                #expect(try await client.send(.post, "/v1/jobs", h.jobBody(n)).status == 201)
                for i in 0..<3 {
                    // Job 4: node 2 returns a wrong output, so the batch mixes verdicts.
                    let body =
                        n == 4 && i == 2
                        ? try h.receiptBody(job: n, node: i, output: Data("wrong".utf8))
                        : try h.receiptBody(job: n, node: i)
                    #expect(try await client.send(.post, "/v1/receipts", body).status == 202)
                }
            }
        }
        let ids = jobs.map(h.jobID)
        let settled = try await h.core.settler.settle(batch: ids.map { ($0, nil) })
        #expect(settled.count == 6)
        return (h, executor, ids)
    }

    @Test func aBatchIsPlannedConcurrentlyAndRecordedInOrder() async throws {
        let (h, executor, ids) = try await settleSix(threads: 3)
        #expect(executor.most >= 2, "re-executions overlapped (most in flight: \(executor.most))")
        #expect(executor.most <= 3)
        // The validator's credits follow the batch order.
        let validated = h.karma.entries.compactMap { entry -> Digest32? in
            if case .validation(let v) = entry.body { return v.jobID }
            return nil
        }
        #expect(validated == ids)
        #expect(h.karma.slashes.count == 1, "job 4's wrong output is slashed")
    }

    @Test func oneComputeThreadPlansOneJobAtATime() async throws {
        let (_, executor, _) = try await settleSix(threads: 1)
        #expect(executor.most == 1)
    }
}
