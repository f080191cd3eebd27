import Foundation

/// Verifies many signed receipts across cores.
///
/// libsecp256k1 0.2 has no batch-verification API, so a batch is split into contiguous chunks, one
/// per worker; each signature is still checked individually, so one bad receipt fails only itself.
public enum ReceiptBatchVerifier {
    /// Verdicts for `receipts`, in order.
    /// - Parameter threads: workers to use; defaults to the number of active cores.
    public static func verify(
        _ receipts: [SignedReceipt], threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [ReceiptVerdict] {
        let workers = max(1, min(threads, receipts.count))
        if workers == 1 { return receipts.map { $0.verify() } }
        let results = ResultSlots(count: receipts.count)
        let chunk = (receipts.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * chunk
            let end = min(start + chunk, receipts.count)
            guard start < end else { return }
            for i in start..<end { results.set(i, receipts[i].verify()) }
        }
        return results.values
    }

    /// Fixed slots written by disjoint index ranges from concurrent workers, read after they join.
    private final class ResultSlots: @unchecked Sendable {
        private var storage: [ReceiptVerdict]
        init(count: Int) { storage = Array(repeating: .invalid(reason: "not verified"), count: count) }
        func set(_ i: Int, _ v: ReceiptVerdict) { storage[i] = v }
        var values: [ReceiptVerdict] { storage }
    }
}
