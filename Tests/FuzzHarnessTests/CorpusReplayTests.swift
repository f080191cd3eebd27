import Foundation
import FuzzHarness
import TestSupport
import Testing

/// Every committed fuzz input — seeds and crashers — replayed through its harness function in
/// the ordinary test run, so a fixed crash stays fixed without a fuzzing build.
@Suite struct CorpusReplayTests {
    /// Every regular file below `Fixtures/fuzz/<target>/`, sorted (README.md excluded).
    static func corpus(_ target: String) throws -> [URL] {
        let dir = RepoPaths.fixture("fuzz/\(target)")
        let keys: Set<URLResourceKey> = [.isRegularFileKey]
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: Array(keys)) else {
            return []
        }
        var files: [URL] = []
        for case let url as URL in e where try url.resourceValues(forKeys: keys).isRegularFile == true {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Seeds fit the target's libFuzzer `-max_len` (longer ones would be truncated), no input
    /// breaks an invariant, and every seed named `valid-*` is accepted (so the harness reaches
    /// past the first check of its parser).
    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusReplaysCleanly(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let files = try Self.corpus(name)
        #expect(files.count >= 3, "Fixtures/fuzz/\(name) needs seeds")
        var accepted = 0
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            #expect(bytes.count <= target.maxLength, "\(file.lastPathComponent) is over -max_len")
            let outcome = try target.run(bytes)
            if outcome == .accepted { accepted += 1 }
            if file.lastPathComponent.hasPrefix("valid-") {
                #expect(outcome == .accepted, "\(name)/\(file.lastPathComponent): \(outcome)")
            }
        }
        #expect(accepted >= 1, "no seed of \(name) is accepted")
    }

    /// The corpora only our writers produce are exactly what `mesh-fuzz --write-seeds` generates
    /// from the current code and karma fixtures (so they move with the formats).
    @Test func generatedSeedsAreCommitted() throws {
        let events = try GeneratedSeeds.eventLines(under: RepoPaths.fixture("karma"))
        let seeds = try GeneratedSeeds.all(events: events)
        for target in GeneratedSeeds.targets {
            let mine = seeds.filter { $0.target == target }
            #expect(mine.count >= 3, "\(target) needs generated seeds")
            let committed = try Self.corpus(target).filter { !$0.path.contains("/crashers/") }
            #expect(
                Set(committed.map(\.lastPathComponent)) == Set(mine.map(\.name)),
                "Fixtures/fuzz/\(target) differs from mesh-fuzz --write-seeds: regenerate it")
            for seed in mine {
                let file = RepoPaths.fixture("fuzz/\(target)/\(seed.name)")
                #expect(
                    (try? Data(contentsOf: file)).map(Array.init) == seed.bytes,
                    "\(target)/\(seed.name) differs from what mesh-fuzz --write-seeds writes")
            }
        }
    }

    /// Every folder under `Fixtures/fuzz/` is a target's corpus (a renamed target cannot leave
    /// its crashers unreplayed).
    @Test func everyCorpusFolderNamesATarget() throws {
        let root = RepoPaths.fixture("fuzz")
        let folders = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        #expect(Set(folders) == Set(FuzzTargets.all.map(\.name)))
    }
}

/// The crashers the fuzzer found, each with what the fixed code must now say about it.
@Suite struct CrasherTests {
    /// (target, file under `Fixtures/fuzz/<target>/crashers/`, text the rejection must contain).
    static let crashers: [(String, String, String)] = [
        // Checkpoint(parsing:) accepted control characters in a body read on its own.
        ("checkpoint", "body-control-characters.txt", "control character 0x1 at byte 1"),
        // ... and `\r\n`, one Swift Character, hid a line break inside the origin line.
        ("checkpoint", "body-crlf-hides-line-break.txt", "control character 0xd at byte 1"),
        // SafetensorsFile: abs(-2^63) trapped; booleans and float literals bridged to integers.
        ("safetensors", "offset-min-int64.safetensors", "tensor a: data_offsets must be two integers"),
        ("safetensors", "boolean-dimension.safetensors", "tensor a: dimension 0 is not an integer literal"),
        ("safetensors", "float-literal-offset.safetensors", "tensor a: data_offsets must be two integers"),
        // Harness: a header naming another token count is invalid before the body is decoded.
        ("proof", "header-wrong-token-count.bin", "invalid by header: the proof covers 3 tokens"),
        // KarmaParameters: canonical bytes held a value above 2^53 − 1 that the JSON form refuses.
        ("karma-entry", "parameters-above-2pow53.bin", "parameters are at most 2^53 − 1"),
    ]

    @Test(arguments: crashers.indices)
    func crasherIsRejectedWithItsReason(index: Int) throws {
        let (name, file, reason) = Self.crashers[index]
        let target = try #require(FuzzTargets.named(name))
        let bytes = Array(try Data(contentsOf: RepoPaths.fixture("fuzz/\(name)/crashers/\(file)")))
        let outcome = try target.run(bytes)
        guard case .rejected(let got) = outcome else {
            Issue.record("\(name)/\(file) was accepted")
            return
        }
        #expect(got.contains(reason), "\(name)/\(file): \(got)")
    }

    /// Every committed crasher is listed above (so each has a stated expectation).
    @Test func everyCrasherIsListed() throws {
        var listed = Set<String>()
        for (name, file, _) in Self.crashers { listed.insert("\(name)/\(file)") }
        var found = Set<String>()
        for target in FuzzTargets.all {
            let dir = RepoPaths.fixture("fuzz/\(target.name)/crashers")
            guard FileManager.default.fileExists(atPath: dir.path) else { continue }
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                found.insert("\(target.name)/\(file)")
            }
        }
        #expect(found == listed)
    }
}
