import Foundation
import ServiceLifecycle

/// Runs the settlement loop and the deadline sweeper as a ServiceLifecycle service.
///
/// On start it queues every job that needs settling (crash recovery: `settling` jobs and jobs
/// whose receipts are all in). On graceful shutdown it finishes the job in progress and stops;
/// queued jobs are picked up again by the next start.
public struct SettlementService: Service {
    let core: ValidatorCore
    let sweepInterval: Duration

    public init(core: ValidatorCore, sweepInterval: Duration) {
        self.core = core
        self.sweepInterval = sweepInterval
    }

    public func run() async throws {
        await core.sweep()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await core.runSettlementLoop() }
                group.addTask { await core.runComputeLane() }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: sweepInterval) } catch { return }
                        await core.sweep()
                    }
                }
                // The loop and the lane end only when stopped; the sweeper is then cancelled.
                await group.next()
                await group.next()
                group.cancelAll()
            }
            // The last entries get a signed checkpoint before the process exits.
            await core.signCheckpointIfDue(force: true)
        } onGracefulShutdown: {
            core.stopSettlementLoop()
        }
    }
}
