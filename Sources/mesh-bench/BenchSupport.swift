import Dispatch
import Foundation
import Ledger

// Shared helpers for every benchmark in mesh-bench (owned by the lead; use, do not copy).

/// Seconds taken by `body`.
func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A rate with thousands separators.
func fmt(_ v: Double) -> String {
    let f = NumberFormatter()
    f.numberStyle = .decimal
    f.maximumFractionDigits = 0
    return f.string(from: NSNumber(value: v)) ?? "\(Int(v))"
}

/// The best (smallest) of `rounds` timings of `body`, in seconds.
func bestOf(_ rounds: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<max(1, rounds) { best = min(best, time(body)) }
    return best
}

/// The `p`-quantile (0...1) of `samples` (nearest rank); 0 for no samples.
func percentile(_ samples: [Double], _ p: Double) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sorted = samples.sorted()
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// CPU time (user + system) of the calling thread so far, seconds.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time (user + system) of this process so far, all threads, seconds.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec)
        / 1e6
}

/// CPU time (user + system) of every process named `postgres` on this machine so far, seconds,
/// from /proc/PID/stat (fields 14 and 15, in clock ticks). Backends that exit between two
/// readings take their time with them, so compare readings around a phase that keeps its
/// connections open.
func postgresServerCPUSeconds() -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var total = 0.0
    // A benchmark figure, not a verdict: an unreadable /proc counts nothing, and a process that
    // exits between the listing and the read is skipped.
    for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
            stat[stat.index(after: open)..<close] == "postgres"
        else { continue }
        // Fields after the command: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            continue
        }
        total += (user + system) / ticks
    }
    return total
}

/// A new, empty database `mesh_bench_NAME_xxxxxxxx` on the PostgreSQL server of `url`; its URL.
func freshBenchDatabase(_ name: String, on url: String) throws -> String {
    let admin = try PostgresLink(url: url, size: 1)
    let database = "mesh_bench_\(name)_\(UUID().uuidString.prefix(8).lowercased())"
    try admin.withConnection { c in try c.run("CREATE DATABASE \(unescaped: database)", logger: admin.logger)
    }
    return admin.endpoint.with(database: database).url
}
