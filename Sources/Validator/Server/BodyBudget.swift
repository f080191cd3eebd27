import Hummingbird
import NIOCore
import Synchronization

#if canImport(Glibc)
    /// glibc's `malloc_trim` (in `<malloc.h>`, which the Glibc module does not export): hands free
    /// heap memory back to the system.
    @_silgen_name("malloc_trim")
    private func mallocTrim(_ pad: Int) -> Int32
#endif

/// The memory budget for request bodies in flight across all requests (specs/service.md §2.2).
///
/// Each request body is charged `chargePerByte` bytes for every body byte, for as long as its
/// request is being handled: the raw bytes, the collected copy and what decoding them builds (JSON
/// values, decoded tensors) live together until the response is made. A body announced by
/// `Content-Length` is charged before any of it is read; a chunked body is charged as it arrives.
/// A request that does not fit is answered 503 `busy` with `Retry-After: 1`, nothing of it kept.
public final class BodyBudget: Sendable {
    /// Memory (bytes) that bodies in flight may take together.
    public let capacity: Int
    /// Bytes charged per body byte (measured: see specs/service.md §2.2).
    public static let chargePerByte = 4
    private let used = Mutex(0)
    private let metrics: ValidatorMetrics

    public init(capacity: Int, metrics: ValidatorMetrics) {
        self.capacity = capacity
        self.metrics = metrics
    }

    /// Bytes charged now.
    public var charged: Int { used.withLock { $0 } }

    /// The lease of the request being handled by this task (set by `BodyBudgetMiddleware`).
    @TaskLocal static var current: Lease?

    /// One request's share of the budget; grows as its body is read, returned when it is answered.
    final class Lease: Sendable {
        private let budget: BodyBudget
        private let held = Mutex(0)

        init(budget: BodyBudget) { self.budget = budget }

        /// Ensures `bodyBytes` bytes of body are paid for.
        ///
        /// - Throws: `ValidatorError.busy` when the budget cannot cover them now.
        func cover(bodyBytes: Int) throws(ValidatorError) {
            let (product, overflow) = bodyBytes.multipliedReportingOverflow(by: BodyBudget.chargePerByte)
            let wanted = overflow ? Int.max : product
            let outcome: Charge = held.withLock { held in
                guard wanted > held else { return .alreadyCovered }
                let extra = wanted - held
                let total = budget.used.withLock { used -> Int? in
                    guard used <= budget.capacity - extra else { return nil }
                    used += extra
                    return used
                }
                guard let total else { return .refused }
                held = wanted
                return .charged(total: total)
            }
            switch outcome {
            case .alreadyCovered: return
            case .charged(let total): budget.metrics.bodyBytes(inFlight: total / BodyBudget.chargePerByte)
            case .refused:
                throw .busy(
                    "request bodies in flight would exceed the memory budget of \(budget.capacity) bytes; retry shortly"
                )
            }
        }

        private enum Charge {
            case alreadyCovered
            case charged(total: Int)
            case refused
        }

        /// Returns what this lease holds. Large bodies hand their memory back to the system.
        func release() {
            let returned = held.withLock { held in
                defer { held = 0 }
                return held
            }
            guard returned > 0 else { return }
            let remaining = budget.used.withLock { used in
                used -= returned
                return used
            }
            budget.metrics.bodyBytes(inFlight: remaining / BodyBudget.chargePerByte)
            #if canImport(Glibc)
                if returned >= 1 << 20 { _ = mallocTrim(0) }
            #endif
        }
    }
}

/// Gives every request a `BodyBudget.Lease` for its lifetime; `Request.collectBody` charges it.
struct BodyBudgetMiddleware<Context: RequestContext>: RouterMiddleware {
    let budget: BodyBudget

    func handle(_ input: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let lease = BodyBudget.Lease(budget: budget)
        defer { lease.release() }
        return try await BodyBudget.$current.withValue(lease) {
            try await next(input, context)
        }
    }
}
