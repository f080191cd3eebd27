import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Connection discipline for the HTTP server (specs/service.md §2.1): a cap on open connections
/// derived from the configured maximum and the process's descriptor limit, and the phase of every
/// open connection, so that a full table makes room by closing the connection that has waited
/// longest without completing its phase (a stalled head or body, an old keep-alive) instead of
/// leaving new clients, `/healthz` included, waiting behind stalled ones.
///
/// Thread-safe; one per server. Per-connection timers live in `ConnectionDisciplineHandler`.
public final class ConnectionGovernor: Sendable {
    /// Where a connection is in its current request.
    public enum Phase: Sendable {
        /// Waiting for the first byte of a request (new or keep-alive).
        case idle
        /// Some bytes of a request head arrived, the head is not complete.
        case readingHead
        /// The head is complete, the body is not.
        case readingBody
        /// The request is complete and the service is answering it; never evicted or timed out.
        case handling
    }

    /// What the governor enforces.
    public struct Policy: Sendable, Equatable {
        /// Configured cap on open connections (the effective cap may be lower: `capacity`).
        public var maxConnections: Int
        /// How long a connection may wait for the first byte of a request.
        public var idleTimeout: TimeAmount
        /// How long a request head may take, from its first byte to its final CRLF.
        public var headerTimeout: TimeAmount
        /// How long a request body may take, from the end of the head to the last byte.
        public var bodyTimeout: TimeAmount

        public init(
            maxConnections: Int, idleTimeout: TimeAmount, headerTimeout: TimeAmount, bodyTimeout: TimeAmount
        ) {
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
        }

        /// The deadline of a connection that entered `phase` at `since`; `nil` while handling.
        func deadline(of phase: Phase, since: NIODeadline) -> NIODeadline? {
            switch phase {
            case .idle: since + idleTimeout
            case .readingHead: since + headerTimeout
            case .readingBody: since + bodyTimeout
            case .handling: nil
            }
        }
    }

    /// Why the server closed a connection it did not finish with.
    public enum Closure: String, Sendable, CaseIterable {
        case idleTimeout = "idle-timeout"
        case headerTimeout = "header-timeout"
        case bodyTimeout = "body-timeout"
        /// Closed to make room for a new connection at capacity.
        case evicted
        /// A new connection refused (503) because every open one is being answered.
        case refused
    }

    private struct Tracked {
        let channel: any Channel
        var phase: Phase
        var since: NIODeadline
    }

    private struct Table {
        var nextID: UInt64 = 0
        var open: [UInt64: Tracked] = [:]
    }

    public let policy: Policy
    /// The effective cap: `policy.maxConnections`, lowered so that descriptors stay for the
    /// databases, the log and the listener (`reservedDescriptors(forLimit:)`).
    public let capacity: Int
    let metrics: ValidatorMetrics
    private let table = Mutex(Table())

    /// - Parameter descriptorLimit: the process's soft `RLIMIT_NOFILE` (`currentDescriptorLimit()`).
    public init(policy: Policy, descriptorLimit: Int, metrics: ValidatorMetrics) {
        self.policy = policy
        self.metrics = metrics
        capacity = max(
            1,
            min(policy.maxConnections, descriptorLimit - Self.reservedDescriptors(forLimit: descriptorLimit)))
    }

    /// Descriptors kept back from connections: an eighth of the limit, at least 64 (or half of a
    /// limit below 128).
    public static func reservedDescriptors(forLimit limit: Int) -> Int {
        limit < 128 ? limit / 2 : max(64, limit / 8)
    }

    /// Open connections now.
    public var openConnections: Int { table.withLock { $0.open.count } }

    /// Registers a new connection. At capacity, closes the open connection not being answered that
    /// entered its phase longest ago (a new connection, idle since it was accepted a moment ago,
    /// is the last to go) to make room; returns `nil` (refuse the new one) when every open
    /// connection is being answered.
    func admit(_ channel: any Channel, now: NIODeadline = .now()) -> UInt64? {
        let (id, victim, open): (UInt64?, (any Channel)?, Int) = table.withLock { table in
            var victim: (any Channel)?
            if table.open.count >= capacity {
                let candidate = table.open.filter { $0.value.phase != .handling }
                    .min { $0.value.since < $1.value.since }
                guard let candidate else { return (nil, nil, table.open.count) }
                table.open.removeValue(forKey: candidate.key)
                victim = candidate.value.channel
            }
            let id = table.nextID
            table.nextID += 1
            table.open[id] = Tracked(channel: channel, phase: .idle, since: now)
            return (id, victim, table.open.count)
        }
        if let victim {
            metrics.connectionClosed(.evicted)
            victim.close(promise: nil)
        }
        if id == nil { metrics.connectionClosed(.refused) }
        metrics.openConnections(open)
        return id
    }

    /// Records that connection `id` entered `phase` at `now`.
    func enter(_ phase: Phase, id: UInt64, now: NIODeadline) {
        table.withLock { table in
            table.open[id]?.phase = phase
            table.open[id]?.since = now
        }
    }

    /// Forgets a closed connection (a no-op for one already evicted).
    func release(_ id: UInt64) {
        let count = table.withLock { table in
            table.open.removeValue(forKey: id)
            return table.open.count
        }
        metrics.openConnections(count)
    }

    /// The soft `RLIMIT_NOFILE` of this process.
    public static func currentDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: min(limit.rlim_cur, 1 << 30))  // RLIM_INFINITY is UInt.max
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (as Go's runtime and nginx do), so the
    /// cap is the operator's hard limit rather than a login shell's default; returns the soft
    /// limit in force afterwards.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
        }
        return currentDescriptorLimit()
    }
}
