import CKernelSIMD

/// A pointer wrapper that may cross into pool workers. Each worker writes a disjoint range, so
/// there is no data race.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// One `parallelRanges` call as the C pool sees it: the body and the fixed partition.
private struct RangeJob {
    let body: (Int, Int) -> Void
    let count: Int
    let units: Int
    let tasks: Int
    let granularity: Int

    /// Task `i` covers `[b, e)`: a contiguous slice of whole `granularity` units.
    func run(_ i: Int) {
        let b = min(count, (units * i / tasks) * granularity)
        let e = min(count, (units * (i + 1) / tasks) * granularity)
        if b < e { body(b, e) }
    }
}

/// Runs `body(begin, end)` over `[0, count)` split into contiguous ranges of whole
/// `granularity` units (the last may be shorter) on the persistent worker pool of `threads`
/// threads (`mesh_parallel_run`: no thread is created or dispatched per call). With more than one
/// thread there are up to `4 * threads` ranges, which the caller and the workers claim one at a
/// time, so a worker the OS has descheduled does not hold the others up. Sequential when
/// `threads == 1`. The partition depends only on `count`, `threads` and `granularity`, and every
/// kernel body writes disjoint outputs with exact integer arithmetic, so results never depend on
/// the thread count or on which thread ran which range.
func parallelRanges(
    count: Int, threads: Int, granularity: Int = 1,
    _ body: @Sendable (_ begin: Int, _ end: Int) -> Void
) {
    let g = max(granularity, 1)
    let units = (count + g - 1) / g
    if threads <= 1 || units <= 1 {
        if count > 0 { body(0, count) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let tasks = min(units, 4 * min(threads, 64))
        var job = RangeJob(body: escapable, count: count, units: units, tasks: tasks, granularity: g)
        withUnsafeMutablePointer(to: &job) { p in
            _ = mesh_parallel_run(
                Int32(clamping: threads), tasks,
                { ctx, i in
                    ctx!.assumingMemoryBound(to: RangeJob.self).pointee.run(i)
                }, p)
        }
    }
}
