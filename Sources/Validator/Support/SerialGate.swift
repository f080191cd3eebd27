/// A first-come, first-served lock for an actor's multi-step operations that suspend.
///
/// An actor runs one task at a time only between suspension points: a method that stages a
/// change from the actor's state, `await`s a durable write and then publishes the staged state is
/// re-entered by every other caller while it waits. Two such calls staged from the same state
/// publish conflicting results (the later overwrites the earlier). Holding the gate from staging to
/// publishing makes those steps one critical section.
///
/// Owned by one actor's isolated state and used only from it. Not re-entrant: code holding the
/// gate must not wait for it again (that would wait forever).
struct SerialGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Takes the gate when it is free; returns `false` when the caller must ``wait(_:)``.
    mutating func tryTake() -> Bool {
        if held { return false }
        held = true
        return true
    }

    /// Queues a waiter; ``leave()`` resumes it holding the gate.
    mutating func wait(_ waiter: CheckedContinuation<Void, Never>) { waiters.append(waiter) }

    /// Releases the gate: hands it to the longest waiter (which resumes holding it), or frees it.
    mutating func leave() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }
}
