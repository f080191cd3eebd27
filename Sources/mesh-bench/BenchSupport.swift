import Dispatch
import Foundation

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
