import Foundation
import TestSupport
import Testing

/// `mesh-validator demo` (the README's main command) on the tiny model: every settlement it
/// narrates happens, and it ends with a verified inclusion proof and a clean shutdown.
@Suite(.enabled(if: builtExecutable() != nil, "needs the built mesh-validator binary"))
struct DemoCLITests {
    @Test func demoSettlesEveryCaseAndProvesTheSlash() throws {
        let binary = try #require(builtExecutable())
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("demo-cli-\(UUID())")
        defer { try? FileManager.default.removeItem(at: data) }
        let out = try runProcess(
            binary.path,
            [
                "demo", "--circuits", RepoPaths.root().appendingPathComponent("Circuits").path, "--data-dir",
                data.path,
            ])
        let text = out.stdoutText
        #expect(out.status == 0, "\(out.stderrText)")
        #expect(text.contains("Model: the project's seeded tiny model"))
        // Job 1 all honest, job 2 by proof with node C's forged proof, job 3 by Groth16 proofs,
        // job 4 wrong output, job 5 silent node, job 6 overruled majority.
        #expect(text.contains("settled: SETTLED — truth"))
        #expect(text.contains("by proof"))
        let groth16 = text.components(separatedBy: "── Job 3: groth16 circuit").dropFirst().first ?? ""
        #expect(groth16.contains("INSECURE"), "the insecure test setup is said loudly")
        #expect(
            groth16.components(separatedBy: "── Job 4").first?.contains("settled: SETTLED — truth") == true
                && groth16.contains("by proof"), "job 3 settles by its Groth16 proofs")
        #expect(text.contains("node-C  ✗ invalid proof: slashed"))
        #expect(text.contains("node-C  ✗ wrong output: slashed"))
        #expect(text.contains("node-C  – absent: SLA miss"))
        #expect(text.contains("disagrees with re-execution: both slashed"))
        #expect(text.contains("slash/correlation(node-A)"))
        #expect(text.contains("valid ✓"))
        #expect(text.contains("verified ✓: the proof leads from the entry's leaf hash to the signed root"))
        #expect(text.contains("karma-state 4 "))
        #expect(text.contains("verified ✓: the account is in the karma state the checkpoint of"))
        #expect(text.contains("Validator shut down cleanly"))
        #expect(!text.contains("✗ the proof"))
        try auditSettlements(binary, ledger: data.appendingPathComponent("ledger.sqlite"))
    }

    /// `audit settlements` on the demo's ledger: every paid job is accounted for (job 1 by its
    /// audit draw, the proof jobs by proof, the others by re-execution); claiming the `always`
    /// policy fails exactly when the draw accepted job 1 without re-executing it.
    func auditSettlements(_ binary: URL, ledger: URL) throws {
        let out = try runProcess(binary.path, ["audit", "settlements", "--db", ledger.path, "--json"])
        #expect(out.status == 0, "\(out.stderrText)")
        let doc = try #require(try JSONSerialization.jsonObject(with: out.stdout) as? [String: Any])
        let count = { (key: String) in doc[key] as? Int ?? -1 }
        #expect(doc["complete"] as? Bool == true)
        #expect(count("paidJobs") == 5 && count("unaccountedCount") == 0)
        #expect(count("draws") == 1 && count("proved") == 2)
        #expect(count("acceptedAfterDraw") + count("drawsAudited") == 1)
        #expect(count("reexecuted") + count("judgedByEvidence") == 3 - count("acceptedAfterDraw"))
        let always = try runProcess(
            binary.path, ["audit", "settlements", "--db", ledger.path, "--policy", "always"])
        if count("acceptedAfterDraw") == 1 {
            #expect(always.status == 1)
            #expect(
                always.stderrText.contains("accepted after an audit draw, not re-executed (policy always)"))
        } else {
            #expect(always.status == 0, "\(always.stderrText)")
        }
    }
}
