import Foundation
import Hummingbird
import HummingbirdTesting
import Karma
import Receipts
import Synchronization
import Testing

@testable import Validator

/// A gate shard runs wait at until the test opens it: a shard that takes as long as the test
/// wants, without timing (`GatedExecutor(hold:)`).
final class KernelGate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>], runs: Int)>(
        (false, [], 0))

    /// Counts a run and waits until the gate is open.
    func pass() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let go = state.withLock { s -> Bool in
                s.runs += 1
                if s.open { return true }
                s.waiting.append(c)
                return false
            }
            if go { c.resume() }
        }
    }

    /// Lets every waiting and later run through.
    func open() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in waiting { c.resume() }
    }

    /// Runs that reached the gate.
    var runs: Int { state.withLock { $0.runs } }
}

/// specs/service.md §2.3: the settlement loop never waits for the kernel. Jobs that need a
/// re-execution (a dispute, an audit) go to the compute lane; the others settle meanwhile, and a
/// sweep never hands a job in the lane to the loop again.
@Suite struct SettlementLaneTests {
    static func executor(_ gate: KernelGate) -> GatedExecutor {
        GatedExecutor(
            inner: FakeExecutor(models: [FakeExecutor.sha(Data("model".utf8))]), delay: .zero, hold: gate)
    }

    /// Runs the settlement loop and the compute lane around `body`, then stops them.
    func withLanes(_ h: Harness, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await h.core.runSettlementLoop() }
            group.addTask { await h.core.runComputeLane() }
            do { try await body() } catch {
                h.core.stopSettlementLoop()
                throw error
            }
            h.core.stopSettlementLoop()
            try await group.waitForAll()
        }
    }

    /// Polls the job's view until `done` holds (at most ~20 s; then the last view is returned).
    func view(_ h: Harness, _ n: Int, until done: (JobView) -> Bool) async throws -> JobView {
        var last: JobView?
        for _ in 0..<2_000 {
            let v = try await h.core.view(of: h.jobID(n))
            if done(v) { return v }
            last = v
            try await Task.sleep(for: .milliseconds(10))
        }
        return try #require(last)
    }

    func post(_ h: Harness, job n: Int, wrongFrom node: Int? = nil) async throws {
        try await Application(router: h.router).test(.router) { client in
            let announced = try await client.send(.post, "/v1/jobs", h.jobBody(n))
            #expect(announced.status == 201)
            for i in 0..<3 {
                let out = i == node ? Data("wrong".utf8) : nil
                let reply = try await client.send(
                    .post, "/v1/receipts", h.receiptBody(job: n, node: i, output: out))
                #expect(reply.status == 202)
            }
        }
    }

    @Test func aUnanimousJobSettlesWhileADisputeWaitsForTheKernel() async throws {
        let kernel = KernelGate()
        let h = try Harness(executor: Self.executor(kernel), reExecute: .onDispute)
        try await withLanes(h) {
            try await post(h, job: 1, wrongFrom: 2)  // needs a re-execution: blocks in the kernel
            try await post(h, job: 2)
            let second = try await view(h, 2) { $0.status.isFinal }
            #expect(second.status == .settled && second.settlement?.method == "consensus")
            let first = try await h.core.view(of: h.jobID(1))
            #expect(first.status == .settling, "the dispute is still in the kernel")
            // Sweeps queue every `settling` job; the one in the compute lane is not run again.
            await h.core.sweep()
            await h.core.sweep()
            kernel.open()
            let settled = try await view(h, 1) { $0.status.isFinal }
            #expect(settled.status == .disputed && settled.settlement?.method == "re-execution")
            #expect(kernel.runs == 1)
        }
    }

    /// `audited`: a job its draw chose waits for the kernel in the compute lane with its draw, and
    /// its entries start with that draw; a job accepted after its draw settles meanwhile.
    @Test func anAuditedJobIsReexecutedInTheLaneWithItsDraw() async throws {
        let kernel = KernelGate()
        let h = try Harness(executor: Self.executor(kernel), reExecute: .audited, auditPPM: 1_000_000)
        try await withLanes(h) {
            try await post(h, job: 1)
            _ = try await view(h, 1) { _ in kernel.runs == 1 }
            #expect(try await h.core.view(of: h.jobID(1)).status == .settling)
            kernel.open()
            let v = try await view(h, 1) { $0.status.isFinal }
            #expect(v.status == .settled && v.settlement?.method == "re-execution")
            #expect(v.settlement?.audit?.audited == true && v.settlement?.audit?.probabilityPPM == 1_000_000)
            let types = h.karma.entries.map(RecordedEntry.typeName)
            #expect(types.first == "auditDraw" && types.contains("validation"))
            #expect(kernel.runs == 1)
        }
    }
}
