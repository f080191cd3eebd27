import Foundation

/// Runs blocking `body` on a thread of its own and suspends the calling task until it is done.
/// Async tests call blocking code (sockets, child processes, `concurrentPerform`) through this:
/// blocking one of Swift's cooperative threads — two on a 2-core machine — starves every other
/// task of the test process, the in-process validators of the suites running alongside included.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Runs blocking `body` on a thread of its own and waits at most `seconds` for it: its result, or
/// `nil` when it has not finished (the thread is left to finish or hang on its own). For tests
/// of code that must not block for ever, so a regression fails the test instead of hanging it.
public func finishing<T: Sendable>(within seconds: Double, _ body: @escaping @Sendable () throws -> T)
    -> Result<T, any Error>?
{
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Thread {
        box.result = Result { try body() }
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return box.result
}

/// Where ``finishing(within:_:)``'s thread leaves its result (written before the semaphore signals).
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
