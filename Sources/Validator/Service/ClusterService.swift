import Foundation
import Ledger
import Logging
import ServiceLifecycle

/// This process's part in a cluster of validators sharing one PostgreSQL database
/// (specs/service.md §8): the log's store (which fences writes with the lease), the karma book
/// that follows the log, and the duties a process performs when it takes the log.
public struct ClusterMembership: Sendable {
    public let settings: ValidatorConfig.Cluster
    /// Who this process is in the lease row: `settings.name`, `#`, and a random tag drawn when
    /// the process starts. A process started again under its old name, or a second process
    /// misconfigured with the same name, is a different holder: it never inherits a running
    /// lease's fencing token (specs/service.md §8.2).
    public let holder: String
    /// The log's store, opened with `requiresLease`.
    public let store: PostgresLedgerStore
    public let book: LedgerKarmaBook
    /// Run once by a process that has taken the lease, before it settles: records the karma
    /// parameters and the genesis, registers the held models (``ValidatorDependencies/open(config:executor:nowMs:)``).
    public let takeOver: @Sendable () async throws -> Void
    /// The fencing token of the lease this process took while starting (``startLeadingIfFree()``),
    /// `nil` when another process held it then.
    public private(set) var initialToken: Int64?
    /// When the request that was granted ``initialToken`` was sent: the lease runs from about then.
    public private(set) var initialGrantSent: ContinuousClock.Instant?

    public init(
        settings: ValidatorConfig.Cluster, store: PostgresLedgerStore, book: LedgerKarmaBook,
        takeOver: @escaping @Sendable () async throws -> Void
    ) {
        self.settings = settings
        holder = "\(settings.name)#\(String(UInt64.random(in: .min ... .max), radix: 16))"
        self.store = store
        self.book = book
        self.takeOver = takeOver
    }

    /// Takes or renews the lease for `leaseMs` (the fencing token; `nil` while another holds it).
    ///
    /// - Parameter renewing: a leader's renewal, which must fail in time for the leader to step
    ///   down before its lease can run out (specs/service.md §8.2): it gets no answer for at most
    ///   `max(renewMs, leaseMs − 2·renewMs)` (defaults: 1 s of a 3 s lease, attempted 1 s after
    ///   the last). A follower's request has the link's ordinary deadline: a tight one would
    ///   close and reopen connections in a loop on a loaded machine and delay the takeover.
    func acquire(renewing: Bool = false) async throws(LedgerError) -> Int64? {
        let store = store
        let holder = holder
        let seconds = Double(settings.leaseMs) / 1000
        let deadline: Duration? =
            renewing ? .milliseconds(max(settings.renewMs, settings.leaseMs - 2 * settings.renewMs)) : nil
        return try await runBlocking { () throws(LedgerError) in
            try store.acquireLease(holder: holder, seconds: seconds, deadline: deadline)
        }
    }

    /// The configured name in a lease row's holder (what follows the last `#` is the instance tag).
    static func name(ofHolder holder: String) -> String {
        holder.lastIndex(of: "#").map { String(holder[..<$0]) } ?? holder
    }

    /// Called while the process starts, before it listens: takes the lease when nobody holds it
    /// and prepares to lead (``prepareToLead()``), so a lone process leads from its first request;
    /// otherwise the book follows.
    public mutating func startLeadingIfFree() async throws {
        let sent = ContinuousClock.now
        if let token = try await acquire() {
            _ = try await prepareToLead()
            initialToken = token
            initialGrantSent = sent
        } else {
            await book.setFollowing(true)
        }
    }

    /// What a process does between taking the lease and its first write: replay what the last
    /// leader appended, take over the heartbeats it journaled, stop following, and record what a
    /// writer records (``takeOver``). Returns the log's size.
    func prepareToLead() async throws -> UInt64 {
        let size = try await book.catchUp()
        try await book.reloadHeartbeats()
        await book.setFollowing(false)
        try await takeOver()
        return size
    }
}

/// What a process is in its cluster (specs/service.md §8.1).
public enum ClusterRole: Sendable, Equatable {
    /// Alone on its storage (SQLite): leads always.
    case single
    /// Ingests receipts and jobs and serves reads; `leader` is the lease holder's name when a
    /// lease is running.
    case follower(leader: String?)
    /// Holds the lease: sequences the log, settles, sweeps, signs checkpoints.
    case leader

    /// `single`, `follower` or `leader` (the status view's `role`).
    public var name: String {
        switch self {
        case .single: "single"
        case .follower: "follower"
        case .leader: "leader"
        }
    }
}

/// The process lost the log's lease while leading: it stops at once (its writes are fenced
/// anyway) and exits non-zero, for its supervisor to start it again as a follower.
public struct LeadershipLost: Error, CustomStringConvertible {
    public var reason: String
    public var description: String {
        "this process lost the log's lease (\(reason)); it stops leading and exits"
    }
}

/// Runs one process of a cluster (specs/service.md §8): follows the log — replaying the entries the
/// leader appends, answering node requests with `not-leader` — until it takes the log's lease,
/// then leads until shutdown: catches up, takes over the leader's duties, settles and sweeps
/// (``SettlementService``) while renewing the lease. On graceful shutdown the leader signs a last
/// checkpoint and releases the lease, so a follower takes over at once. A leader that cannot
/// renew in time throws ``LeadershipLost``, which stops the process.
public struct ClusterService: Service {
    let core: ValidatorCore
    let membership: ClusterMembership
    let sweepInterval: Duration
    let logger: Logger

    public init(core: ValidatorCore, membership: ClusterMembership, sweepInterval: Duration, logger: Logger) {
        self.core = core
        self.membership = membership
        self.sweepInterval = sweepInterval
        self.logger = logger
    }

    private var settings: ValidatorConfig.Cluster { membership.settings }

