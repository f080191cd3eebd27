import Synchronization

/// A first-come, first-served async lock shared by tasks that are not one actor's (``SerialGate``
/// serves a single actor): the settlement lanes and the liveness sweep hold it from reading the
/// karma state they decide on to appending what they decided.
///
/// Not re-entrant: a task holding the gate must not ``enter()`` it again.
final class AsyncGate: Sendable {
    private let state = Mutex(SerialGate())

    init() {}

    /// Waits until the gate is free, and takes it.
    func enter() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let taken = state.withLock { gate in
                if gate.tryTake() { return true }
                gate.wait(waiter)
                return false
            }
            if taken { waiter.resume() }
        }
    }

    /// Releases the gate to the longest waiter, or frees it.
    func leave() {
        state.withLock { $0.leave() }
    }

    /// Runs `body` holding the gate.
    func run<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await enter()
        defer { leave() }
        return try await body()
    }
}
