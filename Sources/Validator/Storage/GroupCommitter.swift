import Dispatch
import Synchronization

/// Runs many concurrent single-item writes as few batch writes (group commit): callers `submit`
/// one item and wait; a single drain loop on its own dispatch queue takes everything queued so far
/// and hands it to `commit` in one call (one transaction, one fsync), then resumes every caller
/// with its own result.
///
/// Ordering: items are committed in submission order. A thrown `commit` fails every item of that
/// batch with the same error (nothing of the batch is acknowledged).
final class GroupCommitter<Item: Sendable, Outcome: Sendable>: Sendable {
    typealias Commit = @Sendable ([Item]) throws(ValidatorError) -> [Result<Outcome, ValidatorError>]

    private struct Waiting {
        var item: Item
        var ticket: DurableWrite<Outcome>
    }

    private struct State {
        var queue: [Waiting] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let commit: Commit
    private let queue: DispatchQueue
    private let maxBatch: Int

    /// - Parameters:
    ///   - label: dispatch queue label (shows in stack traces).
    ///   - maxBatch: largest number of items per `commit` call.
    ///   - commit: writes a batch durably and returns one result per item, in order.
    init(label: String, maxBatch: Int = 2048, commit: @escaping Commit) {
        self.commit = commit
        self.maxBatch = max(1, maxBatch)
        self.queue = DispatchQueue(label: label)
    }

    /// Queues `item` and returns its outcome once the batch holding it is durable.
    func submit(_ item: Item) async throws(ValidatorError) -> Outcome {
        try await enqueue(item).outcome()
    }

    /// Queues `item` now (its place in the commit order is fixed when this returns) and returns
    /// the ticket to await its outcome, so a caller can queue inside a critical section and wait
    /// outside it.
    func enqueue(_ item: Item) -> DurableWrite<Outcome> {
        let ticket = DurableWrite<Outcome>()
        let startDrain = state.withLock { s in
            s.queue.append(Waiting(item: item, ticket: ticket))
            if s.draining { return false }
            s.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
        return ticket
    }

    private func drain() {
        while true {
            let batch: [Waiting] = state.withLock { s in
                if s.queue.isEmpty {
                    s.draining = false
                    return []
                }
                let n = min(s.queue.count, maxBatch)
                let taken = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                return taken
            }
            if batch.isEmpty { return }
            do {
                let results = try commit(batch.map(\.item))
                for (i, waiting) in batch.enumerated() {
                    waiting.ticket.resolve(
                        i < results.count
                            ? results[i] : .failure(.internalFailure("group commit returned too few results"))
                    )
                }
            } catch {
                for waiting in batch { waiting.ticket.resolve(.failure(error)) }
            }
        }
    }
}

/// The outcome of one queued durable write, resolved once by the committer; awaited by any number
/// of callers.
public final class DurableWrite<Outcome: Sendable>: Sendable {
    private struct State {
        var result: Result<Outcome, ValidatorError>?
        var waiters: [CheckedContinuation<Result<Outcome, ValidatorError>, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Waits until the write is durable (or failed) and returns its outcome.
    public func outcome() async throws(ValidatorError) -> Outcome {
        let result = await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Result<Outcome, ValidatorError>? in
                if let result = s.result { return result }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        return try result.get()
    }

    func resolve(_ result: Result<Outcome, ValidatorError>) {
        let waiters = state.withLock { s in
            s.result = result
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }
}