    public func run() async throws {
        if let token = membership.initialToken, let sent = membership.initialGrantSent {
            try await lead(token: token, grantSent: sent, size: nil)
            return
        }
        guard let (token, sent) = await follow() else { return }
        try await lead(token: token, grantSent: sent, size: try await membership.prepareToLead())
    }

    /// Follows the log until the lease is granted — its fencing token, and when the granted
    /// request was sent — or shutdown (`nil`).
    private func follow() async -> (token: Int64, sent: ContinuousClock.Instant)? {
        await membership.book.setFollowing(true)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let sent = ContinuousClock.now
                if let token = try await membership.acquire() { return (token, sent) }
            } catch {
                logger.error("taking the log's lease failed (will retry): \(error)")
            }
            do {
                let before = try await membership.book.size()
                let after = try await membership.book.catchUp()
                core.metrics.following(replayed: after - min(after, before))
            } catch {
                logger.error("following the log failed (will retry): \(error)")
            }
            do {
                let store = membership.store
                let lease = try await runBlocking { () throws(LedgerError) in try store.lease() }
                core.setRole(
                    .follower(
                        leader: lease.flatMap {
                            $0.expiresInMs > 0 ? ClusterMembership.name(ofHolder: $0.holder) : nil
                        }))
            } catch {
                logger.error("reading the log's lease failed (will retry): \(error)")
            }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .milliseconds(settings.followMs))
                }
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Leads with fencing token `token`, granted by a request sent at `grantSent`, after
    /// ``ClusterMembership/prepareToLead()`` (which returned `size`; `nil` when it ran while the
    /// process started).
    private func lead(token: Int64, grantSent: ContinuousClock.Instant, size: UInt64?) async throws {
        core.setRole(.leader)
        core.metrics.tookLease()
        logger.notice(
            "took the log's lease: leading",
            metadata: [
                "holder": "\(membership.holder)", "token": "\(token)",
                "size": "\(size.map(String.init) ?? "at start")",
            ])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await SettlementService(core: core, sweepInterval: sweepInterval).run()
            }
            group.addTask { try await renew(token: token, grantSent: grantSent) }
            // The settlement service ends on graceful shutdown (after its last checkpoint); a lost
            // lease ends the renewal with an error, which stops the settlement too.
            do {
                try await group.next()
                group.cancelAll()
            } catch {
                group.cancelAll()
                // A renewal granted again after the lease had run out leaves it with this process:
                // hand it over now rather than after `leaseMs` (a no-op when another holds it).
                await releaseLease()
                throw error
            }
        }
        await releaseLease()
    }

    /// Ends this process's lease now, so a follower takes over at its next poll; does nothing
    /// when another process holds it.
    private func releaseLease() async {
        let store = membership.store
        let holder = membership.holder
        do {
            try await runBlocking { () throws(LedgerError) in try store.releaseLease(holder: holder) }
            logger.notice("released the log's lease", metadata: ["holder": "\(holder)"])
        } catch {
            logger.error("releasing the log's lease failed; it runs out in \(settings.leaseMs) ms: \(error)")
        }
    }

    /// Stops claiming the lead at once — `role` follower with no leader named, the
    /// `mesh_cluster_leader` gauge 0 — while the process winds down (calls blocked on a silent
    /// database return at their deadline), and logs why.
    private func stepDown(_ lost: LeadershipLost) async -> LeadershipLost {
        core.setRole(.follower(leader: nil))
        core.metrics.following(replayed: 0)
        // Reads that would sign and store a checkpoint (fenced now) serve the leader's instead.
        await membership.book.setFollowing(true)
        logger.critical("\(lost)")
        return lost
    }

    /// Renews the lease `renewMs` after each attempt until cancelled; the first renewal is due
    /// `renewMs` after `grantSent` (at once when preparing to lead took longer). Throws
    /// ``LeadershipLost`` when another process holds the lease, or when no renewal has succeeded
    /// for `leaseMs - renewMs` counted from when the last granted request was *sent* (the
    /// server's `now()` is at or after that instant, so the lease runs out no earlier than
    /// `leaseMs` after it).
    ///
    /// A renewal that finds the lease run out but still free is granted again with the next
    /// token (a slow start, a stall shorter than a takeover): nobody held the lease in between,
    /// so nobody else wrote the log, and the process leads on with the new token. A larger
    /// token means another process led in between: the lease is lost.
    private func renew(token first: Int64, grantSent: ContinuousClock.Instant) async throws {
        var token = first
        var renewed = grantSent
        var attempted = grantSent
        while true {
            let wait = attempted + .milliseconds(settings.renewMs) - .now
            if wait > .zero {
                // Cancelled: the leader is stopping (shutdown, or the settlement ended); no renewal.
                do { try await Task.sleep(for: wait) } catch { return }
            }
            if Task.isCancelled { return }
            attempted = .now
            do {
                let granted = try await membership.acquire(renewing: true)
                if let granted, granted == token + 1 {
                    logger.warning(
                        "the log's lease ran out before its renewal and was granted again, nobody having held it in between",
                        metadata: ["token": "\(granted)"])
                    token = granted
                } else if granted != token {
                    throw LeadershipLost(
                        reason: granted.map {
                            "another process led in between; granted again with token \($0)"
                        }
                            ?? "another process holds it")
                }
                renewed = attempted
            } catch let lost as LeadershipLost {
                throw await stepDown(lost)
            } catch {
                let since = ContinuousClock.now - renewed
                guard since < .milliseconds(settings.leaseMs - settings.renewMs) else {
                    throw await stepDown(LeadershipLost(reason: "no renewal for \(since): \(error)"))
                }
                logger.warning("renewing the log's lease failed (will retry): \(error)")
            }
        }
    }
}
