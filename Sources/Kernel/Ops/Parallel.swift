import Dispatch

/// A pointer wrapper that may cross into `concurrentPerform` workers. Each worker writes a
/// disjoint range, so there is no data race.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// Runs `body(begin, end)` over `[0, count)` split into `threads` contiguous ranges, each a
/// multiple of `granularity` (except the last). Sequential when `threads == 1`.
func parallelRanges(
    count: Int, threads: Int, granularity: Int = 1,
    _ body: @Sendable (_ begin: Int, _ end: Int) -> Void
) {
    let t = max(1, min(threads, (count + granularity - 1) / max(granularity, 1)))
    if t <= 1 {
        if count > 0 { body(0, count) }
        return
    }
    let units = (count + granularity - 1) / granularity
    DispatchQueue.concurrentPerform(iterations: t) { i in
        let b = min(count, (units * i / t) * granularity)
        let e = min(count, (units * (i + 1) / t) * granularity)
        if b < e { body(b, e) }
    }
}
