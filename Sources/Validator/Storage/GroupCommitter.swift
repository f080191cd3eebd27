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
        var continuation: CheckedContinuation<Outcome, any Error>
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
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let startDrain = state.withLock { s in
                    s.queue.append(Waiting(item: item, continuation: continuation))
                    if s.draining { return false }
                    s.draining = true
                    return true
                }
                if startDrain { queue.async { self.drain() } }
            }
        } catch let error as ValidatorError {
            throw error
        } catch {
            throw .internalFailure("group commit: \(error)")
        }
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
                    if i < results.count {
                        waiting.continuation.resume(with: results[i].mapError { $0 as any Error })
                    } else {
                        waiting.continuation.resume(
                            throwing: ValidatorError.internalFailure("group commit returned too few results"))
                    }
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
