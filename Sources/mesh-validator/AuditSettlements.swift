import ArgumentParser
import Foundation
import Karma
import Receipts

extension AuditCommand {
    /// `audit settlements`: how every paid job was settled, and whether any is unaccounted for
    /// (specs/karma.md §5.8, "What an auditor checks").
    struct Settlements: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check that every paid job was re-executed, proved, or accepted after a verifiable audit draw.",
            discussion: """
                Replays the ledger (every audit draw's VRF proof and minimum probability are checked by the \
                karma rules) and then accounts for every job with an inference accrual: a validation entry \
                (re-execution or proof), a wrongOutput/invalidProof slash naming it, or an audit draw. \
                Exit status 1 when a job is unaccounted for under --policy.
                """)

        /// The settlement policy the validator claims (specs/service.md §4.1).
        enum Policy: String, ExpressibleByArgument, CaseIterable {
            /// Every paid job was re-executed or proved.
            case always
            /// Unanimous jobs may be accepted without a draw; reported, not an error.
            case onDispute = "on-dispute"
            /// Every unanimous job accepted without re-execution has a draw (the default).
            case audited
        }

        @OptionGroup var source: Source

        @Option(help: "The settlement policy the validator claims: always, on-dispute or audited.")
        var policy: Policy = .audited

        @Option(help: "Most unaccounted jobs listed.")
        var limit = 20

        func run() async throws {
            let (replayer, ledger, anchor) = try source.replay(coverage: true)
            guard let r = replayer.coverage?.report else { throw invalid("the replay kept no coverage") }
            var failures: [String] = []
            if !r.unaccounted.isEmpty, policy != .onDispute {
                failures.append(
                    "\(r.unaccounted.count) paid job(s) have no validation entry, no re-execution evidence and no audit draw"
                )
            }
            if !r.auditedWithoutReexecution.isEmpty {
                failures.append(
                    "\(r.auditedWithoutReexecution.count) job(s) were drawn for audit but no re-execution is recorded"
                )
            }
            if policy == .always, r.acceptedAfterDraw > 0 {
                failures.append(
                    "\(r.acceptedAfterDraw) job(s) were accepted after an audit draw, not re-executed (policy always)"
                )
            }
            if source.json {
                func rows(_ list: [SettlementCoverage.Finding]) -> JSONValue {
                    .array(
                        list.prefix(limit).map {
                            .object([
                                "jobID": .string($0.jobID.hex),
                                "firstInferenceIndex": .string(String($0.firstInferenceIndex)),
                            ])
                        })
                }
                print(
                    JSONOutput.text(
                        .object([
                            "origin": .string(ledger.origin), "entries": .string(String(replayer.count)),
                            "policy": .string(policy.rawValue),
                            "paidJobs": .number(String(r.paidJobs)),
                            "reexecuted": .number(String(r.reexecuted)),
                            "proved": .number(String(r.proved)),
                            "judgedByEvidence": .number(String(r.judgedByEvidence)),
                            "acceptedAfterDraw": .number(String(r.acceptedAfterDraw)),
                            "draws": .number(String(r.draws)),
                            "drawsAudited": .number(String(r.drawsAudited)),
                            "expectedAudits": .string(Self.expected(r.expectedAuditsPPM)),
                            "unaccounted": rows(r.unaccounted),
                            "unaccountedCount": .number(String(r.unaccounted.count)),
                            "auditedWithoutReexecution": rows(r.auditedWithoutReexecution),
                            "complete": .bool(failures.isEmpty), "anchor": anchor.json,
                        ])))
            } else {
                print("ledger \(ledger.origin): \(replayer.count) entries")
                for line in anchor.lines { print(line) }
                print(
                    "paid jobs \(r.paidJobs): re-executed \(r.reexecuted), proved \(r.proved), judged by slash evidence \(r.judgedByEvidence), "
                        + "accepted after an audit draw \(r.acceptedAfterDraw), unaccounted \(r.unaccounted.count)"
                )
                print(
                    "audit draws \(r.draws): audited \(r.drawsAudited), expected \(Self.expected(r.expectedAuditsPPM)) at the drawn probabilities"
                )
                for f in r.unaccounted.prefix(limit) {
                    print(
                        "unaccounted: job \(f.jobID.hex) (first inference accrual at entry \(f.firstInferenceIndex))"
                    )
                }
                for f in r.auditedWithoutReexecution.prefix(limit) {
                    print("audited, not re-executed: job \(f.jobID.hex) (entry \(f.firstInferenceIndex))")
                }
            }
            if !failures.isEmpty { throw invalid(failures.joined(separator: "; ")) }
        }

        /// ppm summed over draws as a decimal count with two places.
        static func expected(_ ppm: UInt64) -> String {
            let hundredths = (ppm + 5_000) / 10_000
            let frac = hundredths % 100
            return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
        }
    }
}
