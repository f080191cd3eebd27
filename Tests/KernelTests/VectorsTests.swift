import Foundation
import TestSupport
import Testing

@testable import Kernel

struct VectorsTests {
    /// Every vector file in Fixtures/kernel matches a fresh computation. Regenerate with
    /// `mesh-validator kernel vectors --write` (or `MESH_WRITE_KERNEL_VECTORS=1 swift test`).
    @Test func fixturesMatch() throws {
        let dir = RepoPaths.fixture("kernel")
        if ProcessInfo.processInfo.environment["MESH_WRITE_KERNEL_VECTORS"] == "1" {
            try ConformanceVectors.write(to: dir)
        }
        let failures = try ConformanceVectors.check(directory: dir)
        #expect(failures.isEmpty, "\(failures)")
    }

    /// A corrupted vector is detected (the check can fail).
    @Test func corruptedVectorIsReported() throws {
        let tmp = try RepoPaths.temporaryDirectory()
        try ConformanceVectors.write(to: tmp)
        let url = tmp.appendingPathComponent("ops.json")
        var ops = try JSONDecoder().decode([ConformanceVectors.OpCase].self, from: Data(contentsOf: url))
        ops[0].want[3] += 1
        try JSONEncoder().encode(ops).write(to: url)
        #expect(try ConformanceVectors.check(directory: tmp) == ["ops.json: \(ops[0].desc)"])
    }

    /// An independent Python implementation written from the spec (`reference/check_ops.py`)
    /// reproduces every op vector and every table bit for bit. Skipped without `python3`.
    @Test func independentPythonImplementationAgrees() throws {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let python else { return }
        let dir = RepoPaths.fixture("kernel")
        let run = try runProcess(
            python, [dir.appendingPathComponent("reference/check_ops.py").path, dir.path])
        let text = run.stdoutText
        #expect(run.status == 0, "\(text)\(run.stderrText)")
        #expect(text.hasPrefix("ok "))
    }
}
